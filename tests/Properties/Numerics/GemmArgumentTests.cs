using DeepGraph.Numerics;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// Bad arguments are an <see cref="ArgumentException"/> that names the argument and the sizes,
/// raised before any memory is touched — for the managed kernel and the native library alike;
/// and the backend choice reports what it chose and refuses what it cannot load.
/// </summary>
public class GemmArgumentTests
{
    private delegate void Call(IGemm gemm);

    /// <summary>A 2×3 by 3×4 product with one argument broken: (what, call, parameter name, words the message must contain).</summary>
    private static readonly (string What, Call Call, string Param, string[] Words)[] BadCalls =
    [
        ("negative m", g => g.Sgemm(false, false, -1, 4, 3, 1, new float[6], 3, new float[12], 4, 0, new float[8], 4), "m", ["-1"]),
        ("negative n", g => g.Sgemm(false, false, 2, -4, 3, 1, new float[6], 3, new float[12], 4, 0, new float[8], 4), "n", ["-4"]),
        ("negative k", g => g.Sgemm(false, false, 2, 4, -3, 1, new float[6], 3, new float[12], 4, 0, new float[8], 4), "k", ["-3"]),
        ("lda < k", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 2, new float[12], 4, 0, new float[8], 4), "lda", ["lda=2", "3"]),
        ("lda < m for Aᵀ", g => g.Sgemm(true, false, 2, 4, 3, 1, new float[6], 1, new float[12], 4, 0, new float[8], 4), "lda", ["lda=1", "Aᵀ"]),
        ("ldb < n", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 3, new float[12], 3, 0, new float[8], 4), "ldb", ["ldb=3", "4"]),
        ("ldb < k for Bᵀ", g => g.Sgemm(false, true, 2, 4, 3, 1, new float[6], 3, new float[12], 2, 0, new float[8], 4), "ldb", ["ldb=2", "Bᵀ"]),
        ("ldc < n", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 3, new float[12], 4, 0, new float[8], 3), "ldc", ["ldc=3"]),
        ("a too short", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[5], 3, new float[12], 4, 0, new float[8], 4), "a", ["needs 6", "got 5"]),
        ("a too short for its lda", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 5, new float[12], 4, 0, new float[8], 4), "a", ["needs 8", "got 6"]),
        ("b too short", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 3, new float[11], 4, 0, new float[8], 4), "b", ["needs 12", "got 11"]),
        ("c too short", g => g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 3, new float[12], 4, 0, new float[7], 4), "c", ["needs 8", "got 7"]),
        ("c overlaps a", g => { var x = new float[20]; g.Sgemm(false, false, 2, 4, 3, 1, x.AsSpan(0, 6), 3, new float[12], 4, 0, x.AsSpan(4, 8), 4); }, "c", ["overlap a"]),
        ("c overlaps b", g => { var x = new float[20]; g.Sgemm(false, false, 2, 4, 3, 1, new float[6], 3, x.AsSpan(0, 12), 4, 0, x.AsSpan(8, 8), 4); }, "c", ["overlap b"]),
    ];

    public static TheoryData<string> Cases => new(BadCalls.Select(c => c.What));

    private static void AssertRejects(IGemm gemm, string what)
    {
        var bad = BadCalls.Single(c => c.What == what);
        var e = Assert.ThrowsAny<ArgumentException>(() => bad.Call(gemm));
        Assert.Equal(bad.Param, e.ParamName);
        foreach (string word in bad.Words) Assert.Contains(word, e.Message);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Managed_rejects_bad_arguments_naming_them(string what)
    {
        foreach (var gemm in Backends.Managed) AssertRejects(gemm, what);
    }

    [NativeTheory]
    [MemberData(nameof(Cases))]
    public void Native_rejects_bad_arguments_before_the_native_call(string what)
    {
        foreach (var gemm in Backends.NativeOrFail) AssertRejects(gemm, what);
    }

    [Fact]
    public void A_managed_gemm_needs_at_least_one_thread() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ManagedGemm(0));

    [Fact]
    public void Managed_names_its_kernel()
    {
        Assert.StartsWith("managed (", new ManagedGemm(1).Name);
        Assert.NotEqual(ManagedGemmKernel.Auto, new ManagedGemm(1).Kernel);
        Assert.Equal(ManagedGemmKernel.Portable, new ManagedGemm(1, ManagedGemmKernel.Portable).Kernel);
    }

    [Fact]
    public void An_unknown_library_kind_is_an_argument_error()
    {
        var e = Assert.Throws<ArgumentException>(() => CblasGemm.TryLoad("cublas", out _, out _));
        Assert.Contains("cublas", e.Message);
        Assert.Equal("kind", e.ParamName);
    }

    [Fact]
    public void Resolve_rejects_an_unknown_preference() =>
        Assert.Contains("expected mkl, openblas, blis or managed",
            Assert.Throws<ArgumentException>(() => Blas.Resolve("atlas", out _)).Message);

    [Fact]
    public void Resolve_managed_gives_the_managed_kernel_and_says_so()
    {
        var gemm = Blas.Resolve("Managed", out string report);
        Assert.IsType<ManagedGemm>(gemm);
        Assert.Contains(gemm.Name, report);
        Assert.DoesNotContain('\n', report);
    }

    [Fact]
    public void Resolve_without_preference_takes_the_first_native_library_that_loads_else_managed()
    {
        var gemm = Blas.Resolve(null, out string report);
        Assert.Contains(gemm.Name, report);
        Assert.DoesNotContain('\n', report);
        if (Backends.Native.Count > 0) Assert.Equal(Backends.Native[0].Name, gemm.Name);
        else Assert.IsType<ManagedGemm>(gemm);
    }

    [Fact]
    public void Resolve_a_native_kind_loads_it_or_says_why_not()
    {
        foreach (string kind in CblasGemm.Kinds)
        {
            if (CblasGemm.TryLoad(kind, out var expected, out string reason))
            {
                Assert.Equal(expected!.Name, Blas.Resolve(kind.ToUpperInvariant(), out string report).Name);
                Assert.Contains(expected.Name, report);
            }
            else
            {
                var e = Assert.Throws<ArgumentException>(() => Blas.Resolve(kind, out _));
                Assert.Contains(reason, e.Message);
                Assert.Equal("preference", e.ParamName);
            }
        }
    }

    [NativeFact]
    public void A_native_library_reports_its_file_and_can_set_its_thread_count()
    {
        foreach (var gemm in Backends.NativeOrFail.Cast<CblasGemm>())
        {
            Assert.Contains(gemm.Library, gemm.Name);
            if (gemm.CanSetThreadCount) Assert.True(gemm.TrySetThreadCount(Environment.ProcessorCount));
        }
    }

    /// <summary>
    /// Loading OpenBLAS leaves OPENBLAS_THREAD_TIMEOUT in the native environment (its worker threads
    /// then sleep after each call instead of spinning on the cores the managed kernels use), unless
    /// the process had a value of its own, which stays.
    /// </summary>
    [NativeFact]
    public void Loading_openblas_sets_its_thread_timeout_unless_the_process_has_one()
    {
        if (!OperatingSystem.IsLinux() || !CblasGemm.TryLoad("openblas", out _, out _)) return;
        nint value = NativeGetEnv("OPENBLAS_THREAD_TIMEOUT");
        Assert.True(value != 0, "OPENBLAS_THREAD_TIMEOUT is not set in the native environment");
        Assert.Equal(Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT") ?? "4", System.Runtime.InteropServices.Marshal.PtrToStringUTF8(value));
    }

    [System.Runtime.InteropServices.DllImport("libc.so.6", EntryPoint = "getenv")]
    private static extern nint NativeGetEnv(string name);
}
