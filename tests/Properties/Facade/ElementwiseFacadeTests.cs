using DeepGraph.Core;
using DeepGraph.Keras;
using Xunit.Abstractions;
using static DeepGraph.Keras.Layers;
using Model = DeepGraph.Keras.Model;
using Sequential = DeepGraph.Keras.Sequential;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The elementwise family as a Keras user meets it: the functional merge helpers (Keras's <c>layers.add([a, b])</c>),
/// Subtract and Dot in a two-input model that is summarised, trained, saved and loaded; the activation layers'
/// automatic names; and the two hard sigmoids, named in either schema. The model built here is docs/layers-elementwise.md's example.
/// </summary>
public sealed class ElementwiseFacadeTests(ITestOutputHelper output)
{
    /// <summary>docs/layers-elementwise.md's example, verbatim.</summary>
    private static Model Siamese()
    {
        var a = Input(shape: [16], name: "a");
        var b = Input(shape: [16], name: "b");
        var similarity = Dot([a, b], axes: 1, normalize: true, name: "cosine");  // (None, 1)
        var difference = Subtract(a, b);                                         // (None, 16)
        var h = Dense(32, activation: "selu").Call(Concatenate(a, b, difference));
        h = AlphaDropout(0.1, seed: 1).Call(h);
        h = PReLU().Call(Dense(8).Call(h));
        var scores = Softmax(name: "scores").Call(Dense(3).Call(h));
        return new Model(inputs: [a, b], outputs: [similarity, scores]);
    }

    private static Tensor Random(Random rng, params int[] shape) =>
        Tensor.FromArray([.. Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);

    [Fact]
    public void The_docs_model_builds_predicts_trains_saves_and_loads()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var model = Siamese();
        var lines = new List<string>();
        model.Summary(lines.Add);
        foreach (var line in lines) output.WriteLine(line);
        Assert.Contains(lines, l => l.Contains("cosine (Dot)", StringComparison.Ordinal) && l.Contains("(None, 1)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("subtract (Subtract)", StringComparison.Ordinal) && l.Contains("(None, 16)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("concatenate (Concatenate)", StringComparison.Ordinal) && l.Contains("(None, 48)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("p_re_lu (PReLU)", StringComparison.Ordinal) && l.Contains("8", StringComparison.Ordinal));
        Assert.Equal(8, model.GetLayer("p_re_lu").CountParams());

        var rng = new Random(2);
        var (x1, x2) = (Random(rng, 40, 16), Random(rng, 40, 16));
        var predicted = model.Predict(x1, x2);
        // The cosine of each pair of rows, in float64.
        var (v1, v2) = (x1.ToArray(), x2.ToArray());
        for (int n = 0; n < 40; n++)
        {
            double dot = 0, n1 = 0, n2 = 0;
            for (int i = 0; i < 16; i++) { dot += v1[n * 16 + i] * v2[n * 16 + i]; n1 += v1[n * 16 + i] * v1[n * 16 + i]; n2 += v2[n * 16 + i] * v2[n * 16 + i]; }
            Assert.True(Math.Abs(predicted[0].ToArray()[n] - dot / Math.Sqrt(n1 * n2)) < 1e-5);
        }
        var probabilities = predicted[1].ToArray();
        for (int n = 0; n < 40; n++) Assert.True(Math.Abs(probabilities.Skip(3 * n).Take(3).Sum() - 1) < 1e-5);

        // A learnable task: the class is which of the first three features differs most between the two inputs.
        var targets = Tensor.FromArray([.. Enumerable.Range(0, 40).SelectMany(n =>
        {
            var d = Enumerable.Range(0, 3).Select(i => v1[n * 16 + i] - v2[n * 16 + i]).ToArray();
            int k = Array.IndexOf(d, d.Max());
            return new float[] { k == 0 ? 1 : 0, k == 1 ? 1 : 0, k == 2 ? 1 : 0 };
        })], [40, 3]);
        var cosines = predicted[0];
        model.Compile(optimizer: "adam", loss: ["mse", "categorical_crossentropy"]);
        double before = model.Evaluate([x1, x2], [cosines, targets])["loss"];
        model.Fit([x1, x2], [cosines, targets], batchSize: 8, epochs: 10, verbose: 0);
        double after = model.Evaluate([x1, x2], [cosines, targets])["loss"];
        Assert.True(after < before, $"loss did not fall: {before} → {after}");

        var folder = Directory.CreateTempSubdirectory("deepgraph-elementwise-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.json");
            model.Save(path);
            var loaded = Models.LoadModel(path);
            Assert.Equal(model.Layers.Select(l => l.ClassName), loaded.Layers.Select(l => l.ClassName));
            var again = model.Predict(x1, x2);
            var back = loaded.Predict(x1, x2);
            Assert.Equal(again[0].ToArray(), back[0].ToArray());
            Assert.Equal(again[1].ToArray(), back[1].ToArray());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Each_functional_helper_is_its_layer_called_on_the_tensors()
    {
        Backend.ClearSession();
        var a = Input(shape: [3, 4]);
        var b = Input(shape: [3, 4]);
        var c = Input(shape: [3, 4]);
        var outputs = new[]
        {
            Add(a, b, c), Add([a, b]), Subtract(a, b), Subtract([a, b]), Multiply(a, b), Average(a, b, c), Maximum([a, b]), Minimum(a, b),
            Concatenate(a, b), Concatenate([a, b], axis: 1), Dot([a, b], axes: 2), Dot([a, b], axes: (1, 1)),
        };
        Assert.Equal(["Add", "Add", "Subtract", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Concatenate", "Dot", "Dot"],
            outputs.Select(t => t.Layer.ClassName));
        Assert.Equal(
            [Shape.Batched(3, 4), Shape.Batched(3, 4), Shape.Batched(3, 4), Shape.Batched(3, 4), Shape.Batched(3, 4), Shape.Batched(3, 4), Shape.Batched(3, 4),
             Shape.Batched(3, 4), Shape.Batched(3, 8), Shape.Batched(6, 4), Shape.Batched(3, 3), Shape.Batched(4, 4)],
            outputs.Select(t => t.Shape));
        Assert.Equal("subtract_2", Subtract([a, b]).Layer.Name);
        Assert.Equal("sum", Add([a, b], name: "sum").Layer.Name);

        // The results compute what the layers do.
        var model = new Model(inputs: [a, b, c], outputs: [outputs[0], outputs[2], outputs[5]]);
        var rng = new Random(4);
        var (x, y, z) = (Random(rng, 2, 3, 4), Random(rng, 2, 3, 4), Random(rng, 2, 3, 4));
        var got = model.Predict(x, y, z);
        var (xs, ys, zs) = (x.ToArray(), y.ToArray(), z.ToArray());
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(xs[i] + ys[i] + zs[i], got[0].ToArray()[i], 5);
            Assert.Equal(xs[i] - ys[i], got[1].ToArray()[i], 6);
            Assert.Equal((xs[i] + ys[i] + zs[i]) / 3, got[2].ToArray()[i], 5);
        }
        Assert.Throws<ShapeError>(() => Subtract([a, b, c]));
    }

    [Fact]
    public void Activation_layers_take_Keras_automatic_names_and_run_in_a_Sequential()
    {
        Backend.ClearSession();
        var model = new Sequential([
            Dense(6, inputShape: [4]), ReLU(maxValue: 6), LeakyReLU(), PReLU(), ELU(alpha: 0.5), ThresholdedReLU(theta: 0.1),
            GaussianNoise(0.1), GaussianDropout(0.1), Softmax(),
        ]);
        Assert.Equal(["dense", "re_lu", "leaky_re_lu", "p_re_lu", "elu", "thresholded_re_lu", "gaussian_noise", "gaussian_dropout", "softmax"],
            model.Layers.Select(l => l.Name));
        var y = model.Predict(Random(new Random(1), 5, 4))[0];
        Assert.Equal([5, 6], y.Shape.Select(d => d!.Value));
        Assert.Equal(0.3, ((Core.LeakyReLU)model.Layers[2].Record).Alpha);
        Assert.Equal(0.2, ((Core.LeakyReLU)LeakyReLU(alpha: 0.2).Record).Alpha);
        Assert.Equal("spatial_dropout1d", SpatialDropout1D(0.1).Name);
        Assert.Equal(Constant.Ones, ((Core.PReLU)PReLU("Ones").Record).AlphaInitializer);
        Assert.Throws<ArgumentException>(() => PReLU("glorot_uniform"));
        Assert.Throws<ArgumentException>(() => SpatialDropout2D(0.1, dataFormat: "channels_middle"));
    }

    [Fact]
    public void The_two_hard_sigmoids_are_named_in_either_schema()
    {
        Assert.Same(ActivationFunction.HardSigmoid, ActivationFunction.Parse("hard_sigmoid"));
        Assert.Same(ActivationFunction.HardSigmoid, ActivationFunction.Parse("hardSigmoid"));
        Assert.Same(ActivationFunction.HardSigmoidKeras3, ActivationFunction.Parse("hard_sigmoid", keras3: true));
        Assert.Same(ActivationFunction.HardSigmoidKeras3, ActivationFunction.Parse("hard_sigmoid_keras3"));
        Assert.Same(ActivationFunction.HardSigmoid, ActivationFunction.Parse("hard_sigmoid_keras2", keras3: true));
        Assert.Same(ActivationFunction.HardSilu, ActivationFunction.Parse("hard_swish"));
        foreach (var f in ActivationFunction.All)
            foreach (bool keras3 in new[] { false, true })
                Assert.Same(f, ActivationFunction.Parse(f.KerasNameIn(keras3), keras3));
        Assert.Equal("hard_sigmoid", ActivationFunction.HardSigmoidKeras3.KerasNameIn(keras3: true));

        // Keras 2: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3)/6. They differ at 1: 0.7 and 0.6667.
        var x = new float[] { -4, -1, 0, 1, 2.4f, 4 };
        var k2 = (float[])x.Clone();
        var k3 = (float[])x.Clone();
        global::DeepGraph.Numerics.Activate.InPlace(ActivationFunction.HardSigmoid, k2, x.Length);
        global::DeepGraph.Numerics.Activate.InPlace(ActivationFunction.HardSigmoidKeras3, k3, x.Length);
        Assert.Equal(x.Select(v => Math.Clamp(0.2 * v + 0.5, 0, 1)), k2.Select(v => (double)v), new ToleranceComparer(1e-6));
        Assert.Equal(x.Select(v => Math.Clamp(v + 3.0, 0, 6) / 6), k3.Select(v => (double)v), new ToleranceComparer(1e-6));

        // A Dense with Keras 3's hard sigmoid saves under the unambiguous name and loads as itself.
        Backend.ClearSession();
        var input = Input(shape: [3]);
        var model = new Model(input, Dense(2, activation: "hard_sigmoid_keras3", name: "gate").Call(input));
        var folder = Directory.CreateTempSubdirectory("deepgraph-hard-sigmoid-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.json");
            model.Save(path);
            Assert.Contains("\"hard_sigmoid_keras3\"", File.ReadAllText(path));
            Assert.Same(ActivationFunction.HardSigmoidKeras3, ((Core.Dense)Models.LoadModel(path).GetLayer("gate").Record).Activation);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Softmax_gives_masked_steps_no_weight_and_the_elementwise_layers_pass_the_mask_on()
    {
        Backend.ClearSession();
        var ids = Input(shape: [4], dtype: "int32");
        var x = Embedding(6, 3, maskZero: true).Call(ids);
        x = PReLU().Call(ReLU(maxValue: 6, negativeSlope: 0.1).Call(Dense(3).Call(x)));
        x = GaussianNoise(0.1).Call(LeakyReLU().Call(ELU().Call(x)));
        var weights = Softmax(axis: 1).Call(x); // over the steps, as attention pooling does
        var model = new Model(ids, weights);
        var tokens = Tensor.FromInts([3, 1, 0, 0, 2, 0, 5, 4], [2, 4]);
        bool[] real = [true, true, false, false, true, false, true, true];

        var context = new ForwardContext(Execution.Harness.Managed, new TensorPool());
        var y = Executor.Run(ExecutionPlan.Of(model.CoreModel), [tokens], context, out var masks)[0].ToArray();
        Assert.Equal(real, masks[0]!.Ints.ToArray().Select(b => b != 0));
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
            {
                var column = Enumerable.Range(0, 4).Select(t => y[(n * 4 + t) * 3 + c]).ToArray();
                Assert.Equal(1, column.Sum(), 5);
                for (int t = 0; t < 4; t++)
                    if (!real[n * 4 + t]) Assert.Equal(0f, column[t]);
            }
        // Without a mask the same layer weighs every step.
        Backend.ClearSession();
        var plainIds = Input(shape: [4], dtype: "int32");
        var plain = new Model(plainIds, Softmax(axis: 1).Call(Embedding(6, 3).Call(plainIds))).Predict(tokens)[0].ToArray();
        Assert.All(plain, v => Assert.True(v > 0));
    }

    [Theory]
    [InlineData("GaussianNoise")]
    [InlineData("GaussianDropout")]
    [InlineData("AlphaDropout")]
    public void An_inactive_noise_layer_trains_as_if_it_were_not_there(string kind)
    {
        // Rate or deviation 0: the layer shares its input in training too; its input has a second reader, so the
        // gradient reaches it twice.
        Model Build(bool withNoise)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(9);
            var x = Input(shape: [5]);
            var a = Dense(4, activation: "tanh", name: "a").Call(x);
            var n = !withNoise ? a : kind switch
            {
                "GaussianNoise" => GaussianNoise(0).Call(a),
                "GaussianDropout" => GaussianDropout(0).Call(a),
                _ => AlphaDropout(0).Call(a),
            };
            var model = new Model(x, Dense(2, name: "out").Call(Add(n, Dense(4, name: "b").Call(a))));
            model.Compile(optimizer: "sgd", loss: "mse");
            return model;
        }
        var rng = new Random(3);
        var (xs, ys) = (Random(rng, 8, 5), Random(rng, 8, 2));
        var plain = Build(withNoise: false);
        var noisy = Build(withNoise: true);
        noisy.SetWeights(plain.GetWeights());
        plain.TrainOnBatch(xs, ys);
        noisy.TrainOnBatch(xs, ys);
        Assert.Equal(plain.GetWeights().Select(w => w.ToArray()), noisy.GetWeights().Select(w => w.ToArray()));
        Assert.Equal(plain.Predict(xs)[0].ToArray(), noisy.Predict(xs)[0].ToArray());
    }

    [Fact]
    public void The_docs_page_shows_this_files_model_verbatim()
    {
        static string Trimmed(string code) => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()));
        var root = Docs.DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "layers-elementwise.md")).ReplaceLineEndings("\n");
        int start = page.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        var block = page[start..page.IndexOf("```", start, StringComparison.Ordinal)];
        var source = Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Facade", "ElementwiseFacadeTests.cs")));
        Assert.Contains(Trimmed(block).Trim('\n'), source, StringComparison.Ordinal);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(double value) => 0;
    }
}
