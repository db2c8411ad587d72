using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Config readers the sequence and reshaping layers share (Cropping1D/2D, ZeroPadding1D, UpSampling1D/2D,
/// MaxPooling1D, AveragePooling1D): Keras writes a 1-D size as an integer or a list of one (TF.js: <c>[2]</c>),
/// a pair of sides as an integer or a list of two, and a 2-D border as an integer, a pair or a pair of pairs.
/// </summary>
internal static class SequenceConfig
{
    /// <summary>An integer written as <c>n</c> or <c>[n]</c>; <paramref name="fallback"/> when absent or null.</summary>
    public static int? IntOrSingle(LayerConfig c, string key, int? fallback)
    {
        var node = c[key];
        if (node is null) return fallback;
        if (LayerConfig.TryInt(node, out int value)) return value;
        if (LayerConfig.TryDims(node, out var dims) && dims.Length == 1 && dims[0] is { } single) return single;
        throw c.Error(key, "an integer or a list of one integer");
    }

    /// <summary>Two sides written as <c>n</c> (both) or <c>[a, b]</c>; <paramref name="fallback"/> when absent.</summary>
    public static (int, int) Sides(LayerConfig c, string key, (int, int) fallback)
    {
        if (c[key] is null) return fallback;
        return c.OptionalPair(key) ?? throw c.Error(key, "an integer or a list of two integers");
    }

    /// <summary>
    /// A 2-D border written as <c>n</c> (every side), <c>[h, w]</c> (symmetric per axis) or <c>[[top, bottom], [left, right]]</c>;
    /// <paramref name="fallback"/> when absent.
    /// </summary>
    public static ((int, int), (int, int)) Border(LayerConfig c, string key, ((int, int), (int, int)) fallback)
    {
        var node = c[key];
        if (node is null) return fallback;
        if (node is JsonArray { Count: 2 } a && (a[0] is JsonArray || a[1] is JsonArray))
        {
            if (LayerConfig.TryDims(a[0], out var h) && LayerConfig.TryDims(a[1], out var w) && h.Length == 2 && w.Length == 2 &&
                h.All(d => d.HasValue) && w.All(d => d.HasValue))
                return ((h[0]!.Value, h[1]!.Value), (w[0]!.Value, w[1]!.Value));
            throw c.Error(key, "an integer, [height, width] or [[top, bottom], [left, right]]");
        }
        var (ph, pw) = c.OptionalPair(key) ?? throw c.Error(key, "an integer, [height, width] or [[top, bottom], [left, right]]");
        return ((ph, ph), (pw, pw));
    }

    /// <summary>A border as Keras writes it: [[top, bottom], [left, right]].</summary>
    public static JsonArray Border(((int, int) H, (int, int) W) border) => new(LayerConfig.Pair(border.H), LayerConfig.Pair(border.W));
}
