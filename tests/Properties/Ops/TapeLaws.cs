using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>Laws of the tape itself: reuse sums, broadcasting is symmetric, sums of broadcasts count.</summary>
public class TapeLaws
{
    [Property(MaxTest = 60)]
    public void Gradients_of_a_var_used_twice_sum(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng);
        var x = FiniteDifferences.Uniform(rng, shape);
        var w = FiniteDifferences.Uniform(rng, shape);
        // f(x) = tanh(x)·w + x·x: the tape must add both paths of x (and both operands of x·x).
        var tape = new OpTape(TapeMode.Record);
        var vx = tape.Constant(x);
        var vw = tape.Constant(w);
        var y = Ops.Add(Ops.Multiply(Ops.Tanh(vx), vw), Ops.Multiply(vx, vx));
        var g = tape.Gradients([y], [Tensor.Filled(1, shape)], [vx])[0]!.ToArray();
        var xs = x.ToArray();
        var ws = w.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            double t = Math.Tanh(xs[i]);
            Assert.Equal((1 - t * t) * ws[i] + 2 * xs[i], g[i], 1e-4);
        }
        FiniteDifferences.Check((_, v) => Ops.Add(Ops.Multiply(Ops.Tanh(v[0]), v[1]), Ops.Multiply(v[0], v[0])), [x, w], seed: seed);
    }

    [Property(MaxTest = 60)]
    public void Add_and_multiply_commute_under_broadcasting(int seed)
    {
        var rng = new Random(seed);
        var (sa, sb) = OpCases.Broadcastable(rng, FiniteDifferences.Shape(rng));
        var tape = new OpTape(TapeMode.Evaluate);
        var a = tape.Constant(FiniteDifferences.Uniform(rng, sa));
        var b = tape.Constant(FiniteDifferences.Uniform(rng, sb));
        Assert.Equal(Ops.Add(a, b).Value, Ops.Add(b, a).Value);
        Assert.Equal(Ops.Multiply(a, b).Value, Ops.Multiply(b, a).Value);
        Assert.Equal(Ops.Maximum(a, b).Value, Ops.Maximum(b, a).Value);
    }

    [Property(MaxTest = 60)]
    public void Sum_of_a_broadcast_value_is_count_times_value(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng);
        float value = (float)(rng.NextDouble() * 4 - 2);
        var tape = new OpTape(TapeMode.Record);
        var s = tape.Constant(Tensor.FromArray([value], []));
        var zeros = tape.Constant(Tensor.Zeros(shape));
        int count = shape.Aggregate(1, (p, d) => p * d);
        var sum = Ops.Sum(Ops.Add(zeros, s));
        Assert.Equal(count * (double)value, sum.Value.ToArray()[0], 1e-4 * count);
        // And the gradient of that sum with respect to the scalar is the count.
        Assert.Equal(count, tape.Gradients([sum], [Tensor.FromArray([1], [])], [s])[0]!.ToArray()[0]);
    }

    [Fact]
    public void Vars_of_another_tape_are_refused()
    {
        var one = new OpTape(TapeMode.Evaluate);
        var two = new OpTape(TapeMode.Evaluate);
        Assert.Throws<ArgumentException>(() => Ops.Add(one.Scalar(1), two.Scalar(2)));
    }
}
