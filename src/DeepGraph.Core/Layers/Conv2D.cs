using System.Text.Json.Nodes;
using DeepGraph.Numerics;
using System.Numerics.Tensors;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv2D</c> (channels-last cross-correlation). Input (batch, h, w, cin) → output
/// (batch, h', w', filters) with, per spatial axis, <c>valid</c>: ⌊(n − k_eff)/s⌋ + 1 and
/// <c>same</c>: ⌈n/s⌉, where k_eff = (k − 1)·dilation + 1. Weights: kernel (kh, kw, cin, filters), bias (filters).
/// </summary>
public sealed record Conv2D : SpatialConv
{
    /// <summary>A 2-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range or the activation is unknown.</exception>
    public Conv2D(int filters, (int H, int W) kernelSize, (int H, int W)? strides = null, Padding? padding = null,
        ActivationFunction? activation = null, bool useBias = true, (int H, int W)? dilationRate = null)
        : base(kernelSize, strides, padding, activation, useBias, dilationRate)
    {
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <inheritdoc/>
    public override string ClassName => "Conv2D";

    /// <summary>The kernel, (kh, kw, cin, filters); null until built.</summary>
    public Tensor? Kernel => IsBuilt ? WeightNamed("kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs) => [CorrelationOutput(CheckedImage(inputs), Filters)];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int cin = inputs[0][3]!.Value;
        var kernel = new WeightSpec("kernel", Shape.Known(KernelSize.H, KernelSize.W, cin, Filters), true, new GlorotUniform());
        return UseBias ? [kernel, new WeightSpec("bias", Shape.Known(Filters), true, Constant.Zeros)] : [kernel];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs) => CheckChannels(inputs, Kernel!.Shape[2]!.Value);

    /// <summary>
    /// im2col + GEMM with the Keras kernel layout (kh·kw·cin, filters), over tiles of output
    /// pixels so the patch matrix stays under <see cref="Im2ColBudget"/> floats; a pointwise
    /// (1×1, stride 1) convolution multiplies the input directly.
    /// </summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Compute(context, inputs[0], outputs[0], Activation);

    private void Compute(ForwardContext context, Tensor input, Tensor output, ActivationFunction activation)
    {
        var g = Window2D.Of(input.Shape, KernelSize, Strides, DilationRate, Padding);
        var kernel = Kernel!.Span;
        var x = input.Span;
        var y = output.Data.AsSpan();
        int k = g.PatchSize;
        if (UseDirect(g, context))
        {
            bool relu = activation == ActivationFunction.Relu;
            DirectConv.Run(x, g, kernel, Bias is { } b ? b.Span : default, Filters, y, context.Threads, relu);
            if (!relu) Activate.InPlace(activation, y, Filters);
            return;
        }
        if (g.IsPointwise && PointwiseGemm.Applies(k, Filters))
        {
            PointwiseGemm.Run(input.Data, g.Rows, k, Kernel.Data, Filters, output.Data, context.Threads, accumulate: false);
        }
        else if (g.IsPointwise)
        {
            context.Gemm.Sgemm(false, false, g.Rows, Filters, k, 1f, x, k, kernel, Filters, 0f, y, Filters);
        }
        else
        {
            int tile = Tile(g);
            var cols = context.Pool.Rent(tile * k);
            try
            {
                for (int start = 0; start < g.Rows; start += tile)
                {
                    int rows = Math.Min(tile, g.Rows - start);
                    Spatial.Im2Col(x, g, start, rows, cols);
                    context.Gemm.Sgemm(false, false, rows, Filters, k, 1f, cols.AsSpan(0, rows * k), k, kernel, Filters, 0f, y.Slice(start * Filters, rows * Filters), Filters);
                }
            }
            finally
            {
                context.Pool.Return(cols);
            }
        }
        if (Bias is { } bias) Numerics.Bias.AddToRows(y, bias.Span);
        Activate.InPlace(activation, y, Filters);
    }

    /// <summary>
    /// Whether a call on an input of shape <paramref name="input"/> whose output only a max pooling
    /// reads may run fused with it (<see cref="ForwardThroughMaxPool"/>), in training or inference:
    /// the implicit-GEMM kernel runs here, the activation's derivative is written in its output
    /// (so that in training the pooling can apply it), and the batch splits over the threads by images.
    /// </summary>
    internal bool FusesWith(Shape input, ForwardContext context)
    {
        var g = Window2D.Of(input, KernelSize, Strides, DilationRate, Padding);
        return UseDirect(g, context) && MaxPoolArgmax.IsSupported && Activation != ActivationFunction.Softmax && !ActivationGrad.NeedsInput(Activation)
            && g.Batch >= 2 * Math.Max(1, context.Threads);
    }

    /// <summary>
    /// This convolution and the max pooling <paramref name="pool"/> after it in one pass over the
    /// images: each thread convolves a few images at a time into a scratch tile that stays in cache
    /// and pools the tile into <paramref name="pooled"/>, saving each window's argmax in
    /// <paramref name="argmax"/>; the convolution's output is never written to memory.
    /// </summary>
    internal void ForwardThroughMaxPool(ForwardContext context, Tensor input, MaxPooling2D pool, Tensor pooled, Tensor? argmax)
    {
        var g = Window2D.Of(input.Shape, KernelSize, Strides, DilationRate, Padding);
        var window = pool.WindowOf(Shape.Of(g.Batch, g.OH, g.OW, Filters));
        var packed = DirectConv.Pack(Kernel!.Span, Bias is { } b ? b.Span : default, Filters, g.PatchSize, g.C);
        int inImage = g.H * g.W * g.C, convImage = g.OH * g.OW * Filters, pooledImage = window.OH * window.OW * Filters;
        // Images per tile: as many as keep the tile within 256 KB.
        int tile = Math.Clamp((1 << 16) / convImage, 1, g.Batch);
        bool relu = Activation == ActivationFunction.Relu;
        var (x, y, index, buffers) = (input.Data, pooled.Data, argmax?.Data, context.Pool);
        Spatial.ForImages(g.Batch, context.Threads, (b0, b1) =>
        {
            var scratch = buffers.Rent(tile * convImage);
            try
            {
                for (int b = b0; b < b1; b += tile)
                {
                    int n = Math.Min(tile, b1 - b);
                    var z = scratch.AsSpan(0, n * convImage);
                    DirectConv.Run(x.AsSpan(b * inImage, n * inImage), g with { Batch = n }, packed, Filters, z, 1, relu);
                    if (!relu) Activate.InPlace(Activation, z, Filters);
                    var target = y.AsSpan(b * pooledImage, n * pooledImage);
                    if (index is null) Spatial.Pool(true, z, window with { Batch = n }, target);
                    else MaxPoolArgmax.Forward(z, window with { Batch = n }, target, index.AsSpan(b * pooledImage, n * pooledImage));
                }
            }
            finally
            {
                buffers.Return(scratch);
            }
        });
    }

    /// <summary>
    /// dX for a stride-1 convolution as a convolution itself, on the implicit-GEMM kernel: the
    /// output gradient, padded by the kernel's reach less the forward padding, correlated with
    /// the kernel flipped in space and with its channel axes swapped. No patch matrix is written.
    /// </summary>
    private void InputGradientDirect(ForwardContext context, in Window2D g, ReadOnlySpan<float> dZ, Tensor dX, bool unset)
    {
        int kh = KernelSize.H, kw = KernelSize.W, c = g.C, f = Filters;
        var flipped = context.Pool.Rent(kh * kw * f * c);
        var result = unset ? dX.Data : context.Pool.Rent(dX.Length);
        try
        {
            var w = Kernel!.Span;
            for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                {
                    int from = ((kh - 1 - i) * kw + (kw - 1 - j)) * c * f, to = (i * kw + j) * f * c;
                    for (int ci = 0; ci < c; ci++)
                        for (int fi = 0; fi < f; fi++)
                            flipped[to + fi * c + ci] = w[from + ci * f + fi];
                }
            var back = new Window2D(g.Batch, g.OH, g.OW, f, kh, kw, 1, 1, g.DH, g.DW,
                (kh - 1) * g.DH - g.PadTop, (kw - 1) * g.DW - g.PadLeft, g.H, g.W);
            DirectConv.Run(dZ, back, flipped.AsSpan(0, kh * kw * f * c), default, c, result.AsSpan(0, dX.Length), context.Threads);
            if (!unset) TensorPrimitives.Add(dX.Span, result.AsSpan(0, dX.Length), dX.Data);
        }
        finally
        {
            context.Pool.Return(flipped);
            if (!unset) context.Pool.Return(result);
        }
    }

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    /// <summary>Output pixels per im2col tile: as many as fit <see cref="Im2ColBudget"/>.</summary>
    private static int Tile(in Window2D g) => Math.Clamp(Im2ColBudget / g.PatchSize, 1, g.Rows);

    /// <summary>Like <see cref="Forward"/>; saves the pre-activation when the activation's derivative needs it (swish, gelu).</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        FusedActivation.ForwardTrain(Activation, context, outputs[0], Filters,
            () => Compute(context, inputs[0], outputs[0], Activation), () => Compute(context, inputs[0], outputs[0], ActivationFunction.Linear));

