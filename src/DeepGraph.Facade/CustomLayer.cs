using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// The base of a layer written by a user, as Keras's <c>keras.layers.Layer</c> subclass: declare
/// weights in <see cref="Build(Shape)"/> with <see cref="AddWeight(string, int[], string, bool)"/>,
/// compute in <see cref="Call(Var, bool)"/> with <see cref="Ops"/>, and describe the constructor's
/// arguments in <see cref="GetConfig"/> so that a saved model can make the layer again. The layer
/// is trained by <c>Fit</c> with gradients from the ops' tape; <c>Trainable = false</c> freezes it;
/// the summary prints its class name and parameter count.
/// </summary>
/// <remarks>
/// <para>A weight handle (<see cref="LayerWeight"/>) stands for the weight's var inside
/// <c>Call</c>: <c>Ops.MatMul(x, kernel) + bias</c> reads as Keras's <c>tf.matmul(x, self.kernel) + self.bias</c>.
/// While <c>Call</c> runs, the handles are bound to the vars of that call's tape (on the calling
/// thread), so several threads may run one layer at once, and a handle used outside <c>Call</c>
/// is refused with a message naming the layer and the weight.</para>
/// <para>The contract that keeps a layer a value (two layers of one class, config and weights are
/// equal and compute the same): <c>Call</c> is a function of its inputs, its weights and
/// <c>training</c> — it reads no other field that changes —, <c>Build</c> declares the same weights
/// for the same shapes, and <c>GetConfig</c> says everything the constructor was given.</para>
/// </remarks>
/// <example><code>
/// public sealed class MyDense(int units) : CustomLayer
/// {
///     LayerWeight kernel = null!, bias = null!;
///     public override void Build(Shape inputShape)
///     {
///         kernel = AddWeight("kernel", [inputShape[^1]!.Value, units]);
///         bias = AddWeight("bias", [units], "zeros");
///     }
///     public override Var Call(Var x, bool training) => Ops.MatMul(x, kernel) + bias;
///     public override JsonObject GetConfig() => new() { ["units"] = units };
/// }
/// </code></example>
public abstract class CustomLayer : Layer
{
    /// <summary>A name given by a loader for the layer being made on this thread (so that loading draws no automatic name).</summary>
    [ThreadStatic] private static string? loadingName;

    /// <summary>The calls running on this thread, innermost last: whose weights are bound to which vars.</summary>
    [ThreadStatic] private static List<(CustomLayer Layer, IReadOnlyList<Var> Weights)>? bindings;

    private readonly Code code;

    /// <summary>A layer named <paramref name="name"/> (by default the class name in snake case, numbered as Keras numbers names: <c>my_dense</c>, <c>my_dense_1</c> …).</summary>
    /// <param name="name">The layer's name.</param>
    /// <param name="trainable">False to freeze the layer's weights.</param>
    /// <param name="inputShape">The input shape without the batch, which a Sequential model uses for its input.</param>
    protected CustomLayer(string? name = null, bool trainable = true, int[]? inputShape = null)
        : base(null, inputShape is null ? null : Shape.Of([null, .. inputShape.Select(d => (int?)d)]))
    {
        code = new Code(this);
        string layerName = Interlocked.Exchange(ref loadingName, null) ?? name ?? Backend.Current.UniqueName(Names.SnakeCase(GetType().Name), zeroBased: true);
        Adopt(new UserLayer(code) { Id = NewId(), Name = layerName, Trainable = trainable });
    }

    /// <summary>
    /// Declares the weights for one input of shape <paramref name="inputShape"/> (the batch
    /// included, as null) with <see cref="AddWeight(string, int[], string, bool)"/>; called once,
    /// before the first call. The default declares none.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take this shape (say why, naming the layer).</exception>
    public virtual void Build(Shape inputShape) { }

    /// <summary>
    /// Declares the weights for inputs of shapes <paramref name="inputShapes"/>: override it for a
    /// layer of several inputs. The default calls <see cref="Build(Shape)"/> for a single input.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take these shapes.</exception>
    public virtual void Build(IReadOnlyList<Shape> inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        if (inputShapes.Count == 1) Build(inputShapes[0]);
    }

