using System.IO.Compression;
using System.Text;
using DeepGraph.Core;
using DeepGraph.Serialization;
using PureHDF;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// <c>.keras</c> files made here by hand, per Keras's documented layout (zip of config.json, metadata.json and
/// model.weights.h5; the config's JSON text as Keras 3 — or tf.keras 2.15 — writes it; weights at Keras 3's object
/// paths), not by DeepGraph's writer, for the cases the Keras-written test files lack: Functional with branches,
/// nested models, several outputs, and tf.keras 2.15's dialect. Each predicts what a plain computation here gives.
/// </summary>
public sealed class KerasArchiveHandMadeTests
{
    /// <summary>A weight of <paramref name="count"/> values: sin(seed + 0.7 i) / 2.</summary>
    private static float[] Values(int count, int seed) => [.. Enumerable.Range(0, count).Select(i => (float)(Math.Sin(seed + 0.7 * i) / 2))];

    /// <summary>A Dense layer's weights (kernel [in, out], bias [out]) and its computation.</summary>
    private sealed record DenseWeights(int In, int Out, int Seed)
    {
        public float[] Kernel { get; } = Values(In * Out, Seed);
        public float[] Bias { get; } = Values(Out, Seed + 100);

        public double[] Apply(double[] x, Func<double, double> activation)
        {
            var y = new double[Out];
            for (int j = 0; j < Out; j++)
            {
                double s = Bias[j];
                for (int i = 0; i < In; i++) s += x[i] * Kernel[i * Out + j];
                y[j] = activation(s);
            }
            return y;
        }
    }

    private static double Relu(double v) => Math.Max(0, v);

    private static double Linear(double v) => v;

    private static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    // ---- the file -------------------------------------------------------------------------

