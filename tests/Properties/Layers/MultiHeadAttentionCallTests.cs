using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;
using Case = DeepGraph.Properties.Layers.MultiHeadAttentionTests.Case;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// MultiHeadAttention's call arguments against the float64 reference of <see cref="MultiHeadAttentionTests"/>:
/// query, value and key masks and the causal mask (each the same as the attention mask Keras's
/// <c>_compute_attention_mask</c> makes of them), <c>return_attention_scores</c> (the probabilities before
/// dropout), non-default <c>attention_axes</c> (the reference on the inputs regrouped so the other axes are
/// batch), and the dropout's seed.
/// </summary>
public sealed class MultiHeadAttentionCallTests
{
    /// <summary>A rank-3 case with its masks: which of query, value and key masks and causal mask it passes.</summary>
    public sealed record MaskCase(Case Sizes, bool Query, bool Value, bool Key, bool Attention, bool Causal)
    {
        public override string ToString() => $"{Sizes} qmask{Query} vmask{Value} kmask{Key} amask{Attention} causal{Causal}";
    }

    private static readonly Gen<MaskCase> MaskCases =
        from batch in Gen.Choose(1, 2)
        from t in Gen.Choose(1, 4)
        from s in Gen.Choose(1, 4)
        from dq in Gen.Choose(1, 4)
        from dv in Gen.Choose(1, 4)
        from heads in Gen.Choose(1, 3)
        from keyDim in Gen.Choose(1, 3)
        from flags in Gen.ArrayOf(Gen.Elements(true, false), 5)
        from bias in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 30)
        select new MaskCase(new Case(batch, t, s, dq, dv, dv, heads, keyDim, keyDim, null, bias, flags[2], true, seed), flags[0], flags[1], flags[2], flags[3], flags[4]);

    /// <summary>The layer's inputs (query, value, [key], [query mask], [value mask], [key mask], [attention mask]) and the one attention mask they amount to.</summary>
    private static (Tensor[] Inputs, Tensor Combined, AttentionInputs Layout) Inputs(MaskCase m, Random rng)
    {
        var c = m.Sizes;
        Tensor Bits(int n, int[] shape) => Tensor.FromArray([.. Enumerable.Range(0, n).Select(_ => rng.Next(3) == 0 ? 0f : 1f)], shape);
        var list = new List<Tensor> { Harness.RandomTensor(rng, [c.Batch, c.T, c.Dq]), Harness.RandomTensor(rng, [c.Batch, c.S, c.Dv]) };
        var layout = AttentionInputs.None;
        void Add(bool given, AttentionInputs flag, Func<Tensor> make)
        {
            if (!given) return;
            list.Add(make());
            layout |= flag;
        }
        Add(m.Key, AttentionInputs.Key, () => Harness.RandomTensor(rng, [c.Batch, c.S, c.Dv]));
        Add(m.Query, AttentionInputs.QueryMask, () => Bits(c.Batch * c.T, [c.Batch, c.T]));
        Add(m.Value, AttentionInputs.ValueMask, () => Bits(c.Batch * c.S, [c.Batch, c.S]));
        Add(m.Key, AttentionInputs.KeyMask, () => Bits(c.Batch * c.S, [c.Batch, c.S]));
        Add(m.Attention, AttentionInputs.AttentionMask, () => Bits(c.Batch * c.T * c.S, [c.Batch, c.T, c.S]));
        var combined = new float[c.Batch * c.T * c.S];
        int at = m.Key ? 3 : 2;
        var qm = m.Query ? list[at++] : null;
        var vm = m.Value ? list[at++] : null;
        var km = m.Key ? list[at++] : null;
        var am = m.Attention ? list[at] : null;
        for (int b = 0; b < c.Batch; b++)
            for (int i = 0; i < c.T; i++)
                for (int j = 0; j < c.S; j++)
                {
                    bool keep = (qm is null || qm[b, i] > 0) && (vm is null || vm[b, j] > 0) && (km is null || km[b, j] > 0)
                        && (am is null || am[b, i, j] > 0) && (!m.Causal || j <= i);
                    combined[(b * c.T + i) * c.S + j] = keep ? 1 : 0;
                }
        return ([.. list], Tensor.FromArray(combined, [c.Batch, c.T, c.S]), layout);
    }

    private static MultiHeadAttention Layer(MaskCase m, AttentionInputs layout, bool scores = false) =>
        new(m.Sizes.Heads, m.Sizes.KeyDim, useBias: m.Sizes.UseBias)
        { Id = Harness.LayerUnderTest, Name = "mha", Inputs = layout, UseCausalMask = m.Causal, ReturnAttentionScores = scores };

    [Property(MaxTest = 60)]
    public Property Masks_and_the_causal_mask_act_as_the_attention_mask_Keras_makes_of_them_and_the_scores_are_the_probabilities() =>
        Prop.ForAll(MaskCases.ToArbitrary(), m =>
        {
            var rng = new Random(m.Sizes.Seed);
            var (inputs, combined, layout) = Inputs(m, rng);
            var layer = Built(Layer(m, layout, scores: true), inputs, rng);
            var y = Forward(layer, inputs);
            var c = m.Sizes;
            var probabilities = new double[c.Batch * c.Heads * c.T * c.S];
            double[][] x = [Wide(inputs[0]), Wide(inputs[1]), m.Key ? Wide(inputs[2]) : Wide(inputs[1]), Wide(combined)];
            var want = MultiHeadAttentionTests.Reference(c, x, [.. layer.Weights.Select(w => Wide(w.Value))], probabilities);
            double worst = Math.Max(Worst(y[0].Span, want), Worst(y[1].Span, probabilities));
            return (worst <= 1e-5 && y[1].Shape == Shape.Known(c.Batch, c.Heads, c.T, c.S)).Label($"{m}: worst {worst:G3}, scores {y[1].Shape}");
        });

    [Property(MaxTest = 30)]
    public Property Gradients_with_masks_equal_finite_differences_of_the_reference() => Prop.ForAll(MaskCases.ToArbitrary(), m =>
    {
        var rng = new Random(m.Sizes.Seed);
        var (inputs, combined, layout) = Inputs(m, rng);
        var layer = Built(Layer(m, layout), inputs, rng);
        int tensors = m.Key ? 3 : 2;
        var (worst, where) = GradientError(layer, inputs,
            (x, w) => MultiHeadAttentionTests.Reference(m.Sizes, [x[0], x[1], m.Key ? x[2] : x[1], Wide(combined)], w), rng, [.. inputs.Select((_, i) => i < tensors)]);
        return (worst <= 1e-3).Label($"{m}: worst {worst:G3} at {where}");
    });

    /// <summary>(B, T1, T2, D) regrouped for attention over one axis: (B·T1, T2, D) for axis 2, (B·T2, T1, D) for axis 1.</summary>
    private static double[] Regroup(double[] x, int b, int t1, int t2, int d, int axis, bool back = false)
    {
        if (axis == 2) return x;
        var y = new double[x.Length];
        for (int n = 0; n < b; n++)
            for (int i = 0; i < t1; i++)
                for (int j = 0; j < t2; j++)
                    for (int f = 0; f < d; f++)
                    {
                        int natural = ((n * t1 + i) * t2 + j) * d + f, grouped = ((n * t2 + j) * t1 + i) * d + f;
                        if (back) y[natural] = x[grouped];
                        else y[grouped] = x[natural];
                    }
        return y;
    }

    public static TheoryData<int, int> AxesCases => new() { { 2, 2 }, { 1, 1 }, { -3, 2 }, { -4, 1 } };

    [Theory]
    [MemberData(nameof(AxesCases))]
    public void Attention_over_one_axis_of_rank_4_inputs_is_attention_per_position_of_the_other(int given, int axis)
    {
        const int B = 2, T1 = 3, T2 = 2, S2 = 4, D = 5, Heads = 2, KeyDim = 3;
        var rng = new Random(given + 10);
        // Attending over axis 2, the values' axis 1 matches the query's; over axis 1, axis 2 does.
        var q = Harness.RandomTensor(rng, [B, T1, T2, D]);
        var v = axis == 2 ? Harness.RandomTensor(rng, [B, T1, S2, D]) : Harness.RandomTensor(rng, [B, S2, T2, D]);
        var mha = new MultiHeadAttention(Heads, KeyDim, attentionAxes: [given]) { Id = Harness.LayerUnderTest, Name = "mha", ReturnAttentionScores = true };
        var layer = Built(mha, [q, v], rng);
        var y = Forward(layer, [q, v]);
        int groups = axis == 2 ? B * T1 : B * T2, tq = axis == 2 ? T2 : T1;
        var c = new Case(groups, tq, S2, D, D, D, Heads, KeyDim, KeyDim, null, true, false, false, 0);
        double[] Reference(double[][] x, double[][] w, double[]? p = null) =>
            Regroup(MultiHeadAttentionTests.Reference(c, [Regroup(x[0], B, T1, T2, D, axis), axis == 2 ? x[1] : Regroup(x[1], B, S2, T2, D, axis)], w, p), B, T1, T2, D, axis, back: true);
        var probabilities = new double[groups * Heads * tq * S2];
        var want = Reference([Wide(q), Wide(v)], [.. layer.Weights.Select(w => Wide(w.Value))], probabilities);
        Assert.True(Worst(y[0].Span, want) <= 1e-5, $"worst {Worst(y[0].Span, want)}");
        // Keras's scores layout: (batch, other axis, heads, query steps, key steps).
        Assert.Equal(Shape.Known(B, axis == 2 ? T1 : T2, Heads, tq, S2), y[1].Shape);
        Assert.True(Worst(y[1].Span, probabilities) <= 1e-5);
        var plain = layer with { ReturnAttentionScores = false };
        var (worst, where) = GradientError(plain, [q, v], (x, w) => Reference(x, w), rng);
        Assert.True(worst <= 1e-3, $"gradient {worst:G3} at {where}");
    }

    [Fact]
    public void Axes_that_are_not_step_axes_and_masks_on_rank_4_inputs_are_refused()
    {
        var x = Shape.Batched(2, 3, 4);
        Assert.Contains("attention_axes", Assert.Throws<ShapeError>(() => new MultiHeadAttention(2, 3, attentionAxes: [3]) { Id = Harness.LayerUnderTest, Name = "m" }.OutputShapes([x, x])).Message);
        Assert.Contains("attention_axes", Assert.Throws<ShapeError>(() => new MultiHeadAttention(2, 3, attentionAxes: [-2]) { Id = Harness.LayerUnderTest, Name = "m" }.OutputShapes([x, x])).Message);
        Assert.Contains("rank 3", Assert.Throws<ShapeError>(() => new MultiHeadAttention(2, 3) { Id = Harness.LayerUnderTest, Name = "m", UseCausalMask = true }.OutputShapes([x, x])).Message);
        Assert.Contains("attention_axes", Assert.Throws<ArgumentException>(() => new MultiHeadAttention(2, 3, attentionAxes: []) { Id = Harness.LayerUnderTest, Name = "m" }).Message);
        var e = Assert.Throws<ShapeError>(() => new MultiHeadAttention(2, 3) { Id = Harness.LayerUnderTest, Name = "m", Inputs = AttentionInputs.QueryMask }
            .OutputShapes([Shape.Batched(3, 4), Shape.Batched(5, 4), Shape.Batched(5)]));
        Assert.Contains("query mask", e.Message);
    }

    [Fact]
    public void The_dropout_seed_fixes_the_mask_and_the_scores_are_taken_before_dropout()
    {
        var rng = new Random(5);
        var q = Harness.RandomTensor(rng, [2, 4, 6]);
        MultiHeadAttention Make(int? seed) => new(2, 3, dropout: 0.5, seed: seed) { Id = Harness.LayerUnderTest, Name = "mha", ReturnAttentionScores = true };
        var layer = Built(Make(7), [q, q], rng);
        var other = layer with { };
        var unseeded = Built(Make(null), [q, q], new Random(0)) with { Params = layer.Params };
        var a = Forward(layer, [q, q], training: true, seed: 3);
        Assert.Equal(a[0], Forward(other, [q, q], training: true, seed: 3)[0]);
        Assert.NotEqual(a[0], Forward(unseeded, [q, q], training: true, seed: 3)[0]);
        Assert.NotEqual(a[0], Forward(Built(Make(8), [q, q], new Random(0)) with { Params = layer.Params }, [q, q], training: true, seed: 3)[0]);
        // Scores before dropout: the same as at inference.
        Assert.Equal(Forward(layer, [q, q])[1], a[1]);
    }
}
