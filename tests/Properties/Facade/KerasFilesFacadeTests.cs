using System.Buffers.Binary;
using System.Text.Json.Nodes;
using DeepGraph.Keras;
using DeepGraph.Properties.Serialization;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// <c>Models.LoadModel</c> over Keras's own files: the format is told by the bytes (a renamed file still loads), every
/// keras-files case loads and predicts within 1e-4 · max(1, |want|), save → load is identical for every format pair,
/// and the verify option runs the test case stored beside a model.
/// </summary>
public sealed class KerasFilesFacadeTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deepgraph-kerasfiles-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string PathOf(string name) => Path.Combine(folder, name);

    // ---- helpers -----------------------------------------------------------------------

    /// <summary>A keras-files case: its model file, inputs and expected outputs.</summary>
    private sealed record Case(string ModelPath, Tensor[] Inputs, Tensor[] Outputs);

    private static Case ReadCase(string relative)
    {
        var expected = Path.Combine(Fixtures.KerasFiles, "expected");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(expected, relative)))!;
        var bin = File.ReadAllBytes(Path.Combine(expected, relative[..^".json".Length] + ".bin"));
        Tensor Take(JsonNode t)
        {
            var shape = t["shape"]!.AsArray().Select(d => (int)d!).ToArray();
            int offset = (int)t["offset"]!, count = (int)t["bytes"]! / 4;
            var values = new float[count];
            for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bin.AsSpan(offset + 4 * i, 4));
            return Tensor.FromArray(values, shape);
        }
        var tensors = json["tensors"]!.AsArray();
        return new Case(Path.Combine(Fixtures.KerasFiles, (string)json["model"]!),
            [.. tensors.Where(t => ((string)t!["name"]!).StartsWith("input_", StringComparison.Ordinal)).Select(t => Take(t!))],
            [.. tensors.Where(t => ((string)t!["name"]!).StartsWith("output_", StringComparison.Ordinal)).Select(t => Take(t!))]);
    }

    /// <summary>
    /// The model's outputs for a case's inputs, in one batch. A model whose input declares a fixed batch (the four
    /// tf.keras RNN files declare 25) runs on the case's batch of 2, as in Keras 3.
    /// </summary>
    private static Tensor[] PredictCase(Model model, Tensor[] inputs) => model.Predict(inputs, batchSize: inputs[0].Shape[0]!.Value);

    private static void AssertClose(Tensor want, Tensor got, string what)
    {
        Assert.Equal(want.Shape, got.Shape);
        var w = want.ToArray();
        var g = got.ToArray();
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(g[i] - (double)w[i]) <= 1e-4 * Math.Max(1, Math.Abs(w[i])), $"{what}: value {i} is {g[i]}, want {w[i]}");
    }

    private static readonly Tensor Probe = Tensor.FromArray([.. Enumerable.Range(0, 3 * 8).Select(i => (float)Math.Sin(i))], [3, 8]);

    private static Model Dense2()
    {
        Backend.SetRandomSeed(11);
        return new Sequential([Input(shape: [8], name: "x"), Dense(6, activation: "relu", name: "hidden"), Dense(2, activation: "softmax", name: "out")]);
    }

    /// <summary>A functional model with a branch, a merge and two outputs.</summary>
    private static Model TwoHeads()
    {
        Backend.SetRandomSeed(12);
        var x = Input(shape: [8], name: "features");
        var a = Dense(5, activation: "tanh", name: "left").Call(x);
        var b = Dense(5, activation: "sigmoid", name: "right").Call(x);
        var merged = Concatenate(name: "joined").Call([a, b]);
        var score = Dense(1, name: "score").Call(merged);
        var kind = Dense(3, activation: "softmax", name: "kind").Call(Add(name: "sum").Call([a, b]));
        return new Model(x, [score, kind], name: "two_heads");
    }

    /// <summary>A model nesting another, with a recurrent layer: input [5, 3] → LSTM → nested (Dense) → Dense.</summary>
    private static Model NestedRecurrent()
    {
        Backend.SetRandomSeed(13);
        var innerInput = Input(shape: [4], name: "inner_in");
        var inner = new Model(innerInput, Dense(3, activation: "relu", name: "inner_dense").Call(innerInput), name: "inner");
        var x = Input(shape: [5, 3], name: "steps");
        var h = LSTM(4, name: "lstm").Call(x);
        return new Model(x, Dense(1, name: "head").Call(inner.Call(h)), name: "outer");
    }

    private static readonly Tensor SequenceProbe = Tensor.FromArray([.. Enumerable.Range(0, 3 * 5 * 3).Select(i => (float)Math.Cos(0.3 * i))], [3, 5, 3]);

    private static void AssertSamePredictions(Model want, Model got) => AssertSamePredictions(want, got, want.Inputs[0].Shape.Rank == 3 ? SequenceProbe : Probe);

    private static void AssertSamePredictions(Model want, Model got, Tensor probe)
    {
        var w = want.Predict(probe);
        var g = got.Predict(probe);
        Assert.Equal(w.Length, g.Length);
        for (int k = 0; k < w.Length; k++) Assert.Equal(w[k].ToArray(), g[k].ToArray());
        Assert.Equal(want.GetWeights(), got.GetWeights());
        Assert.Equal(want.Layers.Select(l => (l.Name, l.Record.ClassName)), got.Layers.Select(l => (l.Name, l.Record.ClassName)));
    }

    private static string Extension(string format) => format switch { "keras" => ".keras", "h5" => ".h5", _ => ".json" };

    // ---- sniffing (no container needed) ------------------------------------------------------

    [Fact]
    public void A_tfjs_model_saved_under_a_keras_name_loads_by_its_bytes()
    {
        Backend.ClearSession();
        var model = Dense2();
        var json = PathOf("m.json");
        model.Save(json);
        // The JSON keeps its weight file's name; a copy named .keras or .h5 is still JSON, and loads as such.
        foreach (var name in new[] { "renamed.keras", "renamed.h5" })
        {
            File.Copy(json, PathOf(name));
            AssertSamePredictions(model, Models.LoadModel(PathOf(name)));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 1, 2 }, "Zip")]
    [InlineData(new byte[] { 0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0 }, "Hdf5")]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, 0x20, 0x0A, 0x7B, 0x7D }, "Json")]
    [InlineData(new byte[] { 0x7B }, "Json")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x05, 0x06 }, "Unknown")]
    [InlineData(new byte[] { 0x89, 0x48, 0x44, 0x46 }, "Unknown")]
    [InlineData(new byte[] { 0x5B, 0x5D }, "Unknown")]
    [InlineData(new byte[0], "Unknown")]
    public void The_format_is_told_by_the_first_bytes(byte[] head, string kind)
    {
        using var stream = new MemoryStream(head);
        Assert.Equal(kind, ModelFormats.Sniff(stream).ToString());
        Assert.Equal(0, stream.Position);
    }

    [Theory]
    [InlineData(512)]
    [InlineData(1024)]
    [InlineData(4096)]
    public void An_hdf5_signature_after_a_user_block_is_found_and_not_elsewhere(int offset)
    {
        var signature = new byte[] { 0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A };
        var bytes = new byte[offset + 64];
        bytes[0] = (byte)'#';
        signature.CopyTo(bytes, offset);
        Assert.Equal(ModelFormats.Kind.Hdf5, ModelFormats.Sniff(new MemoryStream(bytes)));
        var misplaced = new byte[offset + 64];
        signature.CopyTo(misplaced, offset + 8); // not at a power of two from 512
        Assert.Equal(ModelFormats.Kind.Unknown, ModelFormats.Sniff(new MemoryStream(misplaced)));
    }

    [Fact]
    public void A_file_of_no_known_format_is_refused_naming_the_formats()
    {
        File.WriteAllBytes(PathOf("m.keras"), [.. "GIF89a, not a model"u8]);
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(PathOf("m.keras")));
        Assert.Contains("zip", e.Message);
        Assert.Contains("HDF5", e.Message);
        Assert.Contains("JSON", e.Message);
        Assert.IsNotType<UnsupportedLayerError>(e);
    }

    [Fact]
    public void A_bare_keras_to_json_config_is_refused_pointing_to_the_two_path_load()
    {
        Backend.ClearSession();
        var model = Dense2();
        model.Save(PathOf("m.json"));
        var topology = JsonNode.Parse(File.ReadAllText(PathOf("m.json")))!["modelTopology"]!.DeepClone();
        File.WriteAllText(PathOf("to_json.json"), topology.ToJsonString());
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(PathOf("to_json.json")));
        Assert.Contains("LoadModel(jsonPath, weightsPath)", e.Message);
        Assert.Contains("save_weights", e.Message);
    }

    [Fact]
    public void The_two_path_load_refuses_a_weights_file_that_is_not_hdf5()
    {
        Backend.ClearSession();
        Dense2().Save(PathOf("m.json"));
        File.WriteAllText(PathOf("config.json"), JsonNode.Parse(File.ReadAllText(PathOf("m.json")))!["modelTopology"]!.ToJsonString());
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(PathOf("config.json"), PathOf(Models.WeightsFileName(PathOf("m.json")))));
        Assert.Contains("not an HDF5 file", e.Message);
    }

    // ---- Save's formats and atomicity (no container needed) -------------------------------------

    [Theory]
    [InlineData("m.h5", "keras")]
    [InlineData("m.keras", "h5")]
    [InlineData("m.keras", "tfjs")]
    [InlineData("m.json", "h5")]
    [InlineData("m.bin", "tfjs")]
    [InlineData("m.keras", "savedmodel")]
    public void A_format_that_disagrees_with_the_path_or_is_unknown_is_refused_and_nothing_is_written(string name, string format)
    {
        Backend.ClearSession();
        var e = Assert.Throws<ArgumentException>(() => Dense2().Save(PathOf(name), format: format));
        Assert.Contains(format == "savedmodel" ? "unknown format" : "format", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Theory]
    [InlineData("m.keras", null, "keras")]
    [InlineData("m.H5", null, "h5")]
    [InlineData("m.hdf5", null, "h5")]
    [InlineData("m.json", null, "tfjs")]
    [InlineData("m.bin", "keras", "keras")]
    [InlineData("m", "h5", "h5")]
    [InlineData("m.json", "TFJS", "tfjs")]
    public void The_format_comes_from_the_argument_or_the_extension(string name, string? format, string kind) =>
        Assert.Equal(kind, ModelFile.CheckPath(name, "Model.Save", "path", format));

    [Fact]
    public void A_single_file_save_that_fails_leaves_the_old_file_and_no_temporary_file()
    {
        var path = PathOf("m.keras");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => ModelFile.SaveFile(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidDataException("writer failed half-way");
        }));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["m.keras"], Directory.GetFiles(folder).Select(Path.GetFileName));

        // A step that fails after the file is written whole, before the rename, leaves it as well.
        Assert.Throws<IOException>(() => ModelFile.SaveFile(path, stream => stream.Write(new byte[10]), step => throw new IOException(step)));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(folder));

        ModelFile.SaveFile(path, [4, 5]);
        Assert.Equal([4, 5], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Theory]
    [InlineData("keras")]
    [InlineData("h5")]
    public void A_keras_format_save_whose_writer_fails_leaves_the_saved_model(string format)
    {
        Backend.ClearSession();
        var path = PathOf("m" + Extension(format));
        File.WriteAllBytes(path, [7, 7, 7]);
        // A layer with no Keras form (a function of the program's) makes the writer fail; stubs fail as well.
        var x = Input(shape: [8], name: "x");
        var y = Lambda(t => t * 2f, name: "twice").Call(x);
        var model = new Model(x, y);
        Assert.ThrowsAny<Exception>(() => model.Save(path));
        Assert.Equal([7, 7, 7], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(folder));
    }

    // ---- verify (TF.js here; the Keras formats below) ---------------------------------------

    [Fact]
    public void A_model_saved_with_a_test_case_verifies_and_a_changed_output_is_named()
    {
        Backend.ClearSession();
        var model = TwoHeads();
        var path = PathOf("m.json");
        model.Save(path, testCase: [Probe]);
        Assert.True(File.Exists(path + ".io.json"));
        Assert.Equal(3 * 8 * 4 + 3 * 1 * 4 + 3 * 3 * 4, new FileInfo(path + ".io.bin").Length);
        AssertSamePredictions(model, Models.LoadModel(path, verify: true));

        // Output 1 (kind), sample 2, class 1 moved by 1e-3: beyond 1e-4 · max(1, |want|).
        var bin = File.ReadAllBytes(path + ".io.bin");
        int at = 3 * 8 * 4 + 3 * 4 + (2 * 3 + 1) * 4;
        float want = BinaryPrimitives.ReadSingleLittleEndian(bin.AsSpan(at)) + 1e-3f;
        BinaryPrimitives.WriteSingleLittleEndian(bin.AsSpan(at), want);
        File.WriteAllBytes(path + ".io.bin", bin);
        var e = Assert.Throws<ModelVerificationError>(() => Models.LoadModel(path, verify: true));
        Assert.Equal(1, e.Output);
        Assert.Equal(7, e.Index);
        Assert.Equal([2, 1], e.Coordinates);
        Assert.Equal(want, e.Want);
        Assert.Equal(model.Predict(Probe)[1][2, 1], e.Got);
        Assert.Equal(1e-4, e.Tolerance, 12);
        Assert.Contains("output 1 at [2, 1]", e.Message);
        // Without verify, the same files load.
        Models.LoadModel(path);
        // Within the tolerance, it verifies.
        BinaryPrimitives.WriteSingleLittleEndian(bin.AsSpan(at), want - 1e-3f + 5e-5f);
        File.WriteAllBytes(path + ".io.bin", bin);
        Models.LoadModel(path, verify: true);
    }

    [Fact]
    public void Verify_without_a_test_case_or_with_a_broken_one_is_a_format_error_and_a_save_without_one_removes_the_old()
    {
        Backend.ClearSession();
        var model = Dense2();
        var path = PathOf("m.json");
        model.Save(path);
        var missing = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path, verify: true));
        Assert.Contains("testCase", missing.Message);

        model.Save(path, testCase: [Probe]);
        var json = File.ReadAllText(path + ".io.json");
        foreach (var broken in new[] { "{", "[]", json.Replace("\"input_0\"", "\"input_7\""), json.Replace("\"bytes\": 96", "\"bytes\": 9600"), json.Replace("\"float32\"", "\"int64\"") })
        {
            File.WriteAllText(path + ".io.json", broken);
            var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path, verify: true));
            Assert.IsNotType<ModelVerificationError>(e);
        }
        model.Save(path);
        Assert.False(File.Exists(path + ".io.json"));
        Assert.False(File.Exists(path + ".io.bin"));
    }

    [Fact]
    public void A_test_case_that_does_not_fit_the_model_is_refused_before_anything_is_written()
    {
        Backend.ClearSession();
        var model = Dense2();
        Assert.Throws<ArgumentException>(() => model.Save(PathOf("m.json"), testCase: [Probe, Probe]));
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    // ---- compile settings (no container needed) -------------------------------------------

    private static Model Compiled(Model model, JsonObject? training, JsonObject? compile, out List<string> warnings)
    {
        warnings = [];
        KerasCompileConfig.Apply(model, training, compile, warnings);
        return model;
    }

    [Fact]
    public void A_legacy_training_config_compiles_the_model_with_its_optimizer_loss_and_metrics()
    {
        Backend.ClearSession();
        var training = JsonNode.Parse("""
            {"optimizer_config": {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.004, "decay": 0.0, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-07, "amsgrad": false}},
             "loss": {"class_name": "CategoricalCrossentropy", "config": {"reduction": "auto", "name": "categorical_crossentropy", "from_logits": true, "label_smoothing": 0.1}},
             "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "accuracy", "dtype": "float32", "fn": "categorical_accuracy"}}]],
             "weighted_metrics": null, "loss_weights": null, "sample_weight_mode": null}
            """)!.AsObject();
        var model = Compiled(Dense2(), training, null, out var warnings);
        Assert.Empty(warnings);
        var adam = Assert.IsType<Core.Adam>(model.Optimizer);
        Assert.Equal((0.004f, 0.8f, 0.99f, 1e-7f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon));
        var (config, _) = model.Compiled!.Value;
        Assert.Equal(new Core.CategoricalCrossentropy(true, 0.1), config.Losses[0]);
        Assert.Equal("accuracy", config.Metrics[0].Single().Name);
        var x = Tensor.FromArray(new float[4 * 8], [4, 8]);
        var y = Tensor.FromArray([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
        Assert.Contains("accuracy", model.Evaluate(x, y).Keys);
    }

    [Fact]
    public void A_keras3_compile_config_compiles_a_two_output_model_with_losses_and_weights_by_name()
    {
        Backend.ClearSession();
        var compile = JsonNode.Parse("""
            {"optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {"name": "SGD", "learning_rate": 0.05, "weight_decay": null, "clipnorm": null,
               "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99, "ema_overwrite_frequency": null, "loss_scale_factor": null,
               "gradient_accumulation_steps": null, "momentum": 0.9, "nesterov": true}, "registered_name": null},
             "loss": {"score": "mse", "kind": {"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy", "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": false}, "registered_name": null}},
             "loss_weights": {"score": 0.5}, "metrics": {"kind": ["accuracy"]}, "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}
            """)!.AsObject();
        var model = Compiled(TwoHeads(), null, compile, out var warnings);
        Assert.Empty(warnings);
        Assert.Equal(new Core.Sgd { LearningRate = 0.05f, Momentum = 0.9f, Nesterov = true }, model.Optimizer);
        var (config, outputs) = model.Compiled!.Value;
        Assert.Equal(["score", "kind"], outputs);
        Assert.IsType<Core.MeanSquaredError>(config.Losses[0]);
        Assert.IsType<Core.SparseCategoricalCrossentropy>(config.Losses[1]);
        Assert.Equal([0.5, 1.0], config.LossWeights);
        Assert.Empty(config.Metrics[0]);
        Assert.Equal("accuracy", config.Metrics[1].Single().Name);
    }

    [Theory]
    [InlineData("""{"optimizer": "lion", "loss": "mse"}""", "lion")]
    [InlineData("""{"optimizer": {"class_name": "Adam", "config": {"learning_rate": 0.001, "amsgrad": true}}, "loss": "mse"}""", "amsgrad")]
    [InlineData("""{"optimizer": {"class_name": "SGD", "config": {"clipnorm": 1.0}}, "loss": "mse"}""", "clipnorm")]
    [InlineData("""{"optimizer": "adam", "loss": "my_custom_loss"}""", "my_custom_loss")]
    [InlineData("""{"optimizer": "adam", "loss": {"class_name": "MeanSquaredError", "config": {"reduction": "sum"}}}""", "reduction")]
    [InlineData("""{"optimizer": "adam"}""", "no loss")]
    public void Unknown_compile_settings_leave_the_model_uncompiled_with_a_warning(string compile, string named)
    {
        Backend.ClearSession();
        var model = Compiled(Dense2(), null, JsonNode.Parse(compile)!.AsObject(), out var warnings);
        Assert.Null(model.Optimizer);
        Assert.Contains(named, Assert.Single(warnings));
        Assert.Contains("not compiled", warnings[0]);
    }

    [Fact]
    public void An_unknown_metric_is_dropped_with_a_warning_and_the_model_still_compiles()
    {
        Backend.ClearSession();
        var model = Compiled(Dense2(), null, JsonNode.Parse("""{"optimizer": "rmsprop", "loss": "categorical_crossentropy", "metrics": ["accuracy", "f_beta_score"]}""")!.AsObject(), out var warnings);
        Assert.IsType<Core.RmsProp>(model.Optimizer);
        Assert.Contains("f_beta_score", Assert.Single(warnings));
    }

    public static TheoryData<string> OptimizerNames => ["sgd", "adam", "rmsprop", "adagrad"];

    [Theory]
    [MemberData(nameof(OptimizerNames))]
    public void Compile_settings_written_as_training_config_or_compile_config_compile_an_equal_model(string optimizerName)
    {
        Backend.ClearSession();
        var model = TwoHeads();
        var optimizer = Core.Optimizer.Get(optimizerName) with { LearningRate = 0.0125f };
        model.Compile(optimizer, new Dictionary<string, LossItem> { ["score"] = Losses.Huber(0.5), ["kind"] = Losses.CategoricalCrossentropy(fromLogits: true) },
            metrics: new Dictionary<string, string[]> { ["kind"] = ["accuracy"] }, lossWeights: [0.25, 2.0]);
        var want = model.Compiled!.Value.Config;
        foreach (var (training, compile) in new[] { (KerasCompileConfig.ToTrainingConfig(model), (JsonObject?)null), (null, KerasCompileConfig.ToCompileConfig(model)) })
        {
            Assert.NotNull(training ?? compile);
            var again = Compiled(TwoHeads(), training, compile, out var warnings);
            Assert.Empty(warnings);
            var got = again.Compiled!.Value.Config;
            Assert.Equal(want.Optimizer, got.Optimizer);
            Assert.Equal(want.Losses, got.Losses);
            Assert.Equal(want.LossWeights, got.LossWeights);
            Assert.Equal(want.Metrics.Select(m => m.Select(x => x.Name).ToArray()), got.Metrics.Select(m => m.Select(x => x.Name).ToArray()));
        }
        Assert.Equal("keras.optimizers", (string?)KerasCompileConfig.ToCompileConfig(model)!["optimizer"]!["module"]);
        Assert.Equal(optimizer.Name, (string?)KerasCompileConfig.ToTrainingConfig(model)!["optimizer_config"]!["class_name"]);
    }

    [Fact]
    public void Keras_2_decay_becomes_an_inverse_time_schedule_and_schedules_survive_both_config_forms()
    {
        Backend.ClearSession();
        var training = JsonNode.Parse("""{"optimizer_config": {"class_name": "SGD", "config": {"lr": 0.1, "momentum": 0.0, "decay": 0.5, "nesterov": false}}, "loss": "mse"}""")!.AsObject();
        var model = Compiled(Dense2(), training, null, out var warnings);
        Assert.Empty(warnings);
        var schedule = model.Optimizer!.Schedule!;
        Assert.Equal("InverseTimeDecay", schedule.ClassName);
        foreach (var step in new long[] { 0, 1, 7, 100 }) Assert.Equal(0.1 / (1 + 0.5 * step), schedule.At(step), 12);

        foreach (var optimizer in new[] { model.Optimizer, Optimizers.Adam(Schedules.ExponentialDecay(0.01, decaySteps: 10, decayRate: 0.5, staircase: true)) })
        {
            var source = Dense2();
            source.Compile(optimizer, "mse");
            foreach (var (t, c) in new[] { (KerasCompileConfig.ToTrainingConfig(source), (JsonObject?)null), (null, KerasCompileConfig.ToCompileConfig(source)) })
            {
                var again = Compiled(Dense2(), t, c, out var w);
                Assert.Empty(w);
                Assert.Equal(optimizer.Schedule!.ClassName, again.Optimizer!.Schedule!.ClassName);
                foreach (var step in new long[] { 0, 3, 10, 25 }) Assert.Equal(optimizer.Schedule.At(step), again.Optimizer.Schedule.At(step), 12);
            }
        }
    }

    [Fact]
    public void An_uncompiled_model_or_one_with_a_function_loss_writes_no_compile_settings()
    {
        Backend.ClearSession();
        var model = Dense2();
        Assert.Null(KerasCompileConfig.ToTrainingConfig(model));
        Assert.Null(KerasCompileConfig.ToCompileConfig(model));
        model.Compile("adam", Losses.FromFunction("mine", (t, p) => Ops.Mean(Ops.Square(p - t), [-1])));
        Assert.Null(KerasCompileConfig.ToCompileConfig(model));
        Assert.Empty(Dense2().LoadWarnings);
    }

    // ---- the Keras containers -------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Fixtures.KerasFileCases), MemberType = typeof(Fixtures))]
    public void Every_keras_file_loads_through_LoadModel_and_predicts_within_tolerance(string relative)
    {
        Backend.ClearSession();
        var c = ReadCase(relative);
        var model = Models.LoadModel(c.ModelPath);
        var got = PredictCase(model, c.Inputs);
        Assert.Equal(c.Outputs.Length, got.Length);
        for (int k = 0; k < got.Length; k++) AssertClose(c.Outputs[k], got[k], $"{relative} output {k}");
    }

    [Theory]
    [InlineData("keras-team-keras@22ad5fdb32/model.keras", "renamed.h5")]
    [InlineData("keras-team-keras@22ad5fdb32/model.keras", "renamed.json")]
    [InlineData("dl4j-test-resources/src/main/resources/modelimport/keras/tfkeras/rnn_191.h5", "renamed.keras")]
    [InlineData("dl4j-test-resources/src/main/resources/modelimport/keras/tfkeras/rnn_191.h5", "no_extension")]
    public void A_keras_file_under_another_name_loads_by_its_bytes(string model, string name)
    {
        Backend.ClearSession();
        var c = ReadCase(model + ".io.json");
        File.Copy(c.ModelPath, PathOf(name));
        var got = PredictCase(Models.LoadModel(PathOf(name)), c.Inputs);
        for (int k = 0; k < got.Length; k++) AssertClose(c.Outputs[k], got[k], name);
    }

    [Fact]
    public void An_hdf5_file_after_a_512_byte_user_block_loads()
    {
        Backend.ClearSession();
        var c = ReadCase("dl4j-test-resources/src/main/resources/modelimport/keras/tfkeras/rnn_191.h5.io.json");
        var original = File.ReadAllBytes(c.ModelPath);
        Assert.Equal(0, original[8]); // superblock version 0: the base address is the 8 bytes at 24
        // A user block of 512 bytes before the superblock, whose base address then says where HDF5's data begins.
        var bytes = new byte[512 + original.Length];
        "user block: anything the writer wanted"u8.CopyTo(bytes);
        original.CopyTo(bytes, 512);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(512 + 24), 512);
        File.WriteAllBytes(PathOf("with_user_block.h5"), bytes);
        var got = PredictCase(Models.LoadModel(PathOf("with_user_block.h5")), c.Inputs);
        for (int k = 0; k < got.Length; k++) AssertClose(c.Outputs[k], got[k], "with a user block");
    }

    public static TheoryData<string, string> FormatPairs
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var a in new[] { "tfjs", "keras", "h5" })
                foreach (var b in new[] { "tfjs", "keras", "h5" }) data.Add(a, b);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FormatPairs))]
    public void Save_then_load_gives_identical_predictions_for_every_format_pair(string first, string second)
    {
        foreach (var build in new Func<Model>[] { Dense2, TwoHeads, NestedRecurrent })
        {
            Backend.ClearSession();
            var model = build();
            var a = PathOf("a" + Extension(first));
            model.Save(a);
            var once = Models.LoadModel(a);
            AssertSamePredictions(model, once);
            var b = PathOf("b" + Extension(second));
            once.Save(b);
            AssertSamePredictions(model, Models.LoadModel(b));
            // Through the explicit format argument too, under a name that says nothing.
            if (second != "tfjs")
            {
                var c = PathOf("c.model");
                once.Save(c, format: second);
                AssertSamePredictions(model, Models.LoadModel(c));
            }
        }
    }

    [Theory]
    [InlineData("keras")]
    [InlineData("h5")]
    public void A_compiled_model_saved_in_a_keras_format_loads_compiled_with_the_same_settings(string format)
    {
        Backend.ClearSession();
        var model = TwoHeads();
        model.Compile(Optimizers.RMSprop(learningRate: 0.003, rho: 0.8), new Dictionary<string, string> { ["score"] = "mae", ["kind"] = "categorical_crossentropy" },
            metrics: new Dictionary<string, string[]> { ["kind"] = ["accuracy"] }, lossWeights: [1.0, 0.5]);
        var path = PathOf("m" + Extension(format));
        model.Save(path);
        var loaded = Models.LoadModel(path);
        Assert.Empty(loaded.LoadWarnings);
        var (want, got) = (model.Compiled!.Value.Config, loaded.Compiled!.Value.Config);
        Assert.Equal(want.Optimizer, got.Optimizer);
        Assert.Equal(want.Losses, got.Losses);
        Assert.Equal(want.LossWeights, got.LossWeights);
        Assert.Equal("accuracy", got.Metrics[1].Single().Name);
        // An uncompiled model saves none and loads uncompiled, without warnings.
        Backend.ClearSession();
        Dense2().Save(path);
        var plain = Models.LoadModel(path);
        Assert.Null(plain.Optimizer);
        Assert.Empty(plain.LoadWarnings);
    }

    [Theory]
    [InlineData("keras")]
    [InlineData("h5")]
    public void Compile_false_loads_a_compiled_file_uncompiled_without_warnings_and_the_same_weights(string format)
    {
        Backend.ClearSession();
        var model = TwoHeads();
        model.Compile(Optimizers.Adam(0.01), new Dictionary<string, string> { ["score"] = "mse", ["kind"] = "categorical_crossentropy" });
        var path = PathOf("m" + Extension(format));
        model.Save(path);
        var compiled = Models.LoadModel(path);
        Assert.IsType<Core.Adam>(compiled.Optimizer);
        var plain = Models.LoadModel(path, compile: false);
        Assert.Null(plain.Optimizer);
        Assert.Null(plain.Compiled);
        Assert.Empty(plain.LoadWarnings);
        AssertSamePredictions(model, plain);
        Assert.Throws<InvalidOperationException>(() => plain.Evaluate([Probe], [Tensor.FromArray(new float[3], [3, 1]), Tensor.FromArray(new float[9], [3, 3])]));
    }

    [Fact]
    public void Compile_false_ignores_compile_settings_that_would_warn()
    {
        Backend.ClearSession();
        var model = Dense2();
        model.Compile("adam", "categorical_crossentropy");
        var path = PathOf("m.keras");
        model.Save(path);
        // An optimizer DeepGraph lacks: loading compiled warns; compile: false reads nothing of the settings.
        RewriteConfig(path, config => config["compile_config"]!["optimizer"] = "lion");
        Assert.Contains("lion", Assert.Single(Models.LoadModel(path).LoadWarnings));
        var plain = Models.LoadModel(path, compile: false);
        Assert.Empty(plain.LoadWarnings);
        Assert.Null(plain.Optimizer);
        AssertSamePredictions(model, plain);
    }

    /// <summary>Rewrites a <c>.keras</c> file's <c>config.json</c> with <paramref name="change"/>.</summary>
    private static void RewriteConfig(string path, Action<JsonObject> change)
    {
        using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update);
        var entry = zip.GetEntry("config.json")!;
        JsonObject config;
        using (var reader = new StreamReader(entry.Open())) config = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
        change(config);
        entry.Delete();
        using var writer = new StreamWriter(zip.CreateEntry("config.json").Open());
        writer.Write(config.ToJsonString());
    }

    [Theory]
    [InlineData(".keras")]
    [InlineData(".h5")]
    public void ModelCheckpoint_saves_keras_formats_by_extension_compiled(string extension)
    {
        Backend.ClearSession();
        var model = Dense2();
        model.Compile("adam", "categorical_crossentropy");
        var x = Tensor.FromArray([.. Enumerable.Range(0, 8 * 8).Select(i => (float)Math.Sin(i))], [8, 8]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 8 * 2).Select(i => (float)(i % 2))], [8, 2]);
        model.Fit(x, y, epochs: 2, batchSize: 4, verbose: 0, callbacks: [new ModelCheckpoint(PathOf("e{epoch}" + extension))]);
        var loaded = Models.LoadModel(PathOf("e2" + extension));
        AssertSamePredictions(model, loaded);
        Assert.IsType<Core.Adam>(loaded.Optimizer);
    }

    [Fact]
    public void A_keras_file_whose_optimizer_DeepGraph_lacks_loads_uncompiled_with_a_load_warning()
    {
        Backend.ClearSession();
        var model = Dense2();
        model.Compile("adam", "categorical_crossentropy", metrics: ["accuracy"]);
        var path = PathOf("m.keras");
        model.Save(path);
        using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("config.json")!;
            JsonObject config;
            using (var reader = new StreamReader(entry.Open())) config = JsonNode.Parse(reader.ReadToEnd())!.AsObject();
            Assert.Equal("Adam", (string?)config["compile_config"]!["optimizer"]!["class_name"]);
            config["compile_config"]!["optimizer"] = new JsonObject { ["module"] = "keras.optimizers", ["class_name"] = "Lion", ["config"] = new JsonObject { ["learning_rate"] = 0.001 }, ["registered_name"] = null };
            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("config.json").Open());
            writer.Write(config.ToJsonString());
        }
        var loaded = Models.LoadModel(path);
        Assert.Null(loaded.Optimizer);
        Assert.Contains("Lion", Assert.Single(loaded.LoadWarnings));
        AssertSamePredictions(model, loaded);
        // The warning is the load's: the model it gives trains once compiled by the program.
        loaded.Compile("sgd", "mse");
        Assert.NotNull(loaded.Optimizer);
    }

    [Theory]
    [InlineData("keras")]
    [InlineData("h5")]
    public void A_keras_format_model_saved_with_a_test_case_verifies_and_a_changed_weight_fails(string format)
    {
        Backend.ClearSession();
        var model = TwoHeads();
        var path = PathOf("m" + Extension(format));
        model.Save(path, testCase: [Probe]);
        Models.LoadModel(path, verify: true);
        // Another model's file with this test case beside it: the outputs differ.
        Backend.ClearSession();
        Backend.SetRandomSeed(99);
        var other = TwoHeads();
        other.SetWeights([.. other.GetWeights().Select(w => Tensor.FromArray([.. w.ToArray().Select(v => v + 0.5f)], [.. w.Shape.Select(d => d!.Value)]))]);
        other.Save(PathOf("other" + Extension(format)));
        File.Copy(path + ".io.json", PathOf("other" + Extension(format)) + ".io.json");
        File.Copy(path + ".io.bin", PathOf("other" + Extension(format)) + ".io.bin");
        var e = Assert.Throws<ModelVerificationError>(() => Models.LoadModel(PathOf("other" + Extension(format)), verify: true));
        Assert.True(Math.Abs(e.Got - e.Want) > e.Tolerance);
    }

    [Fact]
    public void Keras_written_files_load_compiled_from_their_training_config_and_train()
    {
        Backend.ClearSession();
        // Written by Keras 2 with model.compile(...): RMSprop with decay 1e-6 (Keras 2's time-based decay).
        var relative = "dl4j-test-resources/src/main/resources/modelimport/keras/examples/activations/ReLU_3_model.h5";
        var model = Models.LoadModel(Path.Combine(Fixtures.KerasFiles, relative));
        Assert.Empty(model.LoadWarnings);
        Assert.NotNull(model.Optimizer);
        Assert.Equal("InverseTimeDecay", model.Optimizer!.Schedule?.ClassName);
        var c = ReadCase(relative + ".io.json");
        var loss = model.Evaluate(c.Inputs[0], c.Outputs[0])["loss"];
        Assert.True(double.IsFinite(loss));
        Assert.Equal(0, loss, 6); // the expected outputs are the model's own: nothing to learn
    }

    [Fact]
    public void Keras_json_with_a_weights_file_loads_through_the_two_path_overload_and_verifies()
    {
        Backend.ClearSession();
        var model = TwoHeads();
        model.Save(PathOf("tfjs.json"));
        model.Save(PathOf("weights.h5"));
        // The topology alone is what model.to_json() gives.
        File.WriteAllText(PathOf("model.json"), JsonNode.Parse(File.ReadAllText(PathOf("tfjs.json")))!["modelTopology"]!.ToJsonString());
        AssertSamePredictions(model, Models.LoadModel(PathOf("model.json"), PathOf("weights.h5")));
        // Its test case sits beside the JSON.
        File.Copy(PathOf("tfjs.json"), PathOf("cased.json"));
        model.Save(PathOf("cased.json"), testCase: [Probe]);
        File.WriteAllText(PathOf("cased.json"), File.ReadAllText(PathOf("model.json")));
        Models.LoadModel(PathOf("cased.json"), PathOf("weights.h5"), verify: true);
    }

    [Theory]
    [InlineData("keras-team-keras@22ad5fdb32/model.keras")]
    [InlineData("dl4j-test-resources/src/main/resources/modelimport/keras/tfkeras/rnn_191.h5")]
    public void A_truncated_or_mutated_keras_file_is_a_model_format_error_or_loads(string relative)
    {
        var original = File.ReadAllBytes(Path.Combine(Fixtures.KerasFiles, relative));
        var rng = new Random(relative.Length);
        var path = PathOf("mutated" + Path.GetExtension(relative));
        for (int trial = 0; trial < 40; trial++)
        {
            byte[] bytes;
            if (trial % 2 == 0) bytes = original[..rng.Next(0, original.Length)];
            else
            {
                bytes = (byte[])original.Clone();
                for (int k = 0; k < 1 + trial / 8; k++) bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
            }
            File.WriteAllBytes(path, bytes);
            Backend.ClearSession();
            try
            {
                Models.LoadModel(path);
            }
            catch (ModelFormatError)
            {
                // refused by type: what an untrusted file may cause
            }
        }
    }

    [Fact]
    public void A_keras_files_case_copied_beside_its_model_verifies()
    {
        Backend.ClearSession();
        var relative = "keras-team-keras@22ad5fdb32/model.keras.io.json";
        var expected = Path.Combine(Fixtures.KerasFiles, "expected", relative);
        var c = ReadCase(relative);
        File.Copy(c.ModelPath, PathOf("model.keras"));
        File.Copy(expected, PathOf("model.keras.io.json"));
        File.Copy(expected[..^".json".Length] + ".bin", PathOf("model.keras.io.bin"));
        Models.LoadModel(PathOf("model.keras"), verify: true);
    }

    [Fact]
    public void A_SavedModel_folder_is_refused_by_name_as_the_page_says()
    {
        var savedModel = PathOf("exported");
        Directory.CreateDirectory(Path.Combine(savedModel, "variables"));
        File.WriteAllBytes(Path.Combine(savedModel, "saved_model.pb"), [8, 1]);

        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(savedModel));
        Assert.Contains(savedModel, e.Message, StringComparison.Ordinal);
        Assert.Contains("SavedModel", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.save(\"m.keras\")", e.Message, StringComparison.Ordinal);
        Assert.IsType<ModelFormatError>(Assert.Throws<ModelFormatError>(() => Models.LoadModel(folder)));
    }

    [Fact]
    public void A_corrupt_keras_or_h5_file_is_named_in_the_error()
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.KerasFiles, "keras-team-keras@22ad5fdb32", "model.keras"));
        var truncatedZip = PathOf("truncated.keras");
        File.WriteAllBytes(truncatedZip, bytes[..(bytes.Length - 3000)]);
        var truncatedH5 = PathOf("truncated.h5");
        File.WriteAllBytes(truncatedH5, [.. new byte[] { 0x89, (byte)'H', (byte)'D', (byte)'F', 0x0d, 0x0a, 0x1a, 0x0a }, .. new byte[40]]);

        var zipError = Assert.Throws<ModelFormatError>(() => Models.LoadModel(truncatedZip));
        var h5Error = Assert.Throws<ModelFormatError>(() => Models.LoadModel(truncatedH5));
        Assert.StartsWith(truncatedZip + ": ", zipError.Message, StringComparison.Ordinal);
        Assert.StartsWith(truncatedH5 + ": ", h5Error.Message, StringComparison.Ordinal);
    }
}
