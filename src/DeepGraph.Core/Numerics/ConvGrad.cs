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
        g.Validate(dx.Length, 0, 0);
        Spatial.CheckRows(g, rowStart, rows, cols.Length);
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
/// gradient dz is added to dW, sixteen filters to a vector. The pixels are split over the threads,
/// each summing into its own partial. dz comes either from the layer's output gradient (masked by
/// relu′ when the activation is relu) or, when a max pooling follows, straight from the pooling's
/// output gradient and saved argmax, so that the convolution's output gradient is never written.
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
        g.Validate(x.Length, dy.Length, filters);
        if (relu && y.Length < dy.Length) throw new ArgumentException($"The output has {y.Length} values, fewer than its gradient's {dy.Length}.", nameof(y));
        fixed (float* yp = y, dyp = dy)
            Run(x, g, new Dense((nint)dyp, (nint)yp, relu, g, filters), filters, dW, db, threads);
    }

    /// <summary>
    /// The same sums when the convolution's output goes only to a max pooling whose windows do not
    /// overlap (strides = pool size): dz at a pixel is the pooling's output gradient
    /// <paramref name="pooledGrad"/> (the activation's derivative already applied) where the pixel
    /// is its window's argmax (<paramref name="argmax"/>, window-local numbers as
    /// <see cref="MaxPoolArgmax"/> saves them), and zero elsewhere.
    /// </summary>
    public static void RunPooled(ReadOnlySpan<float> x, in Window2D g, in Window2D pool, ReadOnlySpan<float> pooledGrad, ReadOnlySpan<float> argmax, int filters,
        Span<float> dW, Span<float> db, int threads)
    {
        if (pool.SH != pool.KH || pool.SW != pool.KW || pool.H != g.OH || pool.W != g.OW || pool.C != filters || pool.Batch != g.Batch)
            throw new ArgumentException($"The pooling window {pool} does not tile the convolution's output ({g.Batch}, {g.OH}, {g.OW}, {filters}) without overlap.", nameof(pool));
        g.Validate(x.Length, 0, 0);
        pool.Validate((long)g.Rows * filters, pooledGrad.Length, filters);
        if (argmax.Length < pooledGrad.Length) throw new ArgumentException($"The argmax has {argmax.Length} values, fewer than the pooled gradient's {pooledGrad.Length}.", nameof(argmax));
        fixed (float* gp = pooledGrad, ip = argmax)
            Run(x, g, new Pooled((nint)gp, (nint)ip, pool, filters), filters, dW, db, threads);
    }

    /// <summary>Output pixels per chunk (at most; a chunk never leaves its output row).</summary>
    private const int Chunk = 64;

    private static void Run<TSource>(ReadOnlySpan<float> x, in Window2D g, TSource source, int filters, Span<float> dW, Span<float> db, int threads)
        where TSource : struct, IGradientSource
    {
        if (filters <= 0 || dW.Length < (long)g.PatchSize * filters || (!db.IsEmpty && db.Length < filters))
            throw new ArgumentException($"Weight gradients of {dW.Length} and {db.Length} values do not fit a {g.PatchSize}-value patch × {filters} filters.", nameof(dW));
        int k = g.PatchSize, parts = Math.Max(1, Math.Min(threads, g.Rows / 256));
        var partials = new float[parts][];
        var geometry = g;
        fixed (float* xp = x)
        {
            nint xa = (nint)xp;
            void Part(int t)
            {
                int rows = SumRows(k), first = (int)((long)geometry.Rows * t / parts), last = (int)((long)geometry.Rows * (t + 1) / parts);
                // One block of native memory on whole cache lines: the sums (a row per patch value,
                // then the bias's), the chunk's patches transposed (likewise), and its dz.
                long sums = (long)rows * filters, patches = (long)rows * Chunk, total = sums + patches + (long)Chunk * filters;
                float* block = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(total * sizeof(float)), 64);
                try
                {
                    new Span<float>(block, (int)(sums + patches)).Clear();
                    var own = source;
                    Chunks(geometry, (float*)xa, ref own, filters, block, block + sums, block + sums + patches, first, last);
                    partials[t] = new Span<float>(block, (k + 1) * filters).ToArray();
                }
                finally
                {
                    System.Runtime.InteropServices.NativeMemory.AlignedFree(block);
                }
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

    /// <summary>Where the output gradient comes from: <see cref="Fill"/> writes dz for <c>n</c> pixels of one output row, <c>filters</c> values each, or returns false when they are all zero.</summary>
    private interface IGradientSource
    {
        bool Fill(int b, int oy, int ox, int n, float* dz);
    }

    /// <summary>dz from the output gradient dy itself, masked by y &gt; 0 for relu.</summary>
    private readonly struct Dense(nint dy, nint y, bool relu, Window2D g, int filters) : IGradientSource
    {
        public bool Fill(int b, int oy, int ox, int n, float* dz)
        {
            long at = ((long)(b * g.OH + oy) * g.OW + ox) * filters;
            float* d = (float*)dy + at, v = (float*)y + at;
            for (int i = 0; i < n * filters; i += 16)
            {
                var value = Vector512.Load(d + i);
                if (relu) value = Vector512.ConditionalSelect(Vector512.GreaterThan(Vector512.Load(v + i), Vector512<float>.Zero), value, Vector512<float>.Zero);
                value.Store(dz + i);
            }
            return true;
        }
    }

    /// <summary>dz from a following max pooling: its gradient where the pixel is its window's argmax.</summary>
    private readonly struct Pooled(nint grad, nint argmax, Window2D pool, int filters) : IGradientSource
    {
        public bool Fill(int b, int oy, int ox, int n, float* dz)
        {
            int py = oy + pool.PadTop, cy = py / pool.SH;
            if (cy >= pool.OH) return false;
            int rowLocal = (py - cy * pool.SH) * pool.KW;
            long row = (long)(b * pool.OH + cy) * pool.OW;
            int px = ox + pool.PadLeft, cx = px / pool.SW, j = px - cx * pool.SW;
            for (int p = 0; p < n; p++, dz += filters)
            {
                if (cx >= pool.OW)
                {
                    new Span<float>(dz, filters).Clear();
                    continue;
                }
                var local = Vector512.Create((float)(rowLocal + j));
                float* gRow = (float*)grad + (row + cx) * filters, iRow = (float*)argmax + (row + cx) * filters;
                for (int f = 0; f < filters; f += 16)
                    Vector512.ConditionalSelect(Vector512.Equals(Vector512.Load(iRow + f), local), Vector512.Load(gRow + f), Vector512<float>.Zero).Store(dz + f);
                if (++j == pool.SW) (j, cx) = (0, cx + 1);
            }
            return true;
        }
    }

    /// <summary>
    /// Pixels [first, last) in chunks along output rows: the chunk's patches go transposed into
    /// <paramref name="patches"/> (row r, pixel q at r·Chunk + q; row kh·kw·c is all ones, so that
    /// its sums are the bias gradient; rows past it stay zero), its dz into <paramref name="dz"/>,
    /// and then four patch rows × up to four filter vectors at a time accumulate in registers over
    /// the chunk's pixels before they are added to <paramref name="sums"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Chunks<TSource>(in Window2D g, float* x, ref TSource source, int filters, float* sums, float* patches, float* dz, int first, int last)
        where TSource : struct, IGradientSource
    {
        int c = g.C, rows = SumRows(g.PatchSize);
        new Span<float>(patches + (long)g.PatchSize * Chunk, Chunk).Fill(1f);
        for (int p = first; p < last;)
        {
            int ox = p % g.OW, oy = p / g.OW % g.OH, b = p / g.OW / g.OH, n = Math.Min(Math.Min(Chunk, g.OW - ox), last - p);
            p += n;
            if (!source.Fill(b, oy, ox, n, dz)) continue;
            // The patches, transposed: patch value (i, j, ch) of pixel q at row (i·kw + j)·c + ch.
            for (int i = 0; i < g.KH; i++)
            {
                int iy = oy * g.SH - g.PadTop + i * g.DH;
                for (int j = 0; j < g.KW; j++)
                {
                    float* dst = patches + (long)(i * g.KW + j) * c * Chunk;
                    // Pixels q ∈ [lo, hi) read inside the image: ix = (ox + q)·sw − left + j·dw ∈ [0, w).
                    int shift = ox * g.SW - g.PadLeft + j * g.DW;
                    int lo = iy < 0 || iy >= g.H ? n : Math.Clamp(shift >= 0 ? 0 : (-shift + g.SW - 1) / g.SW, 0, n);
                    int hi = lo == n ? n : Math.Clamp((g.W - shift + g.SW - 1) / g.SW, lo, n);
                    float* image = x + ((long)(b * g.H + iy) * g.W + shift) * c;
                    for (int ch = 0; ch < c; ch++)
                    {
                        float* row = dst + ch * Chunk;
                        new Span<float>(row, lo).Clear();
                        if (c == 1 && g.SW == 1) new ReadOnlySpan<float>(image + lo, hi - lo).CopyTo(new Span<float>(row + lo, hi - lo));
                        else for (int q = lo; q < hi; q++) row[q] = image[(long)q * g.SW * c + ch];
                        new Span<float>(row + hi, n - hi).Clear();
                    }
                }
            }
            for (int r = 0; r < rows; r += 4)
            {
                int f = 0;
                var four = new Transposed(patches + (long)r * Chunk);
                for (; f + 64 <= filters; f += 64) FourRows.By64(four, dz + f, filters, n, sums + (long)r * filters + f);
                for (; f + 32 <= filters; f += 32) FourRows.By32(four, dz + f, filters, n, sums + (long)r * filters + f);
                if (f < filters) FourRows.By16(four, dz + f, filters, n, sums + (long)r * filters + f);
            }
        }
    }

    /// <summary>Four rows of transposed patches: value i of pixel q at i·Chunk + q.</summary>
    private readonly struct Transposed(float* rows) : FourRows.ISource
    {
        public float Value(int q, int i) => rows[i * Chunk + q];
    }

    /// <summary>Rows of the sums for a patch of <paramref name="k"/> values: the patch, the bias's row of ones, rounded up to fours.</summary>
    private static int SumRows(int k) => (k + 1 + 3) / 4 * 4;

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
        g.Validate(x.Length, dz.Length, filters);
        if (filters <= 0 || dW.Length < (long)g.PatchSize * filters)
            throw new ArgumentException($"A weight gradient of {dW.Length} values does not fit a {g.PatchSize}-value patch × {filters} filters.", nameof(dW));
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
                            FourRows.By64(new Pointed(at, c0), z0 + f0, filters, n, acc + (long)(t * c + c0) * filters + f0);
                }
            }
        }
    }

    /// <summary>Four consecutive channels of a tap, read where the chunk's pixel q has it: value i at at[q][c0 + i].</summary>
    private readonly struct Pointed(nint* at, int c0) : FourRows.ISource
    {
        public float Value(int q, int i) => ((float*)at[q])[c0 + i];
    }
}

