using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The sequence and reshaping layers of issue 13 (Masking, TimeDistributed, RepeatVector, Permute, Cropping1D/2D,
/// ZeroPadding1D, UpSampling1D/2D, MaxPooling1D, AveragePooling1D) and masked GlobalAveragePooling1D: forward against
/// float64 references written here from Keras's definitions, backward against finite differences of those references,
/// and Keras's argument checks. Cropping1D, ZeroPadding1D, UpSampling1D and bilinear UpSampling2D have no TF.js fixture.
/// </summary>
public sealed class SequenceShapingTests
{
    private static readonly Gen<int> Seed = Gen.Choose(0, 1 << 30);

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    private static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int k = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { s[i] = k; k *= shape[i]; }
        return s;
    }

    /// <summary>A reference over every output index: <paramref name="value"/> maps an output index to the output's value.</summary>
    private static double[] Each(int[] outShape, Func<int[], double> value)
    {
        int total = outShape.Aggregate(1, (p, d) => p * d);
        var result = new double[total];
        var index = new int[outShape.Length];
        for (int i = 0; i < total; i++)
        {
            int r = i;
            for (int a = outShape.Length - 1; a >= 0; a--) { index[a] = r % outShape[a]; r /= outShape[a]; }
            result[i] = value(index);
        }
        return result;
    }

    private static double At(double[] x, int[] shape, params int[] index)
    {
        var s = Strides(shape);
        return x[index.Select((v, a) => v * s[a]).Sum()];
    }

    /// <summary>Forward worst error and gradient worst error of <paramref name="layer"/> against <paramref name="reference"/> on a random input.</summary>
    private static Property Agrees(Layer layer, int[] shape, Func<double[], double[]> reference, int seed, string what, bool distinct = false)
    {
        var rng = new Random(seed);
        // A maximum's gradient is only a finite difference's when no two values of a window lie within its step:
        // distinct values spaced well apart, shuffled, for layers that take maxima.
        var x = distinct
            ? Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(i => (float)(i * 0.37 - 20)).OrderBy(_ => rng.Next()).ToArray(), shape)
            : Harness.RandomTensor(rng, shape);
        var y = Forward(layer, [x])[0];
        double forward = Worst(y.Span, reference(Wide(x)));
        var (gradient, where) = GradientError(layer, [x], (xs, _) => reference(xs[0]), rng);
        return (forward <= 1e-6 && gradient <= 1e-4).Label($"{what} {layer}: forward {forward:G3}, gradient {gradient:G3} at {where}");
    }

    private static Gen<int[]> Dims(int rank, int max) => Gen.ArrayOf(Gen.Choose(1, max), rank);

    [Property(MaxTest = 40)]
    public Property Cropping1D_keeps_the_middle_steps() => Prop.ForAll(
        (from d in Dims(3, 4) from start in Gen.Choose(0, 3) from end in Gen.Choose(0, 3) from seed in Seed select (d, start, end, seed)).ToArbitrary(), t =>
        {
            int[] shape = [t.d[0], t.d[1] + t.start + t.end, t.d[2]];
            var layer = new Cropping1D((t.start, t.end)) { Id = Harness.LayerUnderTest, Name = "cropping1d" };
            return Agrees(layer, shape, x => Each(t.d, i => At(x, shape, i[0], i[1] + t.start, i[2])), t.seed, "crop");
        });

    [Property(MaxTest = 40)]
    public Property Cropping2D_keeps_the_middle_rows_and_columns() => Prop.ForAll(
        (from d in Dims(4, 3) from c in Gen.ArrayOf(Gen.Choose(0, 2), 4) from seed in Seed select (d, c, seed)).ToArbitrary(), t =>
        {
            int[] shape = [t.d[0], t.d[1] + t.c[0] + t.c[1], t.d[2] + t.c[2] + t.c[3], t.d[3]];
            var layer = new Cropping2D(((t.c[0], t.c[1]), (t.c[2], t.c[3]))) { Id = Harness.LayerUnderTest, Name = "cropping2d" };
            return Agrees(layer, shape, x => Each(t.d, i => At(x, shape, i[0], i[1] + t.c[0], i[2] + t.c[2], i[3])), t.seed, "crop");
        });

    [Property(MaxTest = 40)]
    public Property ZeroPadding1D_adds_zero_steps_at_each_end() => Prop.ForAll(
        (from d in Dims(3, 4) from start in Gen.Choose(0, 3) from end in Gen.Choose(0, 3) from seed in Seed select (d, start, end, seed)).ToArbitrary(), t =>
        {
            int[] outShape = [t.d[0], t.d[1] + t.start + t.end, t.d[2]];
            var layer = new ZeroPadding1D((t.start, t.end)) { Id = Harness.LayerUnderTest, Name = "zero_padding1d" };
            return Agrees(layer, t.d, x => Each(outShape, i =>
            {
                int s = i[1] - t.start;
                return s >= 0 && s < t.d[1] ? At(x, t.d, i[0], s, i[2]) : 0;
            }), t.seed, "pad");
        });

    [Property(MaxTest = 40)]
    public Property UpSampling1D_repeats_each_step() => Prop.ForAll(
        (from d in Dims(3, 4) from size in Gen.Choose(1, 4) from seed in Seed select (d, size, seed)).ToArbitrary(), t =>
        {
            int[] outShape = [t.d[0], t.d[1] * t.size, t.d[2]];
            var layer = new UpSampling1D(t.size) { Id = Harness.LayerUnderTest, Name = "up_sampling1d" };
            return Agrees(layer, t.d, x => Each(outShape, i => At(x, t.d, i[0], i[1] / t.size, i[2])), t.seed, "upsample");
        });

    /// <summary>Keras's bilinear resize (tf.image.resize, half-pixel centres) of one axis position: the two source cells and the second one's weight.</summary>
    private static (int Low, int High, double Weight) HalfPixel(int i, int factor, int n)
    {
        double source = Math.Clamp((i + 0.5) / factor - 0.5, 0, n - 1);
        int low = (int)Math.Floor(source);
        return (low, Math.Min(low + 1, n - 1), source - low);
    }

    [Property(MaxTest = 40)]
    public Property UpSampling2D_nearest_repeats_and_bilinear_interpolates_at_half_pixel_centres() => Prop.ForAll(
        (from d in Dims(4, 3) from sh in Gen.Choose(1, 3) from sw in Gen.Choose(1, 3) from bilinear in Gen.Elements(false, true) from seed in Seed
         select (d, sh, sw, bilinear, seed)).ToArbitrary(), t =>
        {
            int[] outShape = [t.d[0], t.d[1] * t.sh, t.d[2] * t.sw, t.d[3]];
            var layer = new UpSampling2D((t.sh, t.sw), t.bilinear ? "bilinear" : "nearest") { Id = Harness.LayerUnderTest, Name = "up_sampling2d" };
            return Agrees(layer, t.d, x => Each(outShape, i =>
            {
                if (!t.bilinear) return At(x, t.d, i[0], i[1] / t.sh, i[2] / t.sw, i[3]);
                var (y0, y1, fy) = HalfPixel(i[1], t.sh, t.d[1]);
                var (x0, x1, fx) = HalfPixel(i[2], t.sw, t.d[2]);
                double Cell(int r, int c) => At(x, t.d, i[0], r, c, i[3]);
                return (1 - fy) * ((1 - fx) * Cell(y0, x0) + fx * Cell(y0, x1)) + fy * ((1 - fx) * Cell(y1, x0) + fx * Cell(y1, x1));
            }), t.seed, t.bilinear ? "bilinear" : "nearest");
        });

    [Fact]
    public void Bilinear_upsampling_gives_Keras_numbers_not_TFjs_numbers()
    {
        // tf.image.resize([0, 1, 2], 6, "bilinear") (Keras) = [0, .25, .75, 1.25, 1.75, 2]; TF.js gives [0, .5, 1, 1.5, 2, 2].
        var layer = new UpSampling2D((1, 2), "bilinear") { Id = Harness.LayerUnderTest, Name = "up" };
        var y = Forward(layer, [Tensor.FromArray([0, 1, 2], [1, 1, 3, 1])])[0];
        Assert.Equal([0f, 0.25f, 0.75f, 1.25f, 1.75f, 2f], y.ToArray());
    }

    [Property(MaxTest = 40)]
    public Property RepeatVector_repeats_the_vector_n_times() => Prop.ForAll(
        (from d in Dims(2, 4) from n in Gen.Choose(0, 4) from seed in Seed select (d, n, seed)).ToArbitrary(), t =>
        {
            int[] outShape = [t.d[0], t.n, t.d[1]];
            var layer = new RepeatVector(t.n) { Id = Harness.LayerUnderTest, Name = "repeat_vector" };
            return Agrees(layer, t.d, x => Each(outShape, i => At(x, t.d, i[0], i[2])), t.seed, "repeat");
        });

    [Property(MaxTest = 40)]
    public Property Permute_moves_input_axis_dims_k_to_output_axis_k() => Prop.ForAll(
        (from rank in Gen.Choose(1, 4) from d in Dims(rank + 1, 3) from keys in Gen.ArrayOf(Gen.Choose(0, 100), rank) from seed in Seed select (d, keys, seed)).ToArbitrary(), t =>
        {
            int[] dims = [.. Enumerable.Range(1, t.keys.Length).OrderBy(i => t.keys[i - 1]).ThenBy(i => i)];
            int[] outShape = [t.d[0], .. dims.Select(a => t.d[a])];
            var layer = new Permute(dims) { Id = Harness.LayerUnderTest, Name = "permute" };
            return Agrees(layer, t.d, x => Each(outShape, i =>
            {
                var source = new int[t.d.Length];
                source[0] = i[0];
                for (int k = 0; k < dims.Length; k++) source[dims[k]] = i[k + 1];
                return At(x, t.d, source);
            }), t.seed, "permute");
        });

    [Property(MaxTest = 40)]
    public Property Masking_zeroes_the_steps_whose_features_all_equal_the_mask_value() => Prop.ForAll(
        (from d in Dims(3, 4) from value in Gen.Elements(0.0, -1.0, 0.5) from seed in Seed select (d, value, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = Harness.RandomTensor(rng, t.d);
            var data = x.ToArray();
            int f = t.d[2];
            for (int s = 0; s < data.Length / f; s++)
                if (rng.Next(3) == 0)
                    for (int j = 0; j < f; j++) data[s * f + j] = (float)t.value; // a padded step
            x = Tensor.FromArray(data, t.d);
            bool Kept(double[] xs, int s) => Enumerable.Range(0, f).Any(j => xs[s * f + j] != (float)t.value);
            var layer = new Masking(t.value) { Id = Harness.LayerUnderTest, Name = "masking" };
            double[] Reference(double[] xs) => [.. xs.Select((v, i) => Kept(xs, i / f) ? v : 0)];
            var y = Forward(layer, [x])[0];
            var mask = layer.ComputeMask(new ForwardContext(Harness.Managed, new TensorPool()), [x], [y])[0]!;
            bool maskOk = mask.Shape == Shape.Known(t.d[0], t.d[1]) && mask.Ints.ToArray().Select((b, s) => (b != 0) == Kept(Wide(x), s)).All(ok => ok);
            double forward = Worst(y.Span, Reference(Wide(x)));
            // The gradient is dy on kept steps and 0 on masked ones (the finite difference of the reference moves a padded
            // value off mask_value, so it is taken on the masks the forward pass saw).
            var dy = Harness.RandomTensor(rng, t.d);
            var (_, dx, _) = Gradients(layer, [x], dy);
            var want = dy.ToArray().Select((g, i) => Kept(Wide(x), i / f) ? (double)g : 0).ToArray();
            return (maskOk && forward == 0 && Worst(dx[0]!.Span, want) == 0).Label($"{t}: mask {maskOk}, forward {forward}");
        });

    /// <summary>Keras's 1-D pooling: window [t·s − before, t·s − before + p) ∩ [0, T), before = ⌊max((out − 1)·s + p − T, 0)/2⌋ for "same".</summary>
    private static double[] Pool1D(double[] x, int[] shape, int pool, int stride, bool same, bool max)
    {
        int steps = shape[1];
        int outSteps = same ? (steps + stride - 1) / stride : (steps - pool) / stride + 1;
        int before = same ? Math.Max((outSteps - 1) * stride + pool - steps, 0) / 2 : 0;
        return Each([shape[0], outSteps, shape[2]], i =>
        {
            var cells = Enumerable.Range(i[1] * stride - before, pool).Where(s => s >= 0 && s < steps).Select(s => At(x, shape, i[0], s, i[2])).ToArray();
            return max ? cells.Max() : cells.Average();
        });
    }

    [Property(MaxTest = 60)]
    public Property MaxPooling1D_and_AveragePooling1D_pool_windows_of_steps_where_padded_cells_never_count() => Prop.ForAll(
        (from d in Dims(3, 7) from pool in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from same in Gen.Elements(false, true)
         from max in Gen.Elements(false, true) from seed in Seed select (d, pool, stride, same, max, seed)).ToArbitrary(), t =>
        {
            int[] shape = [t.d[0], t.d[1] + t.pool, t.d[2]];
            var padding = t.same ? Padding.Same : Padding.Valid;
            Layer layer = t.max
                ? new MaxPooling1D(t.pool, t.stride, padding) { Id = Harness.LayerUnderTest, Name = "pool" }
                : new AveragePooling1D(t.pool, t.stride, padding) { Id = Harness.LayerUnderTest, Name = "pool" };
            return Agrees(layer, shape, x => Pool1D(x, shape, t.pool, t.stride, t.same, t.max), t.seed, t.max ? "max" : "average", distinct: t.max);
        });

    [Property(MaxTest = 30)]
    public Property TimeDistributed_applies_one_dense_to_every_step_and_trains_its_weights() => Prop.ForAll(
        (from d in Dims(3, 4) from units in Gen.Choose(1, 4) from seed in Seed select (d, units, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = Harness.RandomTensor(rng, t.d);
            var layer = Built(new TimeDistributed(new Dense(t.units, "tanh") { Id = Harness.LayerUnderTest, Name = "dense" }) { Id = Harness.LayerUnderTest, Name = "td" }, [x], rng);
            int f = t.d[2];
            double[] Reference(double[] xs, double[] kernel, double[] bias) => Each([t.d[0], t.d[1], t.units], i =>
                Math.Tanh(Enumerable.Range(0, f).Sum(j => At(xs, t.d, i[0], i[1], j) * kernel[j * t.units + i[2]]) + bias[i[2]]));
            var y = Forward(layer, [x])[0];
            double forward = Worst(y.Span, Reference(Wide(x), Wide(layer.Params[0]), Wide(layer.Params[1])));
            var (gradient, where) = GradientError(layer, [x], (xs, ws) => Reference(xs[0], ws[0], ws[1]), rng);
            bool names = layer.Weights.Select(w => w.Role).SequenceEqual(["kernel", "bias"]);
            return (names && forward <= 1e-5 && gradient <= 1e-4).Label($"{t}: forward {forward:G3}, gradient {gradient:G3} at {where}");
        });

    [Property(MaxTest = 40)]
    public Property GlobalAveragePooling1D_with_a_mask_averages_the_unmasked_steps_only() => Prop.ForAll(
        (from d in Dims(3, 5) from keepDims in Gen.Elements(false, true) from seed in Seed select (d, keepDims, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var x = Harness.RandomTensor(rng, t.d);
            // Every sample keeps its first step, so no mean is over nothing.
            var keep = Enumerable.Range(0, t.d[0] * t.d[1]).Select(i => i % t.d[1] == 0 || rng.Next(2) == 0).ToArray();
            var mask = Tensor.FromBools(keep, [t.d[0], t.d[1]]);
            var layer = new GlobalAveragePooling1D(t.keepDims) { Id = Harness.LayerUnderTest, Name = "gap" };
            double[] Reference(double[] xs) => Each([t.d[0], t.d[2]], i =>
            {
                var steps = Enumerable.Range(0, t.d[1]).Where(s => keep[i[0] * t.d[1] + s]).ToArray();
                return steps.Average(s => At(xs, t.d, i[0], s, i[1]));
            });
            var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: true) { InputMasks = [mask] };
            var outShape = layer.OutputShapes([x.Shape])[0].WithBatch(t.d[0]);
            var y = Tensor.Zeros(outShape.ToArray());
            var saved = layer.ForwardTrain(context, [x], [y]);
            double forward = Worst(y.Span, Reference(Wide(x)));
            var dy = Harness.RandomTensor(rng, outShape.ToArray());
            var dx = Tensor.Zeros(t.d);
            layer.Backward(context, new BackwardArgs { Inputs = [x], Outputs = [y], Saved = saved, OutputGrads = [dy], InputGrads = [dx], ParamGrads = [] });
            // d(Σ dy·y)/dx[n, s, c] = dy[n, c] / count(n) on kept steps, 0 on masked ones.
            var g = Wide(dy);
            var want = Each(t.d, i => keep[i[0] * t.d[1] + i[1]] ? g[i[0] * t.d[2] + i[2]] / Enumerable.Range(0, t.d[1]).Count(s => keep[i[0] * t.d[1] + s]) : 0);
            bool noMask = layer.ComputeMask(context, [x], [y]).Count == 0;
            return (noMask && forward <= 1e-6 && Worst(dx.Span, want) <= 1e-6).Label($"{t}: forward {forward:G3}");
        });

    [Fact]
    public void Arguments_and_shapes_are_refused_in_Keras_s_terms_naming_the_layer()
    {
        static Layer Named(Layer l) => l with { Id = Harness.LayerUnderTest, Name = "the_layer" };
        Assert.Contains("the_layer", Assert.Throws<ShapeError>(() => Named(new Cropping1D((2, 3)) { Id = default, Name = "" }).OutputShapes([Shape.Batched(5, 2)])).Message);
        Assert.Contains("the_layer", Assert.Throws<ShapeError>(() => Named(new Cropping2D(2) { Id = default, Name = "" }).OutputShapes([Shape.Batched(4, 9, 2)])).Message);
        Assert.Contains("the_layer", Assert.Throws<ShapeError>(() => Named(new MaxPooling1D(4) { Id = default, Name = "" }).OutputShapes([Shape.Batched(3, 2)])).Message);
        Assert.Contains("expected ndim=2", Assert.Throws<ShapeError>(() => Named(new RepeatVector(2) { Id = default, Name = "" }).OutputShapes([Shape.Batched(3, 2)])).Message);
        Assert.Contains("at least 3 dimensions", Assert.Throws<ShapeError>(() => Named(new TimeDistributed(new Dense(2) { Id = default, Name = "d" }) { Id = default, Name = "" }).OutputShapes([Shape.Batched(3)])).Message);
        Assert.Contains("dims=(1, 3)", Assert.Throws<ArgumentException>(() => new Permute([1, 3]) { Id = default, Name = "p" }).Message);
        Assert.Contains("interpolation=bicubic", Assert.Throws<ArgumentException>(() => new UpSampling2D(null, "bicubic") { Id = default, Name = "u" }).Message);
        Assert.Contains("size=0", Assert.Throws<ArgumentException>(() => new UpSampling1D(0) { Id = default, Name = "u" }).Message);
        Assert.Contains("padding=(-1, 0)", Assert.Throws<ArgumentException>(() => new ZeroPadding1D((-1, 0)) { Id = default, Name = "z" }).Message);
        // Unknown lengths stay unknown; a known one is computed.
        Assert.Equal(Shape.Of(null, null, 3), new Cropping1D(1) { Id = default, Name = "c" }.OutputShapes([Shape.Of(null, null, 3)])[0]);
        Assert.Equal(Shape.Of(null, null, 3), new UpSampling1D(2) { Id = default, Name = "u" }.OutputShapes([Shape.Of(null, null, 3)])[0]);
        Assert.Equal(Shape.Of(null, null, 3), new ZeroPadding1D(2) { Id = default, Name = "z" }.OutputShapes([Shape.Of(null, null, 3)])[0]);
        Assert.Equal(Shape.Of(null, null, 7), new TimeDistributed(new Dense(7) { Id = default, Name = "d" }) { Id = default, Name = "t" }.OutputShapes([Shape.Of(null, null, 3)])[0]);
        Assert.Equal(Shape.Batched(4, 2), new AveragePooling1D(3, 2, Padding.Same) { Id = default, Name = "a" }.OutputShapes([Shape.Batched(7, 2)])[0]);
    }
}
