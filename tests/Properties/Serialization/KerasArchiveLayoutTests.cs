using System.IO.Compression;
using System.Text.Json.Nodes;
using DeepGraph.Serialization;
using PureHDF;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// What <see cref="KerasArchive.Write"/> writes follows Keras 3's layout member for member: the zip's members, the keys
/// of config.json's entries (against the Keras 3.8 file for its classes), and model.weights.h5's groups and datasets at
/// Keras 3's object paths with each <c>vars</c> group's <c>name</c> (against the Keras 3.8 file, and against the paths
/// Keras 3's saving_lib gives Functional and nested models: <c>layers/&lt;snake_case class&gt;[_n]</c> per container,
/// a nested model's layers under its own <c>layers/</c>).
/// </summary>
public sealed class KerasArchiveLayoutTests
{
    private static (string[] Names, JsonObject Config, JsonObject Metadata, byte[] Weights) Open(byte[] bytes)
    {
        using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        byte[] Member(string name)
        {
            using var s = zip.GetEntry(name)!.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return m.ToArray();
        }
        return ([.. zip.Entries.Select(e => e.FullName)], JsonNode.Parse(Member("config.json"))!.AsObject(),
            JsonNode.Parse(Member("metadata.json"))!.AsObject(), Member("model.weights.h5"));
    }

    /// <summary>Every group and dataset of an HDF5 file: its path, and for a dataset its shape, for a group its <c>name</c> attribute.</summary>
    internal static SortedDictionary<string, string> Tree(byte[] h5)
    {
        var tree = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var file = H5File.Open(new MemoryStream(h5), leaveOpen: false);
        void Walk(IH5Group group, string path)
        {
            foreach (var child in group.Children())
            {
                var at = path.Length == 0 ? child.Name : path + "/" + child.Name;
                if (child is IH5Dataset d) tree[at] = "[" + string.Join(", ", d.Space.Dimensions) + "]";
                else if (child is IH5Group g)
                {
                    tree[at] = g.AttributeExists("name") ? "name=" + g.Attribute("name").Read<string>() : "";
                    Walk(g, at);
                }
            }
        }
        Walk(file, "");
        return tree;
    }

    private static byte[] Keras38Bytes => File.ReadAllBytes(KerasArchiveTests.Keras38);

