using System.Text.Json.Nodes;
using DeepGraph.Numerics;
namespace DeepGraph.Core;

/// <summary>
/// What MaxPooling2D and AveragePooling2D share (Keras's <c>BasePooling</c>): a
/// <see cref="PoolSize"/> window slid by <see cref="Strides"/> over height and width, channels-last.
/// Input (batch, h, w, c) → output (batch, h', w', c) with, per spatial axis,
/// <c>valid</c>: ⌊(n − k)/s⌋ + 1 and <c>same</c>: ⌈n/s⌉ (<see cref="Padding2D.OutputSize"/>).
/// </summary>
public abstract record Pooling2D : Layer
{
    /// <summary>Validates and stores the window, strides (default: the window) and padding.</summary>
    /// <exception cref="ArgumentException">A size or stride is not positive, or the padding is unknown.</exception>
    protected Pooling2D((int H, int W) poolSize, (int H, int W)? strides, string padding)
    {
        PoolSize = poolSize.H > 0 && poolSize.W > 0 ? poolSize : throw InvalidArgument("pool_size", "positive integers", poolSize);
        Strides = strides ?? poolSize;
        if (Strides.H <= 0 || Strides.W <= 0) throw InvalidArgument("strides", "positive integers", Strides);
        Padding = Padding2D.Normalize(padding);
    }

    /// <summary>Window height and width.</summary>
    public (int H, int W) PoolSize { get; }

    /// <summary>Strides along height and width (Keras's default: the pool size).</summary>
    public (int H, int W) Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        string arguments = $"pool_size={PoolSize}";
        var problem = Padding2D.WindowProblem(x[1], PoolSize.H, 1, "height", arguments) ?? Padding2D.WindowProblem(x[2], PoolSize.W, 1, "width", arguments);
        if (problem is not null) throw Error(problem + $" Input shape {x}.");
        if (Padding == "valid" && (x[1] < PoolSize.H || x[2] < PoolSize.W))
            throw Error($"pool size {PoolSize.H}x{PoolSize.W} is larger than its input {x[1]?.ToString() ?? "None"}x{x[2]?.ToString() ?? "None"} with padding \"valid\": the output would be empty. Input shape {x}.");
        return [Shape.Of(x[0], Padding2D.OutputSize(x[1], PoolSize.H, Strides.H, Padding), Padding2D.OutputSize(x[2], PoolSize.W, Strides.W, Padding), x[3])];
    }

    /// <summary>The pooling window over an input of shape <paramref name="input"/>.</summary>
    internal Window2D WindowOf(Shape input) => Window2D.Of(input, PoolSize, Strides, (1, 1), Padding);

    /// <summary>True for max pooling, false for average pooling.</summary>
    protected abstract bool IsMax { get; }

    /// <summary>Pools each window; padded cells never count.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Spatial.Pool(IsMax, inputs[0].Data, WindowOf(inputs[0].Shape), outputs[0].Data, context.Threads);

    /// <summary>
    /// Like <see cref="Forward"/>; max pooling (where AVX-512 runs it) also saves where each maximum
    /// was, so the backward pass need not read the input again.
    /// </summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (!IsMax || !MaxPoolArgmax.IsSupported) return base.ForwardTrain(context, inputs, outputs);
        var index = context.Pool.RentTensor(outputs[0].Shape);
        MaxPoolArgmax.Forward(inputs[0].Data, WindowOf(inputs[0].Shape), outputs[0].Data, index.Data, context.Threads);
        return [index];
    }

    /// <summary>
    /// Adds each window's output gradient to its input cells: max pooling all of it to the
    /// window's maximum (the first in window order when cells tie, found again from the input),
    /// average pooling an equal share to each cell inside the input.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var x = args.Inputs[0];
        if (args.Saved.Count == 1)
        {
            MaxPoolArgmax.Backward(args.OutputGrads[0].Data, args.Saved[0].Data, WindowOf(x.Shape), dx.Data, context.Threads, args.Unset(0));
            return;
        }
        SpatialGrad.PoolBackward(IsMax, x.Data, args.OutputGrads[0].Data, WindowOf(x.Shape), dx.Data, context.Threads, args.Unset(0));
    }

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>The config keys pooling layers share: <c>pool_size</c> (default 2×2), <c>strides</c> (default the pool size), <c>padding</c>; channels-last only.</summary>
    protected static ((int H, int W) PoolSize, (int H, int W)? Strides, string Padding) ReadWindow(LayerConfig c)
    {
        c.RequireChannelsLast();
        return (c.OptionalPair("pool_size", (2, 2))!.Value, c.OptionalPair("strides"), c.OptionalString("padding", "valid")!);
    }

    /// <summary>The config keys pooling layers share, in TF.js's order.</summary>
    protected JsonObject WriteWindow() => new()
    {
        ["pool_size"] = LayerConfig.Pair(PoolSize),
        ["padding"] = Padding,
        ["strides"] = LayerConfig.Pair(Strides),
        ["data_format"] = "channels_last",
    };
}
