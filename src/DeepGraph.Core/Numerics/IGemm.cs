namespace DeepGraph.Numerics;

/// <summary>
/// Single-precision general matrix multiply on row-major storage:
/// <c>C ← alpha·op(A)·op(B) + beta·C</c>, where <c>op(X)</c> is <c>X</c> or <c>Xᵀ</c>.
/// op(A) is m×k, op(B) is k×n and C is m×n. Element (i, j) of a stored matrix X is
/// <c>x[i·ldx + j]</c>, so a leading dimension is the distance between two rows.
/// </summary>
/// <remarks>
/// Every implementation validates its arguments (dimensions, leading dimensions, span lengths,
/// C not overlapping A or B) before touching memory, and throws an <see cref="ArgumentException"/>
/// naming the argument and the sizes. When beta is 0, C is not read
/// (it may hold NaN); when alpha is 0 or k is 0, A and B are not read.
/// Implementations are safe to call from several threads at once on distinct C.
/// </remarks>
public interface IGemm
{
    /// <summary>Which implementation this is, for logs: e.g. "OpenBLAS (libopenblas.so.0)", "managed (AVX-512 FMA)".</summary>
    string Name { get; }

    /// <summary>
    /// A GEMM that runs each call on the calling thread alone, for callers that split a problem
    /// over threads themselves (a convolution's weight gradient, whose k dimension is every output
    /// pixel); null when the implementation cannot promise it (a native library with its own thread pool).
    /// </summary>
    IGemm? SingleThreaded => null;

    /// <summary>Computes <c>C ← alpha·op(A)·op(B) + beta·C</c> on row-major storage.</summary>
    /// <param name="transA">Whether op(A) = Aᵀ; A is then stored k×m (else m×k).</param>
    /// <param name="transB">Whether op(B) = Bᵀ; B is then stored n×k (else k×n).</param>
    /// <param name="m">Rows of op(A) and of C (≥ 0).</param>
    /// <param name="n">Columns of op(B) and of C (≥ 0).</param>
    /// <param name="k">Columns of op(A), rows of op(B) (≥ 0).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Row stride of the stored A: at least max(1, its column count).</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Row stride of the stored B: at least max(1, its column count).</param>
    /// <param name="beta">Scale of the old C; 0 means C is written without being read.</param>
    /// <param name="c">C (m×n), row-major with leading dimension <paramref name="ldc"/>; updated in place.</param>
    /// <param name="ldc">Row stride of C: at least max(1, n).</param>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is too small, a span is too short, or C overlaps A or B.</exception>
    void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc);
}
