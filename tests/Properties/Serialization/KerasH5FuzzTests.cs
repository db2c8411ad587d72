using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Serialization;
using Xunit.Abstractions;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Mutation fuzzing of <see cref="KerasH5.Read"/>. Each case <c>i</c> draws from <c>new Random(Seed + i)</c>: it takes
/// one of a few small <c>.h5</c> files (Keras-written ones from keras-files and one DeepGraph wrote) and damages it —
/// bytes flipped, overwritten or cut, or the file rebuilt with one attribute, weight name or weight shape changed.
/// Law: reading returns a model whose every layer is built, or throws a <see cref="ModelFormatError"/> (an
/// <see cref="UnsupportedLayerError"/> included); no other exception escapes, and none wraps a bug of DeepGraph's own code (a
/// <see cref="NullReferenceException"/> or the like thrown by it; PureHDF's own failures on corrupt structures are the file's fault). The loop is plain and bounded (no
/// timeouts, no threads): a failure names the case, its source and its mutation so it can be replayed alone.
/// </summary>
public sealed class KerasH5FuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_261_206;
    private const int ByteCases = 2000;
    private const int AttributeCases = 200;

    /// <summary>The smallest Keras-written full-model files, and a DeepGraph-written one.</summary>
    private static readonly Lazy<(string Name, byte[] Bytes)[]> Sources = new(() =>
    {
        var keras = Directory.EnumerateFiles(Fixtures.KerasFiles, "*.h5", SearchOption.AllDirectories)
            .Where(f => !f.Contains("_cf_", StringComparison.Ordinal))
            .OrderBy(f => new FileInfo(f).Length).ThenBy(f => f, StringComparer.Ordinal).Take(4)
            .Select(f => (Path.GetFileName(f), File.ReadAllBytes(f)));
        using var ours = new MemoryStream();
        KerasH5.Write(KerasFilesTests.Load(Path.Combine(Fixtures.KerasFiles,
            "dl4j-test-resources/src/main/resources/modelimport/keras/weights/dense_tensorflow_2.h5")).Model, ours);
        return [.. keras, ("written-by-DeepGraph.h5", ours.ToArray())];
    });

    private enum Outcome { Loaded, Refused }

    /// <summary>Reads <paramref name="file"/>; null when the law holds, else what broke it.</summary>
    private static (Outcome, string?) Check(byte[] file)
    {
        try
        {
            var contents = KerasH5.Read(new MemoryStream(file, writable: false));
            return contents.Model.Graph.Layers.Values.All(l => l.IsBuilt)
                ? (Outcome.Loaded, null)
                : (Outcome.Loaded, "a model with unbuilt layers was returned");
        }
        catch (ModelFormatError e)
        {
            for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
                if (inner is NullReferenceException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException
                    && inner.TargetSite?.DeclaringType?.Namespace?.StartsWith("DeepGraph", StringComparison.Ordinal) == true)
                    return (Outcome.Refused, $"ModelFormatError wrapping a reader bug: {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
            return (Outcome.Refused, null);
        }
        catch (Exception e)
        {
            return (Outcome.Refused, $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace?.Split('\n').Take(6).Aggregate((a, b) => a + "\n" + b)}");
        }
    }

    private void Campaign(string name, int cases, int offset, Func<Random, (string Description, byte[] File)> mutate)
    {
        var failures = new List<string>();
        var counts = new Dictionary<Outcome, int>();
        for (int i = offset; i < offset + cases; i++)
        {
            var (description, file) = mutate(new Random(Seed + i));
            var (outcome, error) = Check(file);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (error is not null) failures.Add($"case {i} (seed {Seed}+{i}): {description}: {error}");
        }
        output.WriteLine($"{name}: {cases} cases; " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} mutants broke the law:\n" + string.Join("\n", failures.Take(20)));
        // Both sides of the law are exercised: some mutants load, some are refused.
        Assert.True(counts.GetValueOrDefault(Outcome.Refused) > 0, "No mutant was refused.");
        Assert.True(counts.GetValueOrDefault(Outcome.Loaded) > 0, "No mutant loaded.");
    }

    [Fact]
    public void Files_with_damaged_bytes_load_or_are_refused_with_a_ModelFormatError()
    {
        var sources = Sources.Value;
        Campaign("bytes", ByteCases, 0, random =>
        {
            var (name, original) = sources[random.Next(sources.Length)];
            var bytes = (byte[])original.Clone();
            int kind = random.Next(ByteDamage.Kinds + 1);
            if (kind < ByteDamage.Kinds)
            {
                var (what, damaged) = ByteDamage.Apply(kind, bytes, random);
                return ($"{name}: {what}", damaged);
            }
            // A byte in the first 2 KB (superblock, root object header, attribute messages) set to an extreme.
            int p = random.Next(Math.Min(2048, bytes.Length));
            bytes[p] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
            return ($"{name}: byte {p} set to an extreme", bytes);
        });
    }

    private const string ModelConfig = """
        {"class_name": "Sequential", "config": {"name": "s", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 2], "dtype": "float32", "sparse": false, "name": "inp"}},
          {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu", "use_bias": true}},
          {"class_name": "Dense", "config": {"name": "dense_1", "units": 2, "activation": "linear", "use_bias": true}}]}}
        """;

    private static readonly double[] Extremes = [0, -1, 1, 2, 3, 2147483647d, -2147483648d, 1e308, 0.5];

    [Fact]
    public void Files_with_a_changed_attribute_name_or_shape_load_or_are_refused_with_a_ModelFormatError()
    {
        Campaign("attributes", AttributeCases, ByteCases, random =>
        {
            var attributes = new Dictionary<string, object> { ["model_config"] = ModelConfig, ["keras_version"] = "2.4.0", ["backend"] = "tensorflow" };
            var layers = new List<KerasH5Tests.LayerWeights>
            {
                new("inp", []),
                new("dense", [("dense/kernel:0", new float[6], [2, 3]), ("dense/bias:0", new float[3], [3])]),
                new("dense_1", [("dense_1/kernel:0", new float[6], [3, 2]), ("dense_1/bias:0", new float[2], [2])]),
            };
            string description;
            switch (random.Next(8))
            {
                case 0:
                {
                    var config = JsonNode.Parse(ModelConfig)!;
                    var entry = config["config"]!["layers"]![1 + random.Next(2)]!["config"]!.AsObject();
                    var key = entry.Select(p => p.Key).ElementAt(random.Next(entry.Count));
                    entry.Remove(key);
                    attributes["model_config"] = config.ToJsonString();
                    description = $"model_config without \"{key}\"";
                    break;
                }
                case 1:
                {
                    var config = JsonNode.Parse(ModelConfig)!;
                    var value = Extremes[random.Next(Extremes.Length)];
                    config["config"]!["layers"]![1 + random.Next(2)]!["config"]!["units"] = value;
                    attributes["model_config"] = config.ToJsonString();
                    description = $"units {value}";
                    break;
                }
                case 2:
                {
                    var dims = new ulong[1 + random.Next(3)];
                    for (int d = 0; d < dims.Length; d++) dims[d] = (ulong)random.Next(5);
                    var count = (int)dims.Aggregate(1UL, (p, d) => p * d);
                    int l = 1 + random.Next(2), w = random.Next(2);
                    var weights = layers[l].Weights.ToArray();
                    weights[w] = (weights[w].Name, new float[count], dims);
                    layers[l] = layers[l] with { Weights = weights };
                    description = $"{weights[w].Name} of shape [{string.Join(", ", dims)}]";
                    break;
                }
                case 3:
                {
                    int l = 1 + random.Next(2);
                    var weights = layers[l].Weights;
                    var renamed = random.Next(3) switch
                    {
                        0 => weights.Reverse().ToArray(),
                        1 => [.. weights.Select(x => (x.Name.Replace("dense", "other"), x.Values, x.Dims))],
                        _ => [weights[0]],
                    };
                    layers[l] = layers[l] with { Weights = renamed };
                    description = $"layer {layers[l].Name} weights {string.Join(", ", renamed.Select(x => x.Name))}";
                    break;
                }
                case 4:
                {
                    var order = random.Next(3) switch
                    {
                        0 => layers.AsEnumerable().Reverse().ToList(),
                        1 => [.. layers.Take(2)],
                        _ => [.. layers, new("stray", [("stray/w:0", new float[2], [2])])],
                    };
                    layers = order;
                    description = $"layer groups {string.Join(", ", order.Select(g => g.Name))}";
                    break;
                }
                case 5:
                    attributes["backend"] = random.Next(2) == 0 ? "theano" : "";
                    description = $"backend \"{attributes["backend"]}\"";
                    break;
                case 6:
                    attributes["keras_version"] = random.Next(3) switch { 0 => "3.1.0", 1 => "1.2.2", _ => "" };
                    description = $"keras_version \"{attributes["keras_version"]}\"";
                    break;
                default:
                    attributes["training_config"] = random.Next(2) == 0 ? "[1, 2]" : "{\"loss\": \"mse\"";
                    description = $"training_config {attributes["training_config"]}";
                    break;
            }
            return (description, KerasH5Tests.BuildFile(attributes, layers, fixedStrings: random.Next(2) == 0 ? 0 : ModelConfig.Length + 64));
        });
    }
}
