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
