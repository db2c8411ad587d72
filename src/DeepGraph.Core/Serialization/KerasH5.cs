using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DeepGraph.Core;
using PureHDF;
using PureHDF.VOL.Native;

namespace DeepGraph.Serialization;

/// <summary>
/// Keras's legacy HDF5 files: the full model (<c>model.save("m.h5")</c>: the root attribute
/// <c>model_config</c>, weights under <c>model_weights</c>) and the weights-only file of
/// <c>save_weights</c> read with the JSON of <c>model.to_json()</c>.
/// </summary>
/// <remarks>
/// <para>Reading takes Keras 2.0–2.x and tf.keras 2.x files: the config is the root attribute
/// <c>model_config</c> (Keras 2's schema), each layer's weights sit in the group named after it
/// (under <c>model_weights</c>, or at the root of a weights-only file), listed by the group's
/// <c>weight_names</c> attribute in the order the layer declares them. A weight is matched to the
/// layer's weight by name (<c>dense/kernel:0</c>, tf.keras's cell-scoped <c>lstm/lstm_cell/kernel:0</c>,
/// a nested model's <c>inner_dense/kernel:0</c> in the nested model's group); a layer whose names do
/// not follow its own name (Keras renames a layer's variables <c>conv_1/…</c> when the name was
/// taken) takes its group's weights in order, as Keras loads them. String attributes may be
/// fixed- or variable-length; a layer without weights stores <c>weight_names</c> as an empty float64
/// array. Weights may be float32 or float64. A file written with the Theano backend that has
/// convolution kernels is refused (Keras 2 flips those kernels on loading; DeepGraph does not).</para>
/// <para>The file is untrusted: attributes and dataset shapes are read and checked against what each
/// layer needs before any weight data is read (their declared bytes must fit in the file, so a small file
/// cannot make the reader allocate much), objects reached through HDF5 external links or stored as virtual
/// datasets (data in other files) are refused, and nothing is returned half-loaded. Every failure is a
/// <see cref="ModelFormatError"/> (an unknown layer class an <see cref="UnsupportedLayerError"/>).</para>
/// <para>Writing emits tf.keras 2.x's layout (see <see cref="Write"/>).</para>
/// </remarks>
public static class KerasH5
{
    /// <summary>The <c>keras_version</c> written: the config follows tf.keras 2.15's Keras 2 schema.</summary>
    internal const string WrittenKerasVersion = "2.15.0";

    /// <summary>The <c>backend</c> written.</summary>
    internal const string WrittenBackend = "tensorflow";

    /// <summary>The model a legacy full-model <c>.h5</c> holds.</summary>
    /// <param name="stream">The file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The file is not a Keras model or cannot be read.</exception>
    /// <exception cref="InsufficientMemoryException">The model's weights, which the file does hold, do not fit in memory.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> cannot read or seek.</exception>
    public static KerasFileContents Read(Stream stream, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return Guard("The .h5 file", () =>
        {
            long start = stream.CanSeek ? stream.Position : 0;
            using var file = Open(stream, "The .h5 file");
            var configText = StringAttribute(file, "model_config", "the file")
                ?? throw new ModelFormatError(
                    "The .h5 file has no root attribute \"model_config\": it is not a Keras full-model file" +
                    (file.AttributeExists("layer_names") ? " (it is a weights-only file of save_weights; read it with the model's JSON)." : "."));
            var version = StringAttribute(file, "keras_version", "the file");
            var backend = StringAttribute(file, "backend", "the file");
            JsonObject? training = null;
            if (StringAttribute(file, "training_config", "the file") is { } trainingText)
                training = ParseJson(trainingText, "The root attribute \"training_config\"") as JsonObject
                    ?? throw new ModelFormatError("The root attribute \"training_config\" is not a JSON object.");
            if (!file.LinkExists("model_weights"))
                throw new ModelFormatError("The .h5 file has a \"model_config\" but no \"model_weights\" group: the weights are missing.");
            var weightsGroup = Group(file, "model_weights", "the file");
            var model = ReadModel(configText, "model_config", weightsGroup, "model_weights", stream.Length, version, backend, registry);
            return new KerasFileContents(model, "h5", version, training, null, DescribeOptimizer(file, () =>
            {
                // Read again later from the file's start, as the first open did.
                stream.Position = start;
                return Open(stream, "The .h5 file");
            }));
        });
    }

