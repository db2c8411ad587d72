using System.Text.Json;
using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// The TensorFlow.js layers-model format (<c>model.json</c> + binary weight files), read and written
/// as pure functions: Core does no I/O, the caller hands over the JSON text and a function that
/// gives the bytes of each weight file the manifest names.
/// </summary>
/// <remarks>
/// <para>Reading accepts every form in the wild: <c>class_name</c> <c>Sequential</c> (layers in
/// <c>config.layers</c> or a bare list; the input from an <c>InputLayer</c> entry, from
/// <c>batch_input_shape</c> on the first layer, or from a nested model first), <c>Model</c> and
/// <c>Functional</c> (Keras 2 <c>inbound_nodes</c> of <c>[name, node, tensor, kwargs]</c> or
/// <c>[name, node, tensor]</c>, a bare reference for a single input, and Keras 3
/// <c>{"args": [__keras_tensor__ …]}</c> nodes), shared layers, nested models (whose calls are nodes
/// 1, 2, … because node 0 is their own), a <c>modelTopology</c> wrapped in <c>model_config</c>, and a
/// bare Keras topology without weights. The graph is rebuilt as Keras rebuilds it: every layer is
/// created, then the recorded calls are replayed until none is left; calls that never resolve are
/// listed in the error. Layer ids are 1, 2, … in file order (a model before its layers, an input
/// made from a Sequential's first layer after them), so reading the same text twice gives equal models.</para>
/// <para>Writing emits one form, what TensorFlow.js 4.x writes: compact JSON, the Keras 2 schema,
/// <c>class_name</c> <c>Sequential</c> or <c>Model</c>, per-model node indices, and the weights in
/// TF.js's order (every trainable weight layer by layer, descending into nested models, then the
/// non-trainable ones) in one file.</para>
/// </remarks>
/// <example><code>
/// var model = TfjsModel.Read(File.ReadAllText("model.json"), p => File.ReadAllBytes(Path.Combine(dir, p)));
/// var (json, weights) = TfjsModel.Write(model, "model.weights.bin");
/// </code></example>
public static class TfjsModel
{
    /// <summary>What <see cref="Write(Model, string, LayerRegistry)"/> puts in <c>keras_version</c> and <c>backend</c>: the schema it follows is TF.js 4.22's.</summary>
    public const string KerasVersion = "tfjs-layers 4.22.0";

    /// <summary>The <c>backend</c> field written.</summary>
    public const string Backend = "tensor_flow.js";

    /// <summary>
    /// The model <paramref name="modelJson"/> describes, every layer built with its weights.
    /// </summary>
    /// <param name="modelJson">The text of <c>model.json</c>.</param>
    /// <param name="readWeightFile">The bytes of a file named in <c>weightsManifest[*].paths</c> (a path relative to the JSON file);
    /// called at most once per file, before any weight is allocated.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>; add a user's classes with <see cref="LayerRegistry.With(LayerKind)"/>).</param>
    /// <exception cref="ModelFormatError">The JSON is corrupt or truncated, a layer class or value is unknown, a weight is missing,
    /// extra or of the wrong shape, a weight file is shorter or longer than the manifest, or the graph cannot be rebuilt.</exception>
    public static Model Read(string modelJson, Func<string, byte[]> readWeightFile, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(readWeightFile);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        return ReadStreams(modelJson, path =>
        {
            if (!files.TryGetValue(path, out var bytes))
                files[path] = bytes = readWeightFile(path) ?? throw new ModelFormatError($"weightsManifest: weight file \"{path}\" gave no data.");
            return new MemoryStream(bytes, writable: false);
        }, registry);
    }

    /// <summary>
    /// The model <paramref name="modelJson"/> describes, every layer built with its weights, the weight
    /// files read as streams. A file is untrusted: the manifest is checked first, then each file's
    /// length (when its stream can seek) against the manifest, then the graph is rebuilt and every
    /// weight matched to a layer, and only then are the files read, straight into the model's weights.
    /// Nothing larger than the model's own weights is allocated, and nothing half-loaded is returned.
    /// </summary>
    /// <param name="modelJson">The text of <c>model.json</c>.</param>
    /// <param name="openWeightFile">Opens a file named in <c>weightsManifest[*].paths</c> (a path relative to the JSON file)
    /// for reading; called twice per file (once for its length, once for its data); the reader disposes the streams.</param>
    /// <exception cref="ModelFormatError">The JSON is corrupt or truncated, a layer class or value is unknown, a weight is missing,
    /// extra or of the wrong shape, a weight file cannot be opened or is shorter or longer than the manifest, or the graph cannot be rebuilt.</exception>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>; add a user's classes with <see cref="LayerRegistry.With(LayerKind)"/>).</param>
    /// <exception cref="InsufficientMemoryException">The model's weights, which the files do hold, do not fit in memory.</exception>
    public static Model ReadStreams(string modelJson, Func<string, Stream> openWeightFile, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(modelJson);
        ArgumentNullException.ThrowIfNull(openWeightFile);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(modelJson);
        }
        catch (JsonException e)
        {
            throw new ModelFormatError($"model.json is not valid JSON (corrupt or truncated): {e.Message}", e);
        }

