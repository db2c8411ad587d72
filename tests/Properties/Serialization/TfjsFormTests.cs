using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The reader takes every historical spelling of the format (tf.keras 2, Keras 3, old converters)
/// and the writer emits one: what it writes reads back equal.
/// </summary>
public sealed class TfjsFormTests
{
    /// <summary>A TF.js file for <paramref name="topology"/> whose weights (name, shape) hold 0.01, 0.02, … in one file.</summary>
    private static (string Json, byte[] Weights) File(string topology, params (string Name, int[] Shape)[] weights)
    {
        var values = new List<float>();
        foreach (var (_, shape) in weights)
            for (int i = 0, n = shape.Aggregate(1, (p, d) => p * d); i < n; i++) values.Add((values.Count + 1) * 0.01f);
        var bytes = new byte[values.Count * 4];
        Buffer.BlockCopy(values.ToArray(), 0, bytes, 0, bytes.Length);
        var root = new JsonObject
        {
            ["modelTopology"] = JsonNode.Parse(topology),
            ["format"] = "layers-model",
            ["weightsManifest"] = new JsonArray(new JsonObject
            {
                ["paths"] = new JsonArray("w.bin"),
                ["weights"] = new JsonArray([.. weights.Select(w => (JsonNode)new JsonObject
                {
                    ["name"] = w.Name,
                    ["shape"] = new JsonArray([.. w.Shape.Select(d => (JsonNode)d)]),
                    ["dtype"] = "float32",
                })]),
            }),
        };
        return (root.ToJsonString(), bytes);
    }

    private static void RoundTrips(Model model)
    {
        var (json, weights) = TfjsModel.Write(model, "w.bin");
        Assert.Equal(model, Fixtures.Read(json, weights));
    }

    private static Layer LayerNamed(Model model, string name) => model.Graph.Layers.Values.Single(l => l.Name == name);

    [Fact]
    public void Tf_keras_2_functional_with_list_axis_minus_one_target_colon_zero_names_and_a_nested_Sequential_called_twice()
    {
        const string topology = """
        {"class_name": "Functional", "keras_version": "2.15.0", "backend": "tensorflow", "config": {"name": "k2",
         "layers": [
          {"class_name": "InputLayer", "name": "input_1", "config": {"batch_input_shape": [null, 4, 4, 2], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "inbound_nodes": []},
          {"class_name": "Conv2D", "name": "conv", "config": {"name": "conv", "trainable": true, "dtype": "float32", "filters": 3, "kernel_size": 3, "strides": 1, "padding": "same", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "relu", "use_bias": true}, "inbound_nodes": [[["input_1", 0, 0, {}]]]},
          {"class_name": "BatchNormalization", "name": "bn", "config": {"name": "bn", "axis": [3], "momentum": 0.9, "epsilon": 0.001, "center": true, "scale": true}, "inbound_nodes": [[["conv", 0, 0]]]},
          {"class_name": "Reshape", "name": "reshape", "config": {"name": "reshape", "target_shape": [-1, 3]}, "inbound_nodes": [["bn", 0, 0, {}]]},
          {"class_name": "Sequential", "name": "block", "config": {"name": "block", "layers": [
             {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 16, 3], "dtype": "float32", "name": "block_in"}},
             {"class_name": "Dense", "config": {"name": "block_dense", "units": 3, "activation": "hard_sigmoid", "use_bias": true}}]},
           "inbound_nodes": [[["reshape", 0, 0, {}]], [["block", 1, 0, {}]]]},
          {"class_name": "Flatten", "name": "flatten", "config": {"name": "flatten", "data_format": "channels_last"}, "inbound_nodes": [[["block", 2, 0, {}]]]},
          {"class_name": "Dense", "name": "out", "config": {"name": "out", "units": 2, "activation": "softmax"}, "inbound_nodes": [[["flatten", 0, 0, {}]]]}],
         "input_layers": ["input_1", 0, 0],
         "output_layers": [["out", 0, 0]]}}
        """;
        var (json, weights) = File(topology,
            ("conv/kernel:0", [3, 3, 2, 3]), ("conv/bias:0", [3]), ("bn/gamma:0", [3]), ("bn/beta:0", [3]),
            ("block_dense/kernel:0", [3, 3]), ("block_dense/bias:0", [3]), ("out/kernel:0", [48, 2]), ("out/bias:0", [2]),
            ("bn/moving_mean:0", [3]), ("bn/moving_variance:0", [3]));
        var model = Fixtures.Read(json, weights);

        Assert.Equal(Shape.Batched(2), model.OutputShapesOfModel.Single());
        Assert.Equal(3, ((BatchNormalization)LayerNamed(model, "bn")).Axis);
        Assert.Equal([-1, 3], ((Reshape)LayerNamed(model, "reshape")).TargetShape);
        var block = (Model)LayerNamed(model, "block");
        Assert.Equal(2, model.Graph.Nodes.Count(n => n.Layer == block.Id));
        Assert.Equal("hard_sigmoid", ((Dense)block.Layers.Single()).Activation);
        Assert.Equal(0.01f, ((Conv2D)LayerNamed(model, "conv")).Params[0].Span[0]);
        Assert.Equal(57 + 12 + 12 + 98, model.ParamCount);
        RoundTrips(model);
    }

