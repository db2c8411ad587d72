using DeepGraph.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// Every GEMM agrees with a float64 reference: on generated sizes from 1 to 150 (primes and
/// non-multiples of every tile included), all four transpose combinations, alpha and beta
/// including 0 (beta = 0 with NaN in C), and leading dimensions larger than the minimum with
/// NaN in the slack of A and B; and on fixed larger sizes that cross the cache blocks
/// (k &gt; KC, m &gt; MC, n &gt; NC) and the thread split.
/// </summary>
public class GemmLaws
{
    /// <summary>The larger fixed cases: (m, n, k).</summary>
    public static TheoryData<int, int, int, bool, bool> Large()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                data.Add(257, 129, 511, ta, tb);      // k over two KC blocks, odd everything
        data.Add(701, 37, 300, false, false);         // m over three MC blocks
        data.Add(5, 4099, 9, true, true);             // n over two NC blocks, the second 3 wide
        data.Add(5, 3001, 200, false, true);          // too few rows to split: the threads split columns
        data.Add(128, 10, 9216, false, false);        // a Dense shape: long k, narrow n
        return data;
    }

    [Property(MaxTest = 300)]
    public Property Managed_kernels_match_the_float64_reference() =>
        Prop.ForAll(GemmCase.Any.ToArbitrary(), c =>
        {
            string? failure = c.Check(Backends.Managed);
            return (failure is null).Label(failure ?? "");
        });

    [NativeProperty(MaxTest = 200)]
    public Property Native_BLAS_matches_the_float64_reference() =>
        Prop.ForAll(GemmCase.Any.ToArbitrary(), c =>
        {
            string? failure = c.Check(Backends.NativeOrFail);
            return (failure is null).Label(failure ?? "");
        });

    [Theory]
    [MemberData(nameof(Large))]
    public void Managed_kernels_match_the_reference_on_large_sizes(int m, int n, int k, bool ta, bool tb)
    {
        var c = new GemmCase(m, n, k, ta, tb, 1.5f, -0.75f, 3, 1, 2, m * 31 + n);
        Assert.Null(c.Check(Backends.Managed));
        Assert.Null((c with { Beta = 0f }).Check(Backends.Managed));
    }

    [NativeTheory]
    [MemberData(nameof(Large))]
    public void Native_BLAS_matches_the_reference_on_large_sizes(int m, int n, int k, bool ta, bool tb)
    {
        var c = new GemmCase(m, n, k, ta, tb, 1.5f, -0.75f, 3, 1, 2, m * 31 + n);
        Assert.Null(c.Check(Backends.NativeOrFail));
        Assert.Null((c with { Beta = 0f }).Check(Backends.NativeOrFail));
    }

    /// <summary>Row counts 1 to 29: every remainder of the 14-, 6- and 4-row register tiles, with a full tile before it or not.</summary>
    public static TheoryData<int> EdgeRows() => new(Enumerable.Range(1, 29));

    /// <summary>
    /// Every instantiation of the micro-kernels: m rows (each remainder of the tile height) by
    /// n columns that end on a full panel, a narrow panel, or part of either, with beta = 0
    /// (C is NaN and must not be read) and beta ≠ 0, plain and with A transposed.
    /// </summary>
    [Theory]
    [MemberData(nameof(EdgeRows))]
    public void Managed_kernels_match_the_reference_on_every_edge(int m)
    {
        foreach (int n in new[] { 8, 16, 32, 45 })
            foreach (bool ta in new[] { false, true })
                foreach (float beta in new[] { 0f, -0.5f })
                {
                    var c = new GemmCase(m, n, 19, ta, false, 1.5f, beta, 1, 2, 3, m * 97 + n);
                    Assert.Null(c.Check(Backends.Managed));
                }
    }

    /// <summary>k = 0 or alpha = 0: C ← beta·C, A and B not read (they are NaN here), C not read when beta = 0.</summary>
    [Fact]
    public void Without_a_product_C_becomes_beta_C_and_A_and_B_are_not_read()
    {
        foreach (var gemm in Backends.Managed.Concat(Backends.Native))
        {
            float[] a = [float.NaN, float.NaN, float.NaN, float.NaN], b = [float.NaN, float.NaN, float.NaN, float.NaN];
            float[] c = [1, 2, 3, 4];
            gemm.Sgemm(false, false, 2, 2, 2, 0f, a, 2, b, 2, 3f, c, 2);
            Assert.Equal([3f, 6f, 9f, 12f], c);
            gemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, -1f, c, 2);
            Assert.Equal([-3f, -6f, -9f, -12f], c);
            c = [float.NaN, float.NaN, float.NaN, float.NaN];
            gemm.Sgemm(true, true, 2, 2, 0, 1f, [], 2, [], 1, 0f, c, 2);
            Assert.Equal([0f, 0f, 0f, 0f], c);
            gemm.Sgemm(false, false, 0, 2, 2, 1f, [], 2, b, 2, 0f, [], 2);  // nothing to do, nothing touched
        }
    }

    /// <summary>One instance is safe to use from several threads at once (no shared scratch).</summary>
    [Fact]
    public void One_managed_instance_serves_concurrent_callers()
    {
        var gemm = new ManagedGemm(2);
        var cases = Enumerable.Range(0, 8).Select(i => new GemmCase(60 + i, 70 - i, 150 + 3 * i, i % 2 == 0, i % 3 == 0, 1f, 0f, 1, 0, 2, i)).ToArray();
        var failures = new string?[cases.Length];
        Parallel.For(0, cases.Length, i => failures[i] = cases[i].Check(gemm));
        Assert.All(failures, Assert.Null);
    }
}
