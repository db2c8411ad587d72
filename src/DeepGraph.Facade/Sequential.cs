using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// Keras's <c>Sequential</c>: a linear stack of layers. The first layer's <c>inputShape:</c> (or
/// an input layer added first) gives the input; each added layer is called on the previous
/// one's output.
/// </summary>
/// <example><code>
/// var model = new Sequential([
///     Layers.Dense(64, activation: "relu", inputShape: [784]),
///     Layers.Dense(10, activation: "softmax"),
/// ], name: "mlp");
/// </code></example>
public sealed class Sequential : Model
{
    private readonly List<Layer> stack = [];
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly List<KerasTensor> calls = [];
    private KerasTensor? input;
    private KerasTensor? output;

    /// <summary>A Sequential model of <paramref name="layers"/> (none by default; see <see cref="Add"/>).</summary>
    public Sequential(IEnumerable<Layer>? layers = null, string? name = null)
        : base(name ?? Backend.Current.UniqueName("sequential", zeroBased: true))
    {
        AddAll(layers ?? []);
    }

    /// <summary>
    /// Adds <paramref name="layer"/> on top of the stack. An input layer (such as a functional
    /// model's first layer) sets the input and is not listed in <see cref="Model.Layers"/>.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take the previous output; the model is unchanged.</exception>
    /// <exception cref="ArgumentException">A layer of that name is already in the model, or the layer has several outputs.</exception>
    public void Add(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Push(layer);
        Assemble();
    }

    /// <summary>
    /// Adds <paramref name="layers"/> in order and assembles the model once at the end, so that a
    /// stack of n layers costs O(n) rather than the O(n²) of n <see cref="Add"/> calls (each of which
    /// assembles the whole model). On an error the layers before the failing one stay added.
    /// </summary>
    internal void AddAll(IEnumerable<Layer> layers)
    {
        try
        {
            foreach (var layer in layers)
            {
                ArgumentNullException.ThrowIfNull(layer, nameof(layers));
                Push(layer);
            }
        }
        finally
        {
            Assemble();
        }
    }

    /// <summary>Checks <paramref name="layer"/>, calls it on the current output and pushes it; the model is assembled by the caller.</summary>
    private void Push(Layer layer)
    {
        if (layer.Record is InputLayer)
        {
            if (stack.Count > 0 || input is not null)
                throw new ArgumentException($"Input layer \"{layer.Name}\" can only be added to an empty Sequential model; \"{Name}\" has layers already.", nameof(layer));
            input = output = layer.Output;
            return;
        }
        if (names.Contains(layer.Name))
            throw new ArgumentException($"All layers added to a Sequential model should have unique names. Name \"{layer.Name}\" is already the name of a layer in this model. Update the `name` argument to pass a unique name.", nameof(layer));
        if (input is null && stack.Count == 0 && layer.BatchInputShape is not null)
            input = output = global::DeepGraph.Keras.Layers.Input(layer.BatchInputShape, name: layer.Name + "_input");
        if (output is not null)
        {
            var next = layer.CallMany(output);
            if (next.Count != 1)
                throw new ArgumentException($"All layers in a Sequential model should have a single output tensor. Layer \"{layer.Name}\" has {next.Count}. For multi-output layers, use the functional API.", nameof(layer));
            output = next[0];
            calls.Add(output);
        }
        stack.Add(layer);
        names.Add(layer.Name);
    }

    /// <summary>
    /// Removes the last layer of the stack and returns it (Keras's <c>model.pop()</c>); the model's output
    /// is then the previous layer's. A compiled model keeps its optimizer and state and is configured
    /// again (losses and metrics) for its new output.
    /// </summary>
    /// <example><code>
    /// var features = classifier.Pop();   // drop the softmax head
    /// classifier.Add(Dense(1, activation: "sigmoid", name: "binary_head"));
    /// </code></example>
    /// <exception cref="InvalidOperationException">The model has no layers (Keras: "There are no layers in the model.").</exception>
    public Layer Pop()
    {
        if (stack.Count == 0)
            throw new InvalidOperationException($"There are no layers in the model: Sequential model \"{Name}\" is empty, there is no layer to pop.");
        var layer = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        names.Remove(layer.Name);
        if (input is not null)
        {
            calls.RemoveAt(calls.Count - 1);
            output = calls.Count > 0 ? calls[^1] : input;
            Assemble();
        }
        Reconfigure();
        return layer;
    }

    /// <summary>Builds a model whose layers were added without an input shape, for inputs of shape <paramref name="inputShape"/> (batch excluded).</summary>
    /// <exception cref="InvalidOperationException">The model has an input already.</exception>
    public void Build(params int[] inputShape)
    {
        if (input is not null) throw new InvalidOperationException($"Sequential model \"{Name}\" is built already.");
        var layers = stack.ToList();
        stack.Clear();
        names.Clear();
        calls.Clear();
        input = output = global::DeepGraph.Keras.Layers.Input(inputShape, name: (layers.FirstOrDefault()?.Name ?? Name) + "_input");
        AddAll(layers);
    }

    /// <summary>A Sequential model added without an input shape is built for the shape of the first tensor it is called on, as in Keras.</summary>
    private protected override void BuildFor(KerasTensor[] inputs)
    {
        if (input is null && inputs.Length == 1) Build([.. inputs[0].Shape.WithoutBatch.Select(d => d ?? throw new ShapeError(Name, $"Sequential model \"{Name}\" cannot be built for input shape {inputs[0].Shape} with unknown dimensions."))]);
    }

    /// <summary>
    /// The functional twin of this model: its layers (the same handles, so the same weights)
    /// called in order on a new <c>Input</c> — the tutorial's Sequential → Functional loop.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model is not built.</exception>
    public Model ToFunctional(string? name = null, string? inputName = null)
    {
        var source = input ?? throw new InvalidOperationException($"Sequential model \"{Name}\" is not built; it has no input shape yet.");
        var x = global::DeepGraph.Keras.Layers.Input(source.Shape, inputName, source.ElementType);
        var y = x;
        foreach (var layer in stack) y = layer.Call(y);
        return new Model(x, y, name);
    }

    /// <summary>The added layers, in order; an input layer added first is not listed (as in Keras).</summary>
    public override IReadOnlyList<Layer> Layers => [.. stack];

    private void Assemble()
    {
        if (input is null || output is null) return;
        var records = stack.Select(l => l.Record).ToList();
        var id = Snapshot?.Id ?? NewId();
        var core = Core.Model.Sequential((InputLayer)input.Layer.Record, records, Name, id, seed: 0);
        // Compact node i + 1 is the call of stack[i]; node 0 is the input.
        int[] sessionNodes = [input.Reference.Node, .. calls.Select(t => t.Reference.Node)];
        var session = input.Session;
        SetModel(core, [input.Layer, .. stack], new KerasTensorList([input]), new KerasTensorList([output]),
            node => session.KerasNodeIndex(sessionNodes[node]));
    }
}
