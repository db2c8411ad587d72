using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// The weights of a TF.js layers model (<c>weightsManifest</c> and its binary files), handed out by
/// name (<c>layer/role</c>; Keras's <c>:0</c> suffix is ignored). A weight file is untrusted input, so
/// reading goes in an order that allocates nothing the model does not need:
/// <list type="number">
/// <item><see cref="Read"/> checks the manifest alone — names, shapes, sizes in checked arithmetic, no
/// file named twice — and each group's files' lengths against the bytes its weights declare, without
/// reading a byte of data;</item>
/// <item><see cref="Take(string, Shape, string, string)"/>, called as the reader builds each layer, checks the weight against what the
/// layer needs and allocates it (still empty);</item>
/// <item>once every layer is built and <see cref="CheckAllTaken"/> found no weight left over,
/// <see cref="Fill"/> streams the files into those weights, checking again that each file holds
/// exactly its bytes.</item>
/// </list>
/// So the memory used is at most the model's own weights, whatever the manifest or the files say.
/// </summary>
internal sealed class TfjsWeights : IWeightSource
{
    private readonly Dictionary<string, Entry> entries;
    private readonly List<string> order;
    private readonly List<Group> groups;
    private readonly Func<string, Stream> open;
    private readonly HashSet<string> taken = [];

    private sealed class Entry(string name, Shape shape, long count)
    {
        public string Name { get; } = name;
        public Shape Shape { get; } = shape;
        public long Count { get; } = count;
        public float[]? Target { get; set; }
    }

    private sealed record Group(int Index, List<string> Paths, List<Entry> Weights, long Bytes);

    private TfjsWeights(Dictionary<string, Entry> entries, List<string> order, List<Group> groups, Func<string, Stream> open)
    {
        this.entries = entries;
        this.order = order;
        this.groups = groups;
        this.open = open;
    }

    /// <summary>
    /// Reads the manifest <paramref name="manifest"/> (null: no weights) and checks each group's files'
    /// lengths: a group's files, concatenated in <c>paths</c> order, must hold exactly the group's
    /// weights, little-endian float32, in manifest order. No weight data is read here.
    /// </summary>
    /// <param name="manifest">The <c>weightsManifest</c> node.</param>
    /// <param name="open">Opens a weight file named in the manifest. The stream's <see cref="Stream.Length"/> is read
    /// when it can seek; the data is read later, by <see cref="Fill"/>, which opens the file again.</param>
    /// <exception cref="ModelFormatError">The manifest is malformed, a file cannot be opened, or a file's length is not what the manifest says.</exception>
    public static TfjsWeights Read(JsonNode? manifest, Func<string, Stream> open)
    {
        var entries = new Dictionary<string, Entry>();
        var order = new List<string>();
        var groups = new List<Group>();
        var weights = new TfjsWeights(entries, order, groups, open);
        if (manifest is null) return weights;
        if (manifest is not JsonArray list)
            throw new ModelFormatError($"weightsManifest: expected a list of weight groups; found {LayerConfig.Text(manifest)}.");

        var files = new HashSet<string>(StringComparer.Ordinal);
        for (int g = 0; g < list.Count; g++)
        {
            var group = LayerConfig.Of(list[g], $"weightsManifest[{g}]");
            var paths = new List<string>();
            var pathList = group.Array("paths");
            for (int i = 0; i < pathList.Count; i++)
            {
                var at = $"weightsManifest[{g}].paths[{i}]";
                if (pathList[i] is not JsonValue v || !v.TryGetValue<string>(out var path) || path.Length == 0)
                    throw new ModelFormatError($"{at}: expected a file name; found {LayerConfig.Text(pathList[i])}.");
                if (!files.Add(path))
                    throw new ModelFormatError($"{at}: the weight file \"{path}\" is named twice in the manifest; each file holds its own weights.");
                paths.Add(path);
            }

            var specs = group.Array("weights");
            var layout = new List<Entry>(specs.Count);
            long needed = 0;
            for (int w = 0; w < specs.Count; w++)
            {
                var spec = LayerConfig.Of(specs[w], $"weightsManifest[{g}].weights[{w}]");
                string name = spec.String("name");
                var where = $"weightsManifest[{g}] weight \"{name}\"";
                spec = LayerConfig.Of(spec.Object, where);
                var dtype = spec.OptionalString("dtype", "float32");
                if (dtype != "float32")
                    throw new ModelFormatError($"{where}: dtype \"{dtype}\" is not supported; DeepGraph reads float32 weights only.");
                if (spec.Has("quantization"))
                    throw new ModelFormatError($"{where}: quantized weights are not supported; save the model without quantization.");
                var dims = spec.OptionalDims("shape") ?? throw spec.Error("shape", "a list of dimensions");
                if (Array.Exists(dims, d => d is null or < 0)) throw spec.Error("shape", "a list of non-negative integers");
                long count = 1;
                foreach (var d in dims)
                {
                    count *= d!.Value;
                    if (count > Array.MaxLength)
                        throw new ModelFormatError($"{where}: shape {LayerConfig.Text(spec["shape"])} has more than {Array.MaxLength} values; a weight this large cannot be held.");
                }
                needed += count * sizeof(float); // at most 2^31 groups of 2^33 bytes: no overflow
                if (needed > (long)Array.MaxLength * 64)
                    throw new ModelFormatError($"weightsManifest[{g}]: the group's weights need more than {(long)Array.MaxLength * 64} bytes; a model this large cannot be read.");
                var entry = new Entry(name, Shape.Of(dims), count);
                var key = Key(name);
                if (!entries.TryAdd(key, entry))
                    throw new ModelFormatError($"weightsManifest: weight \"{name}\" is listed twice.");
                order.Add(key);
                layout.Add(entry);
            }
            if (needed > 0 && paths.Count == 0)
                throw new ModelFormatError($"weightsManifest[{g}]: the group's {specs.Count} weights need {needed} bytes, but it names no weight file.");
            groups.Add(new Group(g, paths, layout, needed));
        }

        foreach (var group in groups) weights.CheckLengths(group);
        return weights;
    }