    /// <summary>The model <paramref name="modelJson"/> (Keras's <c>model.to_json()</c>) describes, with the weights of a <c>save_weights</c> HDF5 file.</summary>
    /// <param name="modelJson">The JSON text.</param>
    /// <param name="weights">The weights file, readable and seekable.</param>
    /// <param name="registry">The layer classes read (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">The JSON or the weights cannot be read, or they do not match.</exception>
    /// <exception cref="InsufficientMemoryException">The model's weights, which the file does hold, do not fit in memory.</exception>
    /// <exception cref="ArgumentException"><paramref name="weights"/> cannot read or seek.</exception>
    /// <remarks>The weights file may be Keras 2's and tf.keras's <c>save_weights</c> layout (groups by layer name, <c>layer_names</c>),
    /// Keras 3's (<c>save_weights("….weights.h5")</c>: groups by object path, as in a <c>.keras</c> file), or a full-model
    /// <c>.h5</c> (its <c>model_weights</c> group), as Keras takes it.</remarks>
    public static KerasFileContents ReadJsonAndWeights(string modelJson, Stream weights, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(modelJson);
        ArgumentNullException.ThrowIfNull(weights);
        return Guard("The weights file", () =>
        {
            var json = ParseJson(modelJson, "The model JSON");
            string? jsonVersion = (json as JsonObject)?["keras_version"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
            using var file = Open(weights, "The weights file");
            if (!file.AttributeExists("layer_names") && !file.LinkExists("model_weights")
                && (file.LinkExists("layers") || file.LinkExists("vars") || file.LinkExists("_layer_checkpoint_dependencies")))
            {
                // Keras 3's save_weights ("….weights.h5"): groups by object path, as in a .keras file.
                var config = LayerConfig.Of(json, "The model JSON");
                return new KerasFileContents(KerasArchive.ReadModel(config, "The model JSON", file, "the weights file", weights.Length, jsonVersion, registry),
                    "json+h5", jsonVersion);
            }
            IH5Group root = file;
            string rootName = "the weights file";
            if (!file.AttributeExists("layer_names") && file.LinkExists("model_weights"))
            {
                root = Group(file, "model_weights", "the weights file");
                rootName = "model_weights";
            }
            var version = jsonVersion ?? StringAttribute(root, "keras_version", rootName);
            var backend = StringAttribute(root, "backend", rootName) ?? StringAttribute(file, "backend", "the weights file");
            var model = ReadModel(modelJson, "The model JSON", root, rootName, weights.Length, version, backend, registry);
            return new KerasFileContents(model, "json+h5", version);
        });
    }

    /// <summary>
    /// The optimizer's variables a legacy <c>.h5</c> holds in <c>optimizer_weights</c> (listed by its <c>weight_names</c>), described
    /// without reading their data; null when there are none. A group not laid out so is described with the problem, which makes the state unused.
    /// </summary>
    private static SavedOptimizerState? DescribeOptimizer(NativeFile file, Func<NativeFile> open)
    {
        try
        {
            if (!file.LinkExists("optimizer_weights")) return null;
            var group = Group(file, "optimizer_weights", "the file");
            var names = StringsAttribute(group, "weight_names", "optimizer_weights");
            if (names.Length == 0) return null;
            if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
                return new SavedOptimizerState("h5", [], "\"optimizer_weights\" lists a name twice", open);
            return SavedOptimizerState.Describe("h5", file, "optimizer_weights", names, open);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not InsufficientMemoryException)
        {
            return new SavedOptimizerState("h5", [], $"\"optimizer_weights\" could not be read ({e.Message})", open);
        }
    }

    /// <summary>Writes <paramref name="model"/> as a legacy full-model <c>.h5</c> to <paramref name="stream"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">Where the file goes, writable.</param>
    /// <param name="trainingConfig">The root attribute <c>training_config</c> to write (Keras 2's schema), or null for an uncompiled model.</param>
    /// <param name="registry">The layer classes written (default <see cref="LayerRegistry.Default"/>).</param>
    /// <exception cref="ModelFormatError">A layer has no Keras form.</exception>
    /// <remarks>
    /// The layout is tf.keras 2.x's: root attributes <c>keras_version</c> (<c>2.15.0</c>: the config follows its Keras 2
    /// schema), <c>backend</c> (<c>tensorflow</c>), <c>model_config</c> (the model's Keras 2 JSON, a Sequential's layers led by
    /// its <c>InputLayer</c>) and, when given, <c>training_config</c>; a group <c>model_weights</c> with attributes
    /// <c>layer_names</c> (the model's layers in order; a Sequential's input layer is not one of them), <c>backend</c> and
    /// <c>keras_version</c>, and per layer a group with attribute <c>weight_names</c> (<c>dense/kernel:0</c>; a recurrent
    /// layer's are cell-scoped, <c>lstm/lstm_cell/kernel:0</c>; a nested model's group holds its layers' weights, trainable
    /// ones first) and a float32 dataset at each name's path. Deviations from Keras's bytes: strings are written as
    /// variable-length UTF-8 (tf.keras writes fixed-length ASCII; h5py and Keras read both), a weightless layer's
    /// <c>weight_names</c> is an empty float64 array as Keras writes it, and the HDF5 object layout is PureHDF's rather than
    /// libhdf5's. The optimizer's state, when given, goes in <c>optimizer_weights</c> in tf.keras 2.0–2.10's (OptimizerV2's)
    /// names and order (<see cref="KerasOptimizerState"/>): <c>Adam/iter:0</c> (int64), then slot by slot
    /// <c>Adam/dense/kernel/m:0</c> …; tf.keras 2.11+ and Keras 3 lay their optimizers' variables out otherwise and may not restore it.
    /// </remarks>
    /// <param name="optimizerState">The optimizer and its state, or null to write none.</param>
    public static void Write(Model model, Stream stream, JsonObject? trainingConfig = null, LayerRegistry? registry = null,
        (Optimizer Optimizer, OptimizerSnapshot State)? optimizerState = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        registry ??= LayerRegistry.Default;
        var modelConfig = new JsonObject
        {
            ["class_name"] = model.IsSequential ? "Sequential" : "Functional",
            ["config"] = TfjsModel.ModelConfig(model, registry, inputEntry: true),
        };
        var file = new H5File
        {
            ["model_weights"] = WeightsGroup(model, registry),
        };
        file.Attributes["keras_version"] = WrittenKerasVersion;
        file.Attributes["backend"] = WrittenBackend;
        file.Attributes["model_config"] = modelConfig.ToJsonString();
        if (trainingConfig is not null) file.Attributes["training_config"] = trainingConfig.ToJsonString();
        if (optimizerState is var (optimizer, state))
        {
            var reg = registry;
            var variables = KerasOptimizerState.H5Variables(optimizer, model, state, w => WeightName(w, reg));
            var group = new H5Group();
            group.Attributes["weight_names"] = variables.Select(v => v.Name).ToArray();
            foreach (var (name, shape, values) in variables)
                Put(group, name, KerasArchive.Dataset(shape, values), $"Model \"{model.Name}\" cannot be written: optimizer variable \"{name}\" clashes with another's path.");
            file["optimizer_weights"] = group;
        }
        file.Write(stream);
    }

    // ---- writing -------------------------------------------------------------------------

    /// <summary>
    /// Puts <paramref name="dataset"/> at the slash-separated <paramref name="path"/> below <paramref name="root"/>, making the
    /// groups on the way; a path that runs through a dataset or ends on an existing entry is refused with <paramref name="clash"/>.
    /// </summary>
    private static void Put(H5Group root, string path, H5Dataset dataset, string clash)
    {
        var parts = path.Split('/');
        var at = root;
        for (int i = 0; i < parts.Length - 1; i++)
        {
            if (!at.TryGetValue(parts[i], out var next)) at[parts[i]] = next = new H5Group();
            at = next as H5Group ?? throw new ModelFormatError(clash);
        }
        if (at.ContainsKey(parts[^1])) throw new ModelFormatError(clash);
        at[parts[^1]] = dataset;
    }

    /// <summary>The layers Keras lists in <c>layer_names</c>: a Functional model's in order (inputs included), a Sequential's without its input.</summary>
    private static IEnumerable<Layer> TopLayers(Model model) =>
        model.IsSequential ? model.Layers : model.LayerOrder.Select(id => model.Graph.Layers[id]);

    private static H5Group WeightsGroup(Model model, LayerRegistry registry)
    {
        var layers = TopLayers(model).ToList();
        foreach (var g in layers.GroupBy(l => l.Name).Where(g => g.Count() > 1))
            throw new ModelFormatError($"Model \"{model.Name}\" cannot be written: the layer name \"{g.Key}\" is used {g.Count()} times; layer names must be unique.");
        var group = new H5Group();
        foreach (var layer in layers)
        {
            var (trainable, frozen) = TfjsModel.WeightOrder(layer);
            var weights = trainable.Concat(frozen).Select(w => (Name: CellScoped(layer, registry, w.Name) + ":0", w.Value)).ToList();
            foreach (var dup in weights.GroupBy(w => w.Name).Where(d => d.Count() > 1))
                throw new ModelFormatError($"Model \"{model.Name}\" cannot be written: weight name \"{dup.Key}\" would be used {dup.Count()} times in layer \"{layer.Name}\". Layer names must be unique across the model and its nested models.");
            var layerGroup = new H5Group();
            layerGroup.Attributes["weight_names"] = weights.Count == 0 ? Array.Empty<double>() : weights.Select(w => w.Name).ToArray();
            foreach (var (name, value) in weights)
                Put(layerGroup, name, new H5Dataset(value.Span.ToArray(), fileDims: [.. value.Shape.Select(d => (ulong)d!.Value)]),
                    $"Model \"{model.Name}\" cannot be written: weight \"{name}\" of layer \"{layer.Name}\" clashes with another weight's path.");
            group[layer.Name] = layerGroup;
        }
        group.Attributes["layer_names"] = layers.Select(l => l.Name).ToArray();
        group.Attributes["backend"] = WrittenBackend;
        group.Attributes["keras_version"] = WrittenKerasVersion;
        return group;
    }

    /// <summary>tf.keras 2.x's name of a recurrent layer's weight (<c>lstm/lstm_cell/kernel</c>, <c>bidirectional/forward_lstm/lstm_cell/kernel</c>).
    /// The cell is told by the class names, the layer's own or (for a wrapper) the wrapped layer's in its config, so
    /// no layer type is named here.</summary>
    private static string CellScoped(Layer layer, LayerRegistry registry, string name)
    {
        var cell = Cell(layer.ClassName);
        if (cell is null && layer.ClassName == "Bidirectional"
            && registry.Write(layer)["layer"]?["class_name"] is JsonValue inner && inner.TryGetValue<string>(out var innerClass))
            cell = Cell(innerClass);
        if (cell is null) return name;
        int slash = name.LastIndexOf('/');
        return slash < 0 ? name : $"{name[..slash]}/{cell}{name[slash..]}";
    }

    /// <summary>A trainable weight's name in <c>model_weights</c> as the writer gives it, without <c>:0</c> (<c>dense/kernel</c>, <c>lstm/lstm_cell/kernel</c>).</summary>
    internal static string WeightName(TrainableWeight weight, LayerRegistry registry) => CellScoped(weight.Layer, registry, $"{weight.Layer.Name}/{weight.Role}");

    private static string? Cell(string className) => className switch
    {
        "LSTM" => "lstm_cell",
        "GRU" => "gru_cell",
        "SimpleRNN" => "simple_rnn_cell",
        _ => null,
    };

    // ---- reading -------------------------------------------------------------------------

    /// <summary>Runs <paramref name="read"/>, turning whatever PureHDF or a layer throws into a <see cref="ModelFormatError"/>.</summary>
    private static T Guard<T>(string what, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not ModelFormatError and not InsufficientMemoryException)
        {
            // PureHDF sizes its buffers from the file's metadata: a corrupt size shows as an OutOfMemoryException
            // ("array dimensions exceeded"), a corrupt structure as any exception; both are the file's fault.
            throw new ModelFormatError($"{what} could not be read (corrupt, truncated or not a Keras HDF5 file): {e.Message}", e);
        }
    }

