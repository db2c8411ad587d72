using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// A functional model (Keras's <c>keras.Model(inputs=…, outputs=…)</c>): the graph of layer
/// calls from its inputs to its outputs. It is also a layer, so it can be called inside
/// another model. Its layers are the same handles the graph was built with: training this
/// model changes them, and other models that use them see it.
/// </summary>
/// <example><code>
/// var input = Layers.Input(shape: [784]);
/// var output = Layers.Dense(10, activation: "softmax").Call(input);
/// var model = new Model(inputs: input, outputs: output, name: "mnist");
/// model.Summary();
/// </code></example>
public partial class Model : Layer
{
    private IReadOnlyList<Layer> layers = [];
    private bool trainable = true;
    private Func<int, int>? nodeIndex;

    /// <summary>A model with one input and one output.</summary>
    public Model(KerasTensor inputs, KerasTensor outputs, string? name = null) : this([inputs], [outputs], name) { }

    /// <summary>A model with one input and several outputs.</summary>
    public Model(KerasTensor inputs, IEnumerable<KerasTensor> outputs, string? name = null) : this([inputs], outputs, name) { }

    /// <summary>A model with several inputs and one output.</summary>
    public Model(IEnumerable<KerasTensor> inputs, KerasTensor outputs, string? name = null) : this(inputs, [outputs], name) { }

    /// <summary>A model with several inputs and outputs.</summary>
    /// <exception cref="GraphError">An input is not an <c>Input</c> tensor, tensors come from different graphs, the outputs do not depend on the inputs, or two layers share a name.</exception>
    public Model(IEnumerable<KerasTensor> inputs, IEnumerable<KerasTensor> outputs, string? name = null) : base(null)
    {
        var ins = inputs.ToArray();
        var outs = outputs.ToArray();
        if (ins.Length == 0 || outs.Length == 0)
            throw new GraphError("A model needs at least one input and one output tensor.");
        var session = ins[0].Session;
        foreach (var t in ins.Concat(outs))
            if (t.Session != session)
                throw new GraphError($"Tensors {ins[0]} and {t} belong to different graphs (one was made before Backend.ClearSession()); a model's tensors must come from one graph.");
        var graph = session.Graph;
        TensorRef[] inRefs = [.. ins.Select(t => t.Reference)], outRefs = [.. outs.Select(t => t.Reference)];
        var core = Core.Model.Functional(graph, inRefs, outRefs, name ?? session.UniqueName("model", zeroBased: true), NewId(), session.Describe);
        // The model's compact nodes are the session nodes its outputs depend on, in creation order.
        var sessionNodes = Topology.Of(graph, inRefs, outRefs, session.Describe).Nodes;
        SetModel(core, [.. core.LayerOrder.Select(session.HandleOf)], new KerasTensorList(ins), new KerasTensorList(outs),
            node => session.KerasNodeIndex(sessionNodes[node]));
    }

    /// <summary>For <see cref="Sequential"/>, which sets its model as layers are added.</summary>
    private protected Model(string name) : base(null)
    {
        SequentialName = name;
        Inputs = new KerasTensorList([]);
        Outputs = new KerasTensorList([]);
    }

    private protected string? SequentialName { get; }

    /// <summary>The model as last assembled; <see cref="Record"/> refreshes its layers from the handles.</summary>
    private protected Core.Model? Snapshot { get; private set; }

    private protected void SetModel(Core.Model core, IReadOnlyList<Layer> handles, KerasTensorList inputs, KerasTensorList outputs, Func<int, int> kerasNodeIndex)
    {
        nodeIndex = kerasNodeIndex;
        Snapshot = core;
        layers = handles;
        Inputs = inputs;
        Outputs = outputs;
        base.Adopt(core);
    }

