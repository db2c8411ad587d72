using DeepGraph.Core;
using PureHDF;

namespace DeepGraph.Serialization;

/// <summary>
/// The weights of a Keras legacy HDF5 file (the <c>model_weights</c> group of a full-model file, or the
/// root of a <c>save_weights</c> file): a group per layer named in the attribute <c>layer_names</c>, whose
/// attribute <c>weight_names</c> lists its weights in the order the layer declares them, each a dataset at
/// that path in the group. <see cref="Read"/> reads the names, shapes and types only; <see cref="Take"/>
/// checks a layer's weights against what it needs and allocates them; <see cref="Fill"/> reads the data
/// once every layer is built and <see cref="CheckAllTaken"/> found nothing left over.
/// </summary>
internal sealed class H5Weights : IWeightSource
{
    /// <summary>The classes whose kernels Keras 2 flips when the file was written with Theano.</summary>
    private static readonly HashSet<string> ConvolutionClasses = new(StringComparer.Ordinal)
    {
        "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "Convolution1D", "Convolution2D", "Convolution3D", "Deconvolution2D",
        "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D", "ConvLSTM2D",
    };

    private readonly Dictionary<string, List<Entry>> groups;
    private readonly List<string> order;
    private readonly string rootName;
    private readonly string? backend;

    private sealed class Entry(string group, string name, IH5Dataset dataset, Shape shape, long count, bool float64, bool chunked)
    {
        public bool Chunked { get; } = chunked;
        public string Group { get; } = group;
        public string Name { get; } = name;
        public string Key { get; } = Normalized(name);
        public IH5Dataset Dataset { get; } = dataset;
        public Shape Shape { get; } = shape;
        public long Count { get; } = count;
        public bool Float64 { get; } = float64;
        public float[]? Target { get; set; }
    }

    private H5Weights(Dictionary<string, List<Entry>> groups, List<string> order, string rootName, string? backend)
    {
        this.groups = groups;
        this.order = order;
        this.rootName = rootName;
        this.backend = backend;
    }

