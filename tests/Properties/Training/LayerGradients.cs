using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Numerics;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Every weightless layer's and BatchNormalization's backward pass equals central finite
/// differences of its float64 reference (<see cref="Reference"/>): for a random r and
/// f(inputs, weights) = Σ r ⊙ y computed in float64, what <see cref="Layer.Backward"/> adds to
/// buffers pre-filled with <see cref="Prefill"/> is ∂f/∂input and ∂f/∂weight within
/// |analytic − fd| ≤ 1e-3 · max(1, |fd|) (h = 1e-4; the layer's forward pass is float32).
/// Inputs keep away from kinks (relu's 0, hard_sigmoid's corners, ties in a max), where a
/// finite difference straddles two slopes; the kinks themselves have their own tests.
/// </summary>
public class LayerGradients
{
    /// <summary>What every gradient buffer holds before Backward, which must add to it.</summary>
    private const float Prefill = 0.375f;

    private const double Step = 1e-4;

    private const double Tolerance = 1e-3;

    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue - 1);
    private static readonly Gen<bool> Bool = Gen.Elements(true, false);

    private static int[] Dims(params int[] dims) => dims;

    private static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    private static ForwardContext TrainingContext(bool frozen = false) => new(Managed, new TensorPool(), Training: true, Frozen: frozen);

    /// <summary>
    /// One gradient case: the layer (weights set), its inputs, the float64 reference of its output
    /// from the inputs and the weights (in <see cref="Layer.Weights"/> order), the seed of r, and
    /// which input gradients are asked for (null: all).
    /// </summary>
    private sealed record GradCase(string Label, Layer Layer, Tensor[] Inputs, Func<Nd[], double[][], Nd> Reference, int Seed,
        bool Frozen = false, bool[]? WantInputs = null)
    {
        public override string ToString() =>
            $"{Label} inputs={string.Join(" ", Inputs.Select(t => t.Shape.ToString()))} seed={Seed}{(Frozen ? " frozen" : "")}";
    }

    /// <summary>What one ForwardTrain + Backward call gave.</summary>
    private sealed record Pass(Tensor[] Outputs, IReadOnlyList<Tensor> Saved, Tensor[] OutputGrads, Tensor?[] InputGrads, Tensor?[] ParamGrads);

    /// <summary>
    /// ForwardTrain, then Backward with a random output gradient and gradient buffers filled with
    /// <see cref="Prefill"/> (null for the inputs not wanted and for non-trainable weights).
    /// </summary>
    private static Pass Run(Layer layer, Tensor[] inputs, ForwardContext context, int seed, bool[]? wantInputs = null)
    {
        var shapes = layer.OutputShapes([.. inputs.Select(t => t.Shape)]);
        var outputs = shapes.Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var saved = layer.ForwardTrain(context, inputs, outputs);
        var rng = new Random(seed);
        var dy = outputs.Select(o => RandomTensor(rng, o.Shape.ToArray())).ToArray();
        var dx = inputs.Select((t, k) => wantInputs is null || wantInputs[k] ? Tensor.Filled(Prefill, t.Shape.ToArray()) : null).ToArray();
        var dp = layer.Weights.Select(w => w.Trainable ? Tensor.Filled(Prefill, w.Value.Shape.ToArray()) : null).ToArray();
        layer.Backward(context, new BackwardArgs
        {
            Inputs = inputs,
            Outputs = outputs,
            Saved = saved,
            OutputGrads = [.. dy.Select(t => Tensor.FromArray(t.ToArray(), t.Shape.ToArray()))], // a layer may use its output gradient as scratch
            InputGrads = dx,
            ParamGrads = dp,
        });
        return new Pass(outputs, saved, dy, dx, dp);
    }

    private static Nd[] Copy(Nd[] xs) => [.. xs.Select(x => x.Reshaped(x.Shape))];

    /// <summary>(f(v + h) − f(v − h)) / 2h, moving <paramref name="values"/>[<paramref name="i"/>] and putting it back.</summary>
    private static double Central(double[] values, int i, Func<double> f)
    {
        double v = values[i];
        values[i] = v + Step;
        double plus = f();
        values[i] = v - Step;
        double minus = f();
        values[i] = v;
        return (plus - minus) / (2 * Step);
    }

    private static string? Agree(string what, int i, double analytic, double fd) =>
        Math.Abs(analytic - fd) <= Tolerance * Math.Max(1, Math.Abs(fd))
            ? null
            : $"{what}[{i}]: backward {analytic:R}, finite difference {fd:R} (diff {Math.Abs(analytic - fd):G3})";

    /// <summary>Runs the case and compares its output with the reference and each gradient with finite differences; the failure, or null.</summary>
    private static string? Check(GradCase c) => CheckSampled(c, TrainingContext(c.Frozen), samples: int.MaxValue);

    private static Property Holds(Gen<GradCase> cases) =>
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            string? failure = Check(c);
            return (failure is null).Label(failure is null ? "" : $"{c}: {failure}");
        });

    /// <summary>Distinct values 0.01 apart, shuffled and centred: no two cells of a max tie within a finite-difference step.</summary>
    private static Tensor Distinct(Random rng, int[] shape)
    {
        int n = Count(shape);
        var values = Enumerable.Range(0, n).Select(i => (float)((i - n / 2) * 0.01)).ToArray();
        rng.Shuffle(values);
        return Tensor.FromArray(values, shape);
    }

    private static Gen<int[]> ShapeOf(int minRank, int maxRank, int maxDim) =>
        from rank in Gen.Choose(minRank, maxRank)
        from dims in Gen.ArrayOf(Gen.Choose(1, maxDim), rank)
        select dims;

    // ---- Activation ---------------------------------------------------------------------

    /// <summary>Where an activation's derivative jumps (or, for elu, bends sharply enough to matter).</summary>
    private static double[] Kinks(string activation) => activation switch
    {
        "relu" or "leaky_relu" or "elu" or "selu" => [0],
        "relu6" => [0, 6],
        "hard_sigmoid" => [-2.5, 2.5],
        "hard_sigmoid_keras3" or "hard_silu" => [-3, 3],
        _ => [],
    };

    /// <summary>Uniform inputs at least 0.02 from every kink; relu6's range reaches past 6.</summary>
    private static Tensor ActivationInput(string activation, Random rng, int[] shape)
    {
        var (lo, hi) = activation == "relu6" ? (-2.0, 8.0) : activation is "hard_sigmoid_keras3" or "hard_silu" ? (-4.0, 4.0) : (-3.0, 3.0);
        var values = new float[Count(shape)];
        for (int i = 0; i < values.Length; i++)
        {
            double v = lo + (hi - lo) * rng.NextDouble();
            foreach (double kink in Kinks(activation))
                if (Math.Abs(v - kink) < 0.02) v = kink + (v < kink ? -0.02 : 0.02);
            values[i] = (float)v;
        }
        return Tensor.FromArray(values, shape);
    }

    private static GradCase ActivationCase(string activation, int[] shape, int seed, Func<Random, int[], Tensor>? data = null)
    {
        var rng = new Random(seed);
        var x = data is null ? ActivationInput(activation, rng, shape) : data(rng, shape);
        return new GradCase($"Activation({activation})", new Activation(activation) { Id = LayerUnderTest, Name = "act" }, [x],
            (xs, _) => Reference.Activate(activation, xs[0]), seed + 1);
    }

    public static TheoryData<string> ActivationNames => [.. Activations.Names];

    /// <summary>Every activation on 20 generated shapes and inputs (softmax along rows of 1 to 6).</summary>
    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void Activation_backward_equals_finite_differences(string activation)
    {
        var shapes = new Random(activation.Length * 7919 + activation[0]);
        for (int seed = 0; seed < 20; seed++)
        {
            int rank = shapes.Next(1, 4);
            var shape = Enumerable.Range(0, rank).Select(a => shapes.Next(1, a == rank - 1 ? 7 : 4)).ToArray();
            var c = ActivationCase(activation, shape, 1000 * seed + activation.Length);
            Assert.Null(Check(c) is { } f ? $"{c}: {f}" : null);
        }
    }

    /// <summary>Logits near ±1000: the softmax saturates, and its gradient is finite and still the finite differences'.</summary>
    [Property(MaxTest = 30)]
    public Property Softmax_of_large_logits_has_finite_gradients() => Prop.ForAll(
        (from shape in ShapeOf(1, 3, 4) from seed in Seed select (shape, seed)).ToArbitrary(), t =>
        {
            var c = ActivationCase("softmax", t.shape, t.seed,
                (rng, shape) => Tensor.FromArray([.. Enumerable.Range(0, Count(shape)).Select(_ => (float)((rng.Next(2) == 0 ? -1000 : 1000) + 4 * rng.NextDouble() - 2))], shape));
            var pass = Run(c.Layer, c.Inputs, TrainingContext(), c.Seed);
            bool finite = pass.InputGrads[0]!.IsFinite && pass.Outputs[0].IsFinite;
            string? failure = finite ? Check(c) : "a gradient is not finite";
            return (failure is null).Label(failure is null ? "" : $"{c}: {failure}");
        });

    /// <summary><see cref="ActivationGrad.Backward"/> in place (dx the same span as dy) gives what it gives into a separate buffer.</summary>
    [Fact]
    public void Activation_gradient_in_place_equals_out_of_place()
    {
        var rng = new Random(5);
        foreach (string activation in Activations.Names)
        {
            var x = ActivationInput(activation, rng, [3, 37]).ToArray();
            var y = (float[])x.Clone();
            Activate.InPlace(activation, y, 37);
            var dy = Uniform(rng, x.Length);
            var separate = new float[x.Length];
            ActivationGrad.Backward(activation, x, y, dy, separate, 37);
            var inPlace = (float[])dy.Clone();
            ActivationGrad.Backward(activation, ActivationGrad.NeedsInput(activation) ? x : [], y, inPlace, inPlace, 37);
            Assert.Equal(separate, inPlace);
        }
    }

    // ---- Pooling ------------------------------------------------------------------------

    private static Layer PoolLayer(bool max, (int H, int W) pool, (int H, int W) strides, bool same) => max
        ? new MaxPooling2D(pool, strides, same ? "same" : "valid") { Id = LayerUnderTest, Name = "pool" }
        : new AveragePooling2D(pool, strides, same ? "same" : "valid") { Id = LayerUnderTest, Name = "pool" };

    /// <summary>Channel counts on either side of the kernels' 8- and 16-channel vector blocks.</summary>
    private static readonly Gen<int> Channels = Gen.Elements(1, 2, 3, 8, 16, 17);

    private static readonly Gen<GradCase> PoolCases =
        from max in Bool
        from ph in Gen.Choose(1, 3)
        from pw in Gen.Choose(1, 3)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 3)
        from same in Bool
        from h in same ? Gen.Choose(1, 6) : Gen.Choose(ph, 6)
        from w in same ? Gen.Choose(1, 6) : Gen.Choose(pw, 6)
        from batch in Gen.Choose(1, 2)
        from c in Channels
        from seed in Seed
        select new GradCase($"{(max ? "Max" : "Average")}Pooling2D(pool=({ph}, {pw}), strides=({sh}, {sw}), {(same ? "same" : "valid")})",
            PoolLayer(max, (ph, pw), (sh, sw), same), [Distinct(new Random(seed), [batch, h, w, c])],
            (xs, _) => Reference.Pool(xs[0], max, (ph, pw), (sh, sw), same), seed);

    [Property(MaxTest = 60)]
    public Property Max_and_average_pooling_backward_equals_finite_differences() => Holds(PoolCases);

    /// <summary>
    /// Where max pooling's gradient goes, from plain loops: all of each window's output gradient
    /// to its first maximum in window order (row by row), padding cells never counting.
    /// </summary>
    private static double[] MaxPoolRouting(Tensor x, Tensor dy, (int H, int W) pool, (int H, int W) s, bool same)
    {
        int n = x.Shape[0]!.Value, h = x.Shape[1]!.Value, w = x.Shape[2]!.Value, c = x.Shape[3]!.Value;
        var (oh, top) = Reference.Axis(h, pool.H, s.H, same);
        var (ow, left) = Reference.Axis(w, pool.W, s.W, same);
        var xv = x.Span;
        var g = dy.Span;
        var dx = new double[x.Length];
        for (int b = 0; b < n; b++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int ci = 0; ci < c; ci++)
                    {
                        int best = -1;
                        for (int i = 0; i < pool.H; i++)
                            for (int j = 0; j < pool.W; j++)
                            {
                                int iy = oy * s.H - top + i, ix = ox * s.W - left + j;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                int at = ((b * h + iy) * w + ix) * c + ci;
                                if (best < 0 || xv[at] > xv[best]) best = at;
                            }
                        dx[best] += g[((b * oh + oy) * ow + ox) * c + ci];
                    }
        return dx;
    }

    private static string? CheckRouting(Layer layer, Tensor x, Func<Tensor, Tensor, double[]> routing, int seed)
    {
        var pass = Run(layer, [x], TrainingContext(), seed);
        var want = routing(x, pass.OutputGrads[0]);
        var got = pass.InputGrads[0]!.Span;
        for (int i = 0; i < want.Length; i++)
            if (!(Math.Abs(got[i] - Prefill - want[i]) <= 1e-6))
                return $"d input[{i}]: backward {got[i] - Prefill:R}, routed {want[i]:R}";
        return null;
    }

    /// <summary>Inputs of few distinct values, so windows hold ties: the whole gradient goes to the first maximum in window order.</summary>
    [Property(MaxTest = 60)]
    public Property Max_pooling_routes_ties_to_the_first_maximum_in_the_window() => Prop.ForAll(
        (from ph in Gen.Choose(1, 3)
         from pw in Gen.Choose(1, 3)
         from sh in Gen.Choose(1, 3)
         from sw in Gen.Choose(1, 3)
         from same in Bool
         from h in same ? Gen.Choose(1, 7) : Gen.Choose(ph, 7)
         from w in same ? Gen.Choose(1, 7) : Gen.Choose(pw, 7)
         from batch in Gen.Choose(1, 2)
         from c in Gen.Elements(1, 3, 8, 16, 19, 32)
         from levels in Gen.Choose(1, 3)
         from seed in Seed
         select (pool: (ph, pw), strides: (sh, sw), same, shape: Dims(batch, h, w, c), levels, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = Tensor.FromArray([.. Enumerable.Range(0, Count(t.shape)).Select(_ => (float)rng.Next(t.levels))], t.shape);
            string? failure = CheckRouting(PoolLayer(true, t.pool, t.strides, t.same), x,
                (input, dy) => MaxPoolRouting(input, dy, t.pool, t.strides, t.same), t.seed);
            return (failure is null).Label(failure is null ? "" : $"{t}: {failure}");
        });

    /// <summary>
    /// The training benchmark's images (MNIST convnet: 26×26×32 and 11×11×64, 2×2 windows), in
    /// batches large enough that the backward pass splits its images over threads (odd batches: unevenly).
    /// </summary>
    [Fact]
    public void Max_pooling_backward_on_the_benchmark_shapes_routes_to_the_maximum()
    {
        foreach (var (shape, seed) in new[] { (Dims(15, 26, 26, 32), 1), (Dims(25, 11, 11, 64), 2), (Dims(7, 9, 9, 20), 3) })
        {
            var rng = new Random(seed);
            // Values of 0.01 steps over a small range: ties within windows happen too.
            var x = Tensor.FromArray([.. Enumerable.Range(0, Count(shape)).Select(_ => rng.Next(200) * 0.01f)], shape);
            Assert.Null(CheckRouting(PoolLayer(true, (2, 2), (2, 2), false), x, (input, dy) => MaxPoolRouting(input, dy, (2, 2), (2, 2), false), seed));
        }
    }

    // ---- Global pooling, padding --------------------------------------------------------

    private static readonly Gen<GradCase> GlobalPoolCases =
        from max in Bool
        from keepDims in Bool
        from batch in Gen.Choose(1, 2)
        from h in Gen.Choose(1, 5)
        from w in Gen.Choose(1, 5)
        from c in Channels
        from seed in Seed
        select new GradCase($"Global{(max ? "Max" : "Average")}Pooling2D(keepDims={keepDims})",
            max ? new GlobalMaxPooling2D(keepDims) { Id = LayerUnderTest, Name = "gp" } : new GlobalAveragePooling2D(keepDims) { Id = LayerUnderTest, Name = "gp" },
            [Distinct(new Random(seed), [batch, h, w, c])], (xs, _) => Reference.GlobalPool(xs[0], max, keepDims), seed);

    [Property(MaxTest = 40)]
    public Property Global_pooling_backward_equals_finite_differences() => Holds(GlobalPoolCases);

    /// <summary>Global max pooling over a constant image: the first pixel takes the whole gradient.</summary>
    [Fact]
    public void Global_max_pooling_routes_ties_to_the_first_pixel()
    {
        var x = Tensor.Filled(2f, 2, 3, 4, 5);
        var pass = Run(new GlobalMaxPooling2D() { Id = LayerUnderTest, Name = "gp" }, [x], TrainingContext(), 9);
        var dy = pass.OutputGrads[0].Span;
        var dx = pass.InputGrads[0]!.Span;
        for (int i = 0; i < dx.Length; i++)
        {
            int b = i / 60, pixel = i / 5 % 12, c = i % 5;
            Assert.Equal(pixel == 0 ? Prefill + dy[b * 5 + c] : Prefill, dx[i]);
        }
    }

    private static readonly Gen<GradCase> ZeroPadCases =
        from top in Gen.Choose(0, 2)
        from bottom in Gen.Choose(0, 2)
        from left in Gen.Choose(0, 2)
        from right in Gen.Choose(0, 2)
        from shape in Gen.ArrayOf(Gen.Choose(1, 4), 4)
        from seed in Seed
        select new GradCase($"ZeroPadding2D((({top}, {bottom}), ({left}, {right})))",
            new ZeroPadding2D(((top, bottom), (left, right))) { Id = LayerUnderTest, Name = "pad" }, [RandomTensor(new Random(seed), shape)],
            (xs, _) => Reference.ZeroPad(xs[0], top, bottom, left, right), seed);

    [Property(MaxTest = 30)]
    public Property ZeroPadding2D_backward_equals_finite_differences() => Holds(ZeroPadCases);

    // ---- Concatenate, Add, Multiply -----------------------------------------------------

    private static readonly Gen<GradCase> ConcatenateCases =
        from rank in Gen.Choose(2, 4)
        from axis in Gen.Choose(1, rank - 1)
        from negative in Bool
        from count in Gen.Choose(2, 3)
        from common in Gen.ArrayOf(Gen.Choose(1, 3), rank)
        from lengths in Gen.ArrayOf(Gen.Choose(1, 3), count)
        from want in Gen.ArrayOf(Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false))), count)
        from seed in Seed
        let rng = new Random(seed)
        select new GradCase($"Concatenate(axis={(negative ? axis - rank : axis)})",
            new Concatenate(negative ? axis - rank : axis) { Id = LayerUnderTest, Name = "concat" },
            [.. lengths.Select(l => RandomTensor(rng, [.. common.Select((d, a) => a == axis ? l : d)]))],
            (xs, _) => Reference.Concatenate(xs, axis), seed, WantInputs: want);

    [Property(MaxTest = 40)]
    public Property Concatenate_backward_equals_finite_differences() => Holds(ConcatenateCases);

    private static readonly Gen<GradCase> MergeCases =
        from product in Bool
        from count in Gen.Choose(2, 4)
        from shape in ShapeOf(2, 3, 4)
        from zeros in Bool
        from want in Gen.ArrayOf(Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false))), count)
        from seed in Seed
        let rng = new Random(seed)
        select new GradCase($"{(product ? "Multiply" : "Add")}({count} inputs{(zeros ? ", some zeros" : "")})",
            product ? new Multiply { Id = LayerUnderTest, Name = "merge" } : new DeepGraph.Core.Add { Id = LayerUnderTest, Name = "merge" },
            [.. Enumerable.Range(0, count).Select(_ => Tensor.FromArray([.. Uniform(rng, Count(shape), -2, 2).Select(v => zeros && rng.Next(4) == 0 ? 0f : v)], shape))],
            (xs, _) => Reference.Merge(xs, product), seed, WantInputs: want);

    [Property(MaxTest = 50)]
    public Property Add_and_Multiply_backward_equal_finite_differences() => Holds(MergeCases);

    // ---- Flatten, Reshape, Dropout ------------------------------------------------------

    private static readonly Gen<GradCase> ViewCases =
        from kind in Gen.Choose(0, 3)
        from shape in ShapeOf(2, 4, 3)
        from seed in Seed
        let perSample = Count(shape[1..])
        select kind switch
        {
            0 => new GradCase("Flatten", new Flatten { Id = LayerUnderTest, Name = "flatten" }, [RandomTensor(new Random(seed), shape)],
                (xs, _) => xs[0].Reshaped(shape[0], perSample), seed),
            1 => new GradCase("Reshape([-1, 1])", new Reshape([-1, 1]) { Id = LayerUnderTest, Name = "reshape" }, [RandomTensor(new Random(seed), shape)],
                (xs, _) => xs[0].Reshaped(shape[0], perSample, 1), seed),
            2 => new GradCase($"Reshape([{shape[^1]}, -1])", new Reshape([shape[^1], -1]) { Id = LayerUnderTest, Name = "reshape" }, [RandomTensor(new Random(seed), shape)],
                (xs, _) => xs[0].Reshaped(shape[0], shape[^1], perSample / shape[^1]), seed),
            _ => new GradCase("Dropout(0)", new Dropout(0) { Id = LayerUnderTest, Name = "dropout" }, [RandomTensor(new Random(seed), shape)],
                (xs, _) => xs[0], seed),
        };

    [Property(MaxTest = 30)]
    public Property Flatten_Reshape_and_Dropout_at_rate_0_pass_the_gradient_through() => Holds(ViewCases);

    /// <summary>
    /// In training, Dropout's ForwardTrain gives bit for bit what Forward gives from the same seed,
    /// and Backward multiplies by that very mask: dx = dy where a value was kept, scaled by
    /// 1/(1 − rate), and 0 where it was dropped.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property Dropout_backward_uses_the_mask_of_its_training_forward() => Prop.ForAll(
        (from rate in Gen.Elements(0.1, 0.3, 0.5, 0.9)
         from shape in ShapeOf(2, 3, 6)
         from contextSeed in Gen.Choose(0, 1000)
         from layerSeed in Gen.Elements<int?>(null, 1, 42)
         from seed in Seed
         select (rate, shape, contextSeed, layerSeed, seed)).ToArbitrary(), t =>
        {
            var layer = new Dropout(t.rate, seed: t.layerSeed) { Id = LayerUnderTest, Name = "dropout" };
            var rng = new Random(t.seed);
            // Inputs away from 0, so a kept value is never 0.
            var x = Tensor.FromArray([.. Uniform(rng, Count(t.shape), 0.5, 2).Select(v => rng.Next(2) == 0 ? -v : v)], t.shape);
            var context = TrainingContext() with { Seed = t.contextSeed };
            var pass = Run(layer, [x], context, t.seed);
            var forward = Tensor.Zeros(t.shape);
            layer.Forward(context, [x], [forward]);
            float scale = (float)(1.0 / (1.0 - t.rate));
            var (xv, y, dy, dx) = (x.Span.ToArray(), pass.Outputs[0].Span.ToArray(), pass.OutputGrads[0].Span.ToArray(), pass.InputGrads[0]!.Span.ToArray());
            string? failure = null;
            if (!forward.Equals(pass.Outputs[0])) failure = "ForwardTrain's output differs from Forward's";
            int dropped = 0;
            for (int i = 0; i < xv.Length && failure is null; i++)
            {
                bool kept = y[i] != 0;
                if (!kept) dropped++;
                if (kept && y[i] != xv[i] * scale) failure = $"[{i}]: kept value {y[i]} is not x·scale = {xv[i] * scale}";
                else if (!(Math.Abs(dx[i] - Prefill - (kept ? dy[i] * scale : 0)) <= 1e-6))
                    failure = $"[{i}]: {(kept ? "kept" : "dropped")}, dx {dx[i] - Prefill}, dy {dy[i]}";
            }
            return (failure is null).Label(failure is null ? "" : $"{t}: {failure}");
        });

    // ---- BatchNormalization -------------------------------------------------------------

    /// <summary>Training-mode batch normalization in float64: each feature's batch mean and biased variance over every axis but <paramref name="axis"/>.</summary>
    private static (double[] Mean, double[] Variance) BatchMoments(Nd x, int axis)
    {
        int features = x.Shape[axis];
        var mean = new double[features];
        var variance = new double[features];
        var count = new int[features];
        for (int i = 0; i < x.Data.Length; i++)
        {
            int f = x.Index(i)[axis];
            mean[f] += x.Data[i];
            count[f]++;
        }
        for (int f = 0; f < features; f++) mean[f] /= count[f];
        for (int i = 0; i < x.Data.Length; i++)
        {
            int f = x.Index(i)[axis];
            variance[f] += (x.Data[i] - mean[f]) * (x.Data[i] - mean[f]);
        }
        for (int f = 0; f < features; f++) variance[f] /= count[f];
        return (mean, variance);
    }

    /// <summary>(x − batch mean) / √(batch variance + ε) · γ + β, the batch's statistics in float64.</summary>
    private static Nd TrainingBatchNorm(Nd x, int axis, double[]? gamma, double[]? beta, double epsilon)
    {
        var (mean, variance) = BatchMoments(x, axis);
        return Reference.BatchNorm(x, axis, gamma, beta, mean, variance, epsilon);
    }

    private sealed record BnConfig(int[] Shape, int Axis, bool Negative, bool Center, bool Scale, double Epsilon, double Momentum, int Seed)
    {
        public int Features => Shape[Axis];

        public int AxisArgument => Negative ? Axis - Shape.Length : Axis;
    }

    private static readonly Gen<BnConfig> BnConfigs =
        from shape in ShapeOf(2, 4, 3)
        from axis in Gen.Choose(1, shape.Length - 1)
        from negative in Bool
        from center in Bool
        from scale in Bool
        from epsilon in Gen.Elements(1e-3, 1e-2, 0.1)
        from momentum in Gen.Elements(0.99, 0.9, 0.5, 0.0)
        from seed in Seed
        select new BnConfig(shape, axis, negative, center, scale, epsilon, momentum, seed);

    private static BatchNormalization BnLayer(BnConfig c, bool trainable = true)
    {
        var rng = new Random(c.Seed);
        var weights = new List<Tensor>();
        if (c.Scale) weights.Add(RandomTensor(rng, [c.Features], 0.5, 2));
        if (c.Center) weights.Add(RandomTensor(rng, [c.Features]));
        weights.Add(RandomTensor(rng, [c.Features], -0.5, 0.5));
        weights.Add(RandomTensor(rng, [c.Features], 0.5, 2));
        return new BatchNormalization(c.AxisArgument, c.Momentum, c.Epsilon, c.Center, c.Scale)
        {
            Id = LayerUnderTest,
            Name = "bn",
            Trainable = trainable,
        } with { Params = EquatableArray.Of(weights) };
    }

    /// <summary>The reference from the inputs and weights in Keras's order (gamma, beta when present, then the moving statistics).</summary>
    private static Func<Nd[], double[][], Nd> BnReference(BnConfig c, bool training) => (xs, ps) =>
    {
        int p = 0;
        var gamma = c.Scale ? ps[p++] : null;
        var beta = c.Center ? ps[p++] : null;
        return training
            ? TrainingBatchNorm(xs[0], c.Axis, gamma, beta, c.Epsilon)
            : Reference.BatchNorm(xs[0], c.Axis, gamma, beta, ps[p], ps[p + 1], c.Epsilon);
    };

    private static Tensor BnInput(BnConfig c) => RandomTensor(new Random(c.Seed + 1), c.Shape, -1, 2);

    private static string Describe(BnConfig c) =>
        $"BatchNormalization(axis={c.AxisArgument}, center={c.Center}, scale={c.Scale}, epsilon={c.Epsilon}, momentum={c.Momentum})";

    /// <summary>In training the batch's own statistics normalise, and the gradient runs through them (as well as to gamma and beta).</summary>
    [Property(MaxTest = 60)]
    public Property BatchNormalization_in_training_backward_equals_finite_differences() => Holds(
        from c in BnConfigs
        select new GradCase(Describe(c), BnLayer(c), [BnInput(c)], BnReference(c, training: true), c.Seed));

    /// <summary>
    /// Frozen — the layer not trainable, or the context <see cref="ForwardContext.Frozen"/> — the
    /// training pass uses the moving statistics, saves nothing, leaves them as they are, and its
    /// backward pass is the affine one.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property Frozen_BatchNormalization_uses_the_moving_statistics() => Prop.ForAll(
        (from c in BnConfigs from byLayer in Bool select (c, byLayer)).ToArbitrary(), t =>
        {
            var layer = BnLayer(t.c, trainable: !t.byLayer);
            var gradCase = new GradCase(Describe(t.c) + (t.byLayer ? " trainable=False" : ""), layer, [BnInput(t.c)], BnReference(t.c, training: false), t.c.Seed,
                Frozen: !t.byLayer);
            string? failure = Check(gradCase);
            var context = TrainingContext(frozen: !t.byLayer);
            var outputs = new[] { Tensor.Zeros(t.c.Shape) };
            var saved = layer.ForwardTrain(context, gradCase.Inputs, outputs);
            var inference = Tensor.Zeros(t.c.Shape);
            layer.Forward(new ForwardContext(Managed, new TensorPool()), gradCase.Inputs, [inference]);
            if (failure is null && !inference.Equals(outputs[0])) failure = "the frozen training pass differs from inference";
            if (failure is null && !ReferenceEquals(layer.WithMovingStatistics(saved), layer)) failure = "WithMovingStatistics changed a frozen layer";
            return (failure is null).Label(failure is null ? "" : $"{gradCase}: {failure}");
        });

    /// <summary>
    /// After a training pass, moving_mean ← momentum · moving_mean + (1 − momentum) · batch mean and
    /// moving_variance likewise with the biased batch variance; gamma, beta and the layer itself are untouched.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property BatchNormalization_moving_statistics_follow_the_closed_form() => Prop.ForAll(BnConfigs.ToArbitrary(), c =>
    {
        var layer = BnLayer(c);
        var before = layer.Params.Select(t => t.ToArray()).ToArray();
        var x = BnInput(c);
        var saved = layer.ForwardTrain(TrainingContext(), [x], [Tensor.Zeros(c.Shape)]);
        var next = layer.WithMovingStatistics(saved);
        var (mean, variance) = BatchMoments(Nd.From(x), c.Axis);
        int at = (c.Scale ? 1 : 0) + (c.Center ? 1 : 0);
        string? failure = null;
        if (next.Id != layer.Id || next.Name != layer.Name || next.Params.Count != layer.Params.Count) failure = "the record's identity or weight count changed";
        for (int i = 0; i < layer.Params.Count && failure is null; i++)
            if (!layer.Params[i].ToArray().SequenceEqual(before[i])) failure = $"weight {i} of the old record changed";
        for (int i = 0; i < at && failure is null; i++)
            if (!next.Params[i].Equals(layer.Params[i])) failure = $"weight {i} (gamma or beta) changed";
        for (int f = 0; f < c.Features && failure is null; f++)
        {
            double wantMean = c.Momentum * before[at][f] + (1 - c.Momentum) * mean[f];
            double wantVariance = c.Momentum * before[at + 1][f] + (1 - c.Momentum) * variance[f];
            double gotMean = next.Params[at].Span[f], gotVariance = next.Params[at + 1].Span[f];
            if (Math.Abs(gotMean - wantMean) > 1e-5 * Math.Max(1, Math.Abs(wantMean)) || Math.Abs(gotVariance - wantVariance) > 1e-5 * Math.Max(1, Math.Abs(wantVariance)))
                failure = $"feature {f}: moving ({gotMean}, {gotVariance}), closed form ({wantMean}, {wantVariance})";
        }
        return (failure is null).Label(failure is null ? "" : $"{Describe(c)} shape=[{string.Join(",", c.Shape)}] seed={c.Seed}: {failure}");
    });

    // ---- Dense and Conv2D -----------------------------------------------------------------

    /// <summary>Activations whose derivative is continuous (finite differences need no kink); relu has its own test below.</summary>
    private static readonly Gen<string> SmoothActivation = Gen.Elements("linear", "tanh", "sigmoid", "swish", "gelu", "elu", "softplus", "softsign", "softmax", "mish", "log_sigmoid");

    /// <summary>One of <paramref name="gemms"/>, and the implicit-GEMM or im2col convolution.</summary>
    private static Gen<ForwardContext> ContextsOn(IReadOnlyList<IGemm> gemms) =>
        from gemm in Gen.Elements(gemms.ToArray())
        from im2col in Bool
        select new ForwardContext(gemm, new TensorPool(), Training: true, Im2ColOnly: im2col);

    /// <summary>
    /// Runs the case on <paramref name="context"/> and compares its output with the reference and
    /// <paramref name="samples"/> randomly chosen entries of each gradient with finite differences
    /// (every entry when there are no more than that); the failure, or null.
    /// </summary>
    private static string? CheckSampled(GradCase c, ForwardContext context, int samples)
    {
        var pass = Run(c.Layer, c.Inputs, context, c.Seed, c.WantInputs);
        var xs = c.Inputs.Select(Nd.From).ToArray();
        var ps = c.Layer.Weights.Select(w => Wide(w.Value)).ToArray();
        if (Compare(pass.Outputs[0], c.Reference(Copy(xs), ps), 1e-4) is { } forward) return $"forward: {forward}";
        var r = Wide(pass.OutputGrads[0]);
        double F()
        {
            var y = c.Reference(Copy(xs), ps);
            double sum = 0;
            for (int i = 0; i < r.Length; i++) sum += r[i] * y.Data[i];
            return sum;
        }
        var pick = new Random(c.Seed ^ 0x5bd1e995);
        string? Sampled(string what, ReadOnlySpan<float> got, double[] values)
        {
            for (int s = 0; s < Math.Min(samples, got.Length); s++)
            {
                int i = got.Length <= samples ? s : pick.Next(got.Length);
                if (Agree(what, i, got[i] - (double)Prefill, Central(values, i, F)) is { } failure) return failure;
            }
            return null;
        }
        for (int k = 0; k < xs.Length; k++)
            if (pass.InputGrads[k] is { } dx && Sampled($"d input {k}", dx.Span, xs[k].Data) is { } failure) return failure;
        for (int p = 0; p < ps.Length; p++)
            if (pass.ParamGrads[p] is { } dp && Sampled($"d {c.Layer.Weights[p].Role}", dp.Span, ps[p]) is { } failure) return failure;
        return null;
    }

    private static Property HoldsOn(Gen<(GradCase Case, ForwardContext Context)> cases, int samples) =>
        Prop.ForAll(cases.ToArbitrary(), t =>
        {
            string? failure = CheckSampled(t.Case, t.Context, samples);
            return (failure is null).Label(failure is null ? "" : $"{t.Case} on {t.Context.Gemm.Name}{(t.Context.Im2ColOnly ? ", im2col" : "")}: {failure}");
        });

    private static Tensor Kernel(Random rng, int fanIn, params int[] shape) => RandomTensor(rng, shape, -1.5 / Math.Sqrt(fanIn), 1.5 / Math.Sqrt(fanIn));

    private static Gen<(GradCase, ForwardContext)> DenseCases(IReadOnlyList<IGemm> gemms) =>
        from rank in Gen.Choose(2, 3)
        from batch in Gen.Choose(1, 4)
        from steps in Gen.Choose(1, 3)
        from inDim in Gen.Choose(1, 9)
        from units in Gen.OneOf(Gen.Choose(1, 6), Gen.Elements(16, 17, 33))
        from bias in Bool
        from activation in SmoothActivation
        from seed in Seed
        from context in ContextsOn(gemms)
        let shape = rank == 2 ? Dims(batch, inDim) : Dims(batch, steps, inDim)
        select (DenseCase(shape, units, bias, activation, seed), context);

    private static GradCase DenseCase(int[] shape, int units, bool bias, string activation, int seed)
    {
        var rng = new Random(seed);
        int inDim = shape[^1];
        var layer = new Dense(units, activation, bias) { Id = LayerUnderTest, Name = "dense" };
        layer = layer with { Params = EquatableArray.Of(bias ? [Kernel(rng, inDim, inDim, units), RandomTensor(rng, [units])] : new[] { Kernel(rng, inDim, inDim, units) }) };
        return new GradCase($"Dense({units}, {activation}, bias={bias})", layer, [RandomTensor(rng, shape)],
            (xs, ps) => Reference.Dense(xs[0], ps[0], bias ? ps[1] : null, units, activation), seed + 1);
    }

    [Property(MaxTest = 60)]
    public Property Dense_backward_equals_finite_differences() => Dense_backward_equals_finite_differences_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 60)]
    public Property Dense_backward_equals_finite_differences_on_native_BLAS() => Dense_backward_equals_finite_differences_on(NativeOrFail);

    private static Property Dense_backward_equals_finite_differences_on(IReadOnlyList<IGemm> gemms) => HoldsOn(DenseCases(gemms), samples: 24);

    private static Gen<(GradCase, ForwardContext)> ConvCases(IReadOnlyList<IGemm> gemms) =>
        from kh in Gen.Choose(1, 3)
        from kw in Gen.Choose(1, 3)
        from dilated in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from dh in dilated ? Gen.Choose(1, 2) : Gen.Constant(1)
        from dw in dilated ? Gen.Choose(1, 2) : Gen.Constant(1)
        from sh in dilated ? Gen.Constant(1) : Gen.Choose(1, 2)
        from sw in dilated ? Gen.Constant(1) : Gen.Choose(1, 2)
        from same in Bool
        let ekh = (kh - 1) * dh + 1
        let ekw = (kw - 1) * dw + 1
        from h in same ? Gen.Choose(1, 7) : Gen.Choose(ekh, Math.Max(ekh, 7))
        from w in same ? Gen.Choose(1, 7) : Gen.Choose(ekw, Math.Max(ekw, 7))
        from batch in Gen.Choose(1, 2)
        from cin in Gen.Choose(1, 4)
        from filters in Gen.OneOf(Gen.Choose(1, 5), Gen.Elements(16, 17, 33, 64))
        from bias in Bool
        from activation in SmoothActivation
        from seed in Seed
        from context in ContextsOn(gemms)
        select (ConvCase((kh, kw), (sh, sw), (dh, dw), same, [batch, h, w, cin], filters, bias, activation, seed), context);

    private static GradCase ConvCase((int H, int W) k, (int H, int W) s, (int H, int W) d, bool same, int[] shape, int filters, bool bias, string activation, int seed)
    {
        var rng = new Random(seed);
        int cin = shape[3], fanIn = k.H * k.W * cin;
        var kernel = Kernel(rng, fanIn, k.H, k.W, cin, filters);
        var layer = new Conv2D(filters, k, s, same ? "same" : "valid", activation, bias, d) { Id = LayerUnderTest, Name = "conv" };
        layer = layer with { Params = EquatableArray.Of(bias ? [kernel, RandomTensor(rng, [filters])] : new[] { kernel }) };
        return new GradCase($"Conv2D({filters}, k={k}, s={s}, d={d}, {(same ? "same" : "valid")}, {activation}, bias={bias})", layer, [RandomTensor(rng, shape)],
            (xs, ps) => Reference.Conv2D(xs[0], ps[0], bias ? ps[1] : null, filters, k, s, d, same, activation), seed + 1);
    }

    [Property(MaxTest = 80)]
    public Property Conv2D_backward_equals_finite_differences_for_every_stride_padding_dilation_and_path() => Conv2D_backward_equals_finite_differences_for_every_stride_padding_dilation_and_path_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 80)]
    public Property Conv2D_backward_equals_finite_differences_for_every_stride_padding_dilation_and_path_on_native_BLAS() => Conv2D_backward_equals_finite_differences_for_every_stride_padding_dilation_and_path_on(NativeOrFail);

    private static Property Conv2D_backward_equals_finite_differences_for_every_stride_padding_dilation_and_path_on(IReadOnlyList<IGemm> gemms) => HoldsOn(ConvCases(gemms), samples: 24);

    /// <summary>
    /// A fused relu (Dense or Conv2D with activation "relu") gives exactly the gradients of the
    /// linear layer followed by an Activation("relu"): the kink is handled the same way in both.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property Fused_relu_backward_equals_linear_then_relu() => Fused_relu_backward_equals_linear_then_relu_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 40)]
    public Property Fused_relu_backward_equals_linear_then_relu_on_native_BLAS() => Fused_relu_backward_equals_linear_then_relu_on(NativeOrFail);

    private static Property Fused_relu_backward_equals_linear_then_relu_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll((from conv in Bool from seed in Seed from context in ContextsOn(gemms) select (conv, seed, context)).ToArbitrary(), t =>
        {
            var (conv, seed, context) = t;
            var fused = conv ? ConvCase((3, 3), (1, 1), (1, 1), true, [2, 5, 5, 3], seed % 2 == 0 ? 16 : 17, true, "relu", seed) : DenseCase([3, 7], 17, true, "relu", seed);
            var linearLayer = fused.Layer switch
            {
                Conv2D c => (Layer)(new Conv2D(c.Filters, c.KernelSize, c.Strides, c.Padding, null, c.UseBias, c.DilationRate) { Id = LayerUnderTest, Name = "conv", Params = c.Params }),
                Dense d => new Dense(d.Units, null, d.UseBias) { Id = LayerUnderTest, Name = "dense", Params = d.Params },
                _ => throw new InvalidOperationException(),
            };
            var relu = new Activation("relu") { Id = new LayerId(51), Name = "relu" };
            var whole = Run(fused.Layer, fused.Inputs, context, seed);
            var z = Run(linearLayer, fused.Inputs, context, seed);
            var a = Run(relu, z.Outputs, context, seed); // same seed: the same random output gradient
            var dz = Tensor.FromArray([.. a.InputGrads[0]!.ToArray().Select(v => v - Prefill)], z.Outputs[0].Shape.ToArray());
            var chained = RunWithGradient(linearLayer, fused.Inputs, dz, context);
            bool same = whole.Outputs[0].ToArray().SequenceEqual(a.Outputs[0].ToArray())
                && Close(whole.InputGrads[0]!, chained.InputGrads[0]!) && Close(whole.ParamGrads[0]!, chained.ParamGrads[0]!) && Close(whole.ParamGrads[1]!, chained.ParamGrads[1]!);
            return same.Label($"{fused}");
        });

    /// <summary>Equal up to float32 rounding of sums taken in another order (hundreds of terms): 1e-4 · max(1, |b|).</summary>
    private static bool Close(Tensor a, Tensor b) =>
        a.ToArray().Zip(b.ToArray()).All(p => Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, Math.Abs(p.Second)));

    /// <summary>Backward of <paramref name="layer"/> with a given output gradient (buffers pre-filled).</summary>
    private static Pass RunWithGradient(Layer layer, Tensor[] inputs, Tensor dy, ForwardContext context)
    {
        var outputs = layer.OutputShapes([.. inputs.Select(t => t.Shape)]).Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var saved = layer.ForwardTrain(context, inputs, outputs);
        var dx = inputs.Select(t => Tensor.Filled(Prefill, t.Shape.ToArray())).ToArray();
        var dp = layer.Weights.Select(w => Tensor.Filled(Prefill, w.Value.Shape.ToArray())).ToArray();
        layer.Backward(context, new BackwardArgs { Inputs = inputs, Outputs = outputs, Saved = saved, OutputGrads = [dy], InputGrads = dx, ParamGrads = dp });
        return new Pass(outputs, saved, [dy], dx, dp);
    }

    /// <summary>
    /// The weight gradient split over threads by output pixels (taken when the GEMM can run single-threaded
    /// and there are enough pixels) equals the one-thread gradient that the finite-difference tests check.
    /// </summary>
    [Property(MaxTest = 20)]
    public Property Conv2D_weight_gradient_split_over_threads_equals_the_serial_one() => Conv2D_weight_gradient_split_over_threads_equals_the_serial_one_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 20)]
    public Property Conv2D_weight_gradient_split_over_threads_equals_the_serial_one_on_native_BLAS() => Conv2D_weight_gradient_split_over_threads_equals_the_serial_one_on(NativeOrFail);

    private static Property Conv2D_weight_gradient_split_over_threads_equals_the_serial_one_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll((from k in Gen.Choose(1, 3) from cin in Gen.Choose(1, 6) from filters in Gen.Elements(1, 7, 32, 33)
                     from stride in Gen.Choose(1, 2) from same in Bool from seed in Seed select (k, cin, filters, stride, same, seed)).ToArbitrary(), t =>
        {
            var c = ConvCase((t.k, t.k), (t.stride, t.stride), (1, 1), t.same, [3, 12, 11, t.cin], t.filters, true, "tanh", t.seed);
            var serial = Run(c.Layer, c.Inputs, new ForwardContext(Managed, new TensorPool(), Training: true, Parallelism: 1), c.Seed, [false]);
            var split = Run(c.Layer, c.Inputs, new ForwardContext(gemms[t.seed % gemms.Count], new TensorPool(), Training: true, Parallelism: 2), c.Seed, [false]);
            return (Close(split.ParamGrads[0]!, serial.ParamGrads[0]!) && Close(split.ParamGrads[1]!, serial.ParamGrads[1]!)).Label(c.ToString());
        });

    /// <summary>
    /// Layers that may write their input gradient (<see cref="Layer.WritesInputGradients"/>): given a
    /// buffer of NaN marked unset, they write exactly what they add to a buffer of zeros.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Writing_an_unset_input_gradient_equals_adding_to_zeros() => Writing_an_unset_input_gradient_equals_adding_to_zeros_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 60)]
    public Property Writing_an_unset_input_gradient_equals_adding_to_zeros_on_native_BLAS() => Writing_an_unset_input_gradient_equals_adding_to_zeros_on(NativeOrFail);

    private static Property Writing_an_unset_input_gradient_equals_adding_to_zeros_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll((from kind in Gen.Choose(0, 2)
                     from pick in Gen.Choose(0, 1000)
                     from context in ContextsOn(gemms)
                     from seed in Seed
                     select (kind, pick, context, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.pick);
            GradCase c = t.kind switch
            {
                0 => DenseCase([1 + rng.Next(4), 1 + rng.Next(6)], 1 + rng.Next(17), rng.Next(2) == 0, "tanh", t.seed),
                1 => ConvCase((1 + rng.Next(3), 1 + rng.Next(3)), (1 + rng.Next(2), 1 + rng.Next(2)), (1, 1), true,
                    [1 + rng.Next(2), 2 + rng.Next(6), 2 + rng.Next(6), 1 + rng.Next(4)], 1 + rng.Next(20), true, "relu", t.seed),
                _ => new GradCase("pool", PoolLayer(rng.Next(2) == 0, (1 + rng.Next(3), 1 + rng.Next(3)), (1 + rng.Next(3), 1 + rng.Next(3)), true),
                    [Distinct(rng, [1 + rng.Next(3), 1 + rng.Next(7), 1 + rng.Next(7), 1 + rng.Next(17)])], (xs, _) => xs[0], t.seed),
            };
            if (!c.Layer.WritesInputGradients) return false.Label($"{c.Layer.ClassName} should write its input gradient");
            var outputs = c.Layer.OutputShapes([.. c.Inputs.Select(x => x.Shape)]).Select(s => Tensor.Zeros(s.ToArray())).ToArray();
            var saved = c.Layer.ForwardTrain(t.context, c.Inputs, outputs);
            var dy = outputs.Select(o => RandomTensor(new Random(t.seed), o.Shape.ToArray())).ToArray();
            Tensor Backward(float fill, bool unset)
            {
                var dx = Tensor.Filled(fill, c.Inputs[0].Shape.ToArray());
                c.Layer.Backward(t.context, new BackwardArgs
                {
                    Inputs = c.Inputs, Outputs = outputs, Saved = saved, OutputGrads = [.. dy.Select(t => Tensor.FromArray(t.ToArray(), t.Shape.ToArray()))], InputGrads = [dx], InputGradsUnset = [unset],
                    ParamGrads = c.Layer.Weights.Select(_ => (Tensor?)null).ToArray(),
                });
                return dx;
            }
            var written = Backward(float.NaN, unset: true).ToArray();
            var added = Backward(0f, unset: false).ToArray();
            return written.SequenceEqual(added).Label($"{c} on {t.context.Gemm.Name}{(t.context.Im2ColOnly ? ", im2col" : "")}");
        });

    /// <summary>
    /// A first layer (no input gradient wanted) with a small patch takes a fused one-pass kernel for
    /// dW and db: its gradients equal those of the general path (taken when the input gradient is
    /// wanted), and with a smooth activation the finite differences.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property Conv2D_first_layer_weight_gradient_equals_the_general_path_and_finite_differences() => Conv2D_first_layer_weight_gradient_equals_the_general_path_and_finite_differences_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 40)]
    public Property Conv2D_first_layer_weight_gradient_equals_the_general_path_and_finite_differences_on_native_BLAS() => Conv2D_first_layer_weight_gradient_equals_the_general_path_and_finite_differences_on(NativeOrFail);

    private static Property Conv2D_first_layer_weight_gradient_equals_the_general_path_and_finite_differences_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll((from k in Gen.Choose(1, 3) from cin in Gen.Choose(1, 3) from filters in Gen.Elements(16, 32, 48)
                     from stride in Gen.Choose(1, 2) from same in Bool from relu in Bool from batch in Gen.Choose(1, 4)
                     from seed in Seed from context in ContextsOn(gemms) select (k, cin, filters, stride, same, relu, batch, seed, context)).ToArbitrary(), t =>
        {
            var c = ConvCase((t.k, t.k), (t.stride, t.stride), (1, 1), t.same, [t.batch, 9, 8, t.cin], t.filters, true, t.relu ? "relu" : "linear", t.seed);
            var fused = Run(c.Layer, c.Inputs, t.context, c.Seed, [false]);
            var general = Run(c.Layer, c.Inputs, t.context, c.Seed, [true]);
            if (!Close(fused.ParamGrads[0]!, general.ParamGrads[0]!) || !Close(fused.ParamGrads[1]!, general.ParamGrads[1]!))
                return false.Label($"{c}: fused and general weight gradients differ");
            string? failure = t.relu ? null : CheckSampled(c with { WantInputs = [false] }, t.context, samples: 16);
            return (failure is null).Label($"{c}: {failure}");
        });

    /// <summary>
    /// The implicit-GEMM weight gradient (channels in fours, filters in sixty-fours) equals the
    /// im2col + GEMM one, for every stride, padding and dilation.
    /// </summary>
    [Property(MaxTest = 30)]
    public Property Conv2D_implicit_weight_gradient_equals_im2col() =>
        Prop.ForAll((from k in Gen.Choose(1, 3) from cin in Gen.Elements(4, 8, 12) from filters in Gen.Elements(64, 128)
                     from stride in Gen.Choose(1, 2) from dilation in Gen.Choose(1, 2) from same in Bool from batch in Gen.Choose(1, 3)
                     from seed in Seed select (k, cin, filters, stride, dilation, same, batch, seed)).ToArbitrary(), t =>
        {
            var d = t.stride == 1 ? t.dilation : 1;
            var c = ConvCase((t.k, t.k), (t.stride, t.stride), (d, d), t.same, [t.batch, 9, 7, t.cin], t.filters, true, "tanh", t.seed);
            var implicitPath = Run(c.Layer, c.Inputs, new ForwardContext(Managed, new TensorPool(), Training: true), c.Seed);
            var im2col = Run(c.Layer, c.Inputs, new ForwardContext(Managed, new TensorPool(), Training: true, Im2ColOnly: true), c.Seed);
            return (Close(implicitPath.ParamGrads[0]!, im2col.ParamGrads[0]!) && Close(implicitPath.InputGrads[0]!, im2col.InputGrads[0]!)).Label(c.ToString());
        });
}
