using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>
/// Backward kernels of the pooling and padding kernels of <see cref="Spatial"/>, on NHWC spans.
/// Each <b>adds</b> d(loss)/d(input) into its <c>dx</c>, so that gradients from several
/// consumers of one tensor sum.
/// </summary>
public static class SpatialGrad
{
    /// <summary>Values below which splitting a pass over threads costs more than it saves.</summary>
    private const long ParallelWork = 1 << 16;

    /// <summary>
    /// <see cref="PoolBackward(bool, ReadOnlySpan{float}, ReadOnlySpan{float}, in Window2D, Span{float})"/>
    /// with the images split over up to <paramref name="threads"/> threads when there is enough work
    /// (each image's gradient is its own, so the threads never write the same values).
    /// </summary>
    /// <param name="max">Max pooling rather than average.</param>
    /// <param name="x">The pooling's input.</param>
    /// <param name="dy">The gradient of its output.</param>
    /// <param name="g">The window.</param>
    /// <param name="dx">Where the input gradient goes.</param>
    /// <param name="threads">The most threads to use.</param>
    /// <param name="overwrite">Write <paramref name="dx"/> (zeroing each image's part just before its windows) rather than add to it.</param>
    public static void PoolBackward(bool max, float[] x, float[] dy, in Window2D g, float[] dx, int threads, bool overwrite = false)
    {
        g.Validate(Math.Min(x.Length, dx.Length), dy.Length, g.C);
        if (threads <= 1 || g.Batch <= 1 || (long)g.Batch * g.H * g.W * g.C < ParallelWork)
        {
            if (overwrite) dx.AsSpan(0, g.Batch * g.H * g.W * g.C).Clear();
            PoolBackward(max, x, dy, g, dx);
        }
        else
        {
            PoolBackwardParallel(max, x, dy, g, dx, threads, overwrite);
        }
    }

    /// <summary>The images split into one range per thread (a method of its own, so that the one-thread path allocates no closure).</summary>
    private static void PoolBackwardParallel(bool max, float[] x, float[] dy, Window2D g, float[] dx, int threads, bool overwrite)
    {
        int inImage = g.H * g.W * g.C, outImage = g.OH * g.OW * g.C;
        Spatial.ForImages(g.Batch, threads, (b0, b1) =>
        {
            var part = dx.AsSpan(b0 * inImage, (b1 - b0) * inImage);
            if (overwrite) part.Clear();
            PoolBackward(max, x.AsSpan(b0 * inImage, (b1 - b0) * inImage), dy.AsSpan(b0 * outImage, (b1 - b0) * outImage), g with { Batch = b1 - b0 }, part);
        });
    }

