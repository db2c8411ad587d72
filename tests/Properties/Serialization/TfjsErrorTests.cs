using System.Text.Json.Nodes;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>A damaged file is refused with a <see cref="ModelFormatError"/> that names what is wrong; no model comes back.</summary>
public sealed class TfjsErrorTests
{
    // Fixture 000: input (None, 9) → dense (18) → reshape (2, 3, 3) → conv2d (12, 1×1, no bias) → flatten → dense_1 (5); 581 parameters.
    private static readonly string Folder = Path.Combine(Fixtures.Models, "000");
    private static readonly string Json = Fixtures.Json(Folder);
    private static readonly byte[] Weights = File.ReadAllBytes(Path.Combine(Folder, "weights.bin"));

    private static ModelFormatError Refused(string json, byte[] weights) =>
        Assert.ThrowsAny<ModelFormatError>(() => Fixtures.Read(json, weights));

    private static string Edit(Action<JsonNode> change)
    {
        var root = JsonNode.Parse(Json)!;
        change(root);
        return root.ToJsonString();
    }

    private static JsonNode Layer(JsonNode root, string name) =>
        root["modelTopology"]!["config"]!["layers"]!.AsArray().Single(l => (string)l!["name"]! == name)!;

    private static JsonNode ManifestWeight(JsonNode root, string name) =>
        root["weightsManifest"]![0]!["weights"]!.AsArray().Single(w => (string)w!["name"]! == name)!;