    [Fact]
    public void Keras_3_nodes_with_keras_tensor_args_shared_layer_and_dtype_policies()
    {
        const string topology = """
        {"module": "keras", "class_name": "Functional", "registered_name": "Functional", "config": {"name": "k3", "trainable": true,
         "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "name": "a"}, "registered_name": null, "name": "a", "inbound_nodes": []},
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "name": "b"}, "registered_name": null, "name": "b", "inbound_nodes": []},
          {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "units": 2, "activation": "relu", "use_bias": true},
           "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "d", "inbound_nodes": [
            {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["a", 0, 0]}}], "kwargs": {}},
            {"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["b", 0, 0]}}], "kwargs": {}}]},
          {"module": "keras.layers", "class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "registered_name": null, "name": "add", "inbound_nodes": [
            {"args": [[{"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": ["d", 0, 0]}},
                       {"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "keras_history": ["d", 1, 0]}}]], "kwargs": {}}]}],
         "input_layers": [["a", 0, 0], ["b", 0, 0]],
         "output_layers": [["add", 0, 0]]}}
        """;
        var (json, weights) = File(topology, ("d/kernel", [3, 2]), ("d/bias", [2]));
        var model = Fixtures.Read(json, weights);
        Assert.Equal(["a", "b"], model.InputLayers.Select(l => l.Name));
        Assert.Equal(2, model.Graph.Nodes.Count(n => model.Graph.Layers[n.Layer].Name == "d"));
        Assert.Equal(8, model.ParamCount);
        RoundTrips(model);
    }

    [Fact]
    public void Keras_3_numbers_a_nested_Sequential_s_calls_from_0()
    {
        const string topology = """
        {"module": "keras", "class_name": "Functional", "config": {"name": "outer", "layers": [
          {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "x"}, "name": "x", "inbound_nodes": []},
          {"class_name": "Sequential", "config": {"name": "inner", "layers": [
             {"class_name": "InputLayer", "config": {"batch_shape": [null, 3], "name": "inner_x"}},
             {"class_name": "Activation", "config": {"name": "act", "activation": "tanh"}}]},
           "name": "inner", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["x", 0, 0]}}], "kwargs": {}}]},
          {"class_name": "Flatten", "config": {"name": "f"}, "name": "f", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": ["inner", 0, 0]}}], "kwargs": {}}]}],
         "input_layers": [["x", 0, 0]], "output_layers": [["f", 0, 0]]}}
        """;
        var model = TfjsModel.Read(topology, _ => throw new InvalidOperationException("no weight files"));
        Assert.Equal(["x", "inner", "f"], model.Layers.Select(l => l.Name));
    }

    [Fact]
    public void A_bare_Keras_topology_without_weights_reads_when_no_layer_needs_weights()
    {
        const string topology = """
        {"class_name": "Sequential", "config": {"name": "shapes", "layers": [
          {"class_name": "ZeroPadding2D", "config": {"name": "pad_int", "padding": 1, "batch_input_shape": [null, 5, 5, 1]}},
          {"class_name": "ZeroPadding2D", "config": {"name": "pad_pair", "padding": [1, 2]}},
          {"class_name": "ZeroPadding2D", "config": {"name": "pad_each", "padding": [[0, 1], [2, 3]]}},
          {"class_name": "MaxPooling2D", "config": {"name": "pool", "pool_size": 2, "strides": null, "padding": "valid"}},
          {"class_name": "AveragePooling2D", "config": {"name": "avg", "pool_size": [1, 2], "strides": [1, 1], "padding": "same"}},
          {"class_name": "GlobalMaxPooling2D", "config": {"name": "gmp", "keepdims": true}},
          {"class_name": "Dropout", "config": {"name": "drop", "rate": 0.5, "noise_shape": [null, 1, 1, null], "seed": 7}}]}}
        """;
        var model = TfjsModel.Read(topology, _ => []);
        Assert.Equal("shapes", model.Name);
        Assert.Equal("pad_int_input", model.InputLayers[0].Name);
        Assert.Equal(((0, 1), (2, 3)), ((ZeroPadding2D)LayerNamed(model, "pad_each")).Padding);
        // 5 → 7 → 9 → 10 high, 5 → 7 → 11 → 16 wide; pooled 2 × 2 → 5 × 8; kept as 1 × 1.
        Assert.Equal(Shape.Batched(1, 1, 1), model.OutputShapesOfModel.Single());
        Assert.Equal((2, 2), ((MaxPooling2D)LayerNamed(model, "pool")).Strides);
        RoundTrips(model);
    }