    /// <summary>
    /// The layer's computation on one input, over <see cref="Ops"/>: a function of <paramref name="x"/>,
    /// the weights (the <see cref="LayerWeight"/> handles) and <paramref name="training"/>. It also runs
    /// on shapes alone (null dimensions, no values) when the layer is called on a symbolic tensor,
    /// which gives the output's shape: compute with ops, never with <see cref="Var.Value"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not overridden (nor the list form).</exception>
    public virtual Var Call(Var x, bool training) =>
        throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) does not override Call(Var x, bool training) nor Call(IReadOnlyList<Var> inputs, bool training).");

    /// <summary>
    /// The layer's computation on several inputs (Keras's <c>call(inputs)</c> with a list): override
    /// it for a layer of several inputs. The default calls <see cref="Call(Var, bool)"/> on a single input.
    /// </summary>
    /// <exception cref="ShapeError">The default was given other than one input.</exception>
    public virtual Var Call(IReadOnlyList<Var> inputs, bool training)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != 1)
            throw new ShapeError(Name, $"Layer \"{Name}\" ({ClassName}) expects 1 input tensor, but it received {inputs.Count}: {string.Join(", ", inputs.Select(v => v.Shape))}. " +
                "A layer of several inputs overrides Call(IReadOnlyList<Var> inputs, bool training).");
        return Call(inputs[0], training);
    }

    /// <summary>
    /// The constructor's arguments as a JSON object (Keras's <c>get_config</c>, without the
    /// <c>name</c> and <c>trainable</c> the file adds itself): saved with the model, and given back to
    /// the factory registered for the class when the model is loaded. The default is empty.
    /// </summary>
    public virtual JsonObject GetConfig() => new();

    /// <summary>
    /// Declares a weight (Keras's <c>add_weight</c>); only from <see cref="Build(Shape)"/>. Its first
    /// value comes from <paramref name="initializer"/> (<c>glorot_uniform</c>, <c>zeros</c>, <c>ones</c>)
    /// and the session's seed.
    /// </summary>
    /// <param name="name">The weight's name, unique in the layer (<c>kernel</c>).</param>
    /// <param name="shape">The weight's shape.</param>
    /// <param name="initializer">Keras's initializer name.</param>
    /// <param name="trainable">False for a weight training does not change (a running statistic).</param>
    /// <returns>The handle that stands for the weight in <see cref="Call(Var, bool)"/>.</returns>
    /// <exception cref="ArgumentException">An empty or repeated name, a dimension that is not positive, an unknown initializer.</exception>
    /// <exception cref="InvalidOperationException">Called outside Build.</exception>
    protected LayerWeight AddWeight(string name, int[] shape, string initializer = "glorot_uniform", bool trainable = true) =>
        AddWeight(name, shape, InitializerNamed(initializer), trainable);

    /// <summary>Declares a weight with an initializer object (<see cref="AddWeight(string, int[], string, bool)"/>).</summary>
    /// <exception cref="ArgumentException">An empty or repeated name, or a dimension that is not positive.</exception>
    /// <exception cref="InvalidOperationException">Called outside Build.</exception>
    protected LayerWeight AddWeight(string name, int[] shape, Initializer initializer, bool trainable = true)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(initializer);
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException($"Layer \"{Name}\" ({ClassName}): a weight needs a name (AddWeight(\"kernel\", …)).", nameof(name));
        if (shape.Any(d => d <= 0))
            throw new ArgumentException($"Layer \"{Name}\" ({ClassName}): weight '{name}' must have positive dimensions, but received shape ({string.Join(", ", shape)}).", nameof(shape));
        return code.Declare(name, Shape.Known(shape), initializer, trainable);
    }

    /// <summary>Keras's initializer names that AddWeight takes.</summary>
    private Initializer InitializerNamed(string initializer) => Names.SnakeCase(initializer ?? throw new ArgumentNullException(nameof(initializer))) switch
    {
        "glorot_uniform" => new GlorotUniform(),
        "zeros" => Constant.Zeros,
        "ones" => Constant.Ones,
        _ => throw new ArgumentException($"Layer \"{Name}\" ({ClassName}): unknown initializer '{initializer}'. Known: glorot_uniform, zeros, ones; or pass an Initializer object.", nameof(initializer)),
    };

    /// <summary>The var <paramref name="weight"/> has in the innermost call of this layer running on this thread.</summary>
    internal Var Bound(LayerWeight weight)
    {
        if (bindings is { } calls)
            for (int i = calls.Count - 1; i >= 0; i--)
                if (ReferenceEquals(calls[i].Layer, this))
                    return calls[i].Weights[weight.Index];
        throw new InvalidOperationException($"Weight '{weight.Name}' of layer \"{Name}\" ({ClassName}) is a var only while the layer's Call runs; " +
            "outside it, read its value with .Value.");
    }

    /// <summary>
    /// The layer kind of custom class <typeparamref name="T"/> for saving and loading (register it with
    /// <c>Saving.RegisterKerasSerializable</c>, Keras's <c>register_keras_serializable</c>, or pass it to one
    /// load as a custom object): a saved layer stores its class name, <see cref="GetConfig"/> (with
    /// <c>name</c> and <c>trainable</c>) and its weights; loading calls <paramref name="fromConfig"/> on that
    /// config (Keras's <c>from_config</c>) and fills the new layer's weights from the file.
    /// </summary>
    /// <typeparam name="T">The custom layer class; its .NET name is the class name in files.</typeparam>
    /// <param name="fromConfig">Makes the layer from its saved config (the keys <see cref="GetConfig"/> wrote, and <c>name</c>, <c>trainable</c>).</param>
    /// <example><code>Saving.RegisterKerasSerializable(CustomLayer.Kind&lt;MyDense&gt;(config => new MyDense((int)config["units"]!)));</code></example>
    public static LayerKind Kind<T>(Func<JsonObject, T> fromConfig) where T : CustomLayer
    {
        ArgumentNullException.ThrowIfNull(fromConfig);
        string className = typeof(T).Name;
        return LayerKind.Of<UserLayer>(className,
            (c, id, name) =>
            {
                CustomLayer made;
                try
                {
                    made = Construct(name, () => fromConfig((JsonObject)c.Object.DeepClone()));
                }
                catch (Exception e) when (e is ArgumentException or InvalidCastException or NullReferenceException or FormatException or InvalidOperationException)
                {
                    throw new ModelFormatError($"{c.Where}: the factory registered for class {className} could not make layer \"{name}\" from its config {c.Object.ToJsonString()}: {e.Message}", e);
                }
                if (made.GetType() != typeof(T))
                    throw new ModelFormatError($"{c.Where}: the factory registered for class {className} made a {made.GetType().Name}.");
                return (UserLayer)made.Record with { Id = id, Name = name };
            },
            layer => JsonNode.Parse(layer.Config) as JsonObject ?? throw new ModelFormatError(
                $"Layer \"{layer.Name}\" ({layer.ClassName}): GetConfig gave {layer.Config}, not a JSON object."));
    }

    /// <summary>
    /// Makes a layer for a loader: the layer <paramref name="make"/> constructs takes
    /// <paramref name="name"/> rather than drawing an automatic one.
    /// </summary>
    internal static CustomLayer Construct(string name, Func<CustomLayer> make)
    {
        loadingName = name;
        try
        {
            return make() ?? throw new InvalidOperationException($"The factory of a custom layer returned null for layer \"{name}\".");
        }
        finally
        {
            loadingName = null;
        }
    }

    /// <summary>
    /// For a loader: when <paramref name="record"/> is a custom layer's (made by its registered factory), that
    /// layer object, now holding the record's configuration and weights, is its handle (so
    /// <c>model.Layers</c> holds the user's class); null for any other record.
    /// </summary>
    internal static CustomLayer? Rebound(Core.Layer record)
    {
        if (record is not UserLayer { Code: Code c } user) return null;
        c.Owner.Adopt(user with { Id = c.Owner.Record.Id });
        return c.Owner;
    }

    /// <summary>The user's code as Core sees it: class, config, declared weights, computation.</summary>
    private sealed class Code(CustomLayer owner) : ILayerCode
    {
        private readonly Lock gate = new();
        private List<WeightSpec>? building;
        private IReadOnlyList<WeightSpec>? declared;
        private readonly List<LayerWeight> handles = [];

        public CustomLayer Owner { get; } = owner;

        public string ClassName => Owner.GetType().Name;

        public string Config => (Owner.GetConfig() ?? new JsonObject()).ToJsonString();

        public IReadOnlyList<WeightSpec>? Declared => declared;

        public IReadOnlyList<WeightSpec> Build(IReadOnlyList<Shape> inputs)
        {
            lock (gate)
            {
                if (declared is not null) return declared;
                building = [];
                handles.Clear();
                try
                {
                    Owner.Build(inputs);
                    declared = building.ToArray();
                    return declared;
                }
                finally
                {
                    building = null;
                }
            }
        }

        public LayerWeight Declare(string name, Shape shape, Initializer initializer, bool trainable)
        {
            lock (gate)
            {
                if (building is null)
                    throw new InvalidOperationException($"Layer \"{Owner.Name}\" ({ClassName}): AddWeight(\"{name}\") is called from Build only (Keras's add_weight in build), not from {(declared is null ? "the constructor" : "a call after the layer was built")}.");
                if (building.Any(s => s.Role == name))
                    throw new ArgumentException($"Layer \"{Owner.Name}\" ({ClassName}) already has a weight named '{name}'; weight names are unique in a layer.", nameof(name));
                building.Add(new WeightSpec(name, shape, trainable, initializer));
                var handle = new LayerWeight(Owner, building.Count - 1, name, shape, trainable);
                handles.Add(handle);
                return handle;
            }
        }

        public IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
        {
            var calls = bindings ??= [];
            calls.Add((Owner, call.Weights));
            try
            {
                return [Owner.Call(inputs, call.Training)];
            }
            finally
            {
                calls.RemoveAt(calls.Count - 1);
            }
        }
    }
}

