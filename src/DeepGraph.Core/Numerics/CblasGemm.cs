using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace DeepGraph.Numerics;

/// <summary>
/// An <see cref="IGemm"/> that calls <c>cblas_sgemm</c> of a native BLAS (Intel MKL, OpenBLAS or
/// BLIS) resolved at run time with <see cref="NativeLibrary"/>, through an unmanaged function
/// pointer. Create one with <see cref="TryLoad"/>; the caller keeps the instance (nothing is
/// cached in statics). The library stays loaded for the life of the process.
/// </summary>
/// <remarks>
/// Arguments are validated in managed code before the native call, so a bad size is an
/// <see cref="ArgumentException"/> here, never a BLAS error handler or a crash. The thread
/// count (<see cref="TrySetThreadCount"/>) is a setting of the native library, shared by every
/// user of that library in the process.
/// </remarks>
public sealed unsafe class CblasGemm : IGemm
{
    private const int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

    /// <summary>The library kinds <see cref="TryLoad"/> knows, in the order <see cref="Blas.Resolve"/> tries them.</summary>
    public static readonly ImmutableArray<string> Kinds = ["mkl", "openblas", "blis"];

    private readonly delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged[Cdecl]<int, void> setThreadsInt;
    private readonly delegate* unmanaged[Cdecl]<long, void> setThreadsDimT;

    private CblasGemm(string kind, string library, nint sgemm, nint setThreads)
    {
        Kind = kind;
        Library = library;
        this.sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
        // BLIS takes a dim_t (64-bit in its default build); MKL and OpenBLAS take an int.
        if (kind == "blis") setThreadsDimT = (delegate* unmanaged[Cdecl]<long, void>)setThreads;
        else setThreadsInt = (delegate* unmanaged[Cdecl]<int, void>)setThreads;
        Name = $"{DisplayName(kind)} ({library})";
    }

    /// <summary>Which library this is: "mkl", "openblas" or "blis".</summary>
    public string Kind { get; }

