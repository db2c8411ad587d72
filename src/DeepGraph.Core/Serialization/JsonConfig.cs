using System.Text.Json.Nodes;

namespace DeepGraph.Serialization;

/// <summary>
/// Typed reads of one JSON object of a saved model. Every failure is a <see cref="ModelFormatError"/>
/// that says where the object sits (<see cref="Where"/>, e.g. <c>layer "dense" (Dense)</c>), which key,
/// what was expected and what the file holds. A JSON <c>null</c> counts as absent, as Keras treats it.
/// </summary>
internal readonly struct JsonConfig
{
    private JsonConfig(JsonObject obj, string where)
    {
        Object = obj;
        Where = where;
    }

    /// <summary>The object read.</summary>
    public JsonObject Object { get; }

    /// <summary>Where the object sits, for messages.</summary>
    public string Where { get; }

    /// <summary>The config in <paramref name="node"/>, which must be a JSON object.</summary>
    public static JsonConfig Of(JsonNode? node, string where) =>
        node is JsonObject obj ? new JsonConfig(obj, where) : throw new ModelFormatError($"{where}: expected a JSON object; found {Text(node)}.");

    /// <summary>The value at <paramref name="key"/>, null when absent or JSON null.</summary>
    public JsonNode? this[string key] => Object.TryGetPropertyValue(key, out var v) ? v : null;

    /// <summary>True when <paramref name="key"/> holds a value other than null.</summary>
    public bool Has(string key) => this[key] is not null;

    /// <summary>An error about the value at <paramref name="key"/>.</summary>
    public ModelFormatError Error(string key, string expected) =>
        new($"{Where}: `{key}` must be {expected}; found {Text(this[key])}.");

    /// <summary>A string value, or <paramref name="fallback"/> when absent.</summary>
    public string? OptionalString(string key, string? fallback = null)
    {
        var node = this[key];
        if (node is null) return fallback;
        return node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Error(key, "a string");
    }

    /// <summary>A required string value.</summary>
    public string String(string key) => OptionalString(key) ?? throw Error(key, "a string");

    /// <summary>An integer value, or <paramref name="fallback"/> when absent.</summary>
    public int? OptionalInt(string key, int? fallback = null)
    {
        var node = this[key];
        if (node is null) return fallback;
        return TryInt(node, out int i) ? i : throw Error(key, "an integer");
    }

    /// <summary>A required integer value.</summary>
    public int Int(string key) => OptionalInt(key) ?? throw Error(key, "an integer");

    /// <summary>A number, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string key, double fallback)
    {
        var node = this[key];
        if (node is null) return fallback;
        return node is JsonValue v && v.TryGetValue<double>(out var d) && double.IsFinite(d) ? d : throw Error(key, "a finite number");
    }

    /// <summary>A boolean, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback)
    {
        var node = this[key];
        if (node is null) return fallback;
        return node is JsonValue v && v.TryGetValue<bool>(out var b) ? b : throw Error(key, "true or false");
    }

    /// <summary>A height and width written as one integer or a list of two (Keras's <c>kernel_size=3</c> or <c>[3, 3]</c>), or <paramref name="fallback"/> when absent.</summary>
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
    public (int H, int W) Pair(string key) => OptionalPair(key) ?? throw Error(key, "an integer or a list of two integers");

    /// <summary>A list of dimensions, each an integer or null (unknown), or null when absent.</summary>
    public int?[]? OptionalDims(string key)
    {
        var node = this[key];
        if (node is null) return null;
        return TryDims(node, out var dims) ? dims : throw Error(key, "a list of integers or nulls");
    }

    /// <summary>The list at <paramref name="key"/>.</summary>
    public JsonArray Array(string key) => this[key] as JsonArray ?? throw Error(key, "a list");

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
}
