using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>AlphaDropout</c>, for self-normalising (selu) networks: in training, a dropped value is set to
/// SELU's negative saturation −scale·alpha instead of 0, then a·x + b restores the mean and variance of a
/// standard normal input (a = ((1 − rate)(1 + rate·α′²))^−½, b = −a·α′·rate, α′ = −scale·alpha); the identity at
/// inference and unless 0 &lt; rate &lt; 1.
/// </summary>
/// <example><code>new AlphaDropout(0.1) { Id = id, Name = "alpha_dropout" }</code></example>
public sealed record AlphaDropout : NoiseLayer
{
    private const double SeluAlpha = 1.6732632423543772848170429916717, SeluScale = 1.0507009873554804934193349852946;

    /// <summary>Alpha dropout of <paramref name="rate"/>.</summary>
    /// <param name="rate">Fraction of the inputs to drop, in [0, 1].</param>
    /// <param name="noiseShape">Shape of the drop mask, batch included (null entries take the input's size); null for the input's shape.</param>
    /// <param name="seed">Seed of the mask's random stream; null lets the trainer choose.</param>
    /// <exception cref="ArgumentException">The rate is outside [0, 1] or a noise dimension is not positive.</exception>
    public AlphaDropout(double rate, int?[]? noiseShape = null, int? seed = null) : base(seed)
    {
        Rate = RequireRate(rate, oneAllowed: true);
        if (noiseShape is not null && Array.Exists(noiseShape, d => d <= 0))
            throw InvalidArgument("noise_shape", "positive integers or None", $"({string.Join(", ", noiseShape.Select(d => d?.ToString() ?? "None"))})");
        NoiseShape = noiseShape is null ? null : EquatableArray.Of(noiseShape);
    }

    /// <summary>Fraction of the inputs dropped in training.</summary>
    public double Rate { get; }

    /// <summary>Shape of the drop mask, or null for the input's shape.</summary>
    public EquatableArray<int?>? NoiseShape { get; }

    /// <inheritdoc/>
    public override string ClassName => "AlphaDropout";

    /// <inheritdoc/>
    protected override bool Active => Rate is > 0 and < 1;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        if (NoiseShape is { } noise) NoiseShapeFor(x, noise);
        return [x];
    }

    /// <summary>a·(x·kept + α′·(1 − kept)) + b, with kept drawn over the noise shape (broadcast over the input).</summary>
    protected override Var Perturb(OpCall call, Var x)
    {
        double alphaP = -SeluAlpha * SeluScale;
        double a = Math.Pow((1 - Rate) * (1 + Rate * alphaP * alphaP), -0.5);
        double b = -a * alphaP * Rate;
        var shape = NoiseShape is { } noise ? NoiseShapeFor(x.Shape, noise) : x.Shape;
        var kept = Uniform(call, shape).Select(u => u >= Rate ? 1.0 : 0.0).ToArray();
        // a·(x·kept + α′(1 − kept)) + b = x·(a·kept) + (a·α′(1 − kept) + b)
        return x * Constant(call, shape, kept.Select(k => a * k)) + Constant(call, shape, kept.Select(k => a * alphaP * (1 - k) + b));
    }

    /// <summary>Keras's <c>AlphaDropout</c> config: <c>rate</c>, <c>noise_shape</c>, <c>seed</c> (TF.js writes only the rate).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<AlphaDropout>("AlphaDropout",
        (c, id, name) => new AlphaDropout(c.Double("rate"), c.OptionalDims("noise_shape"), c.OptionalInt("seed")) { Id = id, Name = name },
        d => new JsonObject
        {
            ["rate"] = d.Rate,
            ["noise_shape"] = d.NoiseShape is { } noise ? LayerConfig.Dims(noise) : null,
            ["seed"] = d.Seed,
        });
}
