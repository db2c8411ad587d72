using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// Reductions and softmax: gradients against finite differences on random shapes and axes (max/min on
/// distinct values, away from ties), values against float64 references, and the documented tie rule.
/// </summary>
public class ReductionGradients
{
    private static readonly (string Name, Func<Var, int[], bool, Var> Op, bool Distinct)[] Reductions =
    [
        ("sum", (x, a, k) => Ops.Sum(x, a, k), false),
        ("mean", (x, a, k) => Ops.Mean(x, a, k), false),
        ("max", (x, a, k) => Ops.Max(x, a, k), true),
        ("min", (x, a, k) => Ops.Min(x, a, k), true),
        ("logsumexp", (x, a, k) => Ops.LogSumExp(x, a, k), false),
    ];

    [Property(MaxTest = 60)]
    public void Reduction_gradients_match_finite_differences(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        var axes = OpCases.Axes(rng, shape.Length);
        bool keep = rng.Next(2) == 0;
        foreach (var (name, op, distinct) in Reductions)
        {
            var x = distinct ? FiniteDifferences.Distinct(rng, shape) : FiniteDifferences.Uniform(rng, shape);
            FiniteDifferences.Check((_, v) => op(v[0], axes, keep), [x], seed: seed, what: $"{name} over [{string.Join(", ", axes)}] keepDims={keep}");
        }
    }

    [Property(MaxTest = 60)]
    public void Reductions_equal_float64_references_and_have_the_reduced_shape(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        var axes = OpCases.Axes(rng, shape.Length);
        bool keep = rng.Next(2) == 0;
        var reduced = new bool[shape.Length];
        foreach (var a in axes) reduced[(a + shape.Length) % shape.Length] = true;
        if (axes.Length == 0) Array.Fill(reduced, true);
        var expectedShape = keep ? shape.Select((d, i) => reduced[i] ? 1 : d).ToArray() : shape.Where((_, i) => !reduced[i]).ToArray();
        var x = FiniteDifferences.Uniform(rng, shape, -5, 5);
        var groups = Groups(shape, reduced, OpCases.Wide(x));
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(x);
        var refs = new (Var Result, Func<double[], double> F)[]
        {
            (Ops.Sum(v, axes, keep), g => g.Sum()),
            (Ops.Mean(v, axes, keep), g => g.Average()),
            (Ops.Max(v, axes, keep), g => g.Max()),
            (Ops.Min(v, axes, keep), g => g.Min()),
            (Ops.LogSumExp(v, axes, keep), g => Math.Log(g.Sum(Math.Exp))),
        };
        foreach (var (result, f) in refs)
        {
            Assert.Equal(expectedShape, result.Shape.ToArray());
            var values = result.Value.ToArray();
            for (int i = 0; i < values.Length; i++) Assert.Equal(f(groups[i]), values[i], 1e-4 * Math.Max(1, Math.Abs(f(groups[i]))));
        }
    }

    /// <summary>The values of each output group, in output order (reference, by index arithmetic).</summary>
    private static double[][] Groups(int[] shape, bool[] reduced, double[] x)
    {
        int[] kept = [.. shape.Select((d, i) => reduced[i] ? 1 : d)];
        int count = kept.Aggregate(1, (p, d) => p * d);
        var groups = Enumerable.Range(0, count).Select(_ => new List<double>()).ToArray();
        var index = new int[shape.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int rem = i;
            for (int ax = shape.Length - 1; ax >= 0; ax--) { index[ax] = rem % shape[ax]; rem /= shape[ax]; }
            int g = 0;
            for (int ax = 0; ax < shape.Length; ax++) g = g * kept[ax] + (reduced[ax] ? 0 : index[ax]);
            groups[g].Add(x[i]);
        }
        return [.. groups.Select(g => g.ToArray())];
    }

    [Property(MaxTest = 60)]
    public void Softmax_gradients_match_finite_differences_along_any_axis(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        int axis = rng.Next(-shape.Length, shape.Length);
        var x = FiniteDifferences.Uniform(rng, shape, -3, 3);
        FiniteDifferences.Check((_, v) => Ops.Softmax(v[0], axis), [x], seed: seed, what: $"softmax axis {axis}");
    }

    [Property(MaxTest = 60)]
    public void Softmax_sums_to_one_along_its_axis_and_equals_exp_minus_logsumexp(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        int axis = rng.Next(-shape.Length, shape.Length);
        var x = FiniteDifferences.Uniform(rng, shape, -30, 30);
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(x);
        var s = Ops.Softmax(v, axis);
        var sums = Ops.Sum(s, [axis]).Value.ToArray();
        Assert.All(sums, t => Assert.Equal(1.0, t, 1e-5));
        var other = Ops.Exp(Ops.Subtract(v, Ops.LogSumExp(v, [axis], keepDims: true))).Value.ToArray();
        var values = s.Value.ToArray();
        for (int i = 0; i < values.Length; i++) Assert.Equal(other[i], values[i], 1e-5);
    }

    [Fact]
    public void Softmax_and_logsumexp_are_stable_for_large_logits()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(Tensor.FromArray([1000f, 1000f, -1000f, float.NegativeInfinity], [4]));
        Assert.Equal([0.5f, 0.5f, 0f, 0f], Ops.Softmax(v).Value.ToArray());
        Assert.Equal(1000 + Math.Log(2), Ops.LogSumExp(v).Value.ToArray()[0], 1e-3);
        var empty = tape.Constant(Tensor.FromArray([float.NegativeInfinity, float.NegativeInfinity], [2]));
        Assert.Equal(float.NegativeInfinity, Ops.LogSumExp(empty).Value.ToArray()[0]);
    }

    [Fact]
    public void Max_and_min_split_the_gradient_among_ties()
    {
        var tape = new OpTape(TapeMode.Record);
        var x = tape.Constant(Tensor.FromArray([3, 1, 3, 1, 2, 3], [2, 3]));
        var max = Ops.Max(x, [1]);
        var min = Ops.Min(x);
        var g = tape.Gradients([max, min], [Tensor.FromArray([2, 6], [2]), Tensor.FromArray([4], [])], [x]);
        Assert.Equal([1f, 2f, 1f, 2f, 0f, 6f], g[0]!.ToArray());
    }

    [Fact]
    public void Max_of_an_empty_axis_and_a_bad_axis_are_refused_naming_the_op_and_shape()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ShapeError>(() => Ops.Max(tape.Constant(Tensor.Zeros(2, 0)), [1]));
        Assert.Contains("max", e.Message);
        Assert.Contains("(2, 0)", e.Message);
        var bad = Assert.Throws<ShapeError>(() => Ops.Softmax(tape.Constant(Tensor.Zeros(2, 3)), 2));
        Assert.Contains("softmax", bad.Message);
        Assert.Contains("axis 2", bad.Message);
    }
}