    /// <summary>A zip of the three members; the weights file has a group per object path (a <c>vars</c> group named by
    /// <paramref name="names"/>) and the datasets given.</summary>
    internal static byte[] Archive(string config, string metadata, IReadOnlyDictionary<string, string> names, IReadOnlyDictionary<string, (float[] Data, ulong[] Dims)> datasets,
        IEnumerable<(string Name, byte[] Bytes)>? extraMembers = null)
    {
        var h5 = new H5File();
        H5Group At(string path)
        {
            H5Group g = h5;
            if (path.Length == 0) return g;
            foreach (var part in path.Split('/'))
            {
                if (!g.TryGetValue(part, out var child)) g[part] = child = new H5Group();
                g = (H5Group)child;
            }
            return g;
        }
        foreach (var (path, name) in names)
        {
            var vars = At(path.Length == 0 ? "vars" : path + "/vars");
            vars.Attributes = new Dictionary<string, object> { ["name"] = name };
        }
        foreach (var (path, (data, dims)) in datasets)
        {
            int slash = path.LastIndexOf('/');
            At(path[..slash])[path[(slash + 1)..]] = new H5Dataset(data, fileDims: dims);
        }
        using var weights = new MemoryStream();
        h5.Write(weights);

        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add("metadata.json", Encoding.UTF8.GetBytes(metadata));
            Add("config.json", Encoding.UTF8.GetBytes(config));
            Add("model.weights.h5", weights.ToArray());
            foreach (var (name, bytes) in extraMembers ?? []) Add(name, bytes);
        }
        return zip.ToArray();
    }

    internal const string Metadata3 = """{"keras_version": "3.8.0", "date_saved": "2025-02-02@03:32:53"}""";

    private const string Policy = """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}""";

    private static string Tensor3(string layer, int node, int index, string shape) =>
        $$$"""{"class_name": "__keras_tensor__", "config": {"shape": {{{shape}}}, "dtype": "float32", "keras_history": ["{{{layer}}}", {{{node}}}, {{{index}}}]} }""";

    private static string Input3(string name, string batchShape) =>
        $$$"""{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": {{{batchShape}}}, "dtype": "float32", "sparse": false, "ragged": false, "name": "{{{name}}}"}, "registered_name": null, "name": "{{{name}}}", "inbound_nodes": []}""";

    private static string DenseConfig3(string name, int units, string activation) =>
        $$$"""{"name": "{{{name}}}", "trainable": true, "dtype": {{{Policy}}}, "units": {{{units}}}, "activation": "{{{activation}}}", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": { }, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null}""";

    /// <summary>A Dense entry of a Functional config; <paramref name="args"/> is the call's positional arguments.</summary>
    private static string Dense3(string name, int units, string activation, int inputs, string args) =>
        $$$"""{"module": "keras.layers", "class_name": "Dense", "config": {{{DenseConfig3(name, units, activation)}}}, "registered_name": null, "build_config": {"input_shape": [null, {{{inputs}}}]}, "name": "{{{name}}}", "inbound_nodes": [{"args": [{{{args}}}], "kwargs": { } }]}""";

    private static string Functional3(string name, string layers, string inputs, string outputs) =>
        $$$"""{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "{{{name}}}", "trainable": true, "layers": [{{{layers}}}], "input_layers": {{{inputs}}}, "output_layers": {{{outputs}}} }, "registered_name": "Functional", "build_config": {"input_shape": null}""" + "}";

    private static (float[], ulong[]) Kernel(DenseWeights w) => (w.Kernel, [(ulong)w.In, (ulong)w.Out]);

    private static (float[], ulong[]) Bias(DenseWeights w) => (w.Bias, [(ulong)w.Out]);

    private static readonly double[][] Xs = [[0.5, -1.25, 2.0], [-0.3, 0.8, 0.1]];

    private static Tensor Batch(double[][] rows) => Tensor.FromArray([.. rows.SelectMany(r => r.Select(v => (float)v))], [rows.Length, rows[0].Length]);

    private static void AssertPredicts(byte[] file, params Func<double[], double[]>[] outputs)
    {
        var model = KerasArchiveTests.ReadBytes(file).Model;
        var got = KerasArchiveTests.Run(model, [Batch(Xs)]);
        Assert.Equal(outputs.Length, got.Length);
        for (int o = 0; o < outputs.Length; o++)
            KerasArchiveTests.AssertClose(Batch([.. Xs.Select(outputs[o])]), got[o]);
    }

    [Fact]
    public void A_functional_model_with_branches_predicts_its_computation()
    {
        var a = new DenseWeights(3, 2, 1);
        var b = new DenseWeights(3, 2, 2);
        var c = new DenseWeights(4, 1, 3);
        var x = Tensor3("x", 0, 0, "[null, 3]");
        var layers = string.Join(", ",
            Input3("x", "[null, 3]"),
            Dense3("left", 2, "relu", 3, x),
            Dense3("right", 2, "linear", 3, x),
            $$$"""{"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "joined", "trainable": true, "dtype": {{{Policy}}}, "axis": -1}, "registered_name": null, "build_config": {"input_shape": [[null, 2], [null, 2]]}, "name": "joined", "inbound_nodes": [{"args": [[{{{Tensor3("left", 0, 0, "[null, 2]")}}}, {{{Tensor3("right", 0, 0, "[null, 2]")}}}]], "kwargs": { } }]}""",
            Dense3("out", 1, "sigmoid", 4, Tensor3("joined", 0, 0, "[null, 4]")));
        var config = Functional3("branches", layers, """[["x", 0, 0]]""", """[["out", 0, 0]]""");
        var file = Archive(config, Metadata3,
            new Dictionary<string, string> { [""] = "branches", ["layers/input_layer"] = "x", ["layers/dense"] = "left", ["layers/dense_1"] = "right", ["layers/concatenate"] = "joined", ["layers/dense_2"] = "out" },
            new Dictionary<string, (float[], ulong[])>
            {
                ["layers/dense/vars/0"] = Kernel(a), ["layers/dense/vars/1"] = Bias(a),
                ["layers/dense_1/vars/0"] = Kernel(b), ["layers/dense_1/vars/1"] = Bias(b),
                ["layers/dense_2/vars/0"] = Kernel(c), ["layers/dense_2/vars/1"] = Bias(c),
            });
        AssertPredicts(file, v => c.Apply([.. a.Apply(v, Relu), .. b.Apply(v, Linear)], Sigmoid));
    }

    [Fact]
    public void A_model_with_several_outputs_predicts_each()
    {
        var h = new DenseWeights(3, 4, 4);
        var p = new DenseWeights(4, 1, 5);
        var q = new DenseWeights(4, 2, 6);
        var hidden = Tensor3("hidden", 0, 0, "[null, 4]");
        var layers = string.Join(", ",
            Input3("x", "[null, 3]"),
            Dense3("hidden", 4, "relu", 3, Tensor3("x", 0, 0, "[null, 3]")),
            Dense3("p", 1, "linear", 4, hidden),
            Dense3("q", 2, "tanh", 4, hidden));
        // Outputs in another order than the layers: output_layers decides.
        var config = Functional3("heads", layers, """[["x", 0, 0]]""", """[["q", 0, 0], ["p", 0, 0]]""");
        var file = Archive(config, Metadata3,
            new Dictionary<string, string> { [""] = "heads", ["layers/input_layer"] = "x", ["layers/dense"] = "hidden", ["layers/dense_1"] = "p", ["layers/dense_2"] = "q" },
            new Dictionary<string, (float[], ulong[])>
            {
                ["layers/dense/vars/0"] = Kernel(h), ["layers/dense/vars/1"] = Bias(h),
                ["layers/dense_1/vars/0"] = Kernel(p), ["layers/dense_1/vars/1"] = Bias(p),
                ["layers/dense_2/vars/0"] = Kernel(q), ["layers/dense_2/vars/1"] = Bias(q),
            });
        AssertPredicts(file, v => q.Apply(h.Apply(v, Relu), Math.Tanh), v => p.Apply(h.Apply(v, Relu), Linear));
    }

    [Fact]
    public void Nested_functional_and_sequential_models_predict_their_computation()
    {
        var e = new DenseWeights(3, 2, 7);
        var s1 = new DenseWeights(2, 2, 8);
        var s2 = new DenseWeights(2, 1, 9);
        var encoder = $$$"""
            {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "encoder", "trainable": true, "layers": [
              {{{Input3("enc_in", "[null, 3]")}}},
              {{{Dense3("enc_dense", 2, "relu", 3, Tensor3("enc_in", 0, 0, "[null, 3]"))}}}],
              "input_layers": [["enc_in", 0, 0]], "output_layers": [["enc_dense", 0, 0]]},
             "registered_name": "Functional", "build_config": {"input_shape": null},
             "name": "encoder", "inbound_nodes": [{"args": [{{{Tensor3("x", 0, 0, "[null, 3]")}}}], "kwargs": { } }]}
            """;
        // A Sequential's own list starts with its InputLayer; Keras 3 numbers its calls in the outer model from 0,
        // a nested Functional's from 1 (its node 0 is its own).
        var head = $$$"""
            {"module": "keras", "class_name": "Sequential", "config": {"name": "head", "trainable": true, "dtype": {{{Policy}}}, "layers": [
              {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 2], "dtype": "float32", "sparse": false, "ragged": false, "name": "head_in"}, "registered_name": null},
              {"module": "keras.layers", "class_name": "Dense", "config": {{{DenseConfig3("head_1", 2, "tanh")}}}, "registered_name": null, "build_config": {"input_shape": [null, 2]} },
              {"module": "keras.layers", "class_name": "Dense", "config": {{{DenseConfig3("head_2", 1, "linear")}}}, "registered_name": null, "build_config": {"input_shape": [null, 2]} }],
              "build_input_shape": [null, 2]},
             "registered_name": null, "build_config": {"input_shape": [null, 2]},
             "name": "head", "inbound_nodes": [{"args": [{{{Tensor3("encoder", 1, 0, "[null, 2]")}}}], "kwargs": { } }]}
            """;
        var config = Functional3("outer", string.Join(", ", Input3("x", "[null, 3]"), encoder, head), """[["x", 0, 0]]""", """[["head", 0, 0]]""");
        var file = Archive(config, Metadata3,
            new Dictionary<string, string>
            {
                [""] = "outer", ["layers/input_layer"] = "x", ["layers/functional"] = "encoder", ["layers/functional/layers/input_layer"] = "enc_in",
                ["layers/functional/layers/dense"] = "enc_dense", ["layers/sequential"] = "head", ["layers/sequential/layers/dense"] = "head_1", ["layers/sequential/layers/dense_1"] = "head_2",
            },
            new Dictionary<string, (float[], ulong[])>
            {
                ["layers/functional/layers/dense/vars/0"] = Kernel(e), ["layers/functional/layers/dense/vars/1"] = Bias(e),
                ["layers/sequential/layers/dense/vars/0"] = Kernel(s1), ["layers/sequential/layers/dense/vars/1"] = Bias(s1),
                ["layers/sequential/layers/dense_1/vars/0"] = Kernel(s2), ["layers/sequential/layers/dense_1/vars/1"] = Bias(s2),
            });
        AssertPredicts(file, v => s2.Apply(s1.Apply(e.Apply(v, Relu), Math.Tanh), Linear));
    }

    // ---- tf.keras 2.15 ----------------------------------------------------------------------

    private static string DenseTf(string name, int units, string activation, string inbound) =>
        $$$"""{"module": "keras.layers", "class_name": "Dense", "config": {"name": "{{{name}}}", "trainable": true, "dtype": "float32", "units": {{{units}}}, "activation": "{{{activation}}}", "use_bias": true, "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": { }, "registered_name": null}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}, "registered_name": null, "build_config": {"input_shape": [null, 3]}, "name": "{{{name}}}", "inbound_nodes": [[{{{inbound}}}]]}""";

    /// <summary>tf.keras 2.15's <c>.keras</c> config: module <c>keras.src.engine.functional</c>, <c>batch_input_shape</c>,
    /// dtype names, Keras 2 <c>inbound_nodes</c> (<c>[[name, node, tensor, kwargs]]</c>) and Keras 2's <c>hard_sigmoid</c>.</summary>
    private const string InboundTf = """["input_1", 0, 0, {}]""";

    private static string TfKerasConfig => $$$"""
        {"module": "keras.src.engine.functional", "class_name": "Functional", "config": {"name": "model", "trainable": true, "layers": [
          {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"}, "registered_name": null, "name": "input_1", "inbound_nodes": []},
          {{{DenseTf("dense", 2, "hard_sigmoid", InboundTf)}}},
          {{{DenseTf("dense_1", 2, "linear", InboundTf)}}},
          {"module": "keras.layers", "class_name": "Add", "config": {"name": "add", "trainable": true, "dtype": "float32"}, "registered_name": null, "build_config": {"input_shape": [[null, 2], [null, 2]]}, "name": "add", "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]}],
          "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    /// <summary>Keras 2's hard sigmoid: clip(0.2 x + 0.5, 0, 1).</summary>
    private static double HardSigmoid2(double v) => Math.Clamp(0.2 * v + 0.5, 0, 1);

    [Theory]
    [InlineData("layers")]
    [InlineData("_layer_checkpoint_dependencies")] // tf.keras 2.13's group name, which Keras 3 reads in place of "layers"
    public void A_tf_keras_2_15_file_predicts_its_computation(string top)
    {
        var a = new DenseWeights(3, 2, 10);
        var b = new DenseWeights(3, 2, 11);
        var file = Archive(TfKerasConfig, """{"keras_version": "2.15.0", "date_saved": "2024-01-01@00:00:00"}""",
            new Dictionary<string, string> { [""] = "model", [$"{top}/dense"] = "dense", [$"{top}/dense_1"] = "dense_1", [$"{top}/add"] = "add", [$"{top}/input_layer"] = "input_1" },
            new Dictionary<string, (float[], ulong[])>
            {
                [$"{top}/dense/vars/0"] = Kernel(a), [$"{top}/dense/vars/1"] = Bias(a),
                [$"{top}/dense_1/vars/0"] = Kernel(b), [$"{top}/dense_1/vars/1"] = Bias(b),
            });
        var contents = KerasArchiveTests.ReadBytes(file);
        Assert.Equal("2.15.0", contents.KerasVersion);
        AssertPredicts(file, v => [.. a.Apply(v, HardSigmoid2).Zip(b.Apply(v, Linear), (p, q) => p + q)]);
    }

    [Fact]
    public void A_Keras_3_hard_sigmoid_is_Keras_3_s()
    {
        var a = new DenseWeights(3, 2, 12);
        var layers = string.Join(", ", Input3("x", "[null, 3]"), Dense3("d", 2, "hard_sigmoid", 3, Tensor3("x", 0, 0, "[null, 3]")));
        var file = Archive(Functional3("hs", layers, """[["x", 0, 0]]""", """[["d", 0, 0]]"""), Metadata3,
            new Dictionary<string, string> { [""] = "hs" },
            new Dictionary<string, (float[], ulong[])> { ["layers/dense/vars/0"] = Kernel(a), ["layers/dense/vars/1"] = Bias(a) });
        AssertPredicts(file, v => a.Apply(v, s => Math.Clamp(s / 6 + 0.5, 0, 1)));
    }

    /// <summary>A small valid Keras 3 file (for the refusal and fuzz tests): Functional x → Dense(2) → Dense(1).</summary>
    internal static byte[] Small(Func<string, string>? editConfig = null, Action<Dictionary<string, (float[], ulong[])>>? editWeights = null,
        IEnumerable<(string, byte[])>? extraMembers = null, string metadata = Metadata3)
    {
        var a = new DenseWeights(3, 2, 13);
        var c = new DenseWeights(2, 1, 14);
        var layers = string.Join(", ", Input3("x", "[null, 3]"), Dense3("hidden", 2, "relu", 3, Tensor3("x", 0, 0, "[null, 3]")),
            Dense3("out", 1, "linear", 2, Tensor3("hidden", 0, 0, "[null, 2]")));
        var config = Functional3("small", layers, """[["x", 0, 0]]""", """[["out", 0, 0]]""");
        var weights = new Dictionary<string, (float[], ulong[])>
        {
            ["layers/dense/vars/0"] = Kernel(a), ["layers/dense/vars/1"] = Bias(a),
            ["layers/dense_1/vars/0"] = Kernel(c), ["layers/dense_1/vars/1"] = Bias(c),
        };
        editWeights?.Invoke(weights);
        return Archive(editConfig?.Invoke(config) ?? config, metadata,
            new Dictionary<string, string> { [""] = "small", ["layers/input_layer"] = "x", ["layers/dense"] = "hidden", ["layers/dense_1"] = "out" }, weights, extraMembers);
    }
}
