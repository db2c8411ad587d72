using DeepGraph.Core;
using DeepGraph.Numerics;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// Every Keras activation as an op: gradients against finite differences away from the kinks, values
/// bit for bit those of <see cref="Activate"/> where it has the name, and float64 references for the others.
/// </summary>
public class ActivationOps
{
    /// <summary>Where some activation has a kink or a jump in its derivative.</summary>
    private static readonly float[] Kinks = [0f, 0.5f, -0.5f, 1f, -1f, 2.5f, -2.5f, 3f, -3f, 6f];

    private static Tensor AwayFromKinks(Random rng, int[] shape)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var data = new float[n];
        for (int i = 0; i < n; i++)
        {
            float v;
            do v = (float)(rng.NextDouble() * 9 - 4); while (Kinks.Any(k => Math.Abs(v - k) < 0.05));
            data[i] = v;
        }
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Every name the entry point accepts.</summary>
    public static TheoryData<string> Names() => [.. Ops.ActivationNames];

    [Theory]
    [MemberData(nameof(Names))]
    public void Activation_gradients_match_finite_differences(string name)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var rng = new Random(seed);
            var shape = FiniteDifferences.Shape(rng, 1);
            if (name == "glu") shape[^1] *= 2;
            var x = AwayFromKinks(rng, shape);
            FiniteDifferences.Check((_, v) => Ops.Activation(v[0], name), [x], seed: seed, what: name);
        }
    }

    [Fact]
    public void The_other_forms_gradients_match_finite_differences()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var rng = new Random(seed);
            var shape = FiniteDifferences.Shape(rng, 1);
            var x = AwayFromKinks(rng, shape);
            FiniteDifferences.Check((_, v) => Ops.Gelu(v[0], approximate: true), [x], seed: seed, what: "gelu approximate");
            FiniteDifferences.Check((_, v) => Ops.HardSigmoid(v[0], keras2: false), [x], seed: seed, what: "hard_sigmoid keras 3");
            FiniteDifferences.Check((_, v) => Ops.LeakyRelu(v[0], 0.3f), [x], seed: seed, what: "leaky_relu 0.3");
            FiniteDifferences.Check((_, v) => Ops.Celu(v[0], 2f), [x], seed: seed, what: "celu 2");
            FiniteDifferences.Check((_, v) => Ops.Squareplus(v[0], 1f), [x], seed: seed, what: "squareplus 1");
            int axis = rng.Next(shape.Length);
            FiniteDifferences.Check((_, v) => Ops.LogSoftmax(v[0], axis), [x], seed: seed, what: $"log_softmax axis {axis}");
        }
    }

    [Property(MaxTest = 40)]
    public void Shared_names_equal_the_Activate_kernel_bit_for_bit(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        var x = FiniteDifferences.Uniform(rng, shape, -8, 8);
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(x);
        foreach (var name in Activations.Names)
        {
            var expected = x.ToArray();
            Activate.InPlace(name, expected, shape[^1]);
            Assert.True(expected.AsSpan().SequenceEqual(Ops.Activation(v, name).Value.ToArray()), $"{name} differs from Activate.InPlace at shape ({string.Join(", ", shape)})");
        }
    }

    /// <summary>The Keras 3 definitions, in float64.</summary>
    private static readonly (string Name, Func<double, double> F)[] References =
    [
        ("mish", v => v * Math.Tanh(Math.Log(1 + Math.Exp(v)))),
        ("hard_silu", v => v * Math.Clamp(v + 3, 0, 6) / 6),
        ("hard_swish", v => v * Math.Clamp(v + 3, 0, 6) / 6),
        ("log_sigmoid", v => -Math.Log(1 + Math.Exp(-v))),
        ("celu", v => v >= 0 ? v : Math.Exp(v) - 1),
        ("hard_tanh", v => Math.Clamp(v, -1, 1)),
        ("hard_shrink", v => Math.Abs(v) > 0.5 ? v : 0),
        ("soft_shrink", v => v > 0.5 ? v - 0.5 : v < -0.5 ? v + 0.5 : 0),
        ("tanh_shrink", v => v - Math.Tanh(v)),
        ("squareplus", v => (v + Math.Sqrt(v * v + 4)) / 2),
        ("sparse_plus", v => v <= -1 ? 0 : v >= 1 ? v : (v + 1) * (v + 1) / 4),
        ("sparse_sigmoid", v => v <= -1 ? 0 : v >= 1 ? 1 : (v + 1) / 2),
        ("leaky_relu", v => v < 0 ? 0.2 * v : v),
        ("hard_sigmoid", v => Math.Clamp(0.2 * v + 0.5, 0, 1)),
        ("hard_sigmoid_keras3", v => Math.Clamp(v + 3, 0, 6) / 6),
        ("hard_sigmoid_keras2", v => Math.Clamp(0.2 * v + 0.5, 0, 1)),
    ];

    [Property(MaxTest = 40)]
    public void Keras_3_names_equal_their_float64_definitions(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        var x = FiniteDifferences.Uniform(rng, shape, -6, 6);
        var tape = new OpTape(TapeMode.Evaluate);
        var v = tape.Constant(x);
        var xs = OpCases.Wide(x);
        foreach (var (name, f) in References)
        {
            var y = Ops.Activation(v, name).Value.ToArray();
            for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(f(xs[i]) - y[i]) <= 1e-5 * Math.Max(1, Math.Abs(f(xs[i]))), $"{name}({xs[i]}) = {y[i]}, expected {f(xs[i])}");
        }
        var k3 = Ops.HardSigmoid(v, keras2: false).Value.ToArray();
        var gelu = Ops.Gelu(v, approximate: true).Value.ToArray();
        var logSoftmax = Ops.Activation(v, "log_softmax").Value.ToArray();
        var softmax = Ops.Activation(v, "softmax").Value.ToArray();
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(Math.Clamp(xs[i] + 3, 0, 6) / 6, k3[i], 1e-6);
            Assert.Equal(0.5 * xs[i] * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (xs[i] + 0.044715 * Math.Pow(xs[i], 3)))), gelu[i], 1e-5);
            Assert.Equal(Math.Log(softmax[i]), logSoftmax[i], 1e-4);
        }
    }

    [Fact]
    public void Glu_gates_the_first_half_by_the_sigmoid_of_the_second()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var y = Ops.Activation(tape.Constant(Tensor.FromArray([1, 2, 0, 100, 3, 4, -100, 0], [2, 4])), "glu").Value.ToArray();
        Assert.Equal([0.5, 2, 0, 2], y.Select(v => Math.Round(v, 5)));
    }

    [Fact]
    public void Names_are_read_as_Keras_and_TensorFlow_js_write_them_and_unknown_ones_refused()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var x = tape.Constant(Tensor.FromArray([-1f, 2f], [2]));
        Assert.Same(x, Ops.Activation(x, (string?)null));
        Assert.Same(x, Ops.Activation(x, "linear"));
        Assert.Equal(Ops.Activation(x, "leaky_relu").Value, Ops.Activation(x, "leakyRelu").Value);
        Assert.Equal(Ops.Activation(x, "hard_silu").Value, Ops.Activation(x, "hardSwish").Value);
        Assert.Equal([-0.2f, 2f], Ops.Activation(x, "leaky_relu").Value.ToArray());
        var e = Assert.Throws<ArgumentException>(() => Ops.Activation(x, "sparkle"));
        Assert.Contains("sparkle", e.Message);
        Assert.Contains("mish", e.Message);
        Assert.Contains("(2,)", e.Message);
        Assert.Throws<ArgumentException>(() => Ops.LeakyRelu(x, float.NaN));
        Assert.Throws<ArgumentException>(() => Ops.Celu(x, 0));
        Assert.Throws<ShapeError>(() => Ops.Glu(tape.Constant(Tensor.Zeros(2, 3))));
    }
}
