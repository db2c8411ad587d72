using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Every loss against its closed form in float64 (value), and its gradient against central
/// finite differences of that closed form; crossentropies on logits stay finite and exact at
/// logits of ±1000; bad targets are clear errors.
/// </summary>
public sealed class LossLaws
{
    private const double Eps = 1e-7;

    private static double Clip(double p) => Math.Clamp(p, Eps, 1 - Eps);

    /// <summary>The closed forms: each row's loss, then the mean over rows.</summary>
    private static double ClosedForm(string loss, double[] p, double[] y, int last)
    {
        int rows = p.Length / last;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var pr = p.AsSpan(r * last, last);
            double row = 0;
            switch (loss)
            {
                case "mse": for (int i = 0; i < last; i++) row += Math.Pow(pr[i] - y[r * last + i], 2) / last; break;
                case "mae": for (int i = 0; i < last; i++) row += Math.Abs(pr[i] - y[r * last + i]) / last; break;
                case "huber":
                    for (int i = 0; i < last; i++)
                    {
                        double e = Math.Abs(pr[i] - y[r * last + i]);
                        row += (e <= 1 ? 0.5 * e * e : e - 0.5) / last;
                    }
                    break;
                case "bce":
                    for (int i = 0; i < last; i++)
                    {
                        double q = Clip(pr[i]), t = y[r * last + i];
                        row -= (t * Math.Log(q) + (1 - t) * Math.Log(1 - q)) / last;
                    }
                    break;
                case "bce_logits":
                    for (int i = 0; i < last; i++)
                    {
                        double q = 1 / (1 + Math.Exp(-pr[i])), t = y[r * last + i];
                        row -= (t * Math.Log(q) + (1 - t) * Math.Log(1 - q)) / last;
                    }
                    break;
                case "cce":
                    {
                        double s = 0;
                        for (int i = 0; i < last; i++) s += pr[i];
                        for (int i = 0; i < last; i++) row -= y[r * last + i] * Math.Log(Clip(pr[i] / s));
                        break;
                    }
                case "cce_logits":
                    {
                        double max = double.NegativeInfinity, z = 0;
                        for (int i = 0; i < last; i++) max = Math.Max(max, pr[i]);
                        for (int i = 0; i < last; i++) z += Math.Exp(pr[i] - max);
                        for (int i = 0; i < last; i++) row -= y[r * last + i] * (pr[i] - max - Math.Log(z));
                        break;
                    }
            }
            total += row;
        }
        return total / rows;
    }

    private static Loss Make(string loss) => loss switch
    {
        "mse" => new MeanSquaredError(),
        "mae" => new MeanAbsoluteError(),
        "huber" => new Huber(),
        "bce" => new BinaryCrossentropy(),
        "bce_logits" => new BinaryCrossentropy(FromLogits: true),
        "cce" => new CategoricalCrossentropy(),
        _ => new CategoricalCrossentropy(FromLogits: true),
    };

    private sealed record LossCase(string Loss, float[] P, float[] Y, int Last)
    {
        public override string ToString() => $"{Loss} rows={P.Length / Last} last={Last}";
    }

    private static readonly Gen<LossCase> Cases =
        from loss in Gen.Elements("mse", "mae", "huber", "bce", "bce_logits", "cce", "cce_logits")
        from rows in Gen.Choose(1, 5)
        from last in Gen.Choose(1, 6)
        from seed in Gen.Choose(0, int.MaxValue - 1)
        select MakeCase(loss, rows, last, seed);

    private static LossCase MakeCase(string loss, int rows, int last, int seed)
    {
        var rng = new Random(seed);
        int n = rows * last;
        // Predictions away from kinks (|e| = 0 for mae, 1 for huber) and inside the clip for probabilities.
        float[] p = loss switch
        {
            "bce" => [.. Enumerable.Range(0, n).Select(_ => (float)(0.05 + 0.9 * rng.NextDouble()))],
            "cce" => [.. Enumerable.Range(0, n).Select(_ => (float)(0.05 + rng.NextDouble()))],
            _ => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 6 - 3))],
        };
        float[] y = loss switch
        {
            "cce" or "cce_logits" => OneHotRows(rng, rows, last),
            "bce" or "bce_logits" => [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(2))],
            _ => [.. p.Select(v => v + (rng.Next(2) == 0 ? 1 : -1) * (float)(0.05 + rng.NextDouble() * 0.9 + (rng.Next(2) == 0 ? 1.1 : 0)))],
        };
        return new LossCase(loss, p, y, last);
    }

    private static float[] OneHotRows(Random rng, int rows, int last)
    {
        var y = new float[rows * last];
        for (int r = 0; r < rows; r++) y[r * last + rng.Next(last)] = 1;
        return y;
    }

    [Property(MaxTest = 300)]
    public Property Every_loss_equals_its_closed_form_and_its_gradient_the_finite_differences() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var grad = new float[c.P.Length];
            double got = Make(c.Loss).Compute(c.P, c.Y, c.Last, grad, 2.5f);
            double[] p = [.. c.P.Select(v => (double)v)], y = [.. c.Y.Select(v => (double)v)];
            double want = ClosedForm(c.Loss, p, y, c.Last);
            if (Math.Abs(got - want) > 1e-6 * Math.Max(1, Math.Abs(want))) return false.Label($"{c}: loss {got} vs closed form {want}");
            for (int i = 0; i < p.Length; i++)
            {
                double v = p[i], h = 1e-6;
                p[i] = v + h;
                double plus = ClosedForm(c.Loss, p, y, c.Last);
                p[i] = v - h;
                double minus = ClosedForm(c.Loss, p, y, c.Last);
                p[i] = v;
                double fd = 2.5 * (plus - minus) / (2 * h);
                if (Math.Abs(grad[i] - fd) > 1e-4 * Math.Max(1, Math.Abs(fd))) return false.Label($"{c}: gradient[{i}] {grad[i]} vs finite difference {fd}");
            }
            return true.ToProperty();
        });

    [Theory]
    [InlineData(1000f)]
    [InlineData(-1000f)]
    public void Crossentropy_on_logits_is_finite_and_exact_at_huge_logits(float logit)
    {
        float[] p = [logit, 0f, -logit, 3f];
        float[] y = [0f, 1f, 0f, 0f];
        var grad = new float[4];
        double loss = new CategoricalCrossentropy(FromLogits: true).Compute(p, y, 4, grad, 1f);
        double want = ClosedForm("cce_logits", [.. p.Select(v => (double)v)], [.. y.Select(v => (double)v)], 4);
        Assert.True(double.IsFinite(loss) && Math.Abs(loss - want) <= 1e-9 * Math.Max(1, want), $"{loss} vs {want}");
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
        Assert.Equal(-1f, grad[1], 5); // softmax(p)[1] − 1, with softmax(p)[1] ≈ 0
        var bceGrad = new float[1];
        double bce = new BinaryCrossentropy(FromLogits: true).Compute([logit], [0f], 1, bceGrad, 1f);
        Assert.Equal(Math.Max(logit, 0), bce, 3);
        Assert.Equal(logit > 0 ? 1f : 0f, bceGrad[0], 5);
    }

    [Fact]
    public void Softmax_then_crossentropy_on_saturated_probabilities_stays_finite()
    {
        // The probabilities a softmax of logits ±1000 gives: exact zeros and a one. The clip keeps the loss finite.
        float[] p = [1f, 0f, 0f];
        var grad = new float[3];
        double loss = new CategoricalCrossentropy().Compute(p, [0f, 1f, 0f], 3, grad, 1f);
        Assert.Equal(-Math.Log(Eps), loss, 4);
        Assert.All(grad, g => Assert.True(float.IsFinite(g)));
    }

    [Fact]
    public void Sparse_labels_out_of_range_or_not_whole_are_refused_with_the_sample()
    {
        var loss = new SparseCategoricalCrossentropy();
        var grad = new float[6];
        var high = Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0f, 3f], 3, grad, 1f));
        Assert.Contains("label value of 3 at sample 1", high.Message);
        Assert.Contains("[0, 2]", high.Message);
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [0f, 1.5f], 3, grad, 1f));
        Assert.Throws<ArgumentException>(() => loss.Compute(new float[6], [-1f, 0f], 3, grad, 1f));
    }

    [Fact]
    public void Sparse_crossentropy_equals_categorical_on_one_hot_targets()
    {
        float[] p = [0.2f, 0.5f, 0.3f, 0.6f, 0.1f, 0.3f];
        var g1 = new float[6];
        var g2 = new float[6];
        double sparse = new SparseCategoricalCrossentropy().Compute(p, [1f, 2f], 3, g1, 1f);
        double dense = new CategoricalCrossentropy().Compute(p, [0f, 1f, 0f, 0f, 0f, 1f], 3, g2, 1f);
        Assert.Equal(dense, sparse, 12);
        Assert.Equal(g2, g1);
    }

    [Fact]
    public void Target_shapes_are_checked_per_loss_naming_the_output()
    {
        new MeanSquaredError().CheckShapes(Shape.Batched(3), Shape.Known(8, 3), "head");
        new MeanSquaredError().CheckShapes(Shape.Batched(1), Shape.Known(8), "head");
        new SparseCategoricalCrossentropy().CheckShapes(Shape.Batched(10), Shape.Known(8, 1), "head");
        new SparseCategoricalCrossentropy().CheckShapes(Shape.Batched(10), Shape.Known(8), "head");
        var e = Assert.Throws<ShapeError>(() => new CategoricalCrossentropy().CheckShapes(Shape.Batched(10), Shape.Known(8, 1), "head"));
        Assert.Contains("\"head\"", e.Message);
        Assert.Contains("(None, 10)", e.Message);
        Assert.Contains("(8, 1)", e.Message);
        Assert.Throws<ShapeError>(() => new SparseCategoricalCrossentropy().CheckShapes(Shape.Batched(10), Shape.Known(8, 10), "head"));
    }

    [Theory]
    [InlineData("mse", typeof(MeanSquaredError))]
    [InlineData("mean_squared_error", typeof(MeanSquaredError))]
    [InlineData("meanSquaredError", typeof(MeanSquaredError))]
    [InlineData("mae", typeof(MeanAbsoluteError))]
    [InlineData("binary_crossentropy", typeof(BinaryCrossentropy))]
    [InlineData("categoricalCrossentropy", typeof(CategoricalCrossentropy))]
    [InlineData("sparse_categorical_crossentropy", typeof(SparseCategoricalCrossentropy))]
    [InlineData("huber", typeof(Huber))]
    public void Losses_are_found_by_keras_and_tfjs_names(string name, Type type) => Assert.IsType(type, Loss.Get(name));
}
