using DeepGraph.Numerics;
using FsCheck;
using FsCheck.Fluent;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// One generated GEMM problem: sizes, transposes, scalars, the slack added to each leading
/// dimension, and the seed of its values. <see cref="Check"/> runs an <see cref="IGemm"/> on
/// it and compares with a float64 reference.
/// </summary>
public sealed record GemmCase(int M, int N, int K, bool TransA, bool TransB, float Alpha, float Beta,
    int PadA, int PadB, int PadC, int Seed)
{
    /// <summary>Dimensions that matter: 1, small, primes and non-multiples of every tile (14×32, 6×16, 4×16), up to 150.</summary>
    private static readonly Gen<int> Dim = Gen.OneOf(
        Gen.Choose(1, 16),
        Gen.Elements(1, 2, 3, 5, 7, 13, 15, 17, 29, 31, 33, 47, 61, 97, 127, 131, 149),
        Gen.Choose(1, 150));

    /// <summary>Any case with the sizes above, all four transpose combinations, and alpha/beta including 0 and 1.</summary>
    public static readonly Gen<GemmCase> Any =
        from m in Dim
        from n in Dim
        from k in Dim
        from ta in Gen.Elements(false, true)
        from tb in Gen.Elements(false, true)
        from alpha in Gen.Elements(1f, -1f, 0.5f, 2.5f, 0f)
        from beta in Gen.Elements(0f, 0f, 1f, -0.5f, 2f)
        from padA in Gen.Choose(0, 3)
        from padB in Gen.Choose(0, 3)
        from padC in Gen.Choose(0, 3)
        from seed in Gen.Choose(0, int.MaxValue)
        select new GemmCase(m, n, k, ta, tb, alpha, beta, padA, padB, padC, seed);

    /// <summary>Stored shape of A (rows, columns, leading dimension).</summary>
    public (int Rows, int Cols, int Ld) AShape => TransA ? (K, M, M + PadA) : (M, K, K + PadA);

    /// <summary>Stored shape of B (rows, columns, leading dimension).</summary>
    public (int Rows, int Cols, int Ld) BShape => TransB ? (N, K, K + PadB) : (K, N, N + PadB);

    /// <summary>Stored shape of C (rows, columns, leading dimension).</summary>
    public (int Rows, int Cols, int Ld) CShape => (M, N, N + PadC);

    /// <inheritdoc/>
    public override string ToString() =>
        $"m={M} n={N} k={K} {(TransA ? "Aᵀ" : "A")}·{(TransB ? "Bᵀ" : "B")} alpha={Alpha} beta={Beta} lda+{PadA} ldb+{PadB} ldc+{PadC} seed={Seed}";

    /// <summary>
    /// A matrix of the given stored shape, exactly (rows−1)·ld + cols long, with values in [−1, 1)
    /// and NaN in the slack between rows, so that a kernel reading outside the matrix shows.
    /// </summary>
    private static float[] Matrix((int Rows, int Cols, int Ld) s, Random rng, bool slackNaN = true)
    {
        var x = new float[s.Rows == 0 || s.Cols == 0 ? 0 : (s.Rows - 1) * s.Ld + s.Cols];
        for (int i = 0; i < x.Length; i++)
            x[i] = i % s.Ld < s.Cols ? (float)(rng.NextDouble() * 2 - 1) : (slackNaN ? float.NaN : 7f);
        return x;
    }

    /// <summary>
    /// Runs each of <paramref name="gemms"/> on this case and returns a failure description, or
    /// null when every element of the m×n window is within the bound of the float64 reference
    /// and the slack of C is untouched. With beta = 0, C starts as NaN (it must not be read).
    /// </summary>
    /// <remarks>
    /// The bound is the textbook one for a k-term dot product in float32, |ĉ − c| ≤ γ·(|alpha|·Σ|a||b| + |beta|·|c|)
    /// with γ = 1e-6·(k + 4) — about 16 times the worst case (k·2⁻²⁴), so any summation order
    /// passes, and still far below the error of a dropped or doubled term.
    /// </remarks>
    public string? Check(params IEnumerable<IGemm> gemms)
    {
        var rng = new Random(Seed);
        var (aS, bS, cS) = (AShape, BShape, CShape);
        float[] a = Matrix(aS, rng), b = Matrix(bS, rng), c0 = Matrix(cS, rng, slackNaN: false);
        if (Beta == 0f)
            for (int i = 0; i < c0.Length; i++)
                if (i % cS.Ld < cS.Cols) c0[i] = float.NaN;

        var expected = new double[M * N];
        var bound = new double[M * N];
        for (int i = 0; i < M; i++)
        {
            for (int j = 0; j < N; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < K; p++)
                {
                    double x = TransA ? a[p * aS.Ld + i] : a[i * aS.Ld + p];
                    double y = TransB ? b[j * bS.Ld + p] : b[p * bS.Ld + j];
                    sum += x * y;
                    abs += Math.Abs(x * y);
                }
                double old = Beta == 0f ? 0 : c0[i * cS.Ld + j];
                expected[i * N + j] = Alpha * sum + Beta * old;
                bound[i * N + j] = 1e-6 * (K + 4) * (Math.Abs(Alpha) * abs + Math.Abs(Beta * old)) + 1e-30;
            }
        }

        foreach (var gemm in gemms)
        {
            float[] c = (float[])c0.Clone();
            gemm.Sgemm(TransA, TransB, M, N, K, Alpha, a, aS.Ld, b, bS.Ld, Beta, c, cS.Ld);
            for (int i = 0; i < M; i++)
            {
                for (int j = 0; j < N; j++)
                {
                    float got = c[i * cS.Ld + j];
                    double want = expected[i * N + j], tol = bound[i * N + j];
                    if (!(Math.Abs(got - want) <= tol))
                        return $"{gemm.Name}, {this}: C[{i},{j}] = {got}, expected {want} ± {tol:E2}";
                }
                for (int j = N; j < cS.Ld && i < M - 1; j++)
                    if (c[i * cS.Ld + j] != c0[i * cS.Ld + j])
                        return $"{gemm.Name}, {this}: wrote into C's slack at row {i}, column {j}";
            }
        }
        return null;
    }
}
