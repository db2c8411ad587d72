using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>
/// y (+)= x · w for a tall x (rows × k) and a small w (k × n, k ≤ <see cref="MaxK"/>, n a multiple of
/// 16): a 1×1 convolution's product over every pixel. No packing: w stays in L1, each group of four
/// rows keeps its outputs in AVX-512 registers (up to 4 × 64 columns) while x's values are broadcast;
/// the rows are split over the threads. A general GEMM spends as long packing x as multiplying when k is this small.
/// </summary>
public static unsafe class PointwiseGemm
{
    /// <summary>The largest k the kernel takes (w's rows stay in L1 beside the accumulators).</summary>
    public const int MaxK = 256;

    /// <summary>Rows below which splitting over threads costs more than it saves.</summary>
    private const int ParallelRows = 1024;

    /// <summary>Whether the kernel runs here for this product: AVX-512, k ≤ <see cref="MaxK"/>, n a positive multiple of 16.</summary>
    public static bool Applies(int k, int n) => Vector512.IsHardwareAccelerated && k > 0 && k <= MaxK && n > 0 && n % 16 == 0;

    /// <summary>y[r, :] = (or += with <paramref name="accumulate"/>) Σ_j x[r, j] · w[j, :], for r &lt; <paramref name="rows"/>.</summary>
    /// <exception cref="ArgumentException">The product does not apply (<see cref="Applies"/>) or a buffer is too short.</exception>
    public static void Run(float[] x, int rows, int k, float[] w, int n, float[] y, int threads, bool accumulate)
    {
        if (!Applies(k, n) || rows < 0 || x.Length < (long)rows * k || w.Length < (long)k * n || y.Length < (long)rows * n)
            throw new ArgumentException($"A pointwise product of {rows} × {k} by {k} × {n} does not fit buffers of {x.Length}, {w.Length} and {y.Length} values (or n is not a multiple of 16, k above {MaxK}).");
        Spatial.ForImages(rows, rows < ParallelRows ? 1 : threads, (first, last) =>
        {
            fixed (float* xp = x, wp = w, yp = y)
                for (int col = 0; col < n; col += 64)
                {
                    int width = Math.Min(64, n - col) / 16;
                    int r = first;
                    for (; r + 4 <= last; r += 4)
                        Block(xp + (long)r * k, k, wp + col, n, yp + (long)r * n + col, width, accumulate);
                    for (; r < last; r++)
                        Row(xp + (long)r * k, k, wp + col, n, yp + (long)r * n + col, width, accumulate);
                }
        });
    }

