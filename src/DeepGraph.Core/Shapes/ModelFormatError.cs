namespace DeepGraph;

/// <summary>
/// A saved model cannot be read: the JSON is corrupt or truncated, a layer class or
/// configuration value is unknown, a weight is missing, extra or of the wrong shape, or the
/// weight data is shorter or longer than its manifest says. The message names the part of the
/// file, the layer and the weight involved, with what was expected and what was found. A reader
/// that raises it returns nothing, so no half-built model escapes.
/// </summary>
public sealed class ModelFormatError : Exception
{
    /// <summary>Creates the error.</summary>
    public ModelFormatError(string message) : base(message) { }

    /// <summary>Creates the error for a lower-level failure (a JSON parse error, a shape error while rebuilding the graph).</summary>
    public ModelFormatError(string message, Exception inner) : base(message, inner) { }
}