    /// <summary>
    /// dZ = dY ⊙ activation′; then per tile of output pixels, with the same bounded im2col
    /// workspace as the forward pass: dW += colsᵀ·dZ, and dX += col2im(dZ·Wᵀ); db += Σ rows of dZ.
    /// A pointwise convolution multiplies the input and its gradient directly.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args) => Backward(context, args, activationApplied: false);

    /// <summary>
    /// <see cref="Backward(ForwardContext, BackwardArgs)"/>; with <paramref name="activationApplied"/>,
    /// <see cref="BackwardArgs.OutputGrads"/> already have the activation's derivative applied (the
    /// gradient of the pre-activation, as <see cref="Conv2DMaxPool"/> gives it) and the output is not read.
    /// </summary>
    internal void Backward(ForwardContext context, BackwardArgs args, bool activationApplied)
    {
        var input = args.Inputs[0];
        var g = Window2D.Of(input.Shape, KernelSize, Strides, DilationRate, Padding);
        var kernel = Kernel!.Span;
        var x = input.Span;
        int k = g.PatchSize;
        var activation = activationApplied ? ActivationFunction.Linear : Activation;
        if (args.InputGrads[0] is null && args.ParamGrads[0] is { } dWOnly && (activation == ActivationFunction.Relu || activation == ActivationFunction.Linear) && SmallPatchWeightGrad.Applies(g, Filters))
        {
            // A first layer: its input needs no gradient, and its patch is small: one fused pass.
            SmallPatchWeightGrad.Run(x, g, activation == ActivationFunction.Relu ? args.Outputs[0].Span : default, args.OutputGrads[0].Span, activation == ActivationFunction.Relu, Filters, dWOnly.Data,
                UseBias && args.ParamGrads[1] is { } dbOnly ? dbOnly.Data : default, context.Threads);
            return;
        }
        var dbGrad = UseBias ? args.ParamGrads[1] : null;
        Span<float> dZ;
        if (activation == ActivationFunction.Relu && dbGrad is not null && Numerics.Bias.ReluGradientAndColumnSums(args.Outputs[0].Span, args.OutputGrads[0].Data, dbGrad.Data))
        {
            // relu′ and the bias gradient in one pass over the output gradient.
            dZ = args.OutputGrads[0].Data;
            dbGrad = null;
        }
        else
        {
            dZ = FusedActivation.Gradient(activation, args, Filters);
        }
        var dW = args.ParamGrads[0];
        var dX = args.InputGrads[0];
        // The direct stride-1 input gradient and the pointwise kernel write an unset gradient themselves.
        bool pointwiseKernel = g.IsPointwise && PointwiseGemm.Applies(Filters, k);
        if (dX is not null && args.Unset(0) && !(UseDirect(g, context) && Strides == (1, 1)) && !pointwiseKernel) dX.Data.AsSpan().Clear();
        if (dbGrad is not null) Numerics.Bias.AddColumnSums(dZ, dbGrad.Data);
        if (dW is not null && !g.IsPointwise && !context.Im2ColOnly && ImplicitWeightGrad.Applies(g, Filters))
        {
            ImplicitWeightGrad.Run(x, g, dZ, Filters, dW.Data, context.Threads);
            dW = null;
        }
        if (g.IsPointwise)
        {
            if (dW is not null && PointwiseGemm.Applies(k, Filters))
                PointwiseGemm.AddTransposedProduct(input.Data, g.Rows, k, args.OutputGrads[0].Data, Filters, dW.Data, context.Threads);
            else if (dW is not null && context.Threads > 1 && g.Rows >= 2 * 64)
                WeightGradientSplit(context, context.Gemm.SingleThreaded ?? ManagedGemm.Serial, g, x, dZ, dW);
            else if (dW is not null)
                context.Gemm.Sgemm(true, false, k, Filters, g.Rows, 1f, x, k, dZ, Filters, 1f, dW.Data, Filters);
            if (dX is not null && pointwiseKernel)
            {
                // dX += dZ · kernelᵀ with the (small) kernel transposed once.
                var transposed = context.Pool.Rent(k * Filters);
                for (int i = 0; i < k; i++)
                    for (int f = 0; f < Filters; f++) transposed[f * k + i] = kernel[i * Filters + f];
                PointwiseGemm.Run(args.OutputGrads[0].Data, g.Rows, Filters, transposed, k, dX.Data, context.Threads, accumulate: !args.Unset(0));
                context.Pool.Return(transposed);
            }
            else if (dX is not null)
            {
                context.Gemm.Sgemm(false, true, g.Rows, k, Filters, 1f, dZ, Filters, kernel, Filters, 1f, dX.Data, k);
            }
            return;
        }
        if (dX is not null && UseDirect(g, context) && Strides == (1, 1))
        {
            InputGradientDirect(context, g, dZ, dX, args.Unset(0));
            dX = null;
        }
        if (dW is null && dX is null) return;
        if (dX is null && context.Threads > 1 && g.Rows >= 2 * 64)
        {
            // A native BLAS cannot be asked for one thread per call; its parts then run on the managed kernel.
            WeightGradientSplit(context, context.Gemm.SingleThreaded ?? ManagedGemm.Serial, g, x, dZ, dW!);
            return;
        }
        int tile = Tile(g);
        var cols = context.Pool.Rent(tile * k);
        try
        {
            for (int start = 0; start < g.Rows; start += tile)
            {
                int rows = Math.Min(tile, g.Rows - start);
                var dzTile = dZ.Slice(start * Filters, rows * Filters);
                var c = cols.AsSpan(0, rows * k);
                if (dW is not null)
                {
                    Spatial.Im2Col(x, g, start, rows, c);
                    context.Gemm.Sgemm(true, false, k, Filters, rows, 1f, c, k, dzTile, Filters, 1f, dW.Data, Filters);
                }
                if (dX is not null)
                {
                    context.Gemm.Sgemm(false, true, rows, k, Filters, 1f, dzTile, Filters, kernel, Filters, 0f, c, k);
                    ConvGrad.Col2Im(c, g, start, rows, dX.Data);
                }
            }
        }
        finally
        {
            context.Pool.Return(cols);
        }
    }

