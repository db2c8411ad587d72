using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>The scatter half of a convolution's backward pass: patch gradients added back onto the image.</summary>
public static class ConvGrad
{
    /// <summary>
    /// col2im, the adjoint of <see cref="Spatial.Im2Col"/>: adds each row of <paramref name="cols"/>
    /// (the gradient of the patch of output pixel <paramref name="rowStart"/> + r, laid out
    /// (kh, kw, c)) onto the input positions that patch read; cells the window took from the
    /// padding are dropped.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(ReadOnlySpan<float> cols, in Window2D g, int rowStart, int rows, Span<float> dx)
    {
        int patch = g.PatchSize, c = g.C;
        for (int r = 0; r < rows; r++)
        {
            int pixel = rowStart + r;
            int ox = pixel % g.OW, rest = pixel / g.OW, oy = rest % g.OH, b = rest / g.OH;
            var src = cols.Slice(r * patch, patch);
            int ix0 = ox * g.SW - g.PadLeft;
            int jFirst = ix0 >= 0 ? 0 : (-ix0 + g.DW - 1) / g.DW;
            int jEnd = Math.Min(g.KW, (g.W - ix0 + g.DW - 1) / g.DW);
            if (jFirst >= jEnd) continue;
            for (int i = 0; i < g.KH; i++)
            {
                int iy = oy * g.SH - g.PadTop + i * g.DH;
                if (iy < 0 || iy >= g.H) continue;
                var rowSrc = src.Slice(i * g.KW * c, g.KW * c);
                int dst = ((b * g.H + iy) * g.W + ix0 + jFirst * g.DW) * c;
                if (g.DW == 1)
                {
                    int len = (jEnd - jFirst) * c;
                    var d = dx.Slice(dst, len);
                    TensorPrimitives.Add(d, rowSrc.Slice(jFirst * c, len), d);
                }
                else
                {
                    for (int j = jFirst; j < jEnd; j++, dst += g.DW * c)
                    {
                        var d = dx.Slice(dst, c);
                        TensorPrimitives.Add(d, rowSrc.Slice(j * c, c), d);
                    }
                }
            }
        }
    }
}

/// <summary>
/// The weight and bias gradients of a convolution with a small patch (a first layer: kh·kw·cin of
/// a few dozen at most) in one pass over the output gradient, without an im2col matrix: for each
/// output pixel, the patch is read from the image and its outer product with the pixel's output
/// gradient (masked by relu′ when the layer's activation is relu) is added to dW, sixteen filters
/// to a vector. The pixels are split over the threads, each summing into its own partial.
/// </summary>
public static unsafe class SmallPatchWeightGrad
{
    /// <summary>The largest patch (kh·kw·cin) this kernel takes: past it, im2col + GEMM wins.</summary>
    public const int MaxPatch = 32;

    /// <summary>Whether the kernel applies: AVX-512, a small patch, filters in whole vectors.</summary>
    public static bool Applies(in Window2D g, int filters) =>
        Vector512.IsHardwareAccelerated && g.PatchSize <= MaxPatch && filters % 16 == 0 && filters <= 256;

