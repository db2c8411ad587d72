using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Keras's Attention (dot and concat scores, use_scale) and AdditiveAttention (TF.js has neither, so no fixture):
/// forward against a float64 reference written here in loops — scores, the value mask and the causal mask
/// lowering a score by 1e9, softmax, the distribution times the value, zeros at masked query steps — the
/// distribution returned as Keras 3 returns it, gradients against finite differences, dropout, and errors.
/// </summary>
public sealed class AttentionLayerTests
{
    /// <summary>One case. Mode: "dot", "concat" (Attention) or "additive" (AdditiveAttention).</summary>
    public sealed record Case(string Mode, bool UseScale, int Batch, int Tq, int Tv, int Dim, int Dv, bool WithKey, bool QueryMask, bool ValueMask, bool Causal, int Seed)
    {
        public override string ToString() => $"{Mode} scale{UseScale} B{Batch} Tq{Tq} Tv{Tv} dim{Dim} dv{Dv} key{WithKey} qmask{QueryMask} vmask{ValueMask} causal{Causal} seed{Seed}";

        public AttentionInputs Layout =>
            (WithKey ? AttentionInputs.Key : 0) | (QueryMask ? AttentionInputs.QueryMask : 0) | (ValueMask ? AttentionInputs.ValueMask : 0);

        public BaseDenseAttention Layer(bool scores = false, double dropout = 0) => Mode == "additive"
            ? new AdditiveAttention(UseScale, dropout) { Id = Harness.LayerUnderTest, Name = "att", Inputs = Layout, UseCausalMask = Causal, ReturnAttentionScores = scores }
            : new Attention(UseScale, Mode, dropout) { Id = Harness.LayerUnderTest, Name = "att", Inputs = Layout, UseCausalMask = Causal, ReturnAttentionScores = scores };

        public Tensor[] Inputs(Random rng)
        {
            var list = new List<Tensor> { Harness.RandomTensor(rng, [Batch, Tq, Dim]), Harness.RandomTensor(rng, [Batch, Tv, Dv]) };
            if (WithKey) list.Add(Harness.RandomTensor(rng, [Batch, Tv, Dim]));
            if (QueryMask) list.Add(Tensor.FromArray([.. Enumerable.Range(0, Batch * Tq).Select(_ => rng.Next(3) == 0 ? 0f : 1f)], [Batch, Tq]));
            // Value step 0 is always real, so no query step is masked everywhere (that case has a test of its own).
            if (ValueMask) list.Add(Tensor.FromArray([.. Enumerable.Range(0, Batch * Tv).Select(i => i % Tv == 0 || rng.Next(3) != 0 ? 1f : 0f)], [Batch, Tv]));
            return [.. list];
        }
    }

