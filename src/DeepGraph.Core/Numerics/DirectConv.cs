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
    /// kernel is Keras's (kh, kw, cin, filters); <paramref name="bias"/> may be empty; with
    /// <paramref name="relu"/> the results are passed through relu before they are stored.
    /// </summary>
    public static void Run(ReadOnlySpan<float> x, in Window2D g, ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int filters, Span<float> y, int parallelism, bool relu = false) =>
        Run(x, g, Pack(kernel, bias, filters, g.PatchSize, g.C), filters, y, parallelism, relu);

    /// <summary>
    /// The kernel as <see cref="Run(ReadOnlySpan{float}, in Window2D, float[], int, Span{float}, int, bool)"/>
    /// reads it, for a patch of <paramref name="k"/> values over <paramref name="channels"/> channels:
    /// rows padded to whole vectors, then the bias row, then a row of zeros for taps outside the image.
    /// Packed once, it serves every call with the same kernel.
    /// </summary>
    public static float[] Pack(ReadOnlySpan<float> kernel, ReadOnlySpan<float> bias, int filters, int k, int channels)
    {
        if (filters <= 0 || k <= 0 || channels <= 0 || kernel.Length < (long)k * filters || bias.Length > filters)
            throw new ArgumentException($"A kernel of {kernel.Length} values and a bias of {bias.Length} do not fit {k} patch values × {filters} filters over {channels} channels.", nameof(kernel));
        int padded = (filters + Lanes - 1) / Lanes * Lanes;
        if ((long)k * padded + padded + channels > Array.MaxLength)
            throw new ArgumentException($"A packed kernel of {k} patch values × {filters} filters would be larger than an array can hold.", nameof(k));
        var packed = GC.AllocateUninitializedArray<float>(k * padded + padded + channels, pinned: true);
        for (int r = 0; r < k; r++)
        {
            kernel.Slice(r * filters, filters).CopyTo(packed.AsSpan(r * padded));
            packed.AsSpan(r * padded + filters, padded - filters).Clear();
        }
        var biasRow = packed.AsSpan(k * padded, padded);
        biasRow.Clear();
        bias.CopyTo(biasRow);
        packed.AsSpan(k * padded + padded, channels).Clear();
        return packed;
    }

    /// <summary>The convolution with a kernel made by <see cref="Pack"/> (pinned) for this window's patch.</summary>
    public static void Run(ReadOnlySpan<float> x, in Window2D g, float[] packed, int filters, Span<float> y, int parallelism, bool relu = false)
    {
        if (filters <= 0) throw new ArgumentOutOfRangeException(nameof(filters), filters, "A convolution needs at least one filter.");
        // Everything the pointer arithmetic below relies on, checked once (a malformed window must never reach memory).
        g.Validate(x.Length, y.Length, filters);
        int padded = (filters + Lanes - 1) / Lanes * Lanes;
        if (packed.Length != (long)g.PatchSize * padded + padded + g.C)
            throw new ArgumentException($"The packed kernel has {packed.Length} values; a {g.KH}×{g.KW}×{g.C} patch with {filters} filters needs {g.PatchSize * padded + padded + g.C}.", nameof(packed));
        // Blocks of eight pixels where there are at most 32 filters (16 accumulators, as four pixels × 64 filters have).
        int pixels = padded <= 2 * Lanes ? 2 * Pixels : Pixels;
        int quads = (g.Rows + pixels - 1) / pixels;
        int chunks = Math.Min(quads, Math.Max(1, parallelism) * 8);
        var geometry = g;
        fixed (float* xp = x)
        fixed (float* yp = y)
        fixed (float* wp = packed)
        {
            nint xa = (nint)xp, ya = (nint)yp, wa = (nint)wp;
            if (chunks == 1 || parallelism <= 1)
            {
                Quads(geometry, (float*)xa, (float*)wa, (float*)ya, filters, padded, pixels, 0, quads, relu);
            }
            else
            {
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = parallelism }, c =>
                {
                    int first = (int)((long)quads * c / chunks), last = (int)((long)quads * (c + 1) / chunks);
                    Quads(geometry, (float*)xa, (float*)wa, (float*)ya, filters, padded, pixels, first, last, relu);
                });
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Quads(in Window2D g, float* x, float* w, float* y, int filters, int padded, int pixels, int firstQuad, int lastQuad, bool relu)
    {
        int k = g.PatchSize, c = g.C;
        float* bias = w + k * padded, zeros = bias + padded;
        int tapCount = g.KH * g.KW;
        var taps = stackalloc float*[pixels * tapCount];
        float* tmp = stackalloc float[Pixels * 4 * Lanes]; // four pixels × 64 filters, or eight × 32
        // Where each tap sits relative to the window's first cell, for windows wholly inside the image.
        var offsets = stackalloc long[tapCount];
        for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++)
                offsets[i * g.KW + j] = ((long)i * g.DH * g.W + (long)j * g.DW) * c;
        int spanH = (g.KH - 1) * g.DH, spanW = (g.KW - 1) * g.DW;
        for (int q = firstQuad; q < lastQuad; q++)
        {
            int first = q * pixels, count = Math.Min(pixels, g.Rows - first);
            // The first pixel's coordinates by division, the next ones by counting (divisions cost more than the taps here).
            int ox = first % g.OW, rest = first / g.OW, oy = rest % g.OH, b = rest / g.OH;
            int rowY = oy * g.SH - g.PadTop, rowX = ox * g.SW - g.PadLeft;
            bool row = count == pixels && ox + pixels <= g.OW && rowY >= 0 && rowY + spanH < g.H && rowX >= 0 && rowX + (pixels - 1) * g.SW + spanW < g.W;
            float* corner = x + ((long)(b * g.H + Math.Max(rowY, 0)) * g.W + Math.Max(rowX, 0)) * c;
            for (int p = 0; p < pixels && !row; p++)
            {
                if (p > 0 && p < count && ++ox == g.OW)
                {
                    ox = 0;
                    if (++oy == g.OH) (oy, b) = (0, b + 1);
                }
                int iy0 = oy * g.SH - g.PadTop, ix0 = ox * g.SW - g.PadLeft;
                if (iy0 >= 0 && iy0 + spanH < g.H && ix0 >= 0 && ix0 + spanW < g.W)
                {
                    float* at = x + ((long)(b * g.H + iy0) * g.W + ix0) * c;
                    for (int t = 0; t < tapCount; t++) taps[t * pixels + p] = at + offsets[t];
                    continue;
                }
                for (int i = 0; i < g.KH; i++)
                {
                    int iy = iy0 + i * g.DH;
                    for (int j = 0; j < g.KW; j++)
                    {
                        int ix = ix0 + j * g.DW;
                        taps[(i * g.KW + j) * pixels + p] = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W ? x + ((long)(b * g.H + iy) * g.W + ix) * c : zeros;
                    }
                }
            }
            float* dst = y + (long)first * filters;
            if (pixels > Pixels)
            {
                if (row) Narrow(new RowTaps(corner, offsets, g.SW * c), tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
                else Narrow(new TableTaps(taps, pixels, zeros), tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
            }
            else if (row) Blocks(new RowTaps(corner, offsets, g.SW * c), tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
            else Blocks(new TableTaps(taps, pixels, zeros), tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
        }
    }

    /// <summary>Every group of filters of one block of pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Blocks<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        int group = 0;
        for (; padded - group >= 4 * Lanes; group += 4 * Lanes) Block4(taps, tapCount, c, w + group, padded, bias + group, dst, group, filters, count, tmp, relu);
        for (; padded - group >= 2 * Lanes; group += 2 * Lanes) Block2(taps, tapCount, c, w + group, padded, bias + group, dst, group, filters, count, tmp, relu);
        for (; padded - group >= Lanes; group += Lanes) Block1(taps, tapCount, c, w + group, padded, bias + group, dst, group, filters, count, tmp, relu);
    }

    /// <summary>Where a block's pixels read tap <c>t</c>.</summary>
    private interface ITaps
    {
        /// <summary>The address of pixel <paramref name="p"/>'s values at tap <paramref name="t"/>.</summary>
        float* Of(int t, int p);

        /// <summary>True when every pixel of the block reads tap <paramref name="t"/> from outside the image (zeros): the tap adds nothing.</summary>
        bool Outside(int t);
    }

    /// <summary>Taps from a table filled per block (windows at the border, blocks that wrap a row).</summary>
    private readonly struct TableTaps(float** taps, int pixels, float* zeros) : ITaps
    {
        public float* Of(int t, int p) => taps[t * pixels + p];

        public bool Outside(int t)
        {
            float** at = taps + t * pixels;
            for (int p = 0; p < pixels; p++)
                if (at[p] != zeros) return false;
            return true;
        }
    }

    /// <summary>Eight pixels with 32 filters (16 accumulators) or 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Narrow<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        if (padded == 2 * Lanes) Block2x8(taps, tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
        else Block1x8(taps, tapCount, c, w, padded, bias, dst, filters, count, tmp, relu);
    }

    /// <summary>Blocks of pixels side by side in one row, windows inside the image: the taps are the first pixel's, shifted by the stride.</summary>
    private readonly struct RowTaps(float* corner, long* offsets, int pixelStride) : ITaps
    {
        public float* Of(int t, int p) => corner + offsets[t] + (long)p * pixelStride;

        public bool Outside(int t) => false;
    }

    /// <summary>Four pixels × 64 filters: 16 accumulators in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block4<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int group, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        Vector512<float> b0 = Vector512.Load(bias), b1 = Vector512.Load(bias + 16), b2 = Vector512.Load(bias + 32), b3 = Vector512.Load(bias + 48);
        Vector512<float> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3;
        Vector512<float> a20 = b0, a21 = b1, a22 = b2, a23 = b3, a30 = b0, a31 = b1, a32 = b2, a33 = b3;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            if (taps.Outside(t))
            {
                row += c * padded;
                continue;
            }
            float* s0 = taps.Of(t, 0), s1 = taps.Of(t, 1), s2 = taps.Of(t, 2), s3 = taps.Of(t, 3);
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
        if (count == Pixels && filters - group >= 4 * Lanes)
        {
            // A whole block: straight to the output rows (relu applied in registers).
            var zero = Vector512<float>.Zero;
            float* r0 = dst + group, r1 = r0 + filters, r2 = r1 + filters, r3 = r2 + filters;
            if (relu)
            {
                a00 = Vector512.Max(a00, zero); a01 = Vector512.Max(a01, zero); a02 = Vector512.Max(a02, zero); a03 = Vector512.Max(a03, zero);
                a10 = Vector512.Max(a10, zero); a11 = Vector512.Max(a11, zero); a12 = Vector512.Max(a12, zero); a13 = Vector512.Max(a13, zero);
                a20 = Vector512.Max(a20, zero); a21 = Vector512.Max(a21, zero); a22 = Vector512.Max(a22, zero); a23 = Vector512.Max(a23, zero);
                a30 = Vector512.Max(a30, zero); a31 = Vector512.Max(a31, zero); a32 = Vector512.Max(a32, zero); a33 = Vector512.Max(a33, zero);
            }
            a00.Store(r0); a01.Store(r0 + 16); a02.Store(r0 + 32); a03.Store(r0 + 48);
            a10.Store(r1); a11.Store(r1 + 16); a12.Store(r1 + 32); a13.Store(r1 + 48);
            a20.Store(r2); a21.Store(r2 + 16); a22.Store(r2 + 32); a23.Store(r2 + 48);
            a30.Store(r3); a31.Store(r3 + 16); a32.Store(r3 + 32); a33.Store(r3 + 48);
            return;
        }
        // A partial block goes out through a small buffer: passing the accumulators to a helper would make the JIT spill them in the loop.
        a00.Store(tmp); a01.Store(tmp + 16); a02.Store(tmp + 32); a03.Store(tmp + 48);
        a10.Store(tmp + 64); a11.Store(tmp + 80); a12.Store(tmp + 96); a13.Store(tmp + 112);
        a20.Store(tmp + 128); a21.Store(tmp + 144); a22.Store(tmp + 160); a23.Store(tmp + 176);
        a30.Store(tmp + 192); a31.Store(tmp + 208); a32.Store(tmp + 224); a33.Store(tmp + 240);
        Scatter(tmp, 4 * Lanes, dst, group, filters, count, relu);
    }

    /// <summary>Four pixels × 32 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int group, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        Vector512<float> b0 = Vector512.Load(bias), b1 = Vector512.Load(bias + 16);
        Vector512<float> a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            if (taps.Outside(t))
            {
                row += c * padded;
                continue;
            }
            float* s0 = taps.Of(t, 0), s1 = taps.Of(t, 1), s2 = taps.Of(t, 2), s3 = taps.Of(t, 3);
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row); var w1 = Vector512.Load(row + 16);
                var v = Vector512.Create(s0[ch]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01);
                v = Vector512.Create(s1[ch]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11);
                v = Vector512.Create(s2[ch]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21);
                v = Vector512.Create(s3[ch]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31);
            }
        }
        if (count == Pixels && filters - group >= 2 * Lanes)
        {
            var zero = Vector512<float>.Zero;
            float* r0 = dst + group, r1 = r0 + filters, r2 = r1 + filters, r3 = r2 + filters;
            if (relu)
            {
                a00 = Vector512.Max(a00, zero); a01 = Vector512.Max(a01, zero); a10 = Vector512.Max(a10, zero); a11 = Vector512.Max(a11, zero);
                a20 = Vector512.Max(a20, zero); a21 = Vector512.Max(a21, zero); a30 = Vector512.Max(a30, zero); a31 = Vector512.Max(a31, zero);
            }
            a00.Store(r0); a01.Store(r0 + 16); a10.Store(r1); a11.Store(r1 + 16);
            a20.Store(r2); a21.Store(r2 + 16); a30.Store(r3); a31.Store(r3 + 16);
            return;
        }
        a00.Store(tmp); a01.Store(tmp + 16); a10.Store(tmp + 32); a11.Store(tmp + 48);
        a20.Store(tmp + 64); a21.Store(tmp + 80); a30.Store(tmp + 96); a31.Store(tmp + 112);
        Scatter(tmp, 2 * Lanes, dst, group, filters, count, relu);
    }

    /// <summary>Four pixels × 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int group, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        Vector512<float> a0 = Vector512.Load(bias), a1 = a0, a2 = a0, a3 = a0;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            if (taps.Outside(t))
            {
                row += c * padded;
                continue;
            }
            float* s0 = taps.Of(t, 0), s1 = taps.Of(t, 1), s2 = taps.Of(t, 2), s3 = taps.Of(t, 3);
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(s0[ch]), w0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1[ch]), w0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2[ch]), w0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3[ch]), w0, a3);
            }
        }
        a0.Store(tmp); a1.Store(tmp + Lanes); a2.Store(tmp + 2 * Lanes); a3.Store(tmp + 3 * Lanes);
        Scatter(tmp, Lanes, dst, group, filters, count, relu);
    }

    /// <summary>Eight pixels × 32 filters: 16 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block2x8<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        Vector512<float> b0 = Vector512.Load(bias), b1 = Vector512.Load(bias + 16);
        Vector512<float> a00 = b0, a01 = b1, a10 = b0, a11 = b1, a20 = b0, a21 = b1, a30 = b0, a31 = b1;
        Vector512<float> a40 = b0, a41 = b1, a50 = b0, a51 = b1, a60 = b0, a61 = b1, a70 = b0, a71 = b1;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            if (taps.Outside(t))
            {
                row += c * padded;
                continue;
            }
            float* s0 = taps.Of(t, 0), s1 = taps.Of(t, 1), s2 = taps.Of(t, 2), s3 = taps.Of(t, 3);
            float* s4 = taps.Of(t, 4), s5 = taps.Of(t, 5), s6 = taps.Of(t, 6), s7 = taps.Of(t, 7);
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row); var w1 = Vector512.Load(row + 16);
                var v = Vector512.Create(s0[ch]);
                a00 = Vector512.FusedMultiplyAdd(v, w0, a00); a01 = Vector512.FusedMultiplyAdd(v, w1, a01);
                v = Vector512.Create(s1[ch]);
                a10 = Vector512.FusedMultiplyAdd(v, w0, a10); a11 = Vector512.FusedMultiplyAdd(v, w1, a11);
                v = Vector512.Create(s2[ch]);
                a20 = Vector512.FusedMultiplyAdd(v, w0, a20); a21 = Vector512.FusedMultiplyAdd(v, w1, a21);
                v = Vector512.Create(s3[ch]);
                a30 = Vector512.FusedMultiplyAdd(v, w0, a30); a31 = Vector512.FusedMultiplyAdd(v, w1, a31);
                v = Vector512.Create(s4[ch]);
                a40 = Vector512.FusedMultiplyAdd(v, w0, a40); a41 = Vector512.FusedMultiplyAdd(v, w1, a41);
                v = Vector512.Create(s5[ch]);
                a50 = Vector512.FusedMultiplyAdd(v, w0, a50); a51 = Vector512.FusedMultiplyAdd(v, w1, a51);
                v = Vector512.Create(s6[ch]);
                a60 = Vector512.FusedMultiplyAdd(v, w0, a60); a61 = Vector512.FusedMultiplyAdd(v, w1, a61);
                v = Vector512.Create(s7[ch]);
                a70 = Vector512.FusedMultiplyAdd(v, w0, a70); a71 = Vector512.FusedMultiplyAdd(v, w1, a71);
            }
        }
        if (count == 2 * Pixels && filters == 2 * Lanes)
        {
            if (relu)
            {
                var zero = Vector512<float>.Zero;
                a00 = Vector512.Max(a00, zero); a01 = Vector512.Max(a01, zero); a10 = Vector512.Max(a10, zero); a11 = Vector512.Max(a11, zero);
                a20 = Vector512.Max(a20, zero); a21 = Vector512.Max(a21, zero); a30 = Vector512.Max(a30, zero); a31 = Vector512.Max(a31, zero);
                a40 = Vector512.Max(a40, zero); a41 = Vector512.Max(a41, zero); a50 = Vector512.Max(a50, zero); a51 = Vector512.Max(a51, zero);
                a60 = Vector512.Max(a60, zero); a61 = Vector512.Max(a61, zero); a70 = Vector512.Max(a70, zero); a71 = Vector512.Max(a71, zero);
            }
            // Eight whole rows of 32 filters are 256 consecutive outputs.
            a00.Store(dst); a01.Store(dst + 16); a10.Store(dst + 32); a11.Store(dst + 48);
            a20.Store(dst + 64); a21.Store(dst + 80); a30.Store(dst + 96); a31.Store(dst + 112);
            a40.Store(dst + 128); a41.Store(dst + 144); a50.Store(dst + 160); a51.Store(dst + 176);
            a60.Store(dst + 192); a61.Store(dst + 208); a70.Store(dst + 224); a71.Store(dst + 240);
            return;
        }
        a00.Store(tmp); a01.Store(tmp + 16); a10.Store(tmp + 32); a11.Store(tmp + 48);
        a20.Store(tmp + 64); a21.Store(tmp + 80); a30.Store(tmp + 96); a31.Store(tmp + 112);
        a40.Store(tmp + 128); a41.Store(tmp + 144); a50.Store(tmp + 160); a51.Store(tmp + 176);
        a60.Store(tmp + 192); a61.Store(tmp + 208); a70.Store(tmp + 224); a71.Store(tmp + 240);
        Scatter(tmp, 2 * Lanes, dst, 0, filters, count, relu);
    }

    /// <summary>Eight pixels × 16 filters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block1x8<TTaps>(TTaps taps, int tapCount, int c, float* w, int padded, float* bias, float* dst, int filters, int count, float* tmp, bool relu)
        where TTaps : struct, ITaps
    {
        Vector512<float> a0 = Vector512.Load(bias), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        float* row = w;
        for (int t = 0; t < tapCount; t++)
        {
            if (taps.Outside(t))
            {
                row += c * padded;
                continue;
            }
            float* s0 = taps.Of(t, 0), s1 = taps.Of(t, 1), s2 = taps.Of(t, 2), s3 = taps.Of(t, 3);
            float* s4 = taps.Of(t, 4), s5 = taps.Of(t, 5), s6 = taps.Of(t, 6), s7 = taps.Of(t, 7);
            for (int ch = 0; ch < c; ch++, row += padded)
            {
                var w0 = Vector512.Load(row);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(s0[ch]), w0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(s1[ch]), w0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(s2[ch]), w0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(s3[ch]), w0, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(s4[ch]), w0, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(s5[ch]), w0, a5);
                a6 = Vector512.FusedMultiplyAdd(Vector512.Create(s6[ch]), w0, a6);
                a7 = Vector512.FusedMultiplyAdd(Vector512.Create(s7[ch]), w0, a7);
            }
        }
        a0.Store(tmp); a1.Store(tmp + Lanes); a2.Store(tmp + 2 * Lanes); a3.Store(tmp + 3 * Lanes);
        a4.Store(tmp + 4 * Lanes); a5.Store(tmp + 5 * Lanes); a6.Store(tmp + 6 * Lanes); a7.Store(tmp + 7 * Lanes);
        Scatter(tmp, Lanes, dst, 0, filters, count, relu);
    }

    /// <summary>Copies each pixel's <paramref name="width"/> results from <paramref name="tmp"/> to its output row, only the filters that exist.</summary>
    private static void Scatter(float* tmp, int width, float* dst, int group, int filters, int count, bool relu)
    {
        if (relu) System.Numerics.Tensors.TensorPrimitives.Max(new ReadOnlySpan<float>(tmp, count * width), 0f, new Span<float>(tmp, count * width));
        int room = Math.Min(width, filters - group);
        for (int p = 0; p < count; p++)
            new ReadOnlySpan<float>(tmp + p * width, room).CopyTo(new Span<float>(dst + (long)p * filters + group, room));
    }
}
