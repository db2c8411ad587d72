namespace DeepGraph.Core;

/// <summary>Keras's activation names, for the edges that speak strings (the closed type is <see cref="ActivationFunction"/>).</summary>
public static class Activations
{
    /// <summary>Every accepted name, canonical spelling.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ActivationFunction.All.Select(f => f.KerasName)];

    /// <summary>
    /// The canonical name for <paramref name="name"/>: accepts TensorFlow.js's camelCase
    /// (<c>hardSigmoid</c>, <c>leakyRelu</c>) and <c>null</c> / empty for linear.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static string Normalize(string? name) => ActivationFunction.Parse(name).KerasName;
}
