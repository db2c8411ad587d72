namespace DeepGraph.Properties.Execution;

/// <summary>A float64 array with a row-major shape: the reference implementations' tensor.</summary>
public sealed class Nd
{
    /// <summary>An array of zeros of <paramref name="shape"/>.</summary>
    public Nd(params int[] shape)
    {
        Shape = shape;
        Data = new double[shape.Aggregate(1, (p, d) => p * d)];
    }

    /// <summary>The dimensions, batch first.</summary>
    public int[] Shape { get; }

    /// <summary>The values, row-major.</summary>
    public double[] Data { get; }

    /// <summary>The values of a float tensor, widened.</summary>
    public static Nd From(Tensor t)
    {
        var nd = new Nd(t.Shape.ToArray());
        var span = t.Span;
        for (int i = 0; i < span.Length; i++) nd.Data[i] = span[i];
        return nd;
    }

    /// <summary>The same values under another shape.</summary>
    public Nd Reshaped(params int[] shape)
    {
        var nd = new Nd(shape);
        Array.Copy(Data, nd.Data, Data.Length);
        return nd;
    }

    /// <summary>The flat offset of a full index.</summary>
    public int Offset(params int[] index)
    {
        int o = 0;
        for (int a = 0; a < Shape.Length; a++) o = o * Shape[a] + index[a];
        return o;
    }

    /// <summary>The full index of a flat offset.</summary>
    public int[] Index(int offset)
    {
        var index = new int[Shape.Length];
        for (int a = Shape.Length - 1; a >= 0; a--)
        {
            index[a] = offset % Shape[a];
            offset /= Shape[a];
        }
        return index;
    }

    /// <summary>Element (b, y, x, c) of an NHWC array.</summary>
    public double this[int b, int y, int x, int c]
    {
        get => Data[((b * Shape[1] + y) * Shape[2] + x) * Shape[3] + c];
        set => Data[((b * Shape[1] + y) * Shape[2] + x) * Shape[3] + c] = value;
    }
}

/// <summary>
/// Straightforward float64 implementations of every layer's forward pass, written from the
/// math (Keras's definitions and TensorFlow's padding rule as tests/fixtures/README.md states
/// them) with plain loops, independent of the library's kernels.
/// </summary>
public static class Reference
{
    private const double SeluAlpha = 1.6732632423543772848170429916717;
    private const double SeluScale = 1.0507009873554804934193349852946;

    /// <summary>TensorFlow's rule along one axis: output length and padding before (valid: none).</summary>
    public static (int Out, int Before) Axis(int n, int k, int s, bool same)
    {
        if (!same) return ((n - k) / s + 1, 0);
        int o = (n + s - 1) / s;
        int total = Math.Max((o - 1) * s + k - n, 0);
        return (o, total / 2);
    }

    /// <summary>The error function, from the everywhere-convergent series with positive terms (no cancellation).</summary>
    public static double Erf(double x)
    {
        if (x < 0) return -Erf(-x);
        if (x >= 6) return 1.0;
        // erf(x) = 2/√π · e^(−x²) · Σ_n 2^n x^(2n+1) / (1·3·…·(2n+1))
        double term = x, sum = x;
        for (int n = 1; n < 500 && term > 1e-17 * sum; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    /// <summary>One activation applied to one value (softmax is by row, see <see cref="Activate"/>).</summary>
    public static double Scalar(string activation, double v) => activation switch
    {
        "linear" => v,
        "relu" => Math.Max(v, 0),
        "relu6" => Math.Min(Math.Max(v, 0), 6),
        "sigmoid" => Sigmoid(v),
        "tanh" => Math.Tanh(v),
        "elu" => v > 0 ? v : Math.Exp(v) - 1,
        "selu" => SeluScale * (v > 0 ? v : SeluAlpha * (Math.Exp(v) - 1)),
        "softplus" => v > 30 ? v + Math.Log(1 + Math.Exp(-v)) : Math.Log(1 + Math.Exp(v)),
        "softsign" => v / (1 + Math.Abs(v)),
        "swish" or "silu" => v * Sigmoid(v),
        "gelu" => 0.5 * v * (1 + Erf(v / Math.Sqrt(2))),
        "leaky_relu" => v < 0 ? 0.2 * v : v,
        "hard_sigmoid" => Math.Clamp(0.2 * v + 0.5, 0, 1),
        "exponential" => Math.Exp(v),
        "hard_sigmoid_keras3" => Math.Clamp(v + 3, 0, 6) / 6,
        "hard_silu" => v * Math.Clamp(v + 3, 0, 6) / 6,
        "mish" => v * Math.Tanh(Scalar("softplus", v)),
        "log_sigmoid" => -Scalar("softplus", -v),
        _ => throw new ArgumentException($"no reference for activation {activation}"),
    };

    /// <summary>The activation of every value, in place; softmax over the last axis (max subtracted, in float64).</summary>
    public static Nd Activate(string activation, Nd x)
    {
        if (activation == "softmax")
        {
            int row = x.Shape[^1];
            for (int start = 0; start < x.Data.Length; start += row)
            {
                double max = double.NegativeInfinity;
                for (int i = 0; i < row; i++) max = Math.Max(max, x.Data[start + i]);
                double sum = 0;
                for (int i = 0; i < row; i++) sum += x.Data[start + i] = Math.Exp(x.Data[start + i] - max);
                for (int i = 0; i < row; i++) x.Data[start + i] /= sum;
            }
            return x;
        }
        for (int i = 0; i < x.Data.Length; i++) x.Data[i] = Scalar(activation, x.Data[i]);
        return x;
    }

    /// <summary>Dense: act(x · kernel + bias) on the last axis; kernel (in, units) row-major.</summary>
    public static Nd Dense(Nd x, double[] kernel, double[]? bias, int units, string activation)
    {
        int inDim = x.Shape[^1], rows = x.Data.Length / inDim;
        var y = new Nd([.. x.Shape[..^1], units]);
        for (int r = 0; r < rows; r++)
            for (int u = 0; u < units; u++)
            {
                double s = bias?[u] ?? 0;
                for (int i = 0; i < inDim; i++) s += x.Data[r * inDim + i] * kernel[i * units + u];
                y.Data[r * units + u] = s;
            }
        return Activate(activation, y);
    }

    /// <summary>Conv2D, NHWC cross-correlation; kernel (kh, kw, cin, filters) row-major.</summary>
    public static Nd Conv2D(Nd x, double[] kernel, double[]? bias, int filters, (int H, int W) k, (int H, int W) s, (int H, int W) d, bool same, string activation)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var (oh, top) = Axis(h, (k.H - 1) * d.H + 1, s.H, same);
        var (ow, left) = Axis(w, (k.W - 1) * d.W + 1, s.W, same);
        var y = new Nd(n, oh, ow, filters);
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int f = 0; f < filters; f++)
                    {
                        double sum = bias?[f] ?? 0;
                        for (int i = 0; i < k.H; i++)
                        {
                            int iy = oy * s.H - top + i * d.H;
                            if (iy < 0 || iy >= h) continue;
                            for (int j = 0; j < k.W; j++)
                            {
                                int ix = ox * s.W - left + j * d.W;
                                if (ix < 0 || ix >= w) continue;
                                for (int ci = 0; ci < c; ci++)
                                    sum += x[b, iy, ix, ci] * kernel[((i * k.W + j) * c + ci) * filters + f];
                            }
                        }
                        y[b, oy, ox, f] = sum;
                    }
        return Activate(activation, y);
    }

