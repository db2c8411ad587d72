using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Serialization;
using static DeepGraph.Keras.Layers;
using KerasModel = DeepGraph.Keras.Model;
using KerasSequential = DeepGraph.Keras.Sequential;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Keras 3's <c>.keras</c> zip (<see cref="KerasArchive"/>): the Keras 3.8 file of keras-files predicts its expected
/// outputs, and what DeepGraph writes reads back as the same model predicting the same bits.
/// </summary>
public sealed class KerasArchiveTests
{
    internal static string Keras38 => Path.Combine(Fixtures.KerasFiles, "keras-team-keras@22ad5fdb32", "model.keras");

    internal static Tensor[] Run(Core.Model model, IReadOnlyList<Tensor> inputs) =>
        Executor.Run(model, inputs, new ForwardContext(new ManagedGemm(2), new TensorPool()));

    internal static KerasFileContents ReadBytes(byte[] bytes, LayerRegistry? registry = null)
    {
        using var s = new MemoryStream(bytes, writable: false);
        return KerasArchive.Read(s, registry);
    }

    internal static byte[] WriteBytes(Core.Model model, JsonObject? compile = null)
    {
        using var s = new MemoryStream();
        KerasArchive.Write(model, s, compile);
        return s.ToArray();
    }

    /// <summary>Inputs of the shapes the model takes (unknown dimensions 3), values from <paramref name="seed"/>; integer inputs in [0, 5).</summary>
    internal static Tensor[] Inputs(Core.Model model, int seed)
    {
        var random = new Random(seed);
        return [.. model.InputLayers.Select((input, k) =>
        {
            int[] dims = [2, .. input.BatchShape.Skip(1).Select(d => d ?? 3)];
            var values = new float[dims.Aggregate(1, (p, d) => p * d)];
            bool integer = input.DType == DType.Int32 || model.Graph.Nodes.Any(n => n.Inputs.Contains(model.Inputs[k]) && model.Graph.Layers[n.Layer] is Embedding);
            for (int i = 0; i < values.Length; i++) values[i] = integer ? random.Next(5) : (float)(random.NextDouble() * 2 - 1);
            return Tensor.FromArray(values, dims);
        })];
    }

