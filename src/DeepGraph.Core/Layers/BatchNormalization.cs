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

    /// <summary>The number of features normalised, once built.</summary>
    public int? Features => IsBuilt ? Params[0].Shape[0] : null;

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
        var shape = inputs[0].Shape;
        int axis = shape.Axis(Axis), features = shape[axis]!.Value;
        int inner = (int)shape.Product(axis + 1)!.Value;
        int p = 0;
        var gamma = Scale ? Params[p++].Span : default;
        var beta = Center ? Params[p++].Span : default;
        var mean = Params[p++].Span;
        var variance = Params[p].Span;
        var scale = new float[features];
        var shift = new float[features];
        for (int f = 0; f < features; f++)
        {
            double s = (Scale ? gamma[f] : 1.0) / Math.Sqrt(variance[f] + Epsilon);
            scale[f] = (float)s;
            shift[f] = (float)((Center ? beta[f] : 0.0) - mean[f] * s);
        }
        var x = inputs[0].Span;
        var y = outputs[0].Data.AsSpan();
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
}
