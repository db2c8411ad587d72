using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Dot</c>: per sample, the dot product of two tensors over one axis of each (Keras's
/// <c>batch_dot</c>). The output has the first input's other axes, then the second's (batch excluded);
/// (batch, 1) when none remain. With <see cref="Normalize"/> each input is first divided by its l2 norm
/// along its contracted axis, so two vectors give their cosine similarity.
/// </summary>
/// <example><code>new Dot(axes: (2, 2)) { Id = id, Name = "dot" }   // (b, 3, 8)·(b, 5, 8) → (b, 3, 5)</code></example>
public sealed record Dot : OpLayer
{
    /// <summary>A dot product over axis <paramref name="axes"/> of both inputs (Keras's integer <c>axes</c>; negative counts from the end).</summary>
    /// <exception cref="ArgumentException">The axis is 0 (the batch).</exception>
    public Dot(int axes, bool normalize = false) : this((axes, axes), normalize) => AxesArePair = false;

    /// <summary>A dot product over axis <paramref name="axes"/>.First of the first input and .Second of the second (Keras's pair).</summary>
    /// <exception cref="ArgumentException">An axis is 0 (the batch).</exception>
    public Dot((int First, int Second) axes, bool normalize = false)
    {
        if (axes.First == 0 || axes.Second == 0)
            throw InvalidArgument("axes", "axes other than 0 (the batch): a dot product is per sample", $"({axes.First}, {axes.Second})");
        Axes = axes;
        Normalize = normalize;
        AxesArePair = true;
    }

    /// <summary>The contracted axis of each input, as given.</summary>
    public (int First, int Second) Axes { get; }

    /// <summary>True when <c>axes</c> was given as a pair (it is written back as a list), false for one integer.</summary>
    public bool AxesArePair { get; private init; }

    /// <summary>Whether the inputs are l2-normalised along their contracted axes first.</summary>
    public bool Normalize { get; }

    /// <inheritdoc/>
    public override string ClassName => "Dot";

    /// <summary>Keras's rule: each input's axis resolved against that input's rank (an integer <c>axes</c> too).</summary>
    private (int A1, int A2) Resolve(Shape x1, Shape x2) =>
        (Axes.First < 0 ? Axes.First + x1.Rank : Axes.First, Axes.Second < 0 ? Axes.Second + x2.Rank : Axes.Second);

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 2)
            throw Error($"A `Dot` layer should be called on a list of 2 inputs. Received: {inputs.Count} inputs ({string.Join(", ", inputs)}).");
        var (x1, x2) = (inputs[0], inputs[1]);
        if (x1.Rank < 2 || x2.Rank < 2)
            throw Error($"needs inputs of rank 2 or more (batch first). Received shapes {x1} and {x2}.");
        var (a1, a2) = Resolve(x1, x2);
        if (a1 <= 0 || a1 >= x1.Rank || a2 <= 0 || a2 >= x2.Rank)
            throw Error($"received axes ({Axes.First}, {Axes.Second}) for inputs of shapes {x1} and {x2}: each axis must name an axis after the batch.");
        if (x1[a1] is { } k1 && x2[a2] is { } k2 && k1 != k2)
            throw Error($"Incompatible input shapes: axis values {k1} (at axis {a1}) != {k2} (at axis {a2}). Full input shapes: {x1}, {x2}");
        if (x1[0] is { } b1 && x2[0] is { } b2 && b1 != b2)
            throw Error($"received inputs of different batch sizes: {x1} and {x2}.");
        var dims = new List<int?> { x1[0] ?? x2[0] };
        for (int a = 1; a < x1.Rank; a++) if (a != a1) dims.Add(x1[a]);
        for (int a = 1; a < x2.Rank; a++) if (a != a2) dims.Add(x2[a]);
        if (dims.Count == 1) dims.Add(1);
        return [Fits(Shape.Of([.. dims]))];
    }

    /// <summary>
    /// Moves the contracted axis of x1 last and of x2 first after the batch, folds each input's other axes into
    /// one, multiplies the (batch, rows, k)·(batch, k, columns) matrices and unfolds the result.
    /// </summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var (x1, x2) = (inputs[0], inputs[1]);
        var (a1, a2) = Resolve(x1.Shape, x2.Shape);
        if (Normalize)
        {
            x1 = L2Normalize(x1, a1);
            x2 = L2Normalize(x2, a2);
        }
        var rest1 = Enumerable.Range(1, x1.Rank - 1).Where(a => a != a1).ToArray();
        var rest2 = Enumerable.Range(1, x2.Rank - 1).Where(a => a != a2).ToArray();
        var left = Fold(Ops.Transpose(x1, [0, .. rest1, a1]), rest1.Length, atEnd: false);
        var right = Fold(Ops.Transpose(x2, [0, a2, .. rest2]), rest2.Length, atEnd: true);
        var product = Ops.MatMul(left, right); // (batch, rows, columns)
        int[] rows = [.. rest1.Select(a => x1.Shape[a] ?? -1)], columns = [.. rest2.Select(a => x2.Shape[a] ?? -1)];
        if (rows.Length == 0 && columns.Length == 0) return [Ops.Squeeze(product, 2)];
        if (rows.Length <= 1 && columns.Length <= 1)
            return [rows.Length == 0 ? Ops.Squeeze(product, 1) : columns.Length == 0 ? Ops.Squeeze(product, 2) : product];
        return [Ops.Reshape(product, [-1, .. rows, .. columns])];
    }

    /// <summary>
    /// (batch, others…, k) → (batch, rows, k) for the left operand, (batch, k, others…) → (batch, k, columns) for the
    /// right: no axis becomes a unit axis, one stays, several are folded (their sizes must be known then).
    /// </summary>
    private Var Fold(Var x, int others, bool atEnd)
    {
        if (others == 1) return x;
        if (others == 0) return Ops.ExpandDims(x, atEnd ? 2 : 1);
        var k = atEnd ? x.Shape[1] : x.Shape[^1];
        var folded = atEnd ? x.Shape.Skip(2) : x.Shape.Skip(1).Take(others);
        if (k is null || folded.Any(d => d is null))
            throw Error($"needs known sizes on the axes it keeps when an input keeps more than one: received {x.Shape} (after moving the contracted axis).");
        int size = folded.Aggregate(1, (p, d) => p * d!.Value);
        return Ops.Reshape(x, atEnd ? [-1, k.Value, size] : [-1, size, k.Value]);
    }

    /// <summary>Keras's <c>l2_normalize</c>: x / sqrt(max(Σx², 1e-12)) along <paramref name="axis"/> (TF.js uses 1e-7; they differ only for norms below ~3e-4).</summary>
    private static Var L2Normalize(Var x, int axis) =>
        x * Ops.Rsqrt(Ops.Maximum(Ops.Sum(Ops.Square(x), [axis], keepDims: true), x.Tape.Scalar(1e-12f)));

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Dot</c> config: <c>axes</c> (an integer or a list of two), <c>normalize</c> (default false).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Dot>("Dot",
        (c, id, name) =>
        {
            bool normalize = c.Bool("normalize", false);
            if (c["axes"] is JsonArray)
                return LayerConfig.TryDims(c["axes"], out var dims) && dims is [{ } a, { } b]
                    ? new Dot((a, b), normalize) { Id = id, Name = name }
                    : throw c.Error("axes", "an integer or a list of two integers");
            return new Dot(c.Int("axes"), normalize) { Id = id, Name = name };
        },
        d => new JsonObject
        {
            ["axes"] = d.AxesArePair ? new JsonArray(d.Axes.First, d.Axes.Second) : JsonValue.Create(d.Axes.First),
            ["normalize"] = d.Normalize,
        });
}
