using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// The facade's one publication lock. A change that must be seen whole across several layer
/// handles (Fit publishing an epoch's weights, <c>Model.SetWeights</c>) replaces their records
/// under it, and a model reads its handles' records under it, so a reader sees all of a change or
/// none of it — also through another model sharing the layers. It is held only to swap or read
/// references, never while computing or calling user code. Monitor is re-entrant, so a model
/// reading its nested models' handles takes it again without harm.
/// </summary>
internal static class Publication
{
    /// <summary>The lock.</summary>
    public static readonly object Gate = new();
}

/// <summary>
/// A layer handle, as Keras users know layers: it owns the current immutable layer record
/// (<see cref="Record"/>) and is called on symbolic tensors to build graphs. Calling it builds
/// its weights on first use; calling it again reuses them (a shared layer). Models built from
/// the same handles share their weights, exactly as Keras layers do.
/// </summary>
/// <example><code>
/// var dense = Layers.Dense(64, activation: "relu");
/// KerasTensor y = dense.Call(x);
/// </code></example>
public class Layer
{
    /// <summary>
    /// An input tensor stands for its input layer, so that a Sequential model can start with
    /// <c>Input(…)</c> as in Keras: <c>new Sequential([Input(shape: [4]), Dense(8)])</c>.
    /// </summary>
    /// <exception cref="InvalidCastException">The tensor is the output of another layer than an input layer.</exception>
    public static implicit operator Layer(KerasTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Layer.Record is Core.InputLayer
            ? input.Layer
            : throw new InvalidCastException($"Only an input tensor (from Input(…)) stands for a layer; {input} is the output of layer \"{input.Layer.Name}\": pass the layer itself.");
    }

    private static long nextId;
    private readonly List<(KerasTensorList Inputs, KerasTensorList Outputs)> nodes = [];
    private Core.Layer? record;

    internal Layer(Core.Layer? record, Shape? batchInputShape = null)
    {
        this.record = record;
        BatchInputShape = batchInputShape;
    }

    /// <summary>A new layer identity, unique in the process (layers outlive sessions).</summary>
    internal static LayerId NewId() => new(Interlocked.Increment(ref nextId));

    /// <summary>The current immutable record: configuration and, once built, weights.</summary>
    /// <exception cref="InvalidOperationException">The layer is a model that is not built yet.</exception>
    public virtual Core.Layer Record => record ?? throw new InvalidOperationException(
        $"Model \"{Name}\" has not yet been built: its layers were added without an input shape. Build it with `Build(shape)` (the shape of one sample, " +
        "without the batch: `model.Build(784)`), give the first layer an `inputShape:` or start with `Input(shape: …)`, or give it data: " +
        "Fit, Evaluate, Predict, TrainOnBatch and TestOnBatch build it for the shape of their input.");

    /// <summary>Replaces the record (same id) with <paramref name="built"/>, e.g. after a call built it or training changed it.</summary>
    internal virtual void Adopt(Core.Layer built)
    {
        if (record is not null && built.Id != record.Id)
            throw new InvalidOperationException($"Record of layer \"{built.Name}\" has another id.");
        record = built;
    }

    /// <summary>The layer's name, unique within a model.</summary>
    public virtual string Name => Record.Name;

    /// <summary>Keras's class name (<c>Dense</c>, <c>Conv2D</c>, <c>Functional</c> …).</summary>
    public string ClassName => Record.ClassName;

    /// <summary>
    /// When false, training does not change this layer's weights and summaries count them as
    /// non-trainable. Setting it on a model sets it on every layer inside, as in Keras.
    /// </summary>
    public virtual bool Trainable
    {
        get => Record.Trainable;
        set
        {
            lock (Publication.Gate) record = Record with { Trainable = value };
        }
    }

    /// <summary>The input shape (batch included) given with <c>inputShape:</c>, which a Sequential model uses for its input.</summary>
    public Shape? BatchInputShape { get; }

    /// <summary>True once the layer holds its weights.</summary>
    public bool Built => record is { IsBuilt: true };

    /// <summary>
    /// The layer's weights (Keras's <c>layer.weights</c>; empty until built): for a model, every layer's
    /// weights in layer order, named <c>layer/role</c>. A weight's <see cref="Weight.Trainable"/> is false
    /// for a non-trainable weight (a moving mean) and for every weight of a frozen layer.
    /// </summary>
    public IReadOnlyList<Weight> Weights => record is null ? [] : Record.Weights;

    /// <summary>Keras's <c>trainable_weights</c>: the weights training changes, in <see cref="Weights"/> order; none when the layer is frozen.</summary>
    public IReadOnlyList<Weight> TrainableWeights => [.. Weights.Where(w => w.Trainable)];

