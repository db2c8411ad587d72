using System.Numerics;

namespace DeepGraph.Numerics;

/// <summary>
/// Per-channel sums over a channels-last tensor (rows of <c>channels</c> values, the channel
/// innermost): what a batch normalization over the last axis reduces. The channels run in
/// <see cref="Vector{T}"/> lanes; the rows are summed in float within blocks of
/// <see cref="Block"/> rows and the blocks in double, so the result keeps float64-like accuracy
/// over hundreds of thousands of rows; the rows are split over the threads.
/// </summary>
public static unsafe class ChannelSums
{
    /// <summary>Rows summed in float before the block's sum is added in double.</summary>
    private const int Block = 64;

    /// <summary>Values below which splitting over threads costs more than it saves.</summary>
    private const long ParallelWork = 1 << 16;

    /// <summary>
    /// sums[c] += Σ_rows d[r, c] with d = x − <paramref name="shift"/> (null: 0) and, with
    /// <paramref name="withProducts"/>, products[c] += Σ_rows d[r, c] · (w[r, c] − <paramref name="weightShift"/>[c])
    /// for w = <paramref name="weights"/>, or d · d when <paramref name="weights"/> is null (the squared deviations).
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not hold whole rows of the same count.</exception>
    public static void Add(float[] x, double[]? shift, float[]? weights, double[]? weightShift, int channels, Span<double> sums, Span<double> products, bool withProducts, int threads)
    {
        if (channels <= 0 || x.Length % channels != 0 || (weights is not null && weights.Length != x.Length) || shift?.Length < channels || weightShift?.Length < channels
            || sums.Length < channels || (withProducts && products.Length < channels))
            throw new ArgumentException($"Channel sums over {x.Length} values in rows of {channels} do not fit the buffers given.", nameof(x));
        int rows = x.Length / channels;
        var shiftF = new float[channels];
        var weightShiftF = new float[channels];
        for (int c = 0; c < channels; c++) (shiftF[c], weightShiftF[c]) = ((float)(shift?[c] ?? 0), (float)(weightShift?[c] ?? 0));
        int parts = (long)x.Length < ParallelWork ? 1 : Math.Max(1, Math.Min(threads, rows / Block));
        var partial = new double[parts, 2 * channels];
        Spatial.ForImages(parts, parts, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                int first = (int)((long)rows * p / parts), last = (int)((long)rows * (p + 1) / parts);
                var acc = new double[2 * channels];
                Range(x, weights, channels, shiftF, weightShiftF, first, last, acc, withProducts);
                for (int k = 0; k < acc.Length; k++) partial[p, k] = acc[k];
            }
        });
        for (int p = 0; p < parts; p++)
            for (int c = 0; c < channels; c++)
            {
                sums[c] += partial[p, c];
                if (withProducts) products[c] += partial[p, channels + c];
            }
    }

    private static void Range(float[] x, float[]? weights, int channels, float[] shift, float[] weightShift, int first, int last, double[] acc, bool withProducts)
    {
        int n = Vector<float>.Count;
        var s = new float[channels];
        var q = new float[channels];
        fixed (float* xp = x, wp = weights, hp = shift, gp = weightShift, sp = s, qp = q)
        {
            for (int start = first; start < last; start += Block)
            {
                int end = Math.Min(last, start + Block);
                Array.Clear(s);
                Array.Clear(q);
                for (int r = start; r < end; r++)
                {
                    float* row = xp + (long)r * channels;
                    float* wrow = wp == null ? null : wp + (long)r * channels;
                    int c = 0;
                    for (; c + n <= channels; c += n)
                    {
                        var d = Vector.Load(row + c) - Vector.Load(hp + c);
                        (Vector.Load(sp + c) + d).Store(sp + c);
                        if (withProducts)
                            Vector.FusedMultiplyAdd(d, wrow == null ? d : Vector.Load(wrow + c) - Vector.Load(gp + c), Vector.Load(qp + c)).Store(qp + c);
                    }
                    for (; c < channels; c++)
                    {
                        float d = row[c] - hp[c];
                        sp[c] += d;
                        if (withProducts) qp[c] += d * (wrow == null ? d : wrow[c] - gp[c]);
                    }
                }
                for (int c = 0; c < channels; c++)
                {
                    acc[c] += s[c];
                    acc[channels + c] += q[c];
                }
            }
        }
    }

    /// <summary>
    /// y[r, c] += a[c]·dy[r, c] + b[c]·x[r, c] + k[c] over rows of <paramref name="channels"/> values: a batch
    /// normalization's input gradient once its per-channel coefficients are known.
    /// </summary>
    /// <exception cref="ArgumentException">The buffers do not hold whole rows of the same count.</exception>
    public static void AddAffine(float[] dy, float[] x, float[] a, float[] b, float[] k, float[] y, int channels, int threads)
    {
        if (channels <= 0 || dy.Length % channels != 0 || x.Length != dy.Length || y.Length != dy.Length || a.Length < channels || b.Length < channels || k.Length < channels)
            throw new ArgumentException($"An affine map over {dy.Length} values in rows of {channels} does not fit the buffers given.", nameof(dy));
        int rows = dy.Length / channels, n = Vector<float>.Count;
        int parts = (long)dy.Length < ParallelWork ? 1 : Math.Max(1, Math.Min(threads, rows / Block));
        Spatial.ForImages(rows, parts, (first, last) =>
        {
            fixed (float* dp = dy, xp = x, ap = a, bp = b, kp = k, yp = y)
                for (int r = first; r < last; r++)
                {
                    long at = (long)r * channels;
                    int c = 0;
                    for (; c + n <= channels; c += n)
                    {
                        var v = Vector.Load(yp + at + c) + Vector.Load(ap + c) * Vector.Load(dp + at + c) + Vector.Load(bp + c) * Vector.Load(xp + at + c) + Vector.Load(kp + c);
                        v.Store(yp + at + c);
                    }
                    for (; c < channels; c++) yp[at + c] += ap[c] * dp[at + c] + bp[c] * xp[at + c] + kp[c];
                }
        });
    }
}
