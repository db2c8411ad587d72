namespace DeepGraph.Numerics;

/// <summary>
/// The argument checks every <see cref="IGemm"/> makes before it touches memory, and the
/// degenerate cases (alpha = 0 or k = 0) that every implementation treats the same way.
/// </summary>
internal static class GemmArguments
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad argument and the sizes involved.</summary>
    public static void Validate(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, ReadOnlySpan<float> c, int ldc)
    {
        if (m < 0) throw new ArgumentException($"m must be ≥ 0, got {m}.", nameof(m));
        if (n < 0) throw new ArgumentException($"n must be ≥ 0, got {n}.", nameof(n));
        if (k < 0) throw new ArgumentException($"k must be ≥ 0, got {k}.", nameof(k));

        // Stored shapes (rows × columns) of A, B and C in row-major order.
        var (aRows, aCols) = transA ? (k, m) : (m, k);
        var (bRows, bCols) = transB ? (n, k) : (k, n);
        Check("a", "lda", a.Length, lda, aRows, aCols, transA ? "Aᵀ (A stored k×m)" : "A (m×k)", m, n, k);
        Check("b", "ldb", b.Length, ldb, bRows, bCols, transB ? "Bᵀ (B stored n×k)" : "B (k×n)", m, n, k);
        Check("c", "ldc", c.Length, ldc, m, n, "C (m×n)", m, n, k);

        if (m > 0 && n > 0)
        {
            if (k > 0 && c.Overlaps(a))
                throw new ArgumentException($"c must not overlap a (m={m}, n={n}, k={k}): the product would read what it writes.", nameof(c));
            if (k > 0 && c.Overlaps(b))
                throw new ArgumentException($"c must not overlap b (m={m}, n={n}, k={k}): the product would read what it writes.", nameof(c));
        }
    }

    private static void Check(string span, string ld, int length, int leading, int rows, int cols, string what, int m, int n, int k)
    {
        int minLeading = Math.Max(1, cols);
        if (leading < minLeading)
            throw new ArgumentException(
                $"{ld} must be ≥ max(1, {cols}) = {minLeading} for {what} with m={m}, n={n}, k={k}; got {ld}={leading}.", ld);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * leading + cols;
        if (length < needed)
            throw new ArgumentException(
                $"{span} is too short for {what} with m={m}, n={n}, k={k} and {ld}={leading}: needs {needed} elements ((rows−1)·{ld} + columns = ({rows}−1)·{leading} + {cols}), got {length}.", span);
    }

    /// <summary>
    /// The cases where A and B are not read: C ← beta·C over the m×n window (beta = 0 writes zeros
    /// without reading C). Returns false when the product has to be computed.
    /// </summary>
    public static bool TryTrivial(int m, int n, int k, float alpha, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0) return true;
        if (k != 0 && alpha != 0f) return false;
        if (beta == 1f) return true;
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f) row.Clear();
            else for (int j = 0; j < row.Length; j++) row[j] *= beta;
        }
        return true;
    }
}
