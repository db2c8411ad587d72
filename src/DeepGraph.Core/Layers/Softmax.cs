using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Softmax</c> layer: e^x / Σ e^x over <see cref="Axis"/> (default the last; several axes normalise
/// together, as Keras's tuple <c>axis</c>). The output has the shape of the input. TF.js's default axis is 1 and it
/// refuses any but the last; this layer follows Keras (−1, any axis).
/// </summary>
/// <example><code>new Softmax(-1) { Id = id, Name = "softmax" }</code></example>
public sealed record Softmax : OpLayer
{
    /// <summary>A softmax over <paramref name="axis"/> (Keras's <c>axis</c>; −1 when none is given).</summary>
    /// <exception cref="ArgumentException">An axis is given twice.</exception>
    public Softmax(params int[] axis)
    {
        ArgumentNullException.ThrowIfNull(axis);
        if (axis.Length == 0) axis = [-1];
        if (axis.Distinct().Count() != axis.Length)
            throw InvalidArgument("axis", "distinct axes", $"[{string.Join(", ", axis)}]");
        Axis = EquatableArray.Of(axis);
    }

    /// <summary>The axes normalised together, as given (negative counts from the end).</summary>
    public EquatableArray<int> Axis { get; }

    /// <summary>An elementwise layer passes its input's mask on (Keras's <c>supports_masking</c>).</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override string ClassName => "Softmax";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        var resolved = Axis.Select(a => a < 0 ? a + x.Rank : a).ToArray();
        if (resolved.Any(a => a < 0 || a >= x.Rank) || resolved.Distinct().Count() != resolved.Length)
            throw Error($"received axis {Tuple(Axis)} for an input of shape {x}: each axis must be in [{-x.Rank}, {x.Rank}) and name a different axis.");
        return [x];
    }

    /// <summary>
    /// Softmax over the axis, or e^(x − logsumexp(x)) over several axes together. Where the input's mask is false the
    /// logit is replaced by −1e9 first (Keras 3), so masked positions get no weight; a mask over the leading axes
    /// (batch, steps) covers every value of a masked step.
    /// </summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        if (call.MaskOf(0) is { } mask)
        {
            while (mask.Rank < x.Rank) mask = Ops.ExpandDims(mask, mask.Rank);
            x = Ops.Where(mask, x, call.Tape.Scalar(-1e9f));
        }
        if (Axis.Count == 1) return [Ops.Softmax(x, Axis[0])];
        return [Ops.Exp(x - Ops.LogSumExp(x, [.. Axis], keepDims: true))];
    }

    private static string Tuple(IReadOnlyList<int> axes) => axes.Count == 1 ? axes[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : $"[{string.Join(", ", axes)}]";

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Softmax</c> config: <c>axis</c>, an integer or a list (absent: −1, Keras's default).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Softmax>("Softmax",
        (c, id, name) => new Softmax(ReadAxes(c)) { Id = id, Name = name },
        s => new JsonObject { ["axis"] = s.Axis.Count == 1 ? JsonValue.Create(s.Axis[0]) : new JsonArray([.. s.Axis.Select(a => (JsonNode?)a)]) });

    private static int[] ReadAxes(LayerConfig c)
    {
        if (!c.Has("axis")) return [-1];
        if (c["axis"] is JsonArray)
            return LayerConfig.TryDims(c["axis"], out var dims) && dims.Length > 0 && dims.All(d => d is not null) ? [.. dims.Select(d => d!.Value)]
                : throw c.Error("axis", "an integer or a list of integers");
        return [c.Int("axis")];
    }
}
