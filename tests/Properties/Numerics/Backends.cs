using System.Runtime.CompilerServices;
using DeepGraph.Numerics;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// The GEMM implementations under test on this machine. Tests that exercise a native BLAS come in
/// two halves: the managed half always runs, and the native half (marked <see cref="NativeFactAttribute"/>,
/// <see cref="NativeTheoryAttribute"/> or <see cref="NativePropertyAttribute"/>) runs on every native
/// CBLAS in <see cref="Native"/> and is skipped, saying why, when none loads. Where native coverage
/// must not be lost (CI installs OpenBLAS), <c>DEEPGRAPH_REQUIRE_NATIVE_BLAS=1</c> turns that skip
/// into a failure.
/// </summary>
public static class Backends
{
    /// <summary>The environment variable that makes a missing native BLAS a test failure instead of a skip.</summary>
    public const string RequireVariable = "DEEPGRAPH_REQUIRE_NATIVE_BLAS";

    /// <summary>
    /// Every managed kernel this CPU runs, single-threaded and on two threads (the widest kernel
    /// both ways, so that the split into stripes is exercised).
    /// </summary>
    public static readonly IReadOnlyList<IGemm> Managed =
    [
        new ManagedGemm(1),
        new ManagedGemm(2),
        .. new[] { ManagedGemmKernel.Vector512, ManagedGemmKernel.Vector256, ManagedGemmKernel.Portable }
            .Where(ManagedGemm.IsSupported)
            .Where(kernel => kernel != new ManagedGemm(1).Kernel)
            .Select(kernel => new ManagedGemm(2, kernel)),
    ];

    /// <summary>Every native CBLAS that loads here (MKL, OpenBLAS, BLIS); empty on a machine with only the .NET SDK.</summary>
    public static readonly IReadOnlyList<IGemm> Native =
        CblasGemm.Kinds
            .Select(kind => CblasGemm.TryLoad(kind, out var gemm, out _) ? gemm : null)
            .OfType<IGemm>()
            .ToList();

    /// <summary>Why each native CBLAS does not load (<c>kind: file not found, …</c>).</summary>
    private static string[] LoadFailures() =>
        [.. CblasGemm.Kinds.Select(kind => { CblasGemm.TryLoad(kind, out _, out string reason); return reason; })];

    /// <summary>Why no native CBLAS loads: every library tried and what went wrong.</summary>
    private static string WhyNoNative() =>
        "no native CBLAS loads on this machine (" + string.Join("; ", LoadFailures()) +
        "); install libopenblas0-pthread to run the native BLAS tests";

    /// <summary>
    /// The name a skipped native test shows: its own name and, in brackets, why it is skipped — in
    /// short (<c>mkl, openblas, blis not found</c>) when every library was simply not found, else in
    /// full. <c>dotnet test</c> prints skipped tests by name at its default verbosity but their skip
    /// reason only at <c>normal</c>, so the name carries it.
    /// </summary>
    public static string SkippedName(string test, IReadOnlyList<string> failures)
    {
        bool allMissing = failures.All(f => f.Split(": ", 2) is [_, var files] && files.Split(", ").All(x => x.EndsWith(" not found", StringComparison.Ordinal)));
        string why = allMissing
            ? $"no native CBLAS: {string.Join(", ", failures.Select(f => f.Split(": ", 2)[0]))} not found; install libopenblas0-pthread"
            : $"no native CBLAS: {string.Join("; ", failures)}";
        return $"{test} [{why}]";
    }

    /// <summary>The name a native test shows on this machine: <see cref="SkippedName"/> (class and method) when it is skipped, else null (the default name).</summary>
    /// <param name="test">The test method.</param>
    /// <param name="file">The file it is written in, named after its class.</param>
    public static string? NativeDisplayName(string test, string file) =>
        NativeSkipReason is null ? null : SkippedName($"{Path.GetFileNameWithoutExtension(file)}.{test}", LoadFailures());

    /// <summary>Whether <see cref="RequireVariable"/> asks for a native BLAS ("1" or "true").</summary>
    public static bool NativeRequired => IsRequired(Environment.GetEnvironmentVariable(RequireVariable));

    /// <summary>Whether a value of <see cref="RequireVariable"/> asks for a native BLAS.</summary>
    public static bool IsRequired(string? value) =>
        value is not null && (value.Trim() == "1" || value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The skip decision of the native attributes: null (run) when a native library loaded or one is
    /// required (the test then fails through <see cref="NativeOrFail"/>), else the reason to skip.
    /// </summary>
    public static string? SkipReason(int nativeCount, bool required, Func<string> why) =>
        nativeCount > 0 || required ? null : why();

    /// <summary>Why native tests are skipped here, or null when they run.</summary>
    public static string? NativeSkipReason => SkipReason(Native.Count, NativeRequired, WhyNoNative);

    /// <summary>
    /// The native libraries a native test runs on; when none loads (the test runs only because
    /// <see cref="RequireVariable"/> is set), throws with the reason, so the lost coverage is a failure.
    /// </summary>
    public static IReadOnlyList<IGemm> NativeOrFail => Check(Native, WhyNoNative);

    /// <summary><paramref name="native"/> when not empty, else an exception saying <paramref name="why"/>.</summary>
    public static IReadOnlyList<IGemm> Check(IReadOnlyList<IGemm> native, Func<string> why) =>
        native.Count > 0 ? native
            : throw new InvalidOperationException($"{RequireVariable} is set but {why()}");
}

/// <summary>A fact that is skipped, saying why, when no native CBLAS loads (unless one is required).</summary>
public sealed class NativeFactAttribute : FactAttribute
{
    /// <summary>Skips the fact when <see cref="Backends.NativeSkipReason"/> says so.</summary>
    /// <param name="test">The test method (filled in by the compiler): a skipped test's name carries the reason.</param>
    /// <param name="file">The source file (filled in by the compiler), named after the test class.</param>
    public NativeFactAttribute([CallerMemberName] string test = "", [CallerFilePath] string file = "")
    {
        if (Backends.NativeSkipReason is { } reason)
        {
            Skip = reason;
            DisplayName = Backends.NativeDisplayName(test, file);
        }
    }
}

/// <summary>An FsCheck property that is skipped, saying why, when no native CBLAS loads (unless one is required).</summary>
public sealed class NativePropertyAttribute : FsCheck.Xunit.PropertyAttribute
{
    /// <summary>Skips the property when <see cref="Backends.NativeSkipReason"/> says so.</summary>
    /// <param name="test">The test method (filled in by the compiler): a skipped test's name carries the reason.</param>
    /// <param name="file">The source file (filled in by the compiler), named after the test class.</param>
    public NativePropertyAttribute([CallerMemberName] string test = "", [CallerFilePath] string file = "")
    {
        if (Backends.NativeSkipReason is { } reason)
        {
            Skip = reason;
            DisplayName = Backends.NativeDisplayName(test, file);
        }
    }
}

/// <summary>A theory that is skipped, saying why, when no native CBLAS loads (unless one is required).</summary>
public sealed class NativeTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the theory when <see cref="Backends.NativeSkipReason"/> says so.</summary>
    /// <param name="test">The test method (filled in by the compiler): a skipped test's name carries the reason.</param>
    /// <param name="file">The source file (filled in by the compiler), named after the test class.</param>
    public NativeTheoryAttribute([CallerMemberName] string test = "", [CallerFilePath] string file = "")
    {
        if (Backends.NativeSkipReason is { } reason)
        {
            Skip = reason;
            DisplayName = Backends.NativeDisplayName(test, file);
        }
    }
}
