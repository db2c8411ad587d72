using DeepGraph.Core;

namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// Dot-product (Luong-style) attention (Keras's <c>Attention</c>): call it as <c>attention.Call(query, value)</c>,
    /// with a <c>key</c>, query and value masks, <c>useCausalMask</c>, or <c>CallWithScores</c> for the distribution
    /// too. Query (batch, Tq, dim), value (batch, Tv, dv) → (batch, Tq, dv).
    /// </summary>
    /// <param name="useScale">Whether a learned scalar scales the scores.</param>
    /// <param name="scoreMode">"dot" (query·keyᵀ) or "concat" (Σ tanh(query + key)).</param>
    /// <param name="dropout">The fraction of the attention distribution dropped while training, in [0, 1).</param>
    /// <param name="seed">The dropout's seed.</param>
    /// <param name="name">The layer's name; Keras's automatic name when null.</param>
    /// <exception cref="ArgumentException">An unknown score mode or a dropout rate outside [0, 1).</exception>
    public static AttentionLayer Attention(bool useScale = false, string scoreMode = "dot", double dropout = 0.0, int? seed = null, string? name = null) =>
        new(Make(name, null, id => new Core.Attention(useScale, scoreMode, dropout, seed) { Id = id, Name = "" }).Record);

    /// <summary>
    /// Additive (Bahdanau-style) attention (Keras's <c>AdditiveAttention</c>): scores Σ scale ⊙ tanh(query + key);
    /// called as <see cref="Attention"/>.
    /// </summary>
    /// <param name="useScale">Whether a learned vector (dim) scales the tanh terms.</param>
    /// <param name="dropout">The fraction of the attention distribution dropped while training, in [0, 1).</param>
    /// <param name="seed">The dropout's seed.</param>
    /// <param name="name">The layer's name; Keras's automatic name when null.</param>
    /// <exception cref="ArgumentException">A dropout rate outside [0, 1).</exception>
    public static AttentionLayer AdditiveAttention(bool useScale = true, double dropout = 0.0, int? seed = null, string? name = null) =>
        new(Make(name, null, id => new Core.AdditiveAttention(useScale, dropout, seed) { Id = id, Name = "" }).Record);

    /// <summary>
    /// Group normalization (Keras's <c>GroupNormalization</c>): the channels of <paramref name="axis"/> in
    /// <paramref name="groups"/> groups, each normalised per sample over its channels and the other axes.
    /// </summary>
    /// <param name="groups">The number of groups (−1: one per channel); it must divide the channels.</param>
    /// <param name="axis">The channels axis.</param>
    /// <param name="epsilon">Added to the variance before its square root.</param>
    /// <param name="center">Whether a learned offset beta is added.</param>
    /// <param name="scale">Whether a learned factor gamma multiplies.</param>
    /// <param name="name">The layer's name; Keras's automatic name when null.</param>
    /// <param name="inputShape">The input shape without the batch, for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">Groups neither positive nor −1, axis 0, or a non-positive epsilon.</exception>
    public static Layer GroupNormalization(int groups = 32, int axis = -1, double epsilon = 1e-3, bool center = true, bool scale = true,
        string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GroupNormalization(groups, axis, epsilon, center, scale) { Id = id, Name = "" });

    /// <summary>Unit normalization (Keras's <c>UnitNormalization</c>): each sample scaled to L2 norm 1 over <paramref name="axis"/> (default the last).</summary>
    /// <param name="axis">The axes normalised together.</param>
    /// <param name="name">The layer's name; Keras's automatic name when null.</param>
    /// <param name="inputShape">The input shape without the batch, for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">No axis, or an axis twice.</exception>
    public static Layer UnitNormalization(int[]? axis = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.UnitNormalization(axis) { Id = id, Name = "" });
}

/// <summary>
/// The handle of an <c>Attention</c> or <c>AdditiveAttention</c> layer (from <see cref="Layers.Attention"/> or
/// <see cref="Layers.AdditiveAttention"/>), called with Keras's arguments: query, value, key, the query and
/// value masks (Keras's <c>mask=[query_mask, value_mask]</c>), <c>useCausalMask</c>, and
/// <see cref="CallWithScores"/> for Keras's <c>return_attention_scores=True</c>.
/// </summary>
/// <example><code>
/// var attention = Layers.Attention();
/// var y = attention.Call(query, value);                          // (batch, Tq, dv)
/// var (z, scores) = decoderAttention.CallWithScores(q, v, useCausalMask: true);
/// </code></example>
/// <remarks>A layer's call arguments are fixed by its first call: a later call with other masks or options is refused.</remarks>
public sealed class AttentionLayer : Layer
{
    internal AttentionLayer(Core.Layer record) : base(record)
    {
    }

