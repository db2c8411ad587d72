using System.Text.Json.Nodes;
using DeepGraph.Core;
using PureHDF;
using PureHDF.VOL.Native;

namespace DeepGraph.Serialization;

/// <summary>
/// Where Keras 3 keeps a layer's variables in <c>model.weights.h5</c>, relative to the layer's object path: its own
/// variables in <c>vars/0</c>, <c>vars/1</c>, … (trainable first, in creation order), those of the objects it holds under
/// the attribute naming them — a recurrent layer's cell (<c>cell/vars/0..2</c>), Bidirectional's
/// <c>forward_layer/cell/vars</c> and <c>backward_layer/cell/vars</c>, TimeDistributed's <c>layer/vars</c>,
/// MultiHeadAttention's four EinsumDense layers (<c>query_dense</c>, <c>key_dense</c>, <c>value_dense</c>,
/// <c>output_dense</c>; older Keras 3 versions visited the private attributes <c>_query_dense</c> … first).
/// </summary>
internal static class KerasVariablePaths
{
    private static readonly HashSet<string> Recurrent = new(StringComparer.Ordinal) { "LSTM", "GRU", "SimpleRNN" };

    private static readonly Dictionary<string, string> AttentionParts = new(StringComparer.Ordinal)
    {
        ["query"] = "query_dense",
        ["key"] = "key_dense",
        ["value"] = "value_dense",
        ["attention_output"] = "output_dense",
    };

    /// <summary>
    /// For each weight of a layer of class <paramref name="className"/> (its roles in declaration order), the dataset
    /// paths relative to the layer's object path where Keras 3 may keep it, the one it writes first (MultiHeadAttention:
    /// Keras 3 visits public attributes before private ones and has the public <c>query_dense</c> … since early 2024,
    /// so <c>_query_dense</c> is read only as a fallback for files of older Keras 3 versions).
    /// </summary>
    /// <param name="className">The layer's class name.</param>
    /// <param name="roles">The layer's weights' roles, in declaration order.</param>
    /// <param name="wrapsRecurrent">True when a TimeDistributed wraps a recurrent layer (whose variables sit in its cell).</param>
    public static string[][] Of(string className, IReadOnlyList<string> roles, bool wrapsRecurrent = false)
    {
        var result = new string[roles.Count][];
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        int Next(string group)
        {
            int k = counters.GetValueOrDefault(group);
            counters[group] = k + 1;
            return k;
        }
        for (int i = 0; i < roles.Count; i++)
        {
            var role = roles[i];
            int slash = role.IndexOf('/');
            var head = slash < 0 ? "" : role[..slash];
            result[i] = className switch
            {
                _ when Recurrent.Contains(className) => [$"cell/vars/{Next("cell")}"],
                "Bidirectional" => head.StartsWith("backward_", StringComparison.Ordinal)
                    ? [$"backward_layer/cell/vars/{Next("backward")}"]
                    : [$"forward_layer/cell/vars/{Next("forward")}"],
                "TimeDistributed" => wrapsRecurrent
                    ? [$"layer/cell/vars/{counters.GetValueOrDefault("layer")}", $"layer/vars/{Next("layer")}"]
                    : [$"layer/vars/{counters.GetValueOrDefault("layer")}", $"layer/cell/vars/{Next("layer")}"],
                "MultiHeadAttention" when AttentionParts.TryGetValue(head, out var part) =>
                    [$"{part}/vars/{counters.GetValueOrDefault(part)}", $"_{part}/vars/{Next(part)}"],
                _ => [$"vars/{Next("")}"],
            };
        }
        return result;
    }

    /// <summary>
    /// The groups a layer of class <paramref name="className"/> holds below its own object path, with the names Keras gives
    /// them (written as each <c>vars</c> group's <c>name</c>), from its weights' roles and its config as the registry writes it.
    /// </summary>
    public static IEnumerable<(string Path, string Name)> SubObjects(string className, IReadOnlyList<string> roles, JsonObject config)
    {
        static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        static string Cell(string? recurrent) => KerasObjectPaths.SnakeCase(recurrent ?? "") + "_cell";
        string? Head(string prefix) => roles.Select(r => r.Split('/')[0]).FirstOrDefault(h => h.StartsWith(prefix, StringComparison.Ordinal));
        if (Recurrent.Contains(className))
        {
            yield return ("cell", Cell(className));
        }
        else if (className == "Bidirectional")
        {
            var inner = config["layer"] as JsonObject;
            var backward = config["backward_layer"] as JsonObject ?? inner;
            var innerName = Text(inner?["config"]?["name"]) ?? "";
            yield return ("forward_layer", Head("forward_") ?? "forward_" + innerName);
            yield return ("forward_layer/cell", Cell(Text(inner?["class_name"])));
            yield return ("backward_layer", Head("backward_") ?? "backward_" + (Text(backward?["config"]?["name"]) ?? innerName));
            yield return ("backward_layer/cell", Cell(Text(backward?["class_name"])));
        }
        else if (className == "TimeDistributed" && config["layer"] is JsonObject inner)
        {
            yield return ("layer", Text(inner["config"]?["name"]) ?? "");
            if (Text(inner["class_name"]) is { } c && Recurrent.Contains(c)) yield return ("layer/cell", Cell(c));
        }
        else if (className == "MultiHeadAttention")
        {
            foreach (var (name, part) in AttentionParts) yield return (part, name);
        }
    }

