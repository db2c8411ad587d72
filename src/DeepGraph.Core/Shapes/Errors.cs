namespace DeepGraph;

/// <summary>
/// A layer was called on tensors whose shapes it cannot take. Raised when the layer is
/// called on symbolic tensors (or when a model is run on real ones), never from inside a kernel.
/// The message names the layer and the shapes involved.
/// </summary>
public sealed class ShapeError : ArgumentException
{
    /// <summary>Creates the error for layer <paramref name="layerName"/>.</summary>
    public ShapeError(string layerName, string message) : base(message) => LayerName = layerName;

    /// <summary>The name of the layer that refused its input.</summary>
    public string LayerName { get; }
}

/// <summary>
/// A graph or model is malformed: a tensor from another graph, outputs that do not depend on
/// the inputs, duplicate layer names, or a non-linear model asked to become Sequential.
/// </summary>
public sealed class GraphError : ArgumentException
{
    /// <summary>Creates the error.</summary>
    public GraphError(string message) : base(message) { }
}
