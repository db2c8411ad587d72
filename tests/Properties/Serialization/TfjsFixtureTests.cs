using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>Every model TensorFlow.js made for the fixtures loads as TF.js described it, and survives a write and a read unchanged.</summary>
public sealed class TfjsFixtureTests
{
    [Theory]
    [MemberData(nameof(Fixtures.ModelNames), MemberType = typeof(Fixtures))]
    public void Fixture_loads_with_the_inputs_outputs_and_parameter_count_TFjs_recorded(string fixture)
    {
        var folder = Path.Combine(Fixtures.Models, fixture);
        var model = Fixtures.Read(folder);
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "io.json")))!;

        // io.json shapes have the batch first; the model's have it unknown.
        var inputs = io["inputs"]!.AsArray();
        Assert.Equal(inputs.Select(i => (string)i!["name"]!), model.InputLayers.Select(l => l.Name));
        Assert.Equal(inputs.Select(i => Batched(i!["shape"]!)), model.InputLayers.Select(l => l.BatchShape));
        var outputs = io["outputs"]!.AsArray();
        Assert.Equal(outputs.Select(o => (string)o!["name"]!), model.Outputs.Select(t => model.Graph.LayerOf(t).Name));
        Assert.Equal(outputs.Select(o => Batched(o!["shape"]!)), model.OutputShapesOfModel);

        long parameters = (long)Fixtures.IndexEntry(Fixtures.Models, fixture)["params"]!;
        Assert.Equal(parameters, model.ParamCount);
        Assert.Equal(parameters, Fixtures.TotalParams(Core.Summary.Lines(model)));
        Assert.True(model.Graph.Layers.Values.All(l => l.IsBuilt));
    }

    [Theory]
    [MemberData(nameof(Fixtures.ModelNames), MemberType = typeof(Fixtures))]
    public void Fixture_written_then_read_is_the_same_model(string fixture)
    {
        var model = Fixtures.Read(Path.Combine(Fixtures.Models, fixture));
        var (json, weights) = TfjsModel.Write(model, "weights.bin");
        var reread = Fixtures.Read(json, weights);
        Assert.Equal(model, reread);
        // Writing is canonical: the text of a re-read model is the text written.
        Assert.Equal(json, TfjsModel.Write(reread, "weights.bin").ModelJson);
    }

    [Theory]
    [MemberData(nameof(Fixtures.ModelNames), MemberType = typeof(Fixtures))]
    public void Fixture_written_has_TFjs_layer_order_weight_order_and_the_same_weight_bytes(string fixture)
    {
        var folder = Path.Combine(Fixtures.Models, fixture);
        var original = JsonNode.Parse(Fixtures.Json(folder))!;
        var (json, weights) = TfjsModel.Write(Fixtures.Read(folder), "weights.bin");
        var written = JsonNode.Parse(json)!;

        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "weights.bin")), weights);
        Assert.Equal(Names(original["weightsManifest"]![0]!["weights"]!), Names(written["weightsManifest"]![0]!["weights"]!));
        Assert.Equal(LayerNames(original["modelTopology"]!), LayerNames(written["modelTopology"]!));
        Assert.Equal(Connections(original["modelTopology"]!), Connections(written["modelTopology"]!));
        Assert.Equal("layers-model", (string)written["format"]!);
        Assert.Equal((string)original["modelTopology"]!["class_name"]!, (string)written["modelTopology"]!["class_name"]!);
    }

    [Theory]
    [MemberData(nameof(Fixtures.TrainNames), MemberType = typeof(Fixtures))]
    public void Training_fixture_model_loads_with_its_parameter_count_and_round_trips(string fixture)
    {
        var model = Fixtures.Read(Path.Combine(Fixtures.Train, fixture));
        Assert.Equal((long)Fixtures.IndexEntry(Fixtures.Train, fixture)["params"]!, model.ParamCount);
        var (json, weights) = TfjsModel.Write(model, "weights.bin");
        Assert.Equal(model, Fixtures.Read(json, weights));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.Train, fixture, "weights.bin")), weights);
    }

    [Fact]
    public void Layer_ids_are_1_2_3_in_file_order_and_reading_twice_gives_equal_models()
    {
        var folder = Path.Combine(Fixtures.Models, "003"); // a Sequential nested in a functional model
        var model = Fixtures.Read(folder);
        Assert.Equal(new LayerId(1), model.Id);
        Assert.Equal(["input", "max_pooling2d", "sequential", "dropout", "global_average_pooling2d", "dense"],
            model.LayerOrder.Select(id => model.Graph.Layers[id].Name));
        Assert.Equal([2L, 3, 4, 10, 11, 12], model.LayerOrder.Select(id => id.Value));
        var nested = (Model)model.Graph.Layers[new LayerId(4)];
        // The nested Sequential's input, made from its first layer's batch_input_shape, is numbered right after the
        // Sequential, before its layers: as if the file had the InputLayer entry first (the form Keras files have).
        Assert.Equal("conv2d_input", nested.InputLayers[0].Name);
        Assert.Equal(5, nested.InputLayers[0].Id.Value);
        Assert.Equal([6L, 7, 8, 9], nested.LayerOrder.Where(id => id != nested.InputLayers[0].Id).Select(id => id.Value));
        Assert.Equal(model, Fixtures.Read(folder));
    }

    private static Shape Batched(JsonNode shape) => Shape.Of([null, .. shape.AsArray().Skip(1).Select(d => (int?)(int)d!)]);

    private static IEnumerable<string> Names(JsonNode weights) => weights.AsArray().Select(w => (string)w!["name"]!);

    /// <summary>Every layer name, depth first, nested models included.</summary>
    private static IEnumerable<string> LayerNames(JsonNode model)
    {
        var config = model["config"]!;
        var layers = config is JsonArray bare ? bare : config["layers"]!.AsArray();
        foreach (var layer in layers)
        {
            yield return (string)layer!["config"]!["name"]!;
            if ((string)layer["class_name"]! is "Sequential" or "Model")
                foreach (var inner in LayerNames(layer)) yield return inner;
        }
    }

    /// <summary>Every inbound_nodes, input_layers and output_layers as text, nested models included.</summary>
    private static IEnumerable<string> Connections(JsonNode model)
    {
        var config = model["config"]!;
        if (config["input_layers"] is { } ins) yield return ins.ToJsonString() + config["output_layers"]!.ToJsonString();
        foreach (var layer in config["layers"]!.AsArray())
        {
            yield return layer!["inbound_nodes"]?.ToJsonString() ?? "";
            if ((string)layer["class_name"]! is "Sequential" or "Model")
                foreach (var inner in Connections(layer)) yield return inner;
        }
    }
}
