using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GaussianDropout</c>: in training, multiplies by normal noise of mean 1 and deviation
/// sqrt(rate / (1 − rate)); the identity at inference, and for a rate of 0 or 1 (as Keras 2 does).
/// </summary>
/// <example><code>new GaussianDropout(0.1) { Id = id, Name = "gaussian_dropout" }</code></example>
public sealed record GaussianDropout : NoiseLayer
{
    /// <summary>Multiplicative noise for a drop probability <paramref name="rate"/>.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1].</exception>
    public GaussianDropout(double rate, int? seed = null) : base(seed) => Rate = RequireRate(rate, oneAllowed: true);

    /// <summary>The drop probability the noise stands for.</summary>
    public double Rate { get; }

    /// <inheritdoc/>
    public override string ClassName => "GaussianDropout";

    /// <inheritdoc/>
    protected override bool Active => Rate is > 0 and < 1;

    /// <summary>x·(1 + sqrt(rate/(1 − rate))·z), z standard normal per element.</summary>
    protected override Var Perturb(OpCall call, Var x)
    {
        double stddev = Math.Sqrt(Rate / (1 - Rate));
        return x * Constant(call, x.Shape, Normal(call, x.Shape).Select(z => 1 + stddev * z));
    }

    /// <summary>Keras's <c>GaussianDropout</c> config: <c>rate</c>, <c>seed</c> (TF.js writes no seed).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GaussianDropout>("GaussianDropout",
        (c, id, name) => new GaussianDropout(c.Double("rate"), c.OptionalInt("seed")) { Id = id, Name = name },
        g => new JsonObject { ["rate"] = g.Rate, ["seed"] = g.Seed });
}