    /// <summary>Checks the lengths of a group's files (those whose stream knows it) against the bytes the group declares.</summary>
    private void CheckLengths(Group group)
    {
        long total = 0;
        foreach (var path in group.Paths)
        {
            using var stream = Open(group, path);
            if (!stream.CanSeek) return; // checked while reading instead
            total += stream.Length;
        }
        if (total != group.Bytes) throw LengthError(group, total);
    }

    /// <summary>The error for a group whose files hold <paramref name="held"/> bytes (at least that many when <paramref name="atLeast"/>).</summary>
    private static ModelFormatError LengthError(Group group, long held, bool atLeast = false)
    {
        var paths = group.Paths;
        return new ModelFormatError(
            $"weightsManifest[{group.Index}]: the weight file{(paths.Count == 1 ? "" : "s")} {string.Join(", ", paths.Select(p => $"\"{p}\""))} " +
            $"hold{(paths.Count == 1 ? "s" : "")} {(atLeast ? "at least " : "")}{held} bytes, " +
            $"but the manifest's {group.Weights.Count} weights need {group.Bytes} bytes ({group.Bytes / sizeof(float)} float32 values): " +
            (held < group.Bytes ? "the data is truncated." : "the data is longer than the manifest says."));
    }

    private Stream Open(Group group, string path)
    {
        try
        {
            return open(path) ?? throw new ModelFormatError($"weightsManifest[{group.Index}]: weight file \"{path}\" gave no data.");
        }
        catch (Exception e) when (e is not ModelFormatError and not OutOfMemoryException)
        {
            throw new ModelFormatError($"weightsManifest[{group.Index}]: weight file \"{path}\" could not be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Streams every group's files into the weights <see cref="Take(string, Shape, string, string)"/> handed out, in manifest order;
    /// call it after <see cref="CheckAllTaken"/>. Each file must end exactly where the manifest says.
    /// </summary>
    /// <exception cref="ModelFormatError">A file cannot be read or its length is not what the manifest says.</exception>
    public void Fill()
    {
        var probe = new byte[1];
        foreach (var group in groups)
        {
            if (group.Paths.Count == 0) continue;
            int file = 0;
            Stream? stream = null;
            long read = 0; // bytes of the group read so far
            try
            {
                stream = Open(group, group.Paths[0]);
                foreach (var entry in group.Weights)
                {
                    var target = entry.Target ?? new float[entry.Count]; // taken by CheckAllTaken's contract; kept safe regardless
                    var bytes = MemoryMarshal.AsBytes(target.AsSpan());
                    while (bytes.Length > 0)
                    {
                        int n = ReadSome(stream, bytes, group, file);
                        if (n == 0)
                        {
                            if (++file >= group.Paths.Count) throw LengthError(group, read);
                            stream.Dispose();
                            stream = Open(group, group.Paths[file]);
                            continue;
                        }
                        bytes = bytes[n..];
                        read += n;
                    }
                    if (!BitConverter.IsLittleEndian)
                    {
                        var ints = MemoryMarshal.Cast<float, int>(target.AsSpan());
                        BinaryPrimitives.ReverseEndianness(ints, ints);
                    }
                }
                // Every remaining file, and the rest of this one, must be empty.
                while (true)
                {
                    if (ReadSome(stream, probe, group, file) > 0) throw LengthError(group, read + 1, atLeast: true);
                    if (++file >= group.Paths.Count) break;
                    stream.Dispose();
                    stream = Open(group, group.Paths[file]);
                }
            }
            finally
            {
                stream?.Dispose();
            }
        }
    }

    private static int ReadSome(Stream stream, Span<byte> into, Group group, int file)
    {
        try
        {
            return stream.Read(into);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ObjectDisposedException or UnauthorizedAccessException)
        {
            throw new ModelFormatError($"weightsManifest[{group.Index}]: weight file \"{group.Paths[file]}\" could not be read: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    /// <remarks>TF.js names a layer's weights <c>layer/role</c>; each is taken by that name (<see cref="Take(string, Shape, string, string)"/>).</remarks>
    public IReadOnlyList<Tensor> Take(WeightSite site, IReadOnlyList<WeightSpec> specs, string owner, string why) =>
        [.. specs.Select(w => Take($"{site.Name}/{w.Role}", w.Shape, owner, why))];

    /// <summary>The name without Keras's <c>:0</c> suffix, the form names are matched in.</summary>
    private static string Key(string name) => name.EndsWith(":0", StringComparison.Ordinal) ? name[..^2] : name;

    /// <summary>
    /// The weight named <paramref name="name"/>, which must have shape <paramref name="expected"/>;
    /// <paramref name="owner"/> and <paramref name="why"/> say who needs it, for messages.
    /// </summary>
    /// <remarks>The tensor returned holds zeros until <see cref="Fill"/> runs.</remarks>
    /// <exception cref="ModelFormatError">The weight is missing, taken already, or of another shape.</exception>
    public Tensor Take(string name, Shape expected, string owner, string why)
    {
        if (!entries.ContainsKey(name) && CellScoped(name) is { } scoped) name = scoped;
        if (!entries.TryGetValue(name, out var entry))
        {
            var prefix = name[..(name.LastIndexOf('/') + 1)];
            var near = order.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => $"\"{entries[k].Name}\"").ToList();
            throw new ModelFormatError(
                $"{char.ToUpperInvariant(owner[0])}{owner[1..]} needs weight \"{name}\" of shape {Text(expected)}, but the weights manifest has no weight of that name " +
                (near.Count == 0 ? $"(nor any starting with \"{prefix}\")." : $"(it has {string.Join(", ", near)})."));
        }
        if (!taken.Add(name))
            throw new ModelFormatError($"{char.ToUpperInvariant(owner[0])}{owner[1..]} needs weight \"{name}\", which another layer of the same name has taken already; layer names must be unique across the model.");
        if (entry.Shape != expected)
            throw new ModelFormatError(
                $"Weight \"{entry.Name}\" has shape {Text(entry.Shape)} ({entry.Shape.Product()} values) in the weights manifest, " +
                $"but {owner} needs shape {Text(expected)} ({expected.Product()} values) {why}.");
        // Empty until Fill: the file's bytes are read only once every layer is built and every weight is claimed.
        float[] data;
        try
        {
            data = new float[entry.Count];
        }
        catch (OutOfMemoryException e)
        {
            throw new InsufficientMemoryException(
                $"{char.ToUpperInvariant(owner[0])}{owner[1..]} needs weight \"{name}\" of shape {Text(expected)}: {entry.Count * sizeof(float)} bytes, more than the memory available.", e);
        }
        entry.Target = data;
        return Tensor.Own(data, expected);
    }

    /// <summary>
    /// tf.keras 2's name of a recurrent weight, which puts the cell between the layer and the role
    /// (<c>lstm/lstm_cell/kernel</c>, <c>bidirectional/forward_lstm/lstm_cell/kernel</c>) where TF.js writes
    /// <c>lstm/kernel</c>; null when the manifest has no such name.
    /// </summary>
    private string? CellScoped(string name)
    {
        int slash = name.LastIndexOf('/');
        if (slash < 0) return null;
        string head = name[..(slash + 1)], role = name[slash..];
        return order.FirstOrDefault(k => k.Length > name.Length && k.StartsWith(head, StringComparison.Ordinal) && k.EndsWith(role, StringComparison.Ordinal)
            && k[head.Length..^role.Length] is var cell && cell.EndsWith("_cell", StringComparison.Ordinal) && !cell.Contains('/'));
    }

    /// <summary>Checks that every weight of the manifest was taken by a layer.</summary>
    /// <exception cref="ModelFormatError">Some weights belong to no layer of the model.</exception>
    public void CheckAllTaken()
    {
        var extra = order.Where(k => !taken.Contains(k)).Select(k => $"\"{entries[k].Name}\" {Text(entries[k].Shape)}").ToList();
        if (extra.Count > 0)
            throw new ModelFormatError($"The weights manifest lists {extra.Count} weight{(extra.Count == 1 ? "" : "s")} that no layer of the model has: {string.Join(", ", extra)}.");
    }

    /// <summary>The weights as TF.js stores them: little-endian float32, one tensor after another.</summary>
    public static byte[] Bytes(IReadOnlyList<Tensor> tensors)
    {
        var bytes = new byte[tensors.Sum(t => (long)t.Length * sizeof(float))];
        int at = 0;
        foreach (var t in tensors)
        {
            var target = bytes.AsSpan(at, t.Length * sizeof(float));
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(t.Span).CopyTo(target);
            else for (int i = 0; i < t.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], t.Span[i]);
            at += target.Length;
        }
        return bytes;
    }

    /// <summary>A shape as the manifest writes it: <c>[3, 3, 2, 8]</c>.</summary>
    public static string Text(Shape shape) => "[" + string.Join(", ", shape.Select(d => d?.ToString() ?? "null")) + "]";
}
