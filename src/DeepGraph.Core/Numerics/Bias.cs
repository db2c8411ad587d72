using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>Bias addition over rows.</summary>
public static class Bias
{
    /// <summary>Rows are added in chunks of at least this many floats, so narrow rows (a conv with 32 filters) do not pay a call per row.</summary>
    private const int Chunk = 2048;

    /// <summary>Adds <paramref name="bias"/> to every consecutive row of <paramref name="y"/> (rows of bias.Length values).</summary>
    public static void AddToRows(Span<float> y, ReadOnlySpan<float> bias)
    {
        int f = bias.Length;
        int rowsPerChunk = Math.Max(1, Chunk / f);
        if (rowsPerChunk == 1 || y.Length < 2 * rowsPerChunk * f)
        {
            for (int start = 0; start < y.Length; start += f)
                TensorPrimitives.Add(y.Slice(start, f), bias, y.Slice(start, f));
            return;
        }
        // The bias repeated over several rows, added to each chunk of rows in one vectorised call.
        Span<float> pattern = stackalloc float[rowsPerChunk * f];
        for (int r = 0; r < rowsPerChunk; r++) bias.CopyTo(pattern[(r * f)..]);
        int step = pattern.Length, start2 = 0;
        for (; start2 + step <= y.Length; start2 += step)
            TensorPrimitives.Add(y.Slice(start2, step), pattern, y.Slice(start2, step));
        for (; start2 < y.Length; start2 += f)
            TensorPrimitives.Add(y.Slice(start2, f), bias, y.Slice(start2, f));
    }

    /// <summary>Adds the column sums of <paramref name="y"/> (consecutive rows of bias.Length values) into <paramref name="bias"/>: a bias's gradient.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> y, Span<float> bias)
    {
        int f = bias.Length;
        // Sum in a wide accumulator of whole rows first, so narrow rows do not pay a call per row.
        int rowsPerChunk = Math.Max(1, Chunk / f);
        int step = rowsPerChunk * f;
        if (y.Length >= 2 * step)
        {
            var acc = new float[step];
            int start = 0;
            for (; start + step <= y.Length; start += step)
                TensorPrimitives.Add(acc, y.Slice(start, step), acc);
            for (int r = 0; r < rowsPerChunk; r++)
                TensorPrimitives.Add(bias, acc.AsSpan(r * f, f), bias);
            for (; start < y.Length; start += f)
                TensorPrimitives.Add(bias, y.Slice(start, f), bias);
            return;
        }
        for (int start = 0; start < y.Length; start += f)
            TensorPrimitives.Add(bias, y.Slice(start, f), bias);
    }
}
