using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv2DTranspose</c>: the transpose (input gradient) of a Conv2D whose input has
/// this layer's output shape. Per spatial axis with input n, kernel k (dilated: (k − 1)·d + 1),
/// stride s and <c>output_padding</c> q: without q, <c>valid</c> n·s + max(k − s, 0), <c>same</c>
/// n·s; with q, (n − 1)·s + k − 2·⌊k/2⌋ + q (<c>same</c>) or (n − 1)·s + k + q (<c>valid</c>).
/// The padding before is TensorFlow's: ⌊max((n − 1)·s + k − out, 0)/2⌋ for <c>same</c>, 0 for <c>valid</c>.
/// Weights: kernel (kh, kw, filters, in_channels) — output channels before input, unlike Conv2D — and bias (filters).
/// Runs as GEMM + col2im (forward) and im2col + GEMM (backward), in tiles of input pixels.
/// </summary>
public sealed record Conv2DTranspose : SpatialConv
{
    /// <summary>A transposed 2-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range: an output padding must be smaller than its stride.</exception>
    public Conv2DTranspose(int filters, (int H, int W) kernelSize, (int H, int W)? strides = null, Padding? padding = null, (int H, int W)? outputPadding = null,
        ActivationFunction? activation = null, bool useBias = true, (int H, int W)? dilationRate = null)
        : base(kernelSize, strides, padding, activation, useBias, dilationRate)
    {
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
        OutputPadding = outputPadding;
        if (outputPadding is { } q && (q.H < 0 || q.W < 0 || q.H >= Strides.H || q.W >= Strides.W))
            throw new ArgumentException($"Strides must be greater than output padding. Received strides={Strides}, output_padding={q}.");
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Extra rows and columns at the end of the output (each smaller than its stride); null (Keras's None) for the default lengths.</summary>
    public (int H, int W)? OutputPadding { get; }

    /// <inheritdoc/>
    public override string ClassName => "Conv2DTranspose";

    /// <summary>The kernel, (kh, kw, filters, in_channels); null until built.</summary>
    public Tensor? Kernel => IsBuilt ? WeightNamed("kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    /// <summary>Keras's <c>deconv_output_length</c> along one axis; null when the input length is unknown.</summary>
    private long? OutputLength(int? n, int kernel, int stride, int dilation, int? outputPadding)
    {
        if (n is not int len) return null;
        long k = Padding2D.EffectiveSize(kernel, dilation);
        if (outputPadding is not int q)
            return Padding == Padding.Valid ? (long)len * stride + Math.Max(k - stride, 0) : (long)len * stride;
        long pad = Padding == Padding.Same ? k / 2 : 0;
        return (long)(len - 1) * stride + k - 2 * pad + q;
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedImage(inputs);
        long? h = OutputLength(x[1], KernelSize.H, Strides.H, DilationRate.H, OutputPadding?.H);
        long? w = OutputLength(x[2], KernelSize.W, Strides.W, DilationRate.W, OutputPadding?.W);
        if (h > int.MaxValue / 2 || w > int.MaxValue / 2)
            throw Error($"would produce an output of {h}x{w} cells from input shape {x}: more than a tensor axis can hold.");
        if (h <= 0 || w <= 0)
            throw Error($"would produce an empty output ({h}x{w}) from input shape {x} with kernel_size={KernelSize}, strides={Strides}, padding=\"{Padding}\", output_padding={OutputPadding}.");
        return [Fits(Shape.Of(x[0], (int?)h, (int?)w, Filters))];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int cin = inputs[0][3]!.Value;
        var kernel = new WeightSpec("kernel", Shape.Known(KernelSize.H, KernelSize.W, Filters, cin), true, new GlorotUniform());
        return UseBias ? [kernel, new WeightSpec("bias", Shape.Known(Filters), true, Constant.Zeros)] : [kernel];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs) => CheckChannels(inputs, Kernel!.Shape[3]!.Value);

    /// <summary>
    /// The window of the Conv2D this layer transposes: it slides over this layer's output (filters
    /// channels) and its output pixels are this layer's input pixels.
    /// </summary>
    private Window2D Window(Shape input, Shape output)
    {
        int n = input[0]!.Value, h = input[1]!.Value, w = input[2]!.Value, oh = output[1]!.Value, ow = output[2]!.Value;
        int dh = KernelSize.H == 1 ? 1 : DilationRate.H, dw = KernelSize.W == 1 ? 1 : DilationRate.W;
        long kh = Padding2D.EffectiveSize(KernelSize.H, dh), kw = Padding2D.EffectiveSize(KernelSize.W, dw);
        long top = Padding == Padding.Same ? Math.Max((long)(h - 1) * Strides.H + kh - oh, 0) / 2 : 0;
        long left = Padding == Padding.Same ? Math.Max((long)(w - 1) * Strides.W + kw - ow, 0) / 2 : 0;
        var g = new Window2D(n, oh, ow, Filters, KernelSize.H, KernelSize.W, Strides.H, Strides.W, dh, dw, (int)top, (int)left, h, w);
        g.Validate((long)n * oh * ow * Filters, (long)n * h * w * input[3]!.Value, input[3]!.Value);
        return g;
    }

    /// <summary>Input pixels per tile: as many as keep the patch-gradient matrix within <see cref="Conv2D.Im2ColBudget"/> floats.</summary>
    private static int Tile(in Window2D g) => Math.Clamp(Conv2D.Im2ColBudget / g.PatchSize, 1, Math.Max(1, g.Rows));

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Compute(context, inputs[0], outputs[0], Activation);

    /// <summary>cols = x · kernelᵀ (each input pixel's patch of the output), scattered onto the output by col2im; + bias, activation.</summary>
    private void Compute(ForwardContext context, Tensor input, Tensor output, ActivationFunction activation)
    {
        var g = Window(input.Shape, output.Shape);
        int cin = input.Shape[3]!.Value, k = g.PatchSize;
        var y = output.Data;
        y.AsSpan().Clear();
        int tile = Tile(g);
        var cols = context.Pool.Rent(tile * k);
        try
        {
            for (int start = 0; start < g.Rows; start += tile)
            {
                int rows = Math.Min(tile, g.Rows - start);
                context.Gemm.Sgemm(false, true, rows, k, cin, 1f, input.Span.Slice(start * cin, rows * cin), cin, Kernel!.Span, cin, 0f, cols.AsSpan(0, rows * k), k);
                ConvGrad.Col2Im(cols.AsSpan(0, rows * k), g, start, rows, y);
            }
        }
        finally
        {
            context.Pool.Return(cols);
        }
        if (Bias is { } bias) Numerics.Bias.AddToRows(y, bias.Span);
        Activate.InPlace(activation, y, Filters);
    }

    /// <summary>Like <see cref="Forward"/>; saves the pre-activation when the activation's derivative needs it (swish, gelu).</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        FusedActivation.ForwardTrain(Activation, context, outputs[0], Filters,
            () => Compute(context, inputs[0], outputs[0], Activation), () => Compute(context, inputs[0], outputs[0], ActivationFunction.Linear));

    /// <summary>
    /// dZ = dY ⊙ activation′; db += Σ dZ; per tile of input pixels, cols = im2col(dZ) (the
    /// transposed Conv2D's forward pass): dX += cols · kernel, dKernel += colsᵀ · x.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var input = args.Inputs[0];
        var g = Window(input.Shape, args.Outputs[0].Shape);
        var dz = PreActivationGradient(Activation, args, Filters, UseBias ? args.ParamGrads[1] : null);
        var (dX, dW) = (args.InputGrads[0], args.ParamGrads[0]);
        if (dX is null && dW is null) return;
        int cin = input.Shape[3]!.Value, k = g.PatchSize;
        int tile = Tile(g);
        var cols = context.Pool.Rent(tile * k);
        try
        {
            for (int start = 0; start < g.Rows; start += tile)
            {
                int rows = Math.Min(tile, g.Rows - start);
                var c = cols.AsSpan(0, rows * k);
                Spatial.Im2Col(dz, g, start, rows, c);
                if (dX is not null)
                    context.Gemm.Sgemm(false, false, rows, cin, k, 1f, c, k, Kernel!.Span, cin, 1f, dX.Data.AsSpan(start * cin, rows * cin), cin);
                if (dW is not null)
                    context.Gemm.Sgemm(true, false, k, cin, rows, 1f, c, k, input.Span.Slice(start * cin, rows * cin), cin, 1f, dW.Data, cin);
            }
        }
        finally
        {
            context.Pool.Return(cols);
        }
    }

    /// <summary>
    /// Keras's <c>Conv2DTranspose</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>,
    /// <c>output_padding</c> (null or a pair), <c>dilation_rate</c>, <c>activation</c>, <c>use_bias</c>; channels-last only.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Conv2DTranspose>("Conv2DTranspose",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new Conv2DTranspose(c.Int("filters"), c.Pair("kernel_size"), c.OptionalPair("strides"), Padding.Parse(c.OptionalString("padding", "valid")!),
                c.OptionalPair("output_padding"), ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), c.OptionalPair("dilation_rate")) { Id = id, Name = name };
        },
        t =>
        {
            var config = CommonConfig(t, new JsonObject { ["filters"] = t.Filters });
            config["output_padding"] = t.OutputPadding is { } q ? LayerConfig.Pair(q) : null;
            config["kernel_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return NoRegularizers(config, "kernel", "bias");
        });
}
