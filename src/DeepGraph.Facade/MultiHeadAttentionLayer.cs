using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// The handle of a <c>MultiHeadAttention</c> layer (from <see cref="Layers.MultiHeadAttention"/>): a layer
/// called with Keras's arguments <c>query</c>, <c>value</c>, <c>key</c>, <c>attentionMask</c>, the query,
/// value and key masks, <c>useCausalMask</c>, and <see cref="CallWithScores"/> for Keras's
/// <c>return_attention_scores=True</c>.
/// </summary>
/// <example><code>
/// var mha = Layers.MultiHeadAttention(numHeads: 2, keyDim: 8);
/// var y = mha.Call(x, x);                       // self-attention
/// var z = mha.Call(query, value, key);          // cross-attention
/// var m = mha.Call(x, x, attentionMask: mask);  // mask (batch, T, S): 1 where a query step may attend
/// var (c, scores) = Layers.MultiHeadAttention(2, 8).CallWithScores(x, x, useCausalMask: true);   // scores (batch, heads, T, S)
/// </code></example>
/// <remarks>A layer's masks and options are fixed by its first call: a later call with others is refused.</remarks>
public sealed class MultiHeadAttentionLayer : Layer
{
    internal MultiHeadAttentionLayer(Core.Layer record) : base(record)
    {
    }

    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="value"/> (keyed by <paramref name="key"/>,
    /// the value when null), where <paramref name="attentionMask"/> and the other masks allow it (everywhere when null).
    /// </summary>
    /// <param name="query">(batch, T…, Dq).</param>
    /// <param name="value">(batch, S…, Dv).</param>
    /// <param name="key">(batch, S…, Dk); the value when null.</param>
    /// <param name="attentionMask">(batch, T, S) (with attention axes: (batch, other axes…, T…, S…)): true or 1 where a query step may attend to a key step.</param>
    /// <param name="queryMask">(batch, T): false where a query step is padding (rank-3 inputs).</param>
    /// <param name="valueMask">(batch, S): false where a value step is padding (rank-3 inputs).</param>
    /// <param name="keyMask">(batch, S): false where a key step is padding (rank-3 inputs).</param>
    /// <param name="useCausalMask">Query step i attends only to key steps j ≤ i (rank-3 inputs).</param>
    /// <exception cref="ShapeError">The tensors' shapes do not fit together or the layer's weights.</exception>
    /// <exception cref="InvalidOperationException">The layer was called before with other masks or options.</exception>
    public KerasTensor Call(KerasTensor query, KerasTensor value, KerasTensor? key = null, KerasTensor? attentionMask = null,
        KerasTensor? queryMask = null, KerasTensor? valueMask = null, KerasTensor? keyMask = null, bool useCausalMask = false) =>
        CallAttention(query, value, key, attentionMask, queryMask, valueMask, keyMask, useCausalMask, scores: false)[0];

    /// <summary>
    /// As <see cref="Call"/>, also giving the attention scores before dropout, (batch, heads, T, S) (with attention
    /// axes: (batch, other axes…, heads, T…, S…)), as Keras's <c>return_attention_scores=True</c>.
    /// </summary>
    /// <exception cref="ShapeError">The tensors' shapes do not fit together or the layer's weights.</exception>
    /// <exception cref="InvalidOperationException">The layer was called before with other masks or options.</exception>
    public (KerasTensor Output, KerasTensor Scores) CallWithScores(KerasTensor query, KerasTensor value, KerasTensor? key = null, KerasTensor? attentionMask = null,
        KerasTensor? queryMask = null, KerasTensor? valueMask = null, KerasTensor? keyMask = null, bool useCausalMask = false)
    {
        var outputs = CallAttention(query, value, key, attentionMask, queryMask, valueMask, keyMask, useCausalMask, scores: true);
        return (outputs[0], outputs[1]);
    }

    private KerasTensorList CallAttention(KerasTensor query, KerasTensor value, KerasTensor? key, KerasTensor? attentionMask, KerasTensor? queryMask,
        KerasTensor? valueMask, KerasTensor? keyMask, bool causal, bool scores)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(value);
        var inputs = AttentionCalls.Inputs(query, value, key, (queryMask, AttentionInputs.QueryMask), (valueMask, AttentionInputs.ValueMask),
            (keyMask, AttentionInputs.KeyMask), (attentionMask, AttentionInputs.AttentionMask));
        var record = (Core.MultiHeadAttention)Record;
        return AttentionCalls.Call(this, record with { Inputs = inputs.Layout, UseCausalMask = causal, ReturnAttentionScores = scores }, inputs.Tensors);
    }
}