/// <summary>
/// A weight of a <see cref="CustomLayer"/>, as <c>AddWeight</c> returns it (Keras's variable):
/// inside the layer's <c>Call</c> it stands for the weight's var on the call's tape, so it takes part
/// in ops directly (<c>Ops.MatMul(x, kernel) + bias</c>; in F#, <c>kernel.Var</c>).
/// </summary>
public sealed class LayerWeight
{
    private readonly CustomLayer layer;

    internal LayerWeight(CustomLayer layer, int index, string name, Shape shape, bool trainable) =>
        (this.layer, Index, Name, Shape, Trainable) = (layer, index, name, shape, trainable);

    /// <summary>Position among the layer's weights (declaration order).</summary>
    internal int Index { get; }

    /// <summary>The weight's name in the layer (<c>kernel</c>).</summary>
    public string Name { get; }

    /// <summary>The weight's shape.</summary>
    public Shape Shape { get; }

    /// <summary>False for a weight training does not change.</summary>
    public bool Trainable { get; }

    /// <summary>The weight's var in the layer's running call.</summary>
    /// <exception cref="InvalidOperationException">The layer's Call is not running on this thread.</exception>
    public Var Var => layer.Bound(this);

    /// <summary>The weight's current value (from the layer's record, which training replaces).</summary>
    public Tensor Value => layer.Record.Weights[Index].Value;

    /// <summary>The weight's var in the layer's running call (<see cref="Var"/>).</summary>
    public static implicit operator Var(LayerWeight weight) => (weight ?? throw new ArgumentNullException(nameof(weight))).Var;

    /// <summary><c>kernel</c> (shape).</summary>
    public override string ToString() => $"{Name} {Shape}";
}
