using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>
/// Convolution as an implicit GEMM: the im2col matrix is never written; each block of four
/// output pixels reads its patches straight from the NHWC image and accumulates, in
/// registers, four pixels × up to 64 filters with AVX-512 FMA, the kernel repacked to
/// (kh·kw·cin, filters rounded up to 16). Why: with few input channels (the first layer of
/// most image models has 1 or 3) or few filters the GEMM of im2col + GEMM is thin, packing and
/// writing the patch matrix cost more than the multiply, and a BLAS call per tile cannot
/// split small work over the cores; here the two cores split the pixels.
/// </summary>
public static unsafe class DirectConv
{
    private const int Lanes = 16, Pixels = 4;

    /// <summary>True where this kernel runs (AVX-512); elsewhere convolutions use im2col + GEMM.</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>
    /// y (rows, filters) = conv(x, kernel) + bias, for the window <paramref name="g"/>; the
    /// kernel is Keras's (kh, kw, cin, filters); <paramref name="bias"/> may be empty.
    /// </summary>
    public static void Run(ReadOnlySpan<float> x, in Window2D g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int filters, Span<float> y, int parallelism)
    {
        int k = g.PatchSize, padded = (filters + Lanes - 1) / Lanes * Lanes;
        var packed = GC.AllocateUninitializedArray<float>(k * padded + padded + g.C, pinned: true);
        // Kernel rows padded to whole vectors; then the bias row; then C zeros for taps outside the image.
        for (int r = 0; r < k; r++)
        {
            kernel.Slice(r * filters, filters).CopyTo(packed.AsSpan(r * padded));
            packed.AsSpan(r * padded + filters, padded - filters).Clear();
        }
        var biasRow = packed.AsSpan(k * padded, padded);
        biasRow.Clear();
        bias.CopyTo(biasRow);
        packed.AsSpan(k * padded + padded, g.C).Clear();

        int quads = (g.Rows + Pixels - 1) / Pixels;
        int chunks = Math.Min(quads, Math.Max(1, parallelism) * 8);
        var geometry = g;
        fixed (float* xp = x)
        fixed (float* yp = y)
        fixed (float* wp = packed)
        {
            nint xa = (nint)xp, ya = (nint)yp, wa = (nint)wp;
            if (chunks == 1 || parallelism <= 1)
            {
                Quads(geometry, (float*)xa, (float*)wa, (float*)ya, filters, padded, 0, quads);
            }
            else
            {
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, c =>
                {
                    int first = (int)((long)quads * c / chunks), last = (int)((long)quads * (c + 1) / chunks);
                    Quads(geometry, (float*)xa, (float*)wa, (float*)ya, filters, padded, first, last);
                });
            }
        }
    }

    private static void Quads(in Window2D g, float* x, float* w, float* y, int filters, int padded, int firstQuad, int lastQuad)
    {
        int k = g.PatchSize, c = g.C;
        float* bias = w + k * padded, zeros = bias + padded;
        var taps = stackalloc float*[Pixels * g.KH * g.KW];
        float* tmp = stackalloc float[4 * Lanes];
        for (int q = firstQuad; q < lastQuad; q++)
        {
            int first = q * Pixels, count = Math.Min(Pixels, g.Rows - first);
            for (int p = 0; p < Pixels; p++)
            {
                int pixel = first + Math.Min(p, count - 1);
                int ox = pixel % g.OW, rest = pixel / g.OW, oy = rest % g.OH, b = rest / g.OH;
                for (int i = 0; i < g.KH; i++)
                {
                    int iy = oy * g.SH - g.PadTop + i * g.DH;
                    for (int j = 0; j < g.KW; j++)
                    {
                        int ix = ox * g.SW - g.PadLeft + j * g.DW;
                        taps[(i * g.KW + j) * Pixels + p] = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? x + ((long)(b * g.H + iy) * g.W + ix) * c : zeros;
                    }
                }
            }
            float* dst = y + (long)first * filters;
            int group = 0;
            for (; padded - group >= 4 * Lanes; group += 4 * Lanes) Block4(taps, g.KH * g.KW, c, w + group, padded, bias + group, dst, group, filters, count, tmp);
            for (; padded - group >= Lanes; group += Lanes) Block1(taps, g.KH * g.KW, c, w + group, padded, bias + group, dst, group, filters, count, tmp);
        }
    }

    /// <summary>Four pixels × 64 filters: 16 accumulators in registers.</summary>
    private static void Block4(float** taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int group, int filters, int count, float* tmp)
    {
        Vector512<float> b0 = Vector512.Load(bias), b1 = Vector512.Load(bias + 16), b2 = Vector512.Load(bias + 32), b3 = Vector512.Load(bias + 48);
        Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            float* s0 = taps[t * Pixels], s1 = taps[t * Pixels + 1], s2 = taps[t * Pixels + 2], s3 = taps[t * Pixels + 3];
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row); var w1 = Vector512.Load(row + 16); var w2 = Vector512.Load(row + 32); var w3 = Vector512.Load(row + 48);
                var v = Vector512.Create(s0[ch]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01); a02 = Vector512.FusedMultiplyAdd(v, w2, a02); a03 = Vector512.FusedMultiplyAdd(v, w3, a03);
                v = Vector512.Create(s1[ch]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11); a12 = Vector512.FusedMultiplyAdd(v, w2, a12); a13 = Vector512.FusedMultiplyAdd(v, w3, a13);
                v = Vector512.Create(s2[ch]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21); a22 = Vector512.FusedMultiplyAdd(v, w2, a22); a23 = Vector512.FusedMultiplyAdd(v, w3, a23);
                v = Vector512.Create(s3[ch]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31); a32 = Vector512.FusedMultiplyAdd(v, w2, a32); a33 = Vector512.FusedMultiplyAdd(v, w3, a33);
            }
        }
        Store(dst, tmp, 0, group, filters, count, a00, a01, a02, a03);
        Store(dst, tmp, 1, group, filters, count, a10, a11, a12, a13);
        Store(dst, tmp, 2, group, filters, count, a20, a21, a22, a23);
        Store(dst, tmp, 3, group, filters, count, a30, a31, a32, a33);
    }

    /// <summary>Four pixels × 16 filters.</summary>
    private static void Block1(float** taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int group, int filters, int count, float* tmp)
    {
        Vector512<float> a0 = Vector512.Load(bias), a1 = a0, a2 = a0, a3 = a0;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            float* s0 = taps[t * Pixels], s1 = taps[t * Pixels + 1], s2 = taps[t * Pixels + 2], s3 = taps[t * Pixels + 3];
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(s0[ch]), w0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1[ch]), w0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2[ch]), w0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3[ch]), w0, a3);
            }
        }
        var none = Vector512<float>.Zero;
        Store(dst, tmp, 0, group, filters, count, a0, none, none, none, vectors: 1);
        Store(dst, tmp, 1, group, filters, count, a1, none, none, none, vectors: 1);
        Store(dst, tmp, 2, group, filters, count, a2, none, none, none, vectors: 1);
        Store(dst, tmp, 3, group, filters, count, a3, none, none, none, vectors: 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* dst, float* tmp, int pixel, int group, int filters, int count, Vector512<float> v0, Vector512<float> v1, Vector512<float> v2, Vector512<float> v3, int vectors = 4)
    {
        if (pixel >= count) return;
        float* row = dst + (long)pixel * filters + group;
        int room = filters - group;
        if (room >= vectors * Lanes)
        {
            v0.Store(row);
            if (vectors > 1) { v1.Store(row + 16); v2.Store(row + 32); v3.Store(row + 48); }
            return;
        }
        // The last filters: through a small buffer, only the columns that exist.
        v0.Store(tmp);
        if (vectors > 1) { v1.Store(tmp + 16); v2.Store(tmp + 32); v3.Store(tmp + 48); }
        new ReadOnlySpan<float>(tmp, room).CopyTo(new Span<float>(row, room));
    }
}
