using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// Keras's legacy HDF5 files: the full model (<c>model.save("m.h5")</c>: the root attribute
/// <c>model_config</c>, weights under <c>model_weights</c>) and the weights-only file of
/// <c>save_weights</c> read with the JSON of <c>model.to_json()</c>.
/// </summary>
public static class KerasH5
{
    /// <summary>The model a legacy full-model <c>.h5</c> holds.</summary>
    /// <param name="stream">The file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The file is not a Keras model or cannot be read.</exception>
    public static KerasFileContents Read(Stream stream, LayerRegistry? registry = null) =>
        throw new NotImplementedException("issue 14: legacy .h5 reading");

    /// <summary>The model <paramref name="modelJson"/> (Keras's <c>model.to_json()</c>) describes, with the weights of a <c>save_weights</c> HDF5 file.</summary>
    /// <param name="modelJson">The JSON text.</param>
    /// <param name="weights">The weights file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The JSON or the weights cannot be read, or they do not match.</exception>
    public static KerasFileContents ReadJsonAndWeights(string modelJson, Stream weights, LayerRegistry? registry = null) =>
        throw new NotImplementedException("issue 14: Keras JSON + weights .h5 reading");

    /// <summary>Writes <paramref name="model"/> as a legacy full-model <c>.h5</c> to <paramref name="stream"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">Where the file goes, writable.</param>
    /// <param name="trainingConfig">The root attribute <c>training_config</c> to write (Keras 2's schema), or null for an uncompiled model.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">A layer has no Keras form.</exception>
    public static void Write(Model model, Stream stream, JsonObject? trainingConfig = null, LayerRegistry? registry = null) =>
        throw new NotImplementedException("issue 14: legacy .h5 writing");
}