    [Fact]
    public void The_untouched_fixture_loads()
    {
        Assert.Equal(581, Fixtures.Read(Json, Weights).ParamCount);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.0)]
    public void Truncated_json_is_refused_as_invalid_json(double keep)
    {
        var e = Refused(Json[..(int)(Json.Length * keep)], Weights);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Json_that_is_not_a_model_is_refused()
    {
        Assert.Contains("modelTopology", Refused("""{"format": "layers-model"}""", Weights).Message);
        Assert.Contains("expected a JSON object", Refused("[1, 2]", Weights).Message);
        Assert.Contains("graph-model", Refused("""{"format": "graph-model", "modelTopology": {}}""", Weights).Message);
    }

    [Fact]
    public void Truncated_weights_are_refused_with_both_sizes()
    {
        var e = Refused(Json, Weights[..^4]);
        Assert.Contains("\"weights.bin\"", e.Message);
        Assert.Contains($"holds {Weights.Length - 4} bytes", e.Message);
        Assert.Contains($"need {Weights.Length} bytes", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Weights_longer_than_the_manifest_are_refused()
    {
        var e = Refused(Json, [.. Weights, 0, 0, 0, 0]);
        Assert.Contains($"holds {Weights.Length + 4} bytes", e.Message);
        Assert.Contains("longer than the manifest", e.Message);
    }

    [Fact]
    public void A_weight_of_the_wrong_shape_is_refused_naming_the_weight_the_layer_and_both_shapes()
    {
        // [9, 18] → [18, 9]: the same number of values, so only the shape check can catch it.
        var json = Edit(root => ManifestWeight(root, "dense/kernel")["shape"] = new JsonArray(18, 9));
        var e = Refused(json, Weights);
        Assert.Contains("\"dense/kernel\" has shape [18, 9]", e.Message);
        Assert.Contains("layer \"dense\" (Dense) needs shape [9, 18]", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("(None, 9)", e.Message);
    }

    [Fact]
    public void A_weight_of_the_wrong_size_is_refused()
    {
        // The bias shrinks by one and the file by four bytes: the sizes agree, the layer does not.
        var json = Edit(root => ManifestWeight(root, "dense/bias")["shape"] = new JsonArray(17));
        var bias = 9 * 18 * 4;
        var e = Refused(json, [.. Weights[..bias], .. Weights[(bias + 4)..]]);
        Assert.Contains("\"dense/bias\" has shape [17]", e.Message);
        Assert.Contains("needs shape [18]", e.Message);
    }

    [Fact]
    public void A_missing_weight_is_refused_naming_it_and_what_the_layer_has()
    {
        var json = Edit(root => ManifestWeight(root, "dense_1/bias")["name"] = "dense_1/offset");
        var e = Refused(json, Weights);
        Assert.Contains("needs weight \"dense_1/bias\" of shape [5]", e.Message);
        Assert.Contains("\"dense_1/offset\"", e.Message);
    }

    [Fact]
    public void An_extra_weight_is_refused_naming_it()
    {
        var json = Edit(root => root["weightsManifest"]![0]!["weights"]!.AsArray()
            .Add(new JsonObject { ["name"] = "conv2d/bias", ["shape"] = new JsonArray(12), ["dtype"] = "float32" }));
        var e = Refused(json, [.. Weights, .. new byte[48]]);
        Assert.Contains("no layer of the model has: \"conv2d/bias\" [12]", e.Message);
    }

    [Fact]
    public void A_weight_listed_twice_is_refused()
    {
        var json = Edit(root => root["weightsManifest"]![0]!["weights"]!.AsArray()
            .Add(new JsonObject { ["name"] = "dense_1/bias", ["shape"] = new JsonArray(5), ["dtype"] = "float32" }));
        Assert.Contains("\"dense_1/bias\" is listed twice", Refused(json, [.. Weights, .. new byte[20]]).Message);
    }

    [Fact]
    public void An_unknown_layer_class_is_refused_naming_the_class_and_the_layer()
    {
        var json = Edit(root => Layer(root, "flatten")["class_name"] = "Flattener");
        var e = Assert.Throws<UnsupportedLayerError>(() => Fixtures.Read(json, Weights));
        Assert.Equal(("flatten", "Flattener"), (e.LayerName, e.ClassName));
        Assert.Contains("unknown layer class 'Flattener'", e.Message);
        Assert.Contains("\"flatten\"", e.Message);
    }

    [Fact]
    public void An_invalid_config_value_is_refused_naming_the_layer_and_the_key()
    {
        var units = Refused(Edit(root => Layer(root, "dense")["config"]!["units"] = "many"), Weights);
        Assert.Contains("layer \"dense\" (Dense): `units` must be an integer; found \"many\"", units.Message);
        var activation = Refused(Edit(root => Layer(root, "dense")["config"]!["activation"] = "wiggle"), Weights);
        Assert.Contains("layer \"dense\" (Dense)", activation.Message);
        Assert.Contains("wiggle", activation.Message);
        var format = Refused(Edit(root => Layer(root, "conv2d")["config"]!["data_format"] = "channels_first"), Weights);
        Assert.Contains("channels_last", format.Message);
    }

    [Fact]
    public void A_call_on_a_tensor_no_call_produces_is_refused_listing_the_waiting_calls()
    {
        // dense_1 now reads call 1 of flatten, which never happens.
        var json = Edit(root => Layer(root, "dense_1")["inbound_nodes"] = JsonNode.Parse("""[[["flatten", 1, 0, {}]]]"""));
        var e = Refused(json, Weights);
        Assert.Contains("cannot be rebuilt", e.Message);
        Assert.Contains("layer \"dense_1\" call 0 on [[\"flatten\", 1, 0]]", e.Message);
    }

    [Fact]
    public void A_call_on_an_unknown_layer_is_refused()
    {
        var json = Edit(root => Layer(root, "dense_1")["inbound_nodes"] = JsonNode.Parse("""[[["flattened", 0, 0, {}]]]"""));
        Assert.Contains("has no layer \"flattened\"", Refused(json, Weights).Message);
    }

    [Fact]
    public void A_graph_whose_shapes_do_not_fit_is_refused_naming_the_layer_and_shapes()
    {
        // A reshape to 4 × 4 of 18 values.
        var json = Edit(root => Layer(root, "reshape")["config"]!["target_shape"] = new JsonArray(4, 4));
        var e = Refused(json, Weights);
        Assert.Contains("\"reshape\"", e.Message);
        Assert.Contains("(None, 18)", e.Message);
    }

    [Fact]
    public void A_weight_file_that_cannot_be_read_is_refused_naming_it()
    {
        var e = Assert.Throws<ModelFormatError>(() => TfjsModel.Read(Json, p => throw new FileNotFoundException($"Could not find file '{p}'.")));
        Assert.Contains("weight file \"weights.bin\" could not be read", e.Message);
        Assert.IsType<FileNotFoundException>(e.InnerException);
    }

    [Fact]
    public void A_changed_weight_value_makes_an_unequal_model()
    {
        // The round-trip law is only as strong as equality: one flipped bit must show.
        var changed = (byte[])Weights.Clone();
        changed[100] ^= 1;
        Assert.NotEqual(Fixtures.Read(Json, Weights), Fixtures.Read(Json, changed));
    }
}