    /// <summary>True for a TimeDistributed whose config wraps a recurrent layer.</summary>
    public static bool WrapsRecurrent(string className, JsonObject config) =>
        className == "TimeDistributed" && config["layer"]?["class_name"] is JsonValue v && v.TryGetValue<string>(out var c) && Recurrent.Contains(c);
}

/// <summary>
/// The weights of a Keras 3 <c>model.weights.h5</c> (or tf.keras 2.13's form of it), found by each layer's object path.
/// Nothing is read before it is claimed: <see cref="Take"/> checks the dataset's type and shape against what the layer
/// needs and allocates only that; <see cref="Fill"/> reads the data once every layer is built. Datasets under the
/// model's <c>layers</c> (or <c>_layer_checkpoint_dependencies</c>) and root <c>vars</c> groups must all be claimed;
/// the other top-level groups (<c>optimizer</c>, read apart by <see cref="KerasArchive"/>; compile metrics) are not read here,
/// nor is a <c>seed_generator</c> group (random-generator state).
/// </summary>
internal sealed class KerasArchiveWeights : IWeightSource
{
    /// <summary>Groups nested deeper than this are not walked (a hard-link cycle must end).</summary>
    private const int MaxDepth = 64;

    /// <summary>At most this many objects are walked in the file.</summary>
    private const int MaxObjects = 1_000_000;

