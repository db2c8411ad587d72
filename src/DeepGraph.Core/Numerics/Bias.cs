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
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void AddColumnSums(ReadOnlySpan<float> y, Span<float> bias)
    {
        int f = bias.Length, rows = y.Length / f;
        if (rows == 0) return;
        int v = System.Runtime.Intrinsics.Vector512<float>.Count;
        // Sum 4 rows at a time per column block in registers, so the rows are read once.
        int col = 0;
        fixed (float* yp = y, bp = bias)
        {
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            {
                for (; col + v <= f; col += v)
                {
                    var a0 = System.Runtime.Intrinsics.Vector512<float>.Zero;
                    var a1 = a0;
                    var a2 = a0;
                    var a3 = a0;
                    float* p = yp + col;
                    int r = 0;
                    for (; r + 4 <= rows; r += 4, p += 4 * f)
                    {
                        a0 += System.Runtime.Intrinsics.Vector512.Load(p);
                        a1 += System.Runtime.Intrinsics.Vector512.Load(p + f);
                        a2 += System.Runtime.Intrinsics.Vector512.Load(p + 2 * f);
                        a3 += System.Runtime.Intrinsics.Vector512.Load(p + 3 * f);
                    }
                    for (; r < rows; r++, p += f) a0 += System.Runtime.Intrinsics.Vector512.Load(p);
                    var sum = (a0 + a1) + (a2 + a3);
                    System.Runtime.Intrinsics.Vector512.Store(System.Runtime.Intrinsics.Vector512.Load(bp + col) + sum, bp + col);
                }
            }
            for (; col < f; col++)
            {
                float sum = 0;
                for (int r = 0; r < rows; r++) sum += yp[(long)r * f + col];
                bp[col] += sum;
            }
        }
    }
}
