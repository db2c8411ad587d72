using System.Globalization;

namespace DeepGraph.Core;

/// <summary>TensorFlow's spatial padding rules, shared by convolution and pooling, in arithmetic that cannot overflow.</summary>
public static class Padding2D
{
    /// <summary>
    /// The number of cells a window of <paramref name="kernel"/> taps <paramref name="dilation"/>
    /// apart spans, (k − 1)·dilation + 1, computed in 64 bits (it may exceed an <see cref="int"/>).
    /// </summary>
    public static long EffectiveSize(int kernel, int dilation) => (long)(kernel - 1) * dilation + 1;

    /// <summary>
    /// Output length along one axis of input length <paramref name="n"/> for a window of
    /// (effective) size <paramref name="k"/> and stride <paramref name="s"/>:
    /// valid ⌊(n − k)/s⌋ + 1 (at least 0), same ⌈n/s⌉; null when <paramref name="n"/> is unknown.
    /// Exact for every non-negative n and positive k and s (no intermediate overflows).
    /// </summary>
    public static int? OutputSize(int? n, long k, int s, Padding padding)
    {
        if (n is not int len) return null;
        if (s <= 0) throw new ArgumentOutOfRangeException(nameof(s), s, "The stride must be positive.");
        if (padding == Padding.Same) return len / s + (len % s == 0 ? 0 : 1);
        return len < k ? 0 : (int)((len - k) / s + 1);
    }

    /// <summary>TensorFlow's "same" padding before and after along one axis (the extra cell goes after), for an (effective) window <paramref name="k"/>.</summary>
    public static (long Before, long After) SamePadding(int n, long k, int s)
    {
        long outLen = OutputSize(n, k, s, Padding.Same)!.Value;
        long total = Math.Max(outLen == 0 ? 0 : (outLen - 1) * s + k - n, 0);
        return (total / 2, total - total / 2);
    }

    /// <summary>
    /// Why a window of <paramref name="kernel"/> taps, <paramref name="dilation"/> apart, cannot slide
    /// over an axis of length <paramref name="n"/> (null when it can): its span (k − 1)·dilation + 1
    /// must fit an <see cref="int"/> and, with the input, stay clear of the index range the kernels
    /// compute in (n + 2·span + dilation ≤ 2^31 − 1, so padding and tap offsets never overflow).
    /// <paramref name="axis"/> names the axis (height, width), <paramref name="arguments"/> the
    /// configuration that gives the window, for the message.
    /// </summary>
    public static string? WindowProblem(int? n, int kernel, int dilation, string axis, string arguments)
    {
        long span = EffectiveSize(kernel, kernel == 1 ? 1 : dilation);
        if (span > int.MaxValue)
            return string.Create(CultureInfo.InvariantCulture,
                $"has {arguments}: along the {axis} the window spans (k − 1)·dilation + 1 = {span} cells, more than a tensor axis can hold (2147483647).");
        if (n is int len && len + 2 * span + dilation > int.MaxValue)
            return string.Create(CultureInfo.InvariantCulture,
                $"has {arguments}: along the {axis} (input length {len}) the window spans {span} cells, too large to slide over the input (input length + 2·span + dilation must stay within 2147483647).");
        return null;
    }
}
