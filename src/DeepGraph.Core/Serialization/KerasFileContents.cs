using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// What a Keras model file holds besides the model: which container it was, which Keras wrote it, and
/// the compile settings it saved (for the facade to compile the model again).
/// </summary>
/// <param name="Model">The model, every layer built with its weights.</param>
/// <param name="Format">The container: <c>keras</c> (Keras 3's zip), <c>h5</c> (the legacy HDF5 full model),
/// <c>json+h5</c> (Keras JSON and a weights-only HDF5), <c>tfjs</c> (TensorFlow.js).</param>
/// <param name="KerasVersion">The <c>keras_version</c> the file gives, or null.</param>
/// <param name="TrainingConfig">A legacy <c>.h5</c>'s root attribute <c>training_config</c> (Keras 2's schema: <c>optimizer_config</c>,
/// <c>loss</c>, <c>metrics</c>, <c>loss_weights</c>), or null.</param>
/// <param name="CompileConfig">A <c>.keras</c> file's <c>compile_config</c> (Keras 3's schema: <c>optimizer</c>, <c>loss</c>,
/// <c>metrics</c>, <c>loss_weights</c>), or null.</param>
/// <param name="OptimizerState">The optimizer's saved variables (a <c>.keras</c> file's <c>optimizer/vars</c>, a legacy <c>.h5</c>'s
/// <c>optimizer_weights</c>), described but not read, or null when the file holds none. A legacy <c>.h5</c>'s can be read only while
/// the stream it was read from is open.</param>
public sealed record KerasFileContents(Model Model, string Format, string? KerasVersion, JsonObject? TrainingConfig = null, JsonObject? CompileConfig = null,
    SavedOptimizerState? OptimizerState = null);
