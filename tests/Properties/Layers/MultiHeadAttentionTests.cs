using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// MultiHeadAttention (TF.js has none, so no fixture): its forward pass against a float64 reference written
/// here in plain loops (the projections, softmax(Q·Kᵀ/√key_dim)·V per head, the output projection), with and
/// without an attention mask, self- and cross-attention; its gradients (from the tape) against finite
/// differences of that reference; Keras's parameter count and output shape; and its errors.
/// </summary>
public sealed class MultiHeadAttentionTests
{
    /// <summary>One case: sizes and options.</summary>
    public sealed record Case(int Batch, int T, int S, int Dq, int Dv, int Dk, int Heads, int KeyDim, int ValueDim, int? Out, bool UseBias,
        bool WithKey, bool WithMask, int Seed)
    {
        public override string ToString() =>
            $"B{Batch} T{T} S{S} Dq{Dq} Dv{Dv} Dk{Dk} h{Heads} k{KeyDim} v{ValueDim} out{Out?.ToString() ?? "-"} bias{UseBias} key{WithKey} mask{WithMask} seed{Seed}";

        public MultiHeadAttention Layer() =>
            new(Heads, KeyDim, ValueDim, useBias: UseBias, outputShape: Out is { } o ? [o] : null) { Id = Harness.LayerUnderTest, Name = "mha" };

        public Tensor[] Inputs(Random rng)
        {
            var list = new List<Tensor> { Harness.RandomTensor(rng, [Batch, T, Dq]), Harness.RandomTensor(rng, [Batch, S, Dv]) };
            if (WithKey || WithMask) list.Add(WithKey ? Harness.RandomTensor(rng, [Batch, S, Dk]) : list[1]);
            if (WithMask)
            {
                // Random 0/1, every query step keeping at least one key step (a row fully masked is a test of its own).
                var m = new float[Batch * T * S];
                for (int r = 0; r < Batch * T; r++)
                {
                    for (int s = 0; s < S; s++) m[r * S + s] = rng.Next(3) == 0 ? 0 : 1;
                    m[r * S + rng.Next(S)] = 1;
                }
                list.Add(Tensor.FromArray(m, [Batch, T, S]));
            }
            return [.. list];
        }

        /// <summary>The key's features: the key's own when given, else the value's.</summary>
        public int KeyFeatures => WithKey ? Dk : Dv;
    }

