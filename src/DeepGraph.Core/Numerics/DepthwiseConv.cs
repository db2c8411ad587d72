using System.Numerics;
using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>
/// A depthwise convolution over NHWC tensors with one kernel per channel (depth multiplier 1:
/// channel c of the output is channel c of the input correlated with kernel[:, :, c]); a layer
/// with a depth multiplier M runs it on its input with each channel repeated M times
/// (<see cref="Repeat"/>). Direct loops: the window's taps outermost per output pixel, the
/// channels in <see cref="Vector{T}"/> lanes innermost, the images split over the threads.
/// </summary>
public static unsafe class DepthwiseConv
{
    /// <summary>
    /// y[b, oy, ox, c] = bias[c] + Σ_{i, j} x[b, oy·sh − top + i·dh, ox·sw − left + j·dw, c] · kernel[i, j, c]
    /// over the taps inside the image; <paramref name="kernel"/> is (kh, kw, c), <paramref name="bias"/> (c) or null.
    /// With <paramref name="accumulate"/>, y += that sum instead.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not fit the window.</exception>
    public static void Forward(float[] x, in Window2D g, float[] kernel, float[]? bias, float[] y, int threads, bool accumulate = false)
    {
        g.Validate(x.Length, y.Length, g.C);
        Check(g, kernel.Length, bias?.Length ?? g.C);
        var geometry = g;
        Spatial.ForImages(g.Batch, Work(g) < ParallelWork ? 1 : threads, (b0, b1) =>
        {
            fixed (float* xp = x, kp = kernel, yp = y)
            fixed (float* bp = bias)
                for (int b = b0; b < b1; b++) ForwardImage(xp, geometry, b, kp, bp, yp, accumulate);
        });
    }

    private static long Work(in Window2D g) => (long)g.Batch * g.OH * g.OW * g.C * g.KH * g.KW;

    /// <summary>Multiply-adds below which splitting over threads costs more than it saves.</summary>
    private const long ParallelWork = 1 << 17;

    private static void Check(in Window2D g, int kernelLength, int biasLength)
    {
        if (kernelLength < g.KH * g.KW * g.C || biasLength < g.C)
            throw new ArgumentException($"A depthwise kernel of {kernelLength} values or a bias of {biasLength} does not fit window {g}.");
    }

    /// <summary>The taps [iFirst, iEnd) × [jFirst, jEnd) of output pixel (oy, ox) that fall inside the image.</summary>
    private static (int I0, int I1, int J0, int J1) Taps(in Window2D g, int oy, int ox)
    {
        int y0 = oy * g.SH - g.PadTop, x0 = ox * g.SW - g.PadLeft;
        int i0 = y0 >= 0 ? 0 : (-y0 + g.DH - 1) / g.DH, i1 = Math.Min(g.KH, (g.H - y0 + g.DH - 1) / g.DH);
        int j0 = x0 >= 0 ? 0 : (-x0 + g.DW - 1) / g.DW, j1 = Math.Min(g.KW, (g.W - x0 + g.DW - 1) / g.DW);
        return (i0, i1, j0, j1);
    }

    private static void ForwardImage(float* x, in Window2D g, int b, float* k, float* bias, float* y, bool accumulate)
    {
        int c = g.C;
        long xRowStep = (long)g.DH * g.W * c, xColStep = (long)g.DW * c, pairStep = (long)g.SW * c;
        int kRowStep = g.KW * c;
        for (int oy = 0; oy < g.OH; oy++)
            for (int ox = 0; ox < g.OW; ox++)
            {
                var (i0, i1, j0, j1) = Taps(g, oy, ox);
                int y0 = oy * g.SH - g.PadTop, x0 = ox * g.SW - g.PadLeft;
                float* dst = y + (((long)b * g.OH + oy) * g.OW + ox) * c;
                float* xs = x + (((long)b * g.H + y0 + i0 * g.DH) * g.W + x0 + j0 * g.DW) * c;
                float* ks = k + (i0 * g.KW + j0) * c;
                // Two neighbouring pixels with the same taps inside the image share each kernel load.
                bool pair = ox + 1 < g.OW && Taps(g, oy, ox + 1) == (i0, i1, j0, j1);
                var taps = new TapLoop(i1 - i0, j1 - j0, xRowStep, xColStep, kRowStep);
                if (pair)
                {
                    Pixels(xs, ks, dst, bias, accumulate, c, taps, pairStep);
                    ox++;
                }
                else
                {
                    Pixels(xs, ks, dst, bias, accumulate, c, taps, 0);
                }
            }
    }