    /// <summary>
    /// Adds Σ_pixels patchᵀ·dz into <paramref name="dW"/> (Keras layout, kh·kw·cin × filters) and
    /// Σ_pixels dz into <paramref name="db"/> (when not empty), where dz = <paramref name="dy"/>, or
    /// dy where <paramref name="y"/> &gt; 0 when <paramref name="relu"/>.
    /// </summary>
    public static void Run(ReadOnlySpan<float> x, in Window2D g, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, bool relu, int filters,
        Span<float> dW, Span<float> db, int threads)
    {
        int k = g.PatchSize, parts = Math.Max(1, Math.Min(threads, g.Rows / 256));
        var partials = new float[parts][];
        var geometry = g;
        fixed (float* xp = x, yp = y, dyp = dy)
        {
            nint xa = (nint)xp, ya = (nint)yp, da = (nint)dyp;
            void Part(int t)
            {
                var acc = new float[(k + 1) * filters];
                int first = (int)((long)geometry.Rows * t / parts), last = (int)((long)geometry.Rows * (t + 1) / parts);
                fixed (float* ap = acc)
                    Pixels(geometry, (float*)xa, (float*)ya, (float*)da, relu, filters, ap, first, last);
                partials[t] = acc;
            }
            if (parts == 1) Part(0);
            else Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
        }
        foreach (var acc in partials)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dW, acc.AsSpan(0, k * filters), dW);
            if (!db.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(db, acc.AsSpan(k * filters, filters), db);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Pixels(in Window2D g, float* x, float* y, float* dy, bool relu, int filters, float* acc, int first, int last)
    {
        int k = g.PatchSize, c = g.C, blocks = filters / 16;
        float* patch = stackalloc float[MaxPatch];
        float* bias = acc + k * filters;
        int ox = first % g.OW, oy = first / g.OW % g.OH, b = first / g.OW / g.OH;
        for (int p = first; p < last; p++, ox++)
        {
            if (ox == g.OW)
            {
                ox = 0;
                if (++oy == g.OH) (oy, b) = (0, b + 1);
            }
            // The patch, (kh, kw, c) like the kernel's rows, zeros where the window leaves the image.
            int iy0 = oy * g.SH - g.PadTop, ix0 = ox * g.SW - g.PadLeft, e = 0;
            for (int i = 0; i < g.KH; i++)
            {
                int iy = iy0 + i * g.DH;
                for (int j = 0; j < g.KW; j++)
                {
                    int ix = ix0 + j * g.DW;
                    if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                    {
                        float* src = x + ((long)(b * g.H + iy) * g.W + ix) * c;
                        for (int ch = 0; ch < c; ch++) patch[e++] = src[ch];
                    }
                    else
                    {
                        for (int ch = 0; ch < c; ch++) patch[e++] = 0f;
                    }
                }
            }
            float* dyRow = dy + (long)p * filters, yRow = y + (long)p * filters;
            for (int blk = 0; blk < blocks; blk++)
            {
                var dz = Vector512.Load(dyRow + blk * 16);
                if (relu) dz = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(yRow + blk * 16), Vector512<float>.Zero), dz, Vector512<float>.Zero);
                float* col = acc + blk * 16;
                Vector512.Store(Vector512.Load(bias + blk * 16) + dz, bias + blk * 16);
                for (int r = 0; r < k; r++)
                {
                    float* at = col + r * filters;
                    Vector512.Store(Vector512.FusedMultiplyAdd(Vector512.Create(patch[r]), dz, Vector512.Load(at)), at);
                }
            }
        }
    }
}

/// <summary>
/// A convolution's weight gradient as an implicit GEMM: dW (kh·kw·cin × filters) += Σ_pixels
/// patchᵀ·dz without writing the patch matrix. Pixels go in chunks whose taps are looked up once;
/// for each chunk, four patch rows × 64 filters accumulate in sixteen registers over the chunk's
/// pixels (the four patch values of one tap's consecutive channels are contiguous in the image),
/// then are added to a per-thread partial. The threads split the pixels.
/// </summary>
public static unsafe class ImplicitWeightGrad
{
    private const int Chunk = 64;

    /// <summary>Whether the kernel applies: AVX-512, channels in fours, filters in sixty-fours.</summary>
    public static bool Applies(in Window2D g, int filters) =>
        Vector512.IsHardwareAccelerated && g.C % 4 == 0 && filters % 64 == 0 && g.KH * g.KW <= 64;

