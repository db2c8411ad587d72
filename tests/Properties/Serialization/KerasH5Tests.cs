using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using DeepGraph.Serialization;
using PureHDF;
using static DeepGraph.Keras.Layers;
using KerasModel = DeepGraph.Keras.Model;
using KerasSequential = DeepGraph.Keras.Sequential;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The legacy <c>.h5</c> writer and reader: what is written reads back as the same model with bitwise the same
/// predictions, in tf.keras 2.x's layout; Keras JSON + a <c>save_weights</c> file loads; malformed files are refused
/// with a <see cref="ModelFormatError"/> that names what is wrong.
/// </summary>
public sealed class KerasH5Tests
{
    // ---- models -------------------------------------------------------------------------

    private static Core.Model Build(string kind)
    {
        DeepGraph.Keras.Backend.ClearSession();
        DeepGraph.Keras.Backend.SetRandomSeed(kind.Length * 7 + 1);
        switch (kind)
        {
            case "sequential":
                return new KerasSequential([Dense(5, activation: "relu", inputShape: [4]), Dropout(0.5), Dense(3, activation: "softmax")], name: "seq").CoreModel;
            case "branches_two_outputs":
            {
                var x = Input(shape: [6], name: "x");
                var a = Dense(4, activation: "tanh", name: "a").Call(x);
                var b = Dense(4, activation: "relu", name: "b").Call(x);
                var sum = Add(a, b);
                var joined = Concatenate(a, sum);
                return new KerasModel(x, [Dense(2, name: "out1").Call(joined), Dense(1, activation: "sigmoid", name: "out2").Call(sum)], name: "branches").CoreModel;
            }
            case "nested":
            {
                var inner = new KerasSequential([Dense(4, activation: "relu", name: "inner_dense", inputShape: [3]), BatchNormalization(name: "inner_bn")], name: "inner");
                var x = Input(shape: [3], name: "x");
                var y = inner.Call(x);
                return new KerasModel(x, Dense(2, name: "head").Call(y), name: "outer").CoreModel;
            }
            case "shared":
            {
                var a = Input(shape: [3], name: "a");
                var b = Input(shape: [3], name: "b");
                var shared = Dense(4, activation: "tanh", name: "shared");
                return new KerasModel([a, b], Dense(1, name: "score").Call(Concatenate(shared.Call(a), shared.Call(b))), name: "siamese").CoreModel;
            }
            case "recurrent":
            {
                var tokens = Input(shape: [5], name: "tokens");
                var e = Embedding(10, 4, name: "embedding").Call(tokens);
                var l = LSTM(3, returnSequences: true, name: "lstm").Call(e);
                var g = GRU(2, name: "gru").Call(l);
                var bi = Bidirectional(LSTM(2, name: "inner_lstm"), name: "bidirectional").Call(e);
                var biSequence = Bidirectional(GRU(2, returnSequences: true, name: "seq_gru"), name: "bi_seq").Call(l);
                return new KerasModel(tokens, Concatenate(g, bi, GlobalAveragePooling1D().Call(biSequence)), name: "recurrent").CoreModel;
            }
            case "conv_bn":
                return new KerasSequential([Conv2D(3, 3, padding: "same", activation: "relu", inputShape: [6, 6, 2]), BatchNormalization(), MaxPooling2D(), Flatten(), Dense(2)], name: "conv").CoreModel;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    public static TheoryData<string> Kinds => ["sequential", "branches_two_outputs", "nested", "shared", "recurrent", "conv_bn"];

    /// <summary>Inputs for <paramref name="model"/>: N(0, 1)-ish values, or token ids in [0, 10) for an integer-fed input (Embedding).</summary>
    internal static Tensor[] Inputs(Core.Model model, int batch = 3, int seed = 1)
    {
        var rng = new Random(seed);
        return [.. model.InputLayers.Select(input =>
        {
            var dims = input.BatchShape.Skip(1).Select(d => d ?? 4).ToArray();
            var count = batch * dims.Aggregate(1, (p, d) => p * d);
            bool tokens = model.Graph.Layers.Values.OfType<Embedding>().Any();
            var values = Enumerable.Range(0, count).Select(_ => tokens ? rng.Next(10) : (float)(rng.NextDouble() * 4 - 2)).ToArray();
            return Tensor.FromArray(values, [batch, .. dims]);
        })];
    }

    internal static Tensor[] Run(Core.Model model, Tensor[] inputs) => Executor.Run(model, inputs, new ForwardContext(Harness.Managed, new TensorPool()));

    internal static byte[] Written(Core.Model model, JsonObject? training = null)
    {
        using var stream = new MemoryStream();
        KerasH5.Write(model, stream, training);
        return stream.ToArray();
    }

    internal static KerasFileContents Read(byte[] file) => KerasH5.Read(new MemoryStream(file, writable: false));

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Written_model_reads_back_equal_and_predicts_bitwise_the_same(string kind)
    {
        var model = Build(kind);
        var training = new JsonObject { ["loss"] = "mse", ["optimizer_config"] = new JsonObject { ["class_name"] = "Adam", ["config"] = new JsonObject { ["learning_rate"] = 0.001 } } };
        var read = Read(Written(model, training));
        Assert.Equal("h5", read.Format);
        Assert.Equal("2.15.0", read.KerasVersion);
        Assert.Equal(training.ToJsonString(), read.TrainingConfig!.ToJsonString());
        // The facade numbers its layers in creation order, the reader in file order: the same model up to layer ids.
        // So the reread model must be a fixed point (written and read again, equal), and equal in TF.js's canonical form.
        var again = Read(Written(read.Model)).Model;
        Assert.Equal(read.Model, again);
        var (json, weights) = TfjsModel.Write(model, "w.bin");
        var (rereadJson, rereadWeights) = TfjsModel.Write(read.Model, "w.bin");
        Assert.Equal(json, rereadJson);
        Assert.Equal(weights, rereadWeights);
        Assert.Equal(model.ParamCount, read.Model.ParamCount);

        var inputs = Inputs(model);
        var want = Run(model, inputs);
        var got = Run(read.Model, inputs);
        Assert.Equal(want.Length, got.Length);
        for (int o = 0; o < want.Length; o++)
        {
            Assert.Equal(want[o].Shape, got[o].Shape);
            Assert.Equal(want[o].Span.ToArray(), got[o].Span.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures.ModelNames), MemberType = typeof(Fixtures))]
    public void Every_TFjs_fixture_model_written_as_h5_reads_back_equal(string fixture)
    {
        var model = Fixtures.Read(Path.Combine(Fixtures.Models, fixture));
        var read = Read(Written(model)).Model;
        var (json, weights) = TfjsModel.Write(model, "w.bin");
        var (rereadJson, rereadWeights) = TfjsModel.Write(read, "w.bin");
        Assert.Equal(json, rereadJson);
        Assert.Equal(weights, rereadWeights);
        Assert.Equal(read, Read(Written(read)).Model);
    }

    [Fact]
    public void A_model_read_from_tf_keras_form_reads_back_equal_itself()
    {
        // Read from the .h5 form (an InputLayer entry first), the layer ids follow the file: writing and reading gives an equal model.
        var model = Read(Written(Build("nested"))).Model;
        Assert.Equal(model, Read(Written(model)).Model);
        var functional = Read(Written(Build("branches_two_outputs"))).Model;
        Assert.Equal(functional, Read(Written(functional)).Model);
    }

    // ---- layout -------------------------------------------------------------------------

    private static string[] Strings(IH5Object owner, string name) => owner.Attribute(name).Read<string[]>();

    private static string Text(IH5Object owner, string name) => owner.Attribute(name).Read<string>();

    [Fact]
    public void Written_file_has_tf_keras_2_members_and_attributes()
    {
        var model = Build("nested");
        var training = new JsonObject { ["loss"] = "mse" };
        using var file = H5File.Open(new MemoryStream(Written(model, training)));
        Assert.Equal(["backend", "keras_version", "model_config", "training_config"], file.Attributes().Select(a => a.Name).Order());
        Assert.Equal(["model_weights"], file.Children().Select(c => c.Name));
        Assert.Equal("tensorflow", Text(file, "backend"));
        Assert.StartsWith("2.", Text(file, "keras_version"));
        Assert.Equal("""{"loss":"mse"}""", Text(file, "training_config"));
        var config = JsonNode.Parse(Text(file, "model_config"))!;
        Assert.Equal("Functional", (string)config["class_name"]!);
        var layers = config["config"]!["layers"]!.AsArray();
        Assert.Equal(["x", "inner", "head"], layers.Select(l => (string)l!["name"]!));
        // A nested Sequential lists its InputLayer first, as tf.keras writes it.
        Assert.Equal("InputLayer", (string)layers[1]!["config"]!["layers"]![0]!["class_name"]!);

        var weights = file.Group("model_weights");
        Assert.Equal(["backend", "keras_version", "layer_names"], weights.Attributes().Select(a => a.Name).Order());
        Assert.Equal(["x", "inner", "head"], Strings(weights, "layer_names"));
        Assert.Equal(["head", "inner", "x"], weights.Children().Select(c => c.Name).Order());

        // A weightless layer's weight_names: an empty float64 array, as Keras writes it.
        var x = weights.Group("x");
        Assert.Equal(H5DataTypeClass.FloatingPoint, x.Attribute("weight_names").Type.Class);
        Assert.Equal(8, x.Attribute("weight_names").Type.Size);
        Assert.Equal([0UL], x.Attribute("weight_names").Space.Dimensions);
        Assert.Empty(x.Children());

        // The nested model's group holds its layers' weights, trainable ones first (Keras's legacy order).
        var inner = weights.Group("inner");
        Assert.Equal(["inner_dense/kernel:0", "inner_dense/bias:0", "inner_bn/gamma:0", "inner_bn/beta:0", "inner_bn/moving_mean:0", "inner_bn/moving_variance:0"],
            Strings(inner, "weight_names"));
        Assert.Equal([3UL, 4UL], inner.Dataset("inner_dense/kernel:0").Space.Dimensions);
        Assert.Equal(H5DataTypeClass.FloatingPoint, inner.Dataset("inner_bn/moving_variance:0").Type.Class);
        Assert.Equal(4, inner.Dataset("inner_bn/moving_variance:0").Type.Size);
        var head = weights.Group("head");
        Assert.Equal(["head/kernel:0", "head/bias:0"], Strings(head, "weight_names"));
        var headModel = model.Graph.Layers.Values.Single(l => l.Name == "head");
        Assert.Equal(headModel.Weights[0].Value.Span.ToArray(), head.Dataset("head/kernel:0").Read<float[]>());
    }

    [Fact]
    public void Written_recurrent_weights_are_cell_scoped_and_a_Sequential_lists_its_InputLayer_but_not_in_layer_names()
    {
        using var file = H5File.Open(new MemoryStream(Written(Build("recurrent"))));
        var weights = file.Group("model_weights");
        Assert.Equal(["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/recurrent_kernel:0", "lstm/lstm_cell/bias:0"], Strings(weights.Group("lstm"), "weight_names"));
        Assert.Equal(["gru/gru_cell/kernel:0", "gru/gru_cell/recurrent_kernel:0", "gru/gru_cell/bias:0"], Strings(weights.Group("gru"), "weight_names"));
        Assert.Equal("bidirectional/forward_inner_lstm/lstm_cell/kernel:0", Strings(weights.Group("bidirectional"), "weight_names")[0]);
        Assert.Equal("bidirectional/backward_inner_lstm/lstm_cell/bias:0", Strings(weights.Group("bidirectional"), "weight_names")[^1]);

        using var sequential = H5File.Open(new MemoryStream(Written(Build("sequential"))));
        var config = JsonNode.Parse(Text(sequential, "model_config"))!;
        Assert.Equal("Sequential", (string)config["class_name"]!);
        var entries = config["config"]!["layers"]!.AsArray();
        Assert.Equal("InputLayer", (string)entries[0]!["class_name"]!);
        var names = Strings(sequential.Group("model_weights"), "layer_names");
        Assert.Equal(entries.Skip(1).Select(e => (string)e!["config"]!["name"]!), names);
    }

    // ---- files built by hand ------------------------------------------------------------------

    /// <summary>One layer group: its weight names and values (null values: the names only, no datasets).</summary>
    internal sealed record LayerWeights(string Name, (string Name, float[] Values, ulong[] Dims)[] Weights);

    /// <summary>A Keras-layout HDF5 file built with PureHDF: root attributes, and the layer groups under <c>model_weights</c> (or at the root).</summary>
    internal static byte[] BuildFile(IDictionary<string, object> rootAttributes, IReadOnlyList<LayerWeights> layers, bool weightsAtRoot = false, int fixedStrings = 0)
    {
        var file = new H5File();
        H5Group weights = weightsAtRoot ? file : new H5Group();
        foreach (var (name, value) in rootAttributes) file.Attributes[name] = value;
        weights.Attributes["layer_names"] = layers.Select(l => l.Name).ToArray();
        weights.Attributes["backend"] = "tensorflow";
        weights.Attributes["keras_version"] = "2.4.0";
        foreach (var layer in layers)
        {
            var group = new H5Group();
            group.Attributes["weight_names"] = layer.Weights.Length == 0 ? Array.Empty<double>() : layer.Weights.Select(w => w.Name).ToArray();
            foreach (var (name, values, dims) in layer.Weights)
            {
                var parts = name.Split('/');
                var at = group;
                foreach (var part in parts[..^1])
                {
                    if (!at.TryGetValue(part, out var next)) at[part] = next = new H5Group();
                    at = (H5Group)next;
                }
                at[parts[^1]] = new H5Dataset(values, fileDims: dims);
            }
            weights[layer.Name] = group;
        }
        if (!weightsAtRoot) file["model_weights"] = weights;
        using var stream = new MemoryStream();
        file.Write(stream, fixedStrings > 0 ? new H5WriteOptions(DefaultStringLength: fixedStrings) : null);
        return stream.ToArray();
    }

    private const string DenseJson = """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "sparse": false, "name": "inp"}},
          {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "linear", "use_bias": true}}]},
         "keras_version": "2.4.0", "backend": "tensorflow"}
        """;

    private static readonly float[] Kernel = [1, 2, 3, 4, 5, 6];
    private static readonly float[] Bias = [0.5f, -0.5f, 0.25f];

    private static LayerWeights[] DenseLayers(string kernelName = "dense/kernel:0", string biasName = "dense/bias:0") =>
        [new("inp", []), new("dense", [(kernelName, Kernel, [2, 3]), (biasName, Bias, [3])])];

    private static void PredictsDense(Core.Model model)
    {
        var y = Run(model, [Tensor.FromArray([1f, -1f], [1, 2])])[0];
        Assert.Equal(new[] { 1 - 4 + 0.5f, 2 - 5 - 0.5f, 3 - 6 + 0.25f }, y.Span.ToArray());
    }

    [Fact]
    public void Json_and_a_save_weights_file_load_and_a_full_model_file_serves_as_weights_too()
    {
        var weightsOnly = BuildFile(new Dictionary<string, object>(), DenseLayers(), weightsAtRoot: true);
        var read = KerasH5.ReadJsonAndWeights(DenseJson, new MemoryStream(weightsOnly));
        Assert.Equal("json+h5", read.Format);
        Assert.Equal("2.4.0", read.KerasVersion);
        PredictsDense(read.Model);

        var full = BuildFile(new Dictionary<string, object> { ["model_config"] = DenseJson, ["keras_version"] = "2.4.0", ["backend"] = "tensorflow" }, DenseLayers());
        PredictsDense(KerasH5.ReadJsonAndWeights(DenseJson, new MemoryStream(full)).Model);
        PredictsDense(Read(full).Model);

        // The JSON a written file holds in model_config, with the weights of the written file, is the same model.
        var model = Build("conv_bn");
        var written = Written(model);
        using var file = H5File.Open(new MemoryStream(written));
        var json = Text(file, "model_config");
        Assert.Equal(Read(written).Model, KerasH5.ReadJsonAndWeights(json, new MemoryStream(written)).Model);

        // A weights-only file read as a full model is refused, saying what it is.
        var e = Assert.Throws<ModelFormatError>(() => Read(weightsOnly));
        Assert.Contains("weights-only", e.Message);
    }

    [Fact]
    public void Fixed_length_strings_and_weight_names_that_do_not_follow_the_layer_name_are_read_as_Keras_reads_them()
    {
        var attributes = new Dictionary<string, object> { ["model_config"] = DenseJson, ["keras_version"] = "2.1.3", ["backend"] = "tensorflow" };
        PredictsDense(Read(BuildFile(attributes, DenseLayers(), fixedStrings: DenseJson.Length + 10)).Model);
        // Keras renames a layer's variables (dense_1/…) when the name was taken; the group's weights are taken in order.
        PredictsDense(Read(BuildFile(attributes, DenseLayers("dense_1/kernel:0", "dense_1/bias:0"))).Model);
        // tf.keras 2.x's cell-scoped recurrent names are matched like TF.js's.
        var model = Build("recurrent");
        var inputs = Inputs(model);
        Assert.Equal(Run(model, inputs)[0].Span.ToArray(), Run(Read(Written(model)).Model, inputs)[0].Span.ToArray());
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "no_config", "model_config" },
        { "config_not_json", "not valid JSON" },
        { "no_model_weights", "model_weights" },
        { "missing_weight", "dense" },
        { "wrong_shape", "dense" },
        { "extra_weight", "no layer of the model has" },
        { "unknown_class", "NoSuchLayer" },
        { "int_weights", "float32 or float64" },
        { "path_name", "not a layer or weight name" },
        { "theano_conv", "Theano" },
        { "training_config_not_json", "training_config" },
        { "not_hdf5", "HDF5" },
        { "empty", "HDF5" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_file_is_refused_with_a_ModelFormatError_saying_what_is_wrong(string kind, string named)
    {
        var attributes = new Dictionary<string, object> { ["model_config"] = DenseJson, ["keras_version"] = "2.4.0", ["backend"] = "tensorflow" };
        var layers = DenseLayers();
        switch (kind)
        {
            case "no_config": attributes.Remove("model_config"); break;
            case "config_not_json": attributes["model_config"] = DenseJson[..40]; break;
            case "missing_weight": layers = [layers[0], new("dense", [layers[1].Weights[0]])]; break;
            case "wrong_shape": layers = [layers[0], new("dense", [("dense/kernel:0", Kernel, [3, 2]), layers[1].Weights[1]])]; break;
            case "extra_weight": layers = [.. layers, new("stray", [("stray/kernel:0", Bias, [3])])]; break;
            case "unknown_class": attributes["model_config"] = DenseJson.Replace("\"Dense\"", "\"NoSuchLayer\""); break;
            case "path_name": layers = [layers[0], new("dense", [("/model_weights/dense/kernel:0", Kernel, [2, 3]), layers[1].Weights[1]])]; break;
            case "training_config_not_json": attributes["training_config"] = "{\"loss\": "; break;
            case "theano_conv":
                attributes["backend"] = "theano";
                attributes["model_config"] = """
                    {"class_name": "Sequential", "config": {"name": "s", "layers": [
                      {"class_name": "Conv1D", "config": {"name": "conv", "batch_input_shape": [null, 4, 1], "filters": 1, "kernel_size": 2, "activation": "linear", "use_bias": false}}]}}
                    """;
                layers = [new("conv", [("conv/kernel:0", [1f, 2f], [2, 1, 1])])];
                break;
        }
        var file = kind switch
        {
            "no_model_weights" => NoWeightsGroup(),
            "int_weights" => IntWeights(attributes),
            "not_hdf5" => "not an HDF5 file at all, just text"u8.ToArray(),
            "empty" => [],
            _ => BuildFile(attributes, layers),
        };
        var e = Assert.ThrowsAny<ModelFormatError>(() => Read(file));
        Assert.Contains(named, e.Message);
        if (kind == "theano_conv") Assert.Contains("\"conv\"", e.Message);
    }

    [Fact]
    public void A_weight_that_is_an_external_link_to_another_file_is_refused()
    {
        // tests/fixtures/keras-h5/external-link.h5 links its Dense kernel to an absolute path (see the README there);
        // PureHDF follows such links, so the target exists here and only the reader's own check stops it.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the link names a Unix path
        var file = File.ReadAllBytes(Path.Combine(Fixtures.Root, "tests", "fixtures", "keras-h5", "external-link.h5"));
        var target = ExternalLinkFixture.Target(file, "deepgraph-h5-external-link-target.h5");
        ExternalLinkFixture.Create(target, path => new H5File { ["kernel:0"] = new H5Dataset(Kernel, fileDims: [2, 3]) }.Write(path));
        var e = Assert.Throws<ModelFormatError>(() => Read(file));
        Assert.Contains("external link", e.Message);
        Assert.Contains("dense/kernel:0", e.Message);
    }

    /// <summary>A file with a model_config and no model_weights group.</summary>
    private static byte[] NoWeightsGroup()
    {
        var file = new H5File();
        file.Attributes["model_config"] = DenseJson;
        using var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }

    private static byte[] IntWeights(IDictionary<string, object> attributes)
    {
        var file = new H5File();
        foreach (var (name, value) in attributes) file.Attributes[name] = value;
        var dense = new H5Group { ["dense"] = new H5Group { ["kernel:0"] = new H5Dataset(new int[6], fileDims: [2, 3]), ["bias:0"] = new H5Dataset(Bias, fileDims: [3]) } };
        dense.Attributes["weight_names"] = new[] { "dense/kernel:0", "dense/bias:0" };
        var inp = new H5Group();
        inp.Attributes["weight_names"] = Array.Empty<double>();
        var weights = new H5Group { ["inp"] = inp, ["dense"] = dense };
        weights.Attributes["layer_names"] = new[] { "inp", "dense" };
        file["model_weights"] = weights;
        using var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }
}