        try
        {
            var file = LayerConfig.Of(root, "model.json");
            if (file.OptionalString("format") is { } format && format != "layers-model")
                throw new ModelFormatError($"model.json: format \"{format}\" is not supported; DeepGraph reads TensorFlow.js layers models (\"layers-model\").");

            // A TF.js file wraps the Keras topology; Keras's own model.to_json() is the bare topology.
            LayerConfig topology = file.Has("modelTopology") ? LayerConfig.Of(file["modelTopology"], "modelTopology")
                : file.Has("class_name") ? file
                : throw new ModelFormatError("model.json has no \"modelTopology\": it is not a TensorFlow.js layers model.");
            // Files converted from Keras HDF5 by older tensorflowjs_converter nest the model in model_config.
            var model = topology.Has("model_config") ? LayerConfig.Of(topology["model_config"], "modelTopology.model_config") : topology;
            var className = model.String("class_name");
            // Keras 3 writes "module" beside class_name and numbers a nested Sequential's calls from 0.
            bool keras3 = (topology.OptionalString("keras_version") ?? "").StartsWith("3.", StringComparison.Ordinal) || model.Has("module");

            // Manifest and file lengths first, then the graph (which claims every weight), then the data.
            var weights = TfjsWeights.Read(file["weightsManifest"], openWeightFile);
            var result = new KerasModelReader(weights, keras3, registry ?? LayerRegistry.Default).ReadModel(className, model["config"], null, "model.json");
            weights.CheckAllTaken();
            weights.Fill();
            return result;
        }
        catch (Exception e) when (e is not ModelFormatError and not OutOfMemoryException)
        {
            // The specific checks name what is wrong; this catches what they could not foresee (a JSON node of an
            // unexpected kind, a value a layer refuses), still as a ModelFormatError, so only documented types leave.
            throw new ModelFormatError($"model.json could not be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// <paramref name="model"/> in the TF.js layers-model format: the text of <c>model.json</c>, whose
    /// manifest names one weight file <paramref name="weightsFileName"/>, and that file's bytes.
    /// </summary>
    /// <exception cref="ModelFormatError">A layer has no TF.js form, or two weights would share a name (layer names must be unique across nested models).</exception>
    /// <param name="model">The model.</param>
    /// <param name="weightsFileName">The weight file's name, as the manifest gives it.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    public static (string ModelJson, byte[] Weights) Write(Model model, string weightsFileName, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(weightsFileName);
        return Write(model, _ => weightsFileName, registry);
    }

    /// <summary>
    /// <paramref name="model"/> in the TF.js layers-model format, its one weight file named from that
    /// file's bytes by <paramref name="weightsFileName"/> (a content-addressed name, say), so a writer
    /// can name the file after what it holds without encoding the weights twice.
    /// </summary>
    /// <exception cref="ModelFormatError">A layer has no TF.js form, or two weights would share a name (layer names must be unique across nested models).</exception>
    /// <exception cref="ArgumentException"><paramref name="weightsFileName"/> gives a null or empty name.</exception>
    /// <param name="model">The model.</param>
    /// <param name="weightsFileName">The weight file's name, from its bytes.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    public static (string ModelJson, byte[] Weights) Write(Model model, Func<byte[], string> weightsFileName, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(weightsFileName);
        var (trainable, frozen) = WeightOrder(model);
        var weights = trainable.Concat(frozen).ToList();
        foreach (var g in weights.GroupBy(w => w.Name).Where(g => g.Count() > 1))
            throw new ModelFormatError($"Model \"{model.Name}\" cannot be written: weight name \"{g.Key}\" would be used {g.Count()} times. Layer names must be unique across the model and its nested models.");

        var bytes = TfjsWeights.Bytes([.. weights.Select(w => w.Value)]);
        var fileName = weightsFileName(bytes);
        if (string.IsNullOrEmpty(fileName))
            throw new ArgumentException("The weight file name chosen for the model's weights is null or empty.", nameof(weightsFileName));
        var root = new JsonObject
        {
            ["modelTopology"] = new JsonObject
            {
                ["class_name"] = model.IsSequential ? "Sequential" : "Model",
                ["config"] = ModelConfig(model, registry ?? LayerRegistry.Default),
                ["keras_version"] = KerasVersion,
                ["backend"] = Backend,
            },
            ["format"] = "layers-model",
            ["generatedBy"] = "DeepGraph",
            ["convertedBy"] = null,
            ["weightsManifest"] = new JsonArray(new JsonObject
            {
                ["paths"] = new JsonArray(fileName),
                ["weights"] = new JsonArray([.. weights.Select(w => (JsonNode)new JsonObject
                {
                    ["name"] = w.Name,
                    ["shape"] = LayerConfig.Dims(w.Value.Shape),
                    ["dtype"] = "float32",
                })]),
            }),
        };
        return (root.ToJsonString(), bytes);
    }

    // ---- writing -------------------------------------------------------------------------

