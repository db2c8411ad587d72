using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using DeepGraph.Properties.Serialization;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The config codecs of the layers written over ops (their <c>Kind</c>, found by the registry): every option
/// survives a TF.js write and read as an equal record with equal weights, under Keras's config keys.
/// </summary>
public sealed class OpLayerConfigTests
{
    public static TheoryData<string> Layers => [.. Cases.Keys];

    private static readonly Dictionary<string, (Layer Layer, int[][] Inputs)> Cases = new()
    {
        ["embedding"] = (new Embedding(9, 3, maskZero: true, inputLength: 4, embeddingsInitializer: new RandomUniform(-0.1, 0.2)) { Id = Harness.LayerUnderTest, Name = "emb" }, [[2, 4]]),
        ["embedding_default"] = (new Embedding(9, 3) { Id = Harness.LayerUnderTest, Name = "emb" }, [[2, 5]]),
        ["layer_normalization"] = (new LayerNormalization([1, -1], 1e-5, center: false) { Id = Harness.LayerUnderTest, Name = "ln" }, [[2, 3, 4]]),
        ["layer_normalization_default"] = (new LayerNormalization() { Id = Harness.LayerUnderTest, Name = "ln" }, [[2, 4]]),
        ["multi_head_attention"] = (new MultiHeadAttention(3, 2, valueDim: 4, dropout: 0.25, useBias: false, outputShape: [5]) { Id = Harness.LayerUnderTest, Name = "mha" }, [[2, 3, 4], [2, 6, 7], [2, 6, 2]]),
        ["multi_head_attention_default"] = (new MultiHeadAttention(2, 3, attentionAxes: [1]) { Id = Harness.LayerUnderTest, Name = "mha" }, [[2, 3, 4], [2, 3, 4]]),
        ["multi_head_attention_output_dims"] = (new MultiHeadAttention(2, 3, outputShape: [2, 3]) { Id = Harness.LayerUnderTest, Name = "mha" }, [[2, 3, 4], [2, 3, 4]]),
        ["global_average_pooling1d"] = (new GlobalAveragePooling1D(keepDims: true) { Id = Harness.LayerUnderTest, Name = "gap" }, [[2, 3, 4]]),
        ["global_max_pooling1d"] = (new GlobalMaxPooling1D() { Id = Harness.LayerUnderTest, Name = "gmp" }, [[2, 3, 4]]),
        ["maximum"] = (new Maximum { Id = Harness.LayerUnderTest, Name = "max" }, [[2, 3], [2, 3]]),
        ["minimum"] = (new Minimum { Id = Harness.LayerUnderTest, Name = "min" }, [[2, 3], [2, 3], [2, 3]]),
        ["average"] = (new Average { Id = Harness.LayerUnderTest, Name = "avg" }, [[2, 3], [2, 3]]),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Written_then_read_is_the_same_model_and_predicts_the_same(string name)
    {
        var (layer, shapes) = Cases[name];
        var model = Harness.OneLayer(layer, shapes);
        var (json, weights) = TfjsModel.Write(model, "weights.bin");
        var reread = Fixtures.Read(json, weights);
        Assert.Equal(model.Layers, reread.Layers); // records by value (ids are the reader's)
        Assert.Equal(json, TfjsModel.Write(reread, "weights.bin").ModelJson);

        var rng = new Random(1);
        var inputs = shapes.Select(s => layer is Embedding e
            ? Tensor.FromInts([.. Enumerable.Range(0, s.Aggregate(1, (p, d) => p * d)).Select(_ => rng.Next(e.InputDim))], s)
            : Harness.RandomTensor(rng, s)).ToArray();
        var context = new ForwardContext(Harness.Managed, new TensorPool());
        Assert.Equal(Executor.Run(model, inputs, context)[0], Executor.Run(reread, inputs, context)[0]);
    }

    [Fact]
    public void Keras_configs_are_read_with_their_defaults_and_spellings()
    {
        LayerConfig C(string json) => LayerConfig.Of(JsonNode.Parse(json), "test");
        var registry = LayerRegistry.Default;
        var id = Harness.LayerUnderTest;

        var mha = (MultiHeadAttention)registry.Read("MultiHeadAttention", C("""{"num_heads": 4, "key_dim": 8, "value_dim": null, "output_shape": 16, "attention_axes": null}"""), id, "a");
        Assert.Equal((4, 8, 8, 0.0, true), (mha.NumHeads, mha.KeyDim, mha.ValueDim, mha.Dropout, mha.UseBias));
        Assert.Equal([16], mha.OutputShape!.Value);
        Assert.Null(mha.AttentionAxes);

        var ln = (LayerNormalization)registry.Read("LayerNormalization", C("""{"axis": -1}"""), id, "n");
        Assert.Equal([-1], ln.Axis);
        Assert.Equal((1e-3, true, true), (ln.Epsilon, ln.Center, ln.Scale));
        Assert.Contains("rms_scaling", Assert.Throws<ModelFormatError>(() => registry.Read("LayerNormalization", C("""{"rms_scaling": true}"""), id, "n")).Message);

        var e = (Embedding)registry.Read("Embedding", C("""{"input_dim": 7, "output_dim": 2, "mask_zero": null, "input_length": [5], "embeddings_initializer": "uniform"}"""), id, "e");
        Assert.Equal((7, 2, false, (int?)5), (e.InputDim, e.OutputDim, e.MaskZero, e.InputLength));
        Assert.Equal(new RandomUniform(), e.EmbeddingsInitializer);
        var error = Assert.Throws<ModelFormatError>(() => registry.Read("Embedding", C("""{"input_dim": 0, "output_dim": 2}"""), id, "e"));
        Assert.Contains("input_dim", error.Message);
        Assert.Contains("channels_last", Assert.Throws<ModelFormatError>(() => registry.Read("GlobalAveragePooling1D", C("""{"data_format": "channels_first"}"""), id, "g")).Message);
    }
}
