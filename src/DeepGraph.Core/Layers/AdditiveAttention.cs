using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>AdditiveAttention</c>: Bahdanau-style attention. Scores (batch, Tq, Tv) are
/// <c>Σ scale ⊙ tanh(query + key)</c> over the features; see <see cref="BaseDenseAttention"/> for the
/// rest. With <see cref="UseScale"/> (the default) <c>scale</c> is a learned vector (dim) (Glorot-uniform),
/// else 1.
/// </summary>
/// <example><code>new AdditiveAttention() { Id = id, Name = "additive_attention" }   // (None, 5, 8), (None, 7, 8) → (None, 5, 8), 8 params</code></example>
public sealed record AdditiveAttention : BaseDenseAttention
{
    /// <summary>An additive attention.</summary>
    /// <param name="useScale">Whether a learned vector scales the tanh terms.</param>
    /// <param name="dropout">The fraction of the attention distribution dropped while training, in [0, 1).</param>
    /// <param name="seed">The dropout's seed; null derives it from the layer's name.</param>
    /// <exception cref="ArgumentException">A dropout rate outside [0, 1).</exception>
    public AdditiveAttention(bool useScale = true, double dropout = 0.0, int? seed = null) : base(dropout, seed) => UseScale = useScale;

    /// <summary>Whether a learned vector scales the tanh terms.</summary>
    public bool UseScale { get; }

    /// <inheritdoc/>
    public override string ClassName => "AdditiveAttention";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => UseScale ? [("scale", true)] : [];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        Check(inputs);
        return UseScale ? [new WeightSpec("scale", Shape.Known(inputs[0][-1]!.Value), true, new GlorotUniform())] : [];
    }

    /// <inheritdoc/>
    protected override Var Scores(OpCall call, Var query, Var key)
    {
        var terms = Ops.Tanh(Ops.ExpandDims(query, -2) + Ops.ExpandDims(key, -3)); // (batch, Tq, Tv, dim)
        if (UseScale) terms = terms * call.Weights[0];
        return Ops.Sum(terms, [-1]);
    }

    /// <summary>Keras's <c>AdditiveAttention</c> config: <c>use_scale</c> (true), <c>dropout</c> (0), Keras 3's <c>seed</c>; Keras 2's <c>causal</c> (read only) sets <see cref="BaseDenseAttention.UseCausalMask"/>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<AdditiveAttention>("AdditiveAttention",
        (c, id, name) => new AdditiveAttention(c.Bool("use_scale", true), c.Double("dropout", 0), c.OptionalInt("seed")) { Id = id, Name = name, UseCausalMask = c.Bool("causal", false) },
        a => MultiHeadAttention.WithSeed(a.Seed, new JsonObject { ["use_scale"] = a.UseScale, ["dropout"] = a.Dropout }));
}