    /// <summary>Attends from <paramref name="query"/> to <paramref name="value"/> (keyed by <paramref name="key"/>, the value when null).</summary>
    /// <param name="query">(batch, Tq, dim).</param>
    /// <param name="value">(batch, Tv, dv).</param>
    /// <param name="key">(batch, Tv, dim); the value when null.</param>
    /// <param name="queryMask">(batch, Tq): false where a query step is padding (its output is zeros).</param>
    /// <param name="valueMask">(batch, Tv): false where a value step is padding (nothing attends to it).</param>
    /// <param name="useCausalMask">Query step i attends only to value steps j ≤ i (a decoder's self-attention).</param>
    /// <exception cref="ShapeError">The tensors' shapes do not fit together.</exception>
    /// <exception cref="InvalidOperationException">The layer was called before with other masks or options.</exception>
    public KerasTensor Call(KerasTensor query, KerasTensor value, KerasTensor? key = null, KerasTensor? queryMask = null, KerasTensor? valueMask = null,
        bool useCausalMask = false) =>
        CallAttention(query, value, key, queryMask, valueMask, useCausalMask, scores: false)[0];

    /// <summary>As <see cref="Call(KerasTensor, KerasTensor, KerasTensor?, KerasTensor?, KerasTensor?, bool)"/>, also giving the attention distribution (batch, Tq, Tv) (after dropout, as Keras 3).</summary>
    /// <exception cref="ShapeError">The tensors' shapes do not fit together.</exception>
    /// <exception cref="InvalidOperationException">The layer was called before with other masks or options.</exception>
    public (KerasTensor Output, KerasTensor Scores) CallWithScores(KerasTensor query, KerasTensor value, KerasTensor? key = null,
        KerasTensor? queryMask = null, KerasTensor? valueMask = null, bool useCausalMask = false)
    {
        var outputs = CallAttention(query, value, key, queryMask, valueMask, useCausalMask, scores: true);
        return (outputs[0], outputs[1]);
    }

    private KerasTensorList CallAttention(KerasTensor query, KerasTensor value, KerasTensor? key, KerasTensor? queryMask, KerasTensor? valueMask, bool causal, bool scores)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(value);
        var inputs = AttentionCalls.Inputs(query, value, key, (queryMask, AttentionInputs.QueryMask), (valueMask, AttentionInputs.ValueMask));
        var record = (BaseDenseAttention)Record;
        return AttentionCalls.Call(this, record with { Inputs = inputs.Layout, UseCausalMask = causal, ReturnAttentionScores = scores }, inputs.Tensors);
    }
}

/// <summary>How the attention handles pass Keras's call arguments: as inputs and as the record's call options.</summary>
internal static class AttentionCalls
{
    /// <summary>
    /// The inputs in order and their layout. Without query, value or key masks the layout stays None (read from the
    /// count: a third input is the key, a fourth the attention mask, the key then being the value when not given), so
    /// calls with and without a key or an attention mask can share a layer.
    /// </summary>
    public static (KerasTensor[] Tensors, AttentionInputs Layout) Inputs(KerasTensor query, KerasTensor value, KerasTensor? key, params (KerasTensor? Tensor, AttentionInputs Flag)[] masks)
    {
        var layout = key is null ? AttentionInputs.None : AttentionInputs.Key;
        var tensors = new List<KerasTensor> { query, value };
        if (key is not null) tensors.Add(key);
        foreach (var (tensor, flag) in masks)
            if (tensor is not null)
            {
                tensors.Add(tensor);
                layout |= flag;
            }
        if ((layout & ~(AttentionInputs.Key | AttentionInputs.AttentionMask)) != 0) return ([.. tensors], layout);
        if (layout.HasFlag(AttentionInputs.AttentionMask) && key is null) tensors.Insert(2, value);
        return ([.. tensors], AttentionInputs.None);
    }

    /// <summary>
    /// Calls <paramref name="handle"/> with its record set to <paramref name="wanted"/> (the call's options); refuses a
    /// layer already called with other options, and restores the record when the call fails.
    /// </summary>
    public static KerasTensorList Call<T>(Layer handle, T wanted, KerasTensor[] inputs) where T : Core.Layer, IAttentionCall
    {
        var before = handle.Record;
        static (AttentionInputs, bool, bool) Options(IAttentionCall c) => (c.Inputs, c.UseCausalMask, c.ReturnAttentionScores);
        if (handle.HasBeenCalled && Options((T)before) != Options(wanted))
            throw new InvalidOperationException($"Layer \"{handle.Name}\" was called before with other masks or options (use_causal_mask, return_attention_scores); in DeepGraph a layer's call arguments are fixed by its first call. Make another layer for the other call.");
        handle.Adopt(wanted);
        try
        {
            return handle.CallMany(inputs, training: null);
        }
        catch
        {
            handle.Adopt(before);
            throw;
        }
    }
}
