using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>
/// y (m, n) = x (m, k) · w (k, n) for a handful of rows (m ≤ 4) and a large w: a Dense layer at
/// batch 1–4, whose time is reading the kernel once. Why not the GEMM: a GEMM packs w into
/// panels first, which for 1,438,208 × 64 (the tutorial's fifthy_layer, 368 MB) doubles the
/// memory traffic; here w is streamed once, row after row, into 4 rows × 64 columns of AVX-512
/// accumulators, and the cores split k and add their partial sums at the end.
/// </summary>
public static unsafe class SkinnyGemm
{
    private const int Lanes = 16, MaxRows = 4;

    /// <summary>True where it runs: AVX-512, at most 4 rows, at least 16 columns, and a kernel large enough (≥ 1 M values) to be worth it.</summary>
    public static bool Applies(int m, int k, int n) =>
        Vector512.IsHardwareAccelerated && m >= 1 && m <= MaxRows && n >= Lanes && (long)k * n >= 1 << 20;

    /// <summary>Computes y = x · w; <paramref name="threads"/> split the k dimension.</summary>
    public static void Run(ReadOnlySpan<float> x, int m, int k, ReadOnlySpan<float> w, int n, Span<float> y, int threads)
    {
        if (m < 1 || k < 1 || n < 1 || x.Length < (long)m * k || w.Length < (long)k * n || y.Length < (long)m * n)
            throw new ArgumentException($"A {m}×{k} by {k}×{n} product does not fit buffers of {x.Length}, {w.Length} and {y.Length} values.", nameof(x));
        int parts = Math.Clamp(threads, 1, Math.Max(1, k / 4096));
        var partial = GC.AllocateUninitializedArray<float>(parts * m * n, pinned: true);
        fixed (float* xp = x)
        fixed (float* wp = w)
        fixed (float* pp = partial)
        {
            nint xa = (nint)xp, wa = (nint)wp, pa = (nint)pp;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
            {
                int k0 = (int)((long)k * p / parts), k1 = (int)((long)k * (p + 1) / parts);
                Slab((float*)xa, m, k, k0, k1, (float*)wa, n, (float*)pa + (long)p * m * n);
            });
        }
        partial.AsSpan(0, m * n).CopyTo(y);
        for (int p = 1; p < parts; p++)
            System.Numerics.Tensors.TensorPrimitives.Add(y[..(m * n)], partial.AsSpan(p * m * n, m * n), y[..(m * n)]);
    }

    /// <summary>Rows k0 … k1 of w, all columns: partial y into <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Slab(float* x, int m, int k, int k0, int k1, float* w, int n, float* y)
    {
        int col = 0;
        for (; col + 4 * Lanes <= n; col += 4 * Lanes) Columns64(x, m, k, k0, k1, w + col, n, y + col);
        for (; col + Lanes <= n; col += Lanes) Columns16(x, m, k, k0, k1, w + col, n, y + col);
        for (; col < n; col++)
            for (int i = 0; i < m; i++)
            {
                float s = 0;
                for (int kk = k0; kk < k1; kk++) s += x[(long)i * k + kk] * w[(long)kk * n + col];
                y[i * n + col] = s;
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns64(float* x, int m, int k, int k0, int k1, float* w, int n, float* y)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        float* x1 = x + (m > 1 ? k : 0), x2 = x + (m > 2 ? 2L * k : 0), x3 = x + (m > 3 ? 3L * k : 0);
        for (int kk = k0; kk < k1; kk++)
        {
            float* row = w + (long)kk * n;
            var w0 = Vector512.Load(row); var w1 = Vector512.Load(row + 16); var w2 = Vector512.Load(row + 32); var w3 = Vector512.Load(row + 48);
            var v = Vector512.Create(x[kk]);
            a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01); a02 = Vector512.FusedMultiplyAdd(v, w2, a02); a03 = Vector512.FusedMultiplyAdd(v, w3, a03);
            if (m > 1)
            {
                v = Vector512.Create(x1[kk]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11); a12 = Vector512.FusedMultiplyAdd(v, w2, a12); a13 = Vector512.FusedMultiplyAdd(v, w3, a13);
            }
            if (m > 2)
            {
                v = Vector512.Create(x2[kk]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21); a22 = Vector512.FusedMultiplyAdd(v, w2, a22); a23 = Vector512.FusedMultiplyAdd(v, w3, a23);
            }
            if (m > 3)
            {
                v = Vector512.Create(x3[kk]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31); a32 = Vector512.FusedMultiplyAdd(v, w2, a32); a33 = Vector512.FusedMultiplyAdd(v, w3, a33);
            }
        }
        a00.Store(y); a01.Store(y + 16); a02.Store(y + 32); a03.Store(y + 48);
        if (m > 1) { a10.Store(y + n); a11.Store(y + n + 16); a12.Store(y + n + 32); a13.Store(y + n + 48); }
        if (m > 2) { a20.Store(y + 2 * n); a21.Store(y + 2 * n + 16); a22.Store(y + 2 * n + 32); a23.Store(y + 2 * n + 48); }
        if (m > 3) { a30.Store(y + 3 * n); a31.Store(y + 3 * n + 16); a32.Store(y + 3 * n + 32); a33.Store(y + 3 * n + 48); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Columns16(float* x, int m, int k, int k0, int k1, float* w, int n, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int kk = k0; kk < k1; kk++)
        {
            var w0 = Vector512.Load(w + (long)kk * n);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(x[kk]), w0, a0);
            if (m > 1) a1 = Vector512.FusedMultiplyAdd(Vector512.Create(x[k + kk]), w0, a1);
            if (m > 2) a2 = Vector512.FusedMultiplyAdd(Vector512.Create(x[2L * k + kk]), w0, a2);
            if (m > 3) a3 = Vector512.FusedMultiplyAdd(Vector512.Create(x[3L * k + kk]), w0, a3);
        }
        a0.Store(y);
        if (m > 1) a1.Store(y + n);
        if (m > 2) a2.Store(y + 2 * n);
        if (m > 3) a3.Store(y + 3 * n);
    }
}
