using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Training;

/// <summary>Compile / Fit / Evaluate / TrainOnBatch as a Keras user runs them: learning, logs, freezing, reproducibility, bad input.</summary>
public sealed class FitBehaviour
{
    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static (Tensor X, Tensor Y) Xor() =>
        (T([0, 0, 0, 1, 1, 0, 1, 1], 4, 2), T([0, 1, 1, 0], 4, 1));

    /// <summary>Three Gaussian blobs in 2-D, far apart: linearly separable with labels 0, 1, 2.</summary>
    private static (Tensor X, Tensor Y) Blobs(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 2];
        var y = new float[n];
        (float, float)[] centres = [(-3, 0), (3, 0), (0, 4)];
        for (int i = 0; i < n; i++)
        {
            int c = i % 3;
            y[i] = c;
            x[2 * i] = centres[c].Item1 + (float)(rng.NextDouble() - 0.5);
            x[2 * i + 1] = centres[c].Item2 + (float)(rng.NextDouble() - 0.5);
        }
        return (T(x, n, 2), T(y, n, 1));
    }

    /// <summary>A fresh session's model with a shared trunk and two heads: <c>head_a</c> (one linear unit) and <c>head_b</c> (softmax over 3).</summary>
    private static Model TwoHeads()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var trunk = Dense(8, activation: "relu").Call(input);
        var a = Dense(1, name: "head_a").Call(trunk);
        var b = Dense(3, activation: "softmax", name: "head_b").Call(trunk);
        return new Model(input, [a, b]);
    }

    private static Model BlobModel(string? name = null)
    {
        var input = Input(shape: [2]);
        var h = Dense(16, activation: "relu", name: "hidden").Call(input);
        var output = Dense(3, activation: "softmax", name: "classes").Call(h);
        return new Model(input, output, name);
    }

    [Fact]
    public void Xor_is_learnt()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(3);
        var input = Input(shape: [2]);
        var output = Dense(1, activation: "sigmoid").Call(Dense(16, activation: "tanh").Call(input));
        var model = new Model(input, output);
        model.Compile(optimizer: Optimizers.Adam(learningRate: 0.05), loss: "binary_crossentropy", metrics: ["accuracy"]);
        var (x, y) = Xor();
        var history = model.Fit(x, y, batchSize: 4, epochs: 300, verbose: 0);
        Assert.Equal(1.0, model.Evaluate(x, y)["accuracy"]);
        Assert.True(history["loss"][^1] < history["loss"][0] / 5, $"loss {history["loss"][0]} → {history["loss"][^1]}");
        var p = model.Predict(x)[0].ToArray();
        Assert.True(p[0] < 0.5 && p[1] > 0.5 && p[2] > 0.5 && p[3] < 0.5, string.Join(", ", p));
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("rmsprop")]
    [InlineData("adagrad")]
    public void Every_optimizer_separates_the_blobs(string optimizer)
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(300, seed: 1);
        var opt = optimizer switch
        {
            "sgd" => Optimizers.SGD(learningRate: 0.1, momentum: 0.9),
            "adagrad" => Optimizers.Adagrad(learningRate: 0.1),
            _ => Core.Optimizer.Get(optimizer),
        };
        model.Compile(opt, loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(x, y, batchSize: 32, epochs: 20, verbose: 0, validationSplit: 0.2);
        Assert.True(history["val_accuracy"][^1] >= 0.95, $"{optimizer}: val_accuracy {history["val_accuracy"][^1]}");
        Assert.Equal(["accuracy", "loss", "val_accuracy", "val_loss"], history.HistoryData.Keys.Order());
        Assert.Equal(20, history["loss"].Count);
    }

    [Fact]
    public void Two_outputs_log_each_loss_and_metric_under_keras_names()
    {
        var model = TwoHeads();
        model.Compile(optimizer: "adam", loss: new Dictionary<string, string> { ["head_b"] = "sparse_categorical_crossentropy", ["head_a"] = "mse" },
            metrics: ["accuracy"], lossWeights: [0.5, 1.0]);
        var (x, y) = Blobs(60, seed: 2);
        var history = model.Fit([x], [y, y], epochs: 2, verbose: 0, validationData: ([x], [y, y]));
        Assert.Equal(["head_a_accuracy", "head_a_loss", "head_b_accuracy", "head_b_loss", "loss",
            "val_head_a_accuracy", "val_head_a_loss", "val_head_b_accuracy", "val_head_b_loss", "val_loss"], history.HistoryData.Keys.Order());
        // The total is the weighted sum of the output losses (at evaluation, where the weights do not move between them).
        var eval = model.Evaluate([x], [y, y]);
        Assert.Equal(0.5 * eval["head_a_loss"] + eval["head_b_loss"], eval["loss"], 6);
    }

    [Fact]
    public void Mean_error_metrics_broadcast_an_integer_label_along_the_row_as_keras_does()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(30, seed: 5);
        model.Compile("adam", "sparse_categorical_crossentropy", metrics: ["mae", "mse"]);
        var logs = model.Evaluate(x, y);
        var p = model.Predict(x)[0].ToArray();
        var labels = y.ToArray();
        double mae = 0, mse = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double e = p[i] - labels[i / 3];
            mae += Math.Abs(e) / 3;
            mse += e * e / 3;
        }
        Assert.Equal(mae / 30, logs["mae"], 5);
        Assert.Equal(mse / 30, logs["mse"], 5);
        model.Fit(x, y, epochs: 1, verbose: 0);
    }

    [Fact]
    public void A_loss_list_needs_one_loss_per_output_while_a_single_loss_serves_them_all()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var a = Dense(1, name: "head_a").Call(input);
        var b = Dense(1, name: "head_b").Call(input);
        var model = new Model(input, [a, b]);
        var error = Assert.Throws<ArgumentException>(() => model.Compile("sgd", loss: ["mse"]));
        Assert.Contains("one entry per model output", error.Message);
        Assert.Contains("1 loss was given", error.Message);
        model.Compile("sgd", loss: "mse");
        var (x, y) = Blobs(12, seed: 1);
        Assert.Equal(["head_a_loss", "head_b_loss", "loss"], model.Fit([x], [y, y], epochs: 1, verbose: 0).HistoryData.Keys.Order());
        var single = new Model(input, a);
        single.Compile("sgd", loss: ["mse"]);
    }

    [Fact]
    public void A_fractional_label_is_named_as_not_an_integer_and_a_zero_learning_rate_leaves_the_weights()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(30, seed: 6);
        var labels = y.ToArray();
        labels[4] = 1.5f;
        model.Compile(Optimizers.SGD(learningRate: 0.0), "sparse_categorical_crossentropy");
        var error = Assert.Throws<ArgumentException>(() => model.Fit(x, T(labels, 30, 1), verbose: 0));
        Assert.Contains("1.5 at sample 4, which is not an integer", error.Message);
        var before = model.GetWeights().Select(w => w.ToArray()).ToArray();
        model.Fit(x, y, epochs: 2, verbose: 0);
        Assert.Equal(before, model.GetWeights().Select(w => w.ToArray()).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.SGD(learningRate: -0.1));
    }

    [Fact]
    public void Metrics_may_be_given_per_output_by_name_or_as_a_list_of_lists()
    {
        var model = TwoHeads();
        var (x, y) = Blobs(30, seed: 2);
        var loss = new Dictionary<string, string> { ["head_a"] = "mse", ["head_b"] = "sparse_categorical_crossentropy" };

        model.Compile("adam", loss, metrics: new Dictionary<string, string[]> { ["head_b"] = ["accuracy"] });
        Assert.Equal(["head_a_loss", "head_b_accuracy", "head_b_loss", "loss"], model.Fit([x], [y, y], epochs: 1, verbose: 0).HistoryData.Keys.Order());

        model.Compile("adam", loss, metrics: new[] { new[] { "mae" }, new[] { "accuracy", "mse" } });
        Assert.Equal(["head_a_loss", "head_a_mae", "head_b_accuracy", "head_b_loss", "head_b_mse", "loss"],
            model.Evaluate([x], [y, y]).Keys.Order());

        var unknown = Assert.Throws<ArgumentException>(() => model.Compile("adam", loss, metrics: new Dictionary<string, string> { ["head_c"] = "mae" }));
        Assert.Contains("'head_c'", unknown.Message);
        var short_ = Assert.Throws<ArgumentException>(() => model.Compile("adam", loss, metrics: new[] { new[] { "mae" } }));
        Assert.Contains("one entry per model output", short_.Message);
    }

    [Fact]
    public void Frozen_layers_stay_bit_identical_and_the_summary_counts_them_non_trainable()
    {
        Backend.ClearSession();
        var trained = BlobModel("base");
        var (x, y) = Blobs(90, seed: 3);
        trained.Compile("adam", "sparse_categorical_crossentropy");
        trained.Fit(x, y, epochs: 2, verbose: 0);

        // Transfer: the trained hidden layer, frozen, under a new head.
        var hidden = trained.GetLayer("hidden");
        hidden.Trainable = false;
        var input = Input(shape: [2]);
        var output = Dense(3, activation: "softmax", name: "new_head").Call(hidden.Call(input));
        var transfer = new Model(input, output, "transfer");
        var before = hidden.GetWeights().Select(w => w.ToArray()).ToArray();
        var headBefore = transfer.GetLayer("new_head").GetWeights()[0].ToArray();

        transfer.Compile("adam", "sparse_categorical_crossentropy");
        transfer.Fit(x, y, epochs: 3, verbose: 0);

        var after = hidden.GetWeights().Select(w => w.ToArray()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
        Assert.NotEqual(headBefore, transfer.GetLayer("new_head").GetWeights()[0].ToArray());
        var summary = new List<string>();
        transfer.Summary(summary.Add);
        Assert.Contains("Trainable params: 51", summary);
        Assert.Contains("Non-trainable params: 48", summary);
    }

    [Fact]
    public void Weights_taken_before_fit_keep_their_values_and_set_weights_resets_the_model()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var model = BlobModel();
        var (x, y) = Blobs(60, seed: 2);
        model.Compile("adam", "sparse_categorical_crossentropy");
        var initial = model.GetWeights();
        var copies = initial.Select(w => w.ToArray()).ToArray();
        double before = model.Evaluate(x, y)["loss"];
        model.Fit(x, y, batchSize: 16, epochs: 3, verbose: 0);
        for (int i = 0; i < initial.Length; i++) Assert.Equal(copies[i], initial[i].ToArray());
        Assert.NotEqual(before, model.Evaluate(x, y)["loss"]);
        model.SetWeights(initial);
        Assert.Equal(before, model.Evaluate(x, y)["loss"]);
    }

    [Fact]
    public void Frozen_batch_normalization_runs_in_inference_mode_and_keeps_its_statistics()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var bn = BatchNormalization(name: "bn");
        var output = Dense(3, activation: "softmax").Call(bn.Call(input));
        var model = new Model(input, output);
        var (x, y) = Blobs(60, seed: 4);
        model.Compile("sgd", "sparse_categorical_crossentropy");

        model.Fit(x, y, epochs: 1, verbose: 0);
        var movingAfterTraining = bn.GetWeights()[2].ToArray();
        Assert.NotEqual(new float[2], movingAfterTraining); // trainable: the moving mean moved toward the data's

        bn.Trainable = false;
        var frozen = bn.GetWeights().Select(w => w.ToArray()).ToArray();
        model.Fit(x, y, epochs: 2, verbose: 0);
        var now = bn.GetWeights().Select(w => w.ToArray()).ToArray();
        for (int i = 0; i < frozen.Length; i++) Assert.Equal(frozen[i], now[i]);
    }

    [Fact]
    public void The_same_seed_gives_the_same_training_bit_for_bit()
    {
        float[][] Run()
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(42);
            var input = Input(shape: [2]);
            var h = Dropout(0.3).Call(Dense(16, activation: "relu").Call(input));
            var model = new Model(input, Dense(3, activation: "softmax").Call(h));
            model.Compile("adam", "sparse_categorical_crossentropy");
            var (x, y) = Blobs(64, seed: 5);
            model.Fit(x, y, batchSize: 16, epochs: 3, verbose: 0);
            return [.. model.GetWeights().Select(w => w.ToArray())];
        }
        var a = Run();
        var b = Run();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i]);
    }

    [Fact]
    public void Dropout_is_active_only_in_training()
    {
        Backend.ClearSession();
        var input = Input(shape: [4]);
        var model = new Model(input, Dropout(0.5).Call(input));
        var x = T([1, 2, 3, 4, 5, 6, 7, 8], 2, 4);
        Assert.Equal(x.ToArray(), model.Predict(x)[0].ToArray());
        model.Compile("sgd", "mse");
        // Training sees a dropped, rescaled input: the loss against x itself is not 0.
        Assert.True(model.TrainOnBatch(x, x) > 0);
        Assert.Equal(0, model.Evaluate(x, x)["loss"]);
    }

    [Fact]
    public void Bad_targets_are_clear_errors_and_leave_the_weights_alone()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(30, seed: 6);
        model.Compile("adam", "sparse_categorical_crossentropy");
        var before = model.GetWeights().Select(w => w.ToArray()).ToArray();

        var wrongShape = Assert.Throws<ShapeError>(() => model.Fit(x, T(new float[30 * 5], 30, 5), verbose: 0));
        Assert.Contains("classes", wrongShape.Message);
        Assert.Contains("(30, 5)", wrongShape.Message);

        var wrongCount = Assert.Throws<ShapeError>(() => model.Fit(x, T(new float[20], 20, 1), verbose: 0));
        Assert.Contains("20", wrongCount.Message);

        var labels = y.ToArray();
        labels[7] = 3;
        var outOfRange = Assert.Throws<ArgumentException>(() => model.Fit(x, T(labels, 30, 1), verbose: 0));
        Assert.Contains("[0, 2]", outOfRange.Message);

        // A bad label in the last batch stops Fit before its first step, not after training on the others.
        var late = y.ToArray();
        late[29] = 7;
        Assert.Throws<ArgumentException>(() => model.Fit(x, T(late, 30, 1), batchSize: 8, shuffle: false, verbose: 0));

        var lossList = Assert.Throws<ArgumentException>(() => model.Compile("adam", loss: ["mse", "mae"]));
        Assert.Contains("2 losses", lossList.Message);

        Assert.Throws<InvalidOperationException>(() => BlobModel("uncompiled").Fit(x, y, verbose: 0));

        var after = model.GetWeights().Select(w => w.ToArray()).ToArray();
        for (int i = 0; i < before.Length; i++) Assert.Equal(before[i], after[i]);
    }

    [Fact]
    public void A_nan_loss_stops_with_a_clear_error_or_quietly_with_terminate_on_nan_and_the_weights_stay_finite()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(30, seed: 7);
        var poisoned = x.ToArray();
        poisoned[40] = float.NaN; // sample 20, in the second batch of 16
        var bad = T(poisoned, 30, 2);
        model.Compile("adam", "sparse_categorical_crossentropy");
        var error = Assert.Throws<InvalidOperationException>(() => model.Fit(bad, y, batchSize: 16, shuffle: false, verbose: 0));
        Assert.Contains("batch 2", error.Message);
        Assert.All(model.GetWeights(), w => Assert.True(w.IsFinite));

        var output = new StringWriter();
        var history = model.Fit(bad, y, batchSize: 16, shuffle: false, verbose: 0, callbacks: [new TerminateOnNaN(output)]);
        Assert.Contains("Invalid loss, terminating training", output.ToString());
        Assert.All(model.GetWeights(), w => Assert.True(w.IsFinite));
        Assert.True(model.StopTraining);
        Assert.Single(history.Epoch); // as in Keras, the interrupted epoch still ends (its loss is NaN)
        Assert.True(double.IsNaN(history["loss"][0]));
    }

    [Fact]
    public void Redirected_output_prints_one_progress_line_per_epoch()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(8);
        var model = BlobModel();
        var (x, y) = Blobs(64, seed: 8);
        model.Compile("adam", "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var output = new StringWriter();
        model.Fit(x, y, batchSize: 16, epochs: 2, output: output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("Epoch 1/2", lines[0]);
        // Keras's progress bar prints a mean below 1e-3 in %.4e (an accuracy of 0 is "0.0000e+00").
        Assert.Matches(@"^4/4 \[==============================\] - \d+s \d+(ms|us|s)/step - loss: \d\.\d{4}(e[+-]\d\d)? - accuracy: \d\.\d{4}(e[+-]\d\d)?$", lines[1]);
        Assert.Equal("Epoch 2/2", lines[2]);
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void Early_stopping_ends_fit_and_a_lambda_callback_sees_every_epoch()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(60, seed: 9);
        model.Compile(Optimizers.SGD(learningRate: 1e-9), "sparse_categorical_crossentropy");
        var seen = new List<int>();
        var stopper = new EarlyStopping(monitor: "loss", minDelta: 1, patience: 2);
        var history = model.Fit(x, y, epochs: 50, verbose: 0, callbacks: [stopper, new LambdaCallback(onEpochEnd: (e, _) => seen.Add(e))]);
        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(3, history["loss"].Count);
    }

    [Fact]
    public void Cancellation_stops_fit_and_keeps_the_finished_batches()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(60, seed: 10);
        model.Compile("adam", "sparse_categorical_crossentropy");
        var before = model.GetWeights()[0].ToArray();
        using var cancel = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => model.Fit(x, y, batchSize: 10, epochs: 5, verbose: 0, cancellationToken: cancel.Token,
            callbacks: [new LambdaCallback(onBatchEnd: (b, _) => { if (b == 2) cancel.Cancel(); })]));
        Assert.NotEqual(before, model.GetWeights()[0].ToArray());
        Assert.All(model.GetWeights(), w => Assert.True(w.IsFinite));
    }

    [Fact]
    public void Train_on_batch_takes_one_step_and_returns_the_loss_before_it()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(30, seed: 11);
        model.Compile(Optimizers.SGD(learningRate: 0.1), "sparse_categorical_crossentropy");
        double before = model.Evaluate(x, y, batchSize: 30)["loss"];
        double reported = model.TrainOnBatch(x, y);
        Assert.Equal(before, reported, 5);
        Assert.True(model.Evaluate(x, y, batchSize: 30)["loss"] < before);
    }

    [Fact]
    public void A_trained_model_saves_and_loads_with_the_same_predictions()
    {
        Backend.ClearSession();
        var model = BlobModel();
        var (x, y) = Blobs(60, seed: 12);
        model.Compile("adam", "sparse_categorical_crossentropy");
        model.Fit(x, y, epochs: 2, verbose: 0);
        var dir = Directory.CreateTempSubdirectory("deepgraph-fit-");
        try
        {
            var path = Path.Combine(dir.FullName, "model.json");
            var checkpoint = new ModelCheckpoint(path, monitor: "loss");
            model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [checkpoint]);
            var loaded = Models.LoadModel(path);
            Assert.Equal(model.Predict(x)[0].ToArray(), loaded.Predict(x)[0].ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>Fit on the other kinds of model a user has: Sequential, nested and shared, loaded from a file.</summary>
public sealed class FitOnEveryKindOfModel
{
    private static (Tensor X, Tensor Y) Data(int n, int features, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * features];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int j = 0; j < features; j++) s += x[i * features + j] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = s > 0 ? 1 : 0;
        }
        return (Tensor.FromArray(x, [n, features]), Tensor.FromArray(y, [n, 1]));
    }

    [Fact]
    public void A_sequential_model_learns()
    {
        Backend.ClearSession();
        var model = new Sequential([Dense(8, activation: "relu", inputShape: [4]), Dense(1, activation: "sigmoid")]);
        model.Compile(Optimizers.Adam(learningRate: 0.02), "binary_crossentropy", metrics: ["accuracy"]);
        var (x, y) = Data(200, 4, 1);
        var history = model.Fit(x, y, epochs: 30, verbose: 0);
        Assert.True(history["accuracy"][^1] >= 0.95, $"accuracy {history["accuracy"][^1]}");
    }

    [Fact]
    public void A_nested_model_and_a_shared_layer_train_as_one_and_sum_their_gradients()
    {
        Backend.ClearSession();
        var encoderInput = Input(shape: [4]);
        var encoder = new Model(encoderInput, Dense(6, activation: "tanh", name: "code").Call(encoderInput), "encoder");
        var a = Input(shape: [4], name: "a");
        var b = Input(shape: [4], name: "b");
        var shared = Dense(3, activation: "relu", name: "shared");
        var merged = Concatenate().Call(shared.Call(encoder.Call(a)), shared.Call(encoder.Call(b)));
        var model = new Model([a, b], Dense(1, activation: "sigmoid", name: "out").Call(merged), "siamese");
        model.Compile(Optimizers.Adam(learningRate: 0.02), "binary_crossentropy", metrics: ["accuracy"]);
        var (x, y) = Data(200, 4, 2);
        var codeBefore = encoder.GetLayer("code").GetWeights()[0].ToArray();
        var sharedBefore = shared.GetWeights()[0].ToArray();
        var history = model.Fit([x, x], [y], epochs: 40, verbose: 0);
        Assert.True(history["accuracy"][^1] >= 0.9, $"accuracy {history["accuracy"][^1]}");
        // The nested model's layer and the shared layer were trained through the outer model.
        Assert.NotEqual(codeBefore, encoder.GetLayer("code").GetWeights()[0].ToArray());
        Assert.NotEqual(sharedBefore, shared.GetWeights()[0].ToArray());
        // And the encoder, used alone, runs with the trained weights.
        Assert.Equal(new[] { 200, 6 }, encoder.Predict(x)[0].Shape.ToArray());
    }

    [Fact]
    public void A_loaded_model_trains_and_saves_again()
    {
        Backend.ClearSession();
        var model = new Sequential([Dense(8, activation: "relu", inputShape: [4]), Dense(1, activation: "sigmoid")]);
        var dir = Directory.CreateTempSubdirectory("deepgraph-load-fit-");
        try
        {
            model.Save(Path.Combine(dir.FullName, "model.json"));
            var loaded = Models.LoadModel(Path.Combine(dir.FullName, "model.json"));
            loaded.Compile(Optimizers.Adam(learningRate: 0.02), "binary_crossentropy", metrics: ["accuracy"]);
            var (x, y) = Data(200, 4, 3);
            var history = loaded.Fit(x, y, epochs: 30, verbose: 0);
            Assert.True(history["accuracy"][^1] >= 0.95, $"accuracy {history["accuracy"][^1]}");
            loaded.Save(Path.Combine(dir.FullName, "trained.json"));
            var again = Models.LoadModel(Path.Combine(dir.FullName, "trained.json"));
            Assert.Equal(loaded.Predict(x)[0].ToArray(), again.Predict(x)[0].ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