    /// <summary>The taps inside the image of one output pixel: rows and columns, and the strides between them in x and in the kernel.</summary>
    private readonly record struct TapLoop(int Rows, int Columns, long XRowStep, long XColumnStep, int KernelRowStep);

    /// <summary>
    /// One output pixel (<paramref name="pairStep"/> 0) or two neighbours (the second's input
    /// <paramref name="pairStep"/> floats further, its output c further): each channel's
    /// accumulator starts from the bias (and the output, when accumulating) and gathers the taps.
    /// </summary>
    private static void Pixels(float* xs, float* ks, float* dst, float* bias, bool accumulate, int c, in TapLoop t, long pairStep)
    {
        int n = Vector<float>.Count, ch = 0;
        bool pair = pairStep != 0;
        float* dst2 = dst + c;
        for (; ch + 4 * n <= c; ch += 4 * n)
        {
            Vector<float> a0 = Start(bias, dst, ch, accumulate), a1 = Start(bias, dst, ch + n, accumulate), a2 = Start(bias, dst, ch + 2 * n, accumulate), a3 = Start(bias, dst, ch + 3 * n, accumulate);
            Vector<float> b0 = default, b1 = default, b2 = default, b3 = default;
            if (pair)
                (b0, b1, b2, b3) = (Start(bias, dst2, ch, accumulate), Start(bias, dst2, ch + n, accumulate), Start(bias, dst2, ch + 2 * n, accumulate), Start(bias, dst2, ch + 3 * n, accumulate));
            float* xr = xs + ch, kr = ks + ch;
            for (int i = 0; i < t.Rows; i++, xr += t.XRowStep, kr += t.KernelRowStep)
            {
                float* xp = xr, kp = kr;
                if (pair)
                    for (int j = 0; j < t.Columns; j++, xp += t.XColumnStep, kp += c)
                    {
                        var k0 = Vector.Load(kp);
                        var k1 = Vector.Load(kp + n);
                        var k2 = Vector.Load(kp + 2 * n);
                        var k3 = Vector.Load(kp + 3 * n);
                        a0 = Vector.FusedMultiplyAdd(Vector.Load(xp), k0, a0);
                        a1 = Vector.FusedMultiplyAdd(Vector.Load(xp + n), k1, a1);
                        a2 = Vector.FusedMultiplyAdd(Vector.Load(xp + 2 * n), k2, a2);
                        a3 = Vector.FusedMultiplyAdd(Vector.Load(xp + 3 * n), k3, a3);
                        b0 = Vector.FusedMultiplyAdd(Vector.Load(xp + pairStep), k0, b0);
                        b1 = Vector.FusedMultiplyAdd(Vector.Load(xp + pairStep + n), k1, b1);
                        b2 = Vector.FusedMultiplyAdd(Vector.Load(xp + pairStep + 2 * n), k2, b2);
                        b3 = Vector.FusedMultiplyAdd(Vector.Load(xp + pairStep + 3 * n), k3, b3);
                    }
                else
                    for (int j = 0; j < t.Columns; j++, xp += t.XColumnStep, kp += c)
                    {
                        a0 = Vector.FusedMultiplyAdd(Vector.Load(xp), Vector.Load(kp), a0);
                        a1 = Vector.FusedMultiplyAdd(Vector.Load(xp + n), Vector.Load(kp + n), a1);
                        a2 = Vector.FusedMultiplyAdd(Vector.Load(xp + 2 * n), Vector.Load(kp + 2 * n), a2);
                        a3 = Vector.FusedMultiplyAdd(Vector.Load(xp + 3 * n), Vector.Load(kp + 3 * n), a3);
                    }
            }
            a0.Store(dst + ch);
            a1.Store(dst + ch + n);
            a2.Store(dst + ch + 2 * n);
            a3.Store(dst + ch + 3 * n);
            if (pair)
            {
                b0.Store(dst2 + ch);
                b1.Store(dst2 + ch + n);
                b2.Store(dst2 + ch + 2 * n);
                b3.Store(dst2 + ch + 3 * n);
            }
        }
        for (int p = 0; p < (pair ? 2 : 1); p++)
        {
            float* x0 = xs + p * pairStep, d = dst + p * c;
            for (int cv = ch; cv + n <= c; cv += n)
            {
                var a = Start(bias, d, cv, accumulate);
                float* xr = x0 + cv, kr = ks + cv;
                for (int i = 0; i < t.Rows; i++, xr += t.XRowStep, kr += t.KernelRowStep)
                    for (int j = 0; j < t.Columns; j++)
                        a = Vector.FusedMultiplyAdd(Vector.Load(xr + j * t.XColumnStep), Vector.Load(kr + j * c), a);
                a.Store(d + cv);
            }
            for (int cs = c - (c - ch) % n; cs < c; cs++)
            {
                float a = (bias is null ? 0f : bias[cs]) + (accumulate ? d[cs] : 0f);
                float* xr = x0 + cs, kr = ks + cs;
                for (int i = 0; i < t.Rows; i++, xr += t.XRowStep, kr += t.KernelRowStep)
                    for (int j = 0; j < t.Columns; j++)
                        a += xr[j * t.XColumnStep] * kr[j * c];
                d[cs] = a;
            }
        }
    }