    private readonly NativeFile file;
    private readonly string where;
    private readonly bool checkpointDependencies;
    private readonly List<(string Path, IH5Dataset Dataset, float[] Target, bool Double)> claimed = [];
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);

    private readonly long fileLength;
    private long declared;

    /// <param name="file">The weights file.</param>
    /// <param name="where">Its name, for messages.</param>
    /// <param name="fileLength">The file's length in bytes: the weights, stored whole as Keras writes them, must fit in it.</param>
    public KerasArchiveWeights(NativeFile file, string where, long fileLength)
    {
        this.file = file;
        this.where = where;
        this.fileLength = fileLength;
        checkpointDependencies = Guard(() => file.LinkExists("_layer_checkpoint_dependencies"), "");
    }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Take(WeightSite site, IReadOnlyList<WeightSpec> specs, string owner, string why)
    {
        var candidates = KerasVariablePaths.Of(site.ClassName, [.. specs.Select(s => s.Role)]);
        var result = new Tensor[specs.Count];
        for (int i = 0; i < specs.Count; i++)
        {
            var (path, dataset) = Find(site.ObjectPath, candidates[i])
                ?? throw new ModelFormatError(
                    $"{where}: {owner} needs weight \"{specs[i].Role}\" of shape {TfjsWeights.Text(specs[i].Shape)} at \"{Join(site.ObjectPath, candidates[i][0])}\", but the file has no such dataset.");
            if (!taken.Add(path))
                throw new ModelFormatError($"{where}: {owner} needs the dataset \"{path}\", which another layer has taken already.");
            var (dims, isDouble) = Guard(() => Describe(dataset, path), path);
            var expected = specs[i].Shape;
            if (dims.Length != expected.Rank || !dims.Select((d, k) => (ulong?)expected[k] == d).All(x => x))
                throw new ModelFormatError(
                    $"{where}: dataset \"{path}\" has shape [{string.Join(", ", dims)}], but {owner} needs weight \"{specs[i].Role}\" of shape {TfjsWeights.Text(expected)} {why}.");
            long count = expected.Product() ?? 0;
            // Keras stores each weight whole (not compressed): a file cannot hold more data than its length.
            // Saturating, so a shape product near long's range cannot wrap around the check.
            long bytes = count > long.MaxValue / 8 ? long.MaxValue : count * (isDouble ? 8 : 4);
            declared = declared > long.MaxValue - bytes ? long.MaxValue : declared + bytes;
            if (declared > fileLength)
                throw new ModelFormatError(
                    $"{where}: the weights up to dataset \"{path}\" ({owner}) declare {declared} bytes of data, but the file holds only {fileLength} bytes: it is truncated or its shapes are corrupt.");
            float[] data;
            try
            {
                data = new float[count];
            }
            catch (OutOfMemoryException e)
            {
                throw new InsufficientMemoryException($"{owner} needs weight \"{specs[i].Role}\" of shape {TfjsWeights.Text(expected)}: more than the memory available.", e);
            }
            claimed.Add((path, dataset, data, isDouble));
            result[i] = Tensor.Own(data, expected);
        }
        return result;
    }

    private static string Join(string a, string b) => a.Length == 0 ? b : a + "/" + b;

    /// <summary>The first of the candidate datasets (relative to <paramref name="objectPath"/>) the file holds, as Keras 3 looks it up.</summary>
    private (string Path, IH5Dataset Dataset)? Find(string objectPath, string[] candidates)
    {
        foreach (var relative in candidates)
        {
            var path = Join(objectPath, relative);
            if (Dataset(path) is { } d) return (path, d);
            // Keras 3 reads tf.keras 2.13's files by naming "layers" `_layer_checkpoint_dependencies` in the path.
            if (checkpointDependencies)
            {
                var old = path.Replace("layers", "_layer_checkpoint_dependencies", StringComparison.Ordinal);
                if (Dataset(old) is { } o) return (old, o);
            }
        }
        return null;
    }

    private IH5Dataset? Dataset(string path) => Guard(() =>
    {
        // Walk the path one link at a time: a missing link is "not there", not an error.
        IH5Group group = file;
        var parts = path.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (!group.LinkExists(parts[i])) return null;
            var child = group.Get(parts[i]);
            KerasH5.CheckInFile(child, group, $"{where}: \"{string.Join('/', parts[..(i + 1)])}\"");
            if (i == parts.Length - 1) return child as IH5Dataset;
            if (child is not IH5Group g) return null;
            group = g;
        }
        return null;
    }, path);

    /// <summary>A dataset's dimensions and whether it holds float64 (else float32); other types are refused.</summary>
    private (ulong[] Dims, bool Double) Describe(IH5Dataset dataset, string path)
    {
        var type = dataset.Type;
        if (type.Class != H5DataTypeClass.FloatingPoint || type.Size is not (4 or 8))
            throw new ModelFormatError($"{where}: dataset \"{path}\" holds {type.Class} values of {type.Size} bytes; DeepGraph reads float32 (or float64) weights.");
        if (dataset.AttributeExists("dtype"))
            throw new ModelFormatError($"{where}: dataset \"{path}\" has a `dtype` attribute (a bfloat16 weight); DeepGraph reads float32 weights.");
        var space = dataset.Space;
        var dims = space.Type switch
        {
            H5DataspaceType.Scalar => [],
            H5DataspaceType.Simple => space.Dimensions,
            _ => throw new ModelFormatError($"{where}: dataset \"{path}\" has no data (a null dataspace)."),
        };
        return (dims, type.Size == 8);
    }

    /// <inheritdoc/>
    public void CheckAllTaken()
    {
        var extra = new List<string>();
        int seen = 0;
        void Walk(IH5Group group, string path, int depth)
        {
            if (depth > MaxDepth) throw new ModelFormatError($"{where}: groups nested deeper than {MaxDepth} levels under \"{path}\".");
            foreach (var child in group.Children())
            {
                if (++seen > MaxObjects) throw new ModelFormatError($"{where}: the weights file holds more than {MaxObjects} objects.");
                var childPath = Join(path, child.Name);
                KerasH5.CheckInFile(child, group, $"{where}: \"{childPath}\"");
                switch (child)
                {
                    // A random generator's state (a SeedGenerator's, should a version save one) is no weight.
                    case IH5Group when child.Name == "seed_generator":
                        break;
                    case IH5Dataset when !taken.Contains(childPath):
                        extra.Add(childPath);
                        break;
                    case IH5Group g:
                        Walk(g, childPath, depth + 1);
                        break;
                }
            }
        }
        Guard(() =>
        {
            foreach (var top in (string[])["layers", "_layer_checkpoint_dependencies", "vars"])
                if (file.LinkExists(top) && file.Get(top) is var o)
                {
                    KerasH5.CheckInFile(o, file, $"{where}: \"{top}\"");
                    if (o is IH5Group g) Walk(g, top, 1);
                }
            return 0;
        }, "");
        if (extra.Count > 0)
            throw new ModelFormatError(
                $"{where}: {extra.Count} weight dataset{(extra.Count == 1 ? "" : "s")} belong{(extra.Count == 1 ? "s" : "")} to no layer of the model: {string.Join(", ", extra.Take(10).Select(p => $"\"{p}\""))}{(extra.Count > 10 ? ", …" : "")}.");
    }

    /// <inheritdoc/>
    public void Fill()
    {
        foreach (var (path, dataset, target, isDouble) in claimed)
        {
            Guard(() =>
            {
                if (isDouble)
                {
                    var buffer = new double[target.Length];
                    dataset.Read<double[]>(buffer);
                    for (int i = 0; i < buffer.Length; i++) target[i] = (float)buffer[i];
                }
                else
                {
                    dataset.Read<float[]>(target);
                }
                return 0;
            }, path);
        }
    }

    /// <summary>Runs a PureHDF step, turning whatever a corrupt file makes it throw into a <see cref="ModelFormatError"/>.</summary>
    private T Guard<T>(Func<T> step, string path)
    {
        try
        {
            return step();
        }
        catch (Exception e) when (e is not ModelFormatError and not InsufficientMemoryException)
        {
            throw new ModelFormatError($"{where}: {(path.Length == 0 ? "the HDF5 file" : $"\"{path}\"")} could not be read: {e.Message}", e);
        }
    }
}
