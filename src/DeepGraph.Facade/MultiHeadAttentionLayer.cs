using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// The handle of a <c>MultiHeadAttention</c> layer (from <see cref="Layers.MultiHeadAttention"/>):
/// a layer called with Keras's arguments <c>query</c>, <c>value</c>, <c>key</c> and <c>attentionMask</c>.
/// </summary>
/// <example><code>
/// var mha = Layers.MultiHeadAttention(numHeads: 2, keyDim: 8);
/// var y = mha.Call(x, x);                       // self-attention
/// var z = mha.Call(query, value, key);          // cross-attention
/// var m = mha.Call(x, x, attentionMask: mask);  // mask (batch, T, S): 1 where a query step may attend
/// </code></example>
public sealed class MultiHeadAttentionLayer : Layer
{
    internal MultiHeadAttentionLayer(Core.Layer record) : base(record)
    {
    }

    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="value"/> (keyed by <paramref name="key"/>,
    /// the value when null), where <paramref name="attentionMask"/> allows it (everywhere when null).
    /// </summary>
    /// <exception cref="ShapeError">The tensors' shapes do not fit together or the layer's weights.</exception>
    public KerasTensor Call(KerasTensor query, KerasTensor value, KerasTensor? key = null, KerasTensor? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(value);
        KerasTensor[] inputs = attentionMask is null
            ? key is null ? [query, value] : [query, value, key]
            : [query, value, key ?? value, attentionMask];
        return base.Call(inputs);
    }
}
