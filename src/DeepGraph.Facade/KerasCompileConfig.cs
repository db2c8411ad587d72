using System.Globalization;
using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// A Keras file's compile settings, both ways: a legacy <c>.h5</c>'s <c>training_config</c> (Keras 2's schema:
/// <c>optimizer_config</c> as <c>{class_name, config}</c>, <c>loss</c>, <c>metrics</c>, <c>loss_weights</c>) and a
/// <c>.keras</c> file's <c>compile_config</c> (Keras 3's: <c>optimizer</c> as <c>{module, class_name, config,
/// registered_name}</c> or a name, <c>loss</c>, <c>metrics</c>, <c>loss_weights</c>). Read, they compile the loaded model
/// when the optimizer and every loss are ones DeepGraph has; what it cannot carry over becomes a load warning and the
/// model stays uncompiled (a metric it lacks is dropped, with a warning, and the model is still compiled).
/// </summary>
internal static class KerasCompileConfig
{
    /// <summary>An optimizer, loss or option the model cannot be compiled with; the message is the load warning.</summary>
    private sealed class Unsupported(string message) : Exception(message);

    /// <summary>Keys of Keras's optimizer configs that change nothing DeepGraph does when at their defaults (null, false, 0, 1).</summary>
    private static readonly HashSet<string> Harmless =
    [
        "name", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum", "ema_overwrite_frequency",
        "weight_decay", "jit_compile", "is_legacy_optimizer", "loss_scale_factor", "gradient_accumulation_steps", "amsgrad", "centered",
    ];

    /// <summary>Compiles <paramref name="model"/> from whichever settings the file had; what cannot be used is added to <paramref name="warnings"/>.</summary>
    public static void Apply(Model model, JsonObject? trainingConfig, JsonObject? compileConfig, List<string> warnings)
    {
        if ((compileConfig ?? trainingConfig) is not { } given) return;
        // Read from its text, so numbers read alike whether the object was parsed or built in memory.
        var config = JsonNode.Parse(given.ToJsonString())!.AsObject();
        string what = compileConfig is not null ? "compile_config" : "training_config";
        Core.Optimizer optimizer;
        LossSpec loss;
        try
        {
            var optimizerNode = compileConfig is not null ? config["optimizer"] : config["optimizer_config"];
            optimizer = ReadOptimizer(optimizerNode, warnings);
            loss = ReadLossSpec(config["loss"]);
        }
        catch (Exception e) when (e is Unsupported or ArgumentException or InvalidOperationException or FormatException)
        {
            warnings.Add($"The file's {what} was not used and the model is not compiled: {e.Message} Call Compile() before training it.");
            return;
        }
        LossWeights? lossWeights = null;
        try
        {
            lossWeights = ReadLossWeights(config["loss_weights"]);
        }
        catch (Exception e) when (e is Unsupported or InvalidOperationException or FormatException)
        {
            warnings.Add($"The file's {what}: loss_weights were not used ({e.Message}); every output loss weighs 1.");
        }
        MetricSpec? metrics = null;
        try
        {
            metrics = ReadMetricSpec(config["metrics"], warnings);
        }
        catch (Exception e) when (e is Unsupported or InvalidOperationException or FormatException)
        {
            warnings.Add($"The file's {what}: its metrics were not used ({e.Message}).");
        }
        if (config["weighted_metrics"] is JsonArray { Count: > 0 } or JsonObject)
            warnings.Add($"The file's {what}: weighted_metrics were not used (DeepGraph has no weighted metrics).");
        try
        {
            model.Compile(optimizer, loss, metrics, lossWeights);
        }
        catch (ArgumentException e) when (metrics is not null)
        {
            warnings.Add($"The file's {what}: its metrics were not used ({e.Message}).");
            try
            {
                model.Compile(optimizer, loss, null, lossWeights);
            }
            catch (ArgumentException again)
            {
                warnings.Add($"The file's {what} was not used and the model is not compiled: {again.Message}");
            }
        }
        catch (ArgumentException e)
        {
            warnings.Add($"The file's {what} was not used and the model is not compiled: {e.Message}");
        }
    }