    /// <summary>
    /// The weight gradients of a call whose output only a non-overlapping max pooling reads and
    /// whose input needs no gradient (a first layer), straight from the pooling's output gradient
    /// <paramref name="pooledGrad"/> (the activation's derivative already applied) and saved argmax:
    /// the convolution's own output gradient is never written. False (nothing done) where the
    /// fused kernel does not apply; the caller then runs the two backward passes.
    /// </summary>
    internal bool WeightGradientsThroughMaxPool(ForwardContext context, Tensor input, in Window2D pool, Tensor pooledGrad, Tensor argmax, IReadOnlyList<Tensor?> paramGrads)
    {
        var g = Window2D.Of(input.Shape, KernelSize, Strides, DilationRate, Padding);
        if (paramGrads[0] is not { } dW || !SmallPatchWeightGrad.Applies(g, Filters) || pool.SH != pool.KH || pool.SW != pool.KW) return false;
        SmallPatchWeightGrad.RunPooled(input.Span, g, pool, pooledGrad.Span, argmax.Span, Filters, dW.Data,
            UseBias && paramGrads[1] is { } db ? db.Data : default, context.Threads);
        return true;
    }

    /// <summary>
    /// dW += colsᵀ·dZ with the output pixels (the product's k dimension, tens of thousands long)
    /// split over the threads: each takes a contiguous range of pixels, writes its own im2col tiles
    /// and multiplies them on one thread into its own partial sum; the partial sums are then added.
    /// A thin product with a long k is what a GEMM parallelises worst over its m and n. A pointwise
    /// convolution multiplies slices of its input directly.
    /// </summary>
    private unsafe void WeightGradientSplit(ForwardContext context, IGemm serial, Window2D g, ReadOnlySpan<float> xSpan, ReadOnlySpan<float> dzSpan, Tensor dW)
    {
        int k = g.PatchSize, threads = Math.Min(context.Threads, g.Rows / 64), f = Filters;
        // Tiles of patches small enough (512 KB) to be read back from L2 by the GEMM that follows their writing.
        int tile = Math.Clamp((1 << 17) / k, 1, Tile(g));
        var partials = new float[threads][];
        var pool = context.Pool;
        fixed (float* xp = xSpan, zp = dzSpan)
        {
            nint xa = (nint)xp, za = (nint)zp;
            int xLength = xSpan.Length, zLength = dzSpan.Length;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                var x = new ReadOnlySpan<float>((float*)xa, xLength);
                var dZ = new ReadOnlySpan<float>((float*)za, zLength);
                int first = (int)((long)g.Rows * t / threads), last = (int)((long)g.Rows * (t + 1) / threads);
                var partial = pool.Rent(k * f);
                var cols = pool.Rent(tile * k);
                float beta = 0f;
                for (int start = first; start < last; start += tile)
                {
                    int rows = Math.Min(tile, last - start);
                    ReadOnlySpan<float> c = cols.AsSpan(0, rows * k);
                    // A pointwise convolution's patches are the input's pixels themselves.
                    if (g.IsPointwise) c = x.Slice(start * k, rows * k);
                    else Spatial.Im2Col(x, g, start, rows, cols.AsSpan(0, rows * k));
                    serial.Sgemm(true, false, k, f, rows, 1f, c, k, dZ.Slice(start * f, rows * f), f, beta, partial.AsSpan(0, k * f), f);
                    beta = 1f;
                }
                pool.Return(cols);
                partials[t] = partial;
            });
        }
        foreach (var partial in partials)
        {
            TensorPrimitives.Add(dW.Span, partial.AsSpan(0, k * f), dW.Data);
            pool.Return(partial);
        }
    }

    /// <summary>
    /// Whether the implicit-GEMM kernel (<see cref="DirectConv"/>) beats im2col + GEMM for this
    /// window: it needs AVX-512, and pays where im2col's GEMM is thin (few input channels per
    /// patch or few filters), measured in bench/RESULTS.md.
    /// </summary>
    private static bool UseDirect(in Window2D g, ForwardContext context) => DirectConv.IsSupported && !g.IsPointwise && !context.Im2ColOnly;

    /// <summary>The most floats the im2col workspace of one call holds (4 MB): enough rows per tile for an efficient GEMM, small enough to stay in cache-friendly, bounded memory.</summary>
    public const int Im2ColBudget = 1 << 20;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>Conv2D</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>, <c>dilation_rate</c>,
    /// <c>activation</c>, <c>use_bias</c>; channels-last and ungrouped only.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Conv2D>("Conv2D",
        (c, id, name) =>
        {
            if (c.Int("groups", 1) != 1) throw c.Error("groups", "1 (grouped convolutions are not supported)");
            c.RequireChannelsLast();
            return new Conv2D(c.Int("filters"), c.Pair("kernel_size"), c.OptionalPair("strides"), Padding.Parse(c.OptionalString("padding", "valid")!),
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), c.OptionalPair("dilation_rate")) { Id = id, Name = name };
        },
        cv => new JsonObject
        {
            ["filters"] = cv.Filters,
            ["kernel_initializer"] = LayerConfig.GlorotUniform(),
            ["kernel_regularizer"] = null,
            ["kernel_constraint"] = null,
            ["kernel_size"] = LayerConfig.Pair(cv.KernelSize),
            ["strides"] = LayerConfig.Pair(cv.Strides),
            ["padding"] = cv.Padding.KerasName,
            ["data_format"] = "channels_last",
            ["dilation_rate"] = LayerConfig.Pair(cv.DilationRate),
            ["activation"] = cv.Activation.KerasName,
            ["use_bias"] = cv.UseBias,
            ["bias_initializer"] = LayerConfig.Initializer("Zeros"),
            ["bias_regularizer"] = null,
            ["activity_regularizer"] = null,
            ["bias_constraint"] = null,
        });
}
