using System.IO.Compression;
using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using DeepGraph.Properties.Layers.Registry;
using PureHDF;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The layer-config dialects: every registered kind written in Keras 3's form reads back as the same record; the keys
/// written are those Keras 3's constructors take (golden key sets from Keras's sources, and the real Keras 3.8 file of
/// keras-files); Keras 3 and tf.keras forms (dtype policies, initializer objects, serialized tensors, activation objects,
/// wrappers) read as the codecs expect; every layer config of the legacy .h5 files of keras-files reads.
/// </summary>
public class KerasDialectTests
{
    private static readonly LayerRegistry Registry = LayerRegistry.Default;

    /// <summary>What Keras 3 reads back from the JSON text of <paramref name="layer"/>'s Keras 3 entry.</summary>
    private static Layer ThroughKeras3(Layer layer)
    {
        var text = KerasDialect.Keras3Layer(layer, Registry).ToJsonString();
        var entry = JsonNode.Parse(text)!.AsObject();
        var className = (string)entry["class_name"]!;
        var where = $"layer \"{layer.Name}\" ({className})";
        var config = KerasDialect.ReadLayerConfig(className, entry["config"]!.AsObject(), where, keras3: true, kerasVersion: "3.8.0");
        return Registry.Read(className, LayerConfig.Of(config, where), layer.Id, layer.Name);
    }

    /// <summary>
    /// The record as Keras 3 can keep it: SpatialDropout's Keras 3 constructor takes no <c>trainable</c>
    /// (keras/src/layers/regularization/spatial_dropout.py), so a weightless spatial dropout reads back trainable.
    /// </summary>
    private static Layer Keepable(Layer layer) => layer is SpatialDropout1D or SpatialDropout2D ? layer with { Trainable = true } : layer;

    [Property(MaxTest = 400)]
    public Property Every_kind_reads_back_its_Keras_3_entry() =>
        Prop.ForAll(LayerRegistryTests.AnyRecord.ToArbitrary(), layer =>
        {
            var back = ThroughKeras3(layer);
            return (back == Keepable(layer)).Label($"{layer} read back as {back}");
        });

    [Fact]
    public void Every_default_kind_round_trips_and_writes_only_Keras_3_keys()
    {
        var missing = new List<string>();
        foreach (var kind in Registry.Kinds)
        {
            if (!LayerRegistryTests.Records.TryGetValue(kind.ClassName, out var gen))
            {
                missing.Add(kind.ClassName);
                continue;
            }
            foreach (var sample in gen.Sample(10, 12))
            {
                var layer = sample is InputLayer ? sample with { Name = "in_1" } : sample with { Name = "layer_1", Trainable = false };
                var back = ThroughKeras3(layer);
                Assert.True(back == Keepable(layer), $"{kind.ClassName}: {layer} read back as {back}");
                CheckEntry(KerasDialect.Keras3Layer(layer, Registry));
            }
        }
        Assert.True(missing.Count == 0, $"No record generator for: {string.Join(", ", missing)}");
    }

    /// <summary>The shape of a Keras 3 entry: module, class name, registered name; the base keys; objects as Keras 3 serializes them.</summary>
    private static void CheckEntry(JsonObject entry)
    {
        var className = (string)entry["class_name"]!;
        Assert.Equal("keras.layers", (string?)entry["module"]);
        Assert.True(entry.ContainsKey("registered_name") && entry["registered_name"] is null, className);
        var config = entry["config"]!.AsObject();
        Assert.Equal(Registry.Find(className) is null ? null : (string?)config["name"], (string?)config["name"]);
        foreach (var key in new[] { "batch_input_shape", "implementation", "time_major" })
            Assert.False(config.ContainsKey(key), $"{className} writes `{key}`, which Keras 3 refuses");
        Assert.False(config.ContainsKey("input_length") && config["input_length"] is null, "input_length: null is left out"); // Keras 3 pops it when set
        if (className == "InputLayer")
        {
            Assert.Equal(["batch_shape", "dtype", "name", "sparse"], config.Select(p => p.Key).Order(StringComparer.Ordinal));
            return;
        }
        Assert.Equal("DTypePolicy", (string?)config["dtype"]!["class_name"]);
        Assert.Equal("keras", (string?)config["dtype"]!["module"]);
        foreach (var (key, value) in config)
        {
            if (key.EndsWith("_initializer", StringComparison.Ordinal) && value is JsonObject init)
            {
                Assert.Equal("keras.initializers", (string?)init["module"]);
                Assert.True(init.ContainsKey("registered_name") && init["registered_name"] is null);
                Assert.NotEqual("VarianceScaling", (string?)init["class_name"]); // Glorot-uniform is Keras 3's GlorotUniform
            }
            if (key is "layer" or "backward_layer") CheckEntry(value!.AsObject());
        }
    }

