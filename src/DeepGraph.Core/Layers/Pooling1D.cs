using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// What MaxPooling1D and AveragePooling1D share (Keras's <c>BasePooling</c> over one axis): a <see cref="PoolSize"/>
/// window slid by <see cref="Strides"/> along the steps, per feature. Input (batch, steps, features) → output
/// (batch, steps', features) with <c>valid</c>: ⌊(steps − pool)/stride⌋ + 1 and <c>same</c>: ⌈steps/stride⌉; padded
/// cells never count (max ignores them, the average divides by the real cells of the window). Runs the 2-D pooling
/// kernels on the input seen as (batch, 1, steps, features).
/// </summary>
public abstract record Pooling1D : Layer
{
    /// <summary>Validates and stores the window, strides (default: the window) and padding.</summary>
    /// <exception cref="ArgumentException">The size or stride is not positive.</exception>
    protected Pooling1D(int poolSize, int? strides, Padding? padding)
    {
        PoolSize = poolSize > 0 ? poolSize : throw InvalidArgument("pool_size", "a positive integer", poolSize);
        Strides = strides ?? poolSize;
        if (Strides <= 0) throw InvalidArgument("strides", "a positive integer", Strides);
        Padding = padding ?? Padding.Valid;
    }

    /// <summary>The window's length in steps.</summary>
    public int PoolSize { get; }

    /// <summary>The step between windows (Keras's default: the pool size).</summary>
    public int Strides { get; }

    /// <summary><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; }

    /// <summary>The same pooling over (batch, 1, steps, features).</summary>
    protected abstract Pooling2D Planar { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        RequireNonEmpty(x, 1, "steps");
        if (Padding == Padding.Valid && x[1] < PoolSize)
            throw Error($"has pool_size={PoolSize}, larger than its input of {x[1]} steps with padding \"valid\": the output would be empty. Input shape {x}.");
        return [Shape.Of(x[0], Padding2D.OutputSize(x[1], PoolSize, Strides, Padding), x[2])];
    }

    private static Tensor Planar4(Tensor t) => t.View(Shape.Known(t.Shape[0]!.Value, 1, t.Shape[1]!.Value, t.Shape[2]!.Value));

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Planar.Forward(context, [Planar4(inputs[0])], [Planar4(outputs[0])]);

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Planar.ForwardTrain(context, [Planar4(inputs[0])], [Planar4(outputs[0])]);

    /// <summary>The 2-D pooling's backward pass on the same views.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args) =>
        Planar.Backward(context, new BackwardArgs
        {
            Inputs = [Planar4(args.Inputs[0])],
            Outputs = [Planar4(args.Outputs[0])],
            Saved = args.Saved,
            OutputGrads = [Planar4(args.OutputGrads[0])],
            InputGrads = [args.InputGrads[0] is { } dx ? Planar4(dx) : null],
            InputGradsUnset = args.InputGradsUnset,
            ParamGrads = [],
        });

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    /// <summary>The config keys 1-D poolings share: <c>pool_size</c> (default 2), <c>strides</c> (default the pool size), <c>padding</c>; channels-last only.</summary>
    protected static (int PoolSize, int? Strides, Padding Padding) ReadWindow(LayerConfig c)
    {
        c.RequireChannelsLast();
        return (SequenceConfig.IntOrSingle(c, "pool_size", 2)!.Value, SequenceConfig.IntOrSingle(c, "strides", null), Padding.Parse(c.OptionalString("padding", "valid")!));
    }

    /// <summary>The config keys 1-D poolings share, in TF.js's order (sizes as lists of one, as TF.js and Keras write them).</summary>
    protected JsonObject WriteWindow() => new()
    {
        ["pool_size"] = new JsonArray(PoolSize),
        ["padding"] = Padding.KerasName,
        ["strides"] = new JsonArray(Strides),
        ["data_format"] = "channels_last",
    };
}

/// <summary>
/// Keras's <c>MaxPooling1D</c>: the maximum of each window of steps, per feature (see <see cref="Pooling1D"/>).
/// </summary>
/// <example><code>new MaxPooling1D(2) { Id = id, Name = "max_pooling1d" }   // (None, 10, 4) → (None, 5, 4)</code></example>
public sealed record MaxPooling1D : Pooling1D
{
    /// <summary>A max pooling over windows of <paramref name="poolSize"/> steps.</summary>
    /// <param name="poolSize">The window (Keras's default 2).</param>
    /// <param name="strides">The step between windows; null for the pool size.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (the default) or <see cref="Padding.Same"/>.</param>
    /// <exception cref="ArgumentException">The size or stride is not positive.</exception>
    public MaxPooling1D(int poolSize = 2, int? strides = null, Padding? padding = null) : base(poolSize, strides, padding)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "MaxPooling1D";

    /// <inheritdoc/>
    protected override Pooling2D Planar => new MaxPooling2D((1, PoolSize), (1, Strides), Padding) { Id = Id, Name = Name };

    /// <summary>Keras's <c>MaxPooling1D</c> config (<see cref="Pooling1D.ReadWindow"/>).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<MaxPooling1D>("MaxPooling1D",
        (c, id, name) =>
        {
            var (poolSize, strides, padding) = ReadWindow(c);
            return new MaxPooling1D(poolSize, strides, padding) { Id = id, Name = name };
        },
        p => p.WriteWindow());
}

/// <summary>
/// Keras's <c>AveragePooling1D</c>: the mean of each window of steps, per feature; with padding "same" only the
/// steps inside the input count (see <see cref="Pooling1D"/>).
/// </summary>
/// <example><code>new AveragePooling1D(3, 2, Padding.Same) { Id = id, Name = "average_pooling1d" }   // (None, 10, 4) → (None, 5, 4)</code></example>
public sealed record AveragePooling1D : Pooling1D
{
    /// <summary>An average pooling over windows of <paramref name="poolSize"/> steps.</summary>
    /// <param name="poolSize">The window (Keras's default 2).</param>
    /// <param name="strides">The step between windows; null for the pool size.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (the default) or <see cref="Padding.Same"/>.</param>
    /// <exception cref="ArgumentException">The size or stride is not positive.</exception>
    public AveragePooling1D(int poolSize = 2, int? strides = null, Padding? padding = null) : base(poolSize, strides, padding)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "AveragePooling1D";

    /// <inheritdoc/>
    protected override Pooling2D Planar => new AveragePooling2D((1, PoolSize), (1, Strides), Padding) { Id = Id, Name = Name };

    /// <summary>Keras's <c>AveragePooling1D</c> config (<see cref="Pooling1D.ReadWindow"/>).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<AveragePooling1D>("AveragePooling1D",
        (c, id, name) =>
        {
            var (poolSize, strides, padding) = ReadWindow(c);
            return new AveragePooling1D(poolSize, strides, padding) { Id = id, Name = name };
        },
        p => p.WriteWindow());
}
