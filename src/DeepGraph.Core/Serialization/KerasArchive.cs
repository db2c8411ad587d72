using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepGraph.Core;
using PureHDF;

namespace DeepGraph.Serialization;

/// <summary>
/// Keras 3's <c>.keras</c> files: a zip of <c>config.json</c>, <c>metadata.json</c> and
/// <c>model.weights.h5</c> (also the tf.keras 2.13–2.15 dialect of it).
/// </summary>
/// <remarks>
/// <para>Reading: the zip must hold exactly <c>config.json</c>, <c>metadata.json</c> and <c>model.weights.h5</c> (and
/// optionally entries under <c>assets/</c>, which are not read); a duplicated, unexpected or escaping member name
/// (<c>..</c>, an absolute path) is refused. Each member's declared size is checked before it is read, and no more than
/// it declares is read. The config is read by <see cref="KerasModelReader"/> (Keras 3's schema when
/// <c>metadata.json</c>'s <c>keras_version</c> is 3.x; tf.keras 2.13–2.15's — <c>module: keras.src.engine.functional</c>,
/// <c>batch_input_shape</c>, Keras 2 <c>inbound_nodes</c> — when it is 2.x). Weights are found by each layer's Keras 3
/// object path (<see cref="KerasObjectPaths"/>, <see cref="KerasVariablePaths"/>); for a tf.keras 2.13 file whose weights
/// sit under <c>_layer_checkpoint_dependencies</c>, the path with <c>layers</c> named so, as Keras 3 itself reads them.
/// Every dataset under the model's layers must belong to a layer. The optimizer's variables (<c>optimizer/vars</c>) are described,
/// not read (<see cref="KerasFileContents.OptimizerState"/>); metric state is not read.</para>
/// <para>Writing: the members <c>metadata.json</c>, <c>config.json</c>, <c>model.weights.h5</c>, stored uncompressed, dated
/// 1980-01-01 (as Keras dates its JSON members); <c>metadata.json</c> says <c>keras_version</c> <see cref="KerasVersion"/>
/// and a fixed <c>date_saved</c>, so the same model gives the same bytes; the optimizer's state, when given, at <c>optimizer/vars</c>.</para>
/// </remarks>
public static class KerasArchive
{
    /// <summary>The <c>keras_version</c> written: the Keras 3 release whose schema and weight layout the writer follows.</summary>
    public const string KerasVersion = "3.8.0";

    /// <summary>The <c>date_saved</c> written (fixed, so that writing is deterministic).</summary>
    public const string DateSaved = "1980-01-01@00:00:00";

    private const string ConfigName = "config.json";
    private const string MetadataName = "metadata.json";
    private const string WeightsName = "model.weights.h5";

    /// <summary>The largest <c>config.json</c> read (bytes).</summary>
    private const long MaxConfigBytes = 256L << 20;

    /// <summary>The largest <c>metadata.json</c> read (bytes).</summary>
    private const long MaxMetadataBytes = 1L << 20;

