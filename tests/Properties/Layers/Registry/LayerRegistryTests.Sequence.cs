using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Serialization;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Layers.Registry;

public partial class LayerRegistryTests
{
    /// <summary>Record generators of the sequence layers.</summary>
    private static Dictionary<string, Gen<Layer>> SequenceRecords => new()
    {
        ["Masking"] = Gen.Elements(0.0, -1.0, 0.5, 1e-3, -2.25).Select(v => (Layer)new Masking(v) { Id = Id, Name = "x" }),
        ["TimeDistributed"] = from units in Gen.Choose(1, 64)
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              from inner in Gen.Elements<Layer>(new Dense(units, act, bias) { Id = Id, Name = "dense" },
                                  new Flatten { Id = Id, Name = "flatten" }, new Dropout(0.25) { Id = Id, Name = "dropout" })
                              select (Layer)new TimeDistributed(inner) { Id = Id, Name = "x" },
        ["RepeatVector"] = Gen.Choose(0, 100).Select(n => (Layer)new RepeatVector(n) { Id = Id, Name = "x" }),
        ["Permute"] = from rank in Gen.Choose(1, 4)
                      from keys in Gen.ArrayOf(Gen.Choose(0, 1000), rank)
                      select (Layer)new Permute([.. Enumerable.Range(1, rank).OrderBy(i => keys[i - 1]).ThenBy(i => i)]) { Id = Id, Name = "x" },
        ["Cropping1D"] = PairOf(0, 5).Select(p => (Layer)new Cropping1D(p) { Id = Id, Name = "x" }),
        ["Cropping2D"] = from a in PairOf(0, 4) from b in PairOf(0, 4) select (Layer)new Cropping2D((a, b)) { Id = Id, Name = "x" },
        ["ZeroPadding1D"] = PairOf(0, 5).Select(p => (Layer)new ZeroPadding1D(p) { Id = Id, Name = "x" }),
        ["UpSampling1D"] = Gen.Choose(1, 6).Select(s => (Layer)new UpSampling1D(s) { Id = Id, Name = "x" }),
        ["UpSampling2D"] = from size in PairOf(1, 4) from interpolation in Gen.Elements("nearest", "bilinear")
                           select (Layer)new UpSampling2D(size, interpolation) { Id = Id, Name = "x" },
        ["MaxPooling1D"] = from pool in Gen.Choose(1, 5) from strides in Maybe(Gen.Choose(1, 5)) from padding in Padding
                           select (Layer)new MaxPooling1D(pool, strides, padding) { Id = Id, Name = "x" },
        ["AveragePooling1D"] = from pool in Gen.Choose(1, 5) from strides in Maybe(Gen.Choose(1, 5)) from padding in Padding
                               select (Layer)new AveragePooling1D(pool, strides, padding) { Id = Id, Name = "x" },
    };

    private static Layer ReadKeras(string className, string json) =>
        LayerRegistry.Default.Read(className, LayerConfig.Of(JsonNode.Parse(json), className), Id, "x");

    [Fact]
    public void Sequence_layers_read_Keras_3_configs_integers_for_lists_and_nested_layers()
    {
        Assert.Equal(new MaxPooling1D(2, 2, Core.Padding.Same) { Id = Id, Name = "x" },
            ReadKeras("MaxPooling1D", """{"pool_size": 2, "strides": null, "padding": "same", "data_format": "channels_last", "name": "x"}"""));
        Assert.Equal(new AveragePooling1D(3, 1) { Id = Id, Name = "x" }, ReadKeras("AveragePooling1D", """{"pool_size": [3], "strides": [1], "padding": "valid"}"""));
        Assert.Equal(new Cropping1D((1, 2)) { Id = Id, Name = "x" }, ReadKeras("Cropping1D", """{"cropping": [1, 2]}"""));
        Assert.Equal(new Cropping1D(1) { Id = Id, Name = "x" }, ReadKeras("Cropping1D", "{}"));
        Assert.Equal(new Cropping2D(((2, 2), (3, 3))) { Id = Id, Name = "x" }, ReadKeras("Cropping2D", """{"cropping": [2, 3]}"""));
        Assert.Equal(new ZeroPadding1D(3) { Id = Id, Name = "x" }, ReadKeras("ZeroPadding1D", """{"padding": 3}"""));
        Assert.Equal(new UpSampling2D((3, 3), "bilinear") { Id = Id, Name = "x" }, ReadKeras("UpSampling2D", """{"size": 3, "interpolation": "bilinear"}"""));
        Assert.Equal(new Permute([2, 1]) { Id = Id, Name = "x" }, ReadKeras("Permute", """{"dims": [2, 1]}"""));
        Assert.Equal(new Masking() { Id = Id, Name = "x" }, ReadKeras("Masking", "{}"));
        var td = Assert.IsType<TimeDistributed>(ReadKeras("TimeDistributed", """
            {"name": "x", "trainable": true, "dtype": "float32",
             "layer": {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
                       "config": {"name": "dense_3", "units": 5, "activation": "relu", "use_bias": false}}}
            """));
        Assert.Equal(new Dense(5, "relu", false) { Id = Id, Name = "dense_3" }, td.Layer);
        Assert.Contains("`layer`", Assert.Throws<ModelFormatError>(() => ReadKeras("TimeDistributed", "{}")).Message);
        Assert.Contains("interpolation", Assert.Throws<ModelFormatError>(() => ReadKeras("UpSampling2D", """{"interpolation": "bicubic"}""")).Message);
    }
}