    // ---- reading -----------------------------------------------------------------------

    private static Core.Optimizer ReadOptimizer(JsonNode? node, List<string> warnings)
    {
        if (node is JsonValue v && v.TryGetValue(out string? byName))
            return Known(byName) ?? throw new Unsupported($"the optimizer \"{byName}\" is not one DeepGraph has (SGD, Adam, RMSprop, Adagrad).");
        if (node is not JsonObject o) throw new Unsupported("it names no optimizer.");
        var className = (string?)o["class_name"] ?? throw new Unsupported("its optimizer has no class_name.");
        var config = o["config"] as JsonObject ?? [];
        var optimizer = Known(className) ?? throw new Unsupported($"the optimizer \"{className}\" is not one DeepGraph has (SGD, Adam, RMSprop, Adagrad).");
        double? Number(string key) => config[key] is JsonValue n && n.TryGetValue(out double d) ? d : null;
        bool Flag(string key) => config[key] is JsonValue b && b.TryGetValue(out bool f) && f;

        foreach (var (key, value) in config)
        {
            bool atDefault = value is null || (value is JsonValue jv && ((jv.TryGetValue(out bool b) && !b) || (jv.TryGetValue(out double d) && (d == 0 || (key is "ema_momentum" && d == 0.99) || (key is "gradient_accumulation_steps" && d == 1))) || jv.TryGetValue(out string? _)));
            if (Harmless.Contains(key) && !atDefault)
                throw new Unsupported($"the optimizer's option {key} = {value!.ToJsonString()} is not one DeepGraph has.");
        }
        LearningRateSchedule? schedule = null;
        double? rate = Number("learning_rate") ?? Number("lr");
        if (config["learning_rate"] is JsonObject scheduleNode) schedule = ReadSchedule(scheduleNode);
        // Keras 2's time-based decay: lr / (1 + decay · iterations), Keras's InverseTimeDecay with one step per unit.
        if (Number("decay") is { } decay and not 0)
        {
            if (schedule is not null) throw new Unsupported("the optimizer has both a learning-rate schedule and a decay.");
            schedule = new InverseTimeDecay(rate ?? Known(className)!.LearningRate, 1, decay);
        }
        var result = optimizer switch
        {
            Sgd => Optimizers.SGD(rate ?? 0.01, Number("momentum") ?? 0, Flag("nesterov")),
            Core.Adam => Optimizers.Adam(rate ?? 0.001, Number("beta_1") ?? 0.9, Number("beta_2") ?? 0.999, Number("epsilon") ?? 1e-7),
            RmsProp => Optimizers.RMSprop(rate ?? 0.001, Number("rho") ?? 0.9, Number("momentum") ?? 0, Number("epsilon") ?? 1e-7),
            Core.Adagrad => Optimizers.Adagrad(rate ?? 0.01, Number("initial_accumulator_value") ?? 0.1, Number("epsilon") ?? 1e-7),
            _ => throw new Unsupported($"the optimizer \"{className}\" is not one DeepGraph has."),
        };
        var known = new HashSet<string>(Harmless) { "decay", "learning_rate", "lr", "momentum", "nesterov", "beta_1", "beta_2", "epsilon", "rho", "initial_accumulator_value" };
        foreach (var key in config.Select(p => p.Key).Where(k => !known.Contains(k)))
            warnings.Add($"The optimizer's option \"{key}\" is not one DeepGraph has; it was ignored.");
        return schedule is null ? result : result with { Schedule = schedule, LearningRate = (float)schedule.At(0) };
    }