    [Fact]
    public void The_Keras_3_8_file_predicts_its_expected_outputs()
    {
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.KerasFiles, "expected", "keras-team-keras@22ad5fdb32", "model.keras.io.json")))!;
        var tensors = FixturePredictions.ReadBundle(Path.Combine(Fixtures.KerasFiles, "expected", "keras-team-keras@22ad5fdb32", "model.keras.io.bin"), io["tensors"]!.AsArray());
        using var file = File.OpenRead(Keras38);
        var contents = KerasArchive.Read(file);
        Assert.Equal("keras", contents.Format);
        Assert.Equal("3.8.0", contents.KerasVersion);
        Assert.Null(contents.CompileConfig);
        Assert.Equal(["masking", "lstm"], contents.Model.Layers.Select(l => l.Name));

        var got = Run(contents.Model, [tensors[0]]);
        AssertClose(tensors[1], got[0]);
    }

    [Fact]
    public void Keras_3_json_with_its_save_weights_file_predicts_the_expected_outputs()
    {
        // Keras 3's to_json() is the .keras file's config.json, and save_weights("m.weights.h5") writes its
        // model.weights.h5: the two, read as Keras JSON and a weights file, are the same model as the archive.
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.KerasFiles, "expected", "keras-team-keras@22ad5fdb32", "model.keras.io.json")))!;
        var tensors = FixturePredictions.ReadBundle(Path.Combine(Fixtures.KerasFiles, "expected", "keras-team-keras@22ad5fdb32", "model.keras.io.bin"), io["tensors"]!.AsArray());
        using var zip = new System.IO.Compression.ZipArchive(File.OpenRead(Keras38));
        string json;
        using (var reader = new StreamReader(zip.GetEntry("config.json")!.Open())) json = reader.ReadToEnd();
        var weights = new MemoryStream();
        using (var member = zip.GetEntry("model.weights.h5")!.Open()) member.CopyTo(weights);
        weights.Position = 0;
        var contents = KerasH5.ReadJsonAndWeights(json, weights);
        Assert.Equal("json+h5", contents.Format);
        AssertClose(tensors[1], Run(contents.Model, [tensors[0]])[0]);
        Assert.Equal(ReadBytes(File.ReadAllBytes(Keras38)).Model, contents.Model);
        // A Keras 3 weights file with a weight missing is refused naming the dataset, as in an archive.
        var e = Assert.Throws<ModelFormatError>(() => KerasH5.ReadJsonAndWeights(json.Replace("\"units\": 1", "\"units\": 2", StringComparison.Ordinal), new MemoryStream(weights.ToArray())));
        Assert.Contains("layers/lstm/cell/vars/0", e.Message);
    }

    internal static void AssertClose(Tensor want, Tensor have)
    {
        Assert.Equal(want.Shape, have.Shape);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(have.Span[i] - want.Span[i]) <= 1e-4 * Math.Max(1, Math.Abs(want.Span[i])), $"value {i}: got {have.Span[i]}, want {want.Span[i]}");
    }

    [Fact]
    public void The_Keras_3_8_file_written_again_reads_back_predicting_the_same_bits()
    {
        var first = ReadBytes(File.ReadAllBytes(Keras38)).Model;
        var again = ReadBytes(WriteBytes(first)).Model;
        Assert.Equal(first, again);
        var x = Inputs(first, 7);
        Assert.Equal(Run(first, x), Run(again, x));
    }

    /// <summary>The models of the round trip, built with the facade as a user builds them.</summary>
    public static TheoryData<string> Models => new(Builders.Keys.Order(StringComparer.Ordinal));

    internal static readonly Dictionary<string, Func<Core.Model>> Builders = new(StringComparer.Ordinal)
    {
        ["sequential"] = () =>
        {
            Keras.Backend.ClearSession();
            var m = new KerasSequential([Dense(4, activation: "relu", inputShape: [5]), Dropout(0.5), Dense(2, activation: "softmax")]);
            return m.CoreModel;
        },
        ["functional_branches"] = () =>
        {
            Keras.Backend.ClearSession();
            var x = Input(shape: [6], name: "x");
            var a = Dense(4, activation: "tanh").Call(x);
            var b = Dense(4, activation: "relu").Call(x);
            var y = Dense(3).Call(Concatenate(a, Add(a, b)));
            return new KerasModel(x, y, name: "branches").CoreModel;
        },
        ["two_outputs"] = () =>
        {
            Keras.Backend.ClearSession();
            var x = Input(shape: [4], name: "x");
            var z = Input(shape: [2], name: "z");
            var h = Dense(5, activation: "relu").Call(Concatenate(x, z));
            return new KerasModel([x, z], [Dense(1, name: "score").Call(h), Dense(3, activation: "softmax", name: "klass").Call(h)], name: "two").CoreModel;
        },
        ["nested_and_shared"] = () =>
        {
            Keras.Backend.ClearSession();
            var ix = Input(shape: [4], name: "inner_in");
            var inner = new KerasModel(ix, Dense(3, activation: "relu", name: "inner_dense").Call(ix), name: "inner");
            var seq = new KerasSequential([Dense(3, name: "seq_dense", inputShape: [3]), Dense(3, name: "seq_dense_2")], name: "seq");
            var x = Input(shape: [4], name: "x");
            var shared = Dense(3, name: "shared");
            var y = shared.Call(seq.Call(inner.Call(x)));
            var w = shared.Call(inner.Call(x));
            return new KerasModel(x, Add(y, w), name: "outer").CoreModel;
        },
        ["recurrent"] = () =>
        {
            Keras.Backend.ClearSession();
            var x = Input(shape: [5], name: "tokens", dtype: "int32");
            var e = Embedding(7, 4, maskZero: true).Call(x);
            var l = LSTM(3, returnSequences: true).Call(e);
            var g = GRU(3, returnSequences: true).Call(l);
            var b = Bidirectional(SimpleRNN(2)).Call(g);
            return new KerasModel(x, Dense(1).Call(b), name: "rnn").CoreModel;
        },
        ["conv_bn"] = () =>
        {
            Keras.Backend.ClearSession();
            var x = Input(shape: [6, 6, 2], name: "image");
            var c = Conv2D(3, 3, padding: "same", activation: "relu").Call(x);
            var n = BatchNormalization().Call(c);
            return new KerasModel(x, Dense(2).Call(GlobalAveragePooling2D().Call(n)), name: "conv").CoreModel;
        },
        ["wrappers"] = () =>
        {
            Keras.Backend.ClearSession();
            var x = Input(shape: [4, 3], name: "steps");
            var d = TimeDistributed(Dense(2, activation: "relu")).Call(Masking(0.0).Call(x));
            var n = LayerNormalization().Call(d);
            return new KerasModel(x, TimeDistributed(Dense(1)).Call(n), name: "wrapped").CoreModel;
        },
        ["attention"] = () =>
        {
            Keras.Backend.ClearSession();
            var q = Input(shape: [4, 6], name: "q");
            var v = Input(shape: [5, 6], name: "v");
            var a = MultiHeadAttention(2, 3).Call(q, v);
            var k = MultiHeadAttention(2, 3, valueDim: 2).Call(a, v, v);
            return new KerasModel([q, v], k, name: "mha").CoreModel;
        },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void A_written_model_reads_back_equal_and_predicts_the_same_bits(string name)
    {
        var model = Builders[name]();
        var bytes = WriteBytes(model);
        var read = ReadBytes(bytes);
        Assert.Equal(KerasArchive.KerasVersion, read.KerasVersion);
        // The same model up to layer ids (what TF.js's writer says of it), and read twice: the same model value.
        Assert.Equal(TfjsModel.Write(model, "w.bin").ModelJson, TfjsModel.Write(read.Model, "w.bin").ModelJson);
        Assert.Equal(read.Model, ReadBytes(WriteBytes(read.Model)).Model);
        var x = Inputs(model, name.Length);
        var want = Run(model, x);
        var got = Run(read.Model, x);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i]);
        // Writing is deterministic: the model read back writes the same bytes.
        Assert.Equal(bytes, WriteBytes(read.Model));
    }

    [Fact]
    public void The_compile_config_is_passed_through()
    {
        var model = Builders["sequential"]();
        var compile = JsonNode.Parse("""{"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.001}, "registered_name": null}, "loss": "mse", "loss_weights": null, "metrics": ["mae"], "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}""")!.AsObject();
        var read = ReadBytes(WriteBytes(model, compile));
        Assert.True(JsonNode.DeepEquals(compile, read.CompileConfig));
    }

    [Fact]
    public void Tensors_passed_by_keyword_are_read_in_call_order()
    {
        // mha(query=q, value=v) and mha(value=v, key=v, query=a), as Keras 3 records keyword calls: every tensor in kwargs.
        var model = Builders["attention"]();
        using var zip = new System.IO.Compression.ZipArchive(new MemoryStream(WriteBytes(model)), System.IO.Compression.ZipArchiveMode.Read);
        var members = zip.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        });
        var config = JsonNode.Parse(members["config.json"])!;
        foreach (var entry in config["config"]!["layers"]!.AsArray().Where(e => (string)e!["class_name"]! == "MultiHeadAttention"))
        {
            var node = entry!["inbound_nodes"]![0]!.AsObject();
            var args = node["args"]!.AsArray();
            var kwargs = node["kwargs"]!.AsObject();
            var keyed = new JsonObject { ["value"] = args[1]!.DeepClone() };
            if (kwargs["key"] is { } key) keyed["key"] = key.DeepClone();
            keyed["query"] = args[0]!.DeepClone();
            node["args"] = new JsonArray();
            node["kwargs"] = keyed;
        }
        members["config.json"] = System.Text.Encoding.UTF8.GetBytes(config.ToJsonString());
        using var output = new MemoryStream();
        using (var rezip = new System.IO.Compression.ZipArchive(output, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in members)
            {
                using var s = rezip.CreateEntry(name).Open();
                s.Write(bytes);
            }
        var read = ReadBytes(output.ToArray()).Model;
        var x = Inputs(model, 3);
        Assert.Equal(Run(model, x), Run(read, x));
    }
}
