using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Permute</c>: the axes after the batch reordered. <see cref="Dims"/> is 1-based and leaves out the
/// batch: output axis k is input axis dims[k − 1]. Input of rank len(dims) + 1. Written over ops (a transpose).
/// </summary>
/// <example><code>new Permute([2, 1]) { Id = id, Name = "permute" }   // (None, 10, 64) → (None, 64, 10)</code></example>
public sealed record Permute : OpLayer
{
    /// <summary>A permutation of the axes 1 … len(dims).</summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of 1 … its length.</exception>
    public Permute(IReadOnlyList<int> dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Count == 0 || !dims.Order().SequenceEqual(Enumerable.Range(1, dims.Count)))
            throw new ArgumentException($"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be consecutive and start from 1. Received dims=({string.Join(", ", dims)})", nameof(dims));
        Dims = EquatableArray.Of(dims);
    }

    /// <summary>The permutation, 1-based, without the batch axis.</summary>
    public EquatableArray<int> Dims { get; }

    /// <inheritdoc/>
    public override string ClassName => "Permute";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, Dims.Count + 1);
        return [Shape.Of([x[0], .. Dims.Select(d => x[d])])];
    }

    /// <summary>The transpose (0, dims…).</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.Transpose(inputs[0], [0, .. Dims])];

    /// <summary>Keras's <c>Permute</c> config: <c>dims</c> (required, 1-based).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Permute>("Permute",
        (c, id, name) =>
        {
            var dims = c.OptionalDims("dims") ?? throw c.Error("dims", "a list of axes");
            if (dims.Any(d => d is null)) throw c.Error("dims", "a list of integer axes");
            return new Permute([.. dims.Select(d => d!.Value)]) { Id = id, Name = name };
        },
        l => new JsonObject { ["dims"] = new JsonArray([.. l.Dims.Select(d => (JsonNode?)d)]) });
}
