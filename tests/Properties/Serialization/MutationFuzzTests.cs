using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DeepGraph.Keras;
using Xunit.Abstractions;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Mutation fuzzing of the TF.js reader (issue 11 part 3). Every case takes one public fixture
/// (<c>tests/fixtures/models/*</c>, <c>train/*</c>, <c>models2/*</c> and <c>train2/*</c>), damages its model.json or a weight file
/// in one way, writes it to a temporary folder and loads it with <see cref="Models.LoadModel"/>.
/// Law: loading returns a model or throws <see cref="ModelFormatError"/> / <see cref="IOException"/> /
/// <see cref="InsufficientMemoryException"/> (never one whose inner exception is a reader bug such as
/// <see cref="NullReferenceException"/>); a loaded model whose input shapes are known apart from the batch
/// predicts a batch of one, or throws <see cref="ShapeError"/>, <see cref="ArgumentException"/>,
/// <see cref="InvalidOperationException"/> or <see cref="InsufficientMemoryException"/>; no case takes
/// longer than <see cref="HangLimit"/>. Each case <c>i</c> draws from <c>new Random(Seed + i)</c>, so a failure
/// names the case, the fixture and the mutation and can be replayed alone with <c>DEEPGRAPH_FUZZ_FIRST=i</c>.
/// <c>DEEPGRAPH_FUZZ_CASES</c> raises the number of cases (default <see cref="DefaultCases"/>).
/// </summary>
public sealed class MutationFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 20_261_105;
    private const int DefaultCases = 3000;
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SlowLimit = TimeSpan.FromSeconds(2);

    private readonly string root = Path.Combine(Path.GetTempPath(), "deepgraph-fuzz-" + Guid.NewGuid().ToString("N"));

    /// <summary>Removes the temporary folders.</summary>
    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }

    private static readonly string[] FixtureFolders =
        [.. new[] { Fixtures.Models, Fixtures.Train, Fixtures.Models2, Fixtures.Train2 }.SelectMany(parent => Directory.GetDirectories(parent).Order(StringComparer.Ordinal))];

    /// <summary>Config fields whose numbers decide sizes.</summary>
    private static readonly string[] NumericFields =
    [
        "units", "filters", "kernel_size", "strides", "dilation_rate", "pool_size", "padding", "target_shape",
        "batch_input_shape", "axis", "rate", "size", "cropping", "dims", "n", "depth_multiplier", "input_dim",
        "output_dim", "momentum", "epsilon", "alpha", "theta", "max_value", "negative_slope", "threshold", "groups",
    ];

    private static readonly double[] Extremes =
        [2147483648d, 2147483647d, 4611686018427387904d, 1e308, -1, -2147483648d, 0, 1, 65536, 46341, -1e308, 0.5, 3.7e10];

    private static readonly Type[] ReaderBugs =
        [typeof(NullReferenceException), typeof(IndexOutOfRangeException), typeof(InvalidCastException), typeof(OverflowException), typeof(KeyNotFoundException)];

    private enum Kind
    {
        TruncateJson, TruncateWeights, FlipJsonBytes, FlipWeightBytes, RemoveField, ChangeType, NumericConfig,
        DuplicateManifestEntry, RemoveManifestEntry, DuplicatePath, RemovePath, ChangeWeightShape, ExtendWeights, AnyNumber,
    }

    /// <summary>One damaged fixture: the files to write and a description to reproduce it.</summary>
    private sealed record Mutant(string Fixture, string Description, string Json, IReadOnlyDictionary<string, byte[]> Files);

    private enum Outcome { Refused, LoadedNotRun, Predicted, PredictRefused }

    [Fact]
    public async Task Damaged_fixtures_are_loaded_or_refused_with_a_documented_exception()
    {
        int cases = Env("DEEPGRAPH_FUZZ_CASES", DefaultCases);
        int first = Env("DEEPGRAPH_FUZZ_FIRST", 0);
        var failures = new List<string>();
        var counts = new Dictionary<string, int>();
        var kinds = new Dictionary<Kind, int>();
        var exceptions = new Dictionary<string, int>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        for (int i = first; i < first + cases; i++)
        {
            var random = new Random(Seed + i);
            var (mutant, kind) = Mutate(random);
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            var folder = Path.Combine(root, i.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "model.json"), mutant.Json);
            foreach (var (name, bytes) in mutant.Files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
            string label = $"case {i} (seed {Seed}+{i}): fixture {mutant.Fixture}, {mutant.Description}";

            var watch = Stopwatch.StartNew();
            var task = Task.Run(() => Run(Path.Combine(folder, "model.json"), new Random(Seed + i)));
            if (await Task.WhenAny(task, Task.Delay(HangLimit)) != task)
            {
                failures.Add($"{label}: still running after {HangLimit.TotalSeconds} s");
                break; // the thread cannot be stopped; stop the campaign
            }
            watch.Stop();
            if (watch.Elapsed > SlowLimit) output.WriteLine($"SLOW {watch.Elapsed.TotalSeconds:F1} s: {label}");
            var (outcome, error, tag) = await task;
            if (tag.Length > 0) exceptions[$"{outcome} {tag}"] = exceptions.GetValueOrDefault($"{outcome} {tag}") + 1;
            if (error is not null) failures.Add($"{label}: {error}");
            else counts[outcome.ToString()] = counts.GetValueOrDefault(outcome.ToString()) + 1;
            Directory.Delete(folder, recursive: true);
        }

        output.WriteLine($"{cases} cases from {first} in {clock.Elapsed.TotalSeconds:F1} s; " +
            string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        output.WriteLine("kinds: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        output.WriteLine("exceptions: " + string.Join(", ", exceptions.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {e.Value}")));
        foreach (var f in failures) output.WriteLine("FAIL " + f);
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} mutants broke the contract:\n" + string.Join("\n", failures.Take(30)));
        // The campaign must exercise both sides of the law: some mutants load and predict, some are refused.
        Assert.True(counts.GetValueOrDefault(nameof(Outcome.Refused)) > 0, "No mutant was refused.");
        if (cases >= 100) Assert.True(counts.GetValueOrDefault(nameof(Outcome.Predicted)) > 0, "No mutant loaded and predicted.");
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0 ? v : fallback;

    /// <summary>Loads and, when possible, predicts; returns the outcome or a description of the broken contract.</summary>
    private static (Outcome, string?, string) Run(string path, Random random)
    {
        Model model;
        try
        {
            model = Models.LoadModel(path);
        }
        catch (Exception e) when (e is ModelFormatError or IOException or InsufficientMemoryException)
        {
            return (Outcome.Refused, Bug(e, "LoadModel"), Tag(e));
        }
        catch (Exception e)
        {
            return (Outcome.Refused, $"LoadModel threw {Describe(e)}", Tag(e));
        }

        var inputs = new List<Tensor>();
        try
        {
            foreach (var input in model.Inputs)
            {
                var shape = input.Shape;
                if (shape.Rank < 1) return (Outcome.LoadedNotRun, null, "");
                var dims = new int[shape.Rank];
                dims[0] = 1;
                long count = 1;
                for (int a = 1; a < shape.Rank; a++)
                {
                    if (shape[a] is not int d || d < 0) return (Outcome.LoadedNotRun, null, "");
                    dims[a] = d;
                    count *= d;
                    if (count > 1 << 24) return (Outcome.LoadedNotRun, null, ""); // not the reader's business
                }
                var data = new float[count];
                for (int k = 0; k < data.Length; k++) data[k] = (float)(random.NextDouble() * 2 - 1);
                inputs.Add(Tensor.FromArray(data, dims));
            }
            try
            {
                var outputs = model.Predict([.. inputs], batchSize: 1);
                foreach (var o in outputs) o.Dispose();
                return (Outcome.Predicted, null, "");
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or InsufficientMemoryException)
            {
                return (Outcome.PredictRefused, Bug(e, "Predict"), Tag(e));
            }
            catch (Exception e)
            {
                return (Outcome.PredictRefused, $"Predict threw {Describe(e)}", Tag(e));
            }
        }
        finally
        {
            foreach (var t in inputs) t.Dispose();
        }
    }

    private static string Tag(Exception e) => e.GetType().Name + (e.InnerException is { } inner ? "(" + inner.GetType().Name + ")" : "");

    private static string? Bug(Exception e, string where)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            if (Array.Exists(ReaderBugs, t => t.IsInstanceOfType(inner)))
                return $"{where} threw {e.GetType().Name} wrapping a reader bug: {Describe(e)}";
        return null;
    }

    private static string Describe(Exception e) => $"{e.GetType().FullName}: {e.Message}" +
        (e.InnerException is { } inner ? $" ← {inner.GetType().FullName}: {inner.Message}" : "") +
        "\n" + string.Join("\n", (e.InnerException ?? e).StackTrace?.Split('\n').Take(6) ?? []);

    // ---- mutations ----

    private static (Mutant, Kind) Mutate(Random random)
    {
        var folder = FixtureFolders[random.Next(FixtureFolders.Length)];
        string fixture = Path.GetRelativePath(Path.Combine(Fixtures.Root, "tests", "fixtures"), folder);
        string json = File.ReadAllText(Path.Combine(folder, "model.json"));
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var top = JsonNode.Parse(json)!;
        foreach (var group in top["weightsManifest"]!.AsArray())
            foreach (var p in group!["paths"]!.AsArray())
                files[(string)p!] = File.ReadAllBytes(Path.Combine(folder, (string)p!));

        // One mutation in two cases of three; otherwise two or three stacked (the kind counted is the first).
        int steps = random.Next(3) == 0 ? random.Next(2, 4) : 1;
        var first = (Kind)random.Next(Enum.GetValues<Kind>().Length);
        var descriptions = new List<string>();
        for (int s = 0; s < steps; s++)
        {
            var kind = s == 0 ? first : (Kind)random.Next(Enum.GetValues<Kind>().Length);
            if (s > 0 && !IsJson(json)) break; // a JSON mutation needs parseable JSON
            try
            {
                descriptions.Add(Apply(kind, random, ref json, files));
            }
            catch (Exception e) when (s > 0 && e is InvalidOperationException or InvalidCastException or FormatException)
            {
                break; // the earlier mutation left no place for this one (json is only replaced on success)
            }
        }
        return (new Mutant(fixture, string.Join("; then ", descriptions), json, files), first);
    }

    private static bool IsJson(string json)
    {
        try
        {
            return JsonNode.Parse(json) is not null;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    private static string Apply(Kind kind, Random random, ref string json, Dictionary<string, byte[]> files)
    {
        switch (kind)
        {
            case Kind.TruncateJson:
            {
                int keep = random.Next(json.Length);
                json = json[..keep];
                return $"model.json truncated to {keep} of its characters";
            }
            case Kind.FlipJsonBytes:
            {
                var bytes = Encoding.UTF8.GetBytes(json);
                string flips = Flip(bytes, random);
                json = Encoding.UTF8.GetString(bytes);
                return $"model.json bytes flipped at {flips}";
            }
            case Kind.TruncateWeights or Kind.FlipWeightBytes or Kind.ExtendWeights:
            {
                if (files.Count == 0) return "no weight file (unchanged)";
                var name = files.Keys.Order(StringComparer.Ordinal).ElementAt(random.Next(files.Count));
                var bytes = files[name];
                if (kind == Kind.TruncateWeights)
                {
                    int keep = bytes.Length == 0 ? 0 : random.Next(bytes.Length);
                    files[name] = bytes[..keep];
                    return $"{name} truncated to {keep} of {bytes.Length} bytes";
                }
                if (kind == Kind.ExtendWeights)
                {
                    int extra = random.Next(1, 9);
                    files[name] = [.. bytes, .. new byte[extra]];
                    return $"{name} extended by {extra} zero bytes";
                }
                if (bytes.Length == 0) return $"{name} is empty (unchanged)";
                return $"{name} bytes flipped at {Flip(bytes, random)}";
            }
        }

        var root = JsonNode.Parse(json)!;
        string result = kind switch
        {
            Kind.RemoveField => RemoveField(root, random),
            Kind.ChangeType => ChangeType(root, random),
            Kind.NumericConfig => NumericConfig(root, random),
            Kind.DuplicateManifestEntry or Kind.RemoveManifestEntry => ManifestEntry(root, random, duplicate: kind == Kind.DuplicateManifestEntry),
            Kind.DuplicatePath or Kind.RemovePath => ManifestPath(root, random, duplicate: kind == Kind.DuplicatePath),
            Kind.ChangeWeightShape => WeightShape(root, random),
            Kind.AnyNumber => AnyNumber(root, random),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
        json = root.ToJsonString();
        return result;
    }

    private static string Flip(byte[] bytes, Random random)
    {
        int n = random.Next(1, 5);
        var at = new List<string>();
        for (int k = 0; k < n; k++)
        {
            int i = random.Next(bytes.Length);
            byte mask = (byte)(1 << random.Next(8));
            bytes[i] ^= mask;
            at.Add($"{i}^0x{mask:x2}");
        }
        return string.Join(", ", at);
    }

    /// <summary>Every node below <paramref name="node"/> with its JSON-pointer-like path, the root excluded.</summary>
    private static List<(string Path, JsonNode? Parent, string? Key, int Index, JsonNode? Node)> Walk(JsonNode node)
    {
        var all = new List<(string, JsonNode?, string?, int, JsonNode?)>();
        void Visit(JsonNode n, string path)
        {
            if (n is JsonObject o)
                foreach (var (key, child) in o)
                {
                    all.Add(($"{path}/{key}", o, key, -1, child));
                    if (child is not null) Visit(child, $"{path}/{key}");
                }
            else if (n is JsonArray a)
                for (int i = 0; i < a.Count; i++)
                {
                    all.Add(($"{path}/{i}", a, null, i, a[i]));
                    if (a[i] is { } child) Visit(child, $"{path}/{i}");
                }
        }
        Visit(node, "");
        return all;
    }

    private static string RemoveField(JsonNode root, Random random)
    {
        var fields = Walk(root).Where(e => e.Key is not null).ToList();
        var (path, parent, key, _, _) = fields[random.Next(fields.Count)];
        ((JsonObject)parent!).Remove(key!);
        return $"field {path} removed";
    }

    private static JsonNode? Replacement(Random random, JsonNode? old) => random.Next(7) switch
    {
        0 => null,
        1 => JsonValue.Create(Extremes[random.Next(Extremes.Length)]),
        2 => JsonValue.Create(old?.ToJsonString() ?? "null"),
        3 => new JsonArray(JsonValue.Create(random.Next(-2, 5)), JsonValue.Create("x")),
        4 => new JsonObject { ["a"] = 1 },
        5 => JsonValue.Create(random.Next(2) == 0),
        _ => new JsonArray(),
    };

    private static void Set(JsonNode? parent, string? key, int index, JsonNode? value)
    {
        if (parent is JsonObject o) o[key!] = value;
        else ((JsonArray)parent!)[index] = value;
    }

    private static string ChangeType(JsonNode root, Random random)
    {
        var all = Walk(root);
        // Half the time aim at layer configs, where most of the reader's parsing happens.
        var configs = all.Where(e => e.Path.Contains("/config/layers/", StringComparison.Ordinal) && e.Path.Contains("/config/", StringComparison.Ordinal)).ToList();
        var pool = configs.Count > 0 && random.Next(2) == 0 ? configs : all;
        var (path, parent, key, index, node) = pool[random.Next(pool.Count)];
        var value = Replacement(random, node);
        Set(parent, key, index, value);
        return $"{path} changed from {Short(node)} to {Short(value)}";
    }

    private static string NumericConfig(JsonNode root, Random random)
    {
        var targets = Walk(root).Where(e => e.Key is not null && NumericFields.Contains(e.Key)
            && e.Path.Contains("/layers/", StringComparison.Ordinal) && e.Path.EndsWith("/config/" + e.Key, StringComparison.Ordinal)).ToList();
        if (targets.Count == 0) return ChangeType(root, random);
        var (path, parent, key, _, node) = targets[random.Next(targets.Count)];
        double value = Extremes[random.Next(Extremes.Length)];
        if (node is JsonArray array && array.Count > 0)
        {
            int i = random.Next(array.Count);
            var old = array[i];
            array[i] = JsonValue.Create(value);
            return $"{path}/{i} changed from {Short(old)} to {value:R}";
        }
        Set(parent, key, -1, JsonValue.Create(value));
        return $"{path} changed from {Short(node)} to {value:R}";
    }

    /// <summary>Any number anywhere in the file (layer configs, inbound node indices, manifest shapes) set to an extreme.</summary>
    private static string AnyNumber(JsonNode root, Random random)
    {
        var numbers = Walk(root).Where(e => e.Node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number).ToList();
        if (numbers.Count == 0) return ChangeType(root, random);
        var (path, parent, key, index, node) = numbers[random.Next(numbers.Count)];
        double value = Extremes[random.Next(Extremes.Length)];
        Set(parent, key, index, JsonValue.Create(value));
        return $"{path} changed from {Short(node)} to {value:R}";
    }

    private static JsonArray? Weights(JsonNode root, Random random, out int group)
    {
        group = -1;
        if (root["weightsManifest"] is not JsonArray manifest || manifest.Count == 0) return null;
        group = random.Next(manifest.Count);
        return manifest[group]?["weights"] as JsonArray;
    }

    private static string ManifestEntry(JsonNode root, Random random, bool duplicate)
    {
        var weights = Weights(root, random, out int group);
        if (weights is null || weights.Count == 0) return "no manifest weights (unchanged)";
        int i = random.Next(weights.Count);
        var entry = weights[i]!;
        string name = (string?)entry["name"] ?? "?";
        if (duplicate)
        {
            int at = random.Next(weights.Count + 1);
            weights.Insert(at, entry.DeepClone());
            return $"weightsManifest/{group} weight {name} duplicated at {at}";
        }
        weights.RemoveAt(i);
        return $"weightsManifest/{group} weight {name} removed";
    }

    private static string ManifestPath(JsonNode root, Random random, bool duplicate)
    {
        if (root["weightsManifest"] is not JsonArray manifest || manifest.Count == 0) return "no manifest (unchanged)";
        int group = random.Next(manifest.Count);
        if (manifest[group]?["paths"] is not JsonArray paths || paths.Count == 0) return "no paths (unchanged)";
        int i = random.Next(paths.Count);
        string name = (string?)paths[i] ?? "?";
        if (duplicate)
        {
            paths.Add(JsonValue.Create(name));
            return $"weightsManifest/{group} path {name} named twice";
        }
        if (random.Next(3) == 0)
        {
            paths[i] = JsonValue.Create("missing-" + name);
            return $"weightsManifest/{group} path {name} renamed to a file that does not exist";
        }
        paths.RemoveAt(i);
        return $"weightsManifest/{group} path {name} removed";
    }

    private static string WeightShape(JsonNode root, Random random)
    {
        var weights = Weights(root, random, out int group);
        if (weights is null || weights.Count == 0) return "no manifest weights (unchanged)";
        var entry = weights[random.Next(weights.Count)]!;
        string name = (string?)entry["name"] ?? "?";
        if (entry["shape"] is not JsonArray shape) return $"weight {name} has no shape (unchanged)";
        string old = shape.ToJsonString();
        switch (random.Next(4))
        {
            case 0 when shape.Count > 0:
                shape[random.Next(shape.Count)] = JsonValue.Create(Extremes[random.Next(Extremes.Length)]);
                break;
            case 1:
                shape.Add(JsonValue.Create(random.Next(1, 3)));
                break;
            case 2 when shape.Count > 0:
                shape.RemoveAt(random.Next(shape.Count));
                break;
            default:
                var dims = shape.Select(d => d?.DeepClone()).Reverse().ToArray();
                shape.Clear();
                foreach (var d in dims) shape.Add(d);
                break;
        }
        return $"weightsManifest/{group} weight {name} shape {old} → {shape.ToJsonString()}";
    }

    private static string Short(JsonNode? node)
    {
        string s = node?.ToJsonString() ?? "null";
        return s.Length > 60 ? s[..60] + "…" : s;
    }
}