    [Fact]
    public void The_members_are_Keras_s_three_in_Keras_s_order()
    {
        var written = KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["functional_branches"]());
        var (names, _, metadata, _) = Open(written);
        Assert.Equal(["metadata.json", "config.json", "model.weights.h5"], names);
        Assert.Equal(Open(Keras38Bytes).Names, names);
        Assert.Equal(["keras_version", "date_saved"], metadata.Select(p => p.Key));
        Assert.Equal("3.8.0", (string)metadata["keras_version"]!);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}$", (string)metadata["date_saved"]!);
    }

    [Fact]
    public void Config_keys_match_the_Keras_3_8_file_for_its_classes()
    {
        var original = Open(Keras38Bytes).Config;
        var model = KerasArchiveTests.ReadBytes(Keras38Bytes).Model;
        var written = Open(KerasArchiveTests.WriteBytes(model)).Config;

        Assert.Equal(original.Select(p => p.Key), written.Select(p => p.Key));
        var oc = original["config"]!.AsObject();
        var wc = written["config"]!.AsObject();
        Assert.Equal(oc.Select(p => p.Key), wc.Select(p => p.Key));
        Assert.Equal(oc["build_input_shape"]!.ToJsonString(), wc["build_input_shape"]!.ToJsonString());
        Assert.Equal(original["build_config"]!.ToJsonString(), written["build_config"]!.ToJsonString());

        var ol = oc["layers"]!.AsArray();
        var wl = wc["layers"]!.AsArray();
        Assert.Equal(ol.Select(e => (string)e!["class_name"]!), wl.Select(e => (string)e!["class_name"]!));
        for (int i = 0; i < ol.Count; i++)
        {
            var o = ol[i]!.AsObject();
            var w = wl[i]!.AsObject();
            var cls = (string)o["class_name"]!;
            Assert.Equal(o.Select(p => p.Key), w.Select(p => p.Key));
            Assert.Equal(o["module"]!.ToJsonString(), w["module"]!.ToJsonString());
            var ok = o["config"]!.AsObject().Select(p => p.Key).ToList();
            var wk = w["config"]!.AsObject().Select(p => p.Key).ToList();
            // DeepGraph writes no key Keras 3.8 did not, and leaves out only keys every Keras 3.x defaults the same way
            // (KerasDialect: InputLayer's `ragged` came in a later 3.x; an RNN's `zero_output_for_mask` false and dropout `seed` null, Keras's defaults).
            Assert.Empty(wk.Except(ok));
            Assert.Equal(cls switch { "InputLayer" => ["ragged"], "LSTM" => ["zero_output_for_mask", "seed"], _ => Array.Empty<string>() }, ok.Except(wk));
        }
    }

    [Fact]
    public void The_weights_file_has_the_Keras_3_8_file_s_groups_datasets_and_names()
    {
        var original = Tree(Open(Keras38Bytes).Weights);
        var model = KerasArchiveTests.ReadBytes(Keras38Bytes).Model;
        var written = Tree(Open(KerasArchiveTests.WriteBytes(model)).Weights);
        Assert.Equal(original, written);
        Assert.Equal("[2, 4]", written["layers/lstm/cell/vars/0"]);
        Assert.Equal("name=lstm_cell", written["layers/lstm/cell/vars"]);
    }

    [Fact]
    public void A_functional_model_s_weights_sit_at_Keras_3_s_object_paths()
    {
        var tree = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["functional_branches"]())).Weights);
        // Functional keeps its InputLayer in model.layers; classes are counted per container in layer order.
        string[] expected =
        [
            "layers", "layers/add", "layers/add/vars", "layers/concatenate", "layers/concatenate/vars",
            "layers/dense", "layers/dense/vars", "layers/dense/vars/0", "layers/dense/vars/1",
            "layers/dense_1", "layers/dense_1/vars", "layers/dense_1/vars/0", "layers/dense_1/vars/1",
            "layers/dense_2", "layers/dense_2/vars", "layers/dense_2/vars/0", "layers/dense_2/vars/1",
            "layers/input_layer", "layers/input_layer/vars", "vars",
        ];
        Assert.Equal(expected, tree.Keys);
        Assert.Equal("name=branches", tree["vars"]);
        Assert.Equal("[6, 4]", tree["layers/dense/vars/0"]);
        Assert.Equal("[8, 3]", tree["layers/dense_2/vars/0"]);
    }

    [Fact]
    public void A_nested_model_s_layers_sit_under_its_own_path()
    {
        var tree = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["nested_and_shared"]())).Weights);
        var datasets = tree.Where(p => p.Value.StartsWith('[')).Select(p => p.Key).ToList();
        // outer: input_layer, functional (inner), sequential (seq), dense (shared), add. A Sequential hides its InputLayer.
        Assert.Equal(
        [
            "layers/dense/vars/0", "layers/dense/vars/1",
            "layers/functional/layers/dense/vars/0", "layers/functional/layers/dense/vars/1",
            "layers/sequential/layers/dense/vars/0", "layers/sequential/layers/dense/vars/1",
            "layers/sequential/layers/dense_1/vars/0", "layers/sequential/layers/dense_1/vars/1",
        ], datasets);
        Assert.Equal("name=inner", tree["layers/functional/vars"]);
        Assert.Equal("name=inner_dense", tree["layers/functional/layers/dense/vars"]);
        Assert.Equal("name=seq", tree["layers/sequential/vars"]);
        Assert.Contains("layers/functional/layers/input_layer/vars", tree.Keys);
        Assert.DoesNotContain("layers/sequential/layers/input_layer", tree.Keys);
    }

    [Fact]
    public void Recurrent_wrappers_and_attention_keep_their_sublayers_variables_under_Keras_s_attribute_names()
    {
        var rnn = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["recurrent"]())).Weights);
        foreach (var path in (string[])["layers/embedding/vars/0", "layers/lstm/cell/vars/2", "layers/gru/cell/vars/2",
                     "layers/bidirectional/forward_layer/cell/vars/1", "layers/bidirectional/backward_layer/cell/vars/2"])
            Assert.StartsWith("[", rnn[path]);
        Assert.Equal("name=gru_cell", rnn["layers/gru/cell/vars"]);
        Assert.Equal("name=simple_rnn_cell", rnn["layers/bidirectional/forward_layer/cell/vars"]);
        Assert.DoesNotContain(rnn.Keys, k => k.StartsWith("layers/lstm/vars/", StringComparison.Ordinal));

        var mha = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["attention"]())).Weights);
        foreach (var part in (string[])["query_dense", "key_dense", "value_dense", "output_dense"])
        {
            Assert.StartsWith("[", mha[$"layers/multi_head_attention/{part}/vars/0"]);
            Assert.StartsWith("[", mha[$"layers/multi_head_attention_1/{part}/vars/1"]);
        }
        Assert.Equal("[6, 2, 3]", mha["layers/multi_head_attention/query_dense/vars/0"]);
        Assert.Equal("name=attention_output", mha["layers/multi_head_attention/output_dense/vars"]);

        var td = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["wrappers"]())).Weights);
        Assert.Equal("[3, 2]", td["layers/time_distributed/layer/vars/0"]);
        Assert.Equal("[1]", td["layers/time_distributed_1/layer/vars/1"]);
        Assert.Equal("[2]", td["layers/layer_normalization/vars/1"]);

        var bn = Tree(Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["conv_bn"]())).Weights);
        Assert.Equal("[3, 3, 2, 3]", bn["layers/conv2d/vars/0"]);
        Assert.Equal(["0", "1", "2", "3"], bn.Keys.Where(k => k.StartsWith("layers/batch_normalization/vars/", StringComparison.Ordinal)).Select(k => k[^1..]));
    }

    [Fact]
    public void Functional_entries_have_Keras_3_s_keys_and_keras_tensor_nodes()
    {
        var config = Open(KerasArchiveTests.WriteBytes(KerasArchiveTests.Builders["two_outputs"]())).Config;
        Assert.Equal(["module", "class_name", "config", "registered_name", "build_config"], config.Select(p => p.Key));
        // Keras 3's Functional constructor calls build(None): its build_config records an input shape of None.
        Assert.Equal("""{"input_shape":null}""", config["build_config"]!.ToJsonString());
        Assert.Equal("keras.src.models.functional", (string)config["module"]!);
        Assert.Equal("Functional", (string)config["registered_name"]!);
        var c = config["config"]!.AsObject();
        Assert.Equal(["name", "trainable", "layers", "input_layers", "output_layers"], c.Select(p => p.Key));
        Assert.Equal("""[["x",0,0],["z",0,0]]""", c["input_layers"]!.ToJsonString());
        Assert.Equal("""[["score",0,0],["klass",0,0]]""", c["output_layers"]!.ToJsonString());
        foreach (var entry in c["layers"]!.AsArray().Select(e => e!.AsObject()))
        {
            var cls = (string)entry["class_name"]!;
            string[] keys = cls is "Dense" or "Concatenate" ? ["module", "class_name", "config", "registered_name", "build_config", "name", "inbound_nodes"]
                : ["module", "class_name", "config", "registered_name", "name", "inbound_nodes"];
            Assert.Equal(keys, entry.Select(p => p.Key));
            if (cls == "InputLayer") Assert.Empty(entry["inbound_nodes"]!.AsArray());
        }
        var concat = c["layers"]!.AsArray().Single(e => (string)e!["class_name"]! == "Concatenate")!;
        var node = concat["inbound_nodes"]![0]!.AsObject();
        Assert.Equal(["args", "kwargs"], node.Select(p => p.Key));
        var first = node["args"]![0]![0]!.AsObject();
        Assert.Equal("__keras_tensor__", (string)first["class_name"]!);
        Assert.Equal("""{"shape":[null,4],"dtype":"float32","keras_history":["x",0,0]}""", first["config"]!.ToJsonString());
        Assert.Equal("""{"input_shape":[[null,4],[null,2]]}""", concat["build_config"]!.ToJsonString());
    }
}