    private static Vector<float> Start(float* bias, float* dst, int ch, bool accumulate)
    {
        var a = bias is null ? Vector<float>.Zero : Vector.Load(bias + ch);
        return accumulate ? a + Vector.Load(dst + ch) : a;
    }

    /// <summary>
    /// The gradients of <see cref="Forward"/> from the output gradient <paramref name="dy"/>:
    /// <paramref name="dx"/> += the input gradient (null: not needed) and <paramref name="dKernel"/> +=
    /// Σ x·dy per tap and channel (null: not needed). With stride 1 the input gradient is itself a
    /// depthwise correlation (of dy, padded by the window's reach less the forward padding, with the
    /// kernel flipped), accumulated in registers; with larger strides each output pixel's taps are
    /// scattered. The kernel gradient sums each tap over the image with its channel vectors in
    /// registers; each thread sums its images into its own partial, added at the end.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not fit the window.</exception>
    public static void Backward(float[] x, float[] dy, in Window2D g, float[] kernel, float[]? dx, float[]? dKernel, int threads)
    {
        g.Validate(x.Length, dy.Length, g.C);
        Check(g, kernel.Length, g.C);
        if (dx is not null && dx.Length < (long)g.Batch * g.H * g.W * g.C) throw new ArgumentException($"The input gradient has {dx.Length} values; window {g} needs {(long)g.Batch * g.H * g.W * g.C}.", nameof(dx));
        if (dKernel is not null) Check(g, dKernel.Length, g.C);
        if (dx is not null) InputGradient(dy, g, kernel, dx, threads);
        if (dKernel is not null) KernelGradient(x, dy, g, dKernel, threads);
    }

