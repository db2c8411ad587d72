using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// Keras 3's <c>.keras</c> files: a zip of <c>config.json</c>, <c>metadata.json</c> and
/// <c>model.weights.h5</c> (also the tf.keras 2.13–2.15 dialect of it).
/// </summary>
public static class KerasArchive
{
    /// <summary>The model a <c>.keras</c> file holds.</summary>
    /// <param name="stream">The file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The file is not a Keras archive or cannot be read.</exception>
    public static KerasFileContents Read(Stream stream, LayerRegistry? registry = null) =>
        throw new NotImplementedException("issue 14: .keras reading");

    /// <summary>Writes <paramref name="model"/> as a Keras 3 <c>.keras</c> file to <paramref name="stream"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">Where the file goes, writable.</param>
    /// <param name="compileConfig">The model's <c>compile_config</c> (Keras 3's schema), or null for an uncompiled model.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">A layer has no Keras form.</exception>
    public static void Write(Model model, Stream stream, JsonObject? compileConfig = null, LayerRegistry? registry = null) =>
        throw new NotImplementedException("issue 14: .keras writing");
}
