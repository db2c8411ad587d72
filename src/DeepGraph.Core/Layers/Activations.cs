namespace DeepGraph.Core;

/// <summary>The activation functions a layer may name, under Keras's snake_case names.</summary>
public static class Activations
{
    /// <summary>Every accepted name, canonical spelling.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "linear", "relu", "relu6", "sigmoid", "tanh", "softmax", "elu", "selu", "softplus", "softsign",
        "swish", "silu", "gelu", "leaky_relu", "hard_sigmoid", "exponential",
    ];

    /// <summary>
    /// The canonical name for <paramref name="name"/>: accepts TensorFlow.js's camelCase
    /// (<c>hardSigmoid</c>, <c>leakyRelu</c>) and <c>null</c> / empty for linear.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "linear";
        var snake = string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
        if (!Names.Contains(snake))
            throw new ArgumentException($"Unknown activation function: '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
        return snake;
    }
}
