using System.Globalization;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>ReLU</c> layer: x at or above <see cref="Threshold"/> (capped at <see cref="MaxValue"/>),
/// <see cref="NegativeSlope"/>·(x − threshold) below it. Computed as Keras's <c>relu</c> composes it: with a
/// threshold, x·[x &gt; threshold]; then clip to [0, max_value]; then minus slope·relu(threshold − x). TF.js
/// writes and applies only <c>max_value</c>; this layer follows Keras.
/// </summary>
/// <example><code>new ReLU(maxValue: 6) { Id = id, Name = "re_lu" }</code></example>
public sealed record ReLU : ActivationLayer
{
    /// <summary>A rectified linear unit.</summary>
    /// <param name="maxValue">The largest output (Keras's <c>max_value</c>); null for none.</param>
    /// <param name="negativeSlope">The slope below the threshold (Keras's <c>negative_slope</c>), 0 by default.</param>
    /// <param name="threshold">Where the unit starts to pass its input (Keras's <c>threshold</c>), 0 by default.</param>
    /// <exception cref="ArgumentException">A value is negative or not finite.</exception>
    public ReLU(double? maxValue = null, double negativeSlope = 0, double threshold = 0)
    {
        if (maxValue is { } max && (!(max >= 0) || !double.IsFinite(max)))
            throw new ArgumentException($"max_value of a ReLU layer cannot be a negative value. Received: {max.ToString(CultureInfo.InvariantCulture)}", nameof(maxValue));
        if (!(negativeSlope >= 0) || !double.IsFinite(negativeSlope))
            throw new ArgumentException($"negative_slope of a ReLU layer cannot be a negative value. Received: {negativeSlope.ToString(CultureInfo.InvariantCulture)}", nameof(negativeSlope));
        if (!(threshold >= 0) || !double.IsFinite(threshold))
            throw new ArgumentException($"threshold of a ReLU layer cannot be a negative value. Received: {threshold.ToString(CultureInfo.InvariantCulture)}", nameof(threshold));
        MaxValue = maxValue;
        NegativeSlope = negativeSlope;
        Threshold = threshold;
    }

    /// <summary>The largest output, or null for none.</summary>
    public double? MaxValue { get; }

    /// <summary>The slope below the threshold.</summary>
    public double NegativeSlope { get; }

    /// <summary>Where the unit starts to pass its input.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public override string ClassName => "ReLU";

    /// <inheritdoc/>
    protected override ActivationFunction? Kernel =>
        NegativeSlope != 0 || Threshold != 0 ? null
        : MaxValue is null ? ActivationFunction.Relu
        : MaxValue == 6 ? ActivationFunction.Relu6
        : null;

    /// <summary>Keras's <c>relu(x, negative_slope, max_value, threshold)</c>, step by step.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        float slope = (float)NegativeSlope, threshold = (float)Threshold;
        Var? negative = null;
        if (slope != 0)
        {
            if (MaxValue is null && threshold == 0) return [Ops.LeakyRelu(x, slope)];
            negative = Ops.Relu(threshold != 0 ? x * -1f + threshold : -x);
        }
        bool clip = MaxValue is not null;
        Var y;
        if (threshold != 0) y = Ops.Where(Ops.Greater(x, call.Tape.Scalar(threshold)), x, call.Tape.Scalar(0f));
        else if (MaxValue == 6)
        {
            y = Ops.Relu6(x);
            clip = false;
        }
        else y = Ops.Relu(x);
        if (clip) y = Ops.Minimum(Ops.Maximum(y, call.Tape.Scalar(0f)), call.Tape.Scalar((float)MaxValue!.Value));
        if (negative is not null) y = y - negative * slope;
        return [y];
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>ReLU</c> config: <c>max_value</c> (null for none), <c>negative_slope</c> and <c>threshold</c> (absent in TF.js: 0).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<ReLU>("ReLU",
        (c, id, name) => new ReLU(c.OptionalDouble("max_value"), c.Double("negative_slope", 0), c.Double("threshold", 0)) { Id = id, Name = name },
        r => new JsonObject { ["max_value"] = r.MaxValue, ["negative_slope"] = r.NegativeSlope, ["threshold"] = r.Threshold });
}
