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

    [Fact]
    public void Predict_during_fit_sees_one_published_epoch_at_a_time()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var model = Deep("live");
        var twin = Deep("twin");
        model.Compile(optimizer: Optimizers.SGD(learningRate: 0.2, momentum: 0.5), loss: "mse");
        var (x, y) = Data(8, seed: 2);
        var probe = Tensor.FromArray([0.3f, -0.7f, 0.1f, 0.9f], [1, 4]);

        var published = new List<Tensor[]> { model.GetWeights() };
        var record = new LambdaCallback(onEpochEnd: (_, _) => published.Add(model.GetWeights()));
        var seen = new List<float>();
        using var done = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (!done.IsSet)
                seen.Add(model.Predict(probe)[0].ToArray()[0]);
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
}
