using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Keras's GroupNormalization and UnitNormalization (TF.js has neither): forward against float64 references
/// written here in loops, gradients against finite differences, Keras's weights and errors.
/// </summary>
public sealed class NormalizationLayerTests
{
    /// <summary>A group normalization case: input shape (batch first), channels axis, groups, options.</summary>
    public sealed record GroupCase(int[] Shape, int Axis, int Groups, double Epsilon, bool Center, bool Scale, int Seed)
    {
        public override string ToString() => $"[{string.Join(", ", Shape)}] axis{Axis} groups{Groups} eps{Epsilon} center{Center} scale{Scale} seed{Seed}";

        public GroupNormalization Layer() => new(Groups, Axis, Epsilon, Center, Scale) { Id = Harness.LayerUnderTest, Name = "gn" };
    }

    private static readonly Gen<GroupCase> GroupCases =
        from rank in Gen.Choose(2, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 3), rank - 1)
        from batch in Gen.Choose(1, 2)
        from axisIndex in Gen.Choose(1, rank - 1)
        from negative in Gen.Elements(true, false)
        from perGroup in Gen.Choose(1, 3)
        from groupsCount in Gen.Choose(1, 3)
        from instance in Gen.Elements(false, false, true)
        from epsilon in Gen.Elements(1e-3, 1e-5, 0.5)
        from center in Gen.Elements(true, false)
        from scale in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 30)
        let shape = WithChannels([batch, .. dims], axisIndex, perGroup * groupsCount)
        select new GroupCase(shape, negative ? axisIndex - rank : axisIndex, instance ? -1 : groupsCount, epsilon, center, scale, seed);

    private static int[] WithChannels(int[] shape, int axis, int channels)
    {
        var s = (int[])shape.Clone();
        s[axis] = channels;
        return s;
    }

    /// <summary>The float64 reference: per sample and group, the mean and biased variance over the group's channels and every other axis.</summary>
    public static double[] GroupReference(GroupCase c, double[] x, double[][] w) => GroupReference(c, x, w, out _);

    /// <summary>
    /// <see cref="GroupReference(GroupCase, double[], double[][])"/>, and its condition: the largest max |x| / √(var + ε)
    /// of a group, by which the normalisation amplifies the input's float32 rounding.
    /// </summary>
    public static double[] GroupReference(GroupCase c, double[] x, double[][] w, out double condition)
    {
        condition = 0;
        int rank = c.Shape.Length, axis = c.Axis < 0 ? c.Axis + rank : c.Axis, channels = c.Shape[axis];
        int groups = c.Groups == -1 ? channels : c.Groups, size = channels / groups;
        int inner = c.Shape[(axis + 1)..].Aggregate(1, (p, d) => p * d);
        int outer = c.Shape[1..axis].Aggregate(1, (p, d) => p * d);
        int sample = x.Length / c.Shape[0];
        var y = new double[x.Length];
        for (int b = 0; b < c.Shape[0]; b++)
            for (int g = 0; g < groups; g++)
            {
                var members = new List<int>();
                for (int o = 0; o < outer; o++)
                    for (int ch = g * size; ch < (g + 1) * size; ch++)
                        for (int i = 0; i < inner; i++) members.Add(b * sample + (o * channels + ch) * inner + i);
                double mean = members.Average(m => x[m]);
                double variance = members.Average(m => (x[m] - mean) * (x[m] - mean));
                condition = Math.Max(condition, members.Max(m => Math.Abs(x[m])) / Math.Sqrt(variance + c.Epsilon));
                foreach (int m in members)
                {
                    int ch = m / inner % channels;
                    int wi = 0;
                    double gamma = c.Scale ? w[wi++][ch] : 1, beta = c.Center ? w[wi][ch] : 0;
                    y[m] = (x[m] - mean) / Math.Sqrt(variance + c.Epsilon) * gamma + beta;
                }
            }
        return y;
    }

    [Property(MaxTest = 80)]
    public Property Group_normalization_equals_the_reference_and_its_gradients_finite_differences() => Prop.ForAll(GroupCases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        var x = Harness.RandomTensor(rng, c.Shape, -2, 2);
        var layer = Built(c.Layer(), [x], rng);
        var y = Forward(layer, [x])[0];
        var weightValues = layer.Weights.Select(w => Wide(w.Value)).ToArray();
        double forward = Worst(y.Span, GroupReference(c, Wide(x), weightValues, out double condition));
        // Two values drawn close together have a tiny variance: float32 cannot do better than its rounding times the condition.
        double gammaMax = c.Scale ? weightValues[0].Max(Math.Abs) : 1;
        double forwardBound = Math.Max(1e-5, 16 * Math.Pow(2, -24) * condition * gammaMax);
        var (worst, where) = GradientError(layer, [x], (xs, ws) => GroupReference(c, xs[0], ws), rng);
        int channels = c.Shape[c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis];
        bool weights = layer.Weights.Select(w => w.Role).SequenceEqual(new[] { c.Scale ? "gamma" : null, c.Center ? "beta" : null }.OfType<string>())
            && layer.Weights.All(w => w.Value.Shape == Shape.Known(channels));
        return (forward <= forwardBound && worst <= 1e-3 && weights && y.Shape == x.Shape).Label($"{c}: forward {forward:G3} (bound {forwardBound:G3}), gradient {worst:G3} at {where}");
    });

    [Fact]
    public void Group_normalization_initialises_gamma_ones_and_beta_zeros_and_refuses_groups_that_do_not_divide()
    {
        var built = new GroupNormalization(groups: 2) { Id = Harness.LayerUnderTest, Name = "gn" }.Build([Shape.Batched(5, 6)], 1);
        Assert.Equal([Enumerable.Repeat(1f, 6), Enumerable.Repeat(0f, 6)], built.Weights.Select(w => w.Value.ToArray().AsEnumerable()));
        Assert.Equal(12, built.ParamCount);
        var e = Assert.Throws<ShapeError>(() => new GroupNormalization(groups: 4) { Id = Harness.LayerUnderTest, Name = "my_gn" }.OutputShapes([Shape.Batched(5, 6)]));
        Assert.Contains("my_gn", e.Message);
        Assert.Contains("must divide the number of channels (6)", e.Message);
        Assert.Contains("cannot be more than", Assert.Throws<ShapeError>(() => new GroupNormalization() { Id = Harness.LayerUnderTest, Name = "g" }.OutputShapes([Shape.Batched(16)])).Message);
        Assert.Contains("defined dimension", Assert.Throws<ShapeError>(() => new GroupNormalization(1) { Id = Harness.LayerUnderTest, Name = "g" }.OutputShapes([Shape.Of(null, null)])).Message);
        Assert.Contains("groups", Assert.Throws<ArgumentException>(() => new GroupNormalization(0) { Id = Harness.LayerUnderTest, Name = "g" }).Message);
        Assert.Contains("axis", Assert.Throws<ArgumentException>(() => new GroupNormalization(axis: 0) { Id = Harness.LayerUnderTest, Name = "g" }).Message);
    }

    /// <summary>A unit normalization case: input shape (batch first) and axes.</summary>
    public sealed record UnitCase(int[] Shape, int[] Axes, int Seed)
    {
        public override string ToString() => $"[{string.Join(", ", Shape)}] axes [{string.Join(", ", Axes)}] seed{Seed}";
    }

    private static readonly Gen<UnitCase> UnitCases =
        from rank in Gen.Choose(2, 4)
        from shape in Gen.ArrayOf(Gen.Choose(1, 3), rank)
        from picks in Gen.ArrayOf(Gen.Elements(true, false), rank)
        from negative in Gen.Elements(true, false)
        from seed in Gen.Choose(0, 1 << 30)
        let chosen = Enumerable.Range(0, rank).Where(a => picks[a]).ToArray()
        let axes = chosen.Length == 0 ? new[] { rank - 1 } : chosen
        select new UnitCase(shape, negative ? [.. axes.Select(a => a - rank)] : axes, seed);

    /// <summary>x / max(‖x‖₂, 1e-12) over the axes, in float64.</summary>
    public static double[] UnitReference(UnitCase c, double[] x)
    {
        int rank = c.Shape.Length;
        var axes = c.Axes.Select(a => a < 0 ? a + rank : a).ToHashSet();
        var strides = new int[rank];
        for (int a = rank - 1, s = 1; a >= 0; s *= c.Shape[a], a--) strides[a] = s;
        int Key(int flat) => Enumerable.Range(0, rank).Where(a => !axes.Contains(a)).Aggregate(0, (k, a) => k * c.Shape[a] + flat / strides[a] % c.Shape[a]);
        var sums = new Dictionary<int, double>();
        for (int i = 0; i < x.Length; i++) sums[Key(i)] = sums.GetValueOrDefault(Key(i)) + x[i] * x[i];
        return [.. x.Select((v, i) => v / Math.Max(Math.Sqrt(sums[Key(i)]), 1e-12))];
    }

    [Property(MaxTest = 80)]
    public Property Unit_normalization_equals_the_reference_and_its_gradients_finite_differences() => Prop.ForAll(UnitCases.ToArbitrary(), c =>
    {
        var rng = new Random(c.Seed);
        // x/‖x‖ is ill-conditioned near a zero norm (a group of one value is sign(x)): the tape's float32 gradient,
        // 1/‖x‖ − x·xᵀ/‖x‖³, cancels to a rounding error of about 4ε/‖x‖ (over 1e-3 for ‖x‖ below ~2.4e-4, one draw in a
        // few thousand), and a step of 1e-5 across a norm of 0 sees a jump. Values at least 0.1 from 0 keep every norm
        // ≥ 0.1: rounding ≤ 4·2⁻²⁴/0.1 ≈ 2.4e-6 and the central difference's error, (h/‖x‖)² relative, ≤ 1e-8, far inside
        // the 1e-3 below; the zero norm has its own test.
        var x = DeepGraph.Properties.OpLaws.FiniteDifferences.AwayFromZero(rng, c.Shape, 0.1, 2);
        var layer = new UnitNormalization(c.Axes) { Id = Harness.LayerUnderTest, Name = "un" };
        var y = Forward(layer, [x])[0];
        double forward = Worst(y.Span, UnitReference(c, Wide(x)));
        var (worst, where) = GradientError(layer, [x], (xs, _) => UnitReference(c, xs[0]), rng);
        return (forward <= 1e-6 && worst <= 1e-3 && y.Shape == x.Shape && layer.ParamCount == 0).Label($"{c}: forward {forward:G3}, gradient {worst:G3} at {where}");
    });

    [Fact]
    public void Unit_normalization_of_zeros_is_zeros_with_finite_gradients_and_bad_axes_are_refused()
    {
        var layer = new UnitNormalization() { Id = Harness.LayerUnderTest, Name = "un" };
        var (y, dx, _) = Gradients(layer, [Tensor.Zeros(2, 3)], Tensor.Filled(1, 2, 3));
        Assert.All(y[0].ToArray(), v => Assert.Equal(0f, v));
        Assert.All(dx[0]!.ToArray(), v => Assert.True(float.IsFinite(v)));
        var e = Assert.Throws<ShapeError>(() => new UnitNormalization([3]) { Id = Harness.LayerUnderTest, Name = "my_un" }.OutputShapes([Shape.Batched(4)]));
        Assert.Contains("my_un", e.Message);
        Assert.Contains("axis 3", e.Message);
        Assert.Contains("axis", Assert.Throws<ArgumentException>(() => new UnitNormalization([]) { Id = Harness.LayerUnderTest, Name = "u" }).Message);
    }
}