    private static void InputGradient(float[] dy, in Window2D g, float[] kernel, float[] dx, int threads)
    {
        int c = g.C;
        if (g.SH == 1 && g.SW == 1)
        {
            var flipped = new float[g.KH * g.KW * c];
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                    Array.Copy(kernel, ((g.KH - 1 - i) * g.KW + (g.KW - 1 - j)) * c, flipped, (i * g.KW + j) * c, c);
            var back = new Window2D(g.Batch, g.OH, g.OW, c, g.KH, g.KW, 1, 1, g.DH, g.DW, (g.KH - 1) * g.DH - g.PadTop, (g.KW - 1) * g.DW - g.PadLeft, g.H, g.W);
            Forward(dy, back, flipped, null, dx, threads, accumulate: true);
            return;
        }
        var geometry = g;
        Spatial.ForImages(g.Batch, Work(g) < ParallelWork ? 1 : threads, (b0, b1) =>
        {
            fixed (float* dyp = dy, kp = kernel, dxp = dx)
                for (int b = b0; b < b1; b++) ScatterImage(dyp, geometry, b, kp, dxp);
        });
    }

    private static void ScatterImage(float* dy, in Window2D g, int b, float* k, float* dx)
    {
        int c = g.C, n = Vector<float>.Count;
        for (int oy = 0; oy < g.OH; oy++)
            for (int ox = 0; ox < g.OW; ox++)
            {
                var (i0, i1, j0, j1) = Taps(g, oy, ox);
                int y0 = oy * g.SH - g.PadTop, x0 = ox * g.SW - g.PadLeft;
                float* d = dy + (((long)b * g.OH + oy) * g.OW + ox) * c;
                for (int i = i0; i < i1; i++)
                    for (int j = j0; j < j1; j++)
                    {
                        float* to = dx + (((long)b * g.H + y0 + i * g.DH) * g.W + x0 + j * g.DW) * c;
                        float* tap = k + (i * g.KW + j) * c;
                        int ch = 0;
                        for (; ch + n <= c; ch += n)
                            Vector.FusedMultiplyAdd(Vector.Load(d + ch), Vector.Load(tap + ch), Vector.Load(to + ch)).Store(to + ch);
                        for (; ch < c; ch++) to[ch] += d[ch] * tap[ch];
                    }
            }
    }

    private static void KernelGradient(float[] x, float[] dy, in Window2D g, float[] dKernel, int threads)
    {
        int taps = g.KH * g.KW * g.C;
        var partials = new List<float[]>();
        var geometry = g;
        Spatial.ForImages(g.Batch, Work(g) < ParallelWork ? 1 : threads, (b0, b1) =>
        {
            var partial = new float[taps];
            fixed (float* xp = x, dyp = dy, dkp = partial)
                for (int b = b0; b < b1; b++)
                    for (int i = 0; i < geometry.KH; i++)
                        for (int j = 0; j < geometry.KW; j++)
                            TapGradient(xp, dyp, geometry, b, i, j, dkp + (i * geometry.KW + j) * geometry.C);
            lock (partials) partials.Add(partial);
        });
        foreach (var partial in partials)
            TensorPrimitives.Add(dKernel.AsSpan(0, taps), partial, dKernel.AsSpan(0, taps));
    }

