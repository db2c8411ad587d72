using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>LeakyReLU</c>: x where x ≥ 0, else <see cref="Alpha"/>·x. Keras 2 and TF.js call the slope
/// <c>alpha</c>, Keras 3 <c>negative_slope</c>; the default is 0.3 in all three.
/// </summary>
/// <example><code>new LeakyReLU(0.1) { Id = id, Name = "leaky_re_lu" }</code></example>
public sealed record LeakyReLU : ActivationLayer
{
    /// <summary>A leaky ReLU of slope <paramref name="alpha"/> below 0.</summary>
    /// <exception cref="ArgumentException">The slope is negative or not finite.</exception>
    public LeakyReLU(double alpha = 0.3)
    {
        if (!(alpha >= 0) || !double.IsFinite(alpha))
            throw new ArgumentException($"The negative_slope value of a Leaky ReLU layer cannot be None or negative value. Expected a float. Received: negative_slope={alpha.ToString(CultureInfo.InvariantCulture)}", nameof(alpha));
        Alpha = alpha;
    }

    /// <summary>The slope below 0 (Keras 2's <c>alpha</c>, Keras 3's <c>negative_slope</c>).</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    public override string ClassName => "LeakyReLU";

    /// <inheritdoc/>
    protected override ActivationFunction? Kernel => Alpha == 0.2 ? ActivationFunction.LeakyRelu : null;

    /// <summary>x where x ≥ 0, else alpha·x.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.LeakyRelu(inputs[0], (float)Alpha)];

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>LeakyReLU</c> config: <c>alpha</c> (Keras 3's <c>negative_slope</c> is read too), default 0.3.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<LeakyReLU>("LeakyReLU",
        (c, id, name) => new LeakyReLU(c.OptionalDouble("alpha") ?? c.Double("negative_slope", 0.3)) { Id = id, Name = name },
        l => new JsonObject { ["alpha"] = l.Alpha });
}
