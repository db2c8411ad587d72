using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>ELU</c> layer: x where x &gt; 0, else <see cref="Alpha"/>·(eˣ − 1). TF.js accepts only alpha 1;
/// this layer takes any, as Keras does.
/// </summary>
/// <example><code>new ELU(1.0) { Id = id, Name = "elu" }</code></example>
public sealed record ELU : ActivationLayer
{
    /// <summary>An exponential linear unit of scale <paramref name="alpha"/> below 0.</summary>
    /// <exception cref="ArgumentException">alpha is not finite.</exception>
    public ELU(double alpha = 1.0)
    {
        if (!double.IsFinite(alpha))
            throw new ArgumentException($"Alpha of an ELU layer must be a finite float. Received: alpha={alpha.ToString(CultureInfo.InvariantCulture)}", nameof(alpha));
        Alpha = alpha;
    }

    /// <summary>The scale of the negative part.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    public override string ClassName => "ELU";

    /// <inheritdoc/>
    protected override ActivationFunction? Kernel => Alpha == 1 ? ActivationFunction.Elu : null;

    /// <summary>The elu kernel for alpha 1; otherwise alpha times it where x ≤ 0 (the positive branch stays finite, so no NaN gradient).</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var elu = Ops.Elu(x);
        if (Alpha == 1) return [elu];
        return [Ops.Where(Ops.Greater(x, call.Tape.Scalar(0f)), x, elu * (float)Alpha)];
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>ELU</c> config: <c>alpha</c>, default 1.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<ELU>("ELU",
        (c, id, name) => new ELU(c.Double("alpha", 1.0)) { Id = id, Name = name },
        e => new JsonObject { ["alpha"] = e.Alpha });
}
