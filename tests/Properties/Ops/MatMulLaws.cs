using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Numerics;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// MatMul equals a float64 naive product for every transpose pair and broadcast batch, on the tape's
/// built-in loop, on the managed GEMM and on every native BLAS that loads; its gradients match finite differences.
/// </summary>
public class MatMulLaws
{
    /// <summary>The GEMMs a tape may be given: none (the built-in loop), the managed kernel, the native ones.</summary>
    private static IEnumerable<IGemm?> Gemms() => [null, Backends.Managed[0], Backends.Managed[^1], .. Backends.Native];

    private sealed record Case(int[] A, int[] B, bool Ta, bool Tb, int[] Result);

    private static Case Draw(Random rng)
    {
        int m = rng.Next(1, 6), k = rng.Next(0, 6), n = rng.Next(1, 6);
        var batch = FiniteDifferences.Shape(rng, 0, 2, 3);
        var (ba, bb) = OpCases.Broadcastable(rng, batch);
        // Often a 2-D B (a weight) against a batched A, the Dense-like case that folds the batch into the rows.
        if (rng.Next(3) == 0) bb = [];
        bool ta = rng.Next(2) == 0, tb = rng.Next(2) == 0;
        int[] a = [.. ba, .. ta ? new[] { k, m } : [m, k]];
        int[] b = [.. bb, .. tb ? new[] { n, k } : [k, n]];
        return new Case(a, b, ta, tb, [.. OpCases.Broadcast(ba, bb), m, n]);
    }

    /// <summary>The float64 product by index arithmetic.</summary>
    private static double[] Reference(Case c, Tensor a, Tensor b)
    {
        int m = c.Result[^2], n = c.Result[^1], k = c.Ta ? c.A[^2] : c.A[^1];
        int[] batch = c.Result[..^2];
        int count = batch.Aggregate(1, (p, d) => p * d);
        var ea = ArithmeticGradients.Expand(a, [.. batch, c.A[^2], c.A[^1]]);
        var eb = ArithmeticGradients.Expand(b, [.. batch, c.B[^2], c.B[^1]]);
        var r = new double[count * m * n];
        for (int t = 0; t < count; t++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += ea[t * m * k + (c.Ta ? p * m + i : i * k + p)] * eb[t * k * n + (c.Tb ? j * k + p : p * n + j)];
                    r[(t * m + i) * n + j] = s;
                }
        return r;
    }

    [Property(MaxTest = 80)]
    public void MatMul_equals_the_float64_naive_product_on_every_gemm(int seed)
    {
        var rng = new Random(seed);
        var c = Draw(rng);
        var a = FiniteDifferences.Uniform(rng, c.A);
        var b = FiniteDifferences.Uniform(rng, c.B);
        var expected = Reference(c, a, b);
        foreach (var gemm in Gemms())
        {
            var tape = new OpTape(TapeMode.Evaluate, gemm);
            var r = Ops.MatMul(tape.Constant(a), tape.Constant(b), c.Ta, c.Tb).Value;
            Assert.Equal(c.Result, r.Shape.ToArray());
            var values = r.ToArray();
            for (int i = 0; i < values.Length; i++)
                Assert.True(Math.Abs(expected[i] - values[i]) <= 1e-5 * (1 + Math.Abs(expected[i])) * 8, $"{gemm?.Name ?? "loop"}: [{i}] {values[i]} vs {expected[i]} for {a.Shape}{(c.Ta ? "ᵀ" : "")}·{b.Shape}{(c.Tb ? "ᵀ" : "")}");
        }
    }

    [Property(MaxTest = 40)]
    public void MatMul_gradients_match_finite_differences_on_every_gemm(int seed)
    {
        var rng = new Random(seed);
        var c = Draw(rng);
        var a = FiniteDifferences.Uniform(rng, c.A);
        var b = FiniteDifferences.Uniform(rng, c.B);
        foreach (var gemm in Gemms())
        {
            // The checker's tapes have no GEMM; the gradient tape below does, and must agree with both.
            var tape = new OpTape(TapeMode.Record, gemm);
            var (va, vb) = (tape.Constant(a), tape.Constant(b));
            var y = Ops.MatMul(va, vb, c.Ta, c.Tb);
            var seedGrad = FiniteDifferences.Uniform(new Random(seed + 1), c.Result);
            var withGemm = tape.Gradients([y], [seedGrad], [va, vb]);
            var plain = new OpTape(TapeMode.Record);
            var (pa, pb) = (plain.Constant(a), plain.Constant(b));
            var without = plain.Gradients([Ops.MatMul(pa, pb, c.Ta, c.Tb)], [seedGrad], [pa, pb]);
            for (int k = 0; k < 2; k++)
            {
                var (x, z) = (withGemm[k]!.ToArray(), without[k]!.ToArray());
                for (int i = 0; i < x.Length; i++) Assert.Equal(z[i], x[i], 1e-4 * (1 + Math.Abs(z[i])));
            }
        }
        FiniteDifferences.Check((_, v) => Ops.MatMul(v[0], v[1], c.Ta, c.Tb), [a, b], seed: seed, what: $"matmul {a.Shape}{(c.Ta ? "ᵀ" : "")}·{b.Shape}{(c.Tb ? "ᵀ" : "")}");
    }

    [Fact]
    public void MatMul_refuses_mismatched_inner_dimensions_and_low_ranks_naming_the_shapes()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ShapeError>(() => Ops.MatMul(tape.Constant(Tensor.Zeros(2, 3)), tape.Constant(Tensor.Zeros(4, 5))));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(4, 5)", e.Message);
        Assert.Throws<ShapeError>(() => Ops.MatMul(tape.Constant(Tensor.Zeros(3)), tape.Constant(Tensor.Zeros(3, 5))));
        Assert.Throws<ShapeError>(() => Ops.MatMul(tape.Constant(Tensor.Zeros(2, 2, 3)), tape.Constant(Tensor.Zeros(3, 3, 5))));
    }
}
