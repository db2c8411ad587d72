using DeepGraph.Core;
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;
using Model = DeepGraph.Keras.Model;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The training conveniences of Keras's guides as a C# user writes them: the learning-rate callbacks
/// (Keras 3's <c>learning_rate</c> log key), metric and loss objects and names, <c>history.Params</c>,
/// <c>Sequential.Pop</c>, <c>GetLayer(index)</c>, trainable and non-trainable weights, <c>ToCategorical</c>.
/// </summary>
public sealed class TrainingConveniences
{
    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static (Tensor X, Tensor Y) Data(int n = 10)
    {
        var x = T([.. Enumerable.Range(0, 2 * n).Select(i => (float)Math.Sin(i))], n, 2);
        var y = T([.. Enumerable.Range(0, n).Select(i => (float)Math.Cos(i))], n, 1);
        return (x, y);
    }

    private static Model Linear()
    {
        var input = Input(shape: [2]);
        return new Model(input, Dense(1, name: "out").Call(input));
    }

    [Fact]
    public void LearningRateScheduler_sets_the_rate_each_epoch_and_History_records_learning_rate()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile(Optimizers.SGD(learningRate: 0.1), "mse");
        var (x, y) = Data();
        var output = new StringWriter();
        var scheduler = new LearningRateScheduler((epoch, lr) => epoch < 2 ? lr : lr * 0.5, verbose: 1, output: output);
        var history = model.Fit(x, y, epochs: 4, verbose: 0, callbacks: [scheduler]);
        // Keras reads the optimizer's float32 rate as a double: 0.1f is 0.10000000149011612.
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.025f], history["learning_rate"].Select(v => (float)v));
        Assert.Equal((double)0.1f, history["learning_rate"][0]);
        Assert.StartsWith("\nEpoch 1: LearningRateScheduler setting learning rate to 0.10000000149011612.\n", output.ToString());
        Assert.Contains("\nEpoch 3: LearningRateScheduler setting learning rate to 0.05000000074505806.\n", output.ToString());

        // A rate of 0 leaves the weights where they are.
        var before = model.GetWeights().Select(t => t.ToArray()).ToArray();
        model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [new LearningRateScheduler(_ => 0.0)]);
        Assert.Equal(before, model.GetWeights().Select(t => t.ToArray()));
    }

    [Fact]
    public void ReduceLROnPlateau_follows_Keras_patience_cooldown_and_min_lr()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile(Optimizers.SGD(learningRate: 0.1), "mse");
        var output = new StringWriter();
        var reduce = new ReduceLROnPlateau(monitor: "loss", factor: 0.5, patience: 2, cooldown: 1, minLr: 0.01, verbose: 1, output: output) { Model = model };
        reduce.OnTrainBegin(new Dictionary<string, double>());
        double[] losses = [1, 1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
        var logged = new List<float>();
        var after = new List<float>();
        for (int epoch = 0; epoch < losses.Length; epoch++)
        {
            var logs = new Dictionary<string, double> { ["loss"] = losses[epoch] };
            reduce.OnEpochEnd(epoch, logs);
            logged.Add((float)logs["learning_rate"]);
            after.Add((float)model.LearningRate);
        }
        // Hand trace of Keras's rule: reduce after 2 epochs without improvement, 1 epoch of cooldown, never below 0.01.
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.025f, 0.0125f, 0.0125f, 0.01f, 0.01f, 0.01f], after);
        Assert.Equal([0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.025f, 0.025f, 0.025f, 0.0125f, 0.0125f, 0.01f, 0.01f], logged);
        Assert.Contains("\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n", output.ToString());
        Assert.Equal(4, output.ToString().Split("ReduceLROnPlateau reducing").Length - 1);

        var factor = Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1.0));
        Assert.Contains("ReduceLROnPlateau does not support a factor >= 1.0", factor.Message);
    }

    [Fact]
    public void ReduceLROnPlateau_in_Fit_logs_the_rate_and_a_scheduled_optimizer_is_not_settable()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile(Optimizers.Adam(learningRate: 0.01), "mse");
        var (x, y) = Data();
        var history = model.Fit(x, y, epochs: 3, verbose: 0, callbacks: [new ReduceLROnPlateau(monitor: "loss")]);
        Assert.Equal(Enumerable.Repeat((double)0.01f, 3), history["learning_rate"]);

        model.Compile(Optimizers.SGD(learningRate: Schedules.ExponentialDecay(0.1, 10, 0.9)), "mse");
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [new LearningRateScheduler(_ => 0.5)]));
        Assert.Contains("its learning rate is not settable", error.Message);
    }

    [Fact]
    public void History_Params_are_Keras_verbose_epochs_and_steps()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile("sgd", "mse");
        var (x, y) = Data(10);
        var history = model.Fit(x, y, batchSize: 4, epochs: 3, verbose: 0);
        Assert.Equal(new Dictionary<string, int> { ["verbose"] = 0, ["epochs"] = 3, ["steps"] = 3 }, history.Params);
    }

    [Fact]
    public void Metric_objects_and_names_give_the_values_Keras_defines()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, Dense(1, activation: "sigmoid").Call(input));
        model.Compile("adam", "binary_crossentropy",
            metrics: [Metrics.BinaryAccuracy(threshold: 0.6), Metrics.Precision(), Metrics.Recall(), "mse", Metrics.RootMeanSquaredError()]);
        var x = T([.. Enumerable.Range(0, 24).Select(i => (float)Math.Sin(3 * i))], 12, 2);
        float[] labels = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1];
        var y = T(labels, 12, 1);
        var p = model.Predict(x)[0].ToArray();
        var logs = model.Evaluate(x, y, batchSize: 5);
        int n = labels.Length;
        double accuracy = Enumerable.Range(0, n).Count(i => (p[i] > 0.6f ? 1 : 0) == labels[i]) / (double)n;
        int tp = Enumerable.Range(0, n).Count(i => p[i] > 0.5f && labels[i] == 1);
        int predicted = Enumerable.Range(0, n).Count(i => p[i] > 0.5f), actual = labels.Count(l => l == 1);
        double mse = Enumerable.Range(0, n).Average(i => Math.Pow(p[i] - labels[i], 2));
        Assert.Equal(accuracy, logs["binary_accuracy"], 6);
        Assert.Equal(predicted == 0 ? 0 : (double)tp / predicted, logs["precision"], 6);
        Assert.Equal((double)tp / actual, logs["recall"], 6);
        Assert.Equal(mse, logs["mse"], 5);
        Assert.Equal(Math.Sqrt(mse), logs["root_mean_squared_error"], 5);

        // Weighted: Keras's weighted means and weighted confusion counts.
        float[] w = [.. Enumerable.Range(0, n).Select(i => (float)(i % 3))];
        var weighted = model.Evaluate(x, y, batchSize: 5, sampleWeight: T(w, n));
        double wtp = Enumerable.Range(0, n).Where(i => p[i] > 0.5f && labels[i] == 1).Sum(i => w[i]);
        double wpos = Enumerable.Range(0, n).Where(i => p[i] > 0.5f).Sum(i => w[i]);
        Assert.Equal(wpos == 0 ? 0 : wtp / wpos, weighted["precision"], 6);
        Assert.Equal(Enumerable.Range(0, n).Sum(i => w[i] * Math.Pow(p[i] - labels[i], 2)) / w.Sum(), weighted["mse"], 5);
    }

    [Fact]
    public void Loss_names_work_as_metrics_and_losses_by_name()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile("sgd", "huber", metrics: ["mape", "log_cosh", "cosine_similarity"]);
        var (x, y) = Data(6);
        var p = model.Predict(x)[0].ToArray();
        var t = y.ToArray();
        var logs = model.Evaluate(x, y);
        double Mean(Func<int, double> f) => Enumerable.Range(0, 6).Average(f);
        Assert.Equal(Mean(i => 100 * Math.Abs((t[i] - p[i]) / Math.Max(Math.Abs(t[i]), 1e-7))), logs["mape"], tolerance: 1e-3);
        Assert.Equal(Mean(i => Math.Log(Math.Cosh(p[i] - t[i]))), logs["log_cosh"], tolerance: 1e-5);
        // One value per row: the similarity of two 1-vectors is the product of their signs.
        Assert.Equal(Mean(i => Math.Sign(p[i]) * Math.Sign(t[i])), logs["cosine_similarity"], tolerance: 1e-5);
        Assert.Equal(Mean(i => { double e = Math.Abs(p[i] - t[i]); return e <= 1 ? 0.5 * e * e : e - 0.5; }), logs["loss"], tolerance: 1e-5);
        var unknown = Assert.Throws<ArgumentException>(() => model.Compile("sgd", "mse", metrics: ["f1_scor"]));
        Assert.Contains("Unknown metric function: 'f1_scor'", unknown.Message);
    }

    [Fact]
    public void Sequential_Pop_removes_the_top_layer_and_an_empty_model_refuses()
    {
        Backend.ClearSession();
        var hidden = Dense(4, activation: "relu", name: "hidden", inputShape: [2]);
        var head = Dense(3, activation: "softmax", name: "head");
        var model = new Sequential([hidden, head]);
        model.Compile("adam", "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        Assert.Same(head, model.Pop());
        Assert.Equal([hidden], model.Layers);
        Assert.Equal(Shape.Of(null, 4), model.Output.Shape);
        var (x, _) = Data(5);
        Assert.Equal(Shape.Of(5, 4), model.Predict(x)[0].Shape);

        // The compiled model trains with its new head.
        model.Add(Dense(1, activation: "sigmoid", name: "binary_head"));
        model.Compile("adam", "binary_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(x, T([1, 0, 1, 0, 1], 5, 1), epochs: 1, verbose: 0);
        Assert.True(history["accuracy"][0] is >= 0 and <= 1);

        model.Pop();
        Assert.Same(hidden, model.Pop());
        Assert.Empty(model.Layers);
        var empty = Assert.Throws<InvalidOperationException>(() => model.Pop());
        Assert.Contains("There are no layers in the model", empty.Message);
    }

    [Fact]
    public void GetLayer_by_index_counts_Keras_layers_and_names_the_count_when_out_of_range()
    {
        Backend.ClearSession();
        var input = Input(shape: [2], name: "in");
        var a = Dense(3, name: "a");
        var b = Dense(1, name: "b");
        var model = new Model(input, b.Call(a.Call(input)));
        Assert.Equal("in", model.GetLayer(0).Name);
        Assert.Same(a, model.GetLayer(1));
        Assert.Same(b, model.GetLayer(-1));
        Assert.Same(a, model.GetLayer("a"));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.GetLayer(3));
        Assert.Contains("Was asked to retrieve layer at index 3 but model", error.Message);
        Assert.Contains("only has 3 layers", error.Message);

        var sequential = new Sequential([Dense(2, name: "s1", inputShape: [2]), Dense(1, name: "s2")]);
        Assert.Equal("s1", sequential.GetLayer(0).Name);
    }

    [Fact]
    public void Trainable_and_non_trainable_weights_are_listed_as_Keras_lists_them()
    {
        Backend.ClearSession();
        var input = Input(shape: [3]);
        var dense = Dense(2, name: "dense");
        var bn = BatchNormalization(name: "bn");
        var model = new Model(input, bn.Call(dense.Call(input)));
        string[] Names(IReadOnlyList<Weight> ws) => [.. ws.Select(w => w.Role)];
        Assert.Equal(["dense/kernel", "dense/bias", "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance"], Names(model.Weights));
        Assert.Equal(["dense/kernel", "dense/bias", "bn/gamma", "bn/beta"], Names(model.TrainableWeights));
        Assert.Equal(["bn/moving_mean", "bn/moving_variance"], Names(model.NonTrainableWeights));
        Assert.Equal(["gamma", "beta"], Names(bn.TrainableWeights));
        Assert.Equal(["moving_mean", "moving_variance"], Names(bn.NonTrainableWeights));

        dense.Trainable = false;
        Assert.Empty(dense.TrainableWeights);
        Assert.Equal(["kernel", "bias"], Names(dense.NonTrainableWeights));
        Assert.Equal(["bn/gamma", "bn/beta"], Names(model.TrainableWeights));
        Assert.Equal(["dense/kernel", "dense/bias", "bn/moving_mean", "bn/moving_variance"], Names(model.NonTrainableWeights));
        model.Trainable = false;
        Assert.Empty(model.TrainableWeights);
        Assert.Equal(6, model.NonTrainableWeights.Count);
        Assert.Equal(model.GetWeights().Select(t => t.ToArray()), model.Weights.Select(w => w.Value.ToArray()));
    }

    [Fact]
    public void ToCategorical_one_hot_encodes_as_Keras()
    {
        var oneHot = Utils.ToCategorical(T([0, 2, 1, 2], 4), numClasses: 3);
        Assert.Equal(Shape.Of(4, 3), oneHot.Shape);
        Assert.Equal([1f, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1], oneHot.ToArray());
        // A trailing 1 is dropped; without numClasses it is the largest label + 1.
        Assert.Equal(Shape.Of(3, 4), Utils.ToCategorical(T([3, 0, 1], 3, 1)).Shape);
        Assert.Equal(Shape.Of(2, 2, 5), Utils.ToCategorical(T([0, 4, 1, 2], 2, 2)).Shape);
        Assert.Equal(Shape.Of(2, 10), Utils.ToCategorical([7, 9], 10).Shape);
        var error = Assert.Throws<ArgumentException>(() => Utils.ToCategorical(T([0, 3], 2), numClasses: 3));
        Assert.Contains("label 3 at position 1 is not below numClasses = 3", error.Message);
    }

    [Fact]
    public void Loss_objects_with_Keras_options_compile_and_train()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, Dense(3, activation: "softmax").Call(input));
        var (x, _) = Data(6);
        var y = Utils.ToCategorical(T([0, 1, 2, 0, 1, 2], 6), 3);
        foreach (var loss in new[] { Losses.CategoricalCrossentropy(labelSmoothing: 0.1), Losses.KLDivergence(), Losses.CategoricalHinge(), Losses.Poisson(), Losses.CosineSimilarity() })
        {
            model.Compile("adam", loss, metrics: [Metrics.CategoricalAccuracy()]);
            var history = model.Fit(x, y, epochs: 2, verbose: 0);
            Assert.All(history["loss"], v => Assert.True(double.IsFinite(v), $"{loss.Name}: {v}"));
            Assert.Contains("categorical_accuracy", history.HistoryData.Keys);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => Losses.BinaryCrossentropy(labelSmoothing: 1.5));
    }

    [Fact]
    public void AUC_is_the_Mann_Whitney_area_when_scores_fall_between_thresholds_and_weights_count()
    {
        // Scores on a grid coarser than the 200 thresholds: the trapezoid ROC area is exactly
        // P(score of a positive > score of a negative) + ½ P(tie), weighted by both samples' weights.
        var rng = new Random(11);
        float[] grid = [0.1f, 0.3f, 0.55f, 0.8f, 0.95f];
        int n = 40;
        float[] p = [.. Enumerable.Range(0, n).Select(_ => grid[rng.Next(grid.Length)])];
        float[] y = [.. p.Select(v => rng.NextDouble() < v ? 1f : 0f)];
        float[] w = [.. Enumerable.Range(0, n).Select(_ => (float)rng.Next(1, 4))];
        double pairs = 0, wins = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (y[i] == 1 && y[j] == 0)
                {
                    pairs += w[i] * w[j];
                    wins += w[i] * w[j] * (p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5 : 0);
                }
        var auc = (Auc)Metrics.AUC();
        var state = new double[auc.StateSize];
        // In two batches, as an epoch accumulates them.
        auc.Accumulate(T(p[..25], 25, 1), T(y[..25], 25, 1), w[..25], state);
        auc.Accumulate(T(p[25..], 15, 1), T(y[25..], 15, 1), w[25..], state);
        Assert.Equal(wins / pairs, auc.Result((ReadOnlySpan<double>)state), 9);

        // A perfect ranking: 1 under both curves.
        var perfect = (Auc)Metrics.AUC(curve: "PR");
        var s2 = new double[perfect.StateSize];
        perfect.Accumulate(T([0.9f, 0.8f, 0.1f, 0.2f], 4, 1), T([1, 1, 0, 0], 4, 1), default, s2);
        Assert.Equal(1.0, perfect.Result((ReadOnlySpan<double>)s2), 9);
        Assert.Throws<ArgumentException>(() => Metrics.AUC(curve: "roc"));
    }

    [Fact]
    public void AUC_by_name_and_object_is_logged_as_auc_in_Fit()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, Dense(1, activation: "sigmoid").Call(input));
        model.Compile("adam", "binary_crossentropy", metrics: ["auc", Metrics.AUC(curve: "PR", name: "pr_auc")]);
        var (x, _) = Data(20);
        var y = T([.. Enumerable.Range(0, 20).Select(i => (float)(i % 2))], 20, 1);
        var history = model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0, validationSplit: 0.25);
        Assert.Equal(["loss", "auc", "pr_auc", "val_loss", "val_auc", "val_pr_auc"], history.HistoryData.Keys);
        Assert.All(history["auc"].Concat(history["pr_auc"]), v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Top_k_accuracy_counts_rows_whose_target_has_fewer_than_k_larger_predictions()
    {
        var p = T([0.1f, 0.5f, 0.3f, 0.1f, /**/ 0.4f, 0.3f, 0.2f, 0.1f, /**/ 0.25f, 0.25f, 0.25f, 0.25f], 3, 4);
        // Targets: class 2 (one larger: in the top 2), class 3 (three larger: out), class 0 (all tied: in).
        var sparse = (Core.TopKCategoricalAccuracy)Metrics.SparseTopKCategoricalAccuracy(k: 2);
        Assert.Equal((2.0, 3L), sparse.Batch(p, T([2, 3, 0], 3)));
        var dense = (Core.TopKCategoricalAccuracy)Metrics.TopKCategoricalAccuracy(k: 2);
        Assert.Equal((2.0, 3L), dense.Batch(p, Utils.ToCategorical([2, 3, 0], 4)));
        Assert.Equal(3.0, ((Core.TopKCategoricalAccuracy)Metrics.SparseTopKCategoricalAccuracy(k: 4)).Batch(p, T([2, 3, 0], 3)).Sum);
        Assert.IsType<Core.TopKCategoricalAccuracy>(Metric.Get("sparse_top_k_categorical_accuracy", Shape.Of(null, 4), new Core.SparseCategoricalCrossentropy()));
    }

    [Fact]
    public void Setting_the_optimizer_keeps_its_state_and_a_new_rate_trains_from_the_next_step()
    {
        // One sample, y = w·x: with SGD each step is w ← w − lr·2(w·x − t)·x, so the rate of each step shows.
        Backend.ClearSession();
        var input = Input(shape: [1]);
        var model = new Model(input, Dense(1, useBias: false).Call(input));
        model.Compile(Optimizers.SGD(learningRate: 0.1), "mse");
        var x = T([1f], 1, 1);
        var y = T([0f], 1, 1);
        double w = model.GetWeights()[0].ToArray()[0];
        model.TrainOnBatch(x, y);
        w -= 0.1f * 2 * w;
        model.Optimizer = model.Optimizer! with { LearningRate = 0.25f };
        Assert.Equal(0.25f, (float)model.LearningRate);
        model.TrainOnBatch(x, y);
        w -= 0.25f * 2 * w;
        Assert.Equal(w, model.GetWeights()[0].ToArray()[0], 6);

        var uncompiled = Linear();
        Assert.Throws<InvalidOperationException>(() => uncompiled.Optimizer = Optimizers.Adam());
    }

    [Fact]
    public void The_epoch_line_shows_the_learning_rate_the_callbacks_logged_as_Keras_3_does()
    {
        Backend.ClearSession();
        var model = Linear();
        model.Compile(Optimizers.SGD(learningRate: 0.1), "mse");
        var (x, y) = Data();
        var output = new StringWriter();
        model.Fit(x, y, epochs: 2, verbose: 2, output: output, callbacks: [new ReduceLROnPlateau(monitor: "loss")]);
        var lines = output.ToString().Split('\n').Where(l => l.Contains("loss:", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Contains(" - loss: ", l, StringComparison.Ordinal));
        Assert.All(lines, l => Assert.Contains(" - learning_rate: 0.1000", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Metric_objects_are_given_per_output_by_name_or_by_position_as_the_Keras_guide_gives_them()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, [Dense(1, name: "score").Call(input), Dense(3, activation: "softmax", name: "class").Call(input)]);
        var (x, y) = Data(6);
        var classes = Utils.ToCategorical([0, 1, 2, 0, 1, 2], 3);
        model.Compile("adam", loss: [Losses.MeanSquaredError(), Losses.CategoricalCrossentropy()],
            metrics: new Dictionary<string, Metric[]>
            {
                ["score"] = [Metrics.MeanAbsolutePercentageError(), Metrics.MeanAbsoluteError()],
                ["class"] = [Metrics.CategoricalAccuracy()],
            });
        var logs = model.Evaluate([x], [y, classes]);
        Assert.Equal(["loss", "score_loss", "class_loss", "score_mean_absolute_percentage_error", "score_mean_absolute_error", "class_categorical_accuracy"], logs.Keys);
        model.Compile("adam", loss: ["mse", "categorical_crossentropy"],
            metrics: new[] { new MetricItem[] { Metrics.MeanAbsoluteError(), "mse" }, [Metrics.CategoricalAccuracy()] });
        Assert.Equal(["loss", "score_loss", "class_loss", "score_mean_absolute_error", "score_mse", "class_categorical_accuracy"], model.Evaluate([x], [y, classes]).Keys);
    }
}
