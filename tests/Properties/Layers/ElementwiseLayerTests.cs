using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The elementwise family's layers: forward against float64 references written here from Keras's definitions,
/// gradients from the tape against finite differences of them (the cases away from kinks), Keras's shapes and
/// errors, and the noise layers' training statistics from seeds.
/// </summary>
public sealed class ElementwiseLayerTests
{
    private static readonly Gen<int> Seed = Gen.Choose(0, 1 << 30);

    private static readonly LayerId Id = Harness.LayerUnderTest;

    private static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    /// <summary>Values uniform in ±<paramref name="scale"/>, each at least 0.02 from every one of <paramref name="kinks"/>.</summary>
    private static Tensor AwayFrom(Random rng, int[] shape, double scale, params double[] kinks)
    {
        var values = new float[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            double v;
            do v = scale * (2 * rng.NextDouble() - 1); while (kinks.Any(k => Math.Abs(v - k) < 0.02));
            values[i] = (float)v;
        }
        return Tensor.FromArray(values, shape);
    }

    private static Gen<int[]> ShapeOf(int minRank, int maxRank) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank)
        select (int[])[2, .. dims];

    /// <summary>Forward equals the reference (relative 1e-5) and the tape's gradients equal finite differences (1e-3 relative).</summary>
    private static Property Agrees(Layer layer, Tensor[] inputs, OpLayerHarness.Reference reference, Random rng, string what)
    {
        var y = Forward(layer, inputs)[0];
        var want = reference([.. inputs.Select(Wide)], [.. layer.Weights.Select(w => Wide(w.Value))]);
        double forward = Worst(y.Span, want);
        var (gradient, where) = GradientError(layer, inputs, reference, rng);
        return (forward <= 1e-5 && gradient <= 1e-3).Label($"{what}: forward worst {forward:G3}, gradient worst {gradient:G3} at {where}");
    }

    // ---- activation layers ----------------------------------------------------------------------

    /// <summary>Keras's relu(x, negative_slope, max_value, threshold) in float64.</summary>
    private static double ReluReference(double x, double? max, double slope, double threshold)
    {
        double y = threshold != 0 ? (x > threshold ? x : 0) : Math.Max(x, 0);
        if (max is { } m) y = Math.Clamp(y, 0, m);
        return y - slope * Math.Max(threshold - x, 0);
    }

    [Property(MaxTest = 60)]
    public Property ReLU_is_Keras_relu_with_its_slope_cap_and_threshold() => Prop.ForAll(
        (from shape in ShapeOf(1, 3)
         from max in Gen.Elements<double?>(null, 0.5, 2, 6)
         from slope in Gen.Elements(0.0, 0.1, 0.3)
         from threshold in Gen.Elements(0.0, 0.25, 1.0)
         from seed in Seed
         select (shape, max, slope, threshold, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var layer = new ReLU(t.max, t.slope, t.threshold) { Id = Id, Name = "re_lu" };
            var x = AwayFrom(rng, t.shape, 4, [0, t.threshold, t.max ?? 0]);
            return Agrees(layer, [x], (xs, _) => [.. xs[0].Select(v => ReluReference(v, t.max, t.slope, t.threshold))], rng, t.ToString());
        });

    [Property(MaxTest = 40)]
    public Property LeakyReLU_ELU_and_ThresholdedReLU_follow_their_definitions() => Prop.ForAll(
        (from shape in ShapeOf(1, 3)
         from alpha in Gen.Elements(0.01, 0.2, 0.3, 1.0, 2.5)
         from theta in Gen.Elements(0.0, 0.5, 1.0)
         from seed in Seed
         select (shape, alpha, theta, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = AwayFrom(rng, t.shape, 3, [0, t.theta]);
            return Agrees(new LeakyReLU(t.alpha) { Id = Id, Name = "leaky" }, [x], (xs, _) => [.. xs[0].Select(v => v >= 0 ? v : t.alpha * v)], rng, $"leaky {t}")
                .And(Agrees(new ELU(t.alpha) { Id = Id, Name = "elu" }, [x], (xs, _) => [.. xs[0].Select(v => v > 0 ? v : t.alpha * (Math.Exp(v) - 1))], rng, $"elu {t}"))
                .And(Agrees(new ThresholdedReLU(t.theta) { Id = Id, Name = "thr" }, [x], (xs, _) => [.. xs[0].Select(v => v > t.theta ? v : 0)], rng, $"thresholded {t}"));
        });

    [Fact]
    public void The_op_of_an_activation_value_is_the_op_of_its_name()
    {
        var rng = new Random(4);
        var x = Harness.RandomTensor(rng, [3, 7], -5, 5);
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(x);
        foreach (var f in ActivationFunction.All)
            Assert.Equal(Ops.Activation(v, f.KerasName).Value.ToArray(), Ops.Activation(v, f).Value.ToArray());
        Assert.Same(v, Ops.Activation(v, ActivationFunction.Linear));
    }

    [Fact]
    public void ELU_of_large_inputs_has_finite_gradients_for_any_alpha()
    {
        var layer = new ELU(0.5) { Id = Id, Name = "elu" };
        var x = Tensor.FromArray([100f, 200f, -100f, 0.5f], [1, 4]);
        var (y, dx, _) = Gradients(layer, [x], Tensor.FromArray([1f, 1f, 1f, 1f], [1, 4]));
        Assert.True(y[0].IsFinite && dx[0]!.IsFinite);
        Assert.Equal([1f, 1f, 0f, 1f], dx[0]!.ToArray().Select(v => MathF.Round(v, 5)));
    }

    [Property(MaxTest = 40)]
    public Property PReLU_learns_one_slope_per_unshared_position() => Prop.ForAll(
        (from rank in Gen.Choose(1, 3)
         from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank)
         from shareMask in Gen.ArrayOf(ArbMap.Default.GeneratorFor<bool>(), rank)
         from seed in Seed
         select (dims, shareMask, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            int[] shape = [3, .. t.dims];
            int[]? shared = t.shareMask.Any(s => s) ? [.. Enumerable.Range(1, t.dims.Length).Where(a => t.shareMask[a - 1])] : null;
            var x = AwayFrom(rng, shape, 2, 0);
            var layer = Built(new PReLU(shared) { Id = Id, Name = "p_re_lu" }, [x], rng);
            int[] alphaShape = [.. t.dims.Select((d, i) => t.shareMask[i] ? 1 : d)];
            bool weightShape = layer.Params[0].Shape == Shape.Known(alphaShape);
            double[] Reference(double[][] xs, double[][] ws)
            {
                var y = new double[xs[0].Length];
                int perSample = Count(t.dims);
                for (int i = 0; i < y.Length; i++)
                {
                    // The alpha index: the position within the sample with shared axes at 0.
                    int rest = i % perSample, index = 0, stride = 1;
                    var coords = new int[t.dims.Length];
                    for (int a = t.dims.Length - 1; a >= 0; a--) { coords[a] = rest % t.dims[a]; rest /= t.dims[a]; }
                    for (int a = t.dims.Length - 1; a >= 0; a--) { index += (t.shareMask[a] ? 0 : coords[a]) * stride; stride *= alphaShape[a]; }
                    double v = xs[0][i];
                    y[i] = v > 0 ? v : ws[0][index] * v;
                }
                return y;
            }
            return weightShape.Label($"alpha {layer.Params[0].Shape}, want ({string.Join(", ", alphaShape)})")
                .And(Agrees(layer, [x], Reference, rng, $"{t}"));
        });

    [Fact]
    public void PReLU_counts_Keras_parameters_and_names_an_unknown_axis()
    {
        Assert.Equal(32 * 32 * 8, new PReLU { Id = Id, Name = "p" }.Build([Shape.Batched(32, 32, 8)], 1).ParamCount);
        Assert.Equal(8, new PReLU([1, 2]) { Id = Id, Name = "p" }.Build([Shape.Batched(32, 32, 8)], 1).ParamCount);
        var e = Assert.Throws<ShapeError>(() => new PReLU { Id = Id, Name = "slopes" }.OutputShapes([Shape.Of(null, null, 4)]));
        Assert.Contains("slopes", e.Message);
        Assert.Contains("axis 1", e.Message);
        Assert.Equal([Shape.Of(null, null, 4)], new PReLU([1]) { Id = Id, Name = "p" }.OutputShapes([Shape.Of(null, null, 4)]));
        Assert.Throws<ShapeError>(() => new PReLU([3]) { Id = Id, Name = "p" }.OutputShapes([Shape.Batched(4, 2)]));
    }

    // ---- Softmax ----------------------------------------------------------------------------------

    /// <summary>Softmax over the given axes of a row-major tensor, in float64.</summary>
    private static double[] SoftmaxReference(double[] x, int[] shape, int[] axes)
    {
        var resolved = axes.Select(a => a < 0 ? a + shape.Length : a).ToHashSet();
        var y = new double[x.Length];
        // Group the elements by their coordinates off the axes.
        var groups = new Dictionary<string, List<int>>();
        for (int i = 0; i < x.Length; i++)
        {
            int rest = i;
            var key = new int[shape.Length];
            for (int a = shape.Length - 1; a >= 0; a--) { key[a] = resolved.Contains(a) ? -1 : rest % shape[a]; rest /= shape[a]; }
            var k = string.Join(",", key);
            if (!groups.TryGetValue(k, out var list)) groups[k] = list = [];
            list.Add(i);
        }
        foreach (var members in groups.Values)
        {
            double max = members.Max(i => x[i]);
            double sum = members.Sum(i => Math.Exp(x[i] - max));
            foreach (int i in members) y[i] = Math.Exp(x[i] - max) / sum;
        }
        return y;
    }

    [Property(MaxTest = 50)]
    public Property Softmax_normalises_over_any_axis_or_axes() => Prop.ForAll(
        (from shape in ShapeOf(1, 3)
         from seed in Seed
         select (shape, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            int rank = t.shape.Length;
            var axes = Enumerable.Range(1, rank - 1).Where(_ => rng.Next(2) == 0).Select(a => rng.Next(2) == 0 ? a : a - rank).ToArray();
            if (axes.Length == 0) axes = [-1];
            var x = Harness.RandomTensor(rng, t.shape, -3, 3);
            return Agrees(new Softmax(axes) { Id = Id, Name = "softmax" }, [x], (xs, _) => SoftmaxReference(xs[0], t.shape, axes), rng, $"axes [{string.Join(", ", axes)}] {t}");
        });

    [Fact]
    public void Softmax_defaults_to_the_last_axis_and_names_a_bad_axis()
    {
        Assert.Equal([-1], new Softmax { Id = Id, Name = "s" }.Axis);
        var e = Assert.Throws<ShapeError>(() => new Softmax(3) { Id = Id, Name = "probs" }.OutputShapes([Shape.Batched(4, 5)]));
        Assert.Contains("probs", e.Message);
        Assert.Contains("(None, 4, 5)", e.Message);
        Assert.Throws<ArgumentException>(() => new Softmax(1, 1) { Id = Id, Name = "s" });
    }

    // ---- Subtract ---------------------------------------------------------------------------------

    [Property(MaxTest = 30)]
    public Property Subtract_is_the_first_minus_the_second() => Prop.ForAll(
        (from shape in ShapeOf(1, 3) from seed in Seed select (shape, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var a = Harness.RandomTensor(rng, t.shape);
            var b = Harness.RandomTensor(rng, t.shape);
            return Agrees(new Subtract { Id = Id, Name = "subtract" }, [a, b], (xs, _) => [.. xs[0].Zip(xs[1], (p, q) => p - q)], rng, t.ToString());
        });

    [Fact]
    public void Subtract_takes_exactly_two_inputs_of_one_shape()
    {
        var layer = new Subtract { Id = Id, Name = "diff" };
        var three = Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Batched(3), Shape.Batched(3), Shape.Batched(3)]));
        Assert.Contains("exactly 2 inputs", three.Message);
        Assert.Contains("diff", three.Message);
        var shapes = Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Batched(3), Shape.Batched(4)]));
        Assert.Contains("(None, 3)", shapes.Message);
    }

    // ---- Dot --------------------------------------------------------------------------------------

    /// <summary>Keras's batch_dot over (a1, a2) in float64, after an optional l2 normalisation along the contracted axes.</summary>
    private static double[] DotReference(double[] x1, int[] s1, double[] x2, int[] s2, int a1, int a2, bool normalize)
    {
        if (normalize)
        {
            x1 = L2Normalize(x1, s1, a1);
            x2 = L2Normalize(x2, s2, a2);
        }
        int batch = s1[0], k = s1[a1];
        var rest1 = Enumerable.Range(1, s1.Length - 1).Where(a => a != a1).ToArray();
        var rest2 = Enumerable.Range(1, s2.Length - 1).Where(a => a != a2).ToArray();
        int n1 = rest1.Aggregate(1, (p, a) => p * s1[a]), n2 = rest2.Aggregate(1, (p, a) => p * s2[a]);
        var y = new double[batch * n1 * n2];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n2; j++)
                {
                    double sum = 0;
                    for (int c = 0; c < k; c++) sum += x1[Index(s1, b, rest1, i, a1, c)] * x2[Index(s2, b, rest2, j, a2, c)];
                    y[(b * n1 + i) * n2 + j] = sum;
                }
        return y;
    }

    /// <summary>The flat index in a tensor of <paramref name="shape"/> of sample b, position <paramref name="flat"/> over the axes <paramref name="rest"/> and c on <paramref name="axis"/>.</summary>
    private static int Index(int[] shape, int b, int[] rest, int flat, int axis, int c)
    {
        var coords = new int[shape.Length];
        coords[0] = b;
        coords[axis] = c;
        for (int r = rest.Length - 1; r >= 0; r--) { coords[rest[r]] = flat % shape[rest[r]]; flat /= shape[rest[r]]; }
        int index = 0;
        for (int a = 0; a < shape.Length; a++) index = index * shape[a] + coords[a];
        return index;
    }

    private static double[] L2Normalize(double[] x, int[] shape, int axis)
    {
        var y = (double[])x.Clone();
        int inner = shape.Skip(axis + 1).Aggregate(1, (p, d) => p * d), n = shape[axis], outer = x.Length / (inner * n);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double sum = 0;
                for (int c = 0; c < n; c++) sum += x[(o * n + c) * inner + i] * x[(o * n + c) * inner + i];
                double scale = 1 / Math.Sqrt(Math.Max(sum, 1e-12));
                for (int c = 0; c < n; c++) y[(o * n + c) * inner + i] *= scale;
            }
        return y;
    }

    [Property(MaxTest = 80)]
    public Property Dot_is_Keras_batch_dot_with_its_output_shape() => Prop.ForAll(
        (from r1 in Gen.Choose(2, 4)
         from r2 in Gen.Choose(2, 4)
         from d1 in Gen.ArrayOf(Gen.Choose(1, 3), r1 - 1)
         from d2 in Gen.ArrayOf(Gen.Choose(1, 3), r2 - 1)
         from k in Gen.Choose(1, 4)
         from a1 in Gen.Choose(1, r1 - 1)
         from a2 in Gen.Choose(1, r2 - 1)
         from negative in ArbMap.Default.GeneratorFor<bool>()
         from normalize in ArbMap.Default.GeneratorFor<bool>()
         from seed in Seed
         select (r1, r2, d1, d2, k, a1, a2, negative, normalize, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            int[] s1 = [2, .. t.d1], s2 = [2, .. t.d2];
            s1[t.a1] = t.k;
            s2[t.a2] = t.k;
            // Normalisation is ill-conditioned near a zero norm: the tape's float32 gradient of x/‖x‖, 1/‖x‖ − x·xᵀ/‖x‖³,
            // cancels to a rounding error of about 4ε/‖x‖ (one contracted value, |x| = 1.5e-5: tape 0.0039 where the exact
            // gradient is 0, a failure 2,000 draws found), and a step of 1e-5 across a norm of 0 sees a jump. Every value at
            // least 0.02 from 0 keeps each norm ≥ 0.02: rounding ≤ 4·2⁻²⁴/0.02 ≈ 1.2e-5 and the central difference's error,
            // (h/‖x‖)² relative, ≤ 2.5e-7, both far inside the 1e-3 of Agrees.
            var x1 = t.normalize ? AwayFrom(rng, s1, 1, 0) : Harness.RandomTensor(rng, s1);
            var x2 = t.normalize ? AwayFrom(rng, s2, 1, 0) : Harness.RandomTensor(rng, s2);
            var layer = new Dot(t.negative ? (t.a1 - t.r1, t.a2 - t.r2) : (t.a1, t.a2), t.normalize) { Id = Id, Name = "dot" };
            int[] want = [2, .. Enumerable.Range(1, t.r1 - 1).Where(a => a != t.a1).Select(a => s1[a]), .. Enumerable.Range(1, t.r2 - 1).Where(a => a != t.a2).Select(a => s2[a])];
            if (want.Length == 1) want = [2, 1];
            var shape = layer.OutputShapes([x1.Shape, x2.Shape])[0];
            var symbolic = layer.OutputShapes([Shape.Of([null, .. s1.Skip(1).Select(d => (int?)d)]), Shape.Of([null, .. s2.Skip(1).Select(d => (int?)d)])])[0];
            return (shape == Shape.Known(want) && symbolic == Shape.Of([null, .. want.Skip(1).Select(d => (int?)d)])).Label($"shape {shape} / {symbolic}, want ({string.Join(", ", want)})")
                .And(Agrees(layer, [x1, x2], (xs, _) => DotReference(xs[0], s1, xs[1], s2, t.a1, t.a2, t.normalize), rng, t.ToString()));
        });

    [Fact]
    public void Dot_of_two_vectors_is_batch_by_one_and_axes_must_agree()
    {
        Assert.Equal([Shape.Batched(1)], new Dot(1) { Id = Id, Name = "d" }.OutputShapes([Shape.Batched(5), Shape.Batched(5)]));
        Assert.Equal([Shape.Batched(1)], new Dot(-1) { Id = Id, Name = "d" }.OutputShapes([Shape.Batched(5), Shape.Batched(5)]));
        var e = Assert.Throws<ShapeError>(() => new Dot((2, 1)) { Id = Id, Name = "attention" }.OutputShapes([Shape.Batched(3, 4), Shape.Batched(5, 6)]));
        Assert.Contains("attention", e.Message);
        Assert.Contains("axis values 4 (at axis 2) != 5 (at axis 1)", e.Message);
        Assert.Throws<ArgumentException>(() => new Dot(0) { Id = Id, Name = "d" });
        Assert.Throws<ShapeError>(() => new Dot(1) { Id = Id, Name = "d" }.OutputShapes([Shape.Batched(3)]));
    }

    // ---- noise and dropout layers -------------------------------------------------------------------

    private static Tensor StandardNormal(int n, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return Tensor.FromArray(v, [n / 100, 100]);
    }

    private static (double Mean, double Std) Moments(IEnumerable<double> values)
    {
        var v = values.ToArray();
        double mean = v.Average();
        return (mean, Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)));
    }

    private const int N = 200_000;

    /// <summary>Five standard errors of a mean of <see cref="N"/> draws of deviation <paramref name="sigma"/>: a bound a correct sampler fails about once in 3.5 million.</summary>
    private static double MeanBound(double sigma) => 5 * sigma / Math.Sqrt(N);

    /// <summary>Five standard errors of the sample deviation (≈ σ/√(2N) for normal draws).</summary>
    private static double StdBound(double sigma) => 5 * sigma / Math.Sqrt(2.0 * N);

    public static TheoryData<string> NoiseLayers => ["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D"];

    private static Layer Noise(string kind, int? seed = null) => kind switch
    {
        "GaussianNoise" => new GaussianNoise(0.5, seed) { Id = Id, Name = "noise" },
        "GaussianDropout" => new GaussianDropout(0.2, seed) { Id = Id, Name = "noise" },
        "AlphaDropout" => new AlphaDropout(0.2, seed: seed) { Id = Id, Name = "noise" },
        "SpatialDropout1D" => new SpatialDropout1D(0.3, seed) { Id = Id, Name = "noise" },
        _ => new SpatialDropout2D(0.3, seed: seed) { Id = Id, Name = "noise" },
    };

    private static Tensor NoiseInput(string kind, Random rng) => kind switch
    {
        "SpatialDropout1D" => Harness.RandomTensor(rng, [4, 5, 6]),
        "SpatialDropout2D" => Harness.RandomTensor(rng, [3, 4, 5, 6]),
        _ => Harness.RandomTensor(rng, [4, 7]),
    };

    [Theory]
    [MemberData(nameof(NoiseLayers))]
    public void Noise_layers_are_the_identity_at_inference_and_reproducible_from_seeds_in_training(string kind)
    {
        var rng = new Random(3);
        var x = NoiseInput(kind, rng);
        Assert.Equal(x.ToArray(), Forward(Noise(kind), [x])[0].ToArray());
        var first = Forward(Noise(kind), [x], training: true, seed: 11)[0].ToArray();
        Assert.NotEqual(x.ToArray(), first);
        Assert.Equal(first, Forward(Noise(kind), [x], training: true, seed: 11)[0].ToArray());
        Assert.NotEqual(first, Forward(Noise(kind), [x], training: true, seed: 12)[0].ToArray());
        // The layer's own seed picks its stream: two seeds differ under one call seed, and one seed is one stream whatever the name.
        Assert.NotEqual(Forward(Noise(kind, 1), [x], training: true, seed: 11)[0].ToArray(), Forward(Noise(kind, 2), [x], training: true, seed: 11)[0].ToArray());
        Assert.Equal(Forward(Noise(kind, 1), [x], training: true, seed: 11)[0].ToArray(),
            Forward(Noise(kind, 1) with { Name = "other" }, [x], training: true, seed: 11)[0].ToArray());
    }

    [Theory]
    [MemberData(nameof(NoiseLayers))]
    public void Noise_layers_pass_the_gradient_through_their_training_factor(string kind)
    {
        var rng = new Random(5);
        var x = NoiseInput(kind, rng);
        var dy = Harness.RandomTensor(rng, x.Shape.ToArray());
        var (y, dx, _) = Gradients(Noise(kind), [x], dy, seed: 9);
        // Each layer is y = x·f + c with f and c drawn per call: f from two calls on x and 2x (same seed), so dx = dy·f.
        var y2 = Forward(Noise(kind), [Tensor.FromArray([.. x.ToArray().Select(v => 2 * v)], x.Shape.ToArray())], training: true, seed: 9)[0].ToArray();
        var factor = y2.Zip(y[0].ToArray(), (b, a) => (double)(b - a)).Zip(x.ToArray(), (d, v) => d / v).ToArray();
        var want = factor.Zip(dy.ToArray(), (f, g) => f * g).ToList();
        Assert.True(Worst(dx[0]!.Span, want) <= 1e-5, $"{kind}: dx differs from dy times the training factor");
    }

    [Fact]
    public void GaussianNoise_adds_zero_mean_noise_of_its_deviation()
    {
        var x = StandardNormal(N, 1);
        var y = Forward(new GaussianNoise(0.5) { Id = Id, Name = "noise" }, [x], training: true, seed: 4)[0];
        var (mean, std) = Moments(y.ToArray().Zip(x.ToArray(), (a, b) => (double)a - b));
        Assert.True(Math.Abs(mean) <= MeanBound(0.5), $"mean {mean}");
        Assert.True(Math.Abs(std - 0.5) <= StdBound(0.5), $"std {std}");
    }

    [Fact]
    public void GaussianDropout_multiplies_by_one_centred_noise_of_deviation_sqrt_rate_over_keep()
    {
        var x = Tensor.FromArray(Enumerable.Repeat(1f, N).ToArray(), [N / 100, 100]);
        var y = Forward(new GaussianDropout(0.2) { Id = Id, Name = "noise" }, [x], training: true, seed: 4)[0];
        double sigma = Math.Sqrt(0.2 / 0.8);
        var (mean, std) = Moments(y.ToArray().Select(v => (double)v));
        Assert.True(Math.Abs(mean - 1) <= MeanBound(sigma), $"mean {mean}");
        Assert.True(Math.Abs(std - sigma) <= StdBound(sigma), $"std {std}");
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.3)]
    public void AlphaDropout_keeps_a_standard_normal_input_at_mean_0_and_variance_1(double rate)
    {
        var x = StandardNormal(N, 2);
        var y = Forward(new AlphaDropout(rate) { Id = Id, Name = "noise" }, [x], training: true, seed: 8)[0].ToArray();
        var (mean, std) = Moments(y.Select(v => (double)v));
        // The output is a mixture, not normal: its deviation's standard error is bounded through the fourth moment (≤ 3 for these).
        Assert.True(Math.Abs(mean) <= MeanBound(1), $"mean {mean}");
        Assert.True(Math.Abs(std - 1) <= 5 * Math.Sqrt(3.0 / (4 * N)) + 5.0 / Math.Sqrt(N), $"std {std}");
        // The dropped values all sit at a·α′ + b; their share is the rate.
        double alphaP = -1.6732632423543772 * 1.0507009873554805, a = Math.Pow((1 - rate) * (1 + rate * alphaP * alphaP), -0.5), b = -a * alphaP * rate;
        double dropped = y.Count(v => Math.Abs(v - (a * alphaP + b)) < 1e-5) / (double)N;
        Assert.True(Math.Abs(dropped - rate) <= MeanBound(Math.Sqrt(rate * (1 - rate))), $"dropped share {dropped}");
    }

    [Theory]
    [InlineData("SpatialDropout1D")]
    [InlineData("SpatialDropout2D")]
    public void SpatialDropout_drops_whole_channels_and_scales_the_rest(string kind)
    {
        var rng = new Random(6);
        int[] shape = kind == "SpatialDropout1D" ? [400, 5, 50] : [200, 3, 4, 50];
        var x = Harness.RandomTensor(rng, shape, 0.5, 1); // no zeros, so a zero is a drop
        var y = Forward(Noise(kind), [x], training: true, seed: 21)[0].ToArray();
        var xs = x.ToArray();
        int channels = shape[^1], perSample = Count(shape[1..]), batch = shape[0], dropped = 0;
        for (int n = 0; n < batch; n++)
            for (int c = 0; c < channels; c++)
            {
                var ratios = Enumerable.Range(0, perSample / channels).Select(p => n * perSample + p * channels + c).Select(i => y[i] / xs[i]).ToArray();
                bool zero = ratios.All(r => r == 0), kept = ratios.All(r => Math.Abs(r - 1 / 0.7) < 1e-5);
                Assert.True(zero || kept, $"sample {n} channel {c}: a channel is dropped or kept whole");
                if (zero) dropped++;
            }
        int maps = batch * channels;
        Assert.True(Math.Abs(dropped / (double)maps - 0.3) <= 5 * Math.Sqrt(0.3 * 0.7 / maps), $"dropped share {dropped / (double)maps}");
    }

    [Fact]
    public void AlphaDropout_draws_its_mask_over_the_noise_shape()
    {
        var x = StandardNormal(2000, 5); // (20, 100)
        var y = Forward(new AlphaDropout(0.5, noiseShape: [null, 1]) { Id = Id, Name = "noise" }, [x], training: true, seed: 2)[0].ToArray();
        double alphaP = -1.6732632423543772 * 1.0507009873554805, a = Math.Pow(0.5 * (1 + 0.5 * alphaP * alphaP), -0.5), b = -a * alphaP * 0.5;
        var xs = x.ToArray();
        for (int row = 0; row < 20; row++)
        {
            var values = Enumerable.Range(row * 100, 100).ToArray();
            bool dropped = values.All(i => Math.Abs(y[i] - (a * alphaP + b)) < 1e-5);
            bool kept = values.All(i => Math.Abs(y[i] - (a * xs[i] + b)) < 1e-5);
            Assert.True(dropped ^ kept, $"row {row} is dropped or kept whole");
        }
        var e = Assert.Throws<ShapeError>(() => new AlphaDropout(0.5, noiseShape: [null, 3]) { Id = Id, Name = "ad" }.OutputShapes([Shape.Batched(4)]));
        Assert.Contains("noise_shape=(None, 3)", e.Message);
    }

    [Fact]
    public void Configs_of_Keras_3_and_TFjs_read_with_Keras_defaults()
    {
        Layer Read(string className, string json) =>
            LayerRegistry.Default.Read(className, LayerConfig.Of(System.Text.Json.Nodes.JsonNode.Parse(json), "test"), Id, "x");
        Assert.Equal(0.1, ((LeakyReLU)Read("LeakyReLU", """{"negative_slope": 0.1}""")).Alpha);
        Assert.Equal(0.3, ((LeakyReLU)Read("LeakyReLU", "{}")).Alpha);
        Assert.Equal([1, 2], ((Softmax)Read("Softmax", """{"axis": [1, 2]}""")).Axis);
        Assert.Equal([-1], ((Softmax)Read("Softmax", "{}")).Axis);
        Assert.Equal((-1, -1), ((Dot)Read("Dot", """{"axes": [-1, -1]}""")).Axes);
        Assert.False(((Dot)Read("Dot", """{"axes": 2}""")).Normalize);
        var relu = (ReLU)Read("ReLU", """{"max_value": null}""");
        Assert.Equal((null, 0.0, 0.0), (relu.MaxValue, relu.NegativeSlope, relu.Threshold));
        Assert.Equal([1, 2], ((PReLU)Read("PReLU", """{"shared_axes": [1, 2]}""")).SharedAxes!.Value);
        Assert.True(((SpatialDropout2D)Read("SpatialDropout2D", """{"rate": 0.1, "data_format": "channels_first"}""")).ChannelsFirst);
        Assert.Null(((GaussianNoise)Read("GaussianNoise", """{"stddev": 0.5}""")).Seed);
        Assert.Equal(1.0, ((ELU)Read("ELU", "{}")).Alpha);
        Assert.Equal(1.0, ((ThresholdedReLU)Read("ThresholdedReLU", "{}")).Theta);
        Assert.Throws<ModelFormatError>(() => Read("Dot", """{"axes": [1, 2, 3]}"""));
    }

    [Fact]
    public void SpatialDropout_needs_its_rank_and_rates_are_checked_in_Keras_words()
    {
        var e = Assert.Throws<ShapeError>(() => new SpatialDropout2D(0.1) { Id = Id, Name = "sd" }.OutputShapes([Shape.Batched(4, 3)]));
        Assert.Contains("expected ndim=4", e.Message);
        var rate = Assert.Throws<ArgumentException>(() => new SpatialDropout1D(1.0) { Id = Id, Name = "s" });
        Assert.Contains("rate=1", rate.Message);
        Assert.Throws<ArgumentException>(() => new GaussianDropout(1.5) { Id = Id, Name = "s" });
        Assert.Throws<ArgumentException>(() => new GaussianNoise(-0.1) { Id = Id, Name = "s" });
        Assert.Throws<ArgumentException>(() => new AlphaDropout(-0.1) { Id = Id, Name = "s" });
        // Keras 2 acts only for 0 < rate < 1: a rate of 1 leaves the input alone.
        var x = Harness.RandomTensor(new Random(1), [2, 3]);
        Assert.Equal(x.ToArray(), Forward(new AlphaDropout(1) { Id = Id, Name = "a" }, [x], training: true, seed: 3)[0].ToArray());
    }
}