    /// <summary>
    /// The backward pass of <see cref="Spatial.Pool(bool, ReadOnlySpan{float}, in Window2D, Span{float})"/>:
    /// adds each output gradient <paramref name="dy"/> into <paramref name="dx"/> — for max pooling
    /// all of it to the window's maximum (the first one in window order, row by row, when several
    /// cells tie; recomputed from <paramref name="x"/>), for average pooling an equal share to
    /// every cell of the window inside the input. Cells of the padding never count.
    /// </summary>
    public static void PoolBackward(bool max, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Window2D g, Span<float> dx)
    {
        g.Validate(max ? Math.Min(x.Length, dx.Length) : dx.Length, dy.Length, g.C);
        if (max) MaxPoolBackward(x, dy, g, dx);
        else AveragePoolBackward(dy, g, dx);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AveragePoolBackward(ReadOnlySpan<float> dy, in Window2D g, Span<float> dx)
    {
        int c = g.C;
        for (int b = 0; b < g.Batch; b++)
        for (int oy = 0; oy < g.OH; oy++)
        {
            int y0 = Math.Max(oy * g.SH - g.PadTop, 0), y1 = Math.Min(oy * g.SH - g.PadTop + g.KH, g.H);
            for (int ox = 0; ox < g.OW; ox++)
            {
                int x0 = Math.Max(ox * g.SW - g.PadLeft, 0), x1 = Math.Min(ox * g.SW - g.PadLeft + g.KW, g.W);
                var src = dy.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                float scale = 1f / ((y1 - y0) * (x1 - x0));
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                {
                    var dst = dx.Slice(((b * g.H + iy) * g.W + ix) * c, c);
                    TensorPrimitives.MultiplyAdd(src, scale, dst, dst);
                }
            }
        }
    }

    /// <summary>
    /// Max pooling's backward pass in one sweep over the windows: per window and per block of
    /// channels, the cell number of the (first) maximum is found in vector registers, then each
    /// cell of the window adds the output gradient where it is that cell and zero elsewhere —
    /// no scatter, no workspace.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPoolBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, in Window2D g, Span<float> dx)
    {
        int c = g.C;
        if (x.Length < g.Batch * g.H * g.W * c || dx.Length < x.Length || dy.Length < g.Batch * g.OH * g.OW * c)
            throw new ArgumentException("Max pooling gradient spans are shorter than the geometry needs.");
        // Bounds are checked above once: the window loops read through references.
        ref float x0Ref = ref MemoryMarshal.GetReference(x);
        ref float dyRef = ref MemoryMarshal.GetReference(dy);
        ref float dxRef = ref MemoryMarshal.GetReference(dx);
        int rowStep = g.W * c;
        for (int b = 0; b < g.Batch; b++)
        for (int oy = 0; oy < g.OH; oy++)
        {
            int y0 = Math.Max(oy * g.SH - g.PadTop, 0), y1 = Math.Min(oy * g.SH - g.PadTop + g.KH, g.H);
            for (int ox = 0; ox < g.OW; ox++)
            {
                int x0 = Math.Max(ox * g.SW - g.PadLeft, 0), x1 = Math.Min(ox * g.SW - g.PadLeft + g.KW, g.W);
                int dyAt = ((b * g.OH + oy) * g.OW + ox) * c;
                int corner = ((b * g.H + y0) * g.W + x0) * c;
                int ch = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; ch + 16 <= c; ch += 16)
                    {
                        var best = Vector512.LoadUnsafe(ref x0Ref, (nuint)(corner + ch));
                        var bestCell = Vector512<int>.Zero;
                        var cell = Vector512<int>.Zero;
                        for (int iy = y0, row = corner + ch; iy < y1; iy++, row += rowStep)
                        for (int ix = x0, at = row; ix < x1; ix++, at += c, cell += Vector512<int>.One)
                        {
                            var v = Vector512.LoadUnsafe(ref x0Ref, (nuint)at);
                            var greater = Vector512.GreaterThan(v, best);
                            best = Vector512.Max(v, best);
                            bestCell = Vector512.ConditionalSelect(greater.AsInt32(), cell, bestCell);
                        }
                        var grad = Vector512.LoadUnsafe(ref dyRef, (nuint)(dyAt + ch));
                        cell = Vector512<int>.Zero;
                        for (int iy = y0, row = corner + ch; iy < y1; iy++, row += rowStep)
                        for (int ix = x0, at = row; ix < x1; ix++, at += c, cell += Vector512<int>.One)
                        {
                            var hit = Vector512.Equals(bestCell, cell).AsSingle();
                            (Vector512.LoadUnsafe(ref dxRef, (nuint)at) + (grad & hit)).StoreUnsafe(ref dxRef, (nuint)at);
                        }
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; ch + 8 <= c; ch += 8)
                    {
                        var best = Vector256.LoadUnsafe(ref x0Ref, (nuint)(corner + ch));
                        var bestCell = Vector256<int>.Zero;
                        var cell = Vector256<int>.Zero;
                        for (int iy = y0, row = corner + ch; iy < y1; iy++, row += rowStep)
                        for (int ix = x0, at = row; ix < x1; ix++, at += c, cell += Vector256<int>.One)
                        {
                            var v = Vector256.LoadUnsafe(ref x0Ref, (nuint)at);
                            var greater = Vector256.GreaterThan(v, best);
                            best = Vector256.Max(v, best);
                            bestCell = Vector256.ConditionalSelect(greater.AsInt32(), cell, bestCell);
                        }
                        var grad = Vector256.LoadUnsafe(ref dyRef, (nuint)(dyAt + ch));
                        cell = Vector256<int>.Zero;
                        for (int iy = y0, row = corner + ch; iy < y1; iy++, row += rowStep)
                        for (int ix = x0, at = row; ix < x1; ix++, at += c, cell += Vector256<int>.One)
                        {
                            var hit = Vector256.Equals(bestCell, cell).AsSingle();
                            (Vector256.LoadUnsafe(ref dxRef, (nuint)at) + (grad & hit)).StoreUnsafe(ref dxRef, (nuint)at);
                        }
                    }
                }
                for (; ch < c; ch++)
                {
                    float best = x[corner + ch];
                    int bestAt = corner + ch;
                    for (int iy = y0, row = corner + ch; iy < y1; iy++, row += rowStep)
                    for (int ix = x0, at = row; ix < x1; ix++, at += c)
                    {
                        if (x[at] > best)
                        {
                            best = x[at];
                            bestAt = at;
                        }
                    }
                    dx[bestAt] += dy[dyAt + ch];
                }
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Spatial.GlobalPool"/>: adds each gradient of
    /// <paramref name="dy"/> (batch, c) into <paramref name="dx"/> (batch, pixels, c) — for max
    /// all of it to the first pixel holding the channel's maximum in <paramref name="x"/>, for
    /// average a share 1/pixels to every pixel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GlobalPoolBackward(bool max, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int batch, int pixels, int c, Span<float> dx)
    {
        if (batch < 0 || pixels <= 0 || c < 0 || dx.Length < (long)batch * pixels * c || (max && x.Length < (long)batch * pixels * c) || dy.Length < (long)batch * c)
            throw new ArgumentException($"Global pooling's gradient for {batch} images of {pixels} pixels × {c} channels does not fit buffers of {x.Length}, {dy.Length} and {dx.Length} values.", nameof(dx));
        if (!max)
        {
            float scale = 1f / pixels;
            for (int b = 0; b < batch; b++)
            {
                var src = dy.Slice(b * c, c);
                for (int p = 0; p < pixels; p++)
                {
                    var dst = dx.Slice((b * pixels + p) * c, c);
                    TensorPrimitives.MultiplyAdd(src, scale, dst, dst);
                }
            }
            return;
        }
        float[]? rentedValues = null;
        int[]? rentedCells = null;
        Span<float> best = c <= 256 ? stackalloc float[c] : (rentedValues = ArrayPool<float>.Shared.Rent(c)).AsSpan(0, c);
        Span<int> bestPixel = c <= 256 ? stackalloc int[c] : (rentedCells = ArrayPool<int>.Shared.Rent(c)).AsSpan(0, c);
        for (int b = 0; b < batch; b++)
        {
            var image = x.Slice(b * pixels * c, pixels * c);
            image[..c].CopyTo(best);
            bestPixel.Clear();
            for (int p = 1; p < pixels; p++)
            {
                var src = image.Slice(p * c, c);
                for (int ch = 0; ch < c; ch++)
                {
                    if (src[ch] > best[ch])
                    {
                        best[ch] = src[ch];
                        bestPixel[ch] = p;
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) dx[(b * pixels + bestPixel[ch]) * c + ch] += dy[b * c + ch];
        }
        if (rentedValues is not null) ArrayPool<float>.Shared.Return(rentedValues);
        if (rentedCells is not null) ArrayPool<int>.Shared.Return(rentedCells);
    }

    /// <summary>
    /// The backward pass of <see cref="Spatial.ZeroPad"/>: adds the middle of each padded
    /// gradient image <paramref name="dy"/> into <paramref name="dx"/> (batch, h, w, c); the
    /// border's gradient goes nowhere.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ZeroPadBackward(ReadOnlySpan<float> dy, int batch, int h, int w, int c, int top, int bottom, int left, int right, Span<float> dx)
    {
        Spatial.CheckPadding(dx.Length, batch, h, w, c, top, bottom, left, right, dy.Length);
        int oh = h + top + bottom, ow = w + left + right;
        for (int b = 0; b < batch; b++)
        for (int iy = 0; iy < h; iy++)
        {
            var dst = dx.Slice((b * h + iy) * w * c, w * c);
            TensorPrimitives.Add(dst, dy.Slice(((b * oh + iy + top) * ow + left) * c, w * c), dst);
        }
    }
}
