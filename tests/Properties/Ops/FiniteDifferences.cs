using System.Globalization;
using System.Text;
using DeepGraph.Core;

// Not "…Properties.Ops": a namespace named Ops would hide DeepGraph.Core.Ops from every test under DeepGraph.Properties.
namespace DeepGraph.Properties.OpLaws;

/// <summary>One gradient entry where the tape and the finite difference disagree.</summary>
/// <param name="Input">Which input.</param>
/// <param name="Index">The flat index in that input.</param>
/// <param name="Analytic">The tape's gradient.</param>
/// <param name="Numeric">The central finite difference.</param>
public sealed record GradientMismatch(int Input, int Index, double Analytic, double Numeric)
{
    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"input {Input}[{Index}]: tape {Analytic:G6}, finite difference {Numeric:G6}");
}

/// <summary>
/// A reusable gradient checker for anything written over ops (an op, a layer's <c>Call</c>, a loss):
/// the gradient <see cref="OpTape.Gradients"/> gives for the scalar L = Σ r ⊙ f(x) (r a seeded random
/// weighting of the outputs) against central finite differences (L(x + h) − L(x − h)) / 2h, with
/// L accumulated in float64 from the float32 outputs. Every float32 input is checked, every value;
/// int32 and bool inputs pass through untouched.
/// </summary>
/// <example><code>
/// FiniteDifferences.Check((tape, x) => Ops.Softmax(x[0], axis: -1), [logits]);
/// </code></example>
public static class FiniteDifferences
{
    /// <summary>
    /// The entries where the tape's gradient of f at <paramref name="inputs"/> and the central difference
    /// differ by more than <paramref name="rtol"/>·max(|tape|, |numeric|) + <paramref name="atol"/>.
    /// </summary>
    /// <param name="f">The function, building its outputs on the tape from one var per input.</param>
    /// <param name="inputs">Where to differentiate: choose points away from kinks (relu at 0, ties).</param>
    /// <param name="step">The step h (absolute); float32 rounding of f over 2h sets the noise floor.</param>
    /// <param name="rtol">Relative tolerance.</param>
    /// <param name="atol">Absolute tolerance, for entries near 0.</param>
    /// <param name="seed">Seed of the output weighting r.</param>
    public static IReadOnlyList<GradientMismatch> Mismatches(Func<OpTape, Var[], IReadOnlyList<Var>> f, IReadOnlyList<Tensor> inputs,
        double step = 1e-2, double rtol = 1e-2, double atol = 1e-3, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        var tape = new OpTape(TapeMode.Record);
        var vars = inputs.Select(tape.Constant).ToArray();
        var outputs = f(tape, vars);
        var rng = new Random(seed);
        var weights = outputs.Select(o => Weighting(rng, o.Shape.ToArray())).ToArray();
        var seeds = weights.Select((w, k) => Tensor.FromArray(Array.ConvertAll(w, v => (float)v), outputs[k].Shape.ToArray())).ToArray();
        var analytic = tape.Gradients(outputs, seeds, vars);

        var mismatches = new List<GradientMismatch>();
        for (int k = 0; k < inputs.Count; k++)
        {
            if (inputs[k].DType != DType.Float32) continue;
            var grad = analytic[k]!.ToArray();
            var point = inputs[k].ToArray();
            for (int i = 0; i < point.Length; i++)
            {
                float x = point[i];
                float up = (float)(x + step), down = (float)(x - step);
                double plus = Loss(f, inputs, k, i, up, weights);
                double minus = Loss(f, inputs, k, i, down, weights);
                double numeric = (plus - minus) / ((double)up - down);
                double a = grad[i];
                if (!(Math.Abs(a - numeric) <= rtol * Math.Max(Math.Abs(a), Math.Abs(numeric)) + atol))
                    mismatches.Add(new GradientMismatch(k, i, a, numeric));
            }
        }
        return mismatches;
    }

    /// <summary>As <see cref="Mismatches"/> for a function of one output.</summary>
    public static IReadOnlyList<GradientMismatch> Mismatches(Func<OpTape, Var[], Var> f, IReadOnlyList<Tensor> inputs,
        double step = 1e-2, double rtol = 1e-2, double atol = 1e-3, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Mismatches((t, x) => [f(t, x)], inputs, step, rtol, atol, seed);
    }

