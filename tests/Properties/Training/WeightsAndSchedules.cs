using DeepGraph.Core;
using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;
using Model = DeepGraph.Keras.Model;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Sample and class weights as Keras applies them (loss: Σ w·L / batch size; metrics: Σ w·v / Σ w),
/// learning-rate schedules' values at step k from Keras's formulas, and a scheduled optimizer
/// stepping per optimizer iteration.
/// </summary>
public sealed class WeightsAndSchedules
{
    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static Model Linear(int inputs = 2, int outputs = 1, string? activation = null)
    {
        var input = Input(shape: [inputs]);
        return new Model(input, Dense(outputs, activation: activation, name: "out").Call(input));
    }

    [Fact]
    public void Evaluate_with_sample_weights_gives_Keras_weighted_loss_and_weighted_metrics()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var model = Linear();
        model.Compile("sgd", "mse", metrics: ["mae"]);
        var x = T([1, 2, -1, 0.5f, 3, -2, 0, 1, 2, 2], 5, 2);
        var y = T([1, -1, 0.5f, 2, 0], 5, 1);
        float[] w = [2, 0, 0.5f, 1, 3];
        var p = model.Predict(x)[0].ToArray();
        double[] e = [.. Enumerable.Range(0, 5).Select(i => (double)p[i] - y.ToArray()[i])];
        // Keras 3: loss = Σ w·(ŷ − y)² / 5 (sum_over_batch_size); metric mae = Σ w·|ŷ − y| / Σ w.
        double loss = Enumerable.Range(0, 5).Sum(i => w[i] * e[i] * e[i]) / 5;
        double mae = Enumerable.Range(0, 5).Sum(i => w[i] * Math.Abs(e[i])) / w.Sum();
        var logs = model.Evaluate(x, y, batchSize: 5, sampleWeight: T(w, 5));
        Assert.Equal(loss, logs["loss"], 5);
        Assert.Equal(mae, logs["mae"], 5);
        var test = model.TestOnBatch([x], [y], sampleWeight: [T(w, 5)]);
        Assert.Equal(loss, test["loss"], 5);
    }

    [Fact]
    public void Class_weights_train_exactly_as_the_sample_weights_Keras_makes_of_them()
    {
        var x = T([.. Enumerable.Range(0, 24).Select(i => (float)Math.Sin(i))], 12, 2);
        float[] labels = [0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2];
        var classWeight = new Dictionary<int, double> { [0] = 1, [1] = 3.5, [2] = 0.25 };
        Tensor[] Train(Func<Model, History> fit)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(7);
            var model = Linear(2, 3, "softmax");
            model.Compile("sgd", "sparse_categorical_crossentropy", metrics: ["accuracy"]);
            fit(model);
            return model.GetWeights();
        }
        var sparse = T(labels, 12);
        var byClass = Train(m => m.Fit(x, sparse, batchSize: 5, epochs: 3, verbose: 0, classWeight: classWeight));
        var bySample = Train(m => m.Fit(x, sparse, batchSize: 5, epochs: 3, verbose: 0, sampleWeight: T([.. labels.Select(l => (float)classWeight[(int)l])], 12)));
        var unweighted = Train(m => m.Fit(x, sparse, batchSize: 5, epochs: 3, verbose: 0));
        Assert.Equal(bySample.Select(t => t.ToArray()), byClass.Select(t => t.ToArray()));
        Assert.NotEqual(unweighted.Select(t => t.ToArray()), byClass.Select(t => t.ToArray()));

        // One-hot targets: the class is the argmax; classes without a key weigh 1.
        var oneHot = Utils.ToCategorical(sparse, 3);
        var partial = new Dictionary<int, double> { [1] = 3.5, [2] = 0.25 };
        Tensor[] TrainOneHot(Func<Model, History> fit)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(7);
            var model = Linear(2, 3, "softmax");
            model.Compile("sgd", "categorical_crossentropy");
            fit(model);
            return model.GetWeights();
        }
        Assert.Equal(
            TrainOneHot(m => m.Fit(x, oneHot, batchSize: 5, epochs: 2, verbose: 0, sampleWeight: T([.. labels.Select(l => l == 0 ? 1f : (float)partial[(int)l])], 12))).Select(t => t.ToArray()),
            TrainOneHot(m => m.Fit(x, oneHot, batchSize: 5, epochs: 2, verbose: 0, classWeight: partial)).Select(t => t.ToArray()));
    }

    [Fact]
    public void Weights_that_cannot_apply_are_refused_in_Keras_words()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile("sgd", "mse");
        var x = T(new float[8], 4, 2);
        var y = T(new float[4], 4, 1);
        var both = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, classWeight: new Dictionary<int, double> { [0] = 2 }, sampleWeight: T(new float[4], 4)));
        Assert.Contains("You cannot `class_weight` and `sample_weight` at the same time.", both.Message);
        var count = Assert.Throws<ArgumentException>(() => model.Fit(x, y, verbose: 0, sampleWeight: T(new float[3], 3)));
        Assert.Contains("have shape (3,)", count.Message);
        Assert.Contains("4 samples", count.Message);

        var input = Input(shape: [2]);
        var two = new Model(input, [Dense(1, name: "a").Call(input), Dense(1, name: "b").Call(input)]);
        two.Compile("sgd", "mse");
        var multi = Assert.Throws<ArgumentException>(() => two.Fit([x], [y, y], verbose: 0, classWeight: new Dictionary<int, double> { [0] = 2 }));
        Assert.Contains("`class_weight` is only supported for Models with a single output.", multi.Message);
    }

    [Fact]
    public void Per_output_sample_weights_weigh_each_output_loss_alone()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, [Dense(1, name: "a").Call(input), Dense(1, name: "b").Call(input)]);
        model.Compile("sgd", "mse");
        var x = T([1, 2, 3, 4, 5, 6], 3, 2);
        var y = T([0, 1, 2], 3, 1);
        var plain = model.Evaluate([x], [y, y]);
        var weighted = model.Evaluate([x], [y, y], sampleWeight: [T([2, 2, 2], 3), null]);
        Assert.Equal(2 * plain["a_loss"], weighted["a_loss"], 5);
        Assert.Equal(plain["b_loss"], weighted["b_loss"], 6);
        Assert.Equal(weighted["a_loss"] + weighted["b_loss"], weighted["loss"], 5);
    }

    [Fact]
    public void Loss_weights_by_output_name_weigh_the_total_and_missing_names_weigh_1()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, [Dense(1, name: "a").Call(input), Dense(1, name: "b").Call(input)]);
        var x = T([1, 2, 3, 4], 2, 2);
        var y = T([0, 1], 2, 1);
        model.Compile("sgd", "mse", lossWeights: new Dictionary<string, double> { ["b"] = 0.25 });
        var logs = model.Evaluate([x], [y, y]);
        Assert.Equal(logs["a_loss"] + 0.25 * logs["b_loss"], logs["loss"], 5);
        model.Compile("sgd", "mse", lossWeights: [3.0, 0.5]);
        logs = model.Evaluate([x], [y, y]);
        Assert.Equal(3 * logs["a_loss"] + 0.5 * logs["b_loss"], logs["loss"], 5);
        var unknown = Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mse", lossWeights: new Dictionary<string, double> { ["c"] = 1 }));
        Assert.Contains("Unknown entries in loss_weights dictionary: 'c'", unknown.Message);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(7L)]
    [InlineData(10L)]
    [InlineData(25L)]
    public void Schedules_give_Keras_formulas_at_step_k(long k)
    {
        // ExponentialDecay: initial · rate^(k / steps), floor(k / steps) with staircase.
        Assert.Equal(0.1 * Math.Pow(0.5, k / 10.0), new Core.ExponentialDecay(0.1, 10, 0.5).At(k), 12);
        Assert.Equal(0.1 * Math.Pow(0.5, Math.Floor(k / 10.0)), new Core.ExponentialDecay(0.1, 10, 0.5, Staircase: true).At(k), 12);
        // PiecewiseConstantDecay: values[i] while k ≤ boundaries[i].
        double piecewise = k <= 7 ? 1.0 : k <= 20 ? 0.5 : 0.1;
        Assert.Equal(piecewise, new Core.PiecewiseConstantDecay([7, 20], [1.0, 0.5, 0.1]).At(k));
        // CosineDecay: initial · ((1 − α)·½(1 + cos(π·min(k, steps)/steps)) + α).
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * Math.Min(k, 20) / 20.0));
        Assert.Equal(0.2 * ((1 - 0.1) * cosine + 0.1), new Core.CosineDecay(0.2, 20, Alpha: 0.1).At(k), 12);
        // Keras 3's warm-up: linear from initial to target over warmupSteps, then the cosine from the target.
        double warm = k < 10 ? 0.0 + (1.0 - 0.0) * k / 10.0 : 1.0 * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(k - 10, 20) / 20.0));
        Assert.Equal(warm, new Core.CosineDecay(0.0, 20, WarmupTarget: 1.0, WarmupSteps: 10).At(k), 12);
    }

    [Fact]
    public void Schedules_refuse_what_Keras_refuses()
    {
        var steps = Assert.Throws<ArgumentOutOfRangeException>(() => Schedules.ExponentialDecay(0.1, 0, 0.5));
        Assert.Contains("Argument `decay_steps` must be > 0. Received: decay_steps=0", steps.Message);
        var lengths = Assert.Throws<ArgumentException>(() => Schedules.PiecewiseConstantDecay([10, 20], [0.1, 0.01]));
        Assert.Contains("The length of boundaries should be 1 less than the length of values.", lengths.Message);
    }

    [Fact]
    public void A_scheduled_SGD_uses_the_schedule_at_each_optimizer_iteration()
    {
        // One sample, y = w·x without bias: each step w ← w − lr_k · 2(w·x − t)·x, lr_k = schedule(k), k = 0, 1, 2 …
        Backend.ClearSession();
        var input = Input(shape: [1]);
        var model = new Model(input, Dense(1, useBias: false).Call(input));
        var schedule = Schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]);
        model.Compile(Optimizers.SGD(learningRate: schedule), "mse");
        var x = T([2f], 1, 1);
        var y = T([1f], 1, 1);
        double w = model.GetWeights()[0].ToArray()[0];
        for (int k = 0; k < 6; k++)
        {
            Assert.Equal((float)schedule.At(k), model.LearningRate);
            model.TrainOnBatch(x, y);
            w -= (float)schedule.At(k) * (2 * (w * 2 - 1) * 2);
            Assert.Equal(w, model.GetWeights()[0].ToArray()[0], 5);
        }
    }

    [Fact]
    public void Fit_steps_the_schedule_per_batch_across_epochs()
    {
        Backend.ClearSession();
        var model = Linear();
        var schedule = Schedules.ExponentialDecay(0.1, decaySteps: 1, decayRate: 0.5);
        model.Compile(Optimizers.Adam(learningRate: schedule), "mse");
        var x = T(new float[20], 10, 2);
        var y = T(new float[10], 10, 1);
        model.Fit(x, y, batchSize: 4, epochs: 2, verbose: 0);
        // 3 batches an epoch, 2 epochs: the next update is iteration 6.
        Assert.Equal((float)(0.1 * Math.Pow(0.5, 6)), model.LearningRate);
    }

    [Property(MaxTest = 300)]
    public Property Decays_stay_between_their_ends_never_rise_and_the_staircase_meets_the_curve_at_whole_periods() =>
        Prop.ForAll(Gen.Choose(1, 50).ToArbitrary(), Gen.Choose(0, 400).ToArbitrary(), Gen.Choose(1, 99).ToArbitrary(), (steps, k, percent) =>
        {
            double rate = percent / 100.0;
            var cosine = new Core.CosineDecay(0.5, steps, Alpha: rate);
            var smooth = new Core.ExponentialDecay(0.5, steps, rate);
            var stairs = new Core.ExponentialDecay(0.5, steps, rate, Staircase: true);
            long whole = k / steps * steps;
            return (cosine.At(k) <= 0.5 + 1e-12 && cosine.At(k) >= 0.5 * rate - 1e-12 && cosine.At(k + 1) <= cosine.At(k) + 1e-12
                && smooth.At(k + 1) <= smooth.At(k) && stairs.At(k) >= smooth.At(k) - 1e-12
                && Math.Abs(stairs.At(k) - smooth.At(whole)) <= 1e-12)
                .Label($"steps={steps} k={k} rate={rate}");
        });

    [Theory]
    [InlineData("mse", 1)]
    [InlineData("binary_crossentropy", 1)]
    [InlineData("categorical_crossentropy", 3)]
    [InlineData("huber", 2)]
    public void Sample_weights_of_1_train_exactly_as_no_weights(string loss, int units)
    {
        var x = T([.. Enumerable.Range(0, 22).Select(i => (float)Math.Cos(i))], 11, 2);
        var y = units == 3 ? Utils.ToCategorical([.. Enumerable.Range(0, 11).Select(i => i % 3)], 3)
            : T([.. Enumerable.Range(0, 11 * units).Select(i => (float)(i % 2))], 11, units);
        float[][] Train(Tensor? w)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(3);
            var model = Linear(2, units, units == 3 ? "softmax" : "sigmoid");
            model.Compile("adam", loss);
            model.Fit(x, y, batchSize: 4, epochs: 3, verbose: 0, sampleWeight: w);
            return [.. model.GetWeights().Select(t => t.ToArray())];
        }
        Assert.Equal(Train(null), Train(T([.. Enumerable.Repeat(1f, 11)], 11)));
    }
}
