using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// The dialects of Keras's layer configs — Keras 2 (and TF.js), tf.keras 2.x and Keras 3 — brought to
/// the one form the registry's codecs read, and Keras 3's form written from a layer.
/// </summary>
/// <remarks>
/// Reading (<see cref="ReadLayerConfig"/>) rewrites a copy of the config:
/// <list type="bullet">
/// <item>a dtype policy object (Keras 3's <c>DTypePolicy</c>, tf.keras's <c>Policy</c>) becomes its name; a float or
/// mixed-precision policy (<c>mixed_float16</c>, <c>float16</c>, <c>bfloat16</c>, <c>float64</c>) reads as <c>float32</c>,
/// since DeepGraph computes in float32 (never less precise than the file's compute dtype); a quantized policy
/// (<c>int8_from_float32</c>, …) or a non-null <c>quantization_config</c> is refused: its weights are not floats;</item>
/// <item>initializer, regularizer and constraint objects lose Keras 3's <c>module</c>, <c>registered_name</c> and
/// <c>shared_object_id</c> (Keras 3's class <c>OrthogonalInitializer</c> reads as <c>Orthogonal</c>);</item>
/// <item>a <c>__tensor__</c> or <c>__numpy__</c> value (Keras 3.8's Masking <c>mask_value</c>) becomes its value, a
/// one-element list as the number;</item>
/// <item>an activation written as an object (<c>{"class_name": "function", "config": "relu"}</c>) becomes its name; in a
/// Keras 3 config <c>hard_sigmoid</c> becomes <c>hard_sigmoid_keras3</c> (relu6(x + 3)/6), the name the codecs read in
/// both schemas;</item>
/// <item>a wrapper's <c>layer</c> / <c>backward_layer</c> is read the same way, recursively;</item>
/// <item>GRU without <c>reset_after</c> in a file of Keras before 2.3 reads as <c>reset_after: false</c> (that Keras's default);</item>
/// <item>an InputLayer with <c>ragged</c> or <c>optional</c> true is refused (DeepGraph's inputs are dense and required);
/// <c>sparse: true</c> reads as a dense input, as Keras densifies what it is given;</item>
/// <item>a Keras 1 config (version 1.x) is refused with <see cref="UnsupportedLayerError"/>.</item>
/// </list>
/// Keys the codecs do not know (<c>lora_rank</c>, <c>seed</c>, <c>time_major</c> false, <c>implementation</c>,
/// <c>fused</c>, <c>zero_output_for_mask</c> …) are left in place: codecs read the keys they need and ignore the rest.
/// </remarks>
public static partial class KerasDialect
{
    /// <summary>Nesting deeper than this (wrappers in wrappers) is refused.</summary>
    private const int MaxDepth = 16;

    private static readonly string[] ActivationKeys = ["activation", "recurrent_activation"];

