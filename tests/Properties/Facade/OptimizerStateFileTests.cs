using System.IO.Compression;
using System.Text.Json.Nodes;
using DeepGraph.Keras;
using DeepGraph.Properties.Serialization;
using DeepGraph.Serialization;
using PureHDF;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The optimizer's state in Keras's files: a compiled model that has trained saves its optimizer's variables (Keras 3's
/// <c>optimizer/vars</c> in <c>.keras</c>, OptimizerV2's <c>optimizer_weights</c> in <c>.h5</c>), and loading restores them,
/// so that training k epochs, saving, loading and training m more gives bit for bit the weights of k + m epochs without the
/// save. A state that does not fit the optimizer or the model is not read and the load says why.
/// </summary>
public sealed class OptimizerStateFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deepgraph-optstate-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    private const int Samples = 14;

    private static Model Build(string architecture) => architecture switch
    {
        // A Dense MLP with dropout (its masks follow the step count, which the file restores).
        "mlp" => new Sequential([Input(shape: [6]), Dense(8, activation: "relu"), Dropout(0.25), Dense(5, activation: "tanh"), Dense(3, activation: "softmax")]),
        // A conv net with batch normalization (moving statistics are non-trainable weights the optimizer does not touch).
        "conv" => new Sequential([Input(shape: [6, 6, 2]), Conv2D(4, 3, activation: "relu"), BatchNormalization(), MaxPooling2D(2), Flatten(), Dense(3, activation: "softmax")]),
        // A functional LSTM model.
        _ => Lstm(),
    };

    private static Model Lstm()
    {
        var x = Input(shape: [5, 3]);
        var h = LSTM(4, name: "recurrent").Call(x);
        return new Model(x, Dense(3, activation: "softmax", name: "head").Call(h), name: "sequence");
    }

    private static Tensor InputsFor(string architecture)
    {
        int[] shape = architecture switch { "mlp" => [Samples, 6], "conv" => [Samples, 6, 6, 2], _ => [Samples, 5, 3] };
        int n = shape.Aggregate(1, (a, d) => a * d);
        return Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => (float)Math.Sin(0.37 * i + 0.1 * (i % 7)))], shape);
    }

    private static readonly Tensor Labels = Tensor.FromArray([.. Enumerable.Range(0, Samples * 3).Select(i => i % 3 == (i / 3) % 3 ? 1f : 0f)], [Samples, 3]);

    private static Core.Optimizer OptimizerNamed(string name) => name switch
    {
        "adam" => Optimizers.Adam(0.02),
        "sgd" => Optimizers.SGD(0.05, momentum: 0.9),
        "rmsprop" => Optimizers.RMSprop(0.01),
        "rmsprop-momentum" => Optimizers.RMSprop(0.01, momentum: 0.5),
        _ => Optimizers.Adagrad(0.05),
    };

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var architecture in (string[])["mlp", "conv", "lstm"])
            foreach (var optimizer in (string[])["adam", "sgd", "rmsprop", "rmsprop-momentum", "adagrad"])
                foreach (var format in (string[])["keras", "h5"])
                    data.Add(architecture, optimizer, format);
        return data;
    }

    /// <summary>A compiled, seeded model of <paramref name="architecture"/>: the same seed gives the same weights and the same training seed.</summary>
    private static Model Compiled(string architecture, string optimizer)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(21);
        var model = Build(architecture);
        model.Compile(OptimizerNamed(optimizer), "categorical_crossentropy");
        return model;
    }

    private static float[][] Weights(Model model) => [.. model.GetWeights().Select(w => w.ToArray())];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_resumed_from_a_saved_file_equals_training_without_the_save_bit_for_bit(string architecture, string optimizer, string format)
    {
        const int k = 2, m = 2;
        var x = InputsFor(architecture);
        var reference = Compiled(architecture, optimizer);
        reference.Fit(x, Labels, batchSize: 4, epochs: k + m, verbose: 0);

        var first = Compiled(architecture, optimizer);
        first.Fit(x, Labels, batchSize: 4, epochs: k, verbose: 0);
        var path = PathOf("m." + format);
        first.Save(path);

        // Keras's way: set the seed, load, fit on from epoch k (shuffling and dropout follow the restored step count).
        Backend.ClearSession();
        Backend.SetRandomSeed(21);
        var resumed = Models.LoadModel(path);
        Assert.Empty(resumed.LoadWarnings);
        Assert.Equal(first.TrainedOptimizer!.Value.State.Iterations, resumed.TrainedOptimizer!.Value.State.Iterations);
        resumed.Fit(x, Labels, batchSize: 4, epochs: k + m, initialEpoch: k, verbose: 0);
        Assert.Equal(Weights(reference), Weights(resumed));

        // Without the optimizer's state the same continuation differs: the comparison above can fail.
        Backend.ClearSession();
        Backend.SetRandomSeed(21);
        var fresh = Models.LoadModel(path, compile: false);
        fresh.Compile(OptimizerNamed(optimizer), "categorical_crossentropy");
        fresh.Fit(x, Labels, batchSize: 4, epochs: k + m, initialEpoch: k, verbose: 0);
        Assert.NotEqual(Weights(reference), Weights(fresh));
    }

    [Theory]
    [InlineData("keras")]
    [InlineData("h5")]
    public void A_compiled_model_that_has_not_trained_saves_no_optimizer_state_and_loads_fresh(string format)
    {
        var model = Compiled("mlp", "adam");
        var path = PathOf("m." + format);
        model.Save(path);
        var loaded = Models.LoadModel(path);
        Assert.Empty(loaded.LoadWarnings);
        Assert.IsType<Core.Adam>(loaded.Optimizer);
        Assert.Null(loaded.TrainedOptimizer);
        using var read = File.OpenRead(path);
        var contents = format == "keras" ? KerasArchive.Read(read) : KerasH5.Read(read);
        Assert.Null(contents.OptimizerState);
    }

    /// <summary>Trains a model one epoch and saves it as <c>.keras</c>, its compile settings then changed by <paramref name="change"/>.</summary>
    private string TrainedKerasFile(string optimizer, Action<JsonObject> change)
    {
        var model = Compiled("mlp", optimizer);
        model.Fit(InputsFor("mlp"), Labels, batchSize: 4, epochs: 1, verbose: 0);
        var path = PathOf("changed.keras");
        model.Save(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry("config.json")!;
        JsonObject config;
        using (var reader = new StreamReader(entry.Open())) config = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        change(config["compile_config"]!.AsObject());
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry("config.json").Open());
        writer.Write(config.ToJsonString());
        return path;
    }

    [Theory]
    // Adam keeps 2 + 2n variables, SGD with momentum 2 + n: the count differs.
    [InlineData("adam", """{"module": "keras.optimizers", "class_name": "SGD", "config": {"learning_rate": 0.01, "momentum": 0.9}, "registered_name": null}""", "holds 14 optimizer variables")]
    // RMSprop with and without momentum: the count differs.
    [InlineData("rmsprop", """{"module": "keras.optimizers", "class_name": "RMSprop", "config": {"learning_rate": 0.01, "momentum": 0.5}, "registered_name": null}""", "holds 8 optimizer variables")]
    // A schedule has no learning-rate variable: every variable after the iteration count is shifted.
    [InlineData("sgd", """{"module": "keras.optimizers", "class_name": "SGD", "config": {"learning_rate": {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5}, "registered_name": null}, "momentum": 0.9}, "registered_name": null}""", "holds 8 optimizer variables")]
    public void A_state_that_does_not_fit_the_optimizer_is_not_read_and_the_load_says_why(string saved, string optimizer, string named)
    {
        var path = TrainedKerasFile(saved, c => c["optimizer"] = JsonNode.Parse(optimizer));
        var loaded = Models.LoadModel(path);
        var warning = Assert.Single(loaded.LoadWarnings);
        Assert.Contains("optimizer state was not restored", warning);
        Assert.Contains(named, warning);
        Assert.NotNull(loaded.Optimizer);
        Assert.Null(loaded.TrainedOptimizer);
        // compile: false reads nothing of it, and says nothing.
        Assert.Empty(Models.LoadModel(path, compile: false).LoadWarnings);
    }

    [Fact]
    public void An_h5_state_written_for_another_optimizer_class_is_not_read_and_the_warning_names_its_variable()
    {
        var model = Compiled("mlp", "adam");
        model.Fit(InputsFor("mlp"), Labels, batchSize: 4, epochs: 1, verbose: 0);
        var path = PathOf("m.h5");
        model.Save(path);
        // The file's state read for SGD: "Adam/…" names no SGD variable.
        var contents = KerasH5.Read(new MemoryStream(File.ReadAllBytes(path)));
        Assert.Equal("Adam", (string?)contents.TrainingConfig!["optimizer_config"]!["class_name"]);
        var sgd = new Core.Sgd { Momentum = 0.9f };
        var (snapshot, why) = KerasOptimizerState.Read(contents.OptimizerState!, sgd, contents.Model);
        Assert.Null(snapshot);
        Assert.Contains("Adam/iter:0", why);
    }

    [Fact]
    public void A_keras_2_h5_file_restores_its_tf_keras_optimizer_state_by_name()
    {
        // tf.keras 2.2.4 (OptimizerV2): training/Adam/iter:0, then every m, then every v, by weight name.
        var relative = "dl4j-test-resources/src/main/resources/modelimport/keras/weights/issue_9560.h5";
        var path = Path.Combine(Fixtures.KerasFiles, relative);
        Backend.ClearSession();
        var model = Models.LoadModel(path);
        Assert.Empty(model.LoadWarnings);
        var (optimizer, state) = model.TrainedOptimizer!.Value;
        Assert.IsType<Core.Adam>(optimizer);
        using var file = PureHDF.H5File.OpenRead(path);
        var group = file.Group("optimizer_weights");
        Assert.Equal(group.Dataset("training/Adam/iter:0").Read<long>(), state.Iterations);
        var dense = model.GetLayer("dense_1").Record;
        var m = new float[500 * 10];
        group.Dataset("training/Adam/dense_1/kernel/v:0").Read<float[]>(m);
        Assert.Equal(m, state.SlotsOf(new Core.WeightKey(dense.Id, 0))[1]);
    }

    [Theory]
    [InlineData("simple_lstm/simple_lstm_tf_keras_2_model.h5")]
    [InlineData("simple_rnn/simple_rnn_tf_keras_2_model.h5")]
    [InlineData("simple_flatten_lstm/simple_flatten_lstm_tf_keras_2_model.h5")]
    public void Keras_2_files_restore_their_unnamed_rmsprop_accumulators_by_position(string relative)
    {
        // Keras 2.0–2.1: Variable:0 … one accumulator per trainable weight, in the model's order, no iteration count.
        var path = Path.Combine(Fixtures.KerasFiles, "dl4j-test-resources/src/main/resources/modelimport/keras/examples", relative);
        Backend.ClearSession();
        var model = Models.LoadModel(path);
        Assert.Empty(model.LoadWarnings);
        Assert.IsType<Core.RmsProp>(model.Optimizer);
        // No iteration count: the accumulators are restored at 0 iterations.
        var (_, restored) = model.OptimizerAndState!.Value;
        Assert.Equal(0, restored.Iterations);
        using var stream = File.OpenRead(path);
        var contents = KerasH5.Read(stream);
        var (snapshot, why) = KerasOptimizerState.Read(contents.OptimizerState!, model.Optimizer!, contents.Model);
        Assert.Null(why);
        using var file = PureHDF.H5File.OpenRead(path);
        var names = contents.OptimizerState!.Variables.Select(v => v.Path).ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            var want = new float[snapshot!.Slots[i][0].Length];
            file.Dataset(names[i]).Read<float[]>(want);
            Assert.Equal(want, snapshot.Slots[i][0]);
            // The model holds the same accumulators.
            Assert.Equal(want, restored.SlotsOf(Core.OptimizerVariables.TrainableOrder(model.CoreModel)[i].Key)[0]);
        }
    }

    [Theory]
    [InlineData("mlp", "sgd")]
    [InlineData("conv", "adam")]
    [InlineData("lstm", "rmsprop")]
    public void Two_fits_the_second_from_initialEpoch_equal_one_fit_of_every_epoch_bit_for_bit(string architecture, string optimizer)
    {
        // Shuffling and dropout follow the seed and the step count only, so a Fit continued in a second call trains as one long Fit.
        var x = InputsFor(architecture);
        var once = Compiled(architecture, optimizer);
        once.Fit(x, Labels, batchSize: 4, epochs: 4, verbose: 0);
        var twice = Compiled(architecture, optimizer);
        twice.Fit(x, Labels, batchSize: 4, epochs: 2, verbose: 0);
        twice.Fit(x, Labels, batchSize: 4, epochs: 4, initialEpoch: 2, verbose: 0);
        Assert.Equal(Weights(once), Weights(twice));
    }
}
