using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>UnitNormalization</c>: scales each sample to L2 norm 1 over the axes of <see cref="Axis"/>
/// together, <c>y = x / max(‖x‖₂, 1e-12)</c> (Keras 3's <c>ops.normalize</c>). The output has the input's shape.
/// </summary>
/// <example><code>new UnitNormalization() { Id = id, Name = "unit_normalization" }   // (None, 3) → (None, 3)</code></example>
public sealed record UnitNormalization : OpLayer
{
    /// <summary>The smallest norm divided by (Keras's epsilon 1e-12); as a bound on the sum of squares, its square.</summary>
    private const float MinSquaredNorm = 1e-24f;

    /// <summary>A unit normalization over <paramref name="axis"/> (default: the last axis).</summary>
    /// <param name="axis">The axes normalised together (negative counts from the end).</param>
    /// <exception cref="ArgumentException">No axis, or an axis twice.</exception>
    public UnitNormalization(IReadOnlyList<int>? axis = null)
    {
        var axes = axis ?? [-1];
        if (axes.Count == 0) throw InvalidArgument("axis", "an int or a list/tuple of ints", "[]");
        if (axes.Distinct().Count() != axes.Count) throw InvalidArgument("axis", "distinct axes", $"[{string.Join(", ", axes)}]");
        Axis = EquatableArray.Of(axes);
    }

    /// <summary>The axes normalised together, as given.</summary>
    public EquatableArray<int> Axis { get; }

    /// <inheritdoc/>
    public override string ClassName => "UnitNormalization";

    private int[] AxesFor(Shape x)
    {
        var axes = Axis.Select(a => a < 0 ? a + x.Rank : a).ToArray();
        foreach (var (a, given) in axes.Zip(Axis))
            if (a < 0 || a >= x.Rank)
                throw Error($"was given axis {given}, which is out of range for an input of rank {x.Rank}, input shape {x}.");
        if (axes.Distinct().Count() != axes.Length)
            throw Error($"was given axis [{string.Join(", ", Axis)}], which names an axis twice for an input of rank {x.Rank}.");
        return axes;
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        AxesFor(Single(inputs));
        return base.InferShapes(inputs);
    }

    /// <summary>x · rsqrt(max(Σ x², 1e-24)) over the axes: x / max(‖x‖, 1e-12), with no infinite derivative at 0.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var squares = Ops.Sum(Ops.Square(x), AxesFor(x.Shape), keepDims: true);
        return [x * Ops.Rsqrt(Ops.Maximum(squares, call.Tape.Scalar(MinSquaredNorm)))];
    }

    /// <summary>Keras's <c>UnitNormalization</c> config: <c>axis</c> (an int, −1 by default, or a list).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<UnitNormalization>("UnitNormalization",
        (c, id, name) => new UnitNormalization(ReadAxis(c)) { Id = id, Name = name },
        n => new JsonObject { ["axis"] = n.Axis.Count == 1 ? n.Axis[0] : new JsonArray([.. n.Axis.Select(a => (JsonNode?)a)]) });

    private static int[] ReadAxis(LayerConfig c)
    {
        if (c["axis"] is JsonArray)
            return c.OptionalDims("axis") is { } dims && dims.Length > 0 && dims.All(d => d.HasValue)
                ? [.. dims.Select(d => d!.Value)]
                : throw c.Error("axis", "an int or a non-empty list of ints");
        return [c.Int("axis", -1)];
    }
}