    private static readonly Gen<Case> Cases =
        from mode in Gen.Elements("dot", "concat", "additive")
        from scale in Gen.Elements(true, false)
        from batch in Gen.Choose(1, 2)
        from tq in Gen.Choose(1, 4)
        from tv in Gen.Choose(1, 4)
        from dim in Gen.Choose(1, 4)
        from dv in Gen.Choose(1, 4)
        from key in Gen.Elements(true, false)
        from qmask in Gen.Elements(true, false)
        from vmask in Gen.Elements(true, false)
        from causal in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 30)
        select new Case(mode, scale, batch, tq, tv, dim, key ? dv : dim, key, qmask, vmask, causal, seed);

    /// <summary>The float64 reference: the output (batch, Tq, dv) and the distribution (batch, Tq, Tv).</summary>
    public static (double[] Output, double[] Weights) Reference(Case c, double[][] x, double[][] w)
    {
        var (q, v) = (x[0], x[1]);
        int next = 2;
        var k = c.WithKey ? x[next++] : v;
        var qm = c.QueryMask ? x[next++] : null;
        var vm = c.ValueMask ? x[next++] : null;
        var y = new double[c.Batch * c.Tq * c.Dv];
        var p = new double[c.Batch * c.Tq * c.Tv];
        for (int b = 0; b < c.Batch; b++)
            for (int i = 0; i < c.Tq; i++)
            {
                var s = new double[c.Tv];
                for (int j = 0; j < c.Tv; j++)
                {
                    double sum = 0;
                    for (int d = 0; d < c.Dim; d++)
                    {
                        double qd = q[(b * c.Tq + i) * c.Dim + d], kd = k[(b * c.Tv + j) * c.Dim + d];
                        sum += c.Mode switch
                        {
                            "dot" => qd * kd,
                            "concat" => Math.Tanh((c.UseScale ? w[0][0] : 1) * (qd + kd)),
                            _ => (c.UseScale ? w[0][d] : 1) * Math.Tanh(qd + kd),
                        };
                    }
                    if (c.Mode == "dot" && c.UseScale) sum *= w[0][0];
                    if (c.Mode == "concat") sum *= w[c.UseScale ? 1 : 0][0];
                    if ((vm is not null && vm[b * c.Tv + j] == 0) || (c.Causal && j > i)) sum -= 1e9;
                    s[j] = sum;
                }
                double max = s.Max();
                var e = s.Select(z => Math.Exp(z - max)).ToArray();
                double total = e.Sum();
                double keep = qm is null ? 1 : qm[b * c.Tq + i];
                for (int j = 0; j < c.Tv; j++) p[(b * c.Tq + i) * c.Tv + j] = e[j] / total;
                for (int u = 0; u < c.Dv; u++)
                {
                    double sum = 0;
                    for (int j = 0; j < c.Tv; j++) sum += e[j] / total * v[(b * c.Tv + j) * c.Dv + u];
                    y[(b * c.Tq + i) * c.Dv + u] = sum * keep;
                }
            }
        return (y, p);
    }

    [Property(MaxTest = 80)]
    public Property Forward_and_the_returned_distribution_equal_the_float64_reference() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        var inputs = c.Inputs(rng);
        var layer = Built(c.Layer(scores: true), inputs, rng);
        var y = Forward(layer, inputs);
        var (want, weights) = Reference(c, [.. inputs.Select(Wide)], [.. layer.Weights.Select(w => Wide(w.Value))]);
        double worst = Math.Max(Worst(y[0].Span, want), Worst(y[1].Span, weights));
        bool shapes = y[0].Shape == Shape.Known(c.Batch, c.Tq, c.Dv) && y[1].Shape == Shape.Known(c.Batch, c.Tq, c.Tv);
        return (worst <= 1e-5 && shapes).Label($"{c}: worst {worst:G3}, shapes {y[0].Shape} {y[1].Shape}");
    });

    [Property(MaxTest = 50)]
    public Property Gradients_equal_finite_differences_of_the_reference() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        var inputs = c.Inputs(rng);
        var layer = Built(c.Layer(), inputs, rng);
        bool[] differentiable = [.. inputs.Select((_, i) => i < (c.WithKey ? 3 : 2))];
        var (worst, where) = GradientError(layer, inputs, (x, w) => Reference(c, x, w).Output, rng, differentiable);
        return (worst <= 1e-3).Label($"{c}: worst {worst:G3} at {where}");
    });

    [Property(MaxTest = 100)]
    public Property Weights_and_output_shape_follow_Keras() => Prop.ForAll(Cases.ToArbitrary(), c =>
    {
        var layer = c.Layer();
        var shapes = new List<Shape> { Shape.Of(null, c.Tq, c.Dim), Shape.Of(null, null, c.Dv) };
        if (c.WithKey) shapes.Add(Shape.Of(null, null, c.Dim));
        if (c.QueryMask) shapes.Add(Shape.Of(null, c.Tq));
        if (c.ValueMask) shapes.Add(Shape.Of(null, null));
        var built = layer.Build(shapes, c.Seed);
        // Attention: a scalar scale (use_scale) and a scalar concat_score_weight ("concat"); AdditiveAttention: a (dim) scale.
        string[] roles = c.Mode switch
        {
            "additive" => c.UseScale ? ["scale"] : [],
            "concat" => c.UseScale ? ["scale", "concat_score_weight"] : ["concat_score_weight"],
            _ => c.UseScale ? ["scale"] : [],
        };
        var weightShape = c.Mode == "additive" ? Shape.Known(c.Dim) : Shape.Known();
        bool ok = built.Weights.Select(w => w.Role).SequenceEqual(roles) && built.Weights.All(w => w.Value.Shape == weightShape)
            && built.OutputShapes(shapes)[0] == Shape.Of(null, c.Tq, c.Dv)
            && (c.Mode != "additive" || built.Weights.All(w => w.Value.ToArray().Distinct().Count() > 1 || c.Dim == 1))
            && (c.Mode == "additive" || built.Weights.All(w => w.Value.ToArray().All(v => v == 1)));
        return ok.Label($"{c}: {string.Join(", ", built.Weights.Select(w => $"{w.Role} {w.Value.Shape}"))}, output {built.OutputShapes(shapes)[0]}");
    });

    [Fact]
    public void A_query_step_with_no_value_step_left_attends_uniformly_and_a_masked_query_step_gives_zeros()
    {
        // Every value step masked: scores all lowered by 1e9 lose their differences in float32, so the softmax is uniform, as in Keras.
        var q = Tensor.FromArray([1, 2, 3, 4], [1, 2, 2]);
        var v = Tensor.FromArray([1, 0, 0, 1, 5, 5], [1, 3, 2]);
        var layer = new Attention { Id = Harness.LayerUnderTest, Name = "att", Inputs = AttentionInputs.QueryMask | AttentionInputs.ValueMask };
        var y = Forward(layer, [q, v, Tensor.FromArray([1, 0], [1, 2]), Tensor.FromArray([0, 0, 0], [1, 3])])[0];
        Assert.Equal([2, 2, 0, 0], y.ToArray().Select(z => MathF.Round(z, 5)));
    }

    [Fact]
    public void Dropout_drops_the_distribution_only_in_training_and_a_seed_reproduces_it()
    {
        var rng = new Random(3);
        var q = Harness.RandomTensor(rng, [2, 5, 4]);
        var layer = new Attention(dropout: 0.5) { Id = Harness.LayerUnderTest, Name = "att", ReturnAttentionScores = true };
        var plain = new Attention { Id = Harness.LayerUnderTest, Name = "att", ReturnAttentionScores = true };
        Assert.Equal(Forward(plain, [q, q])[0], Forward(layer, [q, q])[0]);
        var a = Forward(layer, [q, q], training: true, seed: 1);
        Assert.Equal(a[0], Forward(layer, [q, q], training: true, seed: 1)[0]);
        Assert.NotEqual(a[0], Forward(layer, [q, q], training: true, seed: 2)[0]);
        // Keras 3 returns the distribution after dropout: every value 0 or the kept probability scaled by 2.
        var kept = Forward(plain, [q, q])[1].ToArray();
        Assert.All(a[1].ToArray().Zip(kept), p => Assert.True(p.First == 0 || Math.Abs(p.First - 2 * p.Second) < 1e-6));
        Assert.Contains(0f, a[1].ToArray());
        var seeded = new Attention(dropout: 0.5, seed: 11) { Id = Harness.LayerUnderTest, Name = "att" };
        Assert.NotEqual(Forward(seeded, [q, q], training: true, seed: 1)[0], a[0]);
    }

    public static TheoryData<int[][], AttentionInputs, string> BadShapes => new()
    {
        { [[2, 3, 4]], AttentionInputs.None, "namely [query, value]" },
        { [[2, 3, 4], [2, 5]], AttentionInputs.None, "rank 3" },
        { [[2, 3, 4], [2, 5, 4], [2, 5, 3]], AttentionInputs.None, "same features" },
        { [[2, 3, 4], [2, 5, 4], [2, 6, 4]], AttentionInputs.None, "same steps" },
        { [[2, 3, 4], [2, 5, 4], [2, 4]], AttentionInputs.ValueMask, "value mask" },
        { [[2, 3, 4], [2, 5, 4], [2, 5]], AttentionInputs.ValueMask | AttentionInputs.QueryMask, "takes 4 inputs" },
        { [[2, 3, 4], [2, 5, 4], [2, 3, 5]], AttentionInputs.AttentionMask, "takes no attention mask" },
    };

    [Theory]
    [MemberData(nameof(BadShapes))]
    public void Inputs_that_do_not_fit_are_refused_naming_the_layer_and_the_shapes(int[][] shapes, AttentionInputs layout, string expected)
    {
        foreach (BaseDenseAttention layer in new BaseDenseAttention[] { new Attention { Id = Harness.LayerUnderTest, Name = "my_attention", Inputs = layout },
                     new AdditiveAttention { Id = Harness.LayerUnderTest, Name = "my_attention", Inputs = layout } })
        {
            var e = Assert.Throws<ShapeError>(() => layer.OutputShapes([.. shapes.Select(Shape.Known)]));
            Assert.Contains("my_attention", e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void A_Keras_2_config_with_causal_reads_as_a_causal_call_and_Keras_3_configs_read_with_their_defaults()
    {
        Layer Read(string className, string json) => LayerRegistry.Default.Read(className,
            LayerConfig.Of(System.Text.Json.Nodes.JsonNode.Parse(json), "test"), Harness.LayerUnderTest, "a");
        var old = (Attention)Read("Attention", """{"use_scale": false, "causal": true, "dropout": 0.0}""");
        Assert.True(old.UseCausalMask);
        var keras3 = (AdditiveAttention)Read("AdditiveAttention", """{"name": "a", "trainable": true}""");
        Assert.Equal((true, 0.0, false, (int?)null), (keras3.UseScale, keras3.Dropout, keras3.UseCausalMask, keras3.Seed));
        Assert.Equal("dot", ((Attention)Read("Attention", "{}")).ScoreMode);
    }

    [Fact]
    public void Bad_arguments_are_refused_in_Keras_words()
    {
        Assert.Contains("score_mode", Assert.Throws<ArgumentException>(() => new Attention(scoreMode: "add") { Id = Harness.LayerUnderTest, Name = "a" }).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => new Attention(dropout: 1) { Id = Harness.LayerUnderTest, Name = "a" }).Message);
        Assert.Contains("dropout", Assert.Throws<ArgumentException>(() => new AdditiveAttention(dropout: -0.1) { Id = Harness.LayerUnderTest, Name = "a" }).Message);
    }
}
