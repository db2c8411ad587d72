using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>SeparableConv2D</c>: a depthwise correlation (as <see cref="DepthwiseConv2D"/>, with
/// the strides, padding and dilation, without bias) followed by a 1×1 convolution to
/// <see cref="Filters"/> channels, + bias, activation. Input (batch, h, w, c) → (batch, h', w', filters).
/// Weights: depthwise_kernel (kh, kw, c, M), pointwise_kernel (1, 1, c·M, filters), bias (filters).
/// </summary>
public sealed record SeparableConv2D : SpatialConv
{
    /// <summary>A separable convolution to <paramref name="filters"/> channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public SeparableConv2D(int filters, (int H, int W) kernelSize, (int H, int W)? strides = null, Padding? padding = null, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, (int H, int W)? dilationRate = null)
        : base(kernelSize, strides, padding, activation, useBias, dilationRate)
    {
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
        DepthMultiplier = depthMultiplier > 0 ? depthMultiplier : throw InvalidArgument("depth_multiplier", "a positive integer", depthMultiplier);
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Depthwise output channels per input channel (M).</summary>
    public int DepthMultiplier { get; }

    /// <inheritdoc/>
    public override string ClassName => "SeparableConv2D";

    /// <summary>The depthwise kernel, (kh, kw, c, M); null until built.</summary>
    public Tensor? DepthwiseKernel => IsBuilt ? WeightNamed("depthwise_kernel") : null;

    /// <summary>The pointwise kernel, (1, 1, c·M, filters); null until built.</summary>
    public Tensor? PointwiseKernel => IsBuilt ? WeightNamed("pointwise_kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("depthwise_kernel", true), ("pointwise_kernel", true), ("bias", true)] : [("depthwise_kernel", true), ("pointwise_kernel", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedImage(inputs);
        Fits(CorrelationOutput(x, DepthwiseChannels(x[3]!.Value, DepthMultiplier)), "a depthwise output");
        return [CorrelationOutput(x, Filters)];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int c = inputs[0][3]!.Value;
        var depthwise = new WeightSpec("depthwise_kernel", Shape.Known(KernelSize.H, KernelSize.W, c, DepthMultiplier), true, new GlorotUniform());
        var pointwise = new WeightSpec("pointwise_kernel", Shape.Known(1, 1, c * DepthMultiplier, Filters), true, new GlorotUniform());
        return UseBias ? [depthwise, pointwise, new WeightSpec("bias", Shape.Known(Filters), true, Constant.Zeros)] : [depthwise, pointwise];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs) => CheckChannels(inputs, DepthwiseKernel!.Shape[2]!.Value);

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var middle = Depthwise(context, inputs[0]);
        try
        {
            Pointwise(context, middle.Data, outputs[0]);
            Activate.InPlace(Activation, outputs[0].Data, Filters);
        }
        finally
        {
            context.Pool.Return(middle.Data);
        }
    }

    /// <summary>The depthwise step's output (batch, h', w', c·M), in a rented buffer.</summary>
    private Tensor Depthwise(ForwardContext context, Tensor input)
    {
        var g = WindowOver(input.Shape);
        var middle = context.Pool.RentTensor(Shape.Known(g.Batch, g.OH, g.OW, g.C * DepthMultiplier));
        Core.Depthwise.Forward(context, input, g, DepthMultiplier, DepthwiseKernel!.Data, null, middle.Data);
        return middle;
    }

    /// <summary>y = middle · pointwise + bias (before the activation).</summary>
    private void Pointwise(ForwardContext context, float[] middle, Tensor output)
    {
        int rows = output.Length / Filters, k = PointwiseKernel!.Shape[2]!.Value;
        context.Gemm.Sgemm(false, false, rows, Filters, k, 1f, middle.AsSpan(0, rows * k), k, PointwiseKernel.Span, Filters, 0f, output.Data, Filters);
        if (Bias is { } bias) Numerics.Bias.AddToRows(output.Data, bias.Span);
    }

    /// <summary>Like <see cref="Forward"/>, keeping the depthwise output and, when the activation's derivative needs it, the pre-activation.</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var middle = Depthwise(context, inputs[0]);
        Pointwise(context, middle.Data, outputs[0]);
        if (!ActivationGrad.NeedsInput(Activation))
        {
            Activate.InPlace(Activation, outputs[0].Data, Filters);
            return [middle];
        }
        var z = context.Pool.RentTensor(outputs[0].Shape);
        outputs[0].Span.CopyTo(z.Data);
        Activate.InPlace(Activation, outputs[0].Data, Filters);
        return [middle, z];
    }

    /// <summary>
    /// dZ = dY ⊙ activation′; db += Σ dZ; dPointwise += middleᵀ·dZ; dMiddle = dZ·pointwiseᵀ;
    /// then the depthwise step's gradients from dMiddle.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var input = args.Inputs[0];
        var middle = args.Saved[0];
        var dy = args.OutputGrads[0];
        if (Activation != ActivationFunction.Linear)
            ActivationGrad.Backward(Activation, args.Saved.Count > 1 ? args.Saved[1].Span : default, args.Outputs[0].Span, dy.Span, dy.Data, Filters);
        var dz = dy.Data;
        if (UseBias && args.ParamGrads[2] is { } db) Numerics.Bias.AddColumnSums(dz, db.Data);
        int rows = dz.Length / Filters, k = middle.Shape[3]!.Value;
        if (args.ParamGrads[1] is { } dP)
            context.Gemm.Sgemm(true, false, k, Filters, rows, 1f, middle.Span, k, dz, Filters, 1f, dP.Data, Filters);
        if (args.InputGrads[0] is null && args.ParamGrads[0] is null) return;
        var dMiddle = context.Pool.Rent(middle.Length);
        try
        {
            context.Gemm.Sgemm(false, true, rows, k, Filters, 1f, dz, Filters, PointwiseKernel!.Span, Filters, 0f, dMiddle, k);
            Core.Depthwise.Backward(context, input, WindowOver(input.Shape), DepthMultiplier, DepthwiseKernel!.Data, dMiddle, args.InputGrads[0]?.Data, args.ParamGrads[0]?.Data);
        }
        finally
        {
            context.Pool.Return(dMiddle);
        }
    }

    /// <summary>
    /// Keras's <c>SeparableConv2D</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>,
    /// <c>dilation_rate</c>, <c>depth_multiplier</c> (1 when absent, as Keras's default; TF.js 4.22 does not write it),
    /// <c>activation</c>, <c>use_bias</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<SeparableConv2D>("SeparableConv2D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new SeparableConv2D(c.Int("filters"), c.Pair("kernel_size"), c.OptionalPair("strides"), Padding.Parse(c.OptionalString("padding", "valid")!), c.Int("depth_multiplier", 1),
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), c.OptionalPair("dilation_rate")) { Id = id, Name = name };
        },
        s =>
        {
            var config = CommonConfig(s, new JsonObject { ["filters"] = s.Filters });
            config["depth_multiplier"] = s.DepthMultiplier;
            config["depthwise_initializer"] = LayerConfig.GlorotUniform();
            config["pointwise_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return NoRegularizers(config, "depthwise", "pointwise", "bias");
        });
}
