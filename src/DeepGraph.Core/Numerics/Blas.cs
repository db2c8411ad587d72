namespace DeepGraph.Numerics;

/// <summary>Chooses the <see cref="IGemm"/> backend: a native CBLAS when one loads, else the managed kernel.</summary>
public static class Blas
{
    /// <summary>
    /// Returns the GEMM backend for <paramref name="preference"/>: "mkl", "openblas" or "blis" load
    /// that native library (<see cref="CblasGemm.TryLoad"/>), "managed" is a
    /// <see cref="ManagedGemm"/> on all cores; null (or blank) tries MKL, then OpenBLAS, then
    /// BLIS, then falls back to the managed kernel. The caller keeps the result: nothing is cached.
    /// </summary>
    /// <param name="preference">"mkl", "openblas", "blis", "managed" (any case), or null to choose automatically.</param>
    /// <param name="report">One line saying which backend was chosen and why the ones before it were not, for the log.</param>
    /// <returns>The backend.</returns>
    /// <exception cref="ArgumentException">The preference is unknown, or names a native library that cannot be loaded (the message says why).</exception>
    public static IGemm Resolve(string? preference, out string report)
    {
        if (string.IsNullOrWhiteSpace(preference))
        {
            var skipped = new List<string>();
            foreach (string kind in CblasGemm.Kinds)
            {
                if (CblasGemm.TryLoad(kind, out var native, out string reason))
                {
                    report = $"BLAS: {native!.Name}, chosen automatically" + (skipped.Count > 0 ? $" (skipped {string.Join("; ", skipped)})" : "");
                    return native;
                }
                skipped.Add(reason);
            }
            var fallback = new ManagedGemm();
            report = $"BLAS: {fallback.Name}, no native CBLAS found ({string.Join("; ", skipped)})";
            return fallback;
        }

        string wanted = preference.Trim().ToLowerInvariant();
        if (wanted == "managed")
        {
            var managed = new ManagedGemm();
            report = $"BLAS: {managed.Name}, as requested";
            return managed;
        }
        if (!CblasGemm.Kinds.Contains(wanted))
            throw new ArgumentException(
                $"Unknown BLAS '{preference}': expected mkl, openblas, blis or managed (or null to choose automatically).", nameof(preference));
        if (!CblasGemm.TryLoad(wanted, out var gemm, out string why))
            throw new ArgumentException($"BLAS '{preference}' was requested but cannot be loaded ({why}).", nameof(preference));
        report = $"BLAS: {gemm!.Name}, as requested";
        return gemm;
    }
}
