using System.Text.Json.Nodes;
using System.Numerics.Tensors;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>BatchNormalization</c>: normalises each feature along <see cref="Axis"/> to zero
/// mean and unit variance — over the batch in training, with the moving statistics at
/// inference — then scales by gamma and shifts by beta. The output has the shape of the input.
/// Weights, each of shape (C) where C is the input's dimension at <see cref="Axis"/>, in Keras's
/// order: gamma (when <see cref="Scale"/>, trainable, ones), beta (when <see cref="Center"/>,
/// trainable, zeros), moving_mean (non-trainable, zeros), moving_variance (non-trainable, ones).
/// </summary>
/// <example><code>new BatchNormalization() { Id = id, Name = "batch_normalization" }   // (None, 32) → 128 params, 64 non-trainable</code></example>
public sealed record BatchNormalization : WeightedLayer
{
    /// <summary>A batch normalization of the features along <paramref name="axis"/>.</summary>
    /// <param name="axis">The feature axis (negative counts from the end); Keras's default −1, the channels.</param>
    /// <param name="momentum">Weight of the old value in each update of the moving statistics.</param>
    /// <param name="epsilon">Added to the variance before its square root.</param>
    /// <param name="center">Whether a learned offset beta is added.</param>
    /// <param name="scale">Whether a learned factor gamma multiplies.</param>
    public BatchNormalization(int axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true)
    {
        Axis = axis;
        Momentum = momentum;
        Epsilon = epsilon;
        Center = center;
        Scale = scale;
    }

    /// <summary>The feature axis; negative counts from the end.</summary>
    public int Axis { get; }

    /// <summary>Weight of the old value in each update of the moving statistics.</summary>
    public double Momentum { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the layer has the offset beta.</summary>
    public bool Center { get; }

    /// <summary>Whether the layer has the factor gamma.</summary>
    public bool Scale { get; }

    /// <inheritdoc/>
    public override string ClassName => "BatchNormalization";

    /// <summary>An input's mask passes through to the output, as in Keras.</summary>
    public override bool SupportsMasking => true;

    /// <summary>The number of features normalised, once built.</summary>
    public int? Features => IsBuilt ? MovingMean!.Shape[0] : null;

    /// <summary>The learned factor gamma, (C); null until built or without <see cref="Scale"/>.</summary>
    public Tensor? Gamma => IsBuilt && Scale ? WeightNamed("gamma") : null;

    /// <summary>The learned offset beta, (C); null until built or without <see cref="Center"/>.</summary>
    public Tensor? Beta => IsBuilt && Center ? WeightNamed("beta") : null;

    /// <summary>The moving mean used at inference, (C); null until built.</summary>
    public Tensor? MovingMean => IsBuilt ? WeightNamed("moving_mean") : null;

    /// <summary>The moving variance used at inference, (C); null until built.</summary>
    public Tensor? MovingVariance => IsBuilt ? WeightNamed("moving_variance") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
    [
        .. Scale ? [("gamma", true)] : Array.Empty<(string, bool)>(),
        .. Center ? [("beta", true)] : Array.Empty<(string, bool)>(),
        ("moving_mean", false),
        ("moving_variance", false),
    ];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        if (Axis >= x.Rank || Axis < -x.Rank)
            throw Error($"Axis {Axis} is out of bounds for input shape {x}. Received: axis={Axis}");
        if (x[Axis] is null)
            throw Error($"Input has undefined `axis` dimension. Received input with shape {x} and axis={Axis}");
        return [x];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        var features = Shape.Known(inputs[0][Axis]!.Value);
        var ones = Constant.Ones;
        var zeros = Constant.Zeros;
        return
        [
            .. Scale ? [new WeightSpec("gamma", features, true, ones)] : Array.Empty<WeightSpec>(),
            .. Center ? [new WeightSpec("beta", features, true, zeros)] : Array.Empty<WeightSpec>(),
            new WeightSpec("moving_mean", features, false, zeros),
            new WeightSpec("moving_variance", features, false, ones),
        ];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        if (inputs[0][Axis] != Features)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis {Axis} of input shape to have value {Features}, but received input with shape {inputs[0]}");
    }