    /// <summary>Adds Σ_pixels patchᵀ·dz into <paramref name="dW"/> (Keras layout, rows kh·kw·cin, columns the filters).</summary>
    public static void Run(ReadOnlySpan<float> x, in Window2D g, ReadOnlySpan<float> dz, int filters, Span<float> dW, int threads)
    {
        int k = g.PatchSize, parts = Math.Max(1, Math.Min(threads, g.Rows / (4 * Chunk)));
        var partials = new float[parts][];
        var geometry = g;
        fixed (float* xp = x, zp = dz)
        {
            nint xa = (nint)xp, za = (nint)zp;
            void Part(int t)
            {
                var acc = new float[k * filters];
                int first = (int)((long)geometry.Rows * t / parts), last = (int)((long)geometry.Rows * (t + 1) / parts);
                fixed (float* ap = acc)
                    Range(geometry, (float*)xa, (float*)za, filters, ap, first, last);
                partials[t] = acc;
            }
            if (parts == 1) Part(0);
            else Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, Part);
        }
        foreach (var acc in partials) System.Numerics.Tensors.TensorPrimitives.Add(dW, acc, dW);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Range(in Window2D g, float* x, float* dz, int filters, float* acc, int first, int last)
    {
        int taps = g.KH * g.KW, c = g.C;
        var table = new nint[Chunk * taps];
        var zeroRow = new float[c];
        fixed (nint* tp = table)
        fixed (float* zeros = zeroRow)
        {
            int ox = first % g.OW, oy = first / g.OW % g.OH, b = first / g.OW / g.OH;
            for (int start = first; start < last; start += Chunk)
            {
                int n = Math.Min(Chunk, last - start);
                // Where each pixel of the chunk reads each tap (the zero row where the window leaves the image).
                for (int p = 0; p < n; p++, ox++)
                {
                    if (ox == g.OW)
                    {
                        ox = 0;
                        if (++oy == g.OH) (oy, b) = (0, b + 1);
                    }
                    int iy0 = oy * g.SH - g.PadTop, ix0 = ox * g.SW - g.PadLeft;
                    for (int i = 0; i < g.KH; i++)
                    {
                        int iy = iy0 + i * g.DH;
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ix = ix0 + j * g.DW;
                            tp[(i * g.KW + j) * Chunk + p] = iy >= 0 && iy < g.H && ix >= 0 && ix < g.W
                                ? (nint)(x + ((long)(b * g.H + iy) * g.W + ix) * c)
                                : (nint)zeros;
                        }
                    }
                }
                float* z0 = dz + (long)start * filters;
                for (int t = 0; t < taps; t++)
                {
                    nint* at = tp + t * Chunk;
                    for (int c0 = 0; c0 < c; c0 += 4)
                        for (int f0 = 0; f0 < filters; f0 += 64)
                            Block(at, c0, z0 + f0, filters, n, acc + (long)(t * c + c0) * filters + f0);
                }
            }
        }
    }

    /// <summary>Four patch rows × 64 filters over a chunk's pixels, added to <paramref name="dst"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Block(nint* at, int c0, float* dz, int filters, int n, float* dst)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int p = 0; p < n; p++)
        {
            float* z = dz + (long)p * filters;
            var z0 = Vector512.Load(z); var z1 = Vector512.Load(z + 16); var z2 = Vector512.Load(z + 32); var z3 = Vector512.Load(z + 48);
            float* s = (float*)at[p] + c0;
            var v = Vector512.Create(s[0]);
            a00 = Vector512.FusedMultiplyAdd(v, z0, a00); a01 = Vector512.FusedMultiplyAdd(v, z1, a01); a02 = Vector512.FusedMultiplyAdd(v, z2, a02); a03 = Vector512.FusedMultiplyAdd(v, z3, a03);
            v = Vector512.Create(s[1]);
            a10 = Vector512.FusedMultiplyAdd(v, z0, a10); a11 = Vector512.FusedMultiplyAdd(v, z1, a11); a12 = Vector512.FusedMultiplyAdd(v, z2, a12); a13 = Vector512.FusedMultiplyAdd(v, z3, a13);
            v = Vector512.Create(s[2]);
            a20 = Vector512.FusedMultiplyAdd(v, z0, a20); a21 = Vector512.FusedMultiplyAdd(v, z1, a21); a22 = Vector512.FusedMultiplyAdd(v, z2, a22); a23 = Vector512.FusedMultiplyAdd(v, z3, a23);
            v = Vector512.Create(s[3]);
            a30 = Vector512.FusedMultiplyAdd(v, z0, a30); a31 = Vector512.FusedMultiplyAdd(v, z1, a31); a32 = Vector512.FusedMultiplyAdd(v, z2, a32); a33 = Vector512.FusedMultiplyAdd(v, z3, a33);
        }
        float* r0 = dst, r1 = dst + filters, r2 = r1 + filters, r3 = r2 + filters;
        (Vector512.Load(r0) + a00).Store(r0); (Vector512.Load(r0 + 16) + a01).Store(r0 + 16); (Vector512.Load(r0 + 32) + a02).Store(r0 + 32); (Vector512.Load(r0 + 48) + a03).Store(r0 + 48);
        (Vector512.Load(r1) + a10).Store(r1); (Vector512.Load(r1 + 16) + a11).Store(r1 + 16); (Vector512.Load(r1 + 32) + a12).Store(r1 + 32); (Vector512.Load(r1 + 48) + a13).Store(r1 + 48);
        (Vector512.Load(r2) + a20).Store(r2); (Vector512.Load(r2 + 16) + a21).Store(r2 + 16); (Vector512.Load(r2 + 32) + a22).Store(r2 + 32); (Vector512.Load(r2 + 48) + a23).Store(r2 + 48);
        (Vector512.Load(r3) + a30).Store(r3); (Vector512.Load(r3 + 16) + a31).Store(r3 + 16); (Vector512.Load(r3 + 32) + a32).Store(r3 + 32); (Vector512.Load(r3 + 48) + a33).Store(r3 + 48);
    }
}
