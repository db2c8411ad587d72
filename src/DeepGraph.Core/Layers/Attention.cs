using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Attention</c>: dot-product (Luong-style) attention. Scores (batch, Tq, Tv) are
/// <c>query·keyᵀ</c> (<c>score_mode="dot"</c>) or <c>Σ tanh(query + key)</c> over the features
/// (<c>"concat"</c>); see <see cref="BaseDenseAttention"/> for the rest. Weights: with
/// <see cref="UseScale"/> a learned scalar <c>scale</c> (ones) multiplying the dot scores (or the sum
/// inside the tanh); with <c>"concat"</c> a learned scalar <c>concat_score_weight</c> (ones) multiplying the scores.
/// </summary>
/// <example><code>new Attention() { Id = id, Name = "attention" }   // (None, 5, 8), (None, 7, 8) → (None, 5, 8)</code></example>
public sealed record Attention : BaseDenseAttention
{
    /// <summary>A dot-product attention.</summary>
    /// <param name="useScale">Whether a learned scalar scales the scores.</param>
    /// <param name="scoreMode">"dot" or "concat".</param>
    /// <param name="dropout">The fraction of the attention distribution dropped while training, in [0, 1).</param>
    /// <param name="seed">The dropout's seed; null derives it from the layer's name.</param>
    /// <exception cref="ArgumentException">An unknown score mode or a dropout rate outside [0, 1).</exception>
    public Attention(bool useScale = false, string scoreMode = "dot", double dropout = 0.0, int? seed = null) : base(dropout, seed)
    {
        UseScale = useScale;
        ScoreMode = scoreMode is "dot" or "concat" ? scoreMode : throw InvalidArgument("score_mode", "one of {\"dot\", \"concat\"}", scoreMode);
    }

    /// <summary>Whether a learned scalar scales the scores.</summary>
    public bool UseScale { get; }

    /// <summary>"dot" or "concat".</summary>
    public string ScoreMode { get; }

    /// <inheritdoc/>
    public override string ClassName => "Attention";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. UseScale ? [("scale", true)] : Array.Empty<(string, bool)>(), .. ScoreMode == "concat" ? [("concat_score_weight", true)] : Array.Empty<(string, bool)>()];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        Check(inputs);
        return [.. Roles.Select(r => new WeightSpec(r.Role, Shape.Known(), true, Constant.Ones))];
    }

    /// <inheritdoc/>
    protected override Var Scores(OpCall call, Var query, Var key)
    {
        int w = 0;
        var scale = UseScale ? call.Weights[w++] : null;
        if (ScoreMode == "dot")
        {
            var dot = Ops.MatMul(query, key, transposeB: true);
            return scale is null ? dot : dot * scale;
        }
        var sum = Ops.ExpandDims(query, -2) + Ops.ExpandDims(key, -3); // (batch, Tq, Tv, dim)
        if (scale is not null) sum = scale * sum;
        return call.Weights[w] * Ops.Sum(Ops.Tanh(sum), [-1]);
    }

    /// <summary>Keras's <c>Attention</c> config: <c>use_scale</c> (false), <c>score_mode</c> ("dot"), <c>dropout</c> (0), Keras 3's <c>seed</c>; Keras 2's <c>causal</c> (read only) sets <see cref="BaseDenseAttention.UseCausalMask"/>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Attention>("Attention",
        (c, id, name) => new Attention(c.Bool("use_scale", false), c.OptionalString("score_mode", "dot")!, c.Double("dropout", 0), c.OptionalInt("seed")) { Id = id, Name = name, UseCausalMask = c.Bool("causal", false) },
        a => MultiHeadAttention.WithSeed(a.Seed, new JsonObject { ["use_scale"] = a.UseScale, ["score_mode"] = a.ScoreMode, ["dropout"] = a.Dropout }));
}
