namespace DeepGraph.Core;

/// <summary>
/// The optional inputs an attention layer's call passes after the query and the value, in this order
/// (Keras's call arguments, which DeepGraph passes as inputs): the key, the query mask (batch, Tq),
/// the value mask (batch, Tv), the key mask (batch, Tv) and the attention mask (batch, Tq, Tv).
/// </summary>
[Flags]
public enum AttentionInputs
{
    /// <summary>Only the query and the value; or, on a record made without this, the inputs are read from their count (see the layers).</summary>
    None = 0,

    /// <summary>A key (the value when absent).</summary>
    Key = 1,

    /// <summary>A query mask (batch, Tq): true where a query step is real.</summary>
    QueryMask = 2,

    /// <summary>A value mask (batch, Tv): true where a value step is real.</summary>
    ValueMask = 4,

    /// <summary>A key mask (batch, Tv), MultiHeadAttention only.</summary>
    KeyMask = 8,

    /// <summary>An attention mask (batch, Tq, Tv): true where a query step may attend to a key step, MultiHeadAttention only.</summary>
    AttentionMask = 16,
}

/// <summary>Where each optional input of an attention call is in its input list (−1 when absent).</summary>
internal sealed record AttentionSlots(int Key, int QueryMask, int ValueMask, int KeyMask, int AttentionMask)
{
    private static readonly (AttentionInputs Flag, string Name)[] Order =
    [
        (AttentionInputs.Key, "key"), (AttentionInputs.QueryMask, "query mask"), (AttentionInputs.ValueMask, "value mask"),
        (AttentionInputs.KeyMask, "key mask"), (AttentionInputs.AttentionMask, "attention mask"),
    ];

    /// <summary>
    /// The slots of a call of <paramref name="count"/> inputs laid out as <paramref name="given"/>; with
    /// <see cref="AttentionInputs.None"/> and more than two inputs, the third is the key and a fourth (where
    /// <paramref name="allowed"/> has it) the attention mask.
    /// </summary>
    /// <exception cref="ShapeError">The count does not fit the layout, or the layout names an input the layer does not take.</exception>
    public static AttentionSlots For(Func<string, ShapeError> error, AttentionInputs given, int count, AttentionInputs allowed)
    {
        var layout = given;
        if (layout == AttentionInputs.None && count > 2)
            layout = count == 3 || !allowed.HasFlag(AttentionInputs.AttentionMask) ? AttentionInputs.Key : AttentionInputs.Key | AttentionInputs.AttentionMask;
        if ((layout & ~allowed) != 0)
            throw error($"takes no {string.Join(" or ", Order.Where(o => (layout & ~allowed).HasFlag(o.Flag)).Select(o => o.Name))}.");
        var names = Order.Where(o => layout.HasFlag(o.Flag)).Select(o => o.Name).ToArray();
        if (count != 2 + names.Length)
            throw error($"takes {2 + names.Length} inputs (query, value{string.Concat(names.Select(n => ", " + n))}), but received {count}.");
        int next = 2;
        int Slot(AttentionInputs flag) => layout.HasFlag(flag) ? next++ : -1;
        return new AttentionSlots(Slot(AttentionInputs.Key), Slot(AttentionInputs.QueryMask), Slot(AttentionInputs.ValueMask),
            Slot(AttentionInputs.KeyMask), Slot(AttentionInputs.AttentionMask));
    }

    /// <summary>The name of input <paramref name="index"/> (2 or more).</summary>
    public string Name(int index) =>
        index == Key ? "key" : index == QueryMask ? "query mask" : index == ValueMask ? "value mask" : index == KeyMask ? "key mask" : "attention mask";
}

/// <summary>Keras's call arguments of an attention layer, which DeepGraph keeps on the record (they are not config).</summary>
public interface IAttentionCall
{
    /// <summary>Which optional inputs a call passes after the query and value.</summary>
    AttentionInputs Inputs { get; }

    /// <summary>Keras's <c>use_causal_mask</c>.</summary>
    bool UseCausalMask { get; }

    /// <summary>Keras's <c>return_attention_scores</c>.</summary>
    bool ReturnAttentionScores { get; }
}