    private static Core.Optimizer? Known(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
    {
        "sgd" => new Sgd(),
        "adam" => new Core.Adam(),
        "rmsprop" => new RmsProp(),
        "adagrad" => new Core.Adagrad(),
        _ => null,
    };

    private static LearningRateSchedule ReadSchedule(JsonObject node)
    {
        var className = node["class_name"] is JsonValue n && n.TryGetValue(out string? named) ? named : null;
        var c = node["config"] as JsonObject ?? [];
        if (className is "ExponentialDecay" or "InverseTimeDecay")
        {
            string what = $"the learning-rate schedule {className}'s";
            double initial = Number(c["initial_learning_rate"], $"{what} initial_learning_rate");
            double stepsGiven = Number(c["decay_steps"], $"{what} decay_steps");
            double decayRate = Number(c["decay_rate"], $"{what} decay_rate");
            bool staircase = Flag(c["staircase"], $"{what} staircase");
            if (!(stepsGiven >= 1 && stepsGiven <= long.MaxValue / 2 && stepsGiven == Math.Floor(stepsGiven)))
                throw new Unsupported($"{what} decay_steps {c["decay_steps"]!.ToJsonString()} is not a positive whole number.");
            long steps = (long)stepsGiven;
            return className == "ExponentialDecay"
                ? Schedules.ExponentialDecay(initial, steps, decayRate, staircase)
                : new InverseTimeDecay(initial, steps, decayRate, staircase);
        }
        throw new Unsupported($"the learning-rate schedule \"{className}\" is not read from files (ExponentialDecay and InverseTimeDecay are).");
    }

    private static LossSpec ReadLossSpec(JsonNode? node) => node switch
    {
        null => throw new Unsupported("it has no loss."),
        JsonArray list => LossSpec.Create([.. list.Select(ReadLoss)]),
        JsonObject o when o.ContainsKey("class_name") => ReadLoss(o).Loss,
        JsonObject byName => (Dictionary<string, LossItem>)byName.ToDictionary(p => p.Key, p => ReadLoss(p.Value)),
        _ => ReadLoss(node).Loss,
    };

    private static LossItem ReadLoss(JsonNode? node)
    {
        if (node is JsonValue v && v.TryGetValue(out string? name)) return ByName(name);
        if (node is not JsonObject o) throw new Unsupported($"a loss {node?.ToJsonString() ?? "null"} is not one DeepGraph reads.");
        var className = (string?)o["class_name"] ?? throw new Unsupported("a loss object has no class_name.");
        // Keras 3 writes a loss function as {"class_name": "function", "config": "mean_squared_error"}.
        if (className == "function" && o["config"] is JsonValue f && f.TryGetValue(out string? fn)) return ByName(fn);
        var c = o["config"] as JsonObject ?? [];
        if (c["reduction"] is JsonValue r && r.TryGetValue(out string? reduction) && reduction is not ("auto" or "sum_over_batch_size"))
            throw new Unsupported($"the loss {className} with reduction \"{reduction}\" is not one DeepGraph has (it averages over the batch).");
        if (c["reduction"] is { } givenReduction && givenReduction.GetValueKind() != System.Text.Json.JsonValueKind.String)
            throw new Unsupported($"the loss {className}'s reduction {givenReduction.ToJsonString()} is not a name.");
        bool logits = Flag(c["from_logits"], $"the loss {className}'s from_logits");
        double smoothing = c["label_smoothing"] is null ? 0 : Number(c["label_smoothing"], $"the loss {className}'s label_smoothing");
        var loss = ByName(className).Loss;
        return loss switch
        {
            Core.SparseCategoricalCrossentropy => Losses.SparseCategoricalCrossentropy(logits),
            Core.CategoricalCrossentropy => Losses.CategoricalCrossentropy(logits, smoothing),
            Core.BinaryCrossentropy => Losses.BinaryCrossentropy(logits, smoothing),
            Core.Huber => Losses.Huber(c["delta"] is null ? 1.0 : Number(c["delta"], $"the loss {className}'s delta")),
            _ => loss,
        };
    }

    private static LossItem ByName(string name)
    {
        try
        {
            return Core.Loss.Get(name);
        }
        catch (ArgumentException)
        {
            throw new Unsupported($"the loss \"{name}\" is not one DeepGraph has.");
        }
    }

    /// <summary>The number <paramref name="node"/> holds; otherwise (missing, null, a string, a list …) the setting is not used.</summary>
    private static double Number(JsonNode? node, string what) =>
        node is JsonValue v && v.TryGetValue(out double d) ? d
            : throw new Unsupported($"{what} is {node?.ToJsonString() ?? "missing"}; expected a number.");

    /// <summary>The flag <paramref name="node"/> holds (missing or null is false); another value means the setting is not used.</summary>
    private static bool Flag(JsonNode? node, string what) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue(out bool b) => b,
        _ => throw new Unsupported($"{what} is {node.ToJsonString()}; expected true or false."),
    };

