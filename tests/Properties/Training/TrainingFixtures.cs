using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Execution;
using DeepGraph.Properties.Numerics;
using DeepGraph.Properties.Serialization;

namespace DeepGraph.Properties.Training;

/// <summary>
/// The TensorFlow.js training fixtures (tests/fixtures/train, see its README): the loss, every
/// gradient, and the weights after one and three steps of SGD and of Adam, reproduced within
/// 1e-4 (|got − want| / max(1, |want|)) on the managed GEMM and (separate tests, skipped when none
/// loads) on every native BLAS, with the pure step and with donated buffers.
/// </summary>
public sealed class TrainingFixtures
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> TrainNames => Fixtures.TrainNames;

    private sealed record Case(Model Model, Tensor[] X, Tensor[] Y, Loss[] Losses, string[] Outputs, JsonNode Json, string Folder)
    {
        public TrainingConfig Config(Optimizer optimizer) => TrainingConfig.Of(optimizer, Losses);

        public Tensor[] Bundle(JsonNode node) => FixturePredictions.ReadBundle(Path.Combine(Folder, (string)node["file"]!), node["manifest"]!.AsArray());

        public string[] Names(JsonNode node) => [.. node["manifest"]!.AsArray().Select(e => (string)e!["name"]!)];
    }

    private static Case Load(string name)
    {
        var folder = Folder(name);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "train.json")))!;
        var model = Fixtures.Read(folder);
        var c = new Case(model, [], [], [], [], json, folder);
        var losses = json["losses"]!.AsArray();
        return c with
        {
            X = c.Bundle(json["inputs"]!),
            Y = c.Bundle(json["targets"]!),
            Losses = [.. losses.Select(l => Loss.Get((string)l!["keras"]!))],
            Outputs = [.. losses.Select(l => (string)l!["output"]!)],
        };
    }

    private static ForwardContext Context(IGemm gemm) => new(gemm, new TensorPool(), Training: true);

    /// <summary>Every weight of the model by its fixture name, <c>layer/role</c>.</summary>
    private static Dictionary<string, Tensor> WeightsByName(Model model) =>
        Trainer.AllLayers(model).Values.Where(l => l is not Model)
            .SelectMany(l => l.Weights.Select(w => (Name: $"{l.Name}/{w.Role}", w.Value)))
            .ToDictionary(p => p.Name, p => p.Value);

    private static void AssertClose(string what, ReadOnlySpan<float> got, ReadOnlySpan<float> want, double tolerance = Tolerance)
    {
        Assert.Equal(want.Length, got.Length);
        double worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(got[i] - want[i]) / Math.Max(1.0, Math.Abs(want[i])));
        Assert.True(worst <= tolerance, $"{what}: worst relative difference {worst:G3} > {tolerance}");
    }

    private static void AssertWeights(string what, Model model, Case c, JsonNode bundle, double tolerance = Tolerance)
    {
        var weights = WeightsByName(model);
        var want = c.Bundle(bundle);
        var names = c.Names(bundle);
        for (int i = 0; i < names.Length; i++) AssertClose($"{what} {names[i]}", weights[names[i]].Span, want[i].Span, tolerance);
    }

    /// <summary>Every training fixture by name, first and second generation (tests/fixtures/train and train2).</summary>
    public static IEnumerable<object[]> Cases() =>
        from parent in new[] { Fixtures.Train, Fixtures.Train2 }
        from name in Directory.GetDirectories(parent).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)
        select new object[] { name };

    /// <summary>The folder of training fixture <paramref name="name"/>: under train, else under train2.</summary>
    private static string Folder(string name) =>
        Directory.Exists(Path.Combine(Fixtures.Train, name)) ? Path.Combine(Fixtures.Train, name) : Path.Combine(Fixtures.Train2, name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_and_every_gradient_match_tfjs(string name) => LossAndGradients(name, Harness.Managed);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [MemberData(nameof(Cases))]
    public void Loss_and_every_gradient_match_tfjs_on_native_BLAS(string name)
    {
        foreach (var gemm in Harness.NativeOrFail) LossAndGradients(name, gemm);
    }

    private static void LossAndGradients(string name, IGemm gemm)
    {
        var c = Load(name);
        var (gradients, logs) = Trainer.ComputeGradients(c.Model, c.X, c.Y, c.Config(new Sgd()), Context(gemm));
        using (gradients)
        {
            var loss = c.Json["loss"]!;
            Assert.True(Math.Abs(logs.Loss - (double)loss["total"]!) <= Tolerance * Math.Max(1, Math.Abs(logs.Loss)), $"total loss {logs.Loss} vs {loss["total"]}");
            for (int o = 0; o < c.Outputs.Length; o++)
            {
                double want = (double)loss["per_output"]![c.Outputs[o]]!;
                Assert.True(Math.Abs(logs.OutputLosses[o] - want) <= Tolerance * Math.Max(1, want), $"loss of {c.Outputs[o]}: {logs.OutputLosses[o]} vs {want}");
            }
            var grads = c.Json["gradients"]!;
            var expected = c.Bundle(grads);
            var names = c.Names(grads);
            var layers = Trainer.AllLayers(c.Model).Values.Where(l => l is not Model).ToDictionary(l => l.Name);
            int compared = 0;
            for (int i = 0; i < names.Length; i++)
            {
                // layer/role; a wrapper's role has a slash of its own (bidirectional/forward_simple_rnn/kernel).
                var (layerName, role) = (names[i][..names[i].IndexOf('/')], names[i][(names[i].IndexOf('/') + 1)..]);
                var layer = layers[layerName];
                int index = layer.Weights.Select(w => w.Role).ToList().IndexOf(role);
                var g = gradients.Of(layer.Id)?[index];
                Assert.NotNull(g);
                AssertClose($"gradient {names[i]}", g!.Span, expected[i].Span);
                compared++;
            }
            Assert.Equal(c.Model.Weights.Count(w => w.Trainable), compared);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_and_three_sgd_steps_match_tfjs(string name) =>
        Steps(name, Harness.Managed, "sgd", new Sgd { LearningRate = 0.1f });

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [MemberData(nameof(Cases))]
    public void One_and_three_sgd_steps_match_tfjs_on_native_BLAS(string name)
    {
        foreach (var gemm in Harness.NativeOrFail) Steps(name, gemm, "sgd", new Sgd { LearningRate = 0.1f });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void One_and_three_adam_steps_match_tfjs(string name) =>
        Steps(name, Harness.Managed, "adam", new Adam { LearningRate = 0.01f, Form = AdamForm.TensorFlowJs });

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [MemberData(nameof(Cases))]
    public void One_and_three_adam_steps_match_tfjs_on_native_BLAS(string name)
    {
        foreach (var gemm in Harness.NativeOrFail) Steps(name, gemm, "adam", new Adam { LearningRate = 0.01f, Form = AdamForm.TensorFlowJs });
    }

    private static void Steps(string name, IGemm gemm, string key, Optimizer optimizer)
    {
        var c = Load(name);
        var spec = c.Json["steps"]![key]!;
        var before = WeightsByName(c.Model).ToDictionary(p => p.Key, p => p.Value.ToArray());
        var reported = spec["reported_losses"]!.AsArray();
        var config = c.Config(optimizer);
        var model = c.Model;
        var state = OptimizerState.Initial;
        for (int s = 0; s < 3; s++)
        {
            var (next, nextState, logs) = Trainer.Step(model, state, c.X, c.Y, config, Context(gemm) with { Seed = s });
            double want = (double)reported[s]!["total"]!;
            Assert.True(Math.Abs(logs.Loss - want) <= Tolerance * Math.Max(1, want), $"{key} step {s + 1} reported loss {logs.Loss} vs {want}");
            Assert.True(logs.Updated);
            (model, state) = (next, nextState);
            if (s == 0) AssertWeights($"{key} after 1 step", model, c, spec["after_1_step"]!);
        }
        AssertWeights($"{key} after 3 steps", model, c, spec["after_3_steps"]!);
        Assert.Equal(3, state.Iterations);

        // The pure step left the fixture's model as it was.
        foreach (var (weight, values) in WeightsByName(c.Model)) Assert.Equal(before[weight], values.ToArray());

        // Donating the buffers gives the same bits as the pure step.
        var donated = Fixtures.Read(c.Folder);
        var donatedState = OptimizerState.Initial;
        for (int s = 0; s < 3; s++)
            (donated, donatedState, _) = Trainer.Step(donated, donatedState, c.X, c.Y, config, Context(gemm) with { Seed = s }, donate: true);
        var pure = WeightsByName(model);
        foreach (var (weight, value) in WeightsByName(donated)) Assert.Equal(pure[weight].ToArray(), value.ToArray());
    }

    [Theory]
    [MemberData(nameof(TrainNames))]
    public void Keras_form_of_adam_stays_within_its_documented_distance_of_tfjs(string name)
    {
        // The fixtures' README: Keras puts ε outside the bias correction, which moves these weights by up to 1.65e-3 (relative).
        var c = Load(name);
        var (model, _, _) = Trainer.Step(c.Model, OptimizerState.Initial, c.X, c.Y, c.Config(new Adam { LearningRate = 0.01f }), Context(Harness.Managed));
        AssertWeights("keras-form adam after 1 step", model, c, c.Json["steps"]!["adam"]!["after_1_step"]!, tolerance: 2e-3);
    }
}
