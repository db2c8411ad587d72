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
            var result = new Reader(weights, keras3, registry ?? LayerRegistry.Default).ReadModel(className, model["config"], null, "model.json");
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
    private static JsonObject ModelConfig(Model model, LayerRegistry registry)
    {
        var config = new JsonObject { ["name"] = model.Name };
        if (model.IsSequential)
        {
            var layers = model.Layers;
            var input = model.InputLayers[0];
            var entries = new JsonArray();
            // Three ways a Sequential gets its input; pick the one that reads back to the same input layer.
            bool fromNested = layers.Count > 0 && layers[0] is Model { Inputs.Count: 1 } nested &&
                nested.InputLayers[0].Name == input.Name && nested.InputLayers[0].BatchShape == input.BatchShape;
            bool onFirstLayer = !fromNested && layers.Count > 0 && layers[0] is not Model && input.Name == layers[0].Name + "_input";
            if (!fromNested && !onFirstLayer)
                entries.Add(new JsonObject { ["class_name"] = "InputLayer", ["config"] = registry.Write(input) });
            for (int i = 0; i < layers.Count; i++)
            {
                var entry = SequentialEntry(layers[i], registry);
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
                    ["config"] = ConfigOf(layer, registry),
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

    private static JsonObject SequentialEntry(Layer layer, LayerRegistry registry) => new() { ["class_name"] = ClassName(layer), ["config"] = ConfigOf(layer, registry) };

    private static string ClassName(Layer layer) => layer is Model m ? (m.IsSequential ? "Sequential" : "Model") : layer.ClassName;

    /// <summary>A layer's config: a nested model's graph, or what the layer's registered kind writes.</summary>
    private static JsonObject ConfigOf(Layer layer, LayerRegistry registry) => layer is Model m ? ModelConfig(m, registry) : registry.Write(layer);

    /// <summary>
    /// TF.js's weight order: a layer's trainable weights, then its non-trainable ones, gathered over
    /// the layers of a model (descending into nested models) — all of a frozen layer's or model's weights are non-trainable.
    /// </summary>
    private static (List<(string Name, Tensor Value)> Trainable, List<(string Name, Tensor Value)> Frozen) WeightOrder(Layer layer)
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

    // ---- reading -------------------------------------------------------------------------

    /// <summary>One reading pass: hands out layer ids in file order and takes weights from the manifest.</summary>
    private sealed class Reader(TfjsWeights weights, bool keras3, LayerRegistry registry)
    {
        private long lastId;

        private LayerId NextId() => new(++lastId);

        /// <summary>A reference <c>[layer, node, tensor]</c> to output <c>tensor</c> of call <c>node</c> of a layer.</summary>
        private readonly record struct Ref(string Layer, int Node, int Tensor)
        {
            public override string ToString() => $"[\"{Layer}\", {Node}, {Tensor}]";
        }

        /// <summary>A layer of a functional config and the calls recorded for it, in order.</summary>
        private sealed class Entry(Layer layer, List<Ref[]> calls)
        {
            public Layer Layer { get; set; } = layer;
            public List<Ref[]> Calls { get; } = calls;
            public int Done { get; set; }
        }

        public Model ReadModel(string className, JsonNode? config, string? entryName, string where) => className switch
        {
            "Sequential" => ReadSequential(config, entryName, where),
            "Model" or "Functional" => ReadFunctional(config, entryName, where),
            _ => throw new ModelFormatError($"{where}: unknown model class '{className}'; expected Sequential, Model or Functional."),
        };

        /// <summary>True for the class names of a model nested as a layer: a graph, read here rather than by a layer kind.</summary>
        private static bool IsModel(string className) => className is "Sequential" or "Model" or "Functional";

        /// <summary>A layer entry of either model kind: a nested model, or a layer record (unbuilt).</summary>
        private Layer CreateLayer(LayerConfig entry, string where)
        {
            var className = entry.String("class_name");
            var entryName = entry.OptionalString("name");
            if (IsModel(className)) return ReadModel(className, entry["config"], entryName, where);
            var unnamed = LayerConfig.Of(entry["config"], $"{where}: config of layer {(entryName is null ? "" : $"\"{entryName}\" ")}({className})");
            var name = unnamed.OptionalString("name") ?? entryName ?? throw unnamed.Error("name", "the layer's name");
            var config = LayerConfig.Of(unnamed.Object, $"{where}: layer \"{name}\" ({className})");
            return registry.Read(className, config, NextId(), name);
        }

        private Model ReadSequential(JsonNode? configNode, string? entryName, string where)
        {
            var id = NextId();
            JsonArray list;
            string name;
            bool trainable = true;
            int?[]? built = null;
            if (configNode is JsonArray bare)
            {
                // The oldest Keras form: the config is the list of layers itself.
                list = bare;
                name = entryName ?? "sequential";
            }
            else
            {
                var config = LayerConfig.Of(configNode, $"{where}: config of Sequential model {entryName}");
                name = config.OptionalString("name") ?? entryName ?? "sequential";
                list = config.Array("layers");
                trainable = config.Bool("trainable", true);
                // Keras writes the shape a Sequential without an input layer was built for.
                built = config.OptionalDims("build_input_shape");
            }
            where = $"Sequential model \"{name}\"";
            if (list.Count == 0) throw new ModelFormatError($"{where} has no layers.");

            var layers = new List<Layer>();
            Shape? declared = null;
            for (int i = 0; i < list.Count; i++)
            {
                var entry = LayerConfig.Of(list[i], $"{where}: layer {i}");
                var layer = CreateLayer(entry, where);
                if (i == 0 && layer is not Model and not InputLayer)
                    declared = LayerConfig.Of(entry["config"], $"{where}: layer \"{layer.Name}\"").DeclaredInputShape();
                layers.Add(layer);
            }
            if (declared is null && built is { Length: > 0 } && layers[0] is not Model and not InputLayer) declared = Shape.Of(built);

            // The input: an InputLayer entry first, the first layer's batch_input_shape or the model's
            // build_input_shape (Keras names the input it makes "<first>_input"), or the input of a
            // nested model first (TF.js reuses it).
            InputLayer input;
            if (layers[0] is InputLayer first)
            {
                input = first;
                layers.RemoveAt(0);
            }
            else if (declared is not null)
            {
                input = new InputLayer(declared) { Id = NextId(), Name = layers[0].Name + "_input" };
            }
            else if (layers[0] is Model { Inputs.Count: 1 } nested)
            {
                var inner = nested.InputLayers[0];
                input = new InputLayer(inner.BatchShape) { Id = NextId(), Name = inner.Name };
            }
            else
            {
                throw new ModelFormatError($"{where} has no input shape: its first layer \"{layers[0].Name}\" ({layers[0].ClassName}) has no batch_input_shape and the model does not start with an InputLayer.");
            }

            var loadedLayers = new List<Layer>();
            var x = input.BatchShape;
            foreach (var layer in layers)
            {
                if (layer is InputLayer)
                    throw new ModelFormatError($"{where}: input layer \"{layer.Name}\" can only be the first layer.");
                var loaded = LoadWeights(layer, [x], where);
                var outputs = Call(() => loaded.OutputShapes([x]), loaded, [x], where);
                if (outputs.Count != 1)
                    throw new ModelFormatError($"{where}: layer \"{layer.Name}\" gives {outputs.Count} tensors; every layer of a Sequential model gives one.");
                x = outputs[0];
                loadedLayers.Add(loaded);
            }
            var model = Call(() => Model.Sequential(input, loadedLayers, name, id, seed: 0), null, [], where);
            return trainable ? model : model with { Trainable = false };
        }

        private Model ReadFunctional(JsonNode? configNode, string? entryName, string where)
        {
            var id = NextId();
            var config = LayerConfig.Of(configNode, $"{where}: config of model {entryName}");
            var name = config.OptionalString("name") ?? entryName ?? "model";
            where = $"Model \"{name}\"";

            // Phase 1: create every layer.
            var entries = new List<Entry>();
            var byName = new Dictionary<string, Entry>();
            var list = config.Array("layers");
            for (int i = 0; i < list.Count; i++)
            {
                var raw = LayerConfig.Of(list[i], $"{where}: layer {i}");
                var layer = CreateLayer(raw, where);
                var calls = Calls(raw["inbound_nodes"], $"{where}: layer \"{layer.Name}\" inbound_nodes");
                if (layer is InputLayer && calls.Count > 0)
                    throw new ModelFormatError($"{where}: input layer \"{layer.Name}\" has inbound_nodes; an InputLayer is called by no one.");
                var entry = new Entry(layer, layer is InputLayer ? [[]] : calls);
                if (!byName.TryAdd(layer.Name, entry))
                    throw new ModelFormatError($"{where}: the name \"{layer.Name}\" is used by two layers. All layer names should be unique.");
                entries.Add(entry);
            }
            var inputRefs = References(config["input_layers"], $"{where}: input_layers");
            var outputRefs = References(config["output_layers"], $"{where}: output_layers");
            foreach (var e in entries)
                foreach (var r in e.Calls.SelectMany(c => c))
                    if (!byName.ContainsKey(r.Layer))
                        throw new ModelFormatError($"{where}: layer \"{e.Layer.Name}\" is called on tensor {r}, but the model has no layer \"{r.Layer}\".");
            foreach (var r in inputRefs.Concat(outputRefs))
                if (!byName.ContainsKey(r.Layer))
                    throw new ModelFormatError($"{where}: input_layers/output_layers name tensor {r}, but the model has no layer \"{r.Layer}\".");

            // Phase 2: replay the calls whose tensors exist until none is left or none can run; each
            // layer's calls run in their recorded order, since later references count on it.
            var graph = Graph.Empty(Model.ModelScope);
            var produced = new Dictionary<(string Layer, int Node), IReadOnlyList<TensorRef>>();
            bool TryGet(Ref r, out TensorRef t)
            {
                t = default;
                if (!produced.TryGetValue((r.Layer, r.Node), out var outs)) return false;
                if (r.Tensor < 0 || r.Tensor >= outs.Count)
                    throw new ModelFormatError($"{where}: tensor {r} does not exist: call {r.Node} of layer \"{r.Layer}\" gives {outs.Count} tensor(s).");
                t = outs[r.Tensor];
                return true;
            }
            // Keras replays by scanning the layers again and again until a scan runs nothing; a chain
            // listed backwards then takes one scan per layer (quadratic). The same order, in linear time:
            // a call whose tensors are missing waits on the first missing (layer, node); when that call
            // runs, its waiters are checked again and, once ready, queued at (scan, position) — in the
            // current scan when they sit after the entry running now, in the next scan otherwise.
            var waiting = new Dictionary<(string Layer, int Node), List<int>>();
            var ready = new PriorityQueue<int, (long Scan, int Index)>();
            (long Scan, int Index) now = (0, -1);
            void Check(int index)
            {
                var e = entries[index];
                if (e.Done >= e.Calls.Count) return;
                foreach (var r in e.Calls[e.Done])
                {
                    if (TryGet(r, out _)) continue;
                    var key = (r.Layer, r.Node);
                    if (!waiting.TryGetValue(key, out var list)) waiting[key] = list = [];
                    list.Add(index);
                    return;
                }
                ready.Enqueue(index, (index >= now.Index ? now.Scan : now.Scan + 1, index));
            }
            for (int i = 0; i < entries.Count; i++) Check(i);
            while (ready.TryDequeue(out int index, out var at))
            {
                now = at;
                var e = entries[index];
                var call = e.Calls[e.Done];
                var inputs = new List<TensorRef>(call.Length);
                foreach (var r in call)
                    inputs.Add(TryGet(r, out var t) ? t : throw new InvalidOperationException($"tensor {r} was queued before it exists"));
                var shapes = inputs.Select(graph.ShapeOf).ToArray();
                var layer = LoadWeights(e.Layer, shapes, where);
                var g = graph;
                var (next, outs) = Call(() => g.Call(layer, inputs, seed: 0), layer, shapes, where);
                graph = next;
                e.Layer = graph.Layers[layer.Id];
                // A nested model's node 0 is its own internal call (Keras's _should_skip_first_node);
                // Keras 3 numbers a nested Sequential's calls from 0.
                int first = e.Layer is Model m && !(keras3 && m.IsSequential) ? 1 : 0;
                var key = (e.Layer.Name, first + e.Done);
                produced[key] = outs;
                e.Done++;
                // The entry's next call first (Keras runs a layer's calls in order, in the same scan), then those waiting on this one.
                Check(index);
                if (waiting.Remove(key, out var waiters))
                    foreach (var w in waiters) Check(w);
            }
            var unresolved = entries.Where(e => e.Done < e.Calls.Count)
                .Select(e => $"layer \"{e.Layer.Name}\" call {e.Done} on [{string.Join(", ", e.Calls[e.Done])}]").ToList();
            if (unresolved.Count > 0)
                throw new ModelFormatError($"{where}: the graph cannot be rebuilt; these calls wait for tensors that no call produces: {string.Join("; ", unresolved)}.");

            TensorRef Resolve(Ref r, string what) => TryGet(r, out var t) ? t
                : throw new ModelFormatError($"{where}: {what} names tensor {r}, which no call of layer \"{r.Layer}\" produces.");
            var ins = inputRefs.Select(r => Resolve(r, "input_layers")).ToList();
            var outsRefs = outputRefs.Select(r => Resolve(r, "output_layers")).ToList();
            var model = Call(() => Model.Functional(graph, ins, outsRefs, name, id), null, [], where);
            return config.Bool("trainable", true) ? model : model with { Trainable = false };
        }

        /// <summary>
        /// <paramref name="layer"/> with its weights from the manifest, for a first call on inputs of
        /// <paramref name="shapes"/>; layers without weights, and layers already loaded, as they are.
        /// The layer itself says which weights it needs for these shapes, and of which shapes.
        /// </summary>
        private Layer LoadWeights(Layer layer, IReadOnlyList<Shape> shapes, string where)
        {
            if (layer is not WeightedLayer weighted || weighted.IsBuilt) return layer;
            var needed = Call(() => weighted.WeightSpecs(shapes), layer, shapes, where);
            string owner = $"layer \"{layer.Name}\" ({layer.ClassName})";
            string why = $"for its input shape {string.Join(", ", shapes)}";
            var values = needed.Select(w => weights.Take($"{layer.Name}/{w.Role}", w.Shape, owner, why)).ToList();
            return weighted with { Params = EquatableArray.Of(values) };
        }

        /// <summary>Runs a graph step, turning a shape or graph error into a <see cref="ModelFormatError"/> that names the model and the call.</summary>
        private static T Call<T>(Func<T> step, Layer? layer, IReadOnlyList<Shape> shapes, string where)
        {
            try
            {
                return step();
            }
            catch (Exception e) when (e is ShapeError or GraphError)
            {
                var call = layer is null ? "" : $" calling layer \"{layer.Name}\" ({layer.ClassName}) on shapes [{string.Join(", ", shapes)}]:";
                throw new ModelFormatError($"{where}:{call} {e.Message}", e);
            }
        }

        /// <summary>
        /// The calls of <c>inbound_nodes</c>: Keras 2 lists of <c>[name, node, tensor, kwargs]</c> (or
        /// without kwargs, or one bare reference), or Keras 3 <c>{"args": …, "kwargs": …}</c> whose args hold
        /// <c>__keras_tensor__</c> objects with a <c>keras_history</c>.
        /// </summary>
        private static List<Ref[]> Calls(JsonNode? node, string where)
        {
            if (node is null) return [];
            if (node is not JsonArray calls) throw new ModelFormatError($"{where}: expected a list of calls; found {LayerConfig.Text(node)}.");
            var result = new List<Ref[]>();
            for (int i = 0; i < calls.Count; i++)
            {
                var call = calls[i];
                string at = $"{where}[{i}]";
                if (call is JsonObject keras3)
                {
                    var refs = new List<Ref>();
                    KerasTensors(keras3["args"], refs, at);
                    result.Add([.. refs]);
                }
                else if (call is JsonArray list && list.Count > 0 && list[0] is JsonValue)
                {
                    result.Add([Reference(list, at)]);
                }
                else if (call is JsonArray refs)
                {
                    result.Add([.. refs.Select((r, k) => Reference(r, $"{at}[{k}]"))]);
                }
                else
                {
                    throw new ModelFormatError($"{at}: expected a call (a list of tensor references); found {LayerConfig.Text(call)}.");
                }
            }
            return result;
        }

        private static void KerasTensors(JsonNode? node, List<Ref> refs, string where)
        {
            switch (node)
            {
                case JsonArray list:
                    foreach (var item in list) KerasTensors(item, refs, where);
                    break;
                case JsonObject obj when obj["class_name"] is JsonValue v && v.TryGetValue<string>(out var cls) && cls == "__keras_tensor__":
                    refs.Add(Reference(obj["config"]?["keras_history"], $"{where} keras_history"));
                    break;
                    // Other arguments (constants, None) are not tensors.
            }
        }

        /// <summary><c>input_layers</c> / <c>output_layers</c>: a list of references, or one bare reference.</summary>
        private static List<Ref> References(JsonNode? node, string where)
        {
            if (node is JsonArray { Count: > 0 } list && list[0] is JsonValue) return [Reference(list, where)];
            if (node is JsonArray refs && refs.Count > 0) return [.. refs.Select((r, i) => Reference(r, $"{where}[{i}]"))];
            throw new ModelFormatError($"{where}: expected a non-empty list of [layer_name, node_index, tensor_index]; found {LayerConfig.Text(node)}.");
        }

        private static Ref Reference(JsonNode? node, string where)
        {
            if (node is JsonArray { Count: 3 or 4 } a && a[0] is JsonValue v && v.TryGetValue<string>(out var layer) &&
                LayerConfig.TryInt(a[1], out int n) && LayerConfig.TryInt(a[2], out int t) && n >= 0 && t >= 0)
                return new Ref(layer, n, t);
            throw new ModelFormatError($"{where}: expected a tensor reference [layer_name, node_index, tensor_index]; found {LayerConfig.Text(node)}.");
        }
    }
}