    /// <summary>Fails (with the inputs' shapes and the first mismatches) unless the gradients agree; see <see cref="Mismatches(Func{OpTape, Var[], IReadOnlyList{Var}}, IReadOnlyList{Tensor}, double, double, double, int)"/>.</summary>
    public static void Check(Func<OpTape, Var[], IReadOnlyList<Var>> f, IReadOnlyList<Tensor> inputs,
        double step = 1e-2, double rtol = 1e-2, double atol = 1e-3, int seed = 0, string? what = null)
    {
        var bad = Mismatches(f, inputs, step, rtol, atol, seed);
        if (bad.Count == 0) return;
        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"{what ?? "f"} at inputs of shapes {string.Join(", ", inputs.Select(t => t.Shape))}: {bad.Count} gradient entries differ from finite differences (h={step}, rtol={rtol}, atol={atol}):");
        foreach (var m in bad.Take(8)) message.Append("\n  ").Append(m);
        message.Append("\n inputs: ").Append(string.Join("; ", inputs.Select(t => string.Join(", ", t.ToArray().Take(24).Select(v => v.ToString("G5", CultureInfo.InvariantCulture))))));
        throw new Xunit.Sdk.XunitException(message.ToString());
    }

    /// <summary>As <see cref="Check(Func{OpTape, Var[], IReadOnlyList{Var}}, IReadOnlyList{Tensor}, double, double, double, int, string?)"/> for a function of one output.</summary>
    public static void Check(Func<OpTape, Var[], Var> f, IReadOnlyList<Tensor> inputs,
        double step = 1e-2, double rtol = 1e-2, double atol = 1e-3, int seed = 0, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        Check((t, x) => [f(t, x)], inputs, step, rtol, atol, seed, what);
    }

    /// <summary>L = Σ r ⊙ f(x) in float64, with input <paramref name="k"/>'s value <paramref name="i"/> set to <paramref name="value"/>.</summary>
    private static double Loss(Func<OpTape, Var[], IReadOnlyList<Var>> f, IReadOnlyList<Tensor> inputs, int k, int i, float value, double[][] weights)
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var vars = new Var[inputs.Count];
        for (int j = 0; j < inputs.Count; j++)
        {
            var t = inputs[j];
            if (j == k)
            {
                var data = t.ToArray();
                data[i] = value;
                t = Tensor.FromArray(data, t.Shape.ToArray());
            }
            vars[j] = tape.Constant(t);
        }
        var outputs = f(tape, vars);
        double sum = 0;
        for (int o = 0; o < outputs.Count; o++)
        {
            var y = outputs[o].Value.Span;
            for (int p = 0; p < y.Length; p++) sum += weights[o][p] * y[p];
        }
        return sum;
    }

    /// <summary>Output weights in [−1, −0.25] ∪ [0.25, 1]: every output counts, none cancels by chance.</summary>
    private static double[] Weighting(Random rng, int[] shape)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var w = new double[n];
        for (int i = 0; i < n; i++) w[i] = (0.25 + 0.75 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1);
        return w;
    }

    /// <summary>A float32 tensor of <paramref name="shape"/> with values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static Tensor Uniform(Random rng, int[] shape, double low = -2, double high = 2)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(shape);
        int n = shape.Aggregate(1, (p, d) => p * d);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)(low + (high - low) * rng.NextDouble());
        return Tensor.FromArray(data, shape);
    }

    /// <summary>
    /// A float32 tensor of <paramref name="shape"/> with values in ±[<paramref name="away"/>, <paramref name="high"/>):
    /// at least <paramref name="away"/> from 0, for functions with a kink there (relu, abs).
    /// </summary>
    public static Tensor AwayFromZero(Random rng, int[] shape, double away = 0.1, double high = 2)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(shape);
        int n = shape.Aggregate(1, (p, d) => p * d);
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)((away + (high - away) * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
        return Tensor.FromArray(data, shape);
    }

    /// <summary>
    /// A float32 tensor of <paramref name="shape"/> whose values are distinct and at least <paramref name="gap"/>
    /// apart (a shuffled, jittered ramp): no ties for max/min, no near-ties for a finite step to cross.
    /// </summary>
    public static Tensor Distinct(Random rng, int[] shape, double gap = 0.1)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(shape);
        int n = shape.Aggregate(1, (p, d) => p * d);
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var data = new float[n];
        for (int i = 0; i < n; i++) data[i] = (float)((order[i] - n / 2.0) * gap * 1.5 + rng.NextDouble() * gap * 0.5);
        return Tensor.FromArray(data, shape);
    }

    /// <summary>A random shape of rank in [<paramref name="minRank"/>, <paramref name="maxRank"/>] with dimensions in [1, <paramref name="maxDim"/>].</summary>
    public static int[] Shape(Random rng, int minRank = 0, int maxRank = 3, int maxDim = 4)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var dims = new int[rng.Next(minRank, maxRank + 1)];
        for (int i = 0; i < dims.Length; i++) dims[i] = rng.Next(1, maxDim + 1);
        return dims;
    }
}