    // ---- golden key sets: the keys Keras 3's get_config writes (all accepted by its __init__) --------------------

    private static readonly string[] Base = ["name", "trainable", "dtype"];

    /// <summary>keras/src/layers/layer.py: Layer.__init__ takes activity_regularizer for every layer.</summary>
    private static readonly string[] Activity = ["activity_regularizer"];

    private static readonly string[] DenseLike = ["kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"];

    private static readonly string[] RnnBase = ["return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask"];

    private static readonly string[] RnnCell =
    [
        "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
        "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
    ];

    /// <summary>Per class: a sample record, the keys Keras 3 writes (and takes), and those DeepGraph must write.</summary>
    public static TheoryData<string> GoldenClasses => [.. Golden.Keys];

    private static readonly LayerId G = new(1);

    private static readonly Dictionary<string, (Layer Layer, string[] Keras3Keys, string[] Required)> Golden = new()
    {
        // keras/src/layers/core/dense.py get_config (lora_rank / quantization_config only in some versions, not written)
        ["Dense"] = (new Dense(4, "relu") { Id = G, Name = "g" }, [.. Base, .. Activity, "units", "activation", "use_bias", .. DenseLike, "lora_rank", "lora_alpha", "quantization_config"],
            [.. Base, "units", "activation", "use_bias", "kernel_initializer", "bias_initializer"]),
        // keras/src/layers/convolutional/base_conv.py get_config
        ["Conv2D"] = (new Conv2D(8, (3, 3)) { Id = G, Name = "g" }, [.. Base, .. Activity, "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", .. DenseLike],
            [.. Base, "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation", "use_bias"]),
        // keras/src/layers/rnn/lstm.py get_config (+ rnn.py's base keys)
        ["LSTM"] = (new LSTM(5, returnSequences: true) { Id = G, Name = "g" }, [.. Base, .. Activity, .. RnnBase, .. RnnCell, "recurrent_activation", "unit_forget_bias", "use_cudnn"],
            [.. Base, "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "return_sequences", "return_state", "go_backwards", "stateful"]),
        // keras/src/layers/rnn/gru.py get_config
        ["GRU"] = (new GRU(5, resetAfter: false) { Id = G, Name = "g" }, [.. Base, .. Activity, .. RnnBase, .. RnnCell, "recurrent_activation", "reset_after", "use_cudnn"],
            [.. Base, "units", "activation", "recurrent_activation", "reset_after", "return_sequences"]),
        // keras/src/layers/rnn/simple_rnn.py get_config
        ["SimpleRNN"] = (new SimpleRNN(3) { Id = G, Name = "g" }, [.. Base, .. Activity, .. RnnBase, .. RnnCell], [.. Base, "units", "activation", "return_sequences"]),
        // keras/src/layers/normalization/batch_normalization.py get_config
        ["BatchNormalization"] = (new BatchNormalization() { Id = G, Name = "g" }, [.. Base, .. Activity, "axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
            "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint", "synchronized", "renorm",
            "renorm_clipping", "renorm_momentum"], [.. Base, "axis", "momentum", "epsilon", "center", "scale"]),
        // keras/src/layers/normalization/layer_normalization.py get_config
        ["LayerNormalization"] = (new LayerNormalization([-1]) { Id = G, Name = "g" }, [.. Base, .. Activity, "axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer",
            "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"], [.. Base, "axis", "epsilon", "center", "scale"]),
        // keras/src/layers/core/embedding.py get_config
        ["Embedding"] = (new Embedding(100, 8, maskZero: true) { Id = G, Name = "g" }, [.. Base, .. Activity, "input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
            "embeddings_constraint", "mask_zero", "lora_rank", "lora_alpha", "quantization_config", "input_length"], [.. Base, "input_dim", "output_dim", "mask_zero", "embeddings_initializer"]),
        // keras/src/layers/regularization/dropout.py get_config
        ["Dropout"] = (new Dropout(0.25) { Id = G, Name = "g" }, [.. Base, .. Activity, "rate", "noise_shape", "seed"], [.. Base, "rate"]),
        // keras/src/layers/regularization/spatial_dropout.py: rate, seed, name, dtype (+ data_format); no trainable
        ["SpatialDropout2D"] = (new SpatialDropout2D(0.5) { Id = G, Name = "g" }, ["rate", "seed", "name", "dtype", "data_format"], ["rate", "name", "dtype"]),
        // keras/src/layers/core/input_layer.py get_config
        ["InputLayer"] = (new InputLayer(Shape.Of([null, 7, 3])) { Id = G, Name = "g" }, ["batch_shape", "dtype", "sparse", "ragged", "name", "optional"], ["batch_shape", "dtype", "name"]),
        // keras/src/layers/pooling/base_pooling.py get_config
        ["MaxPooling2D"] = (new MaxPooling2D((2, 2)) { Id = G, Name = "g" }, [.. Base, .. Activity, "pool_size", "strides", "padding", "data_format"], [.. Base, "pool_size", "strides", "padding"]),
        // keras/src/layers/pooling/base_global_pooling.py get_config
        ["GlobalAveragePooling2D"] = (new GlobalAveragePooling2D() { Id = G, Name = "g" }, [.. Base, .. Activity, "data_format", "keepdims"], Base),
        // keras/src/layers/reshaping/flatten.py, reshape.py
        ["Flatten"] = (new Flatten() { Id = G, Name = "g" }, [.. Base, .. Activity, "data_format"], Base),
        ["Reshape"] = (new Reshape([2, -1]) { Id = G, Name = "g" }, [.. Base, .. Activity, "target_shape"], [.. Base, "target_shape"]),
        // keras/src/layers/activations/activation.py, leaky_relu.py
        ["Activation"] = (new DeepGraph.Core.Activation("softmax") { Id = G, Name = "g" }, [.. Base, .. Activity, "activation"], [.. Base, "activation"]),
        ["LeakyReLU"] = (new LeakyReLU(0.1) { Id = G, Name = "g" }, [.. Base, .. Activity, "negative_slope"], [.. Base, "negative_slope"]),
        // keras/src/layers/merging/concatenate.py
        ["Concatenate"] = (new Concatenate(-1) { Id = G, Name = "g" }, [.. Base, .. Activity, "axis"], [.. Base, "axis"]),
        ["Add"] = (new Add() { Id = G, Name = "g" }, [.. Base, .. Activity], Base),
        // keras/src/layers/attention/multi_head_attention.py get_config
        ["MultiHeadAttention"] = (new MultiHeadAttention(2, 4) { Id = G, Name = "g" }, [.. Base, .. Activity, "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
            .. DenseLike, "seed", "flash_attention"], [.. Base, "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes"]),
        // keras/src/layers/rnn/bidirectional.py get_config
        ["Bidirectional"] = (new Bidirectional(new LSTM(3) { Id = new LayerId(0), Name = "lstm" }) { Id = G, Name = "g" }, [.. Base, .. Activity, "layer", "merge_mode", "backward_layer"],
            [.. Base, "layer", "merge_mode"]),
    };

    [Theory]
    [MemberData(nameof(GoldenClasses))]
    public void Keras_3_entry_has_the_keys_Keras_3_writes(string className)
    {
        var (record, keras3Keys, required) = Golden[className];
        var layer = record with { Id = new LayerId(1), Name = "my_layer" };
        var entry = KerasDialect.Keras3Layer(layer, Registry);
        Assert.Equal(className, (string?)entry["class_name"]);
        var keys = entry["config"]!.AsObject().Select(p => p.Key).ToList();
        var refused = keys.Except(keras3Keys).ToList();
        Assert.True(refused.Count == 0, $"{className} writes keys Keras 3 does not take: {string.Join(", ", refused)}");
        var lacking = required.Except(keys).ToList();
        Assert.True(lacking.Count == 0, $"{className} lacks keys Keras 3 writes: {string.Join(", ", lacking)}");
        if (className == "Bidirectional")
            Assert.Equal("keras.layers", (string?)entry["config"]!["layer"]!["module"]);
    }

    /// <summary>
    /// Whole entries as Keras 3 writes them for <c>Dense(4, activation="relu", name="dense")</c> (keras/src/layers/core/dense.py
    /// and layer.py get_config, serialized by keras/src/saving/serialization_lib.py; recent Keras 3 versions add
    /// <c>quantization_config: null</c>, which older ones refuse, so it is left out) and <c>Input((7, 3), name="input_layer")</c>
    /// (keras/src/layers/core/input_layer.py; later Keras 3 versions add <c>ragged</c> and <c>optional</c>, both false, which
    /// the first Keras 3 versions' InputLayer does not take).
    /// </summary>
    [Fact]
    public void Golden_Keras_3_entries()
    {
        var dense = KerasDialect.Keras3Layer(new Dense(4, "relu") { Id = G, Name = "dense" }, Registry);
        var expected = JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
             "config": {"name": "dense", "trainable": true,
                        "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null},
                        "units": 4, "activation": "relu", "use_bias": true,
                        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null},
                        "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
                        "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}}
            """);
        Assert.True(JsonNode.DeepEquals(expected, dense), dense.ToJsonString());
        var input = KerasDialect.Keras3Layer(new InputLayer(Shape.Of([null, 7, 3])) { Id = G, Name = "input_layer" }, Registry);
        var expectedInput = JsonNode.Parse("""
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": null,
             "config": {"batch_shape": [null, 7, 3], "dtype": "float32", "sparse": false, "name": "input_layer"}}
            """);
        Assert.True(JsonNode.DeepEquals(expectedInput, input), input.ToJsonString());
    }

    [Fact]
    public void Keras_3_names_of_activations_and_initializers()
    {
        var dense = KerasDialect.Keras3Layer(new Dense(2, ActivationFunction.HardSigmoidKeras3) { Id = new LayerId(1), Name = "d" }, Registry)["config"]!;
        Assert.Equal("hard_sigmoid", (string?)dense["activation"]);
        Assert.Equal("GlorotUniform", (string?)dense["kernel_initializer"]!["class_name"]);
        Assert.Equal("Zeros", (string?)dense["bias_initializer"]!["class_name"]);
        var lstm = KerasDialect.Keras3Layer(new LSTM(2, recurrentActivation: ActivationFunction.HardSigmoid) { Id = new LayerId(1), Name = "l" }, Registry)["config"]!;
        Assert.Equal("hard_sigmoid_keras2", (string?)lstm["recurrent_activation"]);
        Assert.Equal("Orthogonal", (string?)lstm["recurrent_initializer"]!["class_name"]);
        var leaky = KerasDialect.Keras3Layer(new LeakyReLU(0.125) { Id = new LayerId(1), Name = "r" }, Registry)["config"]!;
        Assert.Equal(0.125, (double)leaky["negative_slope"]!);
    }

    [Fact]
    public void A_custom_class_is_written_as_a_registered_serializable()
    {
        var scale = new Scale(2.5) { Id = new LayerId(1), Name = "mine" };
        var registry = Registry.With(Scale.Kind);
        var entry = KerasDialect.Keras3Layer(scale, registry);
        Assert.Null((string?)entry["module"]);
        Assert.Equal("Custom>Scale", (string?)entry["registered_name"]);
        Assert.Equal("DTypePolicy", (string?)entry["config"]!["dtype"]!["class_name"]);
        var config = KerasDialect.ReadLayerConfig("Scale", entry["config"]!.AsObject(), "layer", keras3: true);
        Assert.Equal(scale, registry.Read("Scale", LayerConfig.Of(config, "layer"), scale.Id, scale.Name));
        Assert.Throws<ModelFormatError>(() => KerasDialect.Keras3Layer(scale, Registry));
    }

    // ---- reading the Keras 3 and tf.keras forms ---------------------------------------------------------------------

    private static Layer Read(string className, string json, bool keras3 = true, string? version = null)
    {
        var config = JsonNode.Parse(json)!.AsObject();
        var before = config.ToJsonString();
        var read = KerasDialect.ReadLayerConfig(className, config, $"layer ({className})", keras3, version);
        Assert.Equal(before, config.ToJsonString()); // the input is not changed
        return Registry.Read(className, LayerConfig.Of(read, $"layer ({className})"), new LayerId(1), "x");
    }

    private const string Policy = """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null, "shared_object_id": 1}""";

    [Fact]
    public void Keras_3_dense_with_policy_initializer_objects_and_new_keys_reads()
    {
        var dense = Assert.IsType<Dense>(Read("Dense", $$$"""
            {"name": "x", "trainable": false, "dtype": {{{Policy}}}, "units": 3, "activation": "hard_sigmoid", "use_bias": true,
             "kernel_initializer": {"module": "keras.initializers", "class_name": "HeNormal", "config": {"seed": 5}, "registered_name": null},
             "bias_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null},
             "kernel_regularizer": {"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}, "registered_name": null},
             "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "lora_rank": null, "quantization_config": null}
            """));
        Assert.Equal(3, dense.Units);
        Assert.False(dense.Trainable);
        Assert.Equal(ActivationFunction.HardSigmoidKeras3, dense.Activation);
        // The same name in a Keras 2 config is Keras 2's hard sigmoid.
        Assert.Equal(ActivationFunction.HardSigmoid, Assert.IsType<Dense>(Read("Dense", """{"units": 3, "activation": "hard_sigmoid"}""", keras3: false)).Activation);
        // A known version decides: tf.keras 2.15's .keras files have Keras 3's layout but Keras 2's activations.
        Assert.Equal(ActivationFunction.HardSigmoid, Assert.IsType<Dense>(Read("Dense", """{"units": 3, "activation": "hard_sigmoid"}""", keras3: true, version: "2.15.0")).Activation);
        Assert.Equal(ActivationFunction.HardSigmoidKeras3, Assert.IsType<Dense>(Read("Dense", """{"units": 3, "activation": "hard_sigmoid"}""", keras3: false, version: "3.1.0")).Activation);
    }

    [Fact]
    public void Mixed_precision_reads_as_float32_and_quantized_layers_are_refused()
    {
        var input = Assert.IsType<InputLayer>(Read("InputLayer", """
            {"batch_shape": [null, 4], "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}, "name": "x"}
            """));
        Assert.Equal(DType.Float32, input.DType);
        Assert.IsType<Dense>(Read("Dense", """{"units": 2, "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}}""", keras3: false));
        var quantized = Assert.Throws<ModelFormatError>(() => Read("Dense", """
            {"units": 2, "dtype": {"module": "keras", "class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": "float32"}}}
            """));
        Assert.Contains("quantized", quantized.Message, StringComparison.Ordinal);
        Assert.Contains("Dense", quantized.Message, StringComparison.Ordinal);
        Assert.Throws<ModelFormatError>(() => Read("Dense", """{"units": 2, "quantization_config": {"class_name": "Int8QuantizationConfig", "config": {}}}"""));
        Assert.Throws<ModelFormatError>(() => Read("Dense", """{"units": 2, "dtype": {"class_name": "Nonsense"}}"""));
    }

    [Fact]
    public void A_serialized_tensor_reads_as_its_value()
    {
        var masking = Assert.IsType<Masking>(Read("Masking", $$$"""
            {"name": "masking", "trainable": true, "dtype": {{{Policy}}},
             "mask_value": {"class_name": "__tensor__", "config": {"value": [-1.5], "dtype": "float32"} } }
            """));
        Assert.Equal(-1.5, masking.MaskValue);
        Assert.Throws<ModelFormatError>(() => Read("Masking", """{"mask_value": {"class_name": "__tensor__", "config": {}}}"""));
    }

    [Fact]
    public void An_activation_object_reads_as_its_name()
    {
        var dense = Assert.IsType<Dense>(Read("Dense", """
            {"units": 2, "activation": {"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "function"}}
            """));
        Assert.Equal(ActivationFunction.Gelu, dense.Activation);
        var error = Assert.Throws<ModelFormatError>(() => Read("Dense", """
            {"units": 2, "activation": {"module": "keras.layers", "class_name": "ReLU", "config": {"max_value": 6.0}}}
            """));
        Assert.Contains("activation", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keras_3_wrappers_read_their_nested_entries()
    {
        var inner = $$$"""
            {"module": "keras.layers", "class_name": "GRU", "registered_name": null,
             "config": {"name": "gru", "trainable": true, "dtype": {{{Policy}}}, "units": 4, "activation": "tanh", "recurrent_activation": "hard_sigmoid",
                        "reset_after": true, "return_sequences": true, "seed": null, "zero_output_for_mask": true}}
            """;
        var bi = Assert.IsType<Bidirectional>(Read("Bidirectional", $$$"""{"name": "bi", "dtype": {{{Policy}}}, "merge_mode": "sum", "layer": {{{inner}}}}"""));
        Assert.Equal(ActivationFunction.HardSigmoidKeras3, bi.Layer.RecurrentActivation);
        Assert.Equal("sum", bi.MergeMode);
        var td = Assert.IsType<TimeDistributed>(Read("TimeDistributed", $$$"""
            {"name": "td", "dtype": {{{Policy}}}, "layer": {"module": "keras.layers", "class_name": "Dense", "registered_name": null,
             "config": {"name": "d", "dtype": {{{Policy}}}, "units": 6, "activation": "hard_sigmoid",
                        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null} } } }
            """));
        Assert.Equal(KerasDialect.Keras3Layer(td, Registry).ToJsonString(), KerasDialect.Keras3Layer(ThroughKeras3(td), Registry).ToJsonString());
    }

    [Fact]
    public void GRU_reset_after_defaults_by_version()
    {
        const string gru = """{"units": 2}""";
        Assert.False(Assert.IsType<GRU>(Read("GRU", gru, keras3: false, version: "2.1.3")).ResetAfter);
        Assert.False(Assert.IsType<GRU>(Read("GRU", gru, keras3: false, version: "2.2.4-tf")).ResetAfter);
        Assert.True(Assert.IsType<GRU>(Read("GRU", gru, keras3: false, version: "2.3.1")).ResetAfter);
        Assert.True(Assert.IsType<GRU>(Read("GRU", gru, keras3: false, version: "2.10.0")).ResetAfter);
        Assert.True(Assert.IsType<GRU>(Read("GRU", gru, keras3: false)).ResetAfter);
        Assert.True(Assert.IsType<GRU>(Read("GRU", """{"units": 2, "reset_after": true}""", keras3: false, version: "2.1.3")).ResetAfter);
    }

    [Fact]
    public void Keras_3_input_layer_reads_and_ragged_or_optional_inputs_are_refused()
    {
        var input = Assert.IsType<InputLayer>(Read("InputLayer", """{"batch_shape": [2, 3, 2], "dtype": "int32", "sparse": false, "ragged": false, "name": "x", "optional": false}"""));
        Assert.Equal(Shape.Of([2, 3, 2]), input.BatchShape);
        Assert.Equal(DType.Int32, input.DType);
        foreach (var flag in new[] { "ragged", "optional" })
        {
            var error = Assert.Throws<ModelFormatError>(() => Read("InputLayer", $$$"""{"batch_shape": [null, 3], "name": "x", "{{{flag}}}": true}"""));
            Assert.Contains(flag, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_Keras_1_config_is_refused_by_name_and_version()
    {
        var error = Assert.Throws<UnsupportedLayerError>(() => KerasDialect.ReadLayerConfig("Dense", JsonNode.Parse("""{"name": "d1", "output_dim": 3}""")!.AsObject(), "layer", false, "1.2.2"));
        Assert.Equal("d1", error.LayerName);
        Assert.Equal("Dense", error.ClassName);
        Assert.Equal("1.2.2", error.KerasVersion);
    }

    [Fact]
    public void Nesting_bombs_are_refused()
    {
        JsonObject layer = new() { ["class_name"] = "Dense", ["config"] = new JsonObject { ["units"] = 1 } };
        for (int i = 0; i < 100; i++) layer = new JsonObject { ["class_name"] = "TimeDistributed", ["config"] = new JsonObject { ["layer"] = layer } };
        Assert.Throws<ModelFormatError>(() => KerasDialect.ReadLayerConfig("TimeDistributed", layer["config"]!.AsObject(), "layer", true));
    }

    // ---- the real files of keras-files ------------------------------------------------------------------------------

    /// <summary>The Keras 3.8 <c>.keras</c> file: its layers read, and DeepGraph's Keras 3 entries use only the keys Keras 3.8 wrote.</summary>
    [Fact]
    public void The_Keras_3_file_reads_and_its_keys_cover_what_DeepGraph_writes()
    {
        var path = Directory.EnumerateFiles(Fixtures.KerasFiles, "*.keras", SearchOption.AllDirectories).Single();
        using var zip = ZipFile.OpenRead(path);
        using var stream = zip.GetEntry("config.json")!.Open();
        var model = JsonNode.Parse(stream)!;
        var layers = model["config"]!["layers"]!.AsArray();
        Assert.Equal(3, layers.Count);
        foreach (var entry in layers)
        {
            var className = (string)entry!["class_name"]!;
            var config = entry["config"]!.AsObject();
            var where = $"config.json: layer ({className})";
            var read = Registry.Read(className, LayerConfig.Of(KerasDialect.ReadLayerConfig(className, config, where, true, "3.8.0"), where), new LayerId(1), (string)config["name"]!);
            var written = KerasDialect.Keras3Layer(read, Registry);
            Assert.Equal((string?)entry["module"], (string?)written["module"]);
            var extra = written["config"]!.AsObject().Select(p => p.Key).Except(config.Select(p => p.Key)).ToList();
            Assert.True(extra.Count == 0, $"{className}: DeepGraph writes keys Keras 3.8 did not: {string.Join(", ", extra)}");
            if (read is Masking masking) Assert.Equal(0.0, masking.MaskValue);
            if (read is LSTM lstm) Assert.Equal(1, lstm.Units);
        }
    }

    /// <summary>The layer entries of a Keras model config, nested models and wrappers' layers included.</summary>
    private static IEnumerable<(string ClassName, JsonObject Config)> LayerEntries(JsonNode model)
    {
        var className = (string)model["class_name"]!;
        var config = model["config"];
        if (className is "Sequential" or "Model" or "Functional")
        {
            var layers = config is JsonArray list ? list : config!["layers"]!.AsArray();
            foreach (var layer in layers)
                foreach (var entry in LayerEntries(layer!))
                    yield return entry;
            yield break;
        }
        yield return (className, config!.AsObject());
    }

    /// <summary>Every legacy .h5 of keras-files, with its Keras version.</summary>
    private static IEnumerable<string> H5Files => [.. Directory.EnumerateFiles(Fixtures.KerasFiles, "*.h5", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Fixtures.KerasFiles, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    private static string? StringAttribute(IH5Object file, string name) =>
        file.AttributeExists(name) ? file.Attribute(name).Read<string>() : null;

    [Fact]
    public void Every_layer_config_of_the_legacy_h5_files_reads_and_round_trips_through_Keras_3()
    {
        int files = 0, layers = 0;
        var classes = new SortedSet<string>(StringComparer.Ordinal);
        var failures = new List<string>();
        var channelsFirst = new List<string>();
        foreach (var relative in H5Files)
        {
            using var file = H5File.OpenRead(Path.Combine(Fixtures.KerasFiles, relative));
            var version = StringAttribute(file, "keras_version");
            var model = JsonNode.Parse(StringAttribute(file, "model_config") ?? throw new InvalidDataException($"{relative}: no model_config"))!;
            files++;
            foreach (var (className, config) in LayerEntries(model))
            {
                var where = $"{relative}: layer \"{config["name"]}\" ({className})";
                try
                {
                    var read = Registry.Read(className, LayerConfig.Of(KerasDialect.ReadLayerConfig(className, config, where, false, version), where),
                        new LayerId(1), (string)config["name"]!);
                    var back = ThroughKeras3(read);
                    if (back != Keepable(read)) failures.Add($"{where}: {read} came back from Keras 3's form as {back}");
                    classes.Add(className);
                    layers++;
                    if (read is Conv1D { ChannelsFirst: true }) channelsFirst.Add(relative);
                }
                catch (ModelFormatError e)
                {
                    failures.Add(e.Message);
                }
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} layer configs failed:\n{string.Join("\n", failures.Take(30))}");
        Assert.True(files >= 250, $"only {files} .h5 files found");
        // The channels-first Conv1D layers are those of the 16 files the keras-files name channels-first ("_cf_").
        Assert.Equal(H5Files.Where(f => f.Contains("_cf_", StringComparison.Ordinal)), channelsFirst);
        Assert.Equal(16, channelsFirst.Count);
        Assert.True(layers > 1000, $"only {layers} layers read");
        foreach (var expected in new[] { "Dense", "Conv2D", "LSTM", "Bidirectional", "Embedding", "BatchNormalization", "SeparableConv2D", "InputLayer" })
            Assert.Contains(expected, classes);
    }
}