    /// <summary>dk[c] += Σ over the output pixels of image b whose tap (i, j) falls inside the image of x[that cell, c]·dy[pixel, c].</summary>
    private static void TapGradient(float* x, float* dy, in Window2D g, int b, int i, int j, float* dk)
    {
        int c = g.C, n = Vector<float>.Count;
        // The output rows and columns whose tap (i, j) reads a cell of the image.
        int oyFirst = FirstInside(g.PadTop - i * g.DH, g.SH), oyEnd = Math.Min(g.OH, EndInside(g.H, g.PadTop - i * g.DH, g.SH));
        int oxFirst = FirstInside(g.PadLeft - j * g.DW, g.SW), oxEnd = Math.Min(g.OW, EndInside(g.W, g.PadLeft - j * g.DW, g.SW));
        if (oyFirst >= oyEnd || oxFirst >= oxEnd) return;
        long xStep = (long)g.SW * c;
        int ch = 0;
        for (; ch + 4 * n <= c; ch += 4 * n)
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int oy = oyFirst; oy < oyEnd; oy++)
            {
                float* xs = x + (((long)b * g.H + oy * g.SH - g.PadTop + i * g.DH) * g.W + oxFirst * g.SW - g.PadLeft + j * g.DW) * c + ch;
                float* ds = dy + (((long)b * g.OH + oy) * g.OW + oxFirst) * c + ch;
                for (int ox = oxFirst; ox < oxEnd; ox++, xs += xStep, ds += c)
                {
                    a0 = Vector.FusedMultiplyAdd(Vector.Load(xs), Vector.Load(ds), a0);
                    a1 = Vector.FusedMultiplyAdd(Vector.Load(xs + n), Vector.Load(ds + n), a1);
                    a2 = Vector.FusedMultiplyAdd(Vector.Load(xs + 2 * n), Vector.Load(ds + 2 * n), a2);
                    a3 = Vector.FusedMultiplyAdd(Vector.Load(xs + 3 * n), Vector.Load(ds + 3 * n), a3);
                }
            }
            (Vector.Load(dk + ch) + a0).Store(dk + ch);
            (Vector.Load(dk + ch + n) + a1).Store(dk + ch + n);
            (Vector.Load(dk + ch + 2 * n) + a2).Store(dk + ch + 2 * n);
            (Vector.Load(dk + ch + 3 * n) + a3).Store(dk + ch + 3 * n);
        }
        for (; ch < c; ch += n)
        {
            int width = Math.Min(n, c - ch);
            for (int oy = oyFirst; oy < oyEnd; oy++)
            {
                float* xs = x + (((long)b * g.H + oy * g.SH - g.PadTop + i * g.DH) * g.W + oxFirst * g.SW - g.PadLeft + j * g.DW) * c + ch;
                float* ds = dy + (((long)b * g.OH + oy) * g.OW + oxFirst) * c + ch;
                if (width == n)
                {
                    var a = Vector.Load(dk + ch);
                    for (int ox = oxFirst; ox < oxEnd; ox++, xs += xStep, ds += c) a = Vector.FusedMultiplyAdd(Vector.Load(xs), Vector.Load(ds), a);
                    a.Store(dk + ch);
                }
                else
                {
                    for (int ox = oxFirst; ox < oxEnd; ox++, xs += xStep, ds += c)
                        for (int e = 0; e < width; e++) dk[ch + e] += xs[e] * ds[e];
                }
            }
        }
    }

    /// <summary>The first output index o ≥ 0 with o·s − offset ≥ 0.</summary>
    private static int FirstInside(int offset, int s) => offset <= 0 ? 0 : (offset + s - 1) / s;

    /// <summary>One past the last output index o with o·s − offset &lt; n.</summary>
    private static int EndInside(int n, int offset, int s) => n + offset <= 0 ? 0 : (n + offset - 1) / s + 1;

    /// <summary>Each channel of (rows, c) repeated <paramref name="times"/> times in place: (rows, c·times), channel c·times + m = channel c.</summary>
    public static void Repeat(ReadOnlySpan<float> x, int c, int times, Span<float> y)
    {
        int rows = c == 0 ? 0 : x.Length / c;
        if (y.Length < (long)rows * c * times) throw new ArgumentException($"{y.Length} values cannot hold {rows} rows of {c}·{times}.", nameof(y));
        for (int r = 0; r < rows; r++)
            for (int ch = 0; ch < c; ch++)
                y.Slice((r * c + ch) * times, times).Fill(x[r * c + ch]);
    }

    /// <summary>The adjoint of <see cref="Repeat"/>: y[r, c] += Σ_m x[r, c·times + m].</summary>
    public static void SumRepeats(ReadOnlySpan<float> x, int c, int times, Span<float> y)
    {
        int rows = c == 0 ? 0 : y.Length / c;
        if (x.Length < (long)rows * c * times) throw new ArgumentException($"{x.Length} values do not hold {rows} rows of {c}·{times}.", nameof(x));
        for (int r = 0; r < rows; r++)
            for (int ch = 0; ch < c; ch++)
                y[r * c + ch] += TensorPrimitives.Sum(x.Slice((r * c + ch) * times, times));
    }
}
