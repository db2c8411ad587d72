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

    /// <summary>
    /// relu′ and a bias gradient in one pass: <paramref name="dy"/> ← dy where y &gt; 0, else 0 (in
    /// place), and the column sums of the result added into <paramref name="bias"/>. Rows of
    /// bias.Length values, a whole number of 16-float vectors; returns false (doing nothing) otherwise
    /// or without AVX-512.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe bool ReluGradientAndColumnSums(ReadOnlySpan<float> y, Span<float> dy, Span<float> bias)
    {
        int f = bias.Length;
        if (!System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated || f % 16 != 0 || f > 256 || y.Length != dy.Length || dy.Length % f != 0) return false;
        int blocks = f / 16, rows = dy.Length / f;
        var sums = stackalloc System.Runtime.Intrinsics.Vector512<float>[blocks];
        for (int k = 0; k < blocks; k++) sums[k] = default;
        var zero = System.Runtime.Intrinsics.Vector512<float>.Zero;
        fixed (float* yp = y, dp = dy)
        {
            for (int r = 0; r < rows; r++)
            {
                float* yr = yp + (long)r * f, dr = dp + (long)r * f;
                for (int k = 0; k < blocks; k++)
                {
                    var g = System.Runtime.Intrinsics.Vector512.ConditionalSelect(
                        System.Runtime.Intrinsics.Vector512.GreaterThan(System.Runtime.Intrinsics.Vector512.Load(yr + k * 16), zero),
                        System.Runtime.Intrinsics.Vector512.Load(dr + k * 16), zero);
                    System.Runtime.Intrinsics.Vector512.Store(g, dr + k * 16);
                    sums[k] += g;
                }
            }
        }
        for (int k = 0; k < blocks; k++)
            for (int lane = 0; lane < 16; lane++) bias[k * 16 + lane] += sums[k][lane];
        return true;
    }
}
