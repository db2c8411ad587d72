using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// The weights of a TF.js layers model (<c>weightsManifest</c> and its binary files), read once and
/// handed out by name (<c>layer/role</c>; Keras's <c>:0</c> suffix is ignored). The reader takes each
/// weight as it builds the layer that owns it; a weight missing, of another shape, taken twice or
/// left over at the end is an error.
/// </summary>
internal sealed class TfjsWeights
{
    private readonly Dictionary<string, Entry> entries;
    private readonly List<string> order;
    private readonly HashSet<string> taken = [];

    private sealed record Entry(string Name, Shape Shape, byte[] Buffer, int Offset);

    private TfjsWeights(Dictionary<string, Entry> entries, List<string> order)
    {
        this.entries = entries;
        this.order = order;
    }

    /// <summary>
    /// Reads the manifest <paramref name="manifest"/> (null: no weights). Each group's files,
    /// concatenated in <c>paths</c> order, must hold exactly the group's weights, little-endian
    /// float32, in manifest order.
    /// </summary>
    /// <exception cref="ModelFormatError">The manifest is malformed, a file cannot be read, or the data is shorter or longer than the manifest says.</exception>
    public static TfjsWeights Read(JsonNode? manifest, Func<string, byte[]> readWeightFile)
    {
        var entries = new Dictionary<string, Entry>();
        var order = new List<string>();
        if (manifest is null) return new TfjsWeights(entries, order);
        if (manifest is not JsonArray groups)
            throw new ModelFormatError($"weightsManifest: expected a list of weight groups; found {JsonConfig.Text(manifest)}.");

        for (int g = 0; g < groups.Count; g++)
        {
            var group = JsonConfig.Of(groups[g], $"weightsManifest[{g}]");
            var paths = group.Array("paths").Select((p, i) => p is JsonValue v && v.TryGetValue<string>(out var s) ? s
                : throw new ModelFormatError($"weightsManifest[{g}].paths[{i}]: expected a file name; found {JsonConfig.Text(p)}.")).ToList();
            var weights = group.Array("weights");

            // Lay the group's weights out first, so that the size check can say what the manifest expects.
            var layout = new List<(string Name, Shape Shape, int Offset)>();
            long needed = 0;
            for (int w = 0; w < weights.Count; w++)
            {
                var spec = JsonConfig.Of(weights[w], $"weightsManifest[{g}].weights[{w}]");
                string name = spec.String("name");
                var where = $"weightsManifest[{g}] weight \"{name}\"";
                var dtype = spec.OptionalString("dtype", "float32");
                if (dtype != "float32")
                    throw new ModelFormatError($"{where}: dtype \"{dtype}\" is not supported; DeepGraph reads float32 weights only.");
                if (spec.Has("quantization"))
                    throw new ModelFormatError($"{where}: quantized weights are not supported; save the model without quantization.");
                var dims = spec.OptionalDims("shape") ?? throw spec.Error("shape", "a list of dimensions");
                if (Array.Exists(dims, d => d is null or < 0)) throw spec.Error("shape", "a list of non-negative integers");
                var shape = Shape.Of(dims);
                long count = dims.Aggregate(1L, (p, d) => Math.Min(p * d!.Value, long.MaxValue / 8));
                if (needed + count * sizeof(float) > Array.MaxLength)
                    throw new ModelFormatError($"{where}: the group's weights need more than {Array.MaxLength} bytes; a group this large cannot be read.");
                layout.Add((name, shape, (int)needed));
                needed += count * sizeof(float);
            }

            var buffer = Concatenate(g, paths, readWeightFile);
            if (buffer.LongLength != needed)
                throw new ModelFormatError(
                    $"weightsManifest[{g}]: the weight file{(paths.Count == 1 ? "" : "s")} {string.Join(", ", paths.Select(p => $"\"{p}\""))} " +
                    $"hold{(paths.Count == 1 ? "s" : "")} {buffer.LongLength} bytes, but the manifest's {weights.Count} weights need {needed} bytes " +
                    $"({needed / sizeof(float)} float32 values): " +
                    (buffer.LongLength < needed ? "the data is truncated." : "the data is longer than the manifest says."));

            foreach (var (name, shape, offset) in layout)
            {
                var key = Key(name);
                if (!entries.TryAdd(key, new Entry(name, shape, buffer, offset)))
                    throw new ModelFormatError($"weightsManifest: weight \"{name}\" is listed twice.");
                order.Add(key);
            }
        }
        return new TfjsWeights(entries, order);
    }

    private static byte[] Concatenate(int group, List<string> paths, Func<string, byte[]> readWeightFile)
    {
        var parts = paths.Select(p =>
        {
            try
            {
                return readWeightFile(p) ?? throw new ModelFormatError($"weightsManifest[{group}]: weight file \"{p}\" gave no data.");
            }
            catch (Exception e) when (e is not ModelFormatError and not OutOfMemoryException)
            {
                throw new ModelFormatError($"weightsManifest[{group}]: weight file \"{p}\" could not be read: {e.Message}", e);
            }
        }).ToList();
        if (parts.Count == 1) return parts[0];
        long total = parts.Sum(p => (long)p.Length);
        if (total > Array.MaxLength)
            throw new ModelFormatError($"weightsManifest[{group}]: the weight files hold {total} bytes, more than the group's weights can need.");
        var all = new byte[total];
        int at = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, at);
            at += p.Length;
        }
        return all;
    }

    /// <summary>The name without Keras's <c>:0</c> suffix, the form names are matched in.</summary>
    private static string Key(string name) => name.EndsWith(":0", StringComparison.Ordinal) ? name[..^2] : name;

    /// <summary>
    /// The weight named <paramref name="name"/>, which must have shape <paramref name="expected"/>;
    /// <paramref name="owner"/> and <paramref name="why"/> say who needs it, for messages.
    /// </summary>
    /// <exception cref="ModelFormatError">The weight is missing, taken already, or of another shape.</exception>
    public Tensor Take(string name, Shape expected, string owner, string why)
    {
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
        int count = (int)expected.Product()!.Value;
        var data = new float[count];
        var bytes = entry.Buffer.AsSpan(entry.Offset, count * sizeof(float));
        if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(data.AsSpan()));
        else for (int i = 0; i < count; i++) data[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return Tensor.Own(data, expected);
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