    [Fact]
    public void A_Sequential_whose_config_is_a_bare_list_and_an_old_converter_s_model_config_wrapper()
    {
        const string topology = """
        {"keras_version": "2.2.4", "backend": "tensorflow", "model_config": {"class_name": "Sequential", "config": [
          {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "linear", "use_bias": false, "batch_input_shape": [null, 3]}},
          {"class_name": "Activation", "config": {"name": "act", "activation": "softmax"}}]}}
        """;
        var (json, weights) = File(topology, ("d/kernel", [3, 2]));
        var model = Fixtures.Read(json, weights);
        Assert.True(model.IsSequential);
        Assert.Equal("sequential", model.Name);
        Assert.Equal(["d", "act"], model.Layers.Select(l => l.Name));
        RoundTrips(model);
    }

    [Fact]
    public void A_Sequential_without_an_input_layer_takes_Keras_s_build_input_shape()
    {
        var model = TfjsModel.Read("""
            {"class_name": "Sequential", "config": {"name": "s", "build_input_shape": [null, 4, 4, 1],
             "layers": [{"class_name": "Flatten", "config": {"name": "f"}}]}}
            """, _ => []);
        Assert.Equal("f_input", model.InputLayers[0].Name);
        Assert.Equal(Shape.Batched(16), model.OutputShapesOfModel.Single());
        RoundTrips(model);
    }

    [Fact]
    public void Weights_in_several_groups_and_files_read_as_one_buffer()
    {
        var folder = Path.Combine(Fixtures.Models, "001");
        var root = JsonNode.Parse(Fixtures.Json(folder))!;
        var bytes = System.IO.File.ReadAllBytes(Path.Combine(folder, "weights.bin"));
        var all = root["weightsManifest"]![0]!["weights"]!.AsArray().Select(w => w!.DeepClone()).ToList();
        int firstGroupBytes = all.Take(2).Sum(w => 4 * w!["shape"]!.AsArray().Aggregate(1, (p, d) => p * (int)d!));
        var files = new Dictionary<string, byte[]>
        {
            ["a.bin"] = bytes[..7], // group 0 is split mid-value across two files
            ["b.bin"] = bytes[7..firstGroupBytes],
            ["c.bin"] = bytes[firstGroupBytes..],
        };
        root["weightsManifest"] = new JsonArray(
            new JsonObject { ["paths"] = new JsonArray("a.bin", "b.bin"), ["weights"] = new JsonArray([.. all.Take(2)]) },
            new JsonObject { ["paths"] = new JsonArray("c.bin"), ["weights"] = new JsonArray([.. all.Skip(2)]) });
        Assert.Equal(Fixtures.Read(folder), TfjsModel.Read(root.ToJsonString(), p => files[p]));
    }

    [Fact]
    public void Frozen_layers_round_trip_and_their_weights_are_written_after_the_trainable_ones()
    {
        var (json, weights) = File("""
            {"class_name": "Sequential", "config": {"name": "frozen", "layers": [
              {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "name": "in"}},
              {"class_name": "Dense", "config": {"name": "base", "units": 2, "trainable": false}},
              {"class_name": "BatchNormalization", "config": {"name": "bn"}},
              {"class_name": "Dense", "config": {"name": "head", "units": 1}}]}}
            """,
            ("base/kernel", [2, 2]), ("base/bias", [2]), ("bn/gamma", [2]), ("bn/beta", [2]), ("bn/moving_mean", [2]), ("bn/moving_variance", [2]),
            ("head/kernel", [2, 1]), ("head/bias", [1]));
        var model = Fixtures.Read(json, weights);
        Assert.False(LayerNamed(model, "base").Trainable);
        Assert.Equal(4 + 3, model.Weights.Where(w => w.Trainable).Sum(w => w.Value.Length));

        var written = JsonNode.Parse(TfjsModel.Write(model, "w.bin").ModelJson)!;
        Assert.Equal(["bn/gamma", "bn/beta", "head/kernel", "head/bias", "base/kernel", "base/bias", "bn/moving_mean", "bn/moving_variance"],
            written["weightsManifest"]![0]!["weights"]!.AsArray().Select(w => (string)w!["name"]!));
        // The explicit InputLayer is kept: its name is not the "<first>_input" a batch_input_shape would make.
        Assert.Equal("InputLayer", (string)written["modelTopology"]!["config"]!["layers"]![0]!["class_name"]!);
        RoundTrips(model);
        RoundTrips(model with { Trainable = false });
    }

    [Fact]
    public void Written_json_is_compact_TFjs_layers_model_with_DeepGraph_as_generator()
    {
        var (json, _) = TfjsModel.Write(Fixtures.Read(Path.Combine(Fixtures.Models, "000")), "model.weights.bin");
        Assert.DoesNotContain("\n", json);
        var root = JsonNode.Parse(json)!;
        Assert.Equal(["modelTopology", "format", "generatedBy", "convertedBy", "weightsManifest"], root.AsObject().Select(p => p.Key));
        Assert.Equal("DeepGraph", (string)root["generatedBy"]!);
        Assert.Null(root["convertedBy"]);
        Assert.Equal("model.weights.bin", (string)root["weightsManifest"]![0]!["paths"]![0]!);
        Assert.Equal("Model", (string)root["modelTopology"]!["class_name"]!);
        Assert.Equal(TfjsModel.KerasVersion, (string)root["modelTopology"]!["keras_version"]!);
    }
}