    private static LossWeights? ReadLossWeights(JsonNode? node) => node switch
    {
        null => null,
        JsonArray list => list.Select((w, i) => Number(w, $"loss_weights[{i}]")).ToArray(),
        JsonObject byName => byName.ToDictionary(p => p.Key, p => Number(p.Value, $"loss_weights[\"{p.Key}\"]")),
        _ => throw new Unsupported($"loss_weights {node.ToJsonString()} is neither a list nor a dictionary."),
    };

    private static MetricSpec? ReadMetricSpec(JsonNode? node, List<string> warnings)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonArray list when list.Count > 0 && list.All(m => m is JsonArray or null):
                return list.Select(m => ReadMetrics(m as JsonArray ?? [], warnings)).ToArray();
            case JsonArray list:
                return MetricSpec.Create(ReadMetrics(list, warnings));
            case JsonObject byName:
                return byName.ToDictionary(p => p.Key, p => p.Value is JsonArray l ? ReadMetrics(l, warnings) : ReadMetrics([p.Value?.DeepClone()], warnings));
            default:
                return MetricSpec.Create(ReadMetrics([node.DeepClone()], warnings));
        }
    }

    private static MetricItem[] ReadMetrics(JsonArray list, List<string> warnings)
    {
        var items = new List<MetricItem>();
        foreach (var m in list)
        {
            if (m is JsonValue v && v.TryGetValue(out string? name))
            {
                items.Add(name);
                continue;
            }
            if (m is JsonObject o && (string?)o["class_name"] is { } className)
            {
                var c = o["config"] as JsonObject ?? [];
                var metricName = c["name"] is JsonValue n && n.TryGetValue(out string? s) ? s : null;
                if (className == "BinaryAccuracy")
                    items.Add(Metrics.BinaryAccuracy(c["threshold"] is null ? 0.5 : Number(c["threshold"], "the metric BinaryAccuracy's threshold"), metricName ?? "binary_accuracy"));
                else if (className == "MeanMetricWrapper" && c["fn"] is JsonValue fn && fn.TryGetValue(out string? function))
                    items.Add(metricName is "accuracy" or "acc" ? metricName : function);
                else if (className == "function" && o["config"] is JsonValue f && f.TryGetValue(out string? fname))
                    items.Add(fname);
                else
                    items.Add(metricName ?? className);
                continue;
            }
            warnings.Add($"A metric {m?.ToJsonString() ?? "null"} is not one DeepGraph reads; it was dropped.");
        }
        return [.. items];
    }

    // ---- writing -----------------------------------------------------------------------

    /// <summary>The compiled model's settings as a legacy <c>training_config</c> (Keras 2's schema), or null when it is not compiled or a setting has no Keras form.</summary>
    public static JsonObject? ToTrainingConfig(Model model)
    {
        if (model.Compiled is not { } compiled) return null;
        var (config, outputs) = compiled;
        var loss = LossesNode(config, outputs, keras3: false);
        if (loss is null) return null;
        return new JsonObject
        {
            ["optimizer_config"] = new JsonObject { ["class_name"] = config.Optimizer.Name, ["config"] = OptimizerConfig(config.Optimizer, keras3: false) },
            ["loss"] = loss,
            ["metrics"] = MetricsNode(config, outputs),
            ["weighted_metrics"] = null,
            ["loss_weights"] = LossWeightsNode(config),
            ["sample_weight_mode"] = null,
        };
    }

    /// <summary>The compiled model's settings as Keras 3's <c>compile_config</c>, or null when it is not compiled or a setting has no Keras form.</summary>
    public static JsonObject? ToCompileConfig(Model model)
    {
        if (model.Compiled is not { } compiled) return null;
        var (config, outputs) = compiled;
        var loss = LossesNode(config, outputs, keras3: true);
        if (loss is null) return null;
        return new JsonObject
        {
            ["optimizer"] = new JsonObject
            {
                ["module"] = "keras.optimizers",
                ["class_name"] = config.Optimizer.Name,
                ["config"] = OptimizerConfig(config.Optimizer, keras3: true),
                ["registered_name"] = null,
            },
            ["loss"] = loss,
            ["loss_weights"] = LossWeightsNode(config),
            ["metrics"] = MetricsNode(config, outputs),
            ["weighted_metrics"] = null,
            ["run_eagerly"] = false,
            ["steps_per_execution"] = 1,
            ["jit_compile"] = false,
        };
    }

    /// <summary>A float as the decimal number it was given as (0.001f is written 0.001, not 0.0010000000474974513).</summary>
    private static double Plain(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static JsonObject OptimizerConfig(Core.Optimizer optimizer, bool keras3)
    {
        var c = new JsonObject { ["name"] = keras3 ? optimizer.Name.ToLowerInvariant() : optimizer.Name, ["learning_rate"] = Plain(optimizer.LearningRate) };
        double decay = 0;
        switch (optimizer.Schedule)
        {
            case InverseTimeDecay { DecaySteps: 1, Staircase: false } legacy when !keras3:
                c["learning_rate"] = legacy.InitialLearningRate;
                decay = legacy.DecayRate;
                break;
            case InverseTimeDecay t:
                c["learning_rate"] = ScheduleNode(t.ClassName, t.InitialLearningRate, t.DecaySteps, t.DecayRate, t.Staircase, keras3);
                break;
            case Core.ExponentialDecay e:
                c["learning_rate"] = ScheduleNode(e.ClassName, e.InitialLearningRate, e.DecaySteps, e.DecayRate, e.Staircase, keras3);
                break;
        }
        if (keras3)
        {
            foreach (var key in new[] { "weight_decay", "clipnorm", "global_clipnorm", "clipvalue" }) c[key] = null;
            c["use_ema"] = false;
            c["ema_momentum"] = 0.99;
            c["ema_overwrite_frequency"] = null;
            c["loss_scale_factor"] = null;
            c["gradient_accumulation_steps"] = null;
        }
        else
        {
            c["decay"] = decay;
        }
        switch (optimizer)
        {
            case Sgd s:
                c["momentum"] = Plain(s.Momentum);
                c["nesterov"] = s.Nesterov;
                break;
            case Core.Adam a:
                c["beta_1"] = Plain(a.Beta1);
                c["beta_2"] = Plain(a.Beta2);
                c["epsilon"] = Plain(a.Epsilon);
                c["amsgrad"] = false;
                break;
            case RmsProp r:
                c["rho"] = Plain(r.Rho);
                c["momentum"] = Plain(r.Momentum);
                c["epsilon"] = Plain(r.Epsilon);
                c["centered"] = false;
                break;
            case Core.Adagrad g:
                c["initial_accumulator_value"] = Plain(g.InitialAccumulatorValue);
                c["epsilon"] = Plain(g.Epsilon);
                break;
        }
        return c;
    }

    private static JsonObject ScheduleNode(string className, double initial, long steps, double rate, bool staircase, bool keras3)
    {
        var node = new JsonObject();
        if (keras3) node["module"] = "keras.optimizers.schedules";
        node["class_name"] = className;
        node["config"] = new JsonObject { ["initial_learning_rate"] = initial, ["decay_steps"] = steps, ["decay_rate"] = rate, ["staircase"] = staircase, ["name"] = className };
        if (keras3) node["registered_name"] = null;
        return node;
    }

    /// <summary>One loss for all outputs when they share it, else a dictionary by output name; null when a loss has no Keras form (a function of the program's).</summary>
    private static JsonNode? LossesNode(TrainingConfig config, IReadOnlyList<string> outputs, bool keras3)
    {
        var nodes = new List<JsonNode>();
        foreach (var loss in config.Losses)
        {
            if (LossNode(loss, keras3) is not { } node) return null;
            nodes.Add(node);
        }
        if (nodes.All(n => JsonNode.DeepEquals(n, nodes[0]))) return nodes[0];
        var byName = new JsonObject();
        for (int o = 0; o < nodes.Count; o++) byName[outputs[o]] = nodes[o];
        return byName;
    }

    private static JsonNode? LossNode(Core.Loss loss, bool keras3)
    {
        if (loss is FunctionLoss) return null;
        var config = new JsonObject { ["name"] = loss.Name, ["reduction"] = keras3 ? "sum_over_batch_size" : "auto" };
        switch (loss)
        {
            case Core.SparseCategoricalCrossentropy s:
                if (!s.FromLogits) return loss.Name;
                config["from_logits"] = true;
                break;
            case Core.CategoricalCrossentropy c:
                if (!c.FromLogits && c.LabelSmoothing == 0) return loss.Name;
                config["from_logits"] = c.FromLogits;
                config["label_smoothing"] = c.LabelSmoothing;
                break;
            case Core.BinaryCrossentropy b:
                if (!b.FromLogits && b.LabelSmoothing == 0) return loss.Name;
                config["from_logits"] = b.FromLogits;
                config["label_smoothing"] = b.LabelSmoothing;
                break;
            case Core.Huber h:
                config["delta"] = h.Delta;
                break;
            default:
                return loss.Name;
        }
        var node = new JsonObject();
        if (keras3) node["module"] = "keras.losses";
        node["class_name"] = loss.GetType().Name;
        node["config"] = config;
        if (keras3) node["registered_name"] = null;
        return node;
    }

    private static JsonNode? MetricsNode(TrainingConfig config, IReadOnlyList<string> outputs)
    {
        var perOutput = config.Metrics.Select(list => list.Select(m => m.Name).ToArray()).ToArray();
        if (perOutput.All(m => m.Length == 0)) return null;
        if (perOutput.All(m => m.SequenceEqual(perOutput[0]))) return new JsonArray([.. perOutput[0].Select(n => (JsonNode)n)]);
        var byName = new JsonObject();
        for (int o = 0; o < perOutput.Length; o++) byName[outputs[o]] = new JsonArray([.. perOutput[o].Select(n => (JsonNode)n)]);
        return byName;
    }

    private static JsonNode? LossWeightsNode(TrainingConfig config) =>
        config.LossWeights.All(w => w == 1) ? null : new JsonArray([.. config.LossWeights.Select(w => (JsonNode)w)]);
}

