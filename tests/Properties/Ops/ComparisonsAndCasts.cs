using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>Comparisons give bool tensors equal to the float64 comparison and no gradient; casts follow tf.cast.</summary>
public class ComparisonsAndCasts
{
    private static readonly (string Name, Func<Var, Var, Var> Op, Func<double, double, bool> F)[] Comparisons =
    [
        ("equal", Ops.Equal, (x, y) => x == y), ("not_equal", Ops.NotEqual, (x, y) => x != y),
        ("less", Ops.Less, (x, y) => x < y), ("less_equal", Ops.LessEqual, (x, y) => x <= y),
        ("greater", Ops.Greater, (x, y) => x > y), ("greater_equal", Ops.GreaterEqual, (x, y) => x >= y),
    ];

    [Property(MaxTest = 60)]
    public void Comparisons_equal_the_float64_comparison_under_broadcasting_for_floats_and_ints(int seed)
    {
        var rng = new Random(seed);
        var (sa, sb) = OpCases.Broadcastable(rng, FiniteDifferences.Shape(rng));
        var shape = OpCases.Broadcast(sa, sb);
        bool ints = rng.Next(2) == 0;
        // Few distinct values, so equality happens.
        Tensor Draw(int[] s) => ints ? OpCases.Indices(rng, s, 3) : Tensor.FromArray(Array.ConvertAll(OpCases.Indices(rng, s, 3).ToArray(), v => v * 0.5f), s);
        var a = Draw(sa);
        var b = Draw(sb);
        var tape = new OpTape(TapeMode.Record);
        var (va, vb) = (tape.Constant(a), tape.Constant(b));
        var (ea, eb) = (ArithmeticGradients.Expand(Tensor.FromArray(a.ToArray(), sa), shape), ArithmeticGradients.Expand(Tensor.FromArray(b.ToArray(), sb), shape));
        foreach (var (name, op, f) in Comparisons)
        {
            var r = op(va, vb);
            Assert.Equal(DType.Bool, r.DType);
            Assert.Equal(shape, r.Shape.ToArray());
            var bits = r.Value.ToIntArray();
            for (int i = 0; i < bits.Length; i++) Assert.True(bits[i] == (f(ea[i], eb[i]) ? 1 : 0), $"{name}({ea[i]}, {eb[i]}) gave {bits[i]}");
        }
        if (!ints)
        {
            // A comparison passes no gradient: d/da Σ where(a > b, 1, 0)·a is just the mask.
            var mask = Ops.Greater(va, vb);
            var y = Ops.Multiply(Ops.Cast(mask, DType.Float32), va);
            var g = tape.Gradients([y], [Tensor.Filled(1, shape)], [va])[0]!.ToArray();
            var expected = new double[a.Length];
            var gt = Ops.Greater(va, vb).Value.ToIntArray();
            var grid = ArithmeticGradients.Expand(Tensor.FromArray([.. Enumerable.Range(0, a.Length).Select(i => (float)i)], sa), shape);
            for (int i = 0; i < gt.Length; i++) expected[(int)grid[i]] += gt[i];
            Assert.Equal(expected.Select(v => (float)v), g);
        }
    }

    [Fact]
    public void Comparisons_refuse_mixed_dtypes_naming_both()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ArgumentException>(() => Ops.Less(tape.Scalar(1), tape.Constant(Tensor.FromInts([1], [1]))));
        Assert.Contains("float32", e.Message);
        Assert.Contains("int32", e.Message);
        Assert.Contains("less", e.Message);
    }

    [Fact]
    public void Cast_truncates_toward_zero_saturates_and_maps_NaN_to_zero_as_documented()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var x = tape.Constant(Tensor.FromArray([2.7f, -2.7f, 0.5f, -0.5f, 3e9f, -3e9f, float.NaN, 0f], [8]));
        Assert.Equal([2, -2, 0, 0, int.MaxValue, int.MinValue, 0, 0], Ops.Cast(x, DType.Int32).Value.ToIntArray());
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 0], Ops.Cast(x, DType.Bool).Value.ToIntArray());
        var i = tape.Constant(Tensor.FromInts([-3, 0, 7], [3]));
        Assert.Equal([-3f, 0f, 7f], Ops.Cast(i, DType.Float32).Value.ToArray());
        Assert.Equal([1, 0, 1], Ops.Cast(i, DType.Bool).Value.ToIntArray());
        var b = tape.Constant(Tensor.FromBools([true, false], [2]));
        Assert.Equal([1, 0], Ops.Cast(b, DType.Int32).Value.ToIntArray());
        Assert.Equal(DType.Int32, Ops.Cast(b, DType.Int32).DType);
        Assert.Equal([1f, 0f], Ops.Cast(b, DType.Float32).Value.ToArray());
    }

    [Property(MaxTest = 60)]
    public void Cast_round_trips_integral_floats_and_passes_no_gradient_through_ints(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng);
        var ints = OpCases.Indices(rng, shape, 1000);
        var tape = new OpTape(TapeMode.Record);
        var i = tape.Constant(ints);
        var f = Ops.Cast(i, DType.Float32);
        Assert.Equal(ints, Ops.Cast(f, DType.Int32).Value);
        var x = tape.Constant(FiniteDifferences.Uniform(rng, shape));
        Assert.Same(x, Ops.Cast(x, DType.Float32));
        var through = Ops.Add(Ops.Cast(Ops.Cast(x, DType.Int32), DType.Float32), x);
        var g = tape.Gradients([through], [Tensor.Filled(1, shape)], [x, i]);
        Assert.All(g[0]!.ToArray(), v => Assert.Equal(1f, v));
        Assert.Null(g[1]);
    }
}
