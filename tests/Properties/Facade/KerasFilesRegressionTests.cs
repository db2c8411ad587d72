using System.Text.Json.Nodes;
using DeepGraph.Keras;
using DeepGraph.Serialization;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// Regressions found by the large Keras-files fuzz campaign (byte, JSON, HDF5-attribute, zip-member and compile-settings
/// mutations of keras-files and DeepGraph-written files). Each case is the minimised mutant: loading it returns a model
/// (the damaged setting dropped with a load warning naming it) or throws a <see cref="ModelFormatError"/>; before the fix
/// it escaped as a <see cref="NullReferenceException"/>.
/// </summary>
public sealed class KerasFilesRegressionTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deepgraph-kerasregress-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private const string Schedule = """
        {"module": "keras.optimizers", "class_name": "RMSprop", "config": {"name": "rmsprop", "learning_rate":
          {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay", "config": SCHEDULE, "registered_name": null},
         "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": false}, "registered_name": null}
        """;

    /// <summary>A compile_config (Keras 3) damaged in one place, and the word the load warning names.</summary>
    public static TheoryData<string, string, bool> DamagedCompileConfigs => new()
    {
        // A learning-rate schedule without one of its numbers, with null, or with decay_steps no whole number.
        { "{\"optimizer\": " + Schedule.Replace("SCHEDULE", "{\"decay_steps\": 100, \"decay_rate\": 0.9, \"staircase\": false}") + ", \"loss\": \"mse\"}", "initial_learning_rate", false },
        { "{\"optimizer\": " + Schedule.Replace("SCHEDULE", "{\"initial_learning_rate\": 0.1, \"decay_steps\": 100, \"decay_rate\": null}") + ", \"loss\": \"mse\"}", "decay_rate", false },
        { "{\"optimizer\": " + Schedule.Replace("SCHEDULE", "{\"initial_learning_rate\": 0.1, \"decay_steps\": 1e308, \"decay_rate\": 0.9}") + ", \"loss\": \"mse\"}", "decay_steps", false },
        { "{\"optimizer\": " + Schedule.Replace("SCHEDULE", "{\"initial_learning_rate\": 0.1, \"decay_steps\": 10, \"decay_rate\": 0.9, \"staircase\": \"yes\"}") + ", \"loss\": \"mse\"}", "staircase", false },
        { "{\"optimizer\": " + Schedule.Replace("\"config\": SCHEDULE, ", "") + ", \"loss\": \"mse\"}", "initial_learning_rate", false },
        // loss_weights holding null: the weights are dropped, the model is compiled.
        { """{"optimizer": "sgd", "loss": "mse", "loss_weights": [null]}""", "loss_weights[0]", true },
        { """{"optimizer": "sgd", "loss": "mse", "loss_weights": {"out": "1"}}""", "loss_weights[\"out\"]", true },
        // A loss object whose options are not of their type.
        { """{"optimizer": "sgd", "loss": {"class_name": "CategoricalCrossentropy", "config": {"from_logits": "yes"}}}""", "from_logits", false },
        { """{"optimizer": "sgd", "loss": {"class_name": "CategoricalCrossentropy", "config": {"label_smoothing": "0.1"}}}""", "label_smoothing", false },
        { """{"optimizer": "sgd", "loss": {"class_name": "Huber", "config": {"delta": [1]}}}""", "delta", false },
        { """{"optimizer": "sgd", "loss": {"class_name": "MeanSquaredError", "config": {"reduction": 3}}}""", "reduction", false },
        // A metric's threshold that is not a number: the metrics are dropped, the model is compiled.
        { """{"optimizer": "sgd", "loss": "mse", "metrics": [{"class_name": "BinaryAccuracy", "config": {"threshold": "high"}}]}""", "threshold", true },
    };

    private static Core.Model Small()
    {
        Backend.ClearSession();
        var x = Input(shape: [3], name: "x");
        return new Model(x, Dense(2, name: "out").Call(x), name: "small").CoreModel;
    }

    [Theory]
    [MemberData(nameof(DamagedCompileConfigs))]
    public void A_compile_config_with_a_setting_of_the_wrong_type_loads_with_a_warning_naming_it(string compileConfig, string named, bool compiled)
    {
        foreach (var extension in (string[])[".keras", ".h5"])
        {
            var path = Path.Combine(folder, "m" + extension);
            var given = JsonNode.Parse(compileConfig)!.AsObject();
            using (var stream = File.Create(path))
            {
                if (extension == ".keras") KerasArchive.Write(Small(), stream, given);
                else
                {
                    // The legacy schema names the optimizer optimizer_config.
                    var optimizer = given["optimizer"] as JsonObject ?? new JsonObject { ["class_name"] = "SGD", ["config"] = new JsonObject() };
                    given.Remove("optimizer");
                    given["optimizer_config"] = optimizer.DeepClone();
                    KerasH5.Write(Small(), stream, given);
                }
            }
            var loaded = Models.LoadModel(path);
            Assert.True(compiled == loaded.Optimizer is not null, $"{extension}: compiled {loaded.Optimizer is not null}; warnings: {string.Join(" | ", loaded.LoadWarnings)}");
            Assert.True(loaded.LoadWarnings.Any(w => w.Contains(named, StringComparison.Ordinal)), $"{extension}: no warning names {named}: {string.Join(" | ", loaded.LoadWarnings)}");
            using var output = loaded.Predict(Tensor.FromArray([1f, 2f, 3f], [1, 3]))[0];
            Assert.Equal([1, 2], output.Shape.Select(d => d!.Value));
        }
    }

    /// <summary>Keras 3 compile settings with every part DeepGraph reads: an optimizer with a schedule, loss objects, loss weights and metrics.</summary>
    private const string FullCompileConfig = """
        {"optimizer": {"module": "keras.optimizers", "class_name": "RMSprop", "config": {"name": "rmsprop", "learning_rate":
           {"module": "keras.optimizers.schedules", "class_name": "InverseTimeDecay", "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "decay_rate": 0.9, "staircase": true}, "registered_name": null},
           "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07, "centered": false, "clipnorm": null}, "registered_name": null},
         "loss": [{"module": "keras.losses", "class_name": "Huber", "config": {"name": "huber", "reduction": "sum_over_batch_size", "delta": 1.5}, "registered_name": null}],
         "loss_weights": [0.5],
         "metrics": [[{"class_name": "BinaryAccuracy", "config": {"name": "binary_accuracy", "threshold": 0.4}}, "mae"]],
         "weighted_metrics": null, "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}
        """;

    private static readonly string[] Replacements = ["null", "\"x\"", "[]", "{}", "true", "1e308", "-1", "0", "[null]"];

    /// <summary>Each value of <see cref="FullCompileConfig"/> (every node under its keys, lists included) replaced by each of <see cref="Replacements"/> or removed.</summary>
    private static IEnumerable<(string Where, string Json)> CompileMutants()
    {
        var original = JsonNode.Parse(FullCompileConfig)!;
        var places = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (path.Length > 0) places.Add(path);
            if (node is JsonObject o) foreach (var (key, value) in o) Walk(value, path + "/" + key);
            else if (node is JsonArray a) for (int i = 0; i < a.Count; i++) Walk(a[i], path + "/" + i);
        }
        Walk(original, "");
        foreach (var place in places)
            foreach (var replacement in Replacements.Append("(removed)"))
            {
                var copy = original.DeepClone();
                var parts = place.Split('/', StringSplitOptions.RemoveEmptyEntries);
                var parent = parts[..^1].Aggregate(copy, (n, part) => n is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : n[part]!);
                var last = parts[^1];
                if (parent is JsonArray list)
                {
                    int i = int.Parse(last, System.Globalization.CultureInfo.InvariantCulture);
                    if (replacement == "(removed)") list.RemoveAt(i); else list[i] = JsonNode.Parse(replacement);
                }
                else if (replacement == "(removed)") parent.AsObject().Remove(last);
                else parent[last] = JsonNode.Parse(replacement);
                yield return ($"{place} = {replacement}", copy.ToJsonString());
            }
    }

    [Fact]
    public void Every_compile_setting_replaced_by_a_value_of_another_type_loads_or_is_refused_with_a_ModelFormatError()
    {
        var path = Path.Combine(folder, "m.keras");
        var failures = new List<string>();
        int loaded = 0, compiled = 0, cases = 0;
        foreach (var (where, json) in CompileMutants())
        {
            cases++;
            using (var stream = File.Create(path)) KerasArchive.Write(Small(), stream, JsonNode.Parse(json)!.AsObject());
            try
            {
                var model = Models.LoadModel(path);
                loaded++;
                if (model.Optimizer is not null) compiled++;
            }
            catch (ModelFormatError)
            {
            }
            catch (Exception e)
            {
                failures.Add($"{where}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases} compile settings escaped:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(loaded > 0 && compiled > 0 && compiled < loaded, $"{cases} cases: {loaded} loaded, {compiled} compiled.");
    }
}