    /// <summary>The model as an immutable Core value with every layer's current record.</summary>
    public Core.Model CoreModel
    {
        get
        {
            // The handles' records are read under the publication lock, so a Fit publishing new
            // weights to several layers is seen entirely or not at all.
            Core.Model snapshot;
            Core.Layer[] records;
            lock (Publication.Gate)
            {
                snapshot = Snapshot ?? (Core.Model)base.Record;
                records = [.. layers.Select(h => h.Record)];
            }
            return snapshot.WithLayers(records) with { Trainable = trainable };
        }
    }

    /// <inheritdoc/>
    public override Core.Layer Record => CoreModel;

    /// <summary>A model's record is assembled from its layers; a call changes nothing to adopt.</summary>
    internal override void Adopt(Core.Layer built) { }

    /// <inheritdoc/>
    public override string Name => Snapshot?.Name ?? SequentialName!;

    /// <summary>Sets trainability on the model and on every layer in it, as Keras does.</summary>
    public override bool Trainable
    {
        get => trainable;
        set
        {
            lock (Publication.Gate)
            {
                foreach (var layer in Layers) layer.Trainable = value;
                trainable = value;
            }
        }
    }

    /// <summary>Set by a callback to end <c>Fit</c> after the current batch (Keras's <c>model.stop_training</c>).</summary>
    public bool StopTraining { get; set; }

    /// <summary>The model's layers (Keras's <c>model.layers</c>): by decreasing depth from the outputs, input layers first.</summary>
    public virtual IReadOnlyList<Layer> Layers => layers;

    /// <summary>The model's input tensors.</summary>
    public KerasTensorList Inputs { get; private set; } = new([]);

    /// <summary>The model's output tensors.</summary>
    public KerasTensorList Outputs { get; private set; } = new([]);

    /// <summary>The model's input tensor (Keras's <c>model.input</c>).</summary>
    public override KerasTensor Input => Inputs.Count == 1 ? Inputs[0] : throw new InvalidOperationException($"Model \"{Name}\" has {Inputs.Count} inputs; use Inputs.");

    /// <summary>The model's output tensor (Keras's <c>model.output</c>).</summary>
    public override KerasTensor Output => Outputs.Count == 1 ? Outputs[0] : throw new InvalidOperationException($"Model \"{Name}\" has {Outputs.Count} outputs; use Outputs.");

    /// <summary>Every layer's weights, layer after layer in <see cref="Layers"/> order (Keras's <c>model.get_weights()</c>).</summary>
    public override Tensor[] GetWeights()
    {
        lock (Publication.Gate) return [.. layers.SelectMany(l => l.GetWeights())];
    }

