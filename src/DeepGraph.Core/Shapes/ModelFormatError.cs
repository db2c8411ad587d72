namespace DeepGraph;

/// <summary>
/// A saved model cannot be read: the JSON is corrupt or truncated, a layer class or
/// configuration value is unknown, a weight is missing, extra or of the wrong shape, or the
/// weight data is shorter or longer than its manifest says. The message names the part of the
/// file, the layer and the weight involved, with what was expected and what was found. A reader
/// that raises it returns nothing, so no half-built model escapes.
/// </summary>
public class ModelFormatError : Exception
{
    /// <summary>Creates the error.</summary>
    public ModelFormatError(string message) : base(message) { }

    /// <summary>Creates the error for a lower-level failure (a JSON parse error, a shape error while rebuilding the graph).</summary>
    public ModelFormatError(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// A saved model uses something DeepGraph does not have: a layer class that is neither built in nor
/// registered (a Keras <c>Lambda</c> holding Python code, a <c>TensorFlowOpLayer</c>, a custom class), or a
/// config of a Keras version it does not read (Keras 1). Nothing of the model is returned.
/// </summary>
public sealed class UnsupportedLayerError : ModelFormatError
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">The whole message, naming the layer, its class and the version.</param>
    /// <param name="layerName">The layer's name in the file.</param>
    /// <param name="className">The layer's class name in the file.</param>
    /// <param name="kerasVersion">The Keras version that wrote the file, when it says.</param>
    public UnsupportedLayerError(string message, string layerName, string className, string? kerasVersion) : base(message)
    {
        LayerName = layerName;
        ClassName = className;
        KerasVersion = kerasVersion;
    }

    /// <summary>The layer's name in the file.</summary>
    public string LayerName { get; }

    /// <summary>The layer's class name in the file.</summary>
    public string ClassName { get; }

    /// <summary>The Keras version that wrote the file (<c>keras_version</c>), or null when it does not say.</summary>
    public string? KerasVersion { get; }
}