    /// <summary>The file name the library was loaded from, e.g. "libopenblas.so.0".</summary>
    public string Library { get; }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Whether the library exports its thread-count setter (<c>openblas_set_num_threads</c>, <c>MKL_Set_Num_Threads</c>, <c>bli_thread_set_num_threads</c>).</summary>
    public bool CanSetThreadCount => setThreadsInt != null || setThreadsDimT != null;

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// Sets the number of threads the native library uses for every later call in this process
    /// (a setting of the library, not of this instance). Returns false, changing nothing, when
    /// the library does not export a setter.
    /// </summary>
    /// <param name="threads">The thread count (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public bool TrySetThreadCount(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (setThreadsInt != null) setThreadsInt(threads);
        else if (setThreadsDimT != null) setThreadsDimT(threads);
        else return false;
        return true;
    }

    /// <summary>The file names tried for <paramref name="kind"/> on this operating system, in order.</summary>
    /// <param name="kind">"mkl", "openblas" or "blis" (any case).</param>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not one of <see cref="Kinds"/>.</exception>
    public static ImmutableArray<string> LibraryNames(string kind) => Normalize(kind) switch
    {
        "mkl" when OperatingSystem.IsWindows() => ["mkl_rt.2.dll", "mkl_rt.dll"],
        "mkl" when OperatingSystem.IsMacOS() => ["libmkl_rt.2.dylib", "libmkl_rt.dylib"],
        "mkl" => ["libmkl_rt.so.2", "libmkl_rt.so"],
        "openblas" when OperatingSystem.IsWindows() => ["libopenblas.dll", "openblas.dll"],
        "openblas" when OperatingSystem.IsMacOS() => ["libopenblas.0.dylib", "libopenblas.dylib"],
        "openblas" => ["libopenblas.so.0", "libopenblas.so"],
        "blis" when OperatingSystem.IsWindows() => ["libblis.4.dll", "libblis.dll", "blis.dll"],
        "blis" when OperatingSystem.IsMacOS() => ["libblis.4.dylib", "libblis.dylib"],
        _ => ["libblis.so.4", "libblis.so"],
    };

    /// <summary>
    /// Loads the first of <see cref="LibraryNames"/> that exists and exports <c>cblas_sgemm</c>.
    /// </summary>
    /// <param name="kind">"mkl", "openblas" or "blis" (any case).</param>
    /// <param name="gemm">The loaded GEMM, or null.</param>
    /// <param name="reason">On success, which file was loaded; on failure, why not (every file tried and what went wrong).</param>
    /// <returns>Whether a library was loaded.</returns>
    /// <exception cref="ArgumentException"><paramref name="kind"/> is not one of <see cref="Kinds"/>.</exception>
    public static bool TryLoad(string kind, out CblasGemm? gemm, out string reason)
    {
        string normalized = Normalize(kind);
        if (normalized == "openblas") QuietOpenBlasThreads();
        var failures = new List<string>();
        foreach (string library in LibraryNames(normalized))
        {
            if (!NativeLibrary.TryLoad(library, out nint handle))
            {
                failures.Add($"{library} not found");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm))
            {
                failures.Add($"{library} has no cblas_sgemm");
                NativeLibrary.Free(handle);
                continue;
            }
            nint setThreads = 0;
            foreach (string setter in ThreadSetters(normalized))
                if (NativeLibrary.TryGetExport(handle, setter, out setThreads)) break;
            gemm = new CblasGemm(normalized, library, sgemm, setThreads);
            reason = $"{normalized}: loaded {library}";
            return true;
        }
        gemm = null;
        reason = $"{normalized}: {string.Join(", ", failures)}";
        return false;
    }

    /// <summary>
    /// OpenBLAS's worker threads spin for about 2^28 cycles after each call before they sleep, and
    /// while they spin they hold the cores the managed kernels between two GEMM calls want (the Core
    /// training step of the Fashion-MNIST convnet took 14.6–17.4 ms so, 11.6–13.3 ms with them asleep).
    /// Unless the process already has a value, this sets <c>OPENBLAS_THREAD_TIMEOUT=4</c> (the
    /// smallest: sleep at once) in the native environment, which OpenBLAS reads when it loads; the
    /// managed <see cref="Environment.SetEnvironmentVariable(string, string)"/> would not reach it.
    /// </summary>
    private static void QuietOpenBlasThreads()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("OPENBLAS_THREAD_TIMEOUT") is not null) return;
        if (!NativeLibrary.TryLoad("libc.so.6", out nint libc) || !NativeLibrary.TryGetExport(libc, "setenv", out nint setenv)) return;
        fixed (byte* name = "OPENBLAS_THREAD_TIMEOUT\0"u8, value = "4\0"u8)
            ((delegate* unmanaged[Cdecl]<byte*, byte*, int, int>)setenv)(name, value, 0);
    }

    /// <inheritdoc/>
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArguments.Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        // Degenerate sizes never reach the library: some BLAS builds differ on them.
        if (GemmArguments.TryTrivial(m, n, k, alpha, beta, c, ldc)) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }
    }

    private static string Normalize(string kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        string normalized = kind.Trim().ToLowerInvariant();
        if (!Kinds.Contains(normalized))
            throw new ArgumentException($"Unknown native BLAS '{kind}': expected one of {string.Join(", ", Kinds)}.", nameof(kind));
        return normalized;
    }

    private static string[] ThreadSetters(string kind) => kind switch
    {
        "mkl" => ["MKL_Set_Num_Threads", "mkl_set_num_threads"],
        "openblas" => ["openblas_set_num_threads"],
        _ => ["bli_thread_set_num_threads"],
    };

    private static string DisplayName(string kind) => kind switch
    {
        "mkl" => "Intel MKL",
        "openblas" => "OpenBLAS",
        _ => "BLIS",
    };
}
