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
    public static float[]? RowWeights(Tensor? mask, Tensor prediction)
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
        float kept = (float)(bits.Length / (valid + Epsilon));
        int repeat = bits.Length == 0 ? 1 : rows / bits.Length;
        var weights = new float[rows];
        for (int r = 0; r < rows; r++) weights[r] = bits[r / repeat] != 0 ? kept : 0;
        return weights;
    }

    /// <summary>
    /// The loss of <paramref name="prediction"/> against <paramref name="target"/> with one weight per position,
    /// Keras's <c>sum_over_batch_size</c>: Σ_r w_r·L_r / R over the R positions; writes <paramref name="scale"/> × its
    /// gradient into <paramref name="gradient"/> (0 at a position of weight 0).
    /// </summary>
    /// <exception cref="ArgumentException">The weights are not one per position, or a target is invalid for the loss.</exception>
    public static double Weighted(Loss loss, Tensor prediction, Tensor target, Span<float> gradient, float scale, ReadOnlySpan<float> weights)
    {
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        int last = prediction.Shape.Rank == 0 ? 1 : prediction.Shape[^1]!.Value;
        int rows = last == 0 ? 0 : prediction.Length / last;
        if (weights.Length != rows)
            throw new ArgumentException($"Loss {loss.Name}: {weights.Length} position weights for an output of shape {prediction.Shape} ({rows} positions).", nameof(weights));
        int t = rows == 0 ? 0 : target.Length / rows;
        double sum = 0;
        var p = prediction.Span;
        var y = target.Span;
        for (int r = 0; r < rows; r++)
        {
            var g = gradient.Slice(r * last, last);
            if (weights[r] == 0)
            {
                g.Clear();
                continue;
            }
            sum += weights[r] * loss.Compute(p.Slice(r * last, last), y.Slice(r * t, t), last, g, scale * weights[r] / rows);
        }
        return rows == 0 ? 0 : sum / rows;
    }
}