    /// <summary>The model a <c>.keras</c> file holds.</summary>
    /// <param name="stream">The file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The file is not a Keras archive or cannot be read.</exception>
    public static KerasFileContents Read(Stream stream, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            var (config, metadata, weights) = Members(stream);
            var meta = Parse(metadata, MetadataName) as JsonObject
                ?? throw new ModelFormatError($"{MetadataName}: expected a JSON object.");
            var version = meta["keras_version"] is JsonValue vv && vv.TryGetValue<string>(out var v) ? v : null;
            var root = LayerConfig.Of(Parse(config, ConfigName), ConfigName);
            var compile = root["compile_config"] switch
            {
                null => null,
                JsonObject o => (JsonObject)o.DeepClone(),
                var other => throw new ModelFormatError($"{ConfigName}: `compile_config` is {LayerConfig.Text(other)}; expected an object or null."),
            };
            long weightsLength = weights.Length;
            var bytes = weights.GetBuffer();
            using var h5 = OpenHdf5(weights);
            var model = ReadModel(root, ConfigName, h5, WeightsName, weightsLength, version, registry);
            var optimizer = DescribeOptimizer(h5, () => H5File.Open(new MemoryStream(bytes, 0, (int)weightsLength, writable: false), leaveOpen: false));
            return new KerasFileContents(model, "keras", version, null, compile, optimizer);
        }
        catch (Exception e) when (e is not ModelFormatError and not InsufficientMemoryException)
        {
            throw new ModelFormatError($".keras file could not be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The model of a Keras 3 (or tf.keras 2.13–2.15) model config — a <c>.keras</c> file's <c>config.json</c> or
    /// Keras 3's <c>to_json()</c> — with its weights from a Keras 3 weights file (<c>model.weights.h5</c>, or what
    /// <c>save_weights("….weights.h5")</c> writes), found by object path.
    /// </summary>
    internal static Model ReadModel(LayerConfig root, string configName, PureHDF.VOL.Native.NativeFile h5, string weightsName, long weightsLength,
        string? version, LayerRegistry? registry)
    {
        var className = root.String("class_name");
        var module = root.OptionalString("module");
        bool keras3 = version is not null ? !version.StartsWith("2.", StringComparison.Ordinal) && !version.StartsWith("1.", StringComparison.Ordinal)
            : module is null || !module.Contains("engine", StringComparison.Ordinal);
        if (className is not ("Sequential" or "Functional" or "Model"))
        {
            var name = root["config"] is JsonObject c && c["name"] is JsonValue n && n.TryGetValue<string>(out var s) ? s : className;
            throw new UnsupportedLayerError(
                $"{configName}: the model's class is '{className}'{(root.OptionalString("registered_name") is { } r ? $" (registered as '{r}')" : "")}; DeepGraph reads Sequential and Functional models (a subclassed model's Python code cannot be loaded).",
                name, className, version);
        }
        var source = new KerasArchiveWeights(h5, weightsName, weightsLength);
        var model = new KerasModelReader(source, keras3, registry ?? LayerRegistry.Default, version)
            .ReadModel(className, root["config"], null, configName);
        source.CheckAllTaken();
        source.Fill();
        return model;
    }

    /// <summary>The most optimizer variables described (Keras keeps a few per trainable weight).</summary>
    private const int MaxOptimizerVariables = 1_000_000;

    /// <summary>
    /// The optimizer's variables the weights file holds at <c>optimizer/vars/0…N−1</c> (Keras 3's layout), described without reading
    /// their data; null when there are none. A group that is not laid out so is described with the problem, which makes the state unused.
    /// </summary>
    private static SavedOptimizerState? DescribeOptimizer(PureHDF.VOL.Native.NativeFile h5, Func<PureHDF.VOL.Native.NativeFile> open)
    {
        try
        {
            if (!h5.LinkExists("optimizer")) return null;
            var node = h5.Get("optimizer");
            KerasH5.CheckInFile(node, h5, $"{WeightsName}: \"optimizer\"");
            if (node is not IH5Group optimizer || !optimizer.LinkExists("vars")) return null;
            var vars = optimizer.Get("vars");
            KerasH5.CheckInFile(vars, optimizer, $"{WeightsName}: \"optimizer/vars\"");
            if (vars is not IH5Group group) return new SavedOptimizerState("keras", [], "\"optimizer/vars\" is not a group", open);
            var names = new List<string>();
            foreach (var child in group.Children())
            {
                if (names.Count >= MaxOptimizerVariables)
                    return new SavedOptimizerState("keras", [], $"\"optimizer/vars\" holds more than {MaxOptimizerVariables} variables", open);
                names.Add(child.Name);
            }
            // Keras 3 names them 0, 1, … N−1: anything else is not its layout.
            var ordered = names.Select(n => (Name: n, Index: int.TryParse(n, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i.ToString(System.Globalization.CultureInfo.InvariantCulture) == n ? i : -1))
                .OrderBy(p => p.Index).ToList();
            if (ordered.Select((p, i) => p.Index == i).Any(ok => !ok))
                return new SavedOptimizerState("keras", [], "the datasets of \"optimizer/vars\" are not named 0, 1, … as Keras 3 names them", open);
            return SavedOptimizerState.Describe("keras", h5, "optimizer/vars", [.. ordered.Select(p => p.Name)], open);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not InsufficientMemoryException)
        {
            return new SavedOptimizerState("keras", [], $"the optimizer's variables could not be read ({e.Message})", open);
        }
    }

    private static PureHDF.VOL.Native.NativeFile OpenHdf5(MemoryStream weights)
    {
        try
        {
            return H5File.Open(weights, leaveOpen: false);
        }
        catch (Exception e) when (e is not ModelFormatError)
        {
            throw new ModelFormatError($"{WeightsName} is not an HDF5 file that can be read: {e.Message}", e);
        }
    }

    private static JsonNode? Parse(byte[] bytes, string name)
    {
        try
        {
            return JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new ModelFormatError($"{name} is not valid JSON (corrupt or truncated): {e.Message}", e);
        }
    }

    /// <summary>The three members' bytes, after checking the zip's member names and declared sizes.</summary>
    private static (byte[] Config, byte[] Metadata, MemoryStream Weights) Members(Stream stream)
    {
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFormatError($"The file is not a .keras archive (not a readable zip): {e.Message}", e);
        }
        using (zip)
        {
            var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                if (name.Length == 0 || name.Contains('\\') || name.Contains(':') || name.Contains('\0') || name.StartsWith('/')
                    || name.Split('/').Any(part => part is ".." or "."))
                    throw new ModelFormatError($"The .keras archive has a member named \"{name}\", a path that is empty, absolute or escapes the archive.");
                if (!byName.TryAdd(name, entry))
                    throw new ModelFormatError($"The .keras archive has two members named \"{name}\".");
                if (name is not (ConfigName or MetadataName or WeightsName) && !name.StartsWith("assets/", StringComparison.Ordinal) && name != "assets/")
                    throw new ModelFormatError(
                        $"The .keras archive has an unexpected member \"{name}\"; it holds {ConfigName}, {MetadataName}, {WeightsName} and assets/ only" +
                        (name == "model.weights.npz" ? " (weights saved with weights_format=\"npz\" are not read; save with the default h5)." : "."));
            }
            foreach (var needed in (string[])[ConfigName, MetadataName, WeightsName])
                if (!byName.ContainsKey(needed))
                    throw new ModelFormatError($"The .keras archive has no {needed}" + (needed == WeightsName ? " (weights saved as model.weights.npz are not read)." : "."));
            var config = ReadMember(byName[ConfigName], MaxConfigBytes);
            var metadata = ReadMember(byName[MetadataName], MaxMetadataBytes);
            var weights = ReadMember(byName[WeightsName], Array.MaxLength);
            return (config.ToArray(), metadata.ToArray(), weights);
        }
    }

    /// <summary>A member's bytes: its declared size checked against <paramref name="limit"/>, and no more than that size read.</summary>
    private static MemoryStream ReadMember(ZipArchiveEntry entry, long limit)
    {
        long declared = entry.Length;
        if (declared < 0 || declared > limit)
            throw new ModelFormatError($"The .keras archive's member \"{entry.FullName}\" declares {declared} bytes; at most {limit} are read.");
        // Grown as data arrives, never beyond the declared size: a member that inflates to more is refused.
        var into = new MemoryStream((int)Math.Min(declared, 1 << 20));
        var buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            using var data = entry.Open();
            while (true)
            {
                int want = (int)Math.Min(buffer.Length, declared - total + 1);
                int n = data.Read(buffer, 0, want);
                if (n == 0) break;
                total += n;
                if (total > declared)
                    throw new ModelFormatError($"The .keras archive's member \"{entry.FullName}\" holds more than the {declared} bytes it declares.");
                into.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException)
        {
            throw new ModelFormatError($"The .keras archive's member \"{entry.FullName}\" could not be read: {e.Message}", e);
        }
        if (total != declared)
            throw new ModelFormatError($"The .keras archive's member \"{entry.FullName}\" holds {total} bytes but declares {declared}: it is truncated.");
        into.Position = 0;
        return into;
    }

    // ---- writing -------------------------------------------------------------------------

    /// <summary>Writes <paramref name="model"/> as a Keras 3 <c>.keras</c> file to <paramref name="stream"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">Where the file goes, writable.</param>
    /// <param name="compileConfig">The model's <c>compile_config</c> (Keras 3's schema), or null for an uncompiled model.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">A layer has no Keras form.</exception>
    /// <param name="optimizerState">The optimizer and its state, written as Keras 3 writes <c>optimizer.variables</c> at <c>optimizer/vars</c>
    /// (<see cref="KerasOptimizerState"/>), or null to write none.</param>
    public static void Write(Model model, Stream stream, JsonObject? compileConfig = null, LayerRegistry? registry = null,
        (Optimizer Optimizer, OptimizerSnapshot State)? optimizerState = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        registry ??= LayerRegistry.Default;
        var config = ModelEntry(model, registry, nested: false);
        if (compileConfig is not null) config["compile_config"] = compileConfig.DeepClone();
        var metadata = new JsonObject { ["keras_version"] = KerasVersion, ["date_saved"] = DateSaved };
        var weights = WeightsFile(model, registry, optimizerState);

        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        void Add(string name, byte[] bytes)
        {
            var entry = zip.CreateEntry(name, CompressionLevel.NoCompression);
            entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var s = entry.Open();
            s.Write(bytes);
        }
        Add(MetadataName, Encoding.UTF8.GetBytes(metadata.ToJsonString()));
        Add(ConfigName, Encoding.UTF8.GetBytes(config.ToJsonString()));
        Add(WeightsName, weights);
    }

    /// <summary>
    /// A model's entry as Keras 3 serializes it: <c>module</c>, <c>class_name</c>, <c>config</c>, <c>registered_name</c> and
    /// <c>build_config</c> — a Sequential's input shape; a Functional's <c>{"input_shape": null}</c>, since Keras 3's Functional
    /// constructor builds the model with <c>build(None)</c> and records that.
    /// </summary>
    private static JsonObject ModelEntry(Model model, LayerRegistry registry, bool nested)
    {
        _ = nested;
        var entry = new JsonObject
        {
            ["module"] = model.IsSequential ? "keras" : "keras.src.models.functional",
            ["class_name"] = model.IsSequential ? "Sequential" : "Functional",
            ["config"] = model.IsSequential ? SequentialConfig(model, registry) : FunctionalConfig(model, registry),
            ["registered_name"] = model.IsSequential ? null : "Functional",
        };
        entry["build_config"] = new JsonObject { ["input_shape"] = model.IsSequential ? LayerConfig.Dims(model.InputLayers[0].BatchShape) : null };
        return entry;
    }

    private static JsonObject SequentialConfig(Model model, LayerRegistry registry)
    {
        var input = model.InputLayers[0];
        var layers = new JsonArray { KerasDialect.Keras3Layer(input, registry) };
        var graph = model.Graph;
        foreach (var layer in model.Layers)
        {
            var node = graph.Nodes.First(n => n.Layer == layer.Id);
            layers.Add(LayerEntry(layer, [.. node.Inputs.Select(graph.ShapeOf)], registry));
        }
        return new JsonObject
        {
            ["name"] = model.Name,
            ["trainable"] = model.Trainable,
            ["dtype"] = DTypePolicy("float32"),
            ["layers"] = layers,
            ["build_input_shape"] = LayerConfig.Dims(input.BatchShape),
        };
    }

    /// <summary>Keras 3's merge layers: no weights, but a <c>build</c> of their own, so Keras writes their <c>build_config</c>.</summary>
    private static readonly HashSet<string> MergeClasses = new(StringComparer.Ordinal) { "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot" };

    /// <summary>A layer's entry (a nested model's included), with its <c>build_config</c> when Keras 3 writes one (layers with weights, merge layers, Sequential models; Keras records it when a layer's own <c>build</c> runs).</summary>
    private static JsonObject LayerEntry(Layer layer, IReadOnlyList<Shape> inputShapes, LayerRegistry registry)
    {
        if (layer is Model m) return ModelEntry(m, registry, nested: true);
        var entry = KerasDialect.Keras3Layer(layer, registry);
        if ((layer.Weights.Count > 0 || MergeClasses.Contains(layer.ClassName)) && inputShapes.Count > 0)
        {
            entry["build_config"] = layer.ClassName == "MultiHeadAttention"
                ? new JsonObject
                {
                    ["shapes_dict"] = new JsonObject
                    {
                        ["query_shape"] = LayerConfig.Dims(inputShapes[0]),
                        ["value_shape"] = inputShapes.Count > 1 ? LayerConfig.Dims(inputShapes[1]) : null,
                        ["key_shape"] = inputShapes.Count > 2 ? LayerConfig.Dims(inputShapes[2]) : null,
                    },
                }
                : new JsonObject { ["input_shape"] = inputShapes.Count == 1 || layer is RecurrentLayer ? LayerConfig.Dims(inputShapes[0]) : new JsonArray([.. inputShapes.Select(s => (JsonNode)LayerConfig.Dims(s))]) };
        }
        return entry;
    }

    private static JsonObject FunctionalConfig(Model model, LayerRegistry registry)
    {
        var graph = model.Graph;
        // Keras 3 numbers a nested Sequential's calls from 0; a nested Functional's node 0 is its own.
        int Index(TensorRef t) => graph.LayerOf(t) is Model { IsSequential: true } ? model.NodeIndex(t.Node) - 1 : model.NodeIndex(t.Node);
        JsonArray History(TensorRef t) => new(graph.LayerOf(t).Name, Index(t), t.Index);
        JsonObject KerasTensor(TensorRef t) => new()
        {
            ["class_name"] = "__keras_tensor__",
            ["config"] = new JsonObject
            {
                ["shape"] = LayerConfig.Dims(graph.ShapeOf(t)),
                ["dtype"] = graph.DTypeOf(t).Name(),
                ["keras_history"] = History(t),
            },
        };
        var layers = new JsonArray();
        foreach (var id in model.LayerOrder)
        {
            var layer = graph.Layers[id];
            var nodes = graph.Nodes.Where(n => n.Layer == id).ToList();
            var first = layer is InputLayer || nodes.Count == 0 ? [] : nodes[0].Inputs.Select(graph.ShapeOf).ToArray();
            var entry = layer is InputLayer ? KerasDialect.Keras3Layer(layer, registry) : LayerEntry(layer, first, registry);
            entry["name"] = layer.Name;
            var calls = new JsonArray();
            if (layer is not InputLayer)
            {
                foreach (var node in nodes)
                {
                    var inputs = node.Inputs.ToList();
                    var args = new JsonArray();
                    var kwargs = new JsonObject();
                    if (inputs.Count == 1)
                    {
                        args.Add(KerasTensor(inputs[0]));
                    }
                    else if (layer.ClassName == "MultiHeadAttention")
                    {
                        args.Add(KerasTensor(inputs[0]));
                        args.Add(KerasTensor(inputs[1]));
                        if (inputs.Count > 2) kwargs["key"] = KerasTensor(inputs[2]);
                        if (inputs.Count > 3)
                            throw new ModelFormatError($"Layer \"{layer.Name}\" (MultiHeadAttention) is called with masks as inputs; a .keras file cannot say so.");
                    }
                    else if (layer is RecurrentLayer)
                    {
                        args.Add(KerasTensor(inputs[0]));
                        kwargs["initial_state"] = new JsonArray([.. inputs.Skip(1).Select(t => (JsonNode)KerasTensor(t))]);
                    }
                    else
                    {
                        args.Add(new JsonArray([.. inputs.Select(t => (JsonNode)KerasTensor(t))]));
                    }
                    calls.Add(new JsonObject { ["args"] = args, ["kwargs"] = kwargs });
                }
            }
            entry["inbound_nodes"] = calls;
            layers.Add(entry);
        }
        return new JsonObject
        {
            ["name"] = model.Name,
            ["trainable"] = model.Trainable,
            ["layers"] = layers,
            ["input_layers"] = new JsonArray([.. model.Inputs.Select(t => (JsonNode)History(t))]),
            ["output_layers"] = new JsonArray([.. model.Outputs.Select(t => (JsonNode)History(t))]),
        };
    }

    private static JsonObject DTypePolicy(string name) => new()
    {
        ["module"] = "keras",
        ["class_name"] = "DTypePolicy",
        ["config"] = new JsonObject { ["name"] = name },
        ["registered_name"] = null,
    };

    /// <summary>
    /// <c>model.weights.h5</c> in Keras 3's layout: a <c>vars</c> group per object (the model, each layer, the objects a
    /// layer holds), named by the object's <c>name</c> attribute (Keras 3.6+), holding datasets <c>0</c>, <c>1</c>, ….
    /// </summary>
    private static byte[] WeightsFile(Model model, LayerRegistry registry, (Optimizer Optimizer, OptimizerSnapshot State)? optimizerState)
    {
        var root = new H5File();
        AddModel(root, model, registry);
        if (optimizerState is var (optimizer, state))
        {
            var vars = Vars(optimizer.Name.ToLowerInvariant());
            foreach (var (name, shape, values) in KerasOptimizerState.Keras3Variables(optimizer, model, state))
                vars[name] = Dataset(shape, values);
            root["optimizer"] = new H5Group { ["vars"] = vars };
        }
        using var buffer = new MemoryStream();
        root.Write(buffer);
        return buffer.ToArray();
    }

    /// <summary>An optimizer variable's dataset: a scalar int64 iteration count, a scalar float32 or a float32 array of the shape.</summary>
    internal static H5Dataset Dataset(int[] shape, object values) => values switch
    {
        long n => new H5Dataset(n),
        float[] f when shape.Length == 0 => new H5Dataset(f[0]),
        float[] f => new H5Dataset(f, fileDims: [.. shape.Select(d => (ulong)d)]),
        _ => throw new ArgumentException("An optimizer variable holds a long or float[].", nameof(values)),
    };

    private static H5Group Vars(string name) => new() { Attributes = new Dictionary<string, object> { ["name"] = name } };

    /// <summary>The group at <paramref name="path"/> below <paramref name="root"/>, made as needed.</summary>
    private static H5Group At(H5Group root, string path)
    {
        var group = root;
        foreach (var part in path.Split('/'))
        {
            if (!group.TryGetValue(part, out var child))
                group[part] = child = new H5Group();
            group = (H5Group)child;
        }
        return group;
    }

    private static void AddVars(H5Group root, string path, string name)
    {
        var owner = path.Length == 0 ? root : At(root, path);
        if (!owner.ContainsKey("vars")) owner["vars"] = Vars(name);
    }

    private static void AddModel(H5Group root, Model model, LayerRegistry registry, string path = "")
    {
        AddVars(root, path, model.Name);
        var graph = model.Graph;
        var entries = model.IsSequential
            ? [model.InputLayers[0], .. model.Layers]
            : model.LayerOrder.Select(id => graph.Layers[id]).ToList();
        var paths = KerasObjectPaths.Children([.. entries.Select(l => l.ClassName)], model.IsSequential, path);
        for (int i = 0; i < entries.Count; i++)
        {
            if (paths[i].Length == 0) continue;
            var layer = entries[i];
            if (layer is Model nested)
            {
                AddModel(root, nested, registry, paths[i]);
                continue;
            }
            AddVars(root, paths[i], layer.Name);
            var weights = layer.Weights;
            string[] roles = [.. weights.Select(w => w.Role)];
            var written = registry.Write(layer);
            foreach (var (sub, name) in KerasVariablePaths.SubObjects(layer.ClassName, roles, written)) AddVars(root, paths[i] + "/" + sub, name);
            var where = KerasVariablePaths.Of(layer.ClassName, roles, KerasVariablePaths.WrapsRecurrent(layer.ClassName, written));
            for (int k = 0; k < weights.Count; k++)
            {
                var full = paths[i] + "/" + where[k][0];
                int slash = full.LastIndexOf('/');
                var value = weights[k].Value;
                At(root, full[..slash])[full[(slash + 1)..]] = new H5Dataset(
                    value.Span.ToArray(), fileDims: [.. value.Shape.Select(d => (ulong)(d ?? 0))]);
            }
        }
    }
}