    /// <summary>Four rows × <paramref name="width"/> vectors of 16 columns.</summary>
    private static void Block(float* x, int k, float* w, int n, float* y, int width, bool accumulate)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        float* x1 = x + k, x2 = x + 2 * k, x3 = x + 3 * k;
        for (int j = 0; j < k; j++)
        {
            float* wr = w + (long)j * n;
            var b0 = Vector512.Create(x[j]);
            var b1 = Vector512.Create(x1[j]);
            var b2 = Vector512.Create(x2[j]);
            var b3 = Vector512.Create(x3[j]);
            var w0 = Vector512.Load(wr);
            a00 = Vector512.FusedMultiplyAdd(b0, w0, a00);
            a10 = Vector512.FusedMultiplyAdd(b1, w0, a10);
            a20 = Vector512.FusedMultiplyAdd(b2, w0, a20);
            a30 = Vector512.FusedMultiplyAdd(b3, w0, a30);
            if (width < 2) continue;
            var w1 = Vector512.Load(wr + 16);
            a01 = Vector512.FusedMultiplyAdd(b0, w1, a01);
            a11 = Vector512.FusedMultiplyAdd(b1, w1, a11);
            a21 = Vector512.FusedMultiplyAdd(b2, w1, a21);
            a31 = Vector512.FusedMultiplyAdd(b3, w1, a31);
            if (width < 3) continue;
            var w2 = Vector512.Load(wr + 32);
            a02 = Vector512.FusedMultiplyAdd(b0, w2, a02);
            a12 = Vector512.FusedMultiplyAdd(b1, w2, a12);
            a22 = Vector512.FusedMultiplyAdd(b2, w2, a22);
            a32 = Vector512.FusedMultiplyAdd(b3, w2, a32);
            if (width < 4) continue;
            var w3 = Vector512.Load(wr + 48);
            a03 = Vector512.FusedMultiplyAdd(b0, w3, a03);
            a13 = Vector512.FusedMultiplyAdd(b1, w3, a13);
            a23 = Vector512.FusedMultiplyAdd(b2, w3, a23);
            a33 = Vector512.FusedMultiplyAdd(b3, w3, a33);
        }
        Store(y, a00, a01, a02, a03, width, accumulate);
        Store(y + n, a10, a11, a12, a13, width, accumulate);
        Store(y + 2 * n, a20, a21, a22, a23, width, accumulate);
        Store(y + 3 * n, a30, a31, a32, a33, width, accumulate);
    }

    /// <summary>One row × <paramref name="width"/> vectors of 16 columns.</summary>
    private static void Row(float* x, int k, float* w, int n, float* y, int width, bool accumulate)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int j = 0; j < k; j++)
        {
            float* wr = w + (long)j * n;
            var b = Vector512.Create(x[j]);
            a0 = Vector512.FusedMultiplyAdd(b, Vector512.Load(wr), a0);
            if (width > 1) a1 = Vector512.FusedMultiplyAdd(b, Vector512.Load(wr + 16), a1);
            if (width > 2) a2 = Vector512.FusedMultiplyAdd(b, Vector512.Load(wr + 32), a2);
            if (width > 3) a3 = Vector512.FusedMultiplyAdd(b, Vector512.Load(wr + 48), a3);
        }
        Store(y, a0, a1, a2, a3, width, accumulate);
    }

    private static void Store(float* y, Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, int width, bool accumulate)
    {
        if (accumulate)
        {
            a0 += Vector512.Load(y);
            if (width > 1) a1 += Vector512.Load(y + 16);
            if (width > 2) a2 += Vector512.Load(y + 32);
            if (width > 3) a3 += Vector512.Load(y + 48);
        }
        a0.Store(y);
        if (width > 1) a1.Store(y + 16);
        if (width > 2) a2.Store(y + 32);
        if (width > 3) a3.Store(y + 48);
    }

    /// <summary>Rows per tile of the weight gradient: x's and dz's tiles stay in L2 while every block of four x columns passes over them.</summary>
    private const int TileRows = 256;

    /// <summary>
    /// dW (k × n) += xᵀ · dz over <paramref name="rows"/> rows: a 1×1 convolution's weight gradient. The rows are
    /// split over the threads, each summing into its own partial (added at the end); within a tile of rows, four of
    /// x's columns at a time keep their 4 × 64 sums in registers while dz's rows stream past.
    /// </summary>
    /// <exception cref="ArgumentException">The product does not apply (<see cref="Applies"/>) or a buffer is too short.</exception>
    public static void AddTransposedProduct(float[] x, int rows, int k, float[] dz, int n, float[] dW, int threads)
    {
        if (!Applies(k, n) || rows < 0 || x.Length < (long)rows * k || dz.Length < (long)rows * n || dW.Length < (long)k * n)
            throw new ArgumentException($"A pointwise weight gradient of {rows} rows, {k} × {n}, does not fit buffers of {x.Length}, {dz.Length} and {dW.Length} values (or n is not a multiple of 16, k above {MaxK}).");
        var partials = new List<float[]>();
        Spatial.ForImages(rows, rows < ParallelRows ? 1 : threads, (first, last) =>
        {
            var partial = new float[k * n];
            fixed (float* xp = x, zp = dz, wp = partial)
                for (int start = first; start < last; start += TileRows)
                {
                    int count = Math.Min(TileRows, last - start);
                    for (int col = 0; col < n; col += 64)
                    {
                        int width = Math.Min(64, n - col) / 16;
                        for (int j = 0; j < k; j += 4)
                            Columns(xp + (long)start * k + j, k, Math.Min(4, k - j), zp + (long)start * n + col, n, count, wp + (long)j * n + col, width);
                    }
                }
            lock (partials) partials.Add(partial);
        });
        foreach (var partial in partials)
            System.Numerics.Tensors.TensorPrimitives.Add(dW.AsSpan(0, k * n), partial, dW.AsSpan(0, k * n));
    }

    /// <summary>w[j, :] += Σ_r x[r, j] · dz[r, :] for <paramref name="columns"/> (≤ 4) of x's columns and <paramref name="width"/> vectors of dz's.</summary>
    private static void Columns(float* x, int k, int columns, float* dz, int n, int count, float* w, int width)
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        for (int r = 0; r < count; r++, x += k, dz += n)
        {
            var z0 = Vector512.Load(dz);
            var z1 = width > 1 ? Vector512.Load(dz + 16) : default;
            var z2 = width > 2 ? Vector512.Load(dz + 32) : default;
            var z3 = width > 3 ? Vector512.Load(dz + 48) : default;
            var b0 = Vector512.Create(x[0]);
            a00 = Vector512.FusedMultiplyAdd(b0, z0, a00);
            a01 = Vector512.FusedMultiplyAdd(b0, z1, a01);
            a02 = Vector512.FusedMultiplyAdd(b0, z2, a02);
            a03 = Vector512.FusedMultiplyAdd(b0, z3, a03);
            if (columns < 2) continue;
            var b1 = Vector512.Create(x[1]);
            a10 = Vector512.FusedMultiplyAdd(b1, z0, a10);
            a11 = Vector512.FusedMultiplyAdd(b1, z1, a11);
            a12 = Vector512.FusedMultiplyAdd(b1, z2, a12);
            a13 = Vector512.FusedMultiplyAdd(b1, z3, a13);
            if (columns < 3) continue;
            var b2 = Vector512.Create(x[2]);
            a20 = Vector512.FusedMultiplyAdd(b2, z0, a20);
            a21 = Vector512.FusedMultiplyAdd(b2, z1, a21);
            a22 = Vector512.FusedMultiplyAdd(b2, z2, a22);
            a23 = Vector512.FusedMultiplyAdd(b2, z3, a23);
            if (columns < 4) continue;
            var b3 = Vector512.Create(x[3]);
            a30 = Vector512.FusedMultiplyAdd(b3, z0, a30);
            a31 = Vector512.FusedMultiplyAdd(b3, z1, a31);
            a32 = Vector512.FusedMultiplyAdd(b3, z2, a32);
            a33 = Vector512.FusedMultiplyAdd(b3, z3, a33);
        }
        Store(w, a00, a01, a02, a03, width, accumulate: true);
        if (columns > 1) Store(w + n, a10, a11, a12, a13, width, accumulate: true);
        if (columns > 2) Store(w + 2 * n, a20, a21, a22, a23, width, accumulate: true);
        if (columns > 3) Store(w + 3 * n, a30, a31, a32, a33, width, accumulate: true);
    }
}
