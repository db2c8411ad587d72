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
    /// over the taps inside the image; <paramref name="kernel"/> is (kh, kw, c), <paramref name="bias"/> (c) or empty.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not fit the window.</exception>
    public static void Forward(float[] x, in Window2D g, float[] kernel, float[]? bias, float[] y, int threads)
    {
        g.Validate(x.Length, y.Length, g.C);
        Check(g, kernel.Length, bias?.Length ?? g.C);
        var geometry = g;
        Spatial.ForImages(g.Batch, Work(g) < ParallelWork ? 1 : threads, (b0, b1) =>
        {
            fixed (float* xp = x, kp = kernel, yp = y)
            fixed (float* bp = bias)
                for (int b = b0; b < b1; b++) ForwardImage(xp, geometry, b, kp, bp, yp);
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

    private static void ForwardImage(float* x, in Window2D g, int b, float* k, float* bias, float* y)
    {
        int c = g.C, n = Vector<float>.Count;
        for (int oy = 0; oy < g.OH; oy++)
            for (int ox = 0; ox < g.OW; ox++)
            {
                var (i0, i1, j0, j1) = Taps(g, oy, ox);
                int y0 = oy * g.SH - g.PadTop, x0 = ox * g.SW - g.PadLeft;
                float* dst = y + (((long)b * g.OH + oy) * g.OW + ox) * c;
                int ch = 0;
                for (; ch + 2 * n <= c; ch += 2 * n)
                {
                    var a0 = bias is null ? Vector<float>.Zero : Vector.Load(bias + ch);
                    var a1 = bias is null ? Vector<float>.Zero : Vector.Load(bias + ch + n);
                    for (int i = i0; i < i1; i++)
                    {
                        float* row = x + (((long)b * g.H + y0 + i * g.DH) * g.W + x0) * c + ch;
                        float* kr = k + i * g.KW * c + ch;
                        for (int j = j0; j < j1; j++)
                        {
                            float* xs = row + (long)j * g.DW * c;
                            float* ks = kr + j * c;
                            a0 = Vector.FusedMultiplyAdd(Vector.Load(xs), Vector.Load(ks), a0);
                            a1 = Vector.FusedMultiplyAdd(Vector.Load(xs + n), Vector.Load(ks + n), a1);
                        }
                    }
                    a0.Store(dst + ch);
                    a1.Store(dst + ch + n);
                }
                for (; ch + n <= c; ch += n)
                {
                    var a = bias is null ? Vector<float>.Zero : Vector.Load(bias + ch);
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                            a = Vector.FusedMultiplyAdd(Vector.Load(x + (((long)b * g.H + y0 + i * g.DH) * g.W + x0 + j * g.DW) * c + ch), Vector.Load(k + (i * g.KW + j) * c + ch), a);
                    a.Store(dst + ch);
                }
                for (; ch < c; ch++)
                {
                    float a = bias is null ? 0f : bias[ch];
                    for (int i = i0; i < i1; i++)
                        for (int j = j0; j < j1; j++)
                            a += x[(((long)b * g.H + y0 + i * g.DH) * g.W + x0 + j * g.DW) * c + ch] * k[(i * g.KW + j) * c + ch];
                    dst[ch] = a;
                }
            }
    }

    /// <summary>
    /// The gradients of <see cref="Forward"/> from the output gradient <paramref name="dy"/>, in one
    /// pass over the output pixels: <paramref name="dx"/> += the taps' scatter of dy·kernel (null: not
    /// needed), <paramref name="dKernel"/> += Σ x·dy per tap and channel (null: not needed). Each thread
    /// sums its images' kernel gradient into its own partial; the partials are added at the end.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not fit the window.</exception>
    public static void Backward(float[] x, float[] dy, in Window2D g, float[] kernel, float[]? dx, float[]? dKernel, int threads)
    {
        g.Validate(x.Length, dy.Length, g.C);
        Check(g, kernel.Length, g.C);
        if (dx is not null && dx.Length < x.Length) throw new ArgumentException($"The input gradient has {dx.Length} values; window {g} needs {x.Length}.", nameof(dx));
        if (dKernel is not null) Check(g, dKernel.Length, g.C);
        if (dx is null && dKernel is null) return;
        int taps = g.KH * g.KW * g.C;
        int parts = Math.Min(g.Batch, Work(g) < ParallelWork ? 1 : Math.Max(1, threads));
        var partials = new List<float[]>();
        var geometry = g;
        Spatial.ForImages(g.Batch, parts, (b0, b1) =>
        {
            var partial = dKernel is null ? null : new float[taps];
            fixed (float* xp = x, dyp = dy, kp = kernel, dxp = dx, dkp = partial)
                for (int b = b0; b < b1; b++) BackwardImage(xp, dyp, geometry, b, kp, dxp, dkp);
            if (partial is not null)
                lock (partials) partials.Add(partial);
        });
        if (dKernel is null) return;
        foreach (var partial in partials)
            TensorPrimitives.Add(dKernel.AsSpan(0, taps), partial, dKernel.AsSpan(0, taps));
    }

    private static void BackwardImage(float* x, float* dy, in Window2D g, int b, float* k, float* dx, float* dk)
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
                        long at = (((long)b * g.H + y0 + i * g.DH) * g.W + x0 + j * g.DW) * c;
                        int tap = (i * g.KW + j) * c;
                        int ch = 0;
                        for (; ch + n <= c; ch += n)
                        {
                            var grad = Vector.Load(d + ch);
                            if (dx is not null)
                                Vector.FusedMultiplyAdd(grad, Vector.Load(k + tap + ch), Vector.Load(dx + at + ch)).Store(dx + at + ch);
                            if (dk is not null)
                                Vector.FusedMultiplyAdd(grad, Vector.Load(x + at + ch), Vector.Load(dk + tap + ch)).Store(dk + tap + ch);
                        }
                        for (; ch < c; ch++)
                        {
                            if (dx is not null) dx[at + ch] += d[ch] * k[tap + ch];
                            if (dk is not null) dk[tap + ch] += d[ch] * x[at + ch];
                        }
                    }
            }
    }

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
