using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>Keras's <c>GaussianNoise</c>: in training, adds zero-mean normal noise of deviation <see cref="Stddev"/>; the identity at inference.</summary>
/// <example><code>new GaussianNoise(0.1, seed: 1) { Id = id, Name = "gaussian_noise" }</code></example>
public sealed record GaussianNoise : NoiseLayer
{
    /// <summary>Additive noise of standard deviation <paramref name="stddev"/>.</summary>
    /// <exception cref="ArgumentException">The deviation is negative or not finite.</exception>
    public GaussianNoise(double stddev, int? seed = null) : base(seed)
    {
        if (!(stddev >= 0) || !double.IsFinite(stddev))
            throw new ArgumentException($"Invalid value received for argument `stddev`. Expected a non-negative float. Received: stddev={stddev.ToString(CultureInfo.InvariantCulture)}", nameof(stddev));
        Stddev = stddev;
    }

    /// <summary>The noise's standard deviation.</summary>
    public double Stddev { get; }

    /// <inheritdoc/>
    public override string ClassName => "GaussianNoise";

    /// <inheritdoc/>
    protected override bool Active => Stddev > 0;

    /// <summary>x + stddev·z, z standard normal per element.</summary>
    protected override Var Perturb(OpCall call, Var x) =>
        x + Constant(call, x.Shape, Normal(call, x.Shape).Select(z => Stddev * z));

    /// <summary>Keras's <c>GaussianNoise</c> config: <c>stddev</c>, <c>seed</c> (TF.js writes no seed).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GaussianNoise>("GaussianNoise",
        (c, id, name) => new GaussianNoise(c.Double("stddev"), c.OptionalInt("seed")) { Id = id, Name = name },
        g => new JsonObject { ["stddev"] = g.Stddev, ["seed"] = g.Seed });
}
