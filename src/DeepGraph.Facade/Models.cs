using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Keras;

/// <summary>
/// Keras's <c>keras.models</c>: loading a saved model. Every format Keras writes is read, told by the
/// file's bytes rather than its name: Keras 3's <c>.keras</c> zip, the legacy HDF5 <c>.h5</c> full model
/// (Keras 2.x, tf.keras, Keras 3), TensorFlow.js's layers model (a <c>model.json</c> and the weight files it
/// names), and Keras JSON from <c>model.to_json()</c> with a <c>save_weights</c> HDF5 file.
/// </summary>
/// <example><code>
/// Model model = Models.LoadModel("path/model.keras");
/// Tensor[] ys = model.Predict(Tensor.FromArray(new float[2 * 28 * 28], [2, 28, 28, 1]));
/// model.Save("out/model.h5");     // by extension: .keras, .h5 or .json (TF.js)
/// </code></example>
public static class Models
{
    /// <summary>
    /// The model saved at <paramref name="path"/>, with a layer handle for each layer: a Sequential file gives a
    /// <see cref="Sequential"/>, a nested model gives a <see cref="Model"/> handle. The layers are new layers of
    /// the current session, as if the program had built them. The format is told by the file's first bytes, not its
    /// name: a zip is a Keras 3 <c>.keras</c> archive, an HDF5 file (its signature at offset 0, or after a user
    /// block of 512, 1024, 2048 … bytes) a legacy full-model <c>.h5</c>, JSON a TensorFlow.js <c>model.json</c>
    /// whose weight files are read from the same folder. Keras JSON from <c>model.to_json()</c> holds no weights:
    /// load it with <see cref="LoadModel(string, string, IEnumerable{LayerKind}?, bool)"/>.
    /// </summary>
    /// <remarks>
    /// <para>The files are untrusted input: declared shapes are checked before any weight is read, weight files
    /// must lie inside the model's folder (no absolute paths, no <c>..</c>, no symbolic link leading out), nothing
    /// larger than the model's own weights is allocated, and nothing half-loaded is returned.</para>
    /// <para>A Keras file's compile settings (a legacy <c>training_config</c> or Keras 3's <c>compile_config</c>)
    /// compile the loaded model when its optimizer and losses are ones DeepGraph has; otherwise the model loads
    /// uncompiled and <see cref="Model.LoadWarnings"/> says why. With <paramref name="compile"/> false (Keras's
    /// <c>load_model(path, compile=False)</c>) they are not read at all: the model loads uncompiled, without warnings about them.</para>
    /// </remarks>
    /// <param name="path">The model file: <c>.keras</c>, <c>.h5</c> or TF.js's <c>model.json</c> (any name).</param>
    /// <param name="customObjects">Layer classes of the program's own to read in this load, besides the built-in ones and those
    /// registered with <see cref="Saving.RegisterKerasSerializable"/> (Keras's <c>custom_objects</c>); they take precedence.</param>
    /// <param name="verify">Runs the test case stored beside the model (<c>path.io.json</c> and <c>path.io.bin</c>, as
    /// <see cref="Model.Save(string, string?, IReadOnlyList{Tensor}?)"/> writes with <c>testCase:</c>) and throws if the outputs differ.</param>
    /// <param name="compile">Compile the model from the file's compile settings (the default, as Keras's <c>compile=True</c>); false loads it
    /// uncompiled and ignores them, as Keras's <c>load_model(path, compile=False)</c> — call <c>Compile</c> before training it.</param>
    /// <exception cref="ModelFormatError">The file is none of the formats, is corrupt or truncated, a weight is missing, extra or of the
    /// wrong size, a weight file lies outside the model's folder, <paramref name="path"/> is a folder (a TensorFlow SavedModel); or <paramref name="verify"/> is set and there is no readable test case.</exception>
    /// <exception cref="UnsupportedLayerError">The file uses a layer class DeepGraph lacks (neither built in nor registered nor among
    /// <paramref name="customObjects"/>); the error names the layer, its class and the Keras version.</exception>
    /// <exception cref="ModelVerificationError"><paramref name="verify"/> is set and an output differs from the test case's.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="InsufficientMemoryException">The model's weights do not fit in memory.</exception>
    public static Model LoadModel(string path, IEnumerable<LayerKind>? customObjects = null, bool verify = false, bool compile = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = Path.GetFullPath(path);
        if (Directory.Exists(file))
            throw new ModelFormatError($"{path} is a folder, not a model file" +
                (File.Exists(Path.Combine(file, "saved_model.pb")) ? " (a TensorFlow SavedModel, which DeepGraph does not read)" : "") +
                ": give the path of a .keras, .h5 or TF.js model.json file; in Python, save the model with model.save(\"m.keras\") or model.save(\"m.h5\").");
        var registry = Saving.With(customObjects);
        KerasFileContents contents;
        // The stream stays open until the model is finished: a legacy .h5's optimizer state is read from it once it is known to fit.
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.RandomAccess))
        {
            contents = ModelFormats.Sniff(stream) switch
            {
                ModelFormats.Kind.Zip => Guard(() => KerasArchive.Read(stream, registry), path),
                ModelFormats.Kind.Hdf5 => Guard(() => KerasH5.Read(stream, registry), path),
                ModelFormats.Kind.Json => ReadJson(file, path, stream, registry),
                _ => throw new ModelFormatError($"{path} is not a model file DeepGraph reads: its first bytes are neither a zip (Keras 3's .keras), " +
                    "HDF5 (a legacy Keras .h5) nor JSON (a TensorFlow.js model.json). Save the model in Python with model.save(\"m.keras\") or model.save(\"m.h5\")."),
            };
            return Finish(contents, path, verify, compile, registry);
        }
    }

    /// <summary>
    /// The model that <paramref name="jsonPath"/> (Keras's <c>model.to_json()</c>) describes, with the weights of
    /// <paramref name="weightsPath"/> (an HDF5 file from <c>model.save_weights("w.h5")</c>, Keras 2's or tf.keras's layout:
    /// groups per layer with <c>weight_names</c>), as <see cref="LoadModel(string, IEnumerable{LayerKind}?, bool, bool)"/> gives it.
    /// </summary>
    /// <param name="jsonPath">The JSON file.</param>
    /// <param name="weightsPath">The weights file.</param>
    /// <param name="customObjects">Layer classes of the program's own to read in this load (Keras's <c>custom_objects</c>).</param>
    /// <param name="verify">Runs the test case stored beside the JSON (<c>jsonPath.io.json</c> and <c>.io.bin</c>) and throws if the outputs differ.</param>
    /// <exception cref="ModelFormatError">The JSON is not a Keras model config, the weights file is not HDF5, or they do not match.</exception>
    /// <exception cref="UnsupportedLayerError">The config uses a layer class DeepGraph lacks.</exception>
    /// <exception cref="ModelVerificationError"><paramref name="verify"/> is set and an output differs from the test case's.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static Model LoadModel(string jsonPath, string weightsPath, IEnumerable<LayerKind>? customObjects = null, bool verify = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(jsonPath);
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        var registry = Saving.With(customObjects);
        var json = File.ReadAllText(Path.GetFullPath(jsonPath));
        KerasFileContents contents;
        using (var weights = new FileStream(Path.GetFullPath(weightsPath), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16, FileOptions.RandomAccess))
        {
            if (ModelFormats.Sniff(weights) != ModelFormats.Kind.Hdf5)
                throw new ModelFormatError($"{weightsPath} is not an HDF5 file: LoadModel(jsonPath, weightsPath) reads Keras JSON (model.to_json()) with the weights of model.save_weights(\"w.h5\").");
            contents = Guard(() => KerasH5.ReadJsonAndWeights(json, weights, registry), jsonPath);
        }
        return Finish(contents, jsonPath, verify, compile: true, registry);
    }

    /// <summary>A TF.js <c>model.json</c>, or Keras's bare <c>to_json()</c> config (refused here: its weights are elsewhere).</summary>
    private static KerasFileContents ReadJson(string file, string path, Stream stream, LayerRegistry registry)
    {
        string text;
        stream.Position = 0;
        using (var reader = new StreamReader(stream, leaveOpen: true)) text = reader.ReadToEnd();
        if (ModelFormats.IsBareKerasConfig(text))
            throw new ModelFormatError($"{path} is Keras JSON from model.to_json(): it describes the model but holds no weights. " +
                "Load it with its weights file: Models.LoadModel(jsonPath, weightsPath), the weights saved in Python with model.save_weights(\"w.h5\"); " +
                "or save the whole model with model.save(\"m.keras\").");
        var folder = Path.GetDirectoryName(file)!;
        var core = TfjsModel.ReadStreams(text, name => new FileStream(WeightFile(folder, name), FileMode.Open, FileAccess.Read,
            FileShare.Read, bufferSize: 1 << 16, FileOptions.SequentialScan), registry);
        return new KerasFileContents(core, "tfjs", null);
    }

    /// <summary>Runs a container's reader, letting only the documented error types out (a reader's unforeseen failure becomes a <see cref="ModelFormatError"/>).</summary>
    private static KerasFileContents Guard(Func<KerasFileContents> read, string path)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not ModelFormatError and not OutOfMemoryException and not InsufficientMemoryException and not NotImplementedException)
        {
            throw new ModelFormatError($"{path} could not be read: {e.Message}", e);
        }
        catch (ModelFormatError e) when (e.GetType() == typeof(ModelFormatError) && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            // A container's reader sees a stream, not a path: its message is given the file it is about.
            var message = $"{path}: {e.Message}";
            throw e.InnerException is { } inner ? new ModelFormatError(message, inner) : new ModelFormatError(message);
        }
    }

    /// <summary>The facade model of a file's contents, compiled from its settings where they are known, verified if asked.</summary>
    private static Model Finish(KerasFileContents contents, string path, bool verify, bool compile, LayerRegistry registry)
    {
        var model = Wrap(contents.Model, []);
        var warnings = new List<string>();
        if (compile) KerasCompileConfig.Apply(model, contents.TrainingConfig, contents.CompileConfig, warnings);
        if (compile && contents.OptimizerState is { } saved && model.Optimizer is { } optimizer)
            RestoreOptimizer(model, optimizer, saved, registry, warnings);
        model.LoadWarnings = warnings.AsReadOnly();
        if (verify) TestCases.Verify(model, path);
        return model;
    }

    /// <summary>
    /// Restores the optimizer state a file holds into <paramref name="model"/>, compiled from the file with <paramref name="optimizer"/>,
    /// when its variables fit that optimizer over the model's trainable weights (checked before any data is read); otherwise the
    /// model keeps a fresh optimizer state and a load warning says why, as Keras warns and skips the optimizer's variables.
    /// </summary>
    private static void RestoreOptimizer(Model model, Core.Optimizer optimizer, SavedOptimizerState saved, LayerRegistry registry, List<string> warnings)
    {
        var core = model.CoreModel;
        OptimizerSnapshot? snapshot;
        string? why;
        OptimizerState? state = null;
        try
        {
            (snapshot, why) = KerasOptimizerState.Read(saved, optimizer, core, registry);
            if (snapshot is not null) (state, why) = OptimizerVariables.Restore(optimizer, core, snapshot);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not InsufficientMemoryException)
        {
            // The state is an extra: whatever goes wrong reading it leaves the loaded model as it is, with a fresh state.
            (snapshot, why) = (null, e.Message);
        }
        if (state is null)
        {
            warnings.Add($"The file's optimizer state was not restored ({why}); training starts with a fresh {optimizer.Name} state.");
            return;
        }
        model.RestoreOptimizer(state, snapshot!.LearningRate);
    }

    /// <summary>
    /// The weight file that the model JSON at <paramref name="path"/> names, in the same folder: the file to
    /// copy with it. <see cref="Model.Save(string, string?, IReadOnlyList{Tensor}?)"/> names it after its content, <c>stem.weights.&lt;16 hex&gt;.bin</c>
    /// (the first 16 hex digits of the weights' SHA-256); for a TF.js file with several shards, the first.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="ModelFormatError">The file is not valid JSON or its manifest names no weight file.</exception>
    public static string WeightsFileName(string path) => ModelFile.NamedWeightsFile(path);

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> in the format asked or the extension's, as one step, and its test case if given.</summary>
    internal static void Save(Model model, string path, string? format, IReadOnlyList<Tensor>? testCase)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var kind = ModelFile.CheckPath(path, "Model.Save", nameof(path), format);
        var core = model.CoreModel;
        // The test case is computed before anything is written, so inputs that do not fit leave the path as it was.
        var testFiles = testCase is null ? ((byte[], byte[])?)null : TestCases.Make(model, testCase, Path.GetFileName(path), kind);
        var registry = Saving.Registry;
        switch (kind)
        {
            case "keras":
                var compileConfig = KerasCompileConfig.ToCompileConfig(model);
                var kerasState = compileConfig is null ? null : OptimizerToSave(model, core);
                ModelFile.SaveFile(path, stream => KerasArchive.Write(core, stream, compileConfig, registry, kerasState));
                break;
            case "h5":
                var trainingConfig = KerasCompileConfig.ToTrainingConfig(model);
                var h5State = trainingConfig is null ? null : OptimizerToSave(model, core);
                ModelFile.SaveFile(path, stream => KerasH5.Write(core, stream, trainingConfig, registry, h5State));
                break;
            default:
                ModelFile.Save(core, path);
                break;
        }
        var full = Path.GetFullPath(path);
        if (testFiles is { } files)
        {
            ModelFile.SaveFile(TestCases.BinPath(full), files.Item2);
            ModelFile.SaveFile(TestCases.JsonPath(full), files.Item1);
        }
        else
        {
            ModelFile.Remove(TestCases.JsonPath(full));
            ModelFile.Remove(TestCases.BinPath(full));
        }
    }

    /// <summary>The optimizer and its state over <paramref name="core"/>'s trainable weights when the model has trained (Keras saves its optimizer's variables), else null.</summary>
    private static (Core.Optimizer, OptimizerSnapshot)? OptimizerToSave(Model model, Core.Model core) =>
        model.TrainedOptimizer is var (optimizer, state) ? (optimizer, OptimizerVariables.Snapshot(optimizer, state, core)) : null;

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