/// <summary>
/// Keras's <c>InverseTimeDecay</c>: initial / (1 + rate · step / decaySteps), the quotient rounded down with
/// <paramref name="Staircase"/>. Keras 2's optimizer option <c>decay</c> is this schedule with one step per unit.
/// </summary>
/// <param name="InitialLearningRate">The rate at step 0.</param>
/// <param name="DecaySteps">The steps per unit of decay (positive).</param>
/// <param name="DecayRate">The decay per unit.</param>
/// <param name="Staircase">Whether the rate changes only every <paramref name="DecaySteps"/> steps.</param>
internal sealed record InverseTimeDecay(double InitialLearningRate, long DecaySteps, double DecayRate, bool Staircase = false) : LearningRateSchedule
{
    /// <summary>The steps per unit, checked.</summary>
    public long DecaySteps { get; init; } = DecaySteps > 0 ? DecaySteps : throw new ArgumentOutOfRangeException(nameof(DecaySteps), DecaySteps, $"Argument `decay_steps` must be > 0. Received: decay_steps={DecaySteps}");

    /// <inheritdoc/>
    public override string ClassName => "InverseTimeDecay";

    /// <inheritdoc/>
    public override double At(long step)
    {
        double p = (double)step / DecaySteps;
        if (Staircase) p = Math.Floor(p);
        return InitialLearningRate / (1 + DecayRate * p);
    }
}
