using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>DepthwiseConv2D</c>: each input channel c correlated with its own
/// <see cref="DepthMultiplier"/> kernels; output channel c·M + m comes from
/// <c>depthwise_kernel[:, :, c, m]</c>. Input (batch, h, w, c) → (batch, h', w', c·M) with
/// Conv2D's padding rule. Weights: depthwise_kernel (kh, kw, c, M), bias (c·M).
/// A kernel layer: direct loops over NHWC, vectorised over the channels (<see cref="DepthwiseConv"/>).
/// </summary>
public sealed record DepthwiseConv2D : SpatialConv
{
    /// <summary>A depthwise convolution with <paramref name="depthMultiplier"/> output channels per input channel.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public DepthwiseConv2D((int H, int W) kernelSize, (int H, int W)? strides = null, Padding? padding = null, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, (int H, int W)? dilationRate = null)
        : base(kernelSize, strides, padding, activation, useBias, dilationRate)
    {
        DepthMultiplier = depthMultiplier > 0 ? depthMultiplier : throw InvalidArgument("depth_multiplier", "a positive integer", depthMultiplier);
    }

    /// <summary>Output channels per input channel (M).</summary>
    public int DepthMultiplier { get; }

    /// <inheritdoc/>
    public override string ClassName => "DepthwiseConv2D";

    /// <summary>The depthwise kernel, (kh, kw, c, M); null until built.</summary>
    public Tensor? DepthwiseKernel => IsBuilt ? WeightNamed("depthwise_kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("depthwise_kernel", true), ("bias", true)] : [("depthwise_kernel", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedImage(inputs);
        return [CorrelationOutput(x, DepthwiseChannels(x[3]!.Value, DepthMultiplier))];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int c = inputs[0][3]!.Value;
        var kernel = new WeightSpec("depthwise_kernel", Shape.Known(KernelSize.H, KernelSize.W, c, DepthMultiplier), true, new GlorotUniform());
        return UseBias ? [kernel, new WeightSpec("bias", Shape.Known(c * DepthMultiplier), true, Constant.Zeros)] : [kernel];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs) => CheckChannels(inputs, DepthwiseKernel!.Shape[2]!.Value);

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Compute(context, inputs[0], outputs[0], Activation);

    private void Compute(ForwardContext context, Tensor input, Tensor output, ActivationFunction activation)
    {
        Depthwise.Forward(context, input, WindowOver(input.Shape), DepthMultiplier, DepthwiseKernel!.Data, Bias?.Data, output.Data);
        Activate.InPlace(activation, output.Data, output.Shape[3]!.Value);
    }

    /// <summary>Like <see cref="Forward"/>; saves the pre-activation when the activation's derivative needs it (swish, gelu).</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        FusedActivation.ForwardTrain(Activation, context, outputs[0], outputs[0].Shape[3]!.Value,
            () => Compute(context, inputs[0], outputs[0], Activation), () => Compute(context, inputs[0], outputs[0], ActivationFunction.Linear));

    /// <summary>dZ = dY ⊙ activation′; db += Σ dZ; then dX and the kernel's gradient in one pass over dZ (<see cref="DepthwiseConv.Backward"/>).</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var input = args.Inputs[0];
        var dz = PreActivationGradient(Activation, args, args.Outputs[0].Shape[3]!.Value, UseBias ? args.ParamGrads[1] : null);
        Depthwise.Backward(context, input, WindowOver(input.Shape), DepthMultiplier, DepthwiseKernel!.Data, dz, args.InputGrads[0]?.Data, args.ParamGrads[0]?.Data);
    }

    /// <summary>
    /// Keras's <c>DepthwiseConv2D</c> config: <c>kernel_size</c>, <c>strides</c>, <c>padding</c>, <c>depth_multiplier</c>,
    /// <c>dilation_rate</c> (applied, as Keras does; TF.js 4.22 ignores it), <c>activation</c>, <c>use_bias</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<DepthwiseConv2D>("DepthwiseConv2D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new DepthwiseConv2D(c.Pair("kernel_size"), c.OptionalPair("strides"), Padding.Parse(c.OptionalString("padding", "valid")!), c.Int("depth_multiplier", 1),
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), c.OptionalPair("dilation_rate")) { Id = id, Name = name };
        },
        d =>
        {
            var config = CommonConfig(d, new JsonObject());
            config["depth_multiplier"] = d.DepthMultiplier;
            config["depthwise_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return NoRegularizers(config, "depthwise", "bias");
        });
}

/// <summary>A depthwise correlation with a depth multiplier, on <see cref="DepthwiseConv"/>: what DepthwiseConv2D and SeparableConv2D run.</summary>
internal static class Depthwise
{
    /// <summary>
    /// y = depthwise(x) + bias; <paramref name="g"/> is the window over x's c channels. With a depth
    /// multiplier M > 1 the kernel (kh, kw, c, M) is a (kh, kw, c·M) kernel over x with each channel repeated M times.
    /// </summary>
    public static void Forward(ForwardContext context, Tensor x, Window2D g, int multiplier, float[] kernel, float[]? bias, float[] y)
    {
        if (multiplier == 1)
        {
            DepthwiseConv.Forward(x.Data, g, kernel, bias, y, context.Threads);
            return;
        }
        var repeated = Repeated(context, x, g.C, multiplier);
        try
        {
            DepthwiseConv.Forward(repeated, g with { C = g.C * multiplier }, kernel, bias, y, context.Threads);
        }
        finally
        {
            context.Pool.Return(repeated);
        }
    }

    /// <summary>dX += and dKernel += the gradients of <see cref="Forward"/> from the output gradient <paramref name="dz"/>; null buffers are not needed.</summary>
    public static void Backward(ForwardContext context, Tensor x, Window2D g, int multiplier, float[] kernel, float[] dz, float[]? dx, float[]? dKernel)
    {
        if (multiplier == 1)
        {
            DepthwiseConv.Backward(x.Data, dz, g, kernel, dx, dKernel, context.Threads);
            return;
        }
        var repeated = Repeated(context, x, g.C, multiplier);
        var dRepeated = dx is null ? null : context.Pool.Rent(repeated.Length);
        try
        {
            dRepeated?.AsSpan().Clear();
            DepthwiseConv.Backward(repeated, dz, g with { C = g.C * multiplier }, kernel, dRepeated, dKernel, context.Threads);
            if (dx is not null) DepthwiseConv.SumRepeats(dRepeated, g.C, multiplier, dx.AsSpan(0, x.Length));
        }
        finally
        {
            context.Pool.Return(repeated);
            if (dRepeated is not null) context.Pool.Return(dRepeated);
        }
    }

    private static float[] Repeated(ForwardContext context, Tensor x, int channels, int multiplier)
    {
        var repeated = context.Pool.Rent(checked(x.Length * multiplier));
        DepthwiseConv.Repeat(x.Span, channels, multiplier, repeated);
        return repeated;
    }
}
