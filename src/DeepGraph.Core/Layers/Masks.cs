namespace DeepGraph.Core;

/// <summary>
/// Building blocks for <see cref="Layer.ComputeMask"/>: masks are bool tensors over a tensor's leading axes
/// (batch, steps), true where a step is real.
/// </summary>
public static class Masks
{
    /// <summary>The mask of the entries of <paramref name="values"/> (of any dtype) that differ from <paramref name="padding"/> (Embedding's <c>mask_zero</c>: ids ≠ 0).</summary>
    public static Tensor NotEqual(Tensor values, float padding)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bits = new bool[values.Length];
        if (values.DType == DType.Float32)
        {
            var v = values.Span;
            for (int i = 0; i < bits.Length; i++) bits[i] = v[i] != padding;
        }
        else
        {
            var v = values.Ints;
            for (int i = 0; i < bits.Length; i++) bits[i] = v[i] != padding;
        }
        return Tensor.FromBools(bits, values.Shape.ToArray());
    }

    /// <summary>
    /// The steps every given mask keeps (Keras's merges: the logical and of the inputs' masks); null when no
    /// input carries a mask. Masks of different shapes are refused.
    /// </summary>
    /// <exception cref="InvalidOperationException">Two masks have different shapes.</exception>
    public static Tensor? All(IReadOnlyList<Tensor?> masks)
    {
        ArgumentNullException.ThrowIfNull(masks);
        Tensor? first = null;
        int[]? bits = null;
        foreach (var mask in masks)
        {
            if (mask is null) continue;
            if (first is null)
            {
                first = mask;
                continue;
            }
            if (mask.Shape != first.Shape)
                throw new InvalidOperationException($"Cannot merge masks of shapes {first.Shape} and {mask.Shape}.");
            bits ??= first.Ints.ToArray();
            var m = mask.Ints;
            for (int i = 0; i < bits.Length; i++) bits[i] &= m[i];
        }
        return bits is null ? first : Tensor.FromBools(Array.ConvertAll(bits, b => b != 0), first!.Shape.ToArray());
    }

    /// <summary>A layer's output masks: <paramref name="mask"/> for each of <paramref name="outputs"/>, or none when it is null.</summary>
    public static IReadOnlyList<Tensor?> ForEach(Tensor? mask, int outputs)
    {
        if (mask is null) return [];
        var all = new Tensor?[outputs];
        Array.Fill(all, mask);
        return all;
    }
}
