using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

// Writing Keras 3's form. Keras 3's Layer.__init__ refuses any keyword it does not know (keras/src/layers/layer.py:
// "Unrecognized keyword arguments passed to …"), so a key of the TF.js / Keras 2 schema that Keras 3's __init__ lacks is
// dropped or renamed here; keys later Keras 3 versions added (`quantization_config`, InputLayer's `ragged`/`optional`)
// are not written, so that every Keras 3.x reads the file.
public static partial class KerasDialect
{
    /// <summary>Keys of the Keras 2 schema that Keras 3's constructors refuse, per class (all classes under "").</summary>
    private static readonly Dictionary<string, string[]> DroppedKeys = new(StringComparer.Ordinal)
    {
        // keras/src/layers/layer.py: Layer.__init__ pops only input_dim / input_shape.
        [""] = ["batch_input_shape", "batch_shape", "input_dtype"],
        // keras/src/layers/rnn/{lstm,gru,simple_rnn}.py: no time_major; implementation is popped, never written.
        ["LSTM"] = ["implementation", "time_major"],
        ["GRU"] = ["implementation", "time_major"],
        ["SimpleRNN"] = ["implementation", "time_major"],
        // keras/src/layers/regularization/spatial_dropout.py: __init__(rate, seed, name, dtype) — no trainable, no noise_shape.
        ["SpatialDropout1D"] = ["noise_shape", "trainable"],
        ["SpatialDropout2D"] = ["noise_shape", "trainable"],
        ["SpatialDropout3D"] = ["noise_shape", "trainable"],
        // keras/src/layers/convolutional/base_conv_transpose.py, base_depthwise_conv.py, base_separable_conv.py: no groups.
        ["Conv1DTranspose"] = ["groups"],
        ["Conv2DTranspose"] = ["groups"],
        ["DepthwiseConv1D"] = ["groups"],
        ["DepthwiseConv2D"] = ["groups"],
        ["SeparableConv1D"] = ["groups"],
        ["SeparableConv2D"] = ["groups"],
    };

    /// <summary>Keys renamed in Keras 3 (old → new), per class.</summary>
    private static readonly Dictionary<string, (string From, string To)[]> RenamedKeys = new(StringComparer.Ordinal)
    {
        // keras/src/layers/activations/leaky_relu.py: negative_slope (alpha is popped as deprecated).
        ["LeakyReLU"] = [("alpha", "negative_slope")],
    };

    /// <summary>
    /// The Keras 3 entry of <paramref name="layer"/> as <c>.keras</c> writes it: <c>module</c>, <c>class_name</c>,
    /// <c>config</c> (Keras 3's keys) and <c>registered_name</c>. Nested models are written by the container.
    /// </summary>
    /// <remarks>
    /// The config starts with Keras 3's base keys — <c>name</c>, <c>trainable</c>, <c>dtype</c> as a <c>DTypePolicy</c>
    /// object (keras/src/layers/layer.py, get_config) — then the codec's keys, with initializers as Keras 3 objects
    /// (<c>module: "keras.initializers"</c>, <c>registered_name: null</c>; TF.js's VarianceScaling(1, fan_avg, uniform) as
    /// <c>GlorotUniform</c>), activations by their Keras 3 names (Keras 2's hard sigmoid is <c>hard_sigmoid_keras2</c>, a
    /// name only DeepGraph reads: Keras 3 has no such function), keys Keras 3 refuses dropped. An InputLayer's config is
    /// <c>batch_shape</c>, <c>dtype</c> (a string), <c>sparse</c>, <c>name</c> (keras/src/layers/core/input_layer.py).
    /// A class that is not one of Keras's built-in layers is written as Keras writes a registered custom class:
    /// <c>module: null</c>, <c>registered_name: "Custom&gt;ClassName"</c> (<c>register_keras_serializable</c>'s default package).
    /// </remarks>
    /// <param name="layer">The layer.</param>
    /// <param name="registry">The layer classes written.</param>
    /// <exception cref="ModelFormatError">No kind of <paramref name="registry"/> describes the layer.</exception>
    public static JsonObject Keras3Layer(Layer layer, LayerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(registry);
        return Keras3Entry(layer.ClassName, registry.Write(layer), 0);
    }

    /// <summary>True for a class name of Keras's own layers (module <c>keras.layers</c>).</summary>
    private static bool IsBuiltIn(string className) => LayerRegistry.Default.Find(className) is not null || className == "Lambda";

