using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// The elementwise ops' gradients from the tape equal central finite differences (float64 sums of
/// float32 values) on random small shapes, at points away from each op's kinks and poles; binary ops
/// on random broadcastable shapes.
/// </summary>
public class ArithmeticGradients
{
    /// <summary>A unary op and where to test it.</summary>
    public sealed record UnaryCase(string Name, Func<Var, Var> Op, Func<Random, int[], Tensor> Input);

    private static Tensor Any(Random r, int[] s) => FiniteDifferences.Uniform(r, s);
    private static Tensor Positive(Random r, int[] s) => FiniteDifferences.Uniform(r, s, 0.3, 3);
    private static Tensor NonZero(Random r, int[] s) => FiniteDifferences.AwayFromZero(r, s);

    /// <summary>Every unary float op with an input domain away from its kinks.</summary>
    public static readonly UnaryCase[] Unary =
    [
        new("negate", Ops.Negate, Any),
        new("exp", Ops.Exp, Any),
        new("tanh", Ops.Tanh, Any),
        new("sqrt", Ops.Sqrt, Positive),
        new("rsqrt", Ops.Rsqrt, Positive),
        new("square", Ops.Square, Any),
        new("log", Ops.Log, Positive),
        new("abs", Ops.Abs, NonZero),
        new("pow 3", x => Ops.Pow(x, 3f), Any),
        new("pow 2.5", x => Ops.Pow(x, 2.5f), Positive),
        new("pow -1.5", x => Ops.Pow(x, -1.5f), Positive),
        new("pow 0", x => Ops.Pow(x, 0f), Any),
        new("sigmoid", Ops.Sigmoid, Any),
        new("relu", Ops.Relu, NonZero),
    ];