    /// <summary>Reads the layer groups' names, weight names, shapes and types (no weight data).</summary>
    /// <param name="root">The group holding the layer groups.</param>
    /// <param name="rootName">Its name, for messages (<c>model_weights</c>).</param>
    /// <param name="backend">The backend the file says wrote it, or null.</param>
    /// <param name="fileLength">The file's length in bytes: the weights stored whole (not compressed) must fit in it.</param>
    public static H5Weights Read(IH5Group root, string rootName, string? backend, long fileLength)
    {
        var groups = new Dictionary<string, List<Entry>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var layerName in KerasH5.StringsAttribute(root, "layer_names", rootName))
        {
            var where = $"{rootName}: layer group \"{layerName}\"";
            if (groups.ContainsKey(layerName))
                throw new ModelFormatError($"{rootName}: layer_names lists \"{layerName}\" twice.");
            var group = KerasH5.Group(root, layerName, rootName);
            var entries = new List<Entry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var weightName in KerasH5.StringsAttribute(group, "weight_names", where))
            {
                if (!seen.Add(weightName))
                    throw new ModelFormatError($"{where}: weight_names lists \"{weightName}\" twice.");
                entries.Add(ReadEntry(group, layerName, weightName, where));
            }
            groups[layerName] = entries;
            order.Add(layerName);
        }
        // A dataset stored whole needs its bytes in the file; one split in (possibly compressed) chunks at least a
        // deflate stream's worth (about 1/1032 of them). So a small file cannot make the reader allocate much.
        double whole = 0, chunked = 0;
        foreach (var entry in groups.Values.SelectMany(g => g))
            (entry.Chunked ? ref chunked : ref whole) += entry.Count * (entry.Float64 ? 8.0 : 4.0);
        if (whole > fileLength || whole + chunked / 1032 > fileLength)
            throw new ModelFormatError(
                $"{rootName}: the weights declare {whole + chunked:F0} bytes of data, but the file holds only {fileLength} bytes: it is truncated or its shapes are corrupt.");
        return new H5Weights(groups, order, rootName, backend?.Trim());
    }

    /// <summary>A weight's dataset, its shape and type checked (no data read).</summary>
    private static Entry ReadEntry(IH5Group group, string layerName, string weightName, string where)
    {
        var at = $"{where}: weight \"{weightName}\"";
        var parts = weightName.Split('/');
        IH5Group parent = group;
        for (int i = 0; i < parts.Length; i++)
        {
            KerasH5.CheckLinkName(parts[i], at);
            if (!parent.LinkExists(parts[i]))
                throw new ModelFormatError($"{at}: the group has no {(i == parts.Length - 1 ? "dataset" : "group")} \"{string.Join('/', parts[..(i + 1)])}\"; the weight is listed but missing.");
            var child = parent.Get(parts[i]);
            KerasH5.CheckInFile(child, parent, $"{at}: \"{string.Join('/', parts[..(i + 1)])}\"");
            if (i < parts.Length - 1)
                parent = child as IH5Group ?? throw new ModelFormatError($"{at}: \"{string.Join('/', parts[..(i + 1)])}\" is not a group.");
            else if (child is IH5Dataset dataset)
                return Checked(dataset, layerName, weightName, at);
            else
                throw new ModelFormatError($"{at}: \"{weightName}\" is not a dataset.");
        }
        throw new ModelFormatError($"{at}: empty weight name.");
    }

    private static Entry Checked(IH5Dataset dataset, string layerName, string weightName, string at)
    {
        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size is not (4 or 8))
            throw new ModelFormatError($"{at}: the data is of HDF5 class {type.Class} ({type.Size} bytes); DeepGraph reads float32 or float64 weights only.");
        if (dataset.Layout.Class == H5DataLayoutClass.VirtualStorage)
            throw new ModelFormatError($"{at}: {VirtualProblem}.");
        var space = dataset.Space;
        if (space.Type == H5DataspaceType.Null)
            throw new ModelFormatError($"{at}: the dataset holds no data (a null dataspace).");
        var dims = space.Type == H5DataspaceType.Scalar ? [] : space.Dimensions;
        long count = 1;
        var shape = new int?[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] > int.MaxValue)
                throw new ModelFormatError($"{at}: dimension {dims[i]} is too large for a weight.");
            shape[i] = (int)dims[i];
            count *= (long)dims[i];
            if (count > Array.MaxLength)
                throw new ModelFormatError($"{at}: shape [{string.Join(", ", dims)}] has more than {Array.MaxLength} values; a weight this large cannot be held.");
        }
        if (ChunkProblem(dataset, count) is { } problem) throw new ModelFormatError($"{at}: {problem}.");
        return new Entry(layerName, weightName, dataset, Shape.Of(shape), count, type.Size == 8, dataset.Layout.Class == H5DataLayoutClass.Chunked);
    }

    /// <summary>Why a virtual dataset is not read.</summary>
    internal const string VirtualProblem = "the dataset is virtual (its data lives in other files); DeepGraph reads weights stored in the file itself";

    /// <summary>
    /// Why a dataset of <paramref name="count"/> values cannot be read safely, or null: chunks far larger than its data
    /// (the reader allocates a chunk's worth), the sign of a corrupt or crafted file.
    /// </summary>
    internal static string? ChunkProblem(IH5Dataset dataset, long count)
    {
        if (dataset.Layout.Class != H5DataLayoutClass.Chunked) return null;
        double chunk = 1;
        foreach (var c in dataset.Layout.Chunks) chunk *= c;
        return chunk > Math.Max(count * 8.0, 1 << 20) * 4
            ? $"the dataset's chunks ([{string.Join(", ", dataset.Layout.Chunks)}]) are far larger than its data; the file is corrupt"
            : null;
    }

    /// <summary>
    /// A weight name in the form matched: no <c>:0</c> suffix, no cell scope (tf.keras 2.x's
    /// <c>lstm/lstm_cell/kernel</c> is matched as <c>lstm/kernel</c>).
    /// </summary>
    private static string Normalized(string name)
    {
        int colon = name.LastIndexOf(':');
        if (colon > 0 && colon > name.LastIndexOf('/') && name[(colon + 1)..].All(char.IsAsciiDigit) && colon < name.Length - 1) name = name[..colon];
        var parts = name.Split('/');
        if (parts.Length <= 2) return name;
        return string.Join('/', parts.Where((p, i) => i == 0 || i == parts.Length - 1 || !p.EndsWith("_cell", StringComparison.Ordinal)));
    }

    private static bool Matches(Entry entry, string layer, string role)
    {
        var wanted = $"{layer}/{role}";
        return entry.Key == wanted || entry.Key.EndsWith("/" + wanted, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A layer of the root model owns the group of its name; a layer of a nested model finds its weights in
    /// the group of the outermost nested model, by name. A root layer whose weight names do not follow its
    /// name takes its group's weights in order, as Keras does.
    /// </remarks>
    public IReadOnlyList<Tensor> Take(WeightSite site, IReadOnlyList<WeightSpec> specs, string owner, string why)
    {
        string Owner() => $"{char.ToUpperInvariant(owner[0])}{owner[1..]}";
        if (specs.Count == 0) return [];
        bool nested = site.Scope.Count > 1;
        var groupName = nested ? site.Scope[1] : site.Name;
        if (!groups.TryGetValue(groupName, out var entries))
            throw new ModelFormatError(
                $"{Owner()} needs {specs.Count} weight{(specs.Count == 1 ? "" : "s")} ({string.Join(", ", specs.Select(s => s.Role))}), but {rootName} has no layer group \"{groupName}\" " +
                $"(layer_names: {string.Join(", ", order.Take(20).Select(n => $"\"{n}\""))}{(order.Count > 20 ? ", …" : "")}).");
        if (backend == "theano" && ConvolutionClasses.Contains(site.ClassName))
            throw new ModelFormatError(
                $"{Owner()}: the file was written with the Theano backend, whose convolution kernels are flipped relative to TensorFlow's; " +
                "DeepGraph does not convert them. Load the model in Keras 2 and save it again with the TensorFlow backend.");

        var free = entries.Where(e => e.Target is null).ToList();
        var chosen = new Entry[specs.Count];
        bool byName = true;
        for (int i = 0; i < specs.Count && byName; i++)
        {
            var hits = free.Where(e => Matches(e, site.Name, specs[i].Role) && !chosen.Contains(e)).ToList();
            if (hits.Count == 1) chosen[i] = hits[0];
            else byName = false;
        }
        if (!byName)
        {
            // Keras 2 loads a layer's weights by position; a root layer's group is its own.
            if (nested || free.Count != specs.Count || free.Count != entries.Count)
                throw new ModelFormatError(
                    $"{Owner()} needs weights {string.Join(", ", specs.Select(s => $"\"{site.Name}/{s.Role}\" {TfjsWeights.Text(s.Shape)}"))} {why}, " +
                    $"but group \"{groupName}\" of {rootName} holds {(free.Count == 0 ? "none left" : string.Join(", ", free.Select(e => $"\"{e.Name}\" {TfjsWeights.Text(e.Shape)}")))}.");
            chosen = [.. free];
        }

        var tensors = new Tensor[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var entry = chosen[i];
            if (entry.Shape != specs[i].Shape)
                throw new ModelFormatError(
                    $"Weight \"{entry.Name}\" of group \"{groupName}\" has shape {TfjsWeights.Text(entry.Shape)} ({entry.Count} values), " +
                    $"but {owner} needs its {specs[i].Role} of shape {TfjsWeights.Text(specs[i].Shape)} ({specs[i].Shape.Product()} values) {why}.");
        }
        for (int i = 0; i < specs.Count; i++)
        {
            float[] data;
            try
            {
                data = new float[chosen[i].Count];
            }
            catch (OutOfMemoryException e)
            {
                throw new InsufficientMemoryException($"{Owner()} needs weight \"{chosen[i].Name}\" of shape {TfjsWeights.Text(specs[i].Shape)}: more memory than is available.", e);
            }
            chosen[i].Target = data;
            tensors[i] = Tensor.Own(data, specs[i].Shape);
        }
        return tensors;
    }

    /// <inheritdoc/>
    public void CheckAllTaken()
    {
        var extra = order.SelectMany(g => groups[g]).Where(e => e.Target is null).Select(e => $"\"{e.Group}\": \"{e.Name}\" {TfjsWeights.Text(e.Shape)}").ToList();
        if (extra.Count > 0)
            throw new ModelFormatError(
                $"{char.ToUpperInvariant(rootName[0])}{rootName[1..]} holds {extra.Count} weight{(extra.Count == 1 ? "" : "s")} that no layer of the model has: {string.Join(", ", extra.Take(20))}{(extra.Count > 20 ? ", …" : "")}.");
    }

    /// <inheritdoc/>
    public void Fill()
    {
        foreach (var entry in order.SelectMany(g => groups[g]))
        {
            if (entry.Target is not { } target) continue;
            try
            {
                if (entry.Float64)
                {
                    var values = new double[entry.Count];
                    entry.Dataset.Read(values);
                    for (int i = 0; i < values.Length; i++) target[i] = (float)values[i];
                }
                else
                {
                    entry.Dataset.Read(target);
                }
            }
            catch (Exception e) when (e is not ModelFormatError and not OutOfMemoryException)
            {
                throw new ModelFormatError($"{rootName}: the data of weight \"{entry.Name}\" of group \"{entry.Group}\" could not be read (corrupt or truncated): {e.Message}", e);
            }
        }
    }
}
