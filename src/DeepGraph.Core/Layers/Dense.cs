using System.Text.Json.Nodes;
using DeepGraph.Numerics;
using System.Numerics.Tensors;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Dense</c>: <c>y = activation(x · kernel + bias)</c> on the last axis.
/// Input (batch, …, in) → output (batch, …, units). Weights: kernel (in, units), bias (units) when <see cref="UseBias"/>.
/// </summary>
public sealed record Dense : WeightedLayer
{
    /// <summary>A Dense layer of <paramref name="units"/> outputs.</summary>
    /// <exception cref="ArgumentException"><paramref name="units"/> is not positive (or an activation given by name is unknown).</exception>
    public Dense(int units, ActivationFunction? activation = null, bool useBias = true)
    {
        Units = units > 0 ? units : throw InvalidArgument("units", "a positive integer", units);
        Activation = activation ?? ActivationFunction.Linear;
        UseBias = useBias;
    }

    /// <summary>Number of outputs.</summary>
    public int Units { get; }

    /// <summary>The activation applied to the output.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <inheritdoc/>
    public override string ClassName => "Dense";

    /// <summary>An input's mask passes through to the output, as in Keras.</summary>
    public override bool SupportsMasking => true;

    /// <summary>Input features the kernel was built for, once built.</summary>
    public int? InputDim => IsBuilt ? Kernel!.Shape[0] : null;

    /// <summary>The kernel, (in, units); null until built.</summary>
    public Tensor? Kernel => IsBuilt ? WeightNamed("kernel") : null;

    /// <summary>The bias, (units); null until built or without <see cref="UseBias"/>.</summary>
    public Tensor? Bias => IsBuilt && UseBias ? WeightNamed("bias") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 2);
        if (x[-1] is null)
            throw Error($"The last dimension of the inputs to a Dense layer should be defined. Found None. Full input shape received: {x}");
        RequireNonEmpty(x, -1, "features (last axis)");
        return [Fits(x.With(-1, Units))];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int inDim = inputs[0][-1]!.Value;
        var kernel = new WeightSpec("kernel", Shape.Known(inDim, Units), true, new GlorotUniform());
        return UseBias ? [kernel, new WeightSpec("bias", Shape.Known(Units), true, Constant.Zeros)] : [kernel];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        if (inputs[0][-1] != InputDim)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis -1 of input shape to have value {InputDim}, but received input with shape {inputs[0]}");
    }

    /// <summary>
    /// One GEMM over all leading axes: (rows, in) · kernel (in, units), then bias and activation;
    /// a few rows against a large kernel stream it once instead (<see cref="SkinnyGemm"/>).
    /// </summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var kernel = Kernel!;
        int inDim = kernel.Shape[0]!.Value;
        int rows = inputs[0].Length / inDim;
        var y = outputs[0].Data.AsSpan();
        if (SkinnyGemm.Applies(rows, inDim, Units))
            SkinnyGemm.Run(inputs[0].Span, rows, inDim, kernel.Span, Units, y, context.Threads);
        else
            context.Gemm.Sgemm(false, false, rows, Units, inDim, 1f, inputs[0].Span, inDim, kernel.Span, Units, 0f, y, Units);
        if (Bias is { } bias) Numerics.Bias.AddToRows(y, bias.Span);
        Activate.InPlace(Activation, y, Units);
    }

    /// <summary>Like <see cref="Forward"/>; saves the pre-activation when the activation's derivative needs it (swish, gelu).</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        FusedActivation.ForwardTrain(Activation, context, outputs[0], Units, () => Forward(context, inputs, outputs), () => ForwardLinear(context, inputs, outputs));

    private void ForwardLinear(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var kernel = Kernel!;
        int inDim = kernel.Shape[0]!.Value;
        int rows = inputs[0].Length / inDim;
        var y = outputs[0].Data.AsSpan();
        context.Gemm.Sgemm(false, false, rows, Units, inDim, 1f, inputs[0].Span, inDim, kernel.Span, Units, 0f, y, Units);
        if (Bias is { } bias) Numerics.Bias.AddToRows(y, bias.Span);
    }

    /// <summary>dZ = dY ⊙ activation′; dW += xᵀ·dZ; db += Σ rows of dZ; dX += dZ·Wᵀ.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var kernel = Kernel!;
        int inDim = kernel.Shape[0]!.Value;
        var x = args.Inputs[0].Span;
        int rows = x.Length / inDim;
        Span<float> dZ = FusedActivation.Gradient(Activation, args, Units);
        if (args.ParamGrads[0] is { } dW)
            context.Gemm.Sgemm(true, false, inDim, Units, rows, 1f, x, inDim, dZ, Units, 1f, dW.Data, Units);
        if (UseBias && args.ParamGrads[1] is { } db)
            Numerics.Bias.AddColumnSums(dZ, db.Data);
        if (args.InputGrads[0] is { } dX)
            context.Gemm.Sgemm(false, true, rows, inDim, Units, 1f, dZ, Units, kernel.Span, Units, args.Unset(0) ? 0f : 1f, dX.Data, inDim);
    }

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Dense</c> config: <c>units</c>, <c>activation</c>, <c>use_bias</c> (initializers, regularizers and constraints are written as Keras's defaults).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Dense>("Dense",
        (c, id, name) => new Dense(c.Int("units"), ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true)) { Id = id, Name = name },
        d => LayerConfig.WithKernelAndBiasDefaults(new JsonObject
        {
            ["units"] = d.Units,
            ["activation"] = d.Activation.KerasName,
            ["use_bias"] = d.UseBias,
        }));
}