    /// <summary>
    /// Inference: <c>(x − moving_mean) / sqrt(moving_variance + ε) · γ + β</c> along <see cref="Axis"/>,
    /// folded into one scale and shift per feature.
    /// </summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var (_, features, inner) = Layout(inputs[0].Shape);
        var (gammaWeight, betaWeight, meanWeight, varianceWeight) = Parts();
        ReadOnlySpan<float> gamma = gammaWeight is null ? default : gammaWeight.Span, beta = betaWeight is null ? default : betaWeight.Span;
        ReadOnlySpan<float> mean = meanWeight.Span, variance = varianceWeight.Span;
        var scale = new float[features];
        var shift = new float[features];
        for (int f = 0; f < features; f++)
        {
            double s = (Scale ? gamma[f] : 1.0) / Math.Sqrt(variance[f] + Epsilon);
            scale[f] = (float)s;
            shift[f] = (float)((Center ? beta[f] : 0.0) - mean[f] * s);
        }
        Apply(inputs[0].Span, outputs[0].Data, scale, shift, inner);
    }

    /// <summary>
    /// True when a training pass in <paramref name="context"/> normalises with the batch's own
    /// statistics: training, and neither this layer nor an enclosing model frozen (Keras runs a
    /// frozen BatchNormalization in inference mode).
    /// </summary>
    private bool UsesBatchStatistics(ForwardContext context) => context.Training && Trainable && !context.Frozen;

    /// <summary>
    /// The forward pass of a training step. In training mode (<see cref="ForwardContext.Training"/>,
    /// the layer <see cref="Layer.Trainable"/> and the context not <see cref="ForwardContext.Frozen"/>), normalises
    /// with the batch's per-feature mean and biased variance (over every axis but
    /// <see cref="Axis"/>, accumulated in float64, as Keras 3) and saves them: two tensors of
    /// shape (C), mean then variance, which <see cref="Backward"/> and
    /// <see cref="WithMovingStatistics"/> read. Otherwise runs <see cref="Forward"/> (the moving
    /// statistics) and saves nothing.
    /// </summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (!UsesBatchStatistics(context))
        {
            Forward(context, inputs, outputs);
            return [];
        }
        var (outer, features, inner) = Layout(inputs[0].Shape);
        var x = inputs[0].Span;
        long count = (long)outer * inner;
        var sum = new double[features];
        bool channelsLast = inner == 1 && inputs[0].DType == DType.Float32;
        if (channelsLast) Numerics.ChannelSums.Add(inputs[0].Data, null, null, null, features, sum, default, false, context.Threads);
        else
            for (int o = 0, start = 0; o < outer; o++)
                for (int f = 0; f < features; f++, start += inner)
                {
                    double s = 0;
                    foreach (float v in x.Slice(start, inner)) s += v;
                    sum[f] += s;
                }
        var mean = new double[features];
        for (int f = 0; f < features; f++) mean[f] = sum[f] / count;
        var squares = new double[features];
        if (channelsLast) Numerics.ChannelSums.Add(inputs[0].Data, mean, null, null, features, new double[features], squares, true, context.Threads);
        else
            for (int o = 0, start = 0; o < outer; o++)
                for (int f = 0; f < features; f++, start += inner)
                {
                    double s = 0, m = mean[f];
                    foreach (float v in x.Slice(start, inner)) s += (v - m) * (v - m);
                    squares[f] += s;
                }

        var (gammaWeight, betaWeight, _, _) = Parts();
        ReadOnlySpan<float> gamma = gammaWeight is null ? default : gammaWeight.Span, beta = betaWeight is null ? default : betaWeight.Span;
        var savedMean = context.Pool.RentTensor(Shape.Known(features));
        var savedVariance = context.Pool.RentTensor(Shape.Known(features));
        var scale = new float[features];
        var shift = new float[features];
        for (int f = 0; f < features; f++)
        {
            double variance = squares[f] / count;
            savedMean.Data[f] = (float)mean[f];
            savedVariance.Data[f] = (float)variance;
            double s = (Scale ? gamma[f] : 1.0) / Math.Sqrt(variance + Epsilon);
            scale[f] = (float)s;
            shift[f] = (float)((Center ? beta[f] : 0.0) - mean[f] * s);
        }
        Apply(x, outputs[0].Data, scale, shift, inner);
        return [savedMean, savedVariance];
    }

    /// <summary>
    /// Adds the gradients of the input, gamma and beta (those asked for; the moving statistics
    /// have none). With the batch statistics <see cref="ForwardTrain"/> saved, x̂ = (x − μ)/σ and
    /// over the N values of each feature: dβ = Σ dy, dγ = Σ dy·x̂,
    /// dx = γ/σ · (dy − Σ dy / N − x̂ · Σ dy·x̂ / N). In inference form (nothing saved) the layer
    /// is affine: dx = dy · γ / √(moving_variance + ε).
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var shape = args.Inputs[0].Shape;
        var (outer, features, inner) = Layout(shape);
        var (gammaWeight, _, movingMean, movingVariance) = Parts();
        ReadOnlySpan<float> gamma = gammaWeight is null ? default : gammaWeight.Span;
        bool batch = args.Saved.Count > 0;
        if (batch && (args.Saved.Count != 2 || args.Saved[0].Length != features || args.Saved[1].Length != features))
            throw new ArgumentException($"Layer \"{Name}\": Backward expects the two (mean, variance) tensors of {features} values ForwardTrain saves.", nameof(args));
        var meanSource = batch ? args.Saved[0].Span : movingMean.Span;
        var varianceSource = batch ? args.Saved[1].Span : movingVariance.Span;
        var mean = new double[features];
        var inverseStd = new double[features];
        for (int f = 0; f < features; f++)
        {
            mean[f] = meanSource[f];
            inverseStd[f] = 1.0 / Math.Sqrt(varianceSource[f] + Epsilon);
        }

        int p = 0;
        var gammaGrad = Scale ? ParamGrad(args, p++) : null;
        var betaGrad = Center ? ParamGrad(args, p++) : null;
        var dx = args.InputGrads[0];
        var x = args.Inputs[0].Span;
        var dy = args.OutputGrads[0].Span;

        // Σ dy and Σ dy·x̂ per feature: what dγ and dβ are, and what the batch form of dx subtracts.
        bool needSums = gammaGrad is not null || betaGrad is not null || (batch && dx is not null);
        var sumDy = new double[features];
        var sumDyXhat = new double[features];
        bool channelsLast = inner == 1 && args.Inputs[0].DType == DType.Float32;
        if (needSums && channelsLast)
        {
            Numerics.ChannelSums.Add(args.OutputGrads[0].Data, null, args.Inputs[0].Data, mean, features, sumDy, sumDyXhat, true, context.Threads);
            for (int f = 0; f < features; f++) sumDyXhat[f] *= inverseStd[f];
        }
        else if (needSums)
        {
            for (int o = 0, start = 0; o < outer; o++)
                for (int f = 0; f < features; f++, start += inner)
                {
                    double m = mean[f], sd = 0, sdx = 0;
                    var xs = x.Slice(start, inner);
                    var ds = dy.Slice(start, inner);
                    for (int k = 0; k < xs.Length; k++)
                    {
                        sd += ds[k];
                        sdx += ds[k] * (xs[k] - m);
                    }
                    sumDy[f] += sd;
                    sumDyXhat[f] += sdx * inverseStd[f];
                }
        }
        if (gammaGrad is not null)
            for (int f = 0; f < features; f++) gammaGrad.Data[f] += (float)sumDyXhat[f];
        if (betaGrad is not null)
            for (int f = 0; f < features; f++) betaGrad.Data[f] += (float)sumDy[f];
        if (dx is null) return;

        // dx = a·dy + b·(x − μ) + c per feature (batch form: a = γ/σ, b = −a·Σdy·x̂/(N·σ), c = −a·Σdy/N).
        long count = (long)outer * inner;
        var a = new float[features];
        var b = new float[features];
        var c = new float[features];
        var mu = new float[features];
        for (int f = 0; f < features; f++)
        {
            double g = (Scale ? gamma[f] : 1.0) * inverseStd[f];
            a[f] = (float)g;
            mu[f] = (float)mean[f];
            if (batch)
            {
                b[f] = (float)(-g * sumDyXhat[f] / count * inverseStd[f]);
                c[f] = (float)(-g * sumDy[f] / count);
            }
        }
        if (channelsLast)
        {
            // dx += a·dy + b·x + (c − b·μ), the channels in vector lanes.
            var k = new float[features];
            for (int f = 0; f < features; f++) k[f] = c[f] - b[f] * mu[f];
            Numerics.ChannelSums.AddAffine(args.OutputGrads[0].Data, args.Inputs[0].Data, a, b, k, dx.Data, features, context.Threads);
            return;
        }
        var d = dx.Data.AsSpan();
        for (int o = 0, start = 0; o < outer; o++)
            for (int f = 0; f < features; f++, start += inner)
            {
                var xs = x.Slice(start, inner);
                var ds = dy.Slice(start, inner);
                var dst = d.Slice(start, inner);
                float af = a[f], bf = b[f], cf = c[f], mf = mu[f];
                if (batch)
                    for (int k = 0; k < dst.Length; k++) dst[k] += af * ds[k] + bf * (xs[k] - mf) + cf;
                else
                    TensorPrimitives.MultiplyAdd(ds, af, dst, dst);
            }
    }

    /// <summary>
    /// The layer after one training step's update of its moving statistics, from what
    /// <see cref="ForwardTrain"/> saved: moving_mean ← momentum · moving_mean + (1 − momentum) · batch mean,
    /// and the same for moving_variance with the batch's biased variance (Keras 3). New tensors;
    /// this record's are unchanged. Returns this record itself when the pass ran in inference
    /// form (frozen: nothing saved).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="saved"/> is not what <see cref="ForwardTrain"/> saves for this layer.</exception>
    public BatchNormalization WithMovingStatistics(IReadOnlyList<Tensor> saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        if (saved.Count == 0) return this;
        int? features = Features;
        if (features is null || saved.Count != 2 || saved[0].Length != features || saved[1].Length != features)
            throw new ArgumentException($"Layer \"{Name}\": expected the (mean, variance) tensors of {features} values ForwardTrain saves, got {saved.Count} tensors.", nameof(saved));
        var mean = new float[features.Value];
        var variance = new float[features.Value];
        ReadOnlySpan<float> oldMean = MovingMean!.Span, oldVariance = MovingVariance!.Span, batchMean = saved[0].Span, batchVariance = saved[1].Span;
        for (int f = 0; f < mean.Length; f++)
        {
            mean[f] = (float)(Momentum * oldMean[f] + (1 - Momentum) * batchMean[f]);
            variance[f] = (float)(Momentum * oldVariance[f] + (1 - Momentum) * batchVariance[f]);
        }
        return this with { Params = ParamsWith(("moving_mean", Tensor.Own(mean, MovingMean!.Shape)), ("moving_variance", Tensor.Own(variance, MovingVariance!.Shape))) };
    }

    /// <summary>The update of the moving statistics, <see cref="WithMovingStatistics"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="saved"/> is not what <see cref="ForwardTrain"/> saves for this layer.</exception>
    public override Layer WithState(IReadOnlyList<Tensor> saved) => WithMovingStatistics(saved);

    private static Tensor? ParamGrad(BackwardArgs args, int index) => index < args.ParamGrads.Count ? args.ParamGrads[index] : null;

    /// <summary>The input as (outer, features, inner): the values before the feature axis, along it, and after it.</summary>
    private (int Outer, int Features, int Inner) Layout(Shape shape)
    {
        int axis = shape.Axis(Axis), features = shape[axis]!.Value;
        int inner = (int)shape.Product(axis + 1)!.Value;
        return ((int)(shape.Product(0)!.Value / ((long)features * inner)), features, inner);
    }

    /// <summary>gamma and beta (empty when the layer has none), moving mean and moving variance.</summary>
    private (Tensor? Gamma, Tensor? Beta, Tensor Mean, Tensor Variance) Parts()
    {
        return (Gamma, Beta, MovingMean!, MovingVariance!);
    }

    /// <summary>y = x · scale + shift per feature, the features' runs of <paramref name="inner"/> values in turn.</summary>
    private static void Apply(ReadOnlySpan<float> x, Span<float> y, float[] scale, float[] shift, int inner)
    {
        int features = scale.Length;
        if (inner == 1)
        {
            for (int start = 0; start < x.Length; start += features)
                TensorPrimitives.FusedMultiplyAdd(x.Slice(start, features), scale, shift, y.Slice(start, features));
        }
        else
        {
            for (int start = 0, f = 0; start < x.Length; start += inner, f = (f + 1) % features)
            {
                TensorPrimitives.Multiply(x.Slice(start, inner), scale[f], y.Slice(start, inner));
                TensorPrimitives.Add(y.Slice(start, inner), shift[f], y.Slice(start, inner));
            }
        }
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>BatchNormalization</c> config: <c>axis</c> (an integer, or after building a one-element list),
    /// <c>momentum</c>, <c>epsilon</c>, <c>center</c>, <c>scale</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<BatchNormalization>("BatchNormalization",
        (c, id, name) => new BatchNormalization(ReadAxis(c), c.Double("momentum", 0.99), c.Double("epsilon", 1e-3),
            c.Bool("center", true), c.Bool("scale", true)) { Id = id, Name = name },
        bn => new JsonObject
        {
            ["axis"] = bn.Axis,
            ["momentum"] = bn.Momentum,
            ["epsilon"] = bn.Epsilon,
            ["center"] = bn.Center,
            ["scale"] = bn.Scale,
            ["beta_initializer"] = LayerConfig.Initializer("Zeros"),
            ["gamma_initializer"] = LayerConfig.Initializer("Ones"),
            ["moving_mean_initializer"] = LayerConfig.Initializer("Zeros"),
            ["moving_variance_initializer"] = LayerConfig.Initializer("Ones"),
            ["beta_regularizer"] = null,
            ["gamma_regularizer"] = null,
            ["beta_constraint"] = null,
            ["gamma_constraint"] = null,
        });

    /// <summary>Keras writes the axis as an integer or, after building, as a one-element list (<c>[3]</c>).</summary>
    private static int ReadAxis(LayerConfig c)
    {
        if (c["axis"] is JsonArray a)
            return a.Count == 1 && LayerConfig.TryInt(a[0], out int only) ? only : throw c.Error("axis", "one axis (normalising over several axes is not supported)");
        return c.Int("axis", -1);
    }
}
