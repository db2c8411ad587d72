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
    public override void Backward(ForwardContext context, BackwardArgs args) => Planar.Backward(context, ViewedCall.Of(args, Planar4));

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
