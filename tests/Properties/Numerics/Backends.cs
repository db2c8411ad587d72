using DeepGraph.Numerics;

namespace DeepGraph.Properties.Numerics;

/// <summary>The GEMM implementations under test on this machine.</summary>
public static class Backends
{
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

    /// <summary>Every native CBLAS that loads here (CI installs OpenBLAS, so it has at least that one).</summary>
    public static readonly IReadOnlyList<IGemm> Native =
        CblasGemm.Kinds
            .Select(kind => CblasGemm.TryLoad(kind, out var gemm, out _) ? gemm : null)
            .OfType<IGemm>()
            .ToList();

    /// <summary>Why native tests are skipped, or null when a native library loaded.</summary>
    public static string? NativeSkipReason =>
        Native.Count > 0 ? null
            : "no native CBLAS loads on this machine (" +
              string.Join("; ", CblasGemm.Kinds.Select(kind => { CblasGemm.TryLoad(kind, out _, out string reason); return reason; })) +
              "); install libopenblas0-pthread to run the native GEMM tests";
}

/// <summary>A fact that is skipped, saying why, when no native CBLAS loads.</summary>
public sealed class NativeFactAttribute : FactAttribute
{
    /// <summary>Skips the fact when <see cref="Backends.Native"/> is empty.</summary>
    public NativeFactAttribute()
    {
        if (Backends.NativeSkipReason is { } reason) Skip = reason;
    }
}

/// <summary>An FsCheck property that is skipped, saying why, when no native CBLAS loads.</summary>
public sealed class NativePropertyAttribute : FsCheck.Xunit.PropertyAttribute
{
    /// <summary>Skips the property when <see cref="Backends.Native"/> is empty.</summary>
    public NativePropertyAttribute()
    {
        if (Backends.NativeSkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that is skipped, saying why, when no native CBLAS loads.</summary>
public sealed class NativeTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips the theory when <see cref="Backends.Native"/> is empty.</summary>
    public NativeTheoryAttribute()
    {
        if (Backends.NativeSkipReason is { } reason) Skip = reason;
    }
}