    /// <summary>Sets every layer's weights from one list in <see cref="GetWeights"/> order (Keras's <c>model.set_weights()</c>).</summary>
    /// <exception cref="ArgumentException">The count or a shape differs; nothing is changed.</exception>
    public override void SetWeights(params Tensor[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        // One change as readers see it: Predict on another thread sees the old weights or the new, never a mix.
        lock (Publication.Gate) SetWeightsLocked(weights);
    }

    private void SetWeightsLocked(Tensor[] weights)
    {
        int expected = layers.Sum(l => l.GetWeights().Length);
        if (weights.Length != expected)
            throw new ArgumentException($"Model \"{Name}\" expects {expected} weights, but received {weights.Length}.", nameof(weights));
        // Check every shape before changing any layer, so a bad list changes nothing.
        var mine = GetWeights();
        for (int i = 0; i < weights.Length; i++)
            if (weights[i].Shape != mine[i].Shape)
                throw new ArgumentException($"Model \"{Name}\" weight {i} has shape {mine[i].Shape}, but the value given has shape {weights[i].Shape}.", nameof(weights));
        int offset = 0;
        foreach (var layer in layers)
        {
            int n = layer.GetWeights().Length;
            layer.SetWeights(weights[offset..(offset + n)]);
            offset += n;
        }
    }

    /// <summary>
    /// The layer at <paramref name="index"/> in <see cref="Layers"/> (Keras's <c>get_layer(index=…)</c>; a
    /// negative index counts from the end, as a Python list's).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No layer at that index; the message gives the number of layers.</exception>
    public Layer GetLayer(int index)
    {
        var all = Layers;
        int at = index < 0 ? all.Count + index : index;
        if (at < 0 || at >= all.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Was asked to retrieve layer at index {index} but model \"{Name}\" only has {all.Count} layers.");
        return all[at];
    }

    /// <summary>The layer named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No layer has that name.</exception>
    public Layer GetLayer(string name) =>
        layers.FirstOrDefault(l => l.Name == name) ?? throw new ArgumentException($"No such layer: {name}. Existing layers are: [{string.Join(", ", layers.Select(l => l.Name))}].", nameof(name));

    /// <summary>
    /// This model as a <see cref="Sequential"/> of the same layer handles (so the same weights):
    /// what the tutorial's loop <c>foreach (var layer in model.Layers) s.Add(layer)</c> does, but
    /// checked first, so that a non-linear model is refused instead of stacked wrongly.
    /// </summary>
    /// <exception cref="GraphError">The model is not linear; the message names the layer that branches or merges.</exception>
    public Sequential ToSequential(string? name = null)
    {
        var chain = Core.Conversions.LinearChain(CoreModel);
        var sequential = new Sequential(name: name);
        sequential.Add(layers.First(h => h.Record.Id == CoreModel.Inputs.Select(CoreModel.Graph.LayerOf).Single().Id));
        foreach (var record in chain) sequential.Add(layers.First(h => h.Record.Id == record.Id));
        return sequential;
    }

    private readonly TensorPool pool = new();

    /// <summary>
    /// Runs the model on real inputs, one tensor per model input (batch first, channels last),
    /// and returns one tensor per model output, in order. Safe to call from several threads at once,
    /// also while Fit trains the model (it sees the weights of one published epoch).
    /// </summary>
    /// <exception cref="ShapeError">Wrong number of inputs, or a shape the model cannot take.</exception>
    /// <exception cref="InvalidOperationException">A weight holds NaN or infinity.</exception>
    public Tensor[] Predict(params Tensor[] inputs) => Predict(inputs, batchSize: 32);

    /// <summary>Runs a one-input model in batches of at most <paramref name="batchSize"/> samples (Keras's <c>predict(x, batch_size=…)</c>).</summary>
    public Tensor[] Predict(Tensor input, int batchSize) => Predict([input], batchSize);

    /// <summary>Runs the model in batches of at most <paramref name="batchSize"/> samples (Keras's default is 32).</summary>
    /// <exception cref="ShapeError">Wrong number of inputs, or a shape the model cannot take.</exception>
    /// <exception cref="InvalidOperationException">A weight holds NaN or infinity.</exception>
    public Tensor[] Predict(IReadOnlyList<Tensor> inputs, int batchSize)
    {
        BuildFrom(inputs);
        var core = CoreModel;
        CheckWeightsAreFinite(core);
        return Executor.Predict(core, inputs, batchSize, new ForwardContext(Backend.Blas, pool, MemoryBudget: Backend.MemoryBudget));
    }

    private static void CheckWeightsAreFinite(Core.Model model)
    {
        foreach (var layer in model.LayerOrder.Select(id => model.Graph.Layers[id]))
        {
            if (layer is Core.Model inner)
            {
                CheckWeightsAreFinite(inner);
                continue;
            }
            foreach (var w in layer.Weights)
                if (!w.Value.IsFinite)
                    throw new InvalidOperationException($"Layer \"{layer.Name}\" ({layer.ClassName}): weight '{w.Role}' of shape {w.Value.Shape} holds NaN or infinite values; the model cannot run.");
        }
    }

    /// <summary>
    /// Saves the model (Keras's <c>model.save</c>), in the format <paramref name="format"/> names or, without it, the
    /// path's extension: <c>.keras</c> Keras 3's zip (<c>config.json</c>, <c>metadata.json</c>, <c>model.weights.h5</c>), which
    /// Keras 3 loads; <c>.h5</c> the legacy HDF5 full model Keras 2 and tf.keras load; <c>.json</c> TensorFlow.js's layers
    /// model, which <c>tf.loadLayersModel</c> reads — the JSON and, beside it, the weight file it names
    /// (<see cref="Models.WeightsFileName"/>: <c>model.weights.&lt;content hash&gt;.bin</c>). A compiled model's settings go
    /// with it (<c>training_config</c> in <c>.h5</c>, <c>compile_config</c> in <c>.keras</c>). <see cref="Models.LoadModel(string, IEnumerable{LayerKind}?, bool, bool)"/>
    /// reads every one of them back.
    /// </summary>
    /// <remarks>
    /// The saved model is replaced as one step: the file is written whole under a temporary name and renamed over the
    /// path, so after a failure or a kill at any moment the path holds the old model or the new one; saves to one path
    /// from several threads or processes take turns. With <paramref name="testCase"/>, the model is run on those inputs
    /// and they and its outputs are written beside the file (<c>path.io.json</c>, <c>path.io.bin</c>) for
    /// <c>LoadModel(path, verify: true)</c>; a save without one removes a test case an earlier save left there, since it
    /// described the old model.
    /// </remarks>
    /// <param name="path">The file: <c>m.keras</c>, <c>m.h5</c> or <c>m.json</c>.</param>
    /// <param name="format"><c>"keras"</c>, <c>"h5"</c> or <c>"tfjs"</c> (Keras's <c>save_format</c>); null to go by the extension.</param>
    /// <param name="testCase">Inputs, one tensor per model input, whose outputs are stored beside the file as its test case.</param>
    /// <exception cref="ArgumentException">The extension names no format and none is given; the format is unknown or disagrees with the extension;
    /// the test case has another number of inputs than the model.</exception>
    /// <exception cref="ShapeError">The test case's inputs have shapes the model cannot take (nothing is written).</exception>
    /// <exception cref="ModelFormatError">A layer has no form in the format.</exception>
    /// <exception cref="IOException">A file cannot be written (the saved model, if any, is left as it was).</exception>
    public void Save(string path, string? format = null, IReadOnlyList<Tensor>? testCase = null) => Models.Save(this, path, format, testCase);

    /// <summary>
    /// What <see cref="Models.LoadModel(string, IEnumerable{LayerKind}?, bool, bool)"/> could not carry over from the file without
    /// failing the load: compile settings whose optimizer or loss DeepGraph lacks (the model is then uncompiled), options it
    /// does not have. Empty for a model built in code, or loaded whole.
    /// </summary>
    public IReadOnlyList<string> LoadWarnings { get; internal set; } = [];

    /// <summary>What <c>Compile</c> set, for writing it into a file; null when the model is not compiled.</summary>
    internal (TrainingConfig Config, IReadOnlyList<string> OutputNames)? Compiled
    {
        get
        {
            lock (trainingGate) return training is { } t ? (t.Config, t.OutputNames) : null;
        }
    }

    /// <summary>Prints Keras's summary table to the console.</summary>
    public void Summary() => Summary(Console.WriteLine);

    /// <summary>Writes Keras's summary table to <paramref name="writer"/>.</summary>
    public void Summary(TextWriter writer) => Summary(writer.WriteLine);

    /// <summary>Gives each line of Keras's summary table to <paramref name="printFn"/> (Keras's <c>print_fn</c>); <paramref name="lineLength"/> and <paramref name="positions"/> as in Keras.</summary>
    public void Summary(Action<string> printFn, int? lineLength = null, IReadOnlyList<double>? positions = null)
    {
        foreach (var line in Core.Summary.Lines(CoreModel, lineLength, positions, nodeIndex)) printFn(line);
    }
}
