using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>Keras 2's <c>ThresholdedReLU</c>: x where x &gt; <see cref="Theta"/>, else 0 (Keras 3 folds it into <c>ReLU(threshold=…)</c>).</summary>
/// <example><code>new ThresholdedReLU(0.5) { Id = id, Name = "thresholded_re_lu" }</code></example>
public sealed record ThresholdedReLU : ActivationLayer
{
    /// <summary>A thresholded ReLU of threshold <paramref name="theta"/> (Keras's default 1).</summary>
    /// <exception cref="ArgumentException">theta is negative or not finite.</exception>
    public ThresholdedReLU(double theta = 1.0)
    {
        if (!(theta >= 0) || !double.IsFinite(theta))
            throw new ArgumentException($"The theta value of a Thresholded ReLU layer should be >=0. Received: {theta.ToString(CultureInfo.InvariantCulture)}", nameof(theta));
        Theta = theta;
    }

    /// <summary>The threshold: values at or below it become 0.</summary>
    public double Theta { get; }

    /// <inheritdoc/>
    public override string ClassName => "ThresholdedReLU";

    /// <summary>x·[x &gt; theta]; the gradient passes where x &gt; theta.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        return [Ops.Where(Ops.Greater(x, call.Tape.Scalar((float)Theta)), x, call.Tape.Scalar(0f))];
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>ThresholdedReLU</c> config: <c>theta</c>, default 1.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<ThresholdedReLU>("ThresholdedReLU",
        (c, id, name) => new ThresholdedReLU(c.Double("theta", 1.0)) { Id = id, Name = name },
        t => new JsonObject { ["theta"] = t.Theta });
}
