using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// One JSON object of a saved model, read with typed accessors: a Keras layer <c>config</c> (what a
/// <see cref="LayerKind"/> reads), or any other object of a model file. Every failure is a
/// <see cref="ModelFormatError"/> that says where the object sits (<see cref="Where"/>, e.g.
/// <c>layer "dense" (Dense)</c>), which key, what was expected and what the file holds. A JSON
/// <c>null</c> counts as absent, as Keras treats it. The static helpers build the values a writer puts
/// in a config (dimension lists, pairs, initializers), so a key read and the key written look alike.
/// </summary>
/// <example><code>
/// var c = LayerConfig.Of(JsonNode.Parse("""{"units": 3}"""), "layer \"dense\" (Dense)");
/// int units = c.Int("units");            // 3
/// bool bias = c.Bool("use_bias", true);  // true (absent)
/// </code></example>
public sealed class LayerConfig
{
    private LayerConfig(JsonObject obj, string where)
    {
        Object = obj;
        Where = where;
    }

    /// <summary>The object read.</summary>
    public JsonObject Object { get; }

    /// <summary>Where the object sits, for messages.</summary>
    public string Where { get; }

    /// <summary>The config in <paramref name="node"/>, which must be a JSON object; <paramref name="where"/> says where it sits in the file.</summary>
    /// <exception cref="ModelFormatError"><paramref name="node"/> is not a JSON object.</exception>
    public static LayerConfig Of(JsonNode? node, string where) =>
        node is JsonObject obj ? new LayerConfig(obj, where) : throw new ModelFormatError($"{where}: expected a JSON object; found {Text(node)}.");

    /// <summary>The value at <paramref name="key"/>, null when absent or JSON null.</summary>
    public JsonNode? this[string key] => Object.TryGetPropertyValue(key, out var v) ? v : null;

    /// <summary>True when <paramref name="key"/> holds a value other than null.</summary>
    public bool Has(string key) => this[key] is not null;

    /// <summary>An error about the value at <paramref name="key"/>: where, the key, what was <paramref name="expected"/> and what the file holds.</summary>
    public ModelFormatError Error(string key, string expected) =>
        new($"{Where}: `{key}` must be {expected}; found {Text(this[key])}.");

    /// <summary>A string value, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not a string.</exception>
    public string? OptionalString(string key, string? fallback = null)
    {
        var node = this[key];
        if (node is null) return fallback;
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Error(key, "a string");
    }

    /// <summary>A required string value.</summary>
    /// <exception cref="ModelFormatError">The value is absent or not a string.</exception>
    public string String(string key) => OptionalString(key) ?? throw Error(key, "a string");

    /// <summary>An integer value, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not an integer.</exception>
    public int? OptionalInt(string key, int? fallback = null)
    {
        var node = this[key];
        if (node is null) return fallback;
        return TryInt(node, out int i) ? i : throw Error(key, "an integer");
    }

    /// <summary>A required integer value.</summary>
    /// <exception cref="ModelFormatError">The value is absent or not an integer.</exception>
    public int Int(string key) => OptionalInt(key) ?? throw Error(key, "an integer");

    /// <summary>An integer value, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not an integer.</exception>
    public int Int(string key, int fallback) => OptionalInt(key, fallback)!.Value;

    /// <summary>A finite number, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not a finite number.</exception>
    public double Double(string key, double fallback) => OptionalDouble(key) ?? fallback;

    /// <summary>A finite number, or null when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not a finite number.</exception>
    public double? OptionalDouble(string key)
    {
        var node = this[key];
        if (node is null) return null;
        return node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : throw Error(key, "a finite number");
    }

    /// <summary>A required finite number.</summary>
    /// <exception cref="ModelFormatError">The value is absent or not a finite number.</exception>
    public double Double(string key) => OptionalDouble(key) ?? throw Error(key, "a finite number");

    /// <summary>A boolean, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not true or false.</exception>
    public bool Bool(string key, bool fallback)
    {
        var node = this[key];
        if (node is null) return fallback;
        return node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Error(key, "true or false");
    }

    /// <summary>A height and width written as one integer or a list of two (Keras's <c>kernel_size=3</c> or <c>[3, 3]</c>), or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is neither.</exception>
    public (int H, int W)? OptionalPair(string key, (int H, int W)? fallback = null)
    {
        var node = this[key];
        if (node is null) return fallback;
        if (TryInt(node, out int one)) return (one, one);
        if (node is JsonArray { Count: 2 } a && TryInt(a[0], out int h) && TryInt(a[1], out int w)) return (h, w);
        if (node is JsonArray { Count: 1 } b && TryInt(b[0], out int both)) return (both, both);
        throw Error(key, "an integer or a list of two integers");
    }

    /// <summary>A required height and width.</summary>
    /// <exception cref="ModelFormatError">The value is absent, or neither an integer nor a list of two.</exception>
    public (int H, int W) Pair(string key) => OptionalPair(key) ?? throw Error(key, "an integer or a list of two integers");

