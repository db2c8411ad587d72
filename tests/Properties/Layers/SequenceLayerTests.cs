using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Embedding, LayerNormalization, GlobalAveragePooling1D / GlobalMaxPooling1D and the Maximum / Minimum / Average
/// merges, each written over ops: forward against a float64 reference, gradients from the tape against finite
/// differences of it, shapes and parameter counts as Keras gives them, and errors that name the layer.
/// </summary>
public sealed class SequenceLayerTests
{
    private static readonly Gen<int> Seed = Gen.Choose(0, 1 << 30);

    // ---- Embedding ----------------------------------------------------------------------------

    private static Tensor Ids(Random rng, int inputDim, int[] shape, DType dtype)
    {
        var ids = Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => rng.Next(inputDim)).ToArray();
        return dtype == DType.Int32 ? Tensor.FromInts(ids, shape) : Tensor.FromArray([.. ids.Select(i => (float)i)], shape);
    }

    private static double[] EmbeddingReference(double[] ids, double[] table, int outputDim) =>
        [.. ids.SelectMany(id => table.Skip((int)id * outputDim).Take(outputDim))];

    [Property(MaxTest = 50)]
    public Property Embedding_picks_rows_and_scatters_their_gradients() => Prop.ForAll(
        (from inputDim in Gen.Choose(1, 7)
         from outputDim in Gen.Choose(1, 5)
         from rank in Gen.Choose(1, 3)
         from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank)
         from asFloat in Gen.Elements(true, false)
         from seed in Seed
         select (inputDim, outputDim, dims, asFloat, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            var ids = Ids(rng, t.inputDim, t.dims, t.asFloat ? DType.Float32 : DType.Int32);
            var layer = Built(new Embedding(t.inputDim, t.outputDim) { Id = Harness.LayerUnderTest, Name = "embedding" }, [ids], rng);
            var y = Forward(layer, [ids])[0];
            var want = EmbeddingReference(Wide(ids), Wide(layer.Params[0]), t.outputDim);
            bool shape = y.Shape == Shape.Known([.. t.dims, t.outputDim]);
            // Ids have no gradient (float ids are cast); rows absent from the batch get zeros.
            var (worst, where) = GradientError(layer, [ids], (x, w) => EmbeddingReference(x[0], w[0], t.outputDim), rng, differentiable: [false]);
            return (shape && Worst(y.Span, want) == 0 && worst <= 1e-4).Label($"{t}: shape {y.Shape}, gradient worst {worst:G3} at {where}");
        });

    [Fact]
    public void Embedding_refuses_an_id_out_of_range_naming_the_layer_and_the_id()
    {
        var layer = new Embedding(5, 2) { Id = Harness.LayerUnderTest, Name = "tokens_embedding" }.Build([Shape.Batched(3)], 1);
        foreach (var bad in new[] { Tensor.FromInts([1, 5, 0], [1, 3]), Tensor.FromArray([1, -1, 0], [1, 3]) })
        {
            var e = Assert.Throws<ArgumentException>(() => Forward(layer, [bad]));
            Assert.Contains("tokens_embedding", e.Message);
            Assert.Contains("[0, 5)", e.Message);
        }
    }

    [Fact]
    public void Embedding_shapes_parameters_and_input_length_follow_Keras()
    {
        var layer = new Embedding(1000, 64, inputLength: 10) { Id = Harness.LayerUnderTest, Name = "embedding" };
        Assert.Equal(Shape.Batched(10, 64), layer.OutputShapes([Shape.Batched(10)])[0]);
        Assert.Equal(Shape.Of(null, null, 64), new Embedding(1000, 64) { Id = Harness.LayerUnderTest, Name = "e" }.OutputShapes([Shape.Of(null, null)])[0]);
        Assert.Equal(64_000, layer.Build([Shape.Batched(10)], 1).ParamCount);
        Assert.Equal(DType.Int32, layer.InputDType(0));
        var values = ((Embedding)layer.Build([Shape.Batched(10)], 1)).Params[0].ToArray();
        Assert.True(values.All(v => v is >= -0.05f and < 0.05f) && values.Distinct().Count() > 100);
        Assert.Contains("input_length=10", Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Batched(7)])).Message);
        Assert.Contains("input_dim", Assert.Throws<ArgumentException>(() => new Embedding(0, 3) { Id = Harness.LayerUnderTest, Name = "e" }).Message);
    }

    // ---- LayerNormalization -------------------------------------------------------------------

    /// <summary>The float64 reference: per sample over <paramref name="axes"/>, (x − μ)/sqrt(σ² + ε)·gamma + beta.</summary>
    private static double[] NormReference(double[] x, int[] shape, int[] axes, double epsilon, double[]? gamma, double[]? beta) =>
        NormReference(x, shape, axes, epsilon, gamma, beta, out _);

    /// <summary>The reference, and the largest |x| / √(variance + ε) over the groups: how much float32's rounding of the
    /// centred values (about 2⁻²⁴·|x|) is magnified in the output.</summary>
    private static double[] NormReference(double[] x, int[] shape, int[] axes, double epsilon, double[]? gamma, double[]? beta, out double condition)
    {
        condition = 0;
        int rank = shape.Length;
        var strides = new int[rank];
        for (int a = rank - 1, s = 1; a >= 0; a--) { strides[a] = s; s *= shape[a]; }
        // Group elements by their indices on the axes not normalised; gamma/beta by their indices on the normalised axes.
        var groups = new Dictionary<long, List<int>>();
        var param = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            long key = 0;
            int p = 0;
            for (int a = 0; a < rank; a++)
            {
                int index = i / strides[a] % shape[a];
                if (axes.Contains(a)) p = p * shape[a] + index;
                else key = key * shape[a] + index;
            }
            param[i] = p;
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(i);
        }
        var y = new double[x.Length];
        foreach (var members in groups.Values)
        {
            double mean = members.Average(i => x[i]);
            double variance = members.Average(i => (x[i] - mean) * (x[i] - mean));
            condition = Math.Max(condition, members.Max(i => Math.Abs(x[i])) / Math.Sqrt(variance + epsilon));
            foreach (var i in members)
                y[i] = (x[i] - mean) / Math.Sqrt(variance + epsilon) * (gamma?[param[i]] ?? 1) + (beta?[param[i]] ?? 0);
        }
        return y;
    }

    private static readonly Gen<(int[] Shape, int[] Axes, bool Negative, double Epsilon, bool Center, bool Scale, int Seed)> NormCases =
        from rank in Gen.Choose(2, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 4), rank - 1)
        from batch in Gen.Choose(1, 3)
        from picks in Gen.ArrayOf(Gen.Elements(true, false), rank - 1)
        from negative in Gen.Elements(true, false)
        from epsilon in Gen.Elements(1e-3, 1e-5, 1e-2)
        from center in Gen.Elements(true, false)
        from scale in Gen.Elements(true, false)
        from seed in Seed
        let axes = picks.Select((p, i) => p ? i + 1 : 0).Where(a => a > 0).DefaultIfEmpty(rank - 1).ToArray()
        select (new[] { batch }.Concat(dims).ToArray(), axes, negative, epsilon, center, scale, seed);

    [Property(MaxTest = 60)]
    public Property LayerNormalization_equals_the_reference_and_its_gradients_finite_differences() => Prop.ForAll(NormCases.ToArbitrary(), t =>
    {
        var rng = new Random(t.Seed);
        // Values spread enough that the variance is not tiny next to ε (where float32 rounding dominates).
        var x = Harness.RandomTensor(rng, t.Shape, -2, 2);
        int[] given = t.Negative ? [.. t.Axes.Select(a => a - t.Shape.Length)] : t.Axes;
        var layer = Built(new LayerNormalization(given, t.Epsilon, t.Center, t.Scale) { Id = Harness.LayerUnderTest, Name = "ln" }, [x], rng);
        double[]? Gamma(double[][] w) => t.Scale ? w[0] : null;
        double[]? Beta(double[][] w) => t.Center ? w[t.Scale ? 1 : 0] : null;
        var weights = layer.Weights.Select(w => Wide(w.Value)).ToArray();
        var want = NormReference(Wide(x), t.Shape, t.Axes, t.Epsilon, Gamma(weights), Beta(weights), out double condition);
        var y = Forward(layer, [x])[0];
        double forward = Worst(y.Span, want);
        // Two values drawn close together have a tiny variance: float32 cannot do better than its rounding times the condition.
        double gammaMax = t.Scale ? weights[0].Max(Math.Abs) : 1;
        double forwardBound = Math.Max(1e-5, 16 * Math.Pow(2, -24) * condition * gammaMax);
        var paramShape = Shape.Known([.. t.Axes.Select(a => t.Shape[a])]);
        bool shapes = layer.Weights.All(w => w.Value.Shape == paramShape) && layer.Weights.Count == (t.Center ? 1 : 0) + (t.Scale ? 1 : 0);
        bool singleValue = t.Axes.All(a => t.Shape[a] == 1); // every value its own mean: the output is beta, its gradient rounding
        var (worst, where) = GradientError(layer, [x], (xs, w) => NormReference(xs[0], t.Shape, t.Axes, t.Epsilon, Gamma(w), Beta(w)), rng);
        return (forward <= forwardBound && shapes && (singleValue || worst <= 2e-3))
            .Label($"shape [{string.Join(",", t.Shape)}] axes [{string.Join(",", given)}] eps {t.Epsilon} center {t.Center} scale {t.Scale}: forward {forward:G3} (bound {forwardBound:G3}), gradient {worst:G3} at {where}");
    });

    [Fact]
    public void LayerNormalization_parameters_and_errors_follow_Keras()
    {
        var ln = new LayerNormalization() { Id = Harness.LayerUnderTest, Name = "ln" };
        Assert.Equal(128, ln.Build([Shape.Batched(10, 64)], 1).ParamCount);
        Assert.Equal(1e-3, ln.Epsilon);
        Assert.Equal(2 * 10 * 64, new LayerNormalization([1, 2]) { Id = Harness.LayerUnderTest, Name = "ln" }.Build([Shape.Batched(10, 64)], 1).ParamCount);
        Assert.Equal(64, new LayerNormalization(center: false) { Id = Harness.LayerUnderTest, Name = "ln" }.Build([Shape.Batched(10, 64)], 1).ParamCount);
        var e = Assert.Throws<ShapeError>(() => new LayerNormalization([3]) { Id = Harness.LayerUnderTest, Name = "my_norm" }.OutputShapes([Shape.Batched(10, 64)]));
        Assert.Contains("my_norm", e.Message);
        Assert.Contains("axis 3", e.Message);
        Assert.Contains("known", Assert.Throws<ShapeError>(() => ln.OutputShapes([Shape.Of(null, 4, null)])).Message);
        Assert.Contains("axis", Assert.Throws<ArgumentException>(() => new LayerNormalization([0]) { Id = Harness.LayerUnderTest, Name = "l" }).Message);
        Assert.Contains("epsilon", Assert.Throws<ArgumentException>(() => new LayerNormalization(epsilon: 0) { Id = Harness.LayerUnderTest, Name = "l" }).Message);
    }

    // ---- GlobalAveragePooling1D, GlobalMaxPooling1D -----------------------------------------

    [Property(MaxTest = 50)]
    public Property Global_pooling_1D_equals_the_reference_and_finite_differences() => Prop.ForAll(
        (from batch in Gen.Choose(1, 3)
         from steps in Gen.Choose(1, 5)
         from features in Gen.Choose(1, 4)
         from max in Gen.Elements(true, false)
         from keepDims in Gen.Elements(true, false)
         from seed in Seed
         select (batch, steps, features, max, keepDims, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            // Distinct values spaced well apart, so that no maximum is tied and a finite difference does not cross one.
            var values = Enumerable.Range(0, t.batch * t.steps * t.features).Select(i => (float)(i * 0.37)).OrderBy(_ => rng.Next()).ToArray();
            var x = Tensor.FromArray(values, [t.batch, t.steps, t.features]);
            Layer layer = t.max
                ? new GlobalMaxPooling1D(t.keepDims) { Id = Harness.LayerUnderTest, Name = "pool" }
                : new GlobalAveragePooling1D(t.keepDims) { Id = Harness.LayerUnderTest, Name = "pool" };
            double[] Reference(double[][] xs, double[][] _)
            {
                var y = new double[t.batch * t.features];
                for (int b = 0; b < t.batch; b++)
                    for (int f = 0; f < t.features; f++)
                    {
                        var column = Enumerable.Range(0, t.steps).Select(s => xs[0][(b * t.steps + s) * t.features + f]);
                        y[b * t.features + f] = t.max ? column.Max() : column.Average();
                    }
                return y;
            }
            var y = Forward(layer, [x])[0];
            var shape = t.keepDims ? Shape.Known(t.batch, 1, t.features) : Shape.Known(t.batch, t.features);
            var (worst, where) = GradientError(layer, [x], Reference, rng);
            return (y.Shape == shape && Worst(y.Span, Reference([Wide(x)], [])) <= 1e-6 && worst <= 1e-4).Label($"{t}: {y.Shape}, gradient {worst:G3} at {where}");
        });

    [Fact]
    public void Global_pooling_1D_takes_rank_3_only()
    {
        var e = Assert.Throws<ShapeError>(() => new GlobalAveragePooling1D() { Id = Harness.LayerUnderTest, Name = "gap" }.OutputShapes([Shape.Batched(4, 4, 3)]));
        Assert.Contains("gap", e.Message);
        Assert.Contains("ndim=3", e.Message);
        Assert.Equal(Shape.Of(null, 7), new GlobalMaxPooling1D() { Id = Harness.LayerUnderTest, Name = "gmp" }.OutputShapes([Shape.Of(null, null, 7)])[0]);
    }

    // ---- Maximum, Minimum, Average ------------------------------------------------------------

    [Property(MaxTest = 40)]
    public Property Merges_equal_the_elementwise_reference_and_route_gradients() => Prop.ForAll(
        (from count in Gen.Choose(2, 3)
         from kind in Gen.Elements("Maximum", "Minimum", "Average")
         from dims in Gen.ArrayOf(Gen.Choose(1, 4), 2)
         from seed in Seed
         select (count, kind, dims, seed)).ToArbitrary(), t =>
        {
            var rng = new Random(t.seed);
            int n = t.dims[0] * t.dims[1];
            // Distinct values across the inputs (no ties) spaced well apart.
            var all = Enumerable.Range(0, n * t.count).Select(i => (float)(i * 0.31 - n)).OrderBy(_ => rng.Next()).ToArray();
            var inputs = Enumerable.Range(0, t.count).Select(k => Tensor.FromArray(all[(k * n)..((k + 1) * n)], t.dims)).ToArray();
            Layer layer = t.kind switch
            {
                "Maximum" => new Maximum { Id = Harness.LayerUnderTest, Name = "merge" },
                "Minimum" => new Minimum { Id = Harness.LayerUnderTest, Name = "merge" },
                _ => new Average { Id = Harness.LayerUnderTest, Name = "merge" },
            };
            double[] Reference(double[][] xs, double[][] _) => [.. Enumerable.Range(0, n).Select(i =>
                t.kind == "Maximum" ? xs.Max(x => x[i]) : t.kind == "Minimum" ? xs.Min(x => x[i]) : xs.Average(x => x[i]))];
            var y = Forward(layer, inputs)[0];
            var (worst, where) = GradientError(layer, inputs, Reference, rng);
            return (Worst(y.Span, Reference([.. inputs.Select(Wide)], [])) <= 1e-6 && worst <= 1e-4).Label($"{t.kind}: gradient {worst:G3} at {where}");
        });

    [Fact]
    public void Merges_refuse_one_input_and_different_shapes_naming_the_layer()
    {
        var max = new Maximum { Id = Harness.LayerUnderTest, Name = "my_max" };
        Assert.Contains("at least 2 inputs", Assert.Throws<ShapeError>(() => max.OutputShapes([Shape.Batched(3)])).Message);
        var e = Assert.Throws<ShapeError>(() => max.OutputShapes([Shape.Batched(3), Shape.Batched(4)]));
        Assert.Contains("my_max", e.Message);
        Assert.Contains("incompatible", e.Message);
        Assert.Equal(Shape.Batched(3, 2), new Average { Id = Harness.LayerUnderTest, Name = "a" }.OutputShapes([Shape.Of(null, 3, null), Shape.Of(null, null, 2)])[0]);
    }
}
