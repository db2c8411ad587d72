using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Fit while other threads use the model: Predict sees the weights of one published epoch
/// (never layers from two), and two Fit calls on one model run one after the other.
/// </summary>
public sealed class FitConcurrency
{
    private const int Depth = 8;

    /// <summary>A deep, narrow MLP: many layers make a torn read (some layers from epoch k+1, the rest from k) likely if publication is not atomic.</summary>
    private static Model Deep(string name)
    {
        var input = Input(shape: [4]);
        var x = input;
        for (int i = 0; i < Depth; i++) x = Dense(8, activation: "tanh", name: $"{name}_d{i}").Call(x);
        return new Model(input, Dense(1, name: $"{name}_out").Call(x), name);
    }

    private static (Tensor X, Tensor Y) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 4];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 4; j++) x[i * 4 + j] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = MathF.Sin(3 * x[i * 4]) + x[i * 4 + 1];
        }
        return (Tensor.FromArray(x, [n, 4]), Tensor.FromArray(y, [n, 1]));
    }

    /// <summary>The reader predicts through the trained model itself, or through another model that nests it (sharing its layers).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Predict_during_fit_sees_one_published_epoch_at_a_time(bool throughAnotherModel)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var model = Deep("live");
        var twin = Deep("twin");
        var outerInput = Input(shape: [4]);
        var reading = throughAnotherModel ? new Model(outerInput, model.Call(outerInput), "outer") : model;
        model.Compile(optimizer: Optimizers.SGD(learningRate: 0.2, momentum: 0.5), loss: "mse");
        var (x, y) = Data(8, seed: 2);
        var probe = Tensor.FromArray([0.3f, -0.7f, 0.1f, 0.9f], [1, 4]);

        var published = new List<Tensor[]> { model.GetWeights() };
        var seen = new List<float>();
        int predictions = 0, epochs = 0;
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!done.IsSet)
            {
                seen.Add(reading.Predict(probe)[0].ToArray()[0]);
                Interlocked.Increment(ref predictions);
            }
        });
        // An epoch that ends with the reader behind (fewer predictions than epochs) waits, after publishing, until it has
        // caught up: however the two threads are scheduled (a loaded machine can starve the reader), at least one
        // prediction runs per epoch, so the count below holds by construction, not by timing. A reader that keeps ahead,
        // as it does on an idle machine, never makes Fit wait; either way it runs freely through every training step.
        var record = new LambdaCallback(onEpochEnd: (_, _) =>
        {
            published.Add(model.GetWeights());
            epochs++;
            var spin = new SpinWait();
            while (Volatile.Read(ref predictions) < epochs && reader.IsAlive) spin.SpinOnce();
        });
        reader.Start();
        try
        {
            model.Fit(x, y, batchSize: 8, epochs: 1500, verbose: 0, shuffle: false, callbacks: [record]);
        }
        finally
        {
            done.Set();
            reader.Join();
        }

        // What each published state predicts, computed afterwards on a model with the same architecture.
        var expected = published.Select(w =>
        {
            twin.SetWeights(w);
            return twin.Predict(probe)[0].ToArray()[0];
        }).ToHashSet();
        Assert.True(expected.Count > 100, $"training should move the output: {expected.Count} distinct published outputs");
        Assert.True(seen.Count > 1000, $"only {seen.Count} predictions ran during Fit");
        var torn = seen.Where(v => !expected.Contains(v)).ToList();
        Assert.True(torn.Count == 0, $"{torn.Count} of {seen.Count} predictions match no published epoch, e.g. {string.Join(", ", torn.Take(5))}");
    }

    private static Model Small(int seed)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(seed);
        var model = Deep("m");
        model.Compile(optimizer: Optimizers.Adam(learningRate: 0.01), loss: "mse");
        return model;
    }

    [Fact]
    public void Two_fits_on_one_model_at_once_run_one_after_the_other()
    {
        var (x, y) = Data(16, seed: 7);
        var sequential = Small(seed: 9);
        var first = sequential.Fit(x, y, batchSize: 4, epochs: 30, verbose: 0);
        var second = sequential.Fit(x, y, batchSize: 4, epochs: 30, verbose: 0);

        var concurrent = Small(seed: 9);
        var histories = new History[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => histories[i] = concurrent.Fit(x, y, batchSize: 4, epochs: 30, verbose: 0))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        // Whichever ran first, the two runs are the sequential pair: the same losses, the same final weights.
        Assert.Equal(new[] { first["loss"], second["loss"] }.Select(l => string.Join(",", l)).Order(),
            histories.Select(h => string.Join(",", h["loss"])).Order());
        Assert.Equal(sequential.GetWeights().Select(w => w.ToArray()), concurrent.GetWeights().Select(w => w.ToArray()));
    }

    [Fact]
    public void A_fit_from_inside_the_same_models_fit_is_refused()
    {
        var model = Small(seed: 1);
        var (x, y) = Data(8, seed: 1);
        InvalidOperationException? nested = null, compile = null, batch = null;
        var callback = new LambdaCallback(onEpochEnd: (_, _) =>
        {
            nested = Assert.Throws<InvalidOperationException>(() => model.Fit(x, y, verbose: 0));
            compile = Assert.Throws<InvalidOperationException>(() => model.Compile("sgd", "mse"));
            batch = Assert.Throws<InvalidOperationException>(() => model.TrainOnBatch(x, y));
            model.Evaluate(x, y);
        });
        model.Fit(x, y, epochs: 1, verbose: 0, callbacks: [callback]);
        Assert.Contains("Fit was called while", nested!.Message);
        Assert.Contains("Compile was called while", compile!.Message);
        Assert.Contains("TrainOnBatch was called while", batch!.Message);
        Assert.Equal("Adam", model.Optimizer!.Name);
        model.Fit(x, y, epochs: 1, verbose: 0);
    }

    [Fact]
    public void Set_weights_on_a_model_is_seen_whole_by_predict_on_another_thread()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(2);
        var model = Deep("sw");
        var probe = Tensor.FromArray([0.3f, -0.7f, 0.1f, 0.9f], [1, 4]);
        var a = model.GetWeights();
        var b = a.Select(w => Tensor.FromArray([.. w.ToArray().Select(v => -v)], [.. w.Shape.Select(d => d!.Value)])).ToArray();
        float outA = model.Predict(probe)[0].ToArray()[0];
        model.SetWeights(b);
        float outB = model.Predict(probe)[0].ToArray()[0];
        Assert.NotEqual(outA, outB);
        var seen = new List<float>();
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!done.IsSet) seen.Add(model.Predict(probe)[0].ToArray()[0]);
        });
        reader.Start();
        for (int i = 0; i < 3000; i++) model.SetWeights(i % 2 == 0 ? a : b);
        done.Set();
        reader.Join();
        Assert.All(seen, v => Assert.True(v == outA || v == outB, $"{v} is neither {outA} nor {outB}"));
    }
}
