using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Keras's other losses (log-cosh, KL divergence, the hinges, Poisson, MAPE, MSLE, cosine similarity,
/// label smoothing), each against Keras's documented formula written here in float64, with and
/// without sample weights (Keras's <c>sum_over_batch_size</c>: Σ w·L / rows), and the gradient
/// against central finite differences of that formula.
/// </summary>
public sealed class KerasLossLaws
{
    private const double Eps = 1e-7;

    /// <summary>Keras's formula for one row (<paramref name="p"/>, <paramref name="y"/> of one position).</summary>
    private static double Row(string loss, double[] p, double[] y)
    {
        int n = p.Length;
        double Mean(Func<int, double> f) => Enumerable.Range(0, n).Sum(f) / n;
        switch (loss)
        {
            case "log_cosh": return Mean(i => Math.Log(Math.Cosh(p[i] - y[i])));
            case "kld": return Enumerable.Range(0, n).Sum(i => Math.Clamp(y[i], Eps, 1) * Math.Log(Math.Clamp(y[i], Eps, 1) / Math.Clamp(p[i], Eps, 1)));
            case "hinge": return Mean(i => Math.Max(1 - y[i] * p[i], 0));
            case "squared_hinge": return Mean(i => Math.Pow(Math.Max(1 - y[i] * p[i], 0), 2));
            case "categorical_hinge":
                {
                    double pos = Enumerable.Range(0, n).Sum(i => y[i] * p[i]);
                    double neg = Enumerable.Range(0, n).Max(i => (1 - y[i]) * p[i]);
                    return Math.Max(neg - pos + 1, 0);
                }
            case "poisson": return Mean(i => p[i] - y[i] * Math.Log(p[i] + Eps));
            case "mape": return 100 * Mean(i => Math.Abs((y[i] - p[i]) / Math.Max(Math.Abs(y[i]), Eps)));
            case "msle": return Mean(i => Math.Pow(Math.Log(Math.Max(p[i], Eps) + 1) - Math.Log(Math.Max(y[i], Eps) + 1), 2));
            case "cosine_similarity":
                {
                    double np = Math.Max(Math.Sqrt(p.Sum(v => v * v)), Eps), ny = Math.Max(Math.Sqrt(y.Sum(v => v * v)), Eps);
                    return -Enumerable.Range(0, n).Sum(i => p[i] / np * (y[i] / ny));
                }
            case "bce_smooth":
                return Mean(i =>
                {
                    double t = y[i] * 0.8 + 0.1, q = Math.Clamp(p[i], Eps, 1 - Eps);
                    return -(t * Math.Log(q) + (1 - t) * Math.Log(1 - q));
                });
            case "cce_smooth":
                {
                    double max = p.Max(), z = p.Sum(v => Math.Exp(v - max));
                    return -Enumerable.Range(0, n).Sum(i => (y[i] * 0.7 + 0.3 / n) * (p[i] - max - Math.Log(z)));
                }
            default: throw new ArgumentException(loss);
        }
    }

    private static Loss Make(string loss) => loss switch
    {
        "log_cosh" => new LogCosh(),
        "kld" => new KLDivergence(),
        "hinge" => new Hinge(),
        "squared_hinge" => new SquaredHinge(),
        "categorical_hinge" => new CategoricalHinge(),
        "poisson" => new Poisson(),
        "mape" => new MeanAbsolutePercentageError(),
        "msle" => new MeanSquaredLogarithmicError(),
        "cosine_similarity" => new CosineSimilarity(),
        "bce_smooth" => new BinaryCrossentropy(LabelSmoothing: 0.2),
        _ => new CategoricalCrossentropy(FromLogits: true, LabelSmoothing: 0.3),
    };

    private sealed record Case(string Loss, float[] P, float[] Y, float[] W, int Last)
    {
        public override string ToString() => $"{Loss} rows={P.Length / Last} last={Last} weights=[{string.Join(", ", W)}]";
    }

    private static readonly Gen<Case> Cases =
        from loss in Gen.Elements("log_cosh", "kld", "hinge", "squared_hinge", "categorical_hinge", "poisson", "mape", "msle", "cosine_similarity", "bce_smooth", "cce_smooth")
        from rows in Gen.Choose(1, 5)
        from last in Gen.Choose(2, 5)
        from seed in Gen.Choose(0, int.MaxValue - 1)
        select MakeCase(loss, rows, last, seed);