    /// <summary>Keras's <c>non_trainable_weights</c>: the other weights (moving statistics; all of them when the layer is frozen), in <see cref="Weights"/> order.</summary>
    public IReadOnlyList<Weight> NonTrainableWeights => [.. Weights.Where(w => !w.Trainable)];

    /// <summary>Keras's <c>get_weights()</c>: the weight values in Keras's order.</summary>
    public virtual Tensor[] GetWeights() => [.. Weights.Select(w => w.Value)];

    /// <summary>Keras's <c>set_weights()</c>: replaces the weight values, in Keras's order, each of the same shape as now.</summary>
    /// <exception cref="ArgumentException">The count or a shape differs; nothing is changed.</exception>
    /// <exception cref="InvalidOperationException">The layer is not built yet.</exception>
    public virtual void SetWeights(params Tensor[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        lock (Publication.Gate) SetWeightsLocked(weights);
    }

    private void SetWeightsLocked(Tensor[] weights)
    {
        var current = Record;
        if (current is not WeightedLayer weighted)
        {
            if (weights.Length == 0) return;
            throw new ArgumentException($"Layer \"{Name}\" ({ClassName}) has no weights; received {weights.Length}.", nameof(weights));
        }
        if (!weighted.IsBuilt)
            throw new InvalidOperationException($"Layer \"{Name}\" is not built yet: call it on a tensor first, so that its weights have shapes.");
        if (weights.Length != weighted.Params.Count)
            throw new ArgumentException($"Layer \"{Name}\" expects {weighted.Params.Count} weights ({string.Join(", ", weighted.Weights.Select(w => $"{w.Role} {w.Value.Shape}"))}), but received {weights.Length}.", nameof(weights));
        for (int i = 0; i < weights.Length; i++)
            if (weights[i].Shape != weighted.Params[i].Shape)
                throw new ArgumentException($"Layer \"{Name}\" weight '{weighted.Weights[i].Role}' has shape {weighted.Params[i].Shape}, but the value given has shape {weights[i].Shape}.", nameof(weights));
        record = weighted with { Params = EquatableArray.Of(weights) };
    }

    /// <summary>Keras's <c>count_params()</c>.</summary>
    public long CountParams() => Record.ParamCount;

    /// <summary>Calls the layer on one or more tensors and returns its single output.</summary>
    /// <exception cref="ShapeError">The layer cannot take the tensors' shapes; nothing is changed.</exception>
    /// <exception cref="GraphError">The tensors come from different graphs or from a cleared session.</exception>
    /// <exception cref="InvalidOperationException">The layer gives several outputs (use <see cref="CallMany(KerasTensor[])"/>).</exception>
    public KerasTensor Call(params KerasTensor[] inputs) => Call(inputs, training: null);

    /// <summary>
    /// Calls the layer on one tensor and returns its single output; <paramref name="training"/> fixes
    /// the call's mode (Keras's <c>layer(x, training=False)</c>): with <c>false</c> the call always runs
    /// as at inference, also in <c>Fit</c> — BatchNormalization normalises with its moving statistics
    /// and does not update them, Dropout passes its input through, and a model called so runs every
    /// layer inside so. Null (the default) follows the pass.
    /// </summary>
    /// <example><code>
    /// baseModel.Trainable = false;
    /// var x = baseModel.Call(inputs, training: false);   // BatchNormalization stays in inference mode while fine-tuning
    /// </code></example>
    /// <exception cref="ShapeError">The layer cannot take the tensor's shape; nothing is changed.</exception>
    /// <exception cref="GraphError">The tensor comes from another graph or from a cleared session.</exception>
    /// <exception cref="InvalidOperationException">The layer gives several outputs (use <see cref="CallMany(IEnumerable{KerasTensor}, bool?)"/>).</exception>
    public KerasTensor Call(KerasTensor input, bool? training = null) => Call([input], training);

    /// <summary>
    /// Calls the layer on a list of tensors (Keras's <c>layer([a, b])</c>) and returns its single output;
    /// <paramref name="training"/> as in <see cref="Call(KerasTensor, bool?)"/>.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take the tensors' shapes; nothing is changed.</exception>
    /// <exception cref="GraphError">The tensors come from different graphs or from a cleared session.</exception>
    /// <exception cref="InvalidOperationException">The layer gives several outputs (use <see cref="CallMany(IEnumerable{KerasTensor}, bool?)"/>).</exception>
    public KerasTensor Call(IEnumerable<KerasTensor> inputs, bool? training = null)
    {
        var outputs = CallMany(inputs, training);
        if (outputs.Count != 1)
            throw new InvalidOperationException($"Layer \"{Name}\" gives {outputs.Count} outputs; use CallMany to get them all.");
        return outputs[0];
    }

    /// <summary>Calls the layer on one or more tensors and returns all of its outputs (a model with several outputs gives several).</summary>
    /// <exception cref="ShapeError">The layer cannot take the tensors' shapes; nothing is changed.</exception>
    /// <exception cref="GraphError">The tensors come from different graphs or from a cleared session.</exception>
    public KerasTensorList CallMany(params KerasTensor[] inputs) => CallMany(inputs, training: null);

    /// <summary>
    /// Calls the layer on tensors and returns all of its outputs; <paramref name="training"/> as in
    /// <see cref="Call(KerasTensor, bool?)"/>.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take the tensors' shapes; nothing is changed.</exception>
    /// <exception cref="GraphError">The tensors come from different graphs or from a cleared session.</exception>
    public KerasTensorList CallMany(IEnumerable<KerasTensor> inputs, bool? training)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var tensors = inputs.ToArray();
        if (tensors.Length == 0)
            throw new ArgumentException($"Layer \"{Name}\" must be called on at least one tensor.", nameof(inputs));
        var session = tensors[0].Session;
        foreach (var t in tensors)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(inputs));
            if (t.Session != session)
                throw new GraphError($"Layer \"{Name}\" was called on tensors of different graphs: {tensors[0]} and {t}.");
        }
        if (session != Backend.Current)
            throw new GraphError($"Layer \"{Name}\" was called on {tensors[0]}, a tensor of a session that Backend.ClearSession() has ended; make the model's Input again in the current session.");
        BuildFor(tensors);
        var (built, refs) = session.Call(Record, [.. tensors.Select(t => t.Reference)], training);
        Adopt(built);
        session.Register(this);
        var outputs = new KerasTensorList([.. refs.Select(r => new KerasTensor(session, r, session.Graph.ShapeOf(r), this, session.Graph.DTypeOf(r)))]);
        nodes.Add((new KerasTensorList([.. tensors]), outputs));
        return outputs;
    }

    /// <summary>Lets a layer that cannot be built before it sees its input (a Sequential model without an input shape) build on its first call.</summary>
    private protected virtual void BuildFor(KerasTensor[] inputs) { }

    /// <summary>The input tensor of the layer's first call (Keras's <c>layer.input</c>).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been called, or its first call took several tensors (use <see cref="GetInputsAt"/>).</exception>
    public virtual KerasTensor Input => SingleOf(GetInputsAt(0), "input");

    /// <summary>The output tensor of the layer's first call (Keras's <c>layer.output</c>).</summary>
    /// <exception cref="InvalidOperationException">The layer has not been called, or its first call gave several tensors (use <see cref="GetOutputsAt"/>).</exception>
    public virtual KerasTensor Output => SingleOf(GetOutputsAt(0), "output");

    /// <summary>The tensors the layer's call number <paramref name="nodeIndex"/> took.</summary>
    public KerasTensorList GetInputsAt(int nodeIndex) => NodeAt(nodeIndex).Inputs;

    /// <summary>The tensors the layer's call number <paramref name="nodeIndex"/> gave.</summary>
    public KerasTensorList GetOutputsAt(int nodeIndex) => NodeAt(nodeIndex).Outputs;

    /// <summary>Whether the layer has been called on a tensor (it has a node).</summary>
    internal bool HasBeenCalled => nodes.Count > 0;

    internal void AddInputNode(KerasTensor tensor) => nodes.Add((new KerasTensorList([tensor]), new KerasTensorList([tensor])));

    private (KerasTensorList Inputs, KerasTensorList Outputs) NodeAt(int nodeIndex)
    {
        if (nodes.Count == 0)
            throw new InvalidOperationException($"Layer {Name} is not connected, no input to return.");
        if (nodeIndex < 0 || nodeIndex >= nodes.Count)
            throw new ArgumentOutOfRangeException(nameof(nodeIndex), $"Asked to get node {nodeIndex} of layer {Name}, but the layer has only {nodes.Count} inbound nodes.");
        return nodes[nodeIndex];
    }

    private KerasTensor SingleOf(KerasTensorList tensors, string what) =>
        tensors.Count == 1 ? tensors[0] : throw new InvalidOperationException($"Layer \"{Name}\" has {tensors.Count} {what} tensors at its first call; use Get{char.ToUpperInvariant(what[0])}{what[1..]}sAt(0).");

    /// <summary><c>&lt;Dense name=dense&gt;</c>.</summary>
    public override string ToString() => $"<{(record?.ClassName ?? GetType().Name)} name={Name}>";
}
