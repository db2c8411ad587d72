namespace DeepGraph.Core;

/// <summary>
/// Keras 3's masked losses (<c>losses.loss.apply_mask</c>): when a model output carries a mask (from
/// <see cref="Embedding.MaskZero"/> or <see cref="Masking"/> through layers that keep it), a masked position does not
/// count in the loss. With the <c>sum_over_batch_size</c> reduction the kept positions weigh total/valid (total the
/// mask's size, valid its true count, plus Keras's ε = 1e-7), so the loss is Σ kept L / valid; a batch with every
/// position masked gives 0.
/// </summary>
public static class LossMasks
{
    private const double Epsilon = 1e-7;

    /// <summary>
    /// One weight per position (row of the last axis) of <paramref name="prediction"/> from the output's
    /// <paramref name="mask"/>: total/(valid + ε) where the mask holds, 0 where it does not; null without a mask.
    /// A mask over fewer leading axes than the rows' counts for every row under each of its entries.
    /// </summary>
    /// <exception cref="ShapeError">The mask is not over leading axes of the output's rows.</exception>
    public static float[]? RowWeights(Tensor? mask, Tensor prediction) => RowWeights(mask, prediction, scaled: true);

    /// <summary>
    /// The weights of a loss and of the metrics of an output carrying <paramref name="mask"/>, the sample weights of its
    /// positions (<paramref name="sampleRows"/>, null for 1s) times the mask's (<see cref="RowWeights(Tensor?, Tensor)"/> for the
    /// loss, 0/1 for the metrics); the sample weights as they are without a mask.
    /// </summary>
    /// <exception cref="ShapeError">The mask is not over leading axes of the output's rows.</exception>
    public static (float[]? Loss, float[]? Metrics) Apply(Tensor? mask, Tensor prediction, float[]? sampleRows)
    {
        if (RowWeights(mask, prediction, scaled: true) is not { } loss) return (sampleRows, sampleRows);
        var metrics = RowWeights(mask, prediction, scaled: false)!;
        if (sampleRows is not null)
            for (int r = 0; r < loss.Length; r++)
            {
                loss[r] *= sampleRows[r];
                metrics[r] *= sampleRows[r];
            }
        return (loss, metrics);
    }

    private static float[]? RowWeights(Tensor? mask, Tensor prediction, bool scaled)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        if (mask is null) return null;
        int rank = prediction.Shape.Rank;
        int rows = rank == 0 ? 1 : (int)(prediction.Shape.Product()!.Value / Math.Max(1, prediction.Shape[^1]!.Value));
        if (mask.Shape.Rank > Math.Max(rank - 1, 1) || Enumerable.Range(0, mask.Shape.Rank).Any(a => mask.Shape[a] != prediction.Shape[a]))
            throw new ShapeError("loss", $"An output of shape {prediction.Shape} carries a mask of shape {mask.Shape}: a loss takes a mask over the output's leading axes (its shape without the last axis, or a prefix of it).");
        var bits = mask.Ints;
        int valid = 0;
        foreach (var b in bits) valid += b != 0 ? 1 : 0;
        float kept = scaled ? (float)(bits.Length / (valid + Epsilon)) : 1f;
        int repeat = bits.Length == 0 ? 1 : rows / bits.Length;
        var weights = new float[rows];
        for (int r = 0; r < rows; r++) weights[r] = bits[r / repeat] != 0 ? kept : 0;
        return weights;
    }
}
