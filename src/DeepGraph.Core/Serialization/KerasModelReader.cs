using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// One reading pass over a Keras model config — the component every container shares (TF.js's
/// <c>model.json</c>, Keras 3's <c>.keras</c>, the legacy <c>.h5</c>, Keras JSON): it creates the layers
/// through the registry, replays the recorded calls to rebuild the graph as Keras does, and asks
/// <paramref name="weights"/> for each layer's weights when the layer is first called (when its input
/// shapes, hence its weights' shapes, are known). Layer ids are handed out in file order.
/// </summary>
/// <param name="weights">Where the weights come from: the container's own layout.</param>
/// <param name="keras3">True for a Keras 3 config (a nested Sequential's calls are numbered from 0).</param>
/// <param name="registry">The layer classes read.</param>
/// <param name="kerasVersion">The Keras version the file says wrote it, for messages (null: it does not say).</param>
internal sealed class KerasModelReader(IWeightSource weights, bool keras3, LayerRegistry registry, string? kerasVersion = null)
{
    private long lastId;

    /// <summary>Where each layer read sits, for the weight source.</summary>
    private readonly Dictionary<LayerId, WeightSite> sites = [];

    /// <summary>The models being read, outermost first (the root model included).</summary>
    private readonly List<string> scope = [];

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

    /// <summary>The model a config of class <paramref name="className"/> describes (the root model: <paramref name="objectPath"/> empty).</summary>
    public Model ReadModel(string className, JsonNode? config, string? entryName, string where, string objectPath = "") => className switch
    {
        "Sequential" => ReadSequential(config, entryName, where, objectPath),
        "Model" or "Functional" => ReadFunctional(config, entryName, where, objectPath),
        _ => throw new ModelFormatError($"{where}: unknown model class '{className}'; expected Sequential, Model or Functional."),
    };

    /// <summary>The Keras 3 object paths of a container's layer entries (<see cref="KerasObjectPaths"/>).</summary>
    private static string[] ChildPaths(JsonArray list, bool sequential, string objectPath)
    {
        var classNames = list.Select(e => (e as JsonObject)?["class_name"] is JsonValue v && v.TryGetValue<string>(out var c) ? c : "").ToArray();
        return KerasObjectPaths.Children(classNames, sequential, objectPath);
    }

    /// <summary>True for the class names of a model nested as a layer: a graph, read here rather than by a layer kind.</summary>
    private static bool IsModel(string className) => className is "Sequential" or "Model" or "Functional";

    /// <summary>A layer entry of either model kind: a nested model, or a layer record (unbuilt).</summary>
    private Layer CreateLayer(LayerConfig entry, string where, string objectPath)
    {
        var className = entry.String("class_name");
        var entryName = entry.OptionalString("name");
        if (IsModel(className)) return ReadModel(className, entry["config"], entryName, where, objectPath);
        var unnamed = LayerConfig.Of(entry["config"], $"{where}: config of layer {(entryName is null ? "" : $"\"{entryName}\" ")}({className})");
        var name = unnamed.OptionalString("name") ?? entryName ?? throw unnamed.Error("name", "the layer's name");
        var at = $"{where}: layer \"{name}\" ({className})";
        var config = LayerConfig.Of(KerasDialect.ReadLayerConfig(className, unnamed.Object, at, keras3, kerasVersion), at);
        Layer layer;
        try
        {
            layer = registry.Read(className, config, NextId(), name);
        }
        catch (UnsupportedLayerError e) when (kerasVersion is not null && e.KerasVersion is null)
        {
            throw new UnsupportedLayerError($"{e.Message} The file was written by Keras {kerasVersion}.", e.LayerName, e.ClassName, kerasVersion);
        }
        sites[layer.Id] = new WeightSite([.. scope], name, className, objectPath);
        return layer;
    }

    private Model ReadSequential(JsonNode? configNode, string? entryName, string where, string objectPath)
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

        // A Sequential without an InputLayer entry gets an input made here; its id is taken before the layers' so
        // that this form and the one with an InputLayer entry first (which the writers give) read as one model value.
        var madeInputId = list[0] is JsonObject head && head["class_name"] is JsonValue c && c.TryGetValue<string>(out var headClass)
            && headClass == "InputLayer" ? (LayerId?)null : NextId();
        var layers = new List<Layer>();
        Shape? declared = null;
        var paths = ChildPaths(list, sequential: true, objectPath);
        scope.Add(name);
        for (int i = 0; i < list.Count; i++)
        {
            var entry = LayerConfig.Of(list[i], $"{where}: layer {i}");
            var layer = CreateLayer(entry, where, paths[i]);
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
            input = new InputLayer(declared) { Id = madeInputId ?? NextId(), Name = layers[0].Name + "_input" };
        }
        else if (layers[0] is Model { Inputs.Count: 1 } nested)
        {
            var inner = nested.InputLayers[0];
            input = new InputLayer(inner.BatchShape) { Id = madeInputId ?? NextId(), Name = inner.Name, DType = inner.DType };
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
        scope.RemoveAt(scope.Count - 1);
        var model = Call(() => Model.Sequential(input, loadedLayers, name, id, seed: 0), null, [], where);
        return trainable ? model : model with { Trainable = false };
    }

    private Model ReadFunctional(JsonNode? configNode, string? entryName, string where, string objectPath)
    {
        var id = NextId();
        var config = LayerConfig.Of(configNode, $"{where}: config of model {entryName}");
        var name = config.OptionalString("name") ?? entryName ?? "model";
        where = $"Model \"{name}\"";

        // Phase 1: create every layer.
        var entries = new List<Entry>();
        var byName = new Dictionary<string, Entry>();
        var list = config.Array("layers");
        var paths = ChildPaths(list, sequential: false, objectPath);
        scope.Add(name);
        for (int i = 0; i < list.Count; i++)
        {
            var raw = LayerConfig.Of(list[i], $"{where}: layer {i}");
            var layer = CreateLayer(raw, where, paths[i]);
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

        scope.RemoveAt(scope.Count - 1);
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
        var site = sites.TryGetValue(layer.Id, out var s) ? s : new WeightSite([.. scope], layer.Name, layer.ClassName, "");
        var values = weights.Take(site, needed, owner, why);
        if (values.Count != needed.Count)
            throw new InvalidOperationException($"The weight source gave {values.Count} weights for {owner}, which needs {needed.Count}.");
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
                // Tensors passed by keyword follow the positional ones: MultiHeadAttention's query, value, key in
                // that order, then the rest as written (an RNN's initial_state); a mask is carried with its tensor.
                if (keras3["kwargs"] is JsonObject kwargs)
                    foreach (var (_, value) in kwargs.Where(k => k.Key != "mask").OrderBy(k => KeywordOrder(k.Key)))
                        KerasTensors(value, refs, at);
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

    private static int KeywordOrder(string key) => key switch { "query" => 0, "value" => 1, "key" => 2, _ => 3 };

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
