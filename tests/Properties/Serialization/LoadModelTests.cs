using System.Text.Json.Nodes;
using DeepGraph.Keras;
using DeepGraph.Serialization;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Serialization;

/// <summary>The facade's <c>Models.LoadModel</c> and <c>Model.Save</c>: files on disk, layer handles, and save → load → predict.</summary>
public sealed class LoadModelTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "deepgraph-serialization-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Model text without identities: two models that write the same text are the same model up to layer ids.</summary>
    private static string Text(Model model) => TfjsModel.Write(model.CoreModel, "w.bin").ModelJson;

    private static string Text(Core.Model model) => TfjsModel.Write(model, "w.bin").ModelJson;

    [Theory]
    [MemberData(nameof(Fixtures.ModelNames), MemberType = typeof(Fixtures))]
    public void LoadModel_gives_layer_handles_over_the_model_Core_reads(string fixture)
    {
        var path = Path.Combine(Fixtures.Models, fixture, "model.json");
        var core = Fixtures.Read(Path.GetDirectoryName(path)!);
        var model = Models.LoadModel(path);

        Assert.Equal(core.IsSequential, model is Sequential);
        Assert.Equal(core.Name, model.Name);
        Assert.Equal(core.Layers.Select(l => l.Name), model.Layers.Select(l => l.Name));
        Assert.Equal(core.Layers.Select(l => l is Core.Model), model.Layers.Select(l => l is Model));
        Assert.Equal(Text(core), Text(model));
        Assert.Equal(core.ParamCount, model.CountParams());
    }

    [Theory]
    [InlineData("003")] // a Sequential nested in a functional model
    [InlineData("009")] // a Sequential whose first layer is a nested Sequential
    [InlineData("013")] // a Sequential starting with an InputLayer
    [InlineData("018")] // a functional model nested in a functional model
    [InlineData("034")]
    public void Save_then_load_gives_the_same_model_and_the_same_predictions(string fixture)
    {
        var source = Path.Combine(Fixtures.Models, fixture);
        var model = Models.LoadModel(Path.Combine(source, "model.json"));
        var path = Path.Combine(folder, "out", "saved.json");
        model.Save(path);

        Assert.Matches("^saved\\.weights\\.[0-9a-f]{16}\\.bin$", Models.WeightsFileName(path));
        Assert.Equal(["saved.json", Models.WeightsFileName(path)], Directory.GetFiles(Path.Combine(folder, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var reloaded = Models.LoadModel(path);
        Assert.Equal(Text(model), Text(reloaded));

        var inputs = Inputs(source);
        var expected = model.Predict(inputs);
        var got = reloaded.Predict(inputs);
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], got[i]); // bit for bit
    }

    [Fact]
    public void A_model_built_in_code_saves_and_loads_with_its_weights()
    {
        Backend.ClearSession();
        var x = Input(shape: [6, 6, 1], name: "image");
        var shared = Dense(3, activation: "relu", name: "shared");
        var conv = Conv2D(2, 3, padding: "same", name: "conv").Call(x);
        var pooled = GlobalAveragePooling2D(name: "gap").Call(BatchNormalization(name: "bn").Call(conv));
        var y = shared.Call(shared.Call(Dense(3, name: "widen").Call(pooled)));
        var model = new Model(x, y, name: "built");
        var path = Path.Combine(folder, "model.json");
        model.Save(path);

        var loaded = Models.LoadModel(path);
        Assert.Equal(Text(model), Text(loaded));
        Assert.Equal(model.GetLayer("conv").Weights.Select(w => w.Value), loaded.GetLayer("conv").Weights.Select(w => w.Value));
        var input = Tensor.FromArray([.. Enumerable.Range(0, 72).Select(i => (float)Math.Sin(i))], [2, 6, 6, 1]);
        Assert.Equal(model.Predict(input)[0], loaded.Predict(input)[0]);
    }

    [Fact]
    public void Loaded_layers_are_handles_that_can_be_called_again()
    {
        Backend.ClearSession();
        var loaded = Models.LoadModel(Path.Combine(Fixtures.Models, "018", "model.json"));
        var nested = Assert.IsType<Model>(loaded.GetLayer("model"), exactMatch: true);
        var x = Input(shape: [19]);
        var y = loaded.GetLayer("dense_1").Call(nested.Call(x));
        Assert.Equal(Shape.Batched(9), y.Shape);
        // Same handles, same weights: a model made from them shares the loaded weights.
        Assert.Equal(loaded.GetLayer("dense_1").Weights.Select(w => w.Value), new Model(x, y).GetLayer("dense_1").Weights.Select(w => w.Value));
    }

    [Fact]
    public void A_weight_path_leading_outside_the_model_s_folder_is_refused()
    {
        Directory.CreateDirectory(folder);
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Models, "000", "model.json")))!;
        root["weightsManifest"]![0]!["paths"] = new JsonArray("../weights.bin");
        var path = Path.Combine(folder, "model.json");
        File.WriteAllText(path, root.ToJsonString());
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path));
        Assert.Contains("outside the model's folder", e.Message);
    }

    [Fact]
    public void A_missing_weight_file_is_refused_naming_it()
    {
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(Fixtures.Models, "000", "model.json"), Path.Combine(folder, "model.json"));
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(Path.Combine(folder, "model.json")));
        Assert.Contains("\"weights.bin\" could not be read", e.Message);
    }

    /// <summary>The fixture's recorded inputs (io.json's manifest over inputs.bin).</summary>
    private static Tensor[] Inputs(string source)
    {
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "io.json")))!;
        var bytes = File.ReadAllBytes(Path.Combine(source, "inputs.bin"));
        return [.. io["inputs"]!.AsArray().Select(entry =>
        {
            var values = new float[(int)entry!["bytes"]! / 4];
            Buffer.BlockCopy(bytes, (int)entry["offset"]!, values, 0, values.Length * 4);
            return Tensor.FromArray(values, [.. entry["shape"]!.AsArray().Select(d => (int)d!)]);
        })];
    }
}