    private static Case MakeCase(string loss, int rows, int last, int seed)
    {
        var rng = new Random(seed);
        int n = rows * last;
        float U(double lo, double hi) => (float)(lo + (hi - lo) * rng.NextDouble());
        float[] p, y;
        switch (loss)
        {
            case "kld":
            case "poisson":
            case "bce_smooth":
                p = [.. Enumerable.Range(0, n).Select(_ => U(0.05, 0.95))];
                y = loss == "bce_smooth" ? [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(2))] : [.. Enumerable.Range(0, n).Select(_ => U(0.05, 0.95))];
                break;
            case "hinge":
            case "squared_hinge":
                // ±1 labels, predictions away from the kink y·ŷ = 1.
                y = [.. Enumerable.Range(0, n).Select(_ => rng.Next(2) == 0 ? -1f : 1f)];
                p = [.. y.Select(t => t * (rng.Next(2) == 0 ? U(-1.5, 0.8) : U(1.2, 2)))];
                break;
            case "categorical_hinge":
            case "cce_smooth":
                y = new float[n];
                for (int r = 0; r < rows; r++) y[r * last + rng.Next(last)] = 1;
                // Each row its own shuffle of the ramp −0.5 + 0.37·k ± 0.05: scores at least 0.27 apart (no tie for the
                // largest negative score) and none near the true class's 0, and pos − neg, within 0.1 of a multiple of
                // 0.37, never within 0.01 of categorical hinge's kink at 1: no finite difference of step 1e-6 crosses one.
                p = [.. Enumerable.Range(0, n).Select(i => (float)(i % last) * 0.37f + U(-0.05, 0.05) - 0.5f)];
                for (int r = 0; r < rows; r++) rng.Shuffle(p.AsSpan(r * last, last));
                break;
            case "mape":
                y = [.. Enumerable.Range(0, n).Select(_ => (rng.Next(2) == 0 ? -1 : 1) * U(0.5, 3))];
                p = [.. y.Select(t => t + (rng.Next(2) == 0 ? -1 : 1) * U(0.1, 1))];
                break;
            case "msle":
                y = [.. Enumerable.Range(0, n).Select(_ => U(0.1, 5))];
                p = [.. Enumerable.Range(0, n).Select(_ => U(0.1, 5))];
                break;
            default:
                y = [.. Enumerable.Range(0, n).Select(_ => U(-2, 2))];
                p = [.. Enumerable.Range(0, n).Select(_ => U(-2, 2))];
                break;
        }
        float[] w = rng.Next(3) == 0 ? [] : [.. Enumerable.Range(0, rows).Select(_ => U(0, 3))];
        return new Case(loss, p, y, w, last);
    }

    /// <summary>Keras's reduction of the rows' losses: Σ w_r·L_r / rows (weights 1 when none are given).</summary>
    private static double Reduced(Case c, double[] p)
    {
        int rows = p.Length / c.Last;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            double w = c.W.Length == 0 ? 1 : c.W[r];
            total += w * Row(c.Loss, p[(r * c.Last)..((r + 1) * c.Last)], [.. c.Y.Skip(r * c.Last).Take(c.Last).Select(v => (double)v)]);
        }
        return total / rows;
    }

    [Property(MaxTest = 400)]
    public Property Every_loss_equals_Keras_formula_reduced_over_the_batch_and_its_gradient_the_finite_differences() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var grad = new float[c.P.Length];
            double got = Make(c.Loss).Compute(c.P, c.Y, c.Last, grad, 1.5f, c.W);
            double[] p = [.. c.P.Select(v => (double)v)];
            double want = Reduced(c, p);
            if (Math.Abs(got - want) > 1e-6 * Math.Max(1, Math.Abs(want))) return false.Label($"{c}: loss {got} vs formula {want}");
            for (int i = 0; i < p.Length; i++)
            {
                double v = p[i], h = 1e-6;
                p[i] = v + h;
                double plus = Reduced(c, p);
                p[i] = v - h;
                double minus = Reduced(c, p);
                p[i] = v;
                double fd = 1.5 * (plus - minus) / (2 * h);
                if (Math.Abs(grad[i] - fd) > 1e-4 * Math.Max(1, Math.Abs(fd))) return false.Label($"{c}: gradient[{i}] {grad[i]} vs finite difference {fd}");
            }
            return true.ToProperty();
        });

    [Fact]
    public void Hinge_takes_0_1_labels_as_minus_1_and_1_when_every_label_of_the_batch_is_0_or_1()
    {
        float[] p = [0.3f, -0.4f, 2f];
        var g = new float[3];
        double binary = new Hinge().Compute(p, [1f, 0f, 1f], 1, g, 1f);
        double signed = new Hinge().Compute(p, [1f, -1f, 1f], 1, g, 1f);
        Assert.Equal(signed, binary, 12);
        Assert.Equal((0.7 + 0.6 + 0) / 3, binary, 6);
    }

    [Fact]
    public void Sample_weighted_loss_is_the_weighted_sum_over_the_batch_size_not_over_the_weights()
    {
        // mse rows: (1−0)² = 1, (3−1)² = 4, (0−0)² = 0; weights 2, 0.5, 0 → (2·1 + 0.5·4 + 0·0) / 3.
        var g = new float[3];
        double loss = new Core.MeanSquaredError().Compute([1f, 3f, 0f], [0f, 1f, 0f], 1, g, 1f, [2f, 0.5f, 0f]);
        Assert.Equal(4.0 / 3, loss, 12);
        Assert.Equal([2 * 2 * 1 / 3f, 2 * 0.5f * 2 / 3f, 0f], g);
    }

    [Theory]
    [InlineData("log_cosh", typeof(LogCosh))]
    [InlineData("logcosh", typeof(LogCosh))]
    [InlineData("kld", typeof(KLDivergence))]
    [InlineData("kl_divergence", typeof(KLDivergence))]
    [InlineData("KLDivergence", typeof(KLDivergence))]
    [InlineData("hinge", typeof(Hinge))]
    [InlineData("squared_hinge", typeof(SquaredHinge))]
    [InlineData("categorical_hinge", typeof(CategoricalHinge))]
    [InlineData("poisson", typeof(Poisson))]
    [InlineData("mape", typeof(MeanAbsolutePercentageError))]
    [InlineData("mean_absolute_percentage_error", typeof(MeanAbsolutePercentageError))]
    [InlineData("msle", typeof(MeanSquaredLogarithmicError))]
    [InlineData("cosine_similarity", typeof(CosineSimilarity))]
    [InlineData("huber", typeof(Huber))]
    [InlineData("meanSquaredError", typeof(Core.MeanSquaredError))]
    public void Losses_are_found_by_Keras_names(string name, Type type) => Assert.IsType(type, Loss.Get(name));

    [Property(MaxTest = 200)]
    public Property Weights_of_1_give_the_unweighted_loss_and_the_loss_is_linear_in_the_weights() =>
        Prop.ForAll(Cases.ToArbitrary(), Gen.Choose(1, 40).ToArbitrary(), (c, tenths) =>
        {
            var loss = Make(c.Loss);
            int rows = c.P.Length / c.Last;
            float k = tenths / 10f;
            float[] ones = [.. Enumerable.Repeat(1f, rows)];
            float[] w = c.W.Length == 0 ? ones : c.W;
            float[] scaled = [.. w.Select(v => v * k)];
            var g0 = new float[c.P.Length];
            var g1 = new float[c.P.Length];
            var g2 = new float[c.P.Length];
            var g3 = new float[c.P.Length];
            double plain = loss.Compute(c.P, c.Y, c.Last, g0, 1f);
            double unit = loss.Compute(c.P, c.Y, c.Last, g1, 1f, ones);
            double weighted = loss.Compute(c.P, c.Y, c.Last, g2, 1f, w);
            double times = loss.Compute(c.P, c.Y, c.Last, g3, 1f, scaled);
            bool close(double a, double b) => Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(b));
            return (close(unit, plain) && close(times, k * weighted)
                && g0.Zip(g1).All(p => close(p.First, p.Second)) && g2.Zip(g3).All(p => close(p.Second, k * p.First)))
                .Label($"{c} k={k}: plain {plain}, weights 1 {unit}, weighted {weighted}, ×k {times}");
        });
}