    private static readonly Gen<Case> Cases =
        from batch in Gen.Choose(1, 2)
        from t in Gen.Choose(1, 4)
        from s in Gen.Choose(1, 4)
        from dq in Gen.Choose(1, 5)
        from dv in Gen.Choose(1, 5)
        from dk in Gen.Choose(1, 5)
        from heads in Gen.Choose(1, 3)
        from keyDim in Gen.Choose(1, 3)
        from valueDim in Gen.Choose(1, 3)
        from outDim in Gen.Elements<int?>(null, null, 1, 4)
        from bias in Gen.Elements(true, false)
        from withKey in Gen.Elements(true, false)
        from withMask in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 30)
        select new Case(batch, t, s, dq, dv, withKey ? dk : dv, heads, keyDim, valueDim, outDim, bias, withKey, withMask, seed);

    /// <summary>
    /// The float64 reference: inputs query (B, T, Dq), value (B, S, Dv), [key (B, S, Dk)], [mask (B, T, S)];
    /// weights query/key/value/output kernels and biases in Keras's order; the softmax probabilities (B, heads, T, S)
    /// into <paramref name="probabilities"/> when given.
    /// </summary>
    public static double[] Reference(Case c, double[][] x, double[][] w, double[]? probabilities = null)
    {
        int h = c.Heads, kd = c.KeyDim, vd = c.ValueDim, o = c.Out ?? c.Dq, dk = c.KeyFeatures;
        var (query, value) = (x[0], x[1]);
        var key = x.Length > 2 ? x[2] : value;
        var mask = x.Length > 3 ? x[3] : null;
        int p = 0;
        double[] wq = w[p++], bq = c.UseBias ? w[p++] : new double[h * kd];
        double[] wk = w[p++], bk = c.UseBias ? w[p++] : new double[h * kd];
        double[] wv = w[p++], bv = c.UseBias ? w[p++] : new double[h * vd];
        double[] wo = w[p++], bo = c.UseBias ? w[p++] : new double[o];
        var y = new double[c.Batch * c.T * o];
        for (int b = 0; b < c.Batch; b++)
        {
            for (int t = 0; t < c.T; t++)
                for (int j = 0; j < o; j++) y[(b * c.T + t) * o + j] = bo[j];
            for (int head = 0; head < h; head++)
            {
                double[,] q = new double[c.T, kd], k = new double[c.S, kd], v = new double[c.S, vd];
                for (int t = 0; t < c.T; t++)
                    for (int j = 0; j < kd; j++)
                    {
                        double sum = bq[head * kd + j];
                        for (int d = 0; d < c.Dq; d++) sum += query[(b * c.T + t) * c.Dq + d] * wq[(d * h + head) * kd + j];
                        q[t, j] = sum;
                    }
                for (int s = 0; s < c.S; s++)
                {
                    for (int j = 0; j < kd; j++)
                    {
                        double sum = bk[head * kd + j];
                        for (int d = 0; d < dk; d++) sum += key[(b * c.S + s) * dk + d] * wk[(d * h + head) * kd + j];
                        k[s, j] = sum;
                    }
                    for (int j = 0; j < vd; j++)
                    {
                        double sum = bv[head * vd + j];
                        for (int d = 0; d < c.Dv; d++) sum += value[(b * c.S + s) * c.Dv + d] * wv[(d * h + head) * vd + j];
                        v[s, j] = sum;
                    }
                }
                for (int t = 0; t < c.T; t++)
                {
                    var scores = new double[c.S];
                    for (int s = 0; s < c.S; s++)
                    {
                        double dot = 0;
                        for (int j = 0; j < kd; j++) dot += q[t, j] * k[s, j];
                        scores[s] = mask is not null && mask[(b * c.T + t) * c.S + s] <= 0.5 ? -1e9 : dot / Math.Sqrt(kd);
                    }
                    double max = scores.Max();
                    var e = scores.Select(z => Math.Exp(z - max)).ToArray();
                    double total = e.Sum();
                    if (probabilities is not null)
                        for (int s = 0; s < c.S; s++) probabilities[((b * h + head) * c.T + t) * c.S + s] = e[s] / total;
                    for (int j = 0; j < vd; j++)
                    {
                        double ctx = 0;
                        for (int s = 0; s < c.S; s++) ctx += e[s] / total * v[s, j];
                        for (int u = 0; u < o; u++) y[(b * c.T + t) * o + u] += ctx * wo[(head * vd + j) * o + u];
                    }
                }
            }
        }
        return y;
    }

    [Property(MaxTest = 60)]
    public Property Forward_equals_the_float64_reference() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        var inputs = c.Inputs(rng);
        var layer = Built(c.Layer(), inputs, rng);
        var y = Forward(layer, inputs);
        var want = Reference(c, [.. inputs.Select(Wide)], [.. layer.Weights.Select(w => Wide(w.Value))]);
        double worst = Worst(y[0].Span, want);
        return (worst <= 1e-5 && y[0].Shape == Shape.Known(c.Batch, c.T, c.Out ?? c.Dq)).Label($"{c}: worst {worst:G3}, shape {y[0].Shape}");
    });

    [Property(MaxTest = 40)]
    public Property Gradients_equal_finite_differences_of_the_reference() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        var inputs = c.Inputs(rng);
        var layer = Built(c.Layer(), inputs, rng);
        // The mask has no gradient; key and value of a self-masked call are one tensor given twice.
        bool[] differentiable = [.. inputs.Select((_, k) => k < 3)];
        var (worst, where) = GradientError(layer, inputs, (x, w) => Reference(c, x, w), rng, differentiable);
        return (worst <= 1e-3).Label($"{c}: worst {worst:G3} at {where}");
    });

    /// <summary>Keras's count: h·k·(Dq+1) + h·k·(Dk+1) + h·v·(Dv+1) + h·v·Dout + Dout (without the biases' terms when use_bias is false).</summary>
    [Property(MaxTest = 100)]
    public Property Parameter_count_and_output_shape_follow_Keras() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var layer = c.Layer();
        var shapes = new List<Shape> { Shape.Batched(c.T, c.Dq), Shape.Batched(c.S, c.Dv) };
        if (c.WithKey) shapes.Add(Shape.Batched(c.S, c.Dk));
        var built = layer.Build(shapes, c.Seed);
        int b = c.UseBias ? 1 : 0, h = c.Heads, k = c.KeyDim, v = c.ValueDim, o = c.Out ?? c.Dq;
        long want = h * k * (c.Dq + b) + h * k * (c.KeyFeatures + b) + h * v * (c.Dv + b) + h * v * o + o * b;
        var output = built.OutputShapes(shapes)[0];
        return (built.ParamCount == want && output == Shape.Batched(c.T, o))
            .Label($"{c}: {built.ParamCount} params (want {want}), output {output}");
    });

    [Fact]
    public void Self_attention_with_free_lengths_has_the_queries_shape_and_Keras_weight_names()
    {
        var layer = new MultiHeadAttention(numHeads: 2, keyDim: 3) { Id = Harness.LayerUnderTest, Name = "mha" };
        var x = Shape.Of(null, null, 8);
        Assert.Equal(x, layer.OutputShapes([x, x])[0]);
        var built = layer.Build([Shape.Batched(5, 8), Shape.Batched(5, 8)], 1);
        Assert.Equal(["query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel", "value/bias", "attention_output/kernel", "attention_output/bias"],
            built.Weights.Select(w => w.Role));
        Assert.Equal([Shape.Known(8, 2, 3), Shape.Known(2, 3), Shape.Known(8, 2, 3), Shape.Known(2, 3), Shape.Known(8, 2, 3), Shape.Known(2, 3), Shape.Known(2, 3, 8), Shape.Known(8)],
            built.Weights.Select(w => w.Value.Shape));
        // Keras's example: 2 heads of 2 on (8, 16) queries and (4, 16) values: 4·17·2 + 4·17 + 4·16 + 16.
        var keras = new MultiHeadAttention(numHeads: 2, keyDim: 2) { Id = Harness.LayerUnderTest, Name = "mha" }.Build([Shape.Batched(8, 16), Shape.Batched(4, 16)], 1);
        Assert.Equal(2 * 2 * 17 * 3 + 2 * 2 * 16 + 16, keras.ParamCount);
    }

    [Fact]
    public void Rank_4_inputs_attend_over_both_middle_axes_together()
    {
        // Keras's default attention_axes: every axis between the batch and the features, i.e. the flattened steps.
        var rng = new Random(4);
        var layer = new MultiHeadAttention(numHeads: 2, keyDim: 3, outputShape: [5]) { Id = Harness.LayerUnderTest, Name = "mha" };
        var q4 = Harness.RandomTensor(rng, [2, 2, 3, 4]);
        var v4 = Harness.RandomTensor(rng, [2, 3, 2, 4]);
        var built = Built(layer, [q4, v4], rng);
        var y = Forward(built, [q4, v4])[0];
        Assert.Equal(Shape.Known(2, 2, 3, 5), y.Shape);
        var c = new Case(2, 6, 6, 4, 4, 4, 2, 3, 3, 5, true, false, false, 0);
        var want = Reference(c, [Wide(q4), Wide(v4)], [.. built.Weights.Select(w => Wide(w.Value))]);
        Assert.True(Worst(y.Span, want) <= 1e-5);
        var both = new MultiHeadAttention(numHeads: 2, keyDim: 3, attentionAxes: [1, 2]) { Id = Harness.LayerUnderTest, Name = "mha" };
        Assert.Equal(Shape.Batched(2, 3, 4), both.OutputShapes([Shape.Batched(2, 3, 4), Shape.Batched(3, 2, 4)])[0]);
        var e = Assert.Throws<ShapeError>(() => new MultiHeadAttention(2, 3, attentionAxes: [2]) { Id = Harness.LayerUnderTest, Name = "mha2" }
            .OutputShapes([Shape.Batched(2, 3, 4), Shape.Batched(3, 2, 4)]));
        Assert.Contains("mha2", e.Message);
        Assert.Contains("attention_axes", e.Message);
    }

    [Fact]
    public void A_query_step_masked_everywhere_attends_uniformly_as_in_Keras()
    {
        // Keras sets masked scores to −1e9: a row without any allowed key step softmaxes to the mean of the values.
        var rng = new Random(2);
        var c = new Case(1, 2, 3, 4, 4, 4, 1, 2, 2, null, true, true, true, 0);
        var inputs = c.Inputs(rng);
        var mask = Tensor.FromArray([0, 0, 0, 1, 0, 1], [1, 2, 3]);
        inputs[3] = mask;
        var layer = Built(c.Layer(), inputs, rng);
        var y = Forward(layer, inputs)[0];
        var want = Reference(c, [.. inputs.Select(Wide)], [.. layer.Weights.Select(w => Wide(w.Value))]);
        Assert.True(Worst(y.Span, want) <= 1e-5);
        var open = Forward(layer, [inputs[0], inputs[1], inputs[2], Tensor.Filled(1, 1, 2, 3)])[0];
        Assert.NotEqual(open.ToArray()[4..], y.ToArray()[4..]);
    }

    [Fact]
    public void Dropout_drops_attention_only_in_training_and_a_seed_reproduces_it()
    {
        var rng = new Random(5);
        var q = Harness.RandomTensor(rng, [2, 4, 6]);
        var layer = Built(new MultiHeadAttention(numHeads: 2, keyDim: 3, dropout: 0.5) { Id = Harness.LayerUnderTest, Name = "mha" }, [q, q], rng);
        var plain = Built(new MultiHeadAttention(numHeads: 2, keyDim: 3) { Id = Harness.LayerUnderTest, Name = "mha" }, [q, q], new Random(0)) with { Params = layer.Params };
        Assert.Equal(Forward(plain, [q, q])[0], Forward(layer, [q, q])[0]);
        var a = Forward(layer, [q, q], training: true, seed: 3)[0];
        Assert.Equal(a, Forward(layer, [q, q], training: true, seed: 3)[0]);
        Assert.NotEqual(a, Forward(layer, [q, q], training: true, seed: 4)[0]);
        Assert.NotEqual(a, Forward(layer, [q, q])[0]);
    }

    public static TheoryData<int[][], string> BadShapes => new()
    {
        { [[2, 3, 4]], "takes 2 to 7 inputs" },
        { [[2, 4], [2, 4]], "min_ndim=3" },
        { [[2, 3, 4], [2, 5, 4, 1]], "rank" },
        { [[2, 3, 4], [2, 5, 4], [2, 6, 4]], "same steps" },
        { [[2, 3, 4], [2, 5, 4], [2, 5, 4], [2, 3, 4]], "attention mask" },
        { [[2, 3, 4], [3, 5, 4]], "batch" },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void Inputs_that_do_not_fit_are_refused_naming_the_layer_and_the_shapes(int[][] shapes, string expected)
    {
        var layer = new MultiHeadAttention(2, 3) { Id = Harness.LayerUnderTest, Name = "my_attention" };
        var e = Assert.Throws<ShapeError>(() => layer.OutputShapes([.. shapes.Select(Shape.Known)]));
        Assert.Contains("my_attention", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Bad_arguments_are_refused_in_Keras_words()
    {
        Assert.Contains("num_heads", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(0, 2) { Id = Harness.LayerUnderTest, Name = "m" }).Message);
        Assert.Contains("key_dim", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(1, -1) { Id = Harness.LayerUnderTest, Name = "m" }).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(1, 2, dropout: 1) { Id = Harness.LayerUnderTest, Name = "m" }).Message);
        Assert.Contains("output_shape", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(1, 2, outputShape: [0]) { Id = Harness.LayerUnderTest, Name = "m" }).Message);
    }
}