    /// <summary>Names of <see cref="Unary"/>, for theories.</summary>
    public static TheoryData<string> UnaryNames() => [.. Unary.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(UnaryNames))]
    public void Unary_gradients_match_finite_differences(string name)
    {
        var c = Unary.Single(u => u.Name == name);
        for (int seed = 0; seed < 25; seed++)
        {
            var rng = new Random(seed);
            var x = c.Input(rng, FiniteDifferences.Shape(rng));
            FiniteDifferences.Check((_, v) => c.Op(v[0]), [x], seed: seed, what: name);
        }
    }

    /// <summary>A binary op and where to test it.</summary>
    public sealed record BinaryCase(string Name, Func<Var, Var, Var> Op, Func<Random, int[], Tensor> A, Func<Random, int[], Tensor> B);

    /// <summary>Every binary float op; maximum and minimum on distinct values (no ties within a step).</summary>
    public static readonly BinaryCase[] Binary =
    [
        new("add", Ops.Add, Any, Any),
        new("subtract", Ops.Subtract, Any, Any),
        new("multiply", Ops.Multiply, Any, Any),
        new("divide", Ops.Divide, Any, NonZero),
        new("maximum", Ops.Maximum, (r, s) => FiniteDifferences.Distinct(r, s), (r, s) => FiniteDifferences.Distinct(r, s, 0.13)),
        new("minimum", Ops.Minimum, (r, s) => FiniteDifferences.Distinct(r, s), (r, s) => FiniteDifferences.Distinct(r, s, 0.13)),
    ];

    /// <summary>Names of <see cref="Binary"/>, for properties.</summary>
    public static TheoryData<string> BinaryNames() => [.. Binary.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(BinaryNames))]
    public void Binary_gradients_match_finite_differences_under_broadcasting(string name)
    {
        var c = Binary.Single(u => u.Name == name);
        for (int seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            var (sa, sb) = OpCases.Broadcastable(rng, FiniteDifferences.Shape(rng));
            var a = c.A(rng, sa);
            var b = c.B(rng, sb);
            if (name is "maximum" or "minimum" && Array.Exists(a.ToArray(), x => Array.Exists(b.ToArray(), y => Math.Abs(x - y) < 0.03))) continue;
            FiniteDifferences.Check((_, v) => c.Op(v[0], v[1]), [a, b], seed: seed, what: $"{name} of {a.Shape} and {b.Shape}");
        }
    }

    [Property(MaxTest = 100)]
    public void Binary_ops_values_equal_the_float64_elementwise_result_under_broadcasting(int seed)
    {
        var rng = new Random(seed);
        var (sa, sb) = OpCases.Broadcastable(rng, FiniteDifferences.Shape(rng));
        var a = FiniteDifferences.Uniform(rng, sa);
        var b = FiniteDifferences.AwayFromZero(rng, sb);
        var shape = OpCases.Broadcast(sa, sb);
        var tape = new OpTape(TapeMode.Evaluate);
        var (va, vb) = (tape.Constant(a), tape.Constant(b));
        var pairs = new (Func<Var, Var, Var> Op, Func<double, double, double> F)[]
        {
            (Ops.Add, (x, y) => x + y), (Ops.Subtract, (x, y) => x - y), (Ops.Multiply, (x, y) => x * y),
            (Ops.Divide, (x, y) => x / y), (Ops.Maximum, Math.Max), (Ops.Minimum, Math.Min),
        };
        var ea = Expand(a, shape);
        var eb = Expand(b, shape);
        foreach (var (op, f) in pairs)
        {
            var r = op(va, vb).Value;
            Assert.Equal(shape, r.Shape.ToArray());
            var values = r.ToArray();
            for (int i = 0; i < values.Length; i++)
                Assert.Equal(f(ea[i], eb[i]), values[i], 1e-5 * Math.Max(1, Math.Abs(f(ea[i], eb[i]))));
        }
    }

    /// <summary>Reference broadcasting by index arithmetic, independent of the library's.</summary>
    internal static double[] Expand(Tensor t, int[] shape)
    {
        var src = t.ToArray();
        var dims = t.Shape.ToArray();
        int n = shape.Aggregate(1, (p, d) => p * d);
        var r = new double[n];
        var index = new int[shape.Length];
        for (int i = 0; i < n; i++)
        {
            int rem = i;
            for (int ax = shape.Length - 1; ax >= 0; ax--) { index[ax] = rem % shape[ax]; rem /= shape[ax]; }
            int offset = 0;
            for (int ax = 0; ax < dims.Length; ax++)
            {
                int j = index[ax + shape.Length - dims.Length];
                offset = offset * dims[ax] + (dims[ax] == 1 ? 0 : j);
            }
            r[i] = src[offset];
        }
        return r;
    }

    [Fact]
    public void Maximum_and_minimum_give_a_tie_to_the_first_operand()
    {
        var tape = new OpTape(TapeMode.Record);
        var a = tape.Constant(Tensor.FromArray([1, 2, 3], [3]));
        var b = tape.Constant(Tensor.FromArray([1, 5, 0], [3]));
        var max = Ops.Maximum(a, b);
        var min = Ops.Minimum(a, b);
        var g = tape.Gradients([max, min], [Tensor.FromArray([1, 1, 1], [3]), Tensor.FromArray([10, 10, 10], [3])], [a, b]);
        Assert.Equal([11f, 10f, 1f], g[0]!.ToArray());
        Assert.Equal([0f, 1f, 10f], g[1]!.ToArray());
    }

    [Fact]
    public void Relu_and_abs_have_gradient_zero_at_zero()
    {
        var tape = new OpTape(TapeMode.Record);
        var x = tape.Constant(Tensor.FromArray([0f, -1f, 2f], [3]));
        var g = tape.Gradients([Ops.Relu(x), Ops.Abs(x)], [Tensor.Filled(1, 3), Tensor.Filled(1, 3)], [x]);
        Assert.Equal([0f, -1f, 2f], g[0]!.ToArray());
    }

    [Fact]
    public void Pow_refuses_a_NaN_exponent_naming_the_op()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ArgumentException>(() => Ops.Pow(tape.Scalar(2), float.NaN));
        Assert.Contains("pow", e.Message);
    }

    [Fact]
    public void Float_ops_refuse_int_operands_naming_the_op()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var i = tape.Constant(Tensor.FromInts([1, 2], [2]));
        foreach (var c in Unary)
        {
            var e = Assert.Throws<ArgumentException>(() => c.Op(i));
            Assert.Contains("int32", e.Message);
        }
        Assert.Throws<ArgumentException>(() => Ops.Maximum(i, tape.Scalar(1)));
    }
}
