using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Training;

/// <summary>
/// What a Keras user tripped over: a Sequential model without an input shape is built by the
/// first data it sees, and two outputs of one layer have names of their own (<c>score</c>, <c>score_1</c>).
/// </summary>
public sealed class KerasUserPaths
{
    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static (Tensor X, Tensor Y) Data(int n, int features, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * features];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < features; j++) x[i * features + j] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = x[i * features] * 2 - x[i * features + features - 1];
        }
        return (T(x, n, features), T(y, n, 1));
    }

    private static Sequential Unbuilt(int seed)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(seed);
        var model = new Sequential([Dense(32, activation: "relu"), Dense(1)]);
        model.Compile("adam", "mse", metrics: ["mae"]);
        return model;
    }

    public static TheoryData<string> Entries => ["Fit", "Evaluate", "Predict", "TrainOnBatch", "TestOnBatch"];

    /// <summary>Each entry point builds the model for its data's shape; the model is then the one <c>Build(shape)</c> gives (same seed, same weights, same predictions).</summary>
    [Theory]
    [MemberData(nameof(Entries))]
    public void An_unbuilt_sequential_is_built_by_the_first_data_it_sees(string entry)
    {
        var (x, y) = Data(12, features: 5, seed: 1);
        var model = Unbuilt(seed: 3);
        Assert.Contains("Build(shape)", Assert.Throws<InvalidOperationException>(() => model.Summary(_ => { })).Message);
        switch (entry)
        {
            case "Fit": Assert.True(double.IsFinite(model.Fit(x, y, epochs: 2, verbose: 0)["loss"][^1])); break;
            case "Evaluate": Assert.True(double.IsFinite(model.Evaluate(x, y)["mae"])); break;
            case "Predict": Assert.Equal([12, 1], model.Predict(x)[0].Shape.Select(d => d!.Value)); break;
            case "TrainOnBatch": Assert.True(double.IsFinite(model.TrainOnBatch(x, y))); break;
            default: Assert.Contains("mae", model.TestOnBatch([x], [y]).Keys); break;
        }
        Assert.Equal([5, 32], model.Layers[0].GetWeights()[0].Shape.Select(d => d!.Value));

        var explicitly = Unbuilt(seed: 3);
        explicitly.Build(5);
        switch (entry)
        {
            case "Fit": explicitly.Fit(x, y, epochs: 2, verbose: 0); break;
            case "TrainOnBatch": explicitly.TrainOnBatch(x, y); break;
        }
        Assert.Equal(explicitly.Predict(x)[0].ToArray(), model.Predict(x)[0].ToArray());
    }

    [Fact]
    public void Data_the_layers_cannot_take_leaves_the_model_unbuilt_and_ready_for_good_data()
    {
        Backend.ClearSession();
        var model = new Sequential([Conv2D(4, 3), Flatten(), Dense(1)]);
        model.Compile("sgd", "mse");
        var (flat, y) = Data(6, features: 5, seed: 2);
        Assert.Throws<ShapeError>(() => model.Fit(flat, y, verbose: 0));
        Assert.False(model.Layers[0].Built);
        Assert.Throws<InvalidOperationException>(() => model.CoreModel);
        var images = T(new float[6 * 5 * 5 * 1], 6, 5, 5, 1);
        Assert.True(double.IsFinite(model.Fit(images, y, verbose: 0)["loss"][0]));
        Assert.Equal([3, 3, 1, 4], model.Layers[0].GetWeights()[0].Shape.Select(d => d!.Value));
    }

    [Fact]
    public void An_empty_sequential_given_data_says_it_has_no_layers()
    {
        Backend.ClearSession();
        var model = new Sequential();
        Assert.Contains("no layers", Assert.Throws<InvalidOperationException>(() => model.Predict(T([1, 2], 1, 2))).Message);
    }

    /// <summary>One layer called on two inputs, both calls model outputs.</summary>
    private static Model TwoCallsOfOneLayer()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(8);
        var a = Input(shape: [3], name: "a");
        var b = Input(shape: [3], name: "b");
        var score = Dense(1, name: "score");
        return new Model([a, b], [score.Call(a), score.Call(b)], name: "siamese");
    }

    [Fact]
    public void Two_outputs_of_one_layer_are_score_and_score_1_in_logs_history_and_keys()
    {
        var (x1, y1) = Data(10, features: 3, seed: 4);
        var (x2, _) = Data(10, features: 3, seed: 5);
        var y2 = T([.. y1.ToArray().Select(v => 10 * v + 3)], 10, 1);
        var model = TwoCallsOfOneLayer();
        Assert.Equal(["score", "score_1"], DeepGraph.Core.Trainer.OutputNames(model.CoreModel));

        model.Compile("sgd", "mse", metrics: ["mae"]);
        var logs = model.Evaluate([x1, x2], [y1, y2]);
        Assert.Equal(["loss", "score_1_loss", "score_1_mae", "score_loss", "score_mae"], logs.Keys.Order());
        Assert.NotEqual(logs["score_loss"], logs["score_1_loss"]);
        Assert.Equal(logs["loss"], logs["score_loss"] + logs["score_1_loss"], 1e-9);
        var history = model.Fit([x1, x2], [y1, y2], epochs: 2, verbose: 0);
        Assert.Equal(["loss", "score_1_loss", "score_1_mae", "score_loss", "score_mae"], history.HistoryData.Keys.Order());

        // "score" is the first output only: a dictionary keyed "score" alone leaves score_1 without a loss.
        var missing = Assert.Throws<ArgumentException>(() => model.Compile("sgd", new Dictionary<string, string> { ["score"] = "mse" }));
        Assert.Contains("'score_1'", missing.Message);
        model.Compile("sgd", new Dictionary<string, string> { ["score"] = "mse", ["score_1"] = "mae" },
            metrics: new Dictionary<string, string[]> { ["score_1"] = ["mse"] });
        var keyed = model.Evaluate([x1, x2], [y1, y2]);
        model.Compile("sgd", new[] { "mse", "mae" }, metrics: new[] { Array.Empty<string>(), new[] { "mse" } });
        Assert.Equal(model.Evaluate([x1, x2], [y1, y2]), keyed);
        Assert.False(keyed.ContainsKey("score_mse"));
        Assert.Contains("'score_2'", Assert.Throws<ArgumentException>(() =>
            model.Compile("sgd", new Dictionary<string, string> { ["score"] = "mse", ["score_1"] = "mse", ["score_2"] = "mse" })).Message);
    }

    [Fact]
    public void A_layer_named_like_a_suffix_pushes_the_repeated_output_to_the_next_free_suffix()
    {
        Backend.ClearSession();
        var a = Input(shape: [3]);
        var score = Dense(1, name: "score");
        var other = Dense(1, name: "score_1");
        var model = new Model(a, [score.Call(a), other.Call(a), score.Call(a)]);
        Assert.Equal(["score", "score_1", "score_2"], DeepGraph.Core.Trainer.OutputNames(model.CoreModel));
    }
}