    private static NativeFile Open(Stream stream, string what)
    {
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException($"{what} must be readable and seekable.", nameof(stream));
        try
        {
            return H5File.Open(stream, leaveOpen: true);
        }
        catch (Exception e)
        {
            throw new ModelFormatError($"{what} is not an HDF5 file (or is corrupt or truncated): {e.Message}", e);
        }
    }

    private static JsonNode? ParseJson(string text, string what)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new ModelFormatError($"{what} is not valid JSON (corrupt or truncated): {e.Message}", e);
        }
    }

    private static Model ReadModel(string configText, string where, IH5Group weightsRoot, string rootName, long fileLength, string? version, string? backend, LayerRegistry? registry)
    {
        var root = LayerConfig.Of(ParseJson(configText, where), where);
        var className = root.String("class_name");
        bool keras3 = (version ?? "").StartsWith("3.", StringComparison.Ordinal) || root.Has("module");
        var weights = H5Weights.Read(weightsRoot, rootName, backend, fileLength);
        var model = new KerasModelReader(weights, keras3, registry ?? LayerRegistry.Default, version).ReadModel(className, root["config"], null, where);
        weights.CheckAllTaken();
        weights.Fill();
        return model;
    }

    /// <summary>A string attribute of <paramref name="owner"/> (fixed- or variable-length, scalar or a one-element array), or null when absent.</summary>
    internal static string? StringAttribute(IH5Object owner, string name, string ownerName)
    {
        if (!owner.AttributeExists(name)) return null;
        var attribute = owner.Attribute(name);
        var type = attribute.Type;
        if (type.Class is not (H5DataTypeClass.String or H5DataTypeClass.VariableLength))
            throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} is not a string (it is of HDF5 class {type.Class}).");
        CheckStringSize(type, name, ownerName);
        var dims = attribute.Space.Dimensions;
        if (dims.Length > 1 || (dims.Length == 1 && dims[0] != 1))
            throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} is not one string (its shape is [{string.Join(", ", dims)}]).");
        string? text = dims.Length == 0 ? attribute.Read<string>() : attribute.Read<string[]>()[0];
        return text ?? throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} holds no string; the file is corrupt.");
    }

    /// <summary>A list-of-strings attribute (<c>layer_names</c>, <c>weight_names</c>): strings, or an empty numeric array.</summary>
    internal static string[] StringsAttribute(IH5Object owner, string name, string ownerName)
    {
        if (!owner.AttributeExists(name))
            throw new ModelFormatError($"{char.ToUpperInvariant(ownerName[0])}{ownerName[1..]} has no attribute \"{name}\".");
        var attribute = owner.Attribute(name);
        var dims = attribute.Space.Dimensions;
        if (dims.Length > 1)
            throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} is not a list (its shape is [{string.Join(", ", dims)}]).");
        ulong count = dims.Length == 0 ? 1 : dims[0];
        var type = attribute.Type;
        if (type.Class is H5DataTypeClass.String or H5DataTypeClass.VariableLength)
        {
            CheckStringSize(type, name, ownerName);
            if (count > 1_000_000)
                throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} lists {count} names; a model this large cannot be read.");
            string?[] names = dims.Length == 0 ? [attribute.Read<string>()] : attribute.Read<string[]>();
            if (Array.IndexOf(names, null) is int missing and >= 0)
                throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} has no string at position {missing}; the file is corrupt.");
            return names!;
        }
        if (count == 0) return []; // Keras writes a weightless layer's weight_names as an empty float64 array
        throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} is not a list of strings (it is of HDF5 class {type.Class}).");
    }

    /// <summary>Refuses a fixed-length string type longer than any Keras attribute (a corrupt size would make PureHDF allocate it).</summary>
    private static void CheckStringSize(IH5DataType type, string name, string ownerName)
    {
        if (type.Class == H5DataTypeClass.String && type.Size > 1 << 26)
            throw new ModelFormatError($"The attribute \"{name}\" of {ownerName} declares strings of {type.Size} bytes; the file is corrupt.");
    }

    /// <summary>The group <paramref name="name"/> (one link name, no path) of <paramref name="parent"/>.</summary>
    internal static IH5Group Group(IH5Group parent, string name, string parentName)
    {
        CheckLinkName(name, parentName);
        if (!parent.LinkExists(name))
            throw new ModelFormatError($"{char.ToUpperInvariant(parentName[0])}{parentName[1..]} has no group \"{name}\".");
        var child = parent.Get(name);
        CheckInFile(child, parent, $"\"{name}\" in {parentName}");
        return child as IH5Group
            ?? throw new ModelFormatError($"\"{name}\" in {parentName} is not a group.");
    }

    // PureHDF follows HDF5 external links (to any file path, absolute ones included) and says nothing about it; the
    // file an object was read from is only known to its internal reference. These are read once, immutable.
    private static readonly PropertyInfo? ReferenceProperty = typeof(NativeObject).GetProperty("Reference", BindingFlags.NonPublic | BindingFlags.Instance);
    private static readonly PropertyInfo? FileProperty = ReferenceProperty?.PropertyType.GetProperty("File", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance);

    /// <summary>
    /// Refuses <paramref name="child"/> unless it lives in the same file as <paramref name="parent"/>: an external link
    /// would make the model's weights come from another file on the machine.
    /// </summary>
    internal static void CheckInFile(IH5Object child, IH5Object parent, string what)
    {
        if (ReferenceProperty is null || FileProperty is null)
            throw new ModelFormatError("This PureHDF version does not let DeepGraph check that a file's objects are its own; .h5 files cannot be read safely with it.");
        var reference = ReferenceProperty;
        var file = FileProperty;
        object? FileOf(IH5Object o) => o is NativeObject && reference.GetValue(o) is { } r ? file.GetValue(r) : null;
        var own = FileOf(parent);
        if (own is null || !ReferenceEquals(FileOf(child), own))
            throw new ModelFormatError($"{what} is an external link to another file; DeepGraph reads only what the file itself holds.");
    }

    /// <summary>Checks that a name read from the file is one HDF5 link name (no path, no <c>.</c> or <c>..</c>).</summary>
    internal static void CheckLinkName(string name, string where)
    {
        if (name.Length == 0 || name.Contains('/') || name is "." or ".." || name.Contains('\0'))
            throw new ModelFormatError($"{char.ToUpperInvariant(where[0])}{where[1..]}: \"{name}\" is not a layer or weight name (empty, a path, or \".\"/\"..\").");
    }
}