    private static JsonObject Keras3Entry(string className, JsonObject config, int depth)
    {
        bool builtIn = IsBuiltIn(className);
        return new JsonObject
        {
            ["module"] = builtIn ? "keras.layers" : null,
            ["class_name"] = className,
            ["config"] = Keras3Config(className, config, depth),
            ["registered_name"] = builtIn ? null : "Custom>" + className,
        };
    }

    /// <summary>A codec's config (Keras 2 / TF.js keys) in Keras 3's form.</summary>
    private static JsonObject Keras3Config(string className, JsonObject written, int depth)
    {
        if (depth > MaxDepth) throw new ModelFormatError($"Layer class {className}: layers nested deeper than {MaxDepth} levels.");
        if (className == "InputLayer")
        {
            return new JsonObject
            {
                ["batch_shape"] = (written["batch_input_shape"] ?? written["batch_shape"])?.DeepClone(),
                ["dtype"] = written["dtype"] is JsonValue d ? d.DeepClone() : "float32",
                ["sparse"] = written["sparse"]?.DeepClone() ?? false,
                ["name"] = written["name"]?.DeepClone(),
            };
        }
        var dropped = DroppedKeys[""].Concat(DroppedKeys.GetValueOrDefault(className) ?? []).ToHashSet(StringComparer.Ordinal);
        var renamed = (RenamedKeys.GetValueOrDefault(className) ?? []).ToDictionary(r => r.From, r => r.To, StringComparer.Ordinal);
        var config = new JsonObject();
        foreach (var key in (string[])["name", "trainable"])
            if (written.ContainsKey(key) && !dropped.Contains(key)) config[key] = written[key]?.DeepClone();
        config["dtype"] = DTypePolicy(written["dtype"] is JsonValue dv && dv.TryGetValue<string>(out var dtype) ? dtype : "float32");
        foreach (var (key, value) in written)
        {
            if (key is "name" or "trainable" or "dtype" || dropped.Contains(key)) continue;
            // Keras 2's Attention had `causal`; Keras 3 takes use_causal_mask at call time. Kept only when true (DeepGraph's meaning).
            if (key == "causal" && value is JsonValue cv && cv.TryGetValue<bool>(out var causal) && !causal) continue;
            // keras/src/layers/core/embedding.py pops input_length (deprecated, with a warning): written only when set.
            if (key == "input_length" && value is null) continue;
            config[renamed.GetValueOrDefault(key, key)] = Keras3Value(key, value, depth);
        }
        return config;
    }

    private static JsonNode? Keras3Value(string key, JsonNode? value, int depth)
    {
        switch (value)
        {
            case JsonValue v when ActivationKeys.Contains(key) && v.TryGetValue<string>(out var name):
                return ActivationFunction.Parse(name).KerasNameIn(keras3: true);
            case JsonObject o when key is "layer" or "backward_layer" && o["class_name"] is JsonValue cn && cn.TryGetValue<string>(out var inner) && o["config"] is JsonObject innerConfig:
                return Keras3Entry(inner, innerConfig, depth + 1);
            case JsonObject o when o.ContainsKey("class_name"):
                return Keras3Object(key, o);
            default:
                return value?.DeepClone();
        }
    }

    /// <summary>An initializer (regularizer, constraint) as Keras 3 serializes it.</summary>
    private static JsonObject Keras3Object(string key, JsonObject o)
    {
        var className = o["class_name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        var config = o["config"] as JsonObject ?? [];
        if (className == "VarianceScaling" && Number(config["scale"]) == 1 && Text(config["mode"]) == "fan_avg" && Text(config["distribution"]) == "uniform")
        {
            className = "GlorotUniform";
            config = new JsonObject { ["seed"] = config["seed"]?.DeepClone() };
        }
        string module = key.EndsWith("_regularizer", StringComparison.Ordinal) ? "keras.regularizers"
            : key.EndsWith("_constraint", StringComparison.Ordinal) ? "keras.constraints"
            : "keras.initializers";
        return new JsonObject
        {
            ["module"] = module,
            ["class_name"] = className,
            ["config"] = config.DeepClone(),
            ["registered_name"] = null,
        };
    }

    private static double? Number(JsonNode? node) =>
        node is JsonValue && double.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : null;

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Keras 3's dtype policy object (keras/src/dtype_policies/dtype_policy.py, serialized by serialization_lib).</summary>
    private static JsonObject DTypePolicy(string name) => new()
    {
        ["module"] = "keras",
        ["class_name"] = "DTypePolicy",
        ["config"] = new JsonObject { ["name"] = name },
        ["registered_name"] = null,
    };
}