    /// <summary>The config of a model: Keras 2's Sequential or Functional schema, as TF.js writes it.</summary>
    /// <param name="model">The model.</param>
    /// <param name="registry">The layer classes written.</param>
    /// <param name="inputEntry">True to give every Sequential (nested ones too) an <c>InputLayer</c> entry first, as tf.keras 2.x writes
    /// (unless the Sequential takes its input from a nested model first); false for TF.js's choice, which can put the input's shape on the first layer.</param>
    internal static JsonObject ModelConfig(Model model, LayerRegistry registry, bool inputEntry = false)
    {
        var config = new JsonObject { ["name"] = model.Name };
        if (model.IsSequential)
        {
            var layers = model.Layers;
            var input = model.InputLayers[0];
            var entries = new JsonArray();
            // Three ways a Sequential gets its input; pick the one that reads back to the same input layer.
            bool fromNested = layers.Count > 0 && layers[0] is Model { Inputs.Count: 1 } nested &&
                nested.InputLayers[0].Name == input.Name && nested.InputLayers[0].BatchShape == input.BatchShape && nested.InputLayers[0].DType == input.DType;
            bool onFirstLayer = !inputEntry && !fromNested && layers.Count > 0 && layers[0] is not Model && input.Name == layers[0].Name + "_input" && input.DType == DType.Float32;
            if (!fromNested && !onFirstLayer)
                entries.Add(new JsonObject { ["class_name"] = "InputLayer", ["config"] = registry.Write(input) });
            for (int i = 0; i < layers.Count; i++)
            {
                var entry = SequentialEntry(layers[i], registry, inputEntry);
                if (i == 0 && onFirstLayer)
                {
                    var layerConfig = (JsonObject)entry["config"]!;
                    layerConfig["batch_input_shape"] = LayerConfig.Dims(input.BatchShape);
                    layerConfig["dtype"] = "float32";
                }
                entries.Add(entry);
            }
            config["layers"] = entries;
        }
        else
        {
            var graph = model.Graph;
            JsonArray Reference(TensorRef t) => new(graph.LayerOf(t).Name, model.NodeIndex(t.Node), t.Index);
            config["layers"] = new JsonArray([.. model.LayerOrder.Select(id =>
            {
                var layer = graph.Layers[id];
                // Each inbound tensor as [layer, node, tensor, kwargs], the form TF.js writes.
                var calls = graph.Nodes.Where(n => n.Layer == id && layer is not InputLayer)
                    .Select(n => (JsonNode)new JsonArray([.. n.Inputs.Select(t => (JsonNode)new JsonArray(
                        graph.LayerOf(t).Name, model.NodeIndex(t.Node), t.Index, new JsonObject()))]));
                return (JsonNode)new JsonObject
                {
                    ["name"] = layer.Name,
                    ["class_name"] = ClassName(layer),
                    ["config"] = ConfigOf(layer, registry, inputEntry),
                    ["inbound_nodes"] = new JsonArray([.. calls]),
                };
            })]);
            config["input_layers"] = new JsonArray([.. model.Inputs.Select(t => (JsonNode)Reference(t))]);
            config["output_layers"] = new JsonArray([.. model.Outputs.Select(t => (JsonNode)Reference(t))]);
        }
        // TF.js has no model-level trainable flag and ignores the key; Keras reads it. Written only when it matters.
        if (!model.Trainable) config["trainable"] = false;
        return config;
    }

    private static JsonObject SequentialEntry(Layer layer, LayerRegistry registry, bool inputEntry) =>
        new() { ["class_name"] = ClassName(layer), ["config"] = ConfigOf(layer, registry, inputEntry) };

    /// <summary>The <c>class_name</c> a layer is written with: <c>Sequential</c> or <c>Model</c> for a model, else its own.</summary>
    internal static string ClassName(Layer layer) => layer is Model m ? (m.IsSequential ? "Sequential" : "Model") : layer.ClassName;

    /// <summary>A layer's config: a nested model's graph, or what the layer's registered kind writes.</summary>
    private static JsonObject ConfigOf(Layer layer, LayerRegistry registry, bool inputEntry) => layer is Model m ? ModelConfig(m, registry, inputEntry) : registry.Write(layer);

    /// <summary>
    /// TF.js's weight order: a layer's trainable weights, then its non-trainable ones, gathered over
    /// the layers of a model (descending into nested models) — all of a frozen layer's or model's weights are non-trainable.
    /// </summary>
    internal static (List<(string Name, Tensor Value)> Trainable, List<(string Name, Tensor Value)> Frozen) WeightOrder(Layer layer)
    {
        var trainable = new List<(string, Tensor)>();
        var frozen = new List<(string, Tensor)>();
        if (layer is Model model)
        {
            foreach (var id in model.LayerOrder)
            {
                var (t, f) = WeightOrder(model.Graph.Layers[id]);
                trainable.AddRange(t);
                frozen.AddRange(f);
            }
        }
        else
        {
            foreach (var w in layer.Weights)
                (w.Trainable ? trainable : frozen).Add(($"{layer.Name}/{w.Role}", w.Value));
        }
        return layer.Trainable ? (trainable, frozen) : ([], [.. trainable, .. frozen]);
    }
}
