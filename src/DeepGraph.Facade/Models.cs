using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Keras;

/// <summary>
/// Keras's <c>keras.models</c>: loading a saved model. The format is TensorFlow.js's layers model —
/// a <c>model.json</c> (the Keras topology and a weights manifest) and the binary weight files it names.
/// </summary>
/// <example><code>
/// Model model = Models.LoadModel("path/model.json");
/// Tensor[] ys = model.Predict(Tensor.FromArray(new float[2 * 28 * 28], [2, 28, 28, 1]));
/// model.Save("out/model.json");   // writes out/model.json and the weight file it names, out/model.weights.&lt;hash&gt;.bin
/// </code></example>
public static class Models
{
    /// <summary>
    /// The model saved at <paramref name="path"/> (a TF.js <c>model.json</c>; its weight files are
    /// read from the same folder), with a layer handle for each layer: a Sequential file gives a
    /// <see cref="Sequential"/>, a nested model gives a <see cref="Model"/> handle. The layers are
    /// new layers of the current session, as if the program had built them.
    /// </summary>
    /// <remarks>
    /// The files are untrusted input: the manifest and the weight files' lengths are checked before any
    /// weight is read, weight files must lie inside the model's folder (no absolute paths, no <c>..</c>,
    /// no symbolic link leading out), and nothing larger than the model's own weights is allocated.
    /// </remarks>
    /// <param name="path">The <c>model.json</c> file.</param>
    /// <param name="customObjects">Layer classes of the program's own to read in this load, besides the built-in ones and those
    /// registered with <see cref="Saving.RegisterKerasSerializable"/> (Keras's <c>custom_objects</c>); they take precedence.</param>
    /// <exception cref="ModelFormatError">The file is corrupt or truncated, a layer class is unknown (neither built in nor registered
    /// nor among <paramref name="customObjects"/>), a weight file is missing or lies outside the model's folder, or a weight is
    /// missing, extra or of the wrong size.</exception>
    /// <exception cref="IOException">The JSON file cannot be read.</exception>
    /// <exception cref="InsufficientMemoryException">The model's weights do not fit in memory.</exception>
    public static Model LoadModel(string path, IEnumerable<LayerKind>? customObjects = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(file)!;
        var core = TfjsModel.ReadStreams(File.ReadAllText(file), name => new FileStream(WeightFile(folder, name), FileMode.Open, FileAccess.Read,
            FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan), Saving.With(customObjects));
        return Wrap(core, []);
    }

    /// <summary>
    /// The weight file that the model JSON at <paramref name="path"/> names, in the same folder: the file to
    /// copy with it. <see cref="Model.Save"/> names it after its content, <c>stem.weights.&lt;16 hex&gt;.bin</c>
    /// (the first 16 hex digits of the weights' SHA-256); for a TF.js file with several shards, the first.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="ModelFormatError">The file is not valid JSON or its manifest names no weight file.</exception>
    public static string WeightsFileName(string path) => ModelFile.NamedWeightsFile(path);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> and its weights beside it, replacing the saved model as one step (<see cref="ModelFile"/>).</summary>
    internal static void Save(Model model, string path) => ModelFile.Save(model.CoreModel, path);

    /// <summary>
    /// A weight file named in the manifest, which must lie in the model's folder (or below it): a
    /// relative path without <c>..</c>, no part of which is a symbolic link leading out of the folder.
    /// </summary>
    private static string WeightFile(string folder, string name)
    {
        if (Path.IsPathRooted(name) || name.Split('/', '\\').Contains(".."))
            throw new ModelFormatError($"Weight file \"{name}\": the path leads outside the model's folder {folder}; weight paths are relative to it, without \"..\".");
        var root = Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar;
        var file = Path.GetFullPath(Path.Combine(folder, name));
        if (!file.StartsWith(root, StringComparison.Ordinal))
            throw new ModelFormatError($"Weight file \"{name}\": the path leads outside the model's folder {folder}.");
        // Each part below the folder that is a symbolic link must resolve inside the folder too.
        var realRoot = RealPath(folder);
        var part = Path.TrimEndingDirectorySeparator(folder);
        foreach (var segment in file[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            part = Path.Combine(part, segment);
            FileSystemInfo info = Directory.Exists(part) ? new DirectoryInfo(part) : new FileInfo(part);
            if (info.LinkTarget is null) continue;
            var target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (target is null || !RealPath(target).StartsWith(realRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ModelFormatError($"Weight file \"{name}\": \"{part}\" is a symbolic link leading outside the model's folder {folder}.");
        }
        return file;
    }

    /// <summary>The path with the symbolic links of its parts resolved (so that a folder reached through a link compares to its target).</summary>
    private static string RealPath(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.GetPathRoot(full) ?? "";
        var result = root;
        foreach (var segment in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            result = Path.Combine(result, segment);
            FileSystemInfo info = Directory.Exists(result) ? new DirectoryInfo(result) : new FileInfo(result);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target)
                result = Path.TrimEndingDirectorySeparator(target.FullName);
        }
        return result;
    }

    /// <summary>
    /// A facade model over <paramref name="core"/>: its calls replayed through new layer handles in
    /// the current session (new ids, the same records otherwise), so the result behaves as a model
    /// built in code — its layers can be called again, nested or trained.
    /// </summary>
    private static Model Wrap(Core.Model core, Dictionary<LayerId, Layer> handles)
    {
        Layer Handle(Core.Layer record)
        {
            if (!handles.TryGetValue(record.Id, out var handle))
                handles[record.Id] = handle = record is Core.Model nested ? Wrap(nested, handles)
                    : CustomLayer.Rebound(record) ?? new Layer(record with { Id = Layer.NewId() });
            return handle;
        }

        Model model;
        if (core.IsSequential)
        {
            var input = core.InputLayers[0];
            var sequential = new Sequential(name: core.Name);
            // One assembly for the whole stack: adding the layers one by one would rebuild the model per layer.
            // Lazily, so each handle (a nested model's is a whole replay) is made just before its call, as Add did.
            sequential.AddAll(core.Layers.Select(Handle).Prepend(Layers.Input(input.BatchShape, input.Name, input.DType).Layer));
            model = sequential;
        }
        else
        {
            var graph = core.Graph;
            var tensors = new Dictionary<TensorRef, KerasTensor>();
            foreach (var node in graph.Nodes)
            {
                var record = graph.Layers[node.Layer];
                IReadOnlyList<KerasTensor> outputs = record is InputLayer input
                    ? [Layers.Input(input.BatchShape, input.Name, input.DType)]
                    : Handle(record).CallMany([.. node.Inputs.Select(t => tensors[t])]);
                for (int k = 0; k < outputs.Count; k++) tensors[new TensorRef(graph.Scope, node.Id, k)] = outputs[k];
            }
            model = new Model([.. core.Inputs.Select(t => tensors[t])], [.. core.Outputs.Select(t => tensors[t])], core.Name);
        }
        if (!core.Trainable) model.Trainable = false;
        return model;
    }
}