    /// <summary>Max or average pooling; cells of the padding never count.</summary>
    public static Nd Pool(Nd x, bool max, (int H, int W) pool, (int H, int W) s, bool same)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var (oh, top) = Axis(h, pool.H, s.H, same);
        var (ow, left) = Axis(w, pool.W, s.W, same);
        var y = new Nd(n, oh, ow, c);
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ci = 0; ci < c; ci++)
                    {
                        double acc = max ? double.NegativeInfinity : 0;
                        int count = 0;
                        for (int i = 0; i < pool.H; i++)
                            for (int j = 0; j < pool.W; j++)
                            {
                                int iy = oy * s.H - top + i, ix = ox * s.W - left + j;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                acc = max ? Math.Max(acc, x[b, iy, ix, ci]) : acc + x[b, iy, ix, ci];
                                count++;
                            }
                        if (count == 0) throw new InvalidOperationException("a window entirely in the padding");
                        y[b, oy, ox, ci] = max ? acc : acc / count;
                    }
        return y;
    }

    /// <summary>Global max or average over height and width.</summary>
    public static Nd GlobalPool(Nd x, bool max, bool keepDims)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var y = keepDims ? new Nd(n, 1, 1, c) : new Nd(n, c);
        for (int b = 0; b < n; b++)
            for (int ci = 0; ci < c; ci++)
            {
                double acc = max ? double.NegativeInfinity : 0;
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < w; ix++)
                        acc = max ? Math.Max(acc, x[b, iy, ix, ci]) : acc + x[b, iy, ix, ci];
                y.Data[b * c + ci] = max ? acc : acc / (h * w);
            }
        return y;
    }

    /// <summary>Zeros around height and width.</summary>
    public static Nd ZeroPad(Nd x, int top, int bottom, int left, int right)
    {
        int n = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var y = new Nd(n, h + top + bottom, w + left + right, c);
        for (int b = 0; b < n; b++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++)
                    for (int ci = 0; ci < c; ci++)
                        y[b, iy + top, ix + left, ci] = x[b, iy, ix, ci];
        return y;
    }

    /// <summary>Inference batch normalization along <paramref name="axis"/> (non-negative).</summary>
    public static Nd BatchNorm(Nd x, int axis, double[]? gamma, double[]? beta, double[] mean, double[] variance, double epsilon)
    {
        var y = new Nd(x.Shape);
        for (int i = 0; i < x.Data.Length; i++)
        {
            int f = x.Index(i)[axis];
            y.Data[i] = (x.Data[i] - mean[f]) / Math.Sqrt(variance[f] + epsilon) * (gamma?[f] ?? 1) + (beta?[f] ?? 0);
        }
        return y;
    }

    /// <summary>Concatenation along <paramref name="axis"/> (non-negative).</summary>
    public static Nd Concatenate(Nd[] xs, int axis)
    {
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(x => x.Shape[axis]);
        var y = new Nd(shape);
        int offset = 0;
        foreach (var x in xs)
        {
            for (int i = 0; i < x.Data.Length; i++)
            {
                var index = x.Index(i);
                index[axis] += offset;
                y.Data[y.Offset(index)] = x.Data[i];
            }
            offset += x.Shape[axis];
        }
        return y;
    }

    /// <summary>Elementwise sum or product of same-shape arrays.</summary>
    public static Nd Merge(Nd[] xs, bool product)
    {
        var y = new Nd(xs[0].Shape);
        for (int i = 0; i < y.Data.Length; i++)
        {
            double acc = product ? 1 : 0;
            foreach (var x in xs) acc = product ? acc * x.Data[i] : acc + x.Data[i];
            y.Data[i] = acc;
        }
        return y;
    }
}
