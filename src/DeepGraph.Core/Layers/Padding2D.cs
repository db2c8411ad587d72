namespace DeepGraph.Core;

/// <summary>TensorFlow's spatial padding rules, shared by convolution and pooling.</summary>
public static class Padding2D
{
    /// <summary>The canonical padding name, <c>valid</c> or <c>same</c>.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static string Normalize(string padding)
    {
        var p = padding.ToLowerInvariant();
        return p is "valid" or "same" ? p : throw new ArgumentException($"The `padding` argument must be one of \"valid\", \"same\". Received: padding={padding}", nameof(padding));
    }

    /// <summary>
    /// Output length along one axis of input length <paramref name="n"/> for a window of
    /// (effective) size <paramref name="k"/> and stride <paramref name="s"/>:
    /// valid ⌊(n − k)/s⌋ + 1, same ⌈n/s⌉; null when <paramref name="n"/> is unknown.
    /// </summary>
    public static int? OutputSize(int? n, int k, int s, string padding) =>
        n is not int len ? null : padding == "same" ? (len + s - 1) / s : (len - k) / s + 1;

    /// <summary>TensorFlow's "same" padding before and after along one axis: the extra cell goes after.</summary>
    public static (int Before, int After) SamePadding(int n, int k, int s)
    {
        int outLen = (n + s - 1) / s;
        int total = Math.Max((outLen - 1) * s + k - n, 0);
        return (total / 2, total - total / 2);
    }
}
