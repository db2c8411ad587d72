using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>
/// Max pooling that remembers where each maximum was, for training: the forward pass writes, beside
/// each output value, the window-local number (row · pool width + column) of the first cell in window
/// order that holds the maximum; the backward pass sends each output gradient to that cell without
/// reading the input again (which for a first block's activations is the largest tensor of the step).
/// </summary>
public static unsafe class MaxPoolArgmax
{
    /// <summary>Whether the vectorised kernels run here (AVX-512).</summary>
    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    /// <summary>y = the window maxima of <paramref name="x"/>, and <paramref name="index"/> the window-local number of each one's cell (as a float).</summary>
    public static void Forward(float[] x, in Window2D g, float[] y, float[] index, int threads)
    {
        g.Validate(x.Length, Math.Min(y.Length, index.Length), g.C);
        var geometry = g;
        int inImage = g.H * g.W * g.C, outImage = g.OH * g.OW * g.C;
        Spatial.ForImages(g.Batch, threads, (b0, b1) =>
        {
            fixed (float* xp = x, yp = y, ip = index)
                ForwardImages(geometry, xp + (long)b0 * inImage, yp + (long)b0 * outImage, ip + (long)b0 * outImage, b1 - b0);
        });
    }

    /// <summary>The same on one thread, for images a caller has split already.</summary>
    public static void Forward(ReadOnlySpan<float> x, in Window2D g, Span<float> y, Span<float> index)
    {
        g.Validate(x.Length, Math.Min(y.Length, index.Length), g.C);
        fixed (float* xp = x, yp = y, ip = index)
            ForwardImages(g, xp, yp, ip, g.Batch);
    }

    /// <summary>
    /// Adds each output gradient <paramref name="dy"/> to the input cell <paramref name="index"/>
    /// names (or, with <paramref name="overwrite"/>, writes the whole of <paramref name="dx"/>).
    /// </summary>
    public static void Backward(float[] dy, float[] index, in Window2D g, float[] dx, int threads, bool overwrite)
    {
        g.Validate(dx.Length, Math.Min(dy.Length, index.Length), g.C);
        var geometry = g;
        int inImage = g.H * g.W * g.C, outImage = g.OH * g.OW * g.C;
        Spatial.ForImages(g.Batch, threads, (b0, b1) =>
        {
            if (overwrite) dx.AsSpan(b0 * inImage, (b1 - b0) * inImage).Clear();
            fixed (float* dyp = dy, ip = index, dxp = dx)
                BackwardImages(geometry, dyp + (long)b0 * outImage, ip + (long)b0 * outImage, dxp + (long)b0 * inImage, b1 - b0);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardImages(in Window2D g, float* x, float* y, float* index, int images)
    {
        int c = g.C, vectors = c / 16;
        for (int b = 0; b < images; b++, x += (long)g.H * g.W * c)
            for (int oy = 0; oy < g.OH; oy++)
                for (int ox = 0; ox < g.OW; ox++, y += c, index += c)
                {
                    var (iy0, ix0, i0, i1, j0, j1) = Cells(g, oy, ox);
                    for (int v = 0; v < vectors; v++)
                    {
                        var best = Vector512.Create(float.NegativeInfinity);
                        var at = Vector512.Create(-1f);
                        for (int i = i0; i < i1; i++)
                        {
                            float* row = x + ((long)(iy0 + i) * g.W + ix0) * c + v * 16;
                            for (int j = j0; j < j1; j++)
                            {
                                var cell = Vector512.Load(row + (long)j * c);
                                var greater = Vector512.GreaterThan(cell, best) | Vector512.Equals(at, Vector512.Create(-1f));
                                best = Vector512.ConditionalSelect(greater, cell, best);
                                at = Vector512.ConditionalSelect(greater, Vector512.Create((float)(i * g.KW + j)), at);
                            }
                        }
                        best.Store(y + v * 16);
                        at.Store(index + v * 16);
                    }
                    for (int ch = vectors * 16; ch < c; ch++)
                    {
                        float best = float.NegativeInfinity;
                        int at = -1;
                        for (int i = i0; i < i1; i++)
                            for (int j = j0; j < j1; j++)
                            {
                                float cell = x[((long)(iy0 + i) * g.W + ix0 + j) * c + ch];
                                if (at < 0 || cell > best) (best, at) = (cell, i * g.KW + j);
                            }
                        y[ch] = best;
                        index[ch] = at;
                    }
                }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BackwardImages(in Window2D g, float* dy, float* index, float* dx, int images)
    {
        int c = g.C, vectors = c / 16;
        for (int b = 0; b < images; b++, dx += (long)g.H * g.W * c)
            for (int oy = 0; oy < g.OH; oy++)
                for (int ox = 0; ox < g.OW; ox++, dy += c, index += c)
                {
                    var (iy0, ix0, i0, i1, j0, j1) = Cells(g, oy, ox);
                    for (int v = 0; v < vectors; v++)
                    {
                        var grad = Vector512.Load(dy + v * 16);
                        var at = Vector512.Load(index + v * 16);
                        for (int i = i0; i < i1; i++)
                        {
                            float* row = dx + ((long)(iy0 + i) * g.W + ix0) * c + v * 16;
                            for (int j = j0; j < j1; j++)
                            {
                                float* cell = row + (long)j * c;
                                var here = Vector512.Equals(at, Vector512.Create((float)(i * g.KW + j)));
                                (Vector512.Load(cell) + (grad & here)).Store(cell);
                            }
                        }
                    }
                    for (int ch = vectors * 16; ch < c; ch++)
                    {
                        int at = (int)index[ch], i = at / g.KW, j = at % g.KW;
                        dx[((long)(iy0 + i) * g.W + ix0 + j) * c + ch] += dy[ch];
                    }
                }
    }

    /// <summary>Output (oy, ox)'s window: its top-left input cell and the rows [i0, i1) and columns [j0, j1) of it inside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Iy0, int Ix0, int I0, int I1, int J0, int J1) Cells(in Window2D g, int oy, int ox)
    {
        int iy0 = oy * g.SH - g.PadTop, ix0 = ox * g.SW - g.PadLeft;
        return (iy0, ix0, Math.Max(0, -iy0), Math.Min(g.KH, g.H - iy0), Math.Max(0, -ix0), Math.Min(g.KW, g.W - ix0));
    }
}