/// <summary>
/// The register block of the weight-gradient kernels: four patch rows × 16, 32 or 64 filters
/// accumulate Σ_q patch[q][i]·dz[q] in registers over a chunk of pixels (one dz load and four
/// broadcasts feed up to sixteen FMAs), then are added to four rows of <c>dst</c>.
/// </summary>
internal static unsafe class FourRows
{
    /// <summary>Where the four patch values of pixel q are.</summary>
    public interface ISource
    {
        /// <summary>Patch value <paramref name="i"/> (0–3) of pixel <paramref name="q"/>.</summary>
        float Value(int q, int i);
    }

    /// <summary>Four rows × 64 filters.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void By64<T>(T patch, float* dz, int filters, int n, float* dst) where T : struct, ISource
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int q = 0; q < n; q++, dz += filters)
        {
            var z0 = Vector512.Load(dz); var z1 = Vector512.Load(dz + 16); var z2 = Vector512.Load(dz + 32); var z3 = Vector512.Load(dz + 48);
            var v = Vector512.Create(patch.Value(q, 0));
            a00 = Vector512.FusedMultiplyAdd(v, z0, a00); a01 = Vector512.FusedMultiplyAdd(v, z1, a01); a02 = Vector512.FusedMultiplyAdd(v, z2, a02); a03 = Vector512.FusedMultiplyAdd(v, z3, a03);
            v = Vector512.Create(patch.Value(q, 1));
            a10 = Vector512.FusedMultiplyAdd(v, z0, a10); a11 = Vector512.FusedMultiplyAdd(v, z1, a11); a12 = Vector512.FusedMultiplyAdd(v, z2, a12); a13 = Vector512.FusedMultiplyAdd(v, z3, a13);
            v = Vector512.Create(patch.Value(q, 2));
            a20 = Vector512.FusedMultiplyAdd(v, z0, a20); a21 = Vector512.FusedMultiplyAdd(v, z1, a21); a22 = Vector512.FusedMultiplyAdd(v, z2, a22); a23 = Vector512.FusedMultiplyAdd(v, z3, a23);
            v = Vector512.Create(patch.Value(q, 3));
            a30 = Vector512.FusedMultiplyAdd(v, z0, a30); a31 = Vector512.FusedMultiplyAdd(v, z1, a31); a32 = Vector512.FusedMultiplyAdd(v, z2, a32); a33 = Vector512.FusedMultiplyAdd(v, z3, a33);
        }
        Add(dst, 0, a00, a01, a02, a03);
        Add(dst + filters, 0, a10, a11, a12, a13);
        Add(dst + 2 * filters, 0, a20, a21, a22, a23);
        Add(dst + 3 * filters, 0, a30, a31, a32, a33);
    }

    /// <summary>Four rows × 32 filters.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void By32<T>(T patch, float* dz, int filters, int n, float* dst) where T : struct, ISource
    {
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        for (int q = 0; q < n; q++, dz += filters)
        {
            var z0 = Vector512.Load(dz); var z1 = Vector512.Load(dz + 16);
            var v = Vector512.Create(patch.Value(q, 0));
            a00 = Vector512.FusedMultiplyAdd(v, z0, a00); a01 = Vector512.FusedMultiplyAdd(v, z1, a01);
            v = Vector512.Create(patch.Value(q, 1));
            a10 = Vector512.FusedMultiplyAdd(v, z0, a10); a11 = Vector512.FusedMultiplyAdd(v, z1, a11);
            v = Vector512.Create(patch.Value(q, 2));
            a20 = Vector512.FusedMultiplyAdd(v, z0, a20); a21 = Vector512.FusedMultiplyAdd(v, z1, a21);
            v = Vector512.Create(patch.Value(q, 3));
            a30 = Vector512.FusedMultiplyAdd(v, z0, a30); a31 = Vector512.FusedMultiplyAdd(v, z1, a31);
        }
        Add(dst, 2, a00, a01, default, default);
        Add(dst + filters, 2, a10, a11, default, default);
        Add(dst + 2 * filters, 2, a20, a21, default, default);
        Add(dst + 3 * filters, 2, a30, a31, default, default);
    }

    /// <summary>Four rows × 16 filters.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void By16<T>(T patch, float* dz, int filters, int n, float* dst) where T : struct, ISource
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int q = 0; q < n; q++, dz += filters)
        {
            var z = Vector512.Load(dz);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(patch.Value(q, 0)), z, a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(patch.Value(q, 1)), z, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(patch.Value(q, 2)), z, a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(patch.Value(q, 3)), z, a3);
        }
        Add(dst, 1, a0, default, default, default);
        Add(dst + filters, 1, a1, default, default, default);
        Add(dst + 2 * filters, 1, a2, default, default, default);
        Add(dst + 3 * filters, 1, a3, default, default, default);
    }

    /// <summary>Adds the first <paramref name="vectors"/> of a0…a3 (0: all four) to consecutive vectors at <paramref name="row"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Add(float* row, int vectors, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3)
    {
        (Vector512.Load(row) + a0).Store(row);
        if (vectors == 1) return;
        (Vector512.Load(row + 16) + a1).Store(row + 16);
        if (vectors == 2) return;
        (Vector512.Load(row + 32) + a2).Store(row + 32);
        (Vector512.Load(row + 48) + a3).Store(row + 48);
    }
}