    /// <summary>A list of dimensions, each an integer or null (unknown), or null when absent.</summary>
    /// <exception cref="ModelFormatError">The value is not such a list.</exception>
    public int?[]? OptionalDims(string key)
    {
        var node = this[key];
        if (node is null) return null;
        return TryDims(node, out var dims) ? dims : throw Error(key, "a list of integers or nulls");
    }

    /// <summary>The list at <paramref name="key"/>.</summary>
    /// <exception cref="ModelFormatError">The value is absent or not a list.</exception>
    public JsonArray Array(string key) => this[key] as JsonArray ?? throw Error(key, "a list");

    /// <summary>The object at <paramref name="key"/> as a config of its own (a nested config, an initializer).</summary>
    /// <exception cref="ModelFormatError">The value is absent or not an object.</exception>
    public LayerConfig Child(string key) => this[key] is JsonObject o ? new LayerConfig(o, $"{Where}: `{key}`") : throw Error(key, "a JSON object");

    /// <summary>
    /// Refuses a layer whose <c>data_format</c> is channels-first: DeepGraph computes channels-last (NHWC)
    /// only, and a channels-first layer is refused rather than run wrongly.
    /// </summary>
    /// <exception cref="ModelFormatError"><c>data_format</c> is not channels-last.</exception>
    public void RequireChannelsLast()
    {
        if (OptionalString("data_format", "channels_last") is not ("channels_last" or "channelsLast"))
            throw Error("data_format", "\"channels_last\" (DeepGraph computes channels-last only)");
    }

    /// <summary>
    /// The input shape a layer config declares, batch included: <c>batch_input_shape</c> (Keras 2, TF.js),
    /// <c>batch_shape</c> (Keras 3) or <c>input_shape</c> (batch excluded); null when none. Any layer's config
    /// may declare it (the first layer of a Sequential model), not only an <c>InputLayer</c>'s.
    /// </summary>
    /// <exception cref="ModelFormatError">The shape is empty or has a negative dimension.</exception>
    public Shape? DeclaredInputShape()
    {
        if ((OptionalDims("batch_input_shape") ?? OptionalDims("batch_shape")) is { } batch)
            return batch.Length == 0 ? throw Error("batch_input_shape", "a non-empty list") : ShapeOf("batch_input_shape", batch);
        if (OptionalDims("input_shape") is { } shape) return ShapeOf("input_shape", [null, .. shape]);
        return null;
    }

    private Shape ShapeOf(string key, int?[] dims) =>
        System.Array.Exists(dims, d => d < 0) ? throw Error(key, "non-negative dimensions or null") : Shape.Of(dims);

    /// <summary>Reads an integer from a JSON number that holds one (also <c>3.0</c>).</summary>
    public static bool TryInt(JsonNode? node, out int value)
    {
        value = 0;
        if (node is not JsonValue v) return false;
        if (v.TryGetValue<int>(out value)) return true;
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }
        return false;
    }

    /// <summary>Reads a list of integers or nulls.</summary>
    public static bool TryDims(JsonNode? node, out int?[] dims)
    {
        dims = [];
        if (node is not JsonArray a) return false;
        var result = new int?[a.Count];
        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] is null) continue;
            if (!TryInt(a[i], out int d)) return false;
            result[i] = d;
        }
        dims = result;
        return true;
    }

    /// <summary>Compact JSON of a node for messages, cut short when long.</summary>
    public static string Text(JsonNode? node)
    {
        if (node is null) return "null";
        var s = node.ToJsonString();
        return s.Length <= 120 ? s : s[..117] + "...";
    }

    // ---- writing -------------------------------------------------------------------------

    /// <summary>The shape as a JSON list, unknown dimensions as null.</summary>
    public static JsonArray Dims(Shape shape) => new([.. shape.Select(d => (JsonNode?)d)]);

    /// <summary>Dimensions as a JSON list, null entries as JSON null.</summary>
    public static JsonArray Dims(IEnumerable<int?> dims) => new([.. dims.Select(d => (JsonNode?)d)]);

    /// <summary>A height and width as the list <c>[h, w]</c>.</summary>
    public static JsonArray Pair((int A, int B) pair) => new(pair.A, pair.B);

    /// <summary>An initializer without arguments, <c>{"class_name": …, "config": {}}</c>.</summary>
    public static JsonObject Initializer(string className) => new() { ["class_name"] = className, ["config"] = new JsonObject() };

    /// <summary>
    /// <paramref name="config"/> with the keys a Dense-like layer writes after its own, in TF.js's order: Keras's
    /// default initializers (Glorot-uniform kernel, zero bias) and no regularizers or constraints.
    /// </summary>
    public static JsonObject WithKernelAndBiasDefaults(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config["kernel_initializer"] = GlorotUniform();
        config["bias_initializer"] = Initializer("Zeros");
        foreach (var key in (string[])["kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"])
            config[key] = null;
        return config;
    }

    /// <summary>Keras's default kernel initializer, Glorot-uniform, as TF.js writes it (a VarianceScaling).</summary>
    public static JsonObject GlorotUniform() => new()
    {
        ["class_name"] = "VarianceScaling",
        ["config"] = new JsonObject { ["scale"] = 1, ["mode"] = "fan_avg", ["distribution"] = "uniform", ["seed"] = null },
    };
}
