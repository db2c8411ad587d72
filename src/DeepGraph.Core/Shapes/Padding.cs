namespace DeepGraph.Core;

/// <summary>
/// How a sliding window (convolution, pooling) treats the input's border: a closed set of two values,
/// <see cref="Valid"/> and <see cref="Same"/>. Keras's strings (<c>"valid"</c>, <c>"same"</c>) are mapped
/// only at the edges — config codecs and the facade's factories — by <see cref="Parse"/> and <see cref="KerasName"/>.
/// </summary>
/// <example><code>
/// var p = Padding.Parse("SAME");      // Padding.Same
/// Padding q = "valid";                // the implicit conversion parses too
/// string k = Padding.Same.KerasName;  // "same"
/// </code></example>
public sealed class Padding
{
    private Padding(string kerasName) => KerasName = kerasName;

    /// <summary>Windows lie inside the input: output length ⌊(n − k)/s⌋ + 1.</summary>
    public static Padding Valid { get; } = new("valid");

    /// <summary>Zeros around the input so that the output length is ⌈n/s⌉ (TensorFlow's rule: the extra cell goes after).</summary>
    public static Padding Same { get; } = new("same");

    /// <summary>Every value.</summary>
    public static IReadOnlyList<Padding> All { get; } = [Valid, Same];

    /// <summary>Keras's name: <c>valid</c> or <c>same</c>.</summary>
    public string KerasName { get; }

    /// <summary>The padding Keras names <paramref name="padding"/> (any case).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static Padding Parse(string padding)
    {
        ArgumentNullException.ThrowIfNull(padding);
        return padding.ToLowerInvariant() switch
        {
            "valid" => Valid,
            "same" => Same,
            _ => throw new ArgumentException($"The `padding` argument must be one of \"valid\", \"same\". Received: padding={padding}", nameof(padding)),
        };
    }

    /// <summary>Parses a Keras name (<see cref="Parse"/>), so that <c>padding: "same"</c> reads as it does in Keras.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static implicit operator Padding(string padding) => Parse(padding);

    /// <summary>Keras's name.</summary>
    public override string ToString() => KerasName;
}
