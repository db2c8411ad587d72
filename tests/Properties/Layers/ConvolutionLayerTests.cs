using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The convolution layers TF.js lacks or computes differently from Keras (Conv1D causal, Conv1DTranspose,
/// DepthwiseConv1D, SeparableConv1D; DepthwiseConv2D with dilation, Conv2DTranspose with output padding or
/// dilation), and the options every one of them has: forward against float64 loops written from Keras's
/// definitions, backward against finite differences of those loops, and the laws that tie them together
/// (the transposed convolution is the adjoint of the convolution; a causal output never sees the future).
/// </summary>
public sealed class ConvolutionLayerTests
{
    private static readonly Gen<int> Seed = Gen.Choose(0, 1 << 30);
    private static readonly LayerId Id = Harness.LayerUnderTest;

    // ---- float64 references --------------------------------------------------------------------

    /// <summary>An activation of the references: linear or tanh (smooth, so finite differences hold everywhere).</summary>
    private static double[] Act(string activation, double[] y) => activation == "tanh" ? [.. y.Select(Math.Tanh)] : y;

    /// <summary>TensorFlow's padding before, along one axis of length n, for window span k and stride s: same pads ⌊max((⌈n/s⌉ − 1)·s + k − n, 0)/2⌋.</summary>
    private static int SameBefore(int n, int k, int s) => Math.Max(((n + s - 1) / s - 1) * s + k - n, 0) / 2;

    /// <summary>Output length of a correlation: valid ⌊(n − k)/s⌋ + 1, same ⌈n/s⌉ (k the span).</summary>
    private static int CorrelationLength(int n, int k, int s, string padding) => padding == "same" ? (n + s - 1) / s : (n - k) / s + 1;

    /// <summary>
    /// y[b, oy, ox, f] = bias[f] + Σ_{i, j, c} x[b, oy·sh − top + i·dh, ox·sw − left + j·dw, c] · w(i, j, c, f), terms
    /// outside the image dropped: every 2-D and (with h = 1) 1-D correlation here.
    /// </summary>
    private static double[] Correlate(double[] x, int n, int h, int w, int c, int kh, int kw, (int H, int W) s, (int H, int W) d, int top, int left,
        int oh, int ow, int f, Func<int, int, int, int, double> weight, double[]? bias)
    {
        var y = new double[n * oh * ow * f];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < f; o++)
                    {
                        double sum = bias?[o] ?? 0;
                        for (int i = 0; i < kh; i++)
                            for (int j = 0; j < kw; j++)
                            {
                                int iy = oy * s.H - top + i * d.H, ix = ox * s.W - left + j * d.W;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                for (int ci = 0; ci < c; ci++) sum += x[((b * h + iy) * w + ix) * c + ci] * weight(i, j, ci, o);
                            }
                        y[((b * oh + oy) * ow + ox) * f + o] = sum;
                    }
        return y;
    }

    /// <summary>The depthwise weight: output channel o = c·M + m reads only input channel c, with kernel[i, j, c, m] (kernel laid out (kh, kw, c, M)).</summary>
    private static Func<int, int, int, int, double> DepthwiseWeight(double[] kernel, int kw, int c, int m) =>
        (i, j, ci, o) => o / m == ci ? kernel[((i * kw + j) * c + ci) * m + o % m] : 0;

    /// <summary>A full kernel laid out (kh, kw, c, f).</summary>
    private static Func<int, int, int, int, double> FullWeight(double[] kernel, int kw, int c, int f) =>
        (i, j, ci, o) => kernel[((i * kw + j) * c + ci) * f + o];

    /// <summary>
    /// The transposed correlation: y[b, iy·sh + a·dh − top, ix·sw + e·dw − left, f] += x[b, iy, ix, c] · kernel[a, e, f, c]
    /// (kernel laid out (kh, kw, f, c)), terms outside the output dropped; + bias.
    /// </summary>
    private static double[] Transposed(double[] x, int n, int h, int w, int c, int kh, int kw, (int H, int W) s, (int H, int W) d, int top, int left,
        int oh, int ow, int f, double[] kernel, double[]? bias)
    {
        var y = new double[n * oh * ow * f];
        for (int b = 0; b < n; b++)
            for (int iy = 0; iy < h; iy++)
                for (int ix = 0; ix < w; ix++)
                    for (int a = 0; a < kh; a++)
                        for (int e = 0; e < kw; e++)
                        {
                            int oy = iy * s.H + a * d.H - top, ox = ix * s.W + e * d.W - left;
                            if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                            for (int o = 0; o < f; o++)
                                for (int ci = 0; ci < c; ci++)
                                    y[((b * oh + oy) * ow + ox) * f + o] += x[((b * h + iy) * w + ix) * c + ci] * kernel[((a * kw + e) * f + o) * c + ci];
                        }
        if (bias is not null)
            for (int p = 0; p < y.Length; p++) y[p] += bias[p % f];
        return y;
    }

    /// <summary>Keras's deconv_output_length along one axis (k the dilated span).</summary>
    private static int TransposedLength(int n, int k, int s, string padding, int? outputPadding) => outputPadding is int q
        ? (n - 1) * s + k - 2 * (padding == "same" ? k / 2 : 0) + q
        : padding == "same" ? n * s : n * s + Math.Max(k - s, 0);

    private static double[]? BiasOf(bool useBias, double[][] w, int index) => useBias ? w[index] : null;

    /// <summary>Checks the layer's forward pass against <paramref name="reference"/> and its gradients against finite differences of it.</summary>
    private static Property Matches(WeightedLayer unbuilt, int[] inputShape, int[] outputShape, OpLayerHarness.Reference reference, Random rng, string label)
    {
        var x = Harness.RandomTensor(rng, inputShape);
        var layer = Built(unbuilt, [x], rng);
        var y = Forward(layer, [x])[0];
        bool shape = y.Shape == Shape.Known(outputShape);
        double forward = shape ? Worst(y.Span, reference([Wide(x)], [.. layer.Weights.Select(w => Wide(w.Value))])) : double.NaN;
        var (worst, where) = GradientError(layer, [x], reference, rng);
        return (shape && forward <= 1e-5 && worst <= 1e-4).Label($"{label}: shape {y.Shape} (want [{string.Join(", ", outputShape)}]), forward worst {forward:G3}, gradient worst {worst:G3} at {where}");
    }

    // ---- 1-D layers ------------------------------------------------------------------------------

    [Property(MaxTest = 60)]
    public Property Conv1D_valid_same_and_causal_match_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from t in Gen.Choose(1, 9) from c in Gen.Choose(1, 4) from f in Gen.Choose(1, 4)
         from k in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 3)
         from padding in Gen.Elements("valid", "same", "causal") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let span = (k - 1) * dilation + 1
         where padding != "valid" || t >= span
         select (n, t, c, f, k, s, dilation, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int span = (p.k - 1) * p.dilation + 1;
            int before = p.padding switch { "causal" => span - 1, "same" => SameBefore(p.t, span, p.s), _ => 0 };
            int outLen = p.padding == "causal" ? (p.t + p.s - 1) / p.s : CorrelationLength(p.t, span, p.s, p.padding);
            var layer = new Conv1D(p.f, p.k, p.s, p.padding, ActivationFunction.Parse(p.act), p.bias, p.dilation) { Id = Id, Name = "conv1d" };
            return Matches(layer, [p.n, p.t, p.c], [p.n, outLen, p.f],
                (x, w) => Act(p.act, Correlate(x[0], p.n, 1, p.t, p.c, 1, p.k, (1, p.s), (1, p.dilation), 0, before, 1, outLen, p.f,
                    FullWeight(w[0], p.k, p.c, p.f), BiasOf(p.bias, w, 1))),
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 40)]
    public Property Conv1D_causal_output_never_depends_on_later_steps() => Prop.ForAll(
        (from t in Gen.Choose(2, 10) from k in Gen.Choose(1, 4) from dilation in Gen.Choose(1, 3) from cut in Gen.Choose(0, 9) from seed in Seed
         select (t, k, dilation, cut: cut % (t - 1), seed)).ToArbitrary(), p =>
        {
            var rng = new Random(p.seed);
            var x = Harness.RandomTensor(rng, [1, p.t, 2]);
            var layer = Built(new Conv1D(3, p.k, padding: "causal", dilationRate: p.dilation) { Id = Id, Name = "conv1d" }, [x], rng);
            var changed = x.ToArray();
            for (int i = (p.cut + 1) * 2; i < changed.Length; i++) changed[i] += 1f;
            var y0 = Forward(layer, [x])[0].ToArray();
            var y1 = Forward(layer, [Tensor.FromArray(changed, [1, p.t, 2])])[0].ToArray();
            // Steps 0 … cut see the same inputs; a later step sees a changed one (its own input at least).
            return (y0.Take((p.cut + 1) * 3).SequenceEqual(y1.Take((p.cut + 1) * 3)) && !y0.SequenceEqual(y1)).Label(p.ToString());
        });

    [Property(MaxTest = 60)]
    public Property Conv1DTranspose_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from t in Gen.Choose(1, 6) from c in Gen.Choose(1, 3) from f in Gen.Choose(1, 3)
         from k in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 2) from q in Gen.Choose(-1, 2)
         from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let outputPadding = q < 0 || q >= s ? (int?)null : q
         let span = (k - 1) * dilation + 1
         where TransposedLength(t, span, s, padding, outputPadding) > 0
         select (n, t, c, f, k, s, dilation, outputPadding, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int span = (p.k - 1) * p.dilation + 1;
            int outLen = TransposedLength(p.t, span, p.s, p.padding, p.outputPadding);
            int before = p.padding == "same" ? Math.Max((p.t - 1) * p.s + span - outLen, 0) / 2 : 0;
            var layer = new Conv1DTranspose(p.f, p.k, p.s, Padding.Parse(p.padding), p.outputPadding, ActivationFunction.Parse(p.act), p.bias, p.dilation) { Id = Id, Name = "conv1d_transpose" };
            return Matches(layer, [p.n, p.t, p.c], [p.n, outLen, p.f],
                (x, w) => Act(p.act, Transposed(x[0], p.n, 1, p.t, p.c, 1, p.k, (1, p.s), (1, p.dilation), 0, before, 1, outLen, p.f, w[0], BiasOf(p.bias, w, 1))),
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 60)]
    public Property DepthwiseConv1D_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from t in Gen.Choose(1, 8) from c in Gen.Choose(1, 5) from m in Gen.Choose(1, 3)
         from k in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 2)
         from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let span = (k - 1) * dilation + 1
         where padding != "valid" || t >= span
         select (n, t, c, m, k, s, dilation, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int span = (p.k - 1) * p.dilation + 1;
            int before = p.padding == "same" ? SameBefore(p.t, span, p.s) : 0;
            int outLen = CorrelationLength(p.t, span, p.s, p.padding);
            var layer = new DepthwiseConv1D(p.k, p.s, Padding.Parse(p.padding), p.m, ActivationFunction.Parse(p.act), p.bias, p.dilation) { Id = Id, Name = "depthwise_conv1d" };
            return Matches(layer, [p.n, p.t, p.c], [p.n, outLen, p.c * p.m],
                (x, w) => Act(p.act, Correlate(x[0], p.n, 1, p.t, p.c, 1, p.k, (1, p.s), (1, p.dilation), 0, before, 1, outLen, p.c * p.m,
                    DepthwiseWeight(w[0], p.k, p.c, p.m), BiasOf(p.bias, w, 1))),
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 60)]
    public Property SeparableConv1D_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from t in Gen.Choose(1, 8) from c in Gen.Choose(1, 4) from m in Gen.Choose(1, 3) from f in Gen.Choose(1, 4)
         from k in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 2)
         from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let span = (k - 1) * dilation + 1
         where padding != "valid" || t >= span
         select (n, t, c, m, f, k, s, dilation, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int span = (p.k - 1) * p.dilation + 1;
            int before = p.padding == "same" ? SameBefore(p.t, span, p.s) : 0;
            int outLen = CorrelationLength(p.t, span, p.s, p.padding);
            var layer = new SeparableConv1D(p.f, p.k, p.s, Padding.Parse(p.padding), p.m, ActivationFunction.Parse(p.act), p.bias, p.dilation) { Id = Id, Name = "separable_conv1d" };
            return Matches(layer, [p.n, p.t, p.c], [p.n, outLen, p.f], (x, w) =>
                {
                    var middle = Correlate(x[0], p.n, 1, p.t, p.c, 1, p.k, (1, p.s), (1, p.dilation), 0, before, 1, outLen, p.c * p.m, DepthwiseWeight(w[0], p.k, p.c, p.m), null);
                    return Act(p.act, Correlate(middle, p.n, 1, outLen, p.c * p.m, 1, 1, (1, 1), (1, 1), 0, 0, 1, outLen, p.f, FullWeight(w[1], 1, p.c * p.m, p.f), BiasOf(p.bias, w, 2)));
                },
                new Random(p.seed), p.ToString());
        });

    // ---- 2-D layers: the options the fixtures leave out -----------------------------------------

    [Property(MaxTest = 60)]
    public Property DepthwiseConv2D_with_strides_dilation_and_multiplier_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 7) from w in Gen.Choose(1, 7) from c in Gen.Choose(1, 19) from m in Gen.Choose(1, 3)
         from kh in Gen.Choose(1, 3) from kw in Gen.Choose(1, 3) from stride in Gen.Choose(1, 2) from dilation in Gen.Choose(1, 2)
         from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let spanH = (kh - 1) * dilation + 1
         let spanW = (kw - 1) * dilation + 1
         where padding != "valid" || (h >= spanH && w >= spanW)
         select (n, h, w, c, m, kh, kw, s, dilation, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int dh = p.kh == 1 ? 1 : p.dilation, dw = p.kw == 1 ? 1 : p.dilation;
            int spanH = (p.kh - 1) * dh + 1, spanW = (p.kw - 1) * dw + 1;
            int oh = CorrelationLength(p.h, spanH, p.s, p.padding), ow = CorrelationLength(p.w, spanW, p.s, p.padding);
            int top = p.padding == "same" ? SameBefore(p.h, spanH, p.s) : 0, left = p.padding == "same" ? SameBefore(p.w, spanW, p.s) : 0;
            var layer = new DepthwiseConv2D((p.kh, p.kw), (p.s, p.s), Padding.Parse(p.padding), p.m, ActivationFunction.Parse(p.act), p.bias, (p.dilation, p.dilation)) { Id = Id, Name = "depthwise_conv2d" };
            return Matches(layer, [p.n, p.h, p.w, p.c], [p.n, oh, ow, p.c * p.m],
                (x, wt) => Act(p.act, Correlate(x[0], p.n, p.h, p.w, p.c, p.kh, p.kw, (p.s, p.s), (dh, dw), top, left, oh, ow, p.c * p.m,
                    DepthwiseWeight(wt[0], p.kw, p.c, p.m), BiasOf(p.bias, wt, 1))),
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 60)]
    public Property Conv2DTranspose_with_output_padding_and_dilation_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 4) from w in Gen.Choose(1, 4) from c in Gen.Choose(1, 3) from f in Gen.Choose(1, 3)
         from kh in Gen.Choose(1, 3) from kw in Gen.Choose(1, 3) from sh in Gen.Choose(1, 3) from sw in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 2)
         from q in Gen.Choose(-1, 2) from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false)
         from act in Gen.Elements("linear", "tanh") from seed in Seed
         let s = dilation > 1 ? (1, 1) : (sh, sw)
         let outputPadding = q < 0 || q >= Math.Min(s.Item1, s.Item2) ? ((int, int)?)null : (q, q)
         select (n, h, w, c, f, kh, kw, s, dilation, outputPadding, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int dh = p.kh == 1 ? 1 : p.dilation, dw = p.kw == 1 ? 1 : p.dilation;
            int spanH = (p.kh - 1) * dh + 1, spanW = (p.kw - 1) * dw + 1;
            int oh = TransposedLength(p.h, spanH, p.s.Item1, p.padding, p.outputPadding?.Item1), ow = TransposedLength(p.w, spanW, p.s.Item2, p.padding, p.outputPadding?.Item2);
            if (oh <= 0 || ow <= 0) return true.Label("empty output: refused by shape inference");
            int top = p.padding == "same" ? Math.Max((p.h - 1) * p.s.Item1 + spanH - oh, 0) / 2 : 0;
            int left = p.padding == "same" ? Math.Max((p.w - 1) * p.s.Item2 + spanW - ow, 0) / 2 : 0;
            var layer = new Conv2DTranspose(p.f, (p.kh, p.kw), p.s, Padding.Parse(p.padding), p.outputPadding, ActivationFunction.Parse(p.act), p.bias, (p.dilation, p.dilation)) { Id = Id, Name = "conv2d_transpose" };
            return Matches(layer, [p.n, p.h, p.w, p.c], [p.n, oh, ow, p.f],
                (x, wt) => Act(p.act, Transposed(x[0], p.n, p.h, p.w, p.c, p.kh, p.kw, p.s, (dh, dw), top, left, oh, ow, p.f, wt[0], BiasOf(p.bias, wt, 1))),
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 40)]
    public Property SeparableConv2D_with_strides_dilation_and_multiplier_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 6) from w in Gen.Choose(1, 6) from c in Gen.Choose(1, 5) from m in Gen.Choose(1, 2) from f in Gen.Choose(1, 4)
         from k in Gen.Choose(1, 3) from stride in Gen.Choose(1, 2) from dilation in Gen.Choose(1, 2)
         from padding in Gen.Elements("valid", "same") from bias in Gen.Elements(true, false) from act in Gen.Elements("linear", "tanh")
         from seed in Seed
         let s = dilation > 1 ? 1 : stride
         let span = (k - 1) * dilation + 1
         where padding != "valid" || (h >= span && w >= span)
         select (n, h, w, c, m, f, k, s, dilation, padding, bias, act, seed)).ToArbitrary(), p =>
        {
            int d = p.k == 1 ? 1 : p.dilation, span = (p.k - 1) * d + 1;
            int oh = CorrelationLength(p.h, span, p.s, p.padding), ow = CorrelationLength(p.w, span, p.s, p.padding);
            int top = p.padding == "same" ? SameBefore(p.h, span, p.s) : 0, left = p.padding == "same" ? SameBefore(p.w, span, p.s) : 0;
            var layer = new SeparableConv2D(p.f, (p.k, p.k), (p.s, p.s), Padding.Parse(p.padding), p.m, ActivationFunction.Parse(p.act), p.bias, (p.dilation, p.dilation)) { Id = Id, Name = "separable_conv2d" };
            return Matches(layer, [p.n, p.h, p.w, p.c], [p.n, oh, ow, p.f], (x, wt) =>
                {
                    var middle = Correlate(x[0], p.n, p.h, p.w, p.c, p.k, p.k, (p.s, p.s), (d, d), top, left, oh, ow, p.c * p.m, DepthwiseWeight(wt[0], p.k, p.c, p.m), null);
                    return Act(p.act, Correlate(middle, p.n, oh, ow, p.c * p.m, 1, 1, (1, 1), (1, 1), 0, 0, oh, ow, p.f, FullWeight(wt[1], 1, p.c * p.m, p.f), BiasOf(p.bias, wt, 2)));
                },
                new Random(p.seed), p.ToString());
        });

    [Property(MaxTest = 30)]
    public Property Conv2D_1x1_with_16_to_128_filters_matches_the_reference() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from c in Gen.Choose(1, 40)
         from f in Gen.Elements(16, 32, 48, 64, 80, 128) from bias in Gen.Elements(true, false) from seed in Seed
         select (n, h, w, c, f, bias, seed)).ToArbitrary(), p =>
        {
            // The pointwise kernel (AVX-512) or the GEMM: four-row blocks, leftover rows, column blocks of 64 and less.
            var layer = new Conv2D(p.f, (1, 1), useBias: p.bias) { Id = Id, Name = "pointwise" };
            return Matches(layer, [p.n, p.h, p.w, p.c], [p.n, p.h, p.w, p.f],
                (x, wt) => Correlate(x[0], p.n, p.h, p.w, p.c, 1, 1, (1, 1), (1, 1), 0, 0, p.h, p.w, p.f, FullWeight(wt[0], 1, p.c, p.f), BiasOf(p.bias, wt, 1)),
                new Random(p.seed), p.ToString());
        });

    [Theory]
    [InlineData(37, 48)]
    [InlineData(32, 64)]
    public void Conv2D_1x1_on_rows_split_over_threads_matches_float64(int c, int f)
    {
        var rng = new Random(5);
        var x = Harness.RandomTensor(rng, [3, 30, 23, c]);
        var layer = Built(new Conv2D(f, (1, 1)) { Id = Id, Name = "pointwise" }, [x], rng);
        var dy = Harness.RandomTensor(rng, [3, 30, 23, f]);
        var (y, dx, dw) = Gradients(layer, [x], dy);
        double[] xs = Wide(x), k = Wide(layer.Params[0]), b = Wide(layer.Params[1]), g = Wide(dy);
        var want = Correlate(xs, 3, 30, 23, c, 1, 1, (1, 1), (1, 1), 0, 0, 30, 23, f, FullWeight(k, 1, c, f), b);
        var wantDx = new double[xs.Length];
        var wantDk = new double[k.Length];
        for (int r = 0; r < 3 * 30 * 23; r++)
            for (int ci = 0; ci < c; ci++)
                for (int o = 0; o < f; o++)
                {
                    wantDx[r * c + ci] += g[r * f + o] * k[ci * f + o];
                    wantDk[ci * f + o] += g[r * f + o] * xs[r * c + ci];
                }
        double worstY = Worst(y[0].Span, want), worstDx = Worst(dx[0]!.Span, wantDx), worstDk = Worst(dw[0]!.Span, wantDk);
        // An input gradient buffer marked unset (here full of NaN) is written, not added to.
        var unset = Tensor.Filled(float.NaN, x.Shape.ToArray());
        var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: true);
        layer.Backward(context, new BackwardArgs
        {
            Inputs = [x], Outputs = y, Saved = [], OutputGrads = [Tensor.FromArray(dy.ToArray(), dy.Shape.ToArray())], InputGrads = [unset], InputGradsUnset = [true],
            ParamGrads = [Tensor.Zeros(k.Length / f, f), Tensor.Zeros(f)],
        });
        Assert.True(worstY <= 1e-5 && worstDx <= 1e-5 && worstDk <= 1e-4, $"y {worstY:G3}, dx {worstDx:G3}, dkernel {worstDk:G3}");
        Assert.Equal(dx[0]!.ToArray(), unset.ToArray());
    }

    // ---- laws --------------------------------------------------------------------------------------

    [Property(MaxTest = 60)]
    public Property Conv2DTranspose_is_the_adjoint_of_Conv2D_with_the_same_kernel() => Prop.ForAll(
        (from n in Gen.Choose(1, 2) from h in Gen.Choose(1, 5) from w in Gen.Choose(1, 5) from c in Gen.Choose(1, 4) from f in Gen.Choose(1, 4)
         from kh in Gen.Choose(1, 4) from kw in Gen.Choose(1, 4) from sh in Gen.Choose(1, 3) from sw in Gen.Choose(1, 3)
         from padding in Gen.Elements("valid", "same") from seed in Seed
         select (n, h, w, c, f, kh, kw, sh, sw, padding, seed)).ToArbitrary(), p =>
        {
            // ⟨Conv2D(y), x⟩ = ⟨y, Conv2DTranspose(x)⟩ for y of the transposed layer's output shape: both read kernel (kh, kw, f, c).
            var rng = new Random(p.seed);
            var x = Harness.RandomTensor(rng, [p.n, p.h, p.w, p.c]);
            var transposed = Built(new Conv2DTranspose(p.f, (p.kh, p.kw), (p.sh, p.sw), Padding.Parse(p.padding), useBias: false) { Id = Id, Name = "t" }, [x], rng);
            var tx = Forward(transposed, [x])[0];
            var y = Harness.RandomTensor(rng, tx.Shape.ToArray());
            var conv = new Conv2D(p.c, (p.kh, p.kw), (p.sh, p.sw), Padding.Parse(p.padding), useBias: false) { Id = Id, Name = "c", Params = transposed.Params };
            var cy = Forward(conv, [y])[0];
            double left = cy.ToArray().Zip(x.ToArray(), (a, b) => (double)a * b).Sum(), right = y.ToArray().Zip(tx.ToArray(), (a, b) => (double)a * b).Sum();
            return (cy.Shape == x.Shape && Math.Abs(left - right) <= 1e-4 * Math.Max(1, Math.Abs(left))).Label($"{p}: ⟨conv y, x⟩ {left}, ⟨y, convT x⟩ {right}, shapes {cy.Shape} {x.Shape}");
        });

    [Theory]
    [InlineData(4, 20, 20, 40, 1, 1, "same")]
    [InlineData(3, 17, 15, 24, 2, 2, "same")]
    [InlineData(5, 16, 16, 13, 1, 1, "valid")]
    public void DepthwiseConv2D_on_images_split_over_threads_matches_float64(int n, int h, int w, int c, int m, int stride, string padding)
    {
        // Large enough for the kernels to split the images over the threads; the gradients summed directly in float64.
        var rng = new Random(n * 100 + c);
        var x = Harness.RandomTensor(rng, [n, h, w, c]);
        var layer = Built(new DepthwiseConv2D((3, 3), (stride, stride), Padding.Parse(padding), m) { Id = Id, Name = "dw" }, [x], rng);
        int oh = CorrelationLength(h, 3, stride, padding), ow = CorrelationLength(w, 3, stride, padding), f = c * m;
        int top = padding == "same" ? SameBefore(h, 3, stride) : 0, left = padding == "same" ? SameBefore(w, 3, stride) : 0;
        var dy = Harness.RandomTensor(rng, [n, oh, ow, f]);
        var (y, dx, dw) = Gradients(layer, [x], dy);
        double[] xs = Wide(x), k = Wide(layer.Params[0]), g = Wide(dy);
        var want = Correlate(xs, n, h, w, c, 3, 3, (stride, stride), (1, 1), top, left, oh, ow, f, DepthwiseWeight(k, 3, c, m), Wide(layer.Params[1]));
        var wantDx = new double[xs.Length];
        var wantDk = new double[k.Length];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++)
                        {
                            int iy = oy * stride - top + i, ix = ox * stride - left + j;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            for (int o = 0; o < f; o++)
                            {
                                double d = g[((b * oh + oy) * ow + ox) * f + o];
                                int at = ((b * h + iy) * w + ix) * c + o / m, tap = ((i * 3 + j) * c + o / m) * m + o % m;
                                wantDx[at] += d * k[tap];
                                wantDk[tap] += d * xs[at];
                            }
                        }
        double worstY = Worst(y[0].Span, want), worstDx = Worst(dx[0]!.Span, wantDx), worstDk = Worst(dw[0]!.Span, wantDk);
        Assert.True(worstY <= 1e-5 && worstDx <= 1e-5 && worstDk <= 1e-4, $"y {worstY:G3}, dx {worstDx:G3}, dkernel {worstDk:G3}");
    }

    [Theory]
    [InlineData(64, 32, 32, 32)]
    [InlineData(3, 37, 29, 19)]
    [InlineData(2, 3, 3, 5)]
    public void BatchNormalization_channels_last_training_pass_matches_float64(int n, int h, int w, int c)
    {
        // The MobileNet block's normalization: batch statistics over (n, h, w) per channel, the sums split over threads.
        var rng = new Random(n * 1000 + c);
        var x = Harness.RandomTensor(rng, [n, h, w, c], -2, 3);
        var layer = Built(new BatchNormalization { Id = Id, Name = "bn" }, [x], rng);
        var dy = Harness.RandomTensor(rng, [n, h, w, c]);
        var (y, dx, dw) = Gradients(layer, [x], dy);
        double[] xs = Wide(x), g = Wide(dy), gamma = Wide(layer.Params[0]), beta = Wide(layer.Params[1]);
        int rows = n * h * w;
        double worstY = 0, worstX = 0, worstGamma = 0, worstBeta = 0;
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, variance = 0, sumDy = 0, sumDyXhat = 0;
            for (int r = 0; r < rows; r++) mean += xs[r * c + ch] / rows;
            for (int r = 0; r < rows; r++) variance += (xs[r * c + ch] - mean) * (xs[r * c + ch] - mean) / rows;
            double std = Math.Sqrt(variance + 1e-3);
            for (int r = 0; r < rows; r++)
            {
                sumDy += g[r * c + ch];
                sumDyXhat += g[r * c + ch] * (xs[r * c + ch] - mean) / std;
            }
            for (int r = 0; r < rows; r++)
            {
                int i = r * c + ch;
                double xhat = (xs[i] - mean) / std;
                worstY = Math.Max(worstY, Math.Abs(y[0].Span[i] - (xhat * gamma[ch] + beta[ch])) / Math.Max(1, Math.Abs(xhat * gamma[ch] + beta[ch])));
                double want = gamma[ch] / std * (g[i] - sumDy / rows - xhat * sumDyXhat / rows);
                worstX = Math.Max(worstX, Math.Abs(dx[0]!.Span[i] - want) / Math.Max(1, Math.Abs(want)));
            }
            worstGamma = Math.Max(worstGamma, Math.Abs(dw[0]!.Span[ch] - sumDyXhat) / Math.Max(1, Math.Abs(sumDyXhat)));
            worstBeta = Math.Max(worstBeta, Math.Abs(dw[1]!.Span[ch] - sumDy) / Math.Max(1, Math.Abs(sumDy)));
        }
        Assert.True(worstY <= 1e-5 && worstX <= 1e-5 && worstGamma <= 1e-5 && worstBeta <= 1e-5, $"y {worstY:G3}, dx {worstX:G3}, dgamma {worstGamma:G3}, dbeta {worstBeta:G3}");
    }

    [Fact]
    public void Arguments_out_of_range_are_refused_in_Keras_words()
    {
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => new Conv1D(2, 3, padding: "full") { Id = Id, Name = "c" }).Message);
        Assert.Contains("output padding", Assert.Throws<ArgumentException>(() => new Conv2DTranspose(2, (3, 3), (2, 2), outputPadding: (2, 0)) { Id = Id, Name = "c" }).Message);
        Assert.Contains("output padding", Assert.Throws<ArgumentException>(() => new Conv1DTranspose(2, 3, 1, outputPadding: 1) { Id = Id, Name = "c" }).Message);
        Assert.Contains("depth_multiplier", Assert.Throws<ArgumentException>(() => new DepthwiseConv2D((3, 3), depthMultiplier: 0) { Id = Id, Name = "c" }).Message);
        Assert.Contains("dilation_rate", Assert.Throws<ArgumentException>(() => new SeparableConv2D(2, (3, 3), (2, 2), dilationRate: (2, 2)) { Id = Id, Name = "c" }).Message);
    }

    [Fact]
    public void Shape_errors_name_the_layer_and_the_input_shape()
    {
        var e = Assert.Throws<ShapeError>(() => new DepthwiseConv2D((3, 3)) { Id = Id, Name = "dw" }.OutputShapes([Shape.Batched(5, 5)]));
        Assert.Contains("\"dw\"", e.Message);
        Assert.Contains("ndim=4", e.Message);
        e = Assert.Throws<ShapeError>(() => new Conv1D(2, 5) { Id = Id, Name = "c1" }.OutputShapes([Shape.Batched(3, 2)]));
        Assert.Contains("c1", e.Message);
        var built = new SeparableConv1D(2, 3) { Id = Id, Name = "sep" }.Build([Shape.Batched(8, 3)], 1);
        e = Assert.Throws<ShapeError>(() => built.OutputShapes([Shape.Batched(8, 4)]));
        Assert.Contains("sep", e.Message);
    }
}