    /// <summary>
    /// The config of a layer of class <paramref name="className"/> as the registry's codecs read it: Keras 3's
    /// dtype policies, initializer objects and the like brought to Keras 2's form (see the remarks of
    /// <see cref="KerasDialect"/>). <paramref name="config"/> is not changed.
    /// </summary>
    /// <param name="className">The layer's class name.</param>
    /// <param name="config">The layer's config as the file gives it.</param>
    /// <param name="where">Where the config sits, for messages.</param>
    /// <param name="keras3">True for a config written by Keras 3 (there <c>hard_sigmoid</c> is relu6(x + 3)/6); a known
    /// <paramref name="kerasVersion"/> takes precedence (a tf.keras 2.15 <c>.keras</c> file has Keras 2's activations).</param>
    /// <param name="kerasVersion">The Keras version that wrote the file (<c>2.1.3</c>, <c>2.2.4-tf</c>), or null when unknown.</param>
    /// <exception cref="ModelFormatError">The config uses what DeepGraph cannot read (a quantized layer, a ragged input …).</exception>
    /// <exception cref="UnsupportedLayerError">The file was written by Keras 1.</exception>
    public static JsonObject ReadLayerConfig(string className, JsonObject config, string where, bool keras3 = false, string? kerasVersion = null)
    {
        ArgumentNullException.ThrowIfNull(className);
        ArgumentNullException.ThrowIfNull(config);
        where ??= $"layer ({className})";
        var version = Version(kerasVersion);
        if (version is { Major: < 2 })
        {
            var name = config["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : "?";
            throw new UnsupportedLayerError(
                $"{where}: the file was written by Keras {kerasVersion}, whose layer configs (Keras 1) DeepGraph does not read. Load it in Keras 2 and save it again.",
                name, className, kerasVersion);
        }
        // The version, when known, decides what `hard_sigmoid` means: tf.keras 2.13–2.15 wrote `.keras` files in Keras 3's
        // container layout with Keras 2's activations.
        if (version is { } known) keras3 = known.Major >= 3;
        var copy = (JsonObject)config.DeepClone();
        Normalize(className, copy, where, keras3, version, 0);
        return copy;
    }

    private static void Normalize(string className, JsonObject c, string where, bool keras3, (int Major, int Minor)? version, int depth)
    {
        if (depth > MaxDepth) throw new ModelFormatError($"{where}: layers nested deeper than {MaxDepth} levels.");
        foreach (var (key, value) in c.ToList())
        {
            switch (value)
            {
                case JsonObject o when IsTensor(o):
                    c[key] = TensorValue(o, $"{where}: `{key}`");
                    break;
                case JsonObject o when key == "dtype":
                    c[key] = PolicyName(o, $"{where}: `dtype`");
                    break;
                case JsonObject o when ActivationKeys.Contains(key):
                    c[key] = ActivationName(o, $"{where}: `{key}`", keras3);
                    break;
                case JsonObject o when key is "layer" or "backward_layer" && o["class_name"] is JsonValue cn && cn.TryGetValue<string>(out var inner) && o["config"] is JsonObject innerConfig:
                    Normalize(inner, innerConfig, $"{where}: `{key}` ({inner})", keras3, version, depth + 1);
                    c[key] = new JsonObject { ["class_name"] = inner, ["config"] = innerConfig.DeepClone() };
                    break;
                case JsonObject o when o.ContainsKey("class_name"):
                    SerializedObject(o, depth);
                    break;
                case JsonValue v when keras3 && ActivationKeys.Contains(key) && v.TryGetValue<string>(out var act) && act == "hard_sigmoid":
                    c[key] = "hard_sigmoid_keras3";
                    break;
            }
        }
        if (c["quantization_config"] is { } q)
            throw new ModelFormatError($"{where}: `quantization_config` is {LayerConfig.Text(q)}: quantized layers are not read (their weights are not float32).");
        if (className == "GRU" && !c.ContainsKey("reset_after") && version is { } v2 && (v2.Major, v2.Minor).CompareTo((2, 3)) < 0)
            c["reset_after"] = false;
        if (className == "InputLayer")
            foreach (var flag in (string[])["ragged", "optional"])
                if (c[flag] is JsonValue f && f.TryGetValue<bool>(out var on) && on)
                    throw new ModelFormatError($"{where}: `{flag}` is true; DeepGraph's inputs are dense tensors that every call gives (`{flag}` must be false).");
    }

    /// <summary>An initializer, regularizer or constraint object without Keras 3's bookkeeping keys.</summary>
    private static void SerializedObject(JsonObject o, int depth)
    {
        if (depth > MaxDepth) return;
        o.Remove("module");
        o.Remove("registered_name");
        o.Remove("shared_object_id");
        if (o["class_name"] is JsonValue v && v.TryGetValue<string>(out var name) && name == "OrthogonalInitializer") o["class_name"] = "Orthogonal";
        if (o["config"] is JsonObject config)
            foreach (var (key, value) in config.ToList())
                if (value is JsonObject inner)
                {
                    if (IsTensor(inner)) config[key] = TensorValue(inner, key);
                    else if (key == "dtype") config[key] = PolicyName(inner, key);
                    else if (inner.ContainsKey("class_name")) SerializedObject(inner, depth + 1);
                }
    }

    private static bool IsTensor(JsonObject o) =>
        o["class_name"] is JsonValue v && v.TryGetValue<string>(out var s) && s is "__tensor__" or "__numpy__";

    /// <summary>The value of a serialized tensor: a number when it holds one element, else its (nested) list.</summary>
    private static JsonNode? TensorValue(JsonObject o, string where)
    {
        if (o["config"] is not JsonObject config || !config.ContainsKey("value"))
            throw new ModelFormatError($"{where}: a serialized tensor without `config.value`: {LayerConfig.Text(o)}.");
        var value = config["value"];
        for (int i = 0; i < MaxDepth && value is JsonArray { Count: 1 } one; i++) value = one[0];
        return value?.DeepClone();
    }

    /// <summary>The dtype a dtype-policy object names (<c>float32</c> for float and mixed policies).</summary>
    private static string PolicyName(JsonObject o, string where)
    {
        var className = o["class_name"] is JsonValue cv && cv.TryGetValue<string>(out var cn) ? cn : "";
        var name = o["config"] is JsonObject config && config["name"] is JsonValue nv && nv.TryGetValue<string>(out var n) ? n : null;
        if (className.Contains("Quantized", StringComparison.Ordinal) || name is not null && name.Contains("_from_", StringComparison.Ordinal))
            throw new ModelFormatError($"{where}: the dtype policy {LayerConfig.Text(o)} is quantized; quantized layers are not read (their weights are not float32).");
        if (!className.EndsWith("Policy", StringComparison.Ordinal) && !className.EndsWith("PolicyV1", StringComparison.Ordinal) || name is null)
            throw new ModelFormatError($"{where}: expected a dtype name or a dtype policy ({{\"class_name\": \"DTypePolicy\", \"config\": {{\"name\": \"float32\"}}}}); found {LayerConfig.Text(o)}.");
        return name is "mixed_float16" or "mixed_bfloat16" or "float16" or "bfloat16" or "float64" or "_infer" ? "float32" : name;
    }

    /// <summary>The name of an activation written as an object (Keras's serialized function).</summary>
    private static JsonNode ActivationName(JsonObject o, string where, bool keras3)
    {
        if (o["config"] is JsonValue v && v.TryGetValue<string>(out var name))
            return keras3 && name == "hard_sigmoid" ? "hard_sigmoid_keras3" : name;
        if (o["class_name"] is JsonValue cv && cv.TryGetValue<string>(out var className) && className != "function"
            && (o["config"] is null || o["config"] is JsonObject { Count: 0 }) && o["module"] is null or JsonValue)
        {
            try
            {
                return ActivationFunction.Parse(className, keras3).KerasName;
            }
            catch (ArgumentException)
            {
                // falls through to the error below
            }
        }
        throw new ModelFormatError($"{where}: expected an activation's name; found {LayerConfig.Text(o)} (a custom or layer-valued activation is not read).");
    }

    /// <summary>The major and minor numbers of a version string (<c>2.2.4-tf</c> → (2, 2)), or null.</summary>
    private static (int Major, int Minor)? Version(string? version)
    {
        if (string.IsNullOrEmpty(version)) return null;
        var parts = version.Split('.');
        static int? Leading(string s)
        {
            int end = 0;
            while (end < s.Length && end < 6 && char.IsAsciiDigit(s[end])) end++;
            return end == 0 ? null : int.Parse(s.AsSpan(0, end), System.Globalization.CultureInfo.InvariantCulture);
        }
        if (Leading(parts[0]) is not { } major) return null;
        return (major, parts.Length > 1 ? Leading(parts[1]) ?? 0 : 0);
    }
}
