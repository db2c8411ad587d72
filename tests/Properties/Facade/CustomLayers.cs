using System.Text.Json.Nodes;
using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>A Dense layer written by a user: what the docs show (docs/writing-a-layer.md compiles against this shape).</summary>
public sealed class MyDense(int units, string? name = null) : CustomLayer(name)
{
    private LayerWeight kernel = null!, bias = null!;

    public int Units => units;

    public override void Build(Shape inputShape)
    {
        kernel = AddWeight("kernel", [inputShape[^1]!.Value, units], "glorot_uniform");
        bias = AddWeight("bias", [units], "zeros");
    }

    public override Var Call(Var x, bool training) => Ops.MatMul(x, kernel) + bias;

    public override JsonObject GetConfig() => new() { ["units"] = units };
}

/// <summary>tanh(x·W + b): a smooth custom layer for finite differences.</summary>
public sealed class TanhDense(int units) : CustomLayer
{
    private LayerWeight kernel = null!, bias = null!;

    public override void Build(Shape inputShape)
    {
        kernel = AddWeight("kernel", [inputShape[^1]!.Value, units]);
        bias = AddWeight("bias", [units], "ones");
    }

    public override Var Call(Var x, bool training) => Ops.Tanh(Ops.MatMul(x, kernel) + bias);

    public override JsonObject GetConfig() => new() { ["units"] = units };
}

/// <summary>Two inputs, one weight per feature: a·w + b.</summary>
public sealed class ScaledSum : CustomLayer
{
    private LayerWeight scale = null!;

    public override void Build(IReadOnlyList<Shape> inputShapes) => scale = AddWeight("scale", [inputShapes[0][^1]!.Value], "ones");

    public override Var Call(IReadOnlyList<Var> inputs, bool training) => inputs[0] * scale + inputs[1];
}

/// <summary>Custom layers, Lambda and function losses and metrics through the facade (issue 12 item 5).</summary>
public sealed class CustomLayers
{
    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (p, d) => p * d);
        return Tensor.FromArray([.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);
    }

    private static void Close(Tensor expected, Tensor actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray();
        var a = actual.ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"[{i}]: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void A_custom_dense_computes_and_trains_as_the_built_in_dense()
    {
        Backend.ClearSession();
        var input = Input(shape: [5]);
        var builtIn = Dense(3);
        var reference = new Model(input, builtIn.Call(input));
        var custom = new MyDense(3);
        var model = new Model(input, custom.Call(input));
        custom.SetWeights(builtIn.GetWeights());

        var x = Random(1, 8, 5);
        var y = Random(2, 8, 3);
        Close(reference.Predict(x)[0], model.Predict(x)[0]);

        reference.Compile(Optimizers.SGD(0.1), "mse");
        model.Compile(Optimizers.SGD(0.1), "mse");
        double lossReference = reference.TrainOnBatch(x, y), lossCustom = model.TrainOnBatch(x, y);
        Assert.Equal(lossReference, lossCustom, 5);
        var before = builtIn.GetWeights();
        Assert.NotEqual(before[0].ToArray(), Random(0, 5, 3).ToArray());
        for (int i = 0; i < 2; i++) Close(builtIn.GetWeights()[i], custom.GetWeights()[i]);
        Assert.Equal(["kernel", "bias"], custom.Weights.Select(w => w.Role));
    }

    [Fact]
    public void The_summary_shows_the_class_name_and_parameter_count_and_trainable_false_freezes()
    {
        Backend.ClearSession();
        var custom = new MyDense(4);
        Assert.Equal("my_dense", custom.Name);
        Assert.Equal("my_dense_1", new MyDense(1).Name);
        var model = new Sequential([Input(shape: [6]), custom, Dense(1)]);
        var lines = new List<string>();
        model.Summary(lines.Add);
        var row = Assert.Single(lines, l => l.Contains("my_dense"));
        Assert.Contains("(MyDense)", row);
        Assert.Contains("28", row); // 6·4 + 4
        Assert.Equal(28, custom.CountParams());

        custom.Trainable = false;
        lines.Clear();
        model.Summary(lines.Add);
        Assert.Contains(lines, l => l.StartsWith("Non-trainable params: 28", StringComparison.Ordinal));
        var kernel = custom.GetWeights()[0].ToArray();
        model.Compile("sgd", "mse");
        model.Fit(Random(3, 16, 6), Random(4, 16, 1), epochs: 2, verbose: 0);
        Assert.Equal(kernel, custom.GetWeights()[0].ToArray());
    }

    [Fact]
    public void A_custom_layer_trains_with_fit_and_its_loss_falls()
    {
        Backend.ClearSession();
        var input = Input(shape: [4]);
        var hidden = new TanhDense(8).Call(input);
        var model = new Model(input, new MyDense(1).Call(hidden));
        model.Compile(Optimizers.Adam(0.01), "mse");
        var x = Random(5, 64, 4);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 64).Select(i => x.ToArray()[i * 4] * 0.5f - x.ToArray()[i * 4 + 1])], [64, 1]);
        var history = model.Fit(x, y, epochs: 30, verbose: 0);
        var losses = history["loss"];
        Assert.True(losses[^1] < losses[0] / 4, $"loss {losses[0]} → {losses[^1]}");
    }

    [Fact]
    public void A_multi_input_custom_layer_gets_both_inputs_and_trains()
    {
        Backend.ClearSession();
        var a = Input(shape: [3]);
        var b = Input(shape: [3]);
        var layer = new ScaledSum();
        var model = new Model([a, b], [layer.Call(a, b)]);
        Assert.Equal(Shape.Of(null, 3), model.Outputs[0].Shape);
        var xa = Random(6, 4, 3);
        var xb = Random(7, 4, 3);
        var expected = xa.ToArray().Zip(xb.ToArray(), (p, q) => p + q).ToArray();
        Assert.Equal(expected, model.Predict(xa, xb)[0].ToArray());
        model.Compile(Optimizers.SGD(0.5), "mse");
        var target = Tensor.FromArray([.. xa.ToArray().Zip(xb.ToArray(), (p, q) => 3 * p + q)], [4, 3]);
        model.Fit([xa, xb], [target], epochs: 50, verbose: 0);
        Assert.All(layer.GetWeights()[0].ToArray(), s => Assert.InRange(s, 2.5f, 3.5f));
        var single = Assert.Throws<ShapeError>(() => new MyDense(2).Call(a, b));
        Assert.Contains("expects 1 input", single.Message);
    }

    /// <summary>
    /// The tape's gradients of a custom layer equal central finite differences of a float64
    /// reference: for f = Σ r ⊙ tanh(x·W + b), ∂f/∂x, ∂f/∂W and ∂f/∂b within 1e-3 · max(1, |fd|).
    /// </summary>
    [Property(MaxTest = 30)]
    public Property Custom_layer_gradients_equal_finite_differences() =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), seed =>
        {
            var pick = new Random(seed);
            int batch = pick.Next(1, 5), inDim = pick.Next(1, 5), units = pick.Next(1, 5);
            Backend.ClearSession();
            var layer = new TanhDense(units);
            layer.Call(Input(shape: [inDim]));
            layer.SetWeights(Random(seed, inDim, units), Random(seed + 1, units));
            var record = layer.Record;
            var x = Random(seed + 2, batch, inDim);
            var r = Random(seed + 3, batch, units).ToArray().Select(v => (double)v).ToArray();

            var context = new DeepGraph.Core.ForwardContext(new DeepGraph.Numerics.ManagedGemm(1), new TensorPool(), Training: true);
            var outputs = new[] { Tensor.Zeros(batch, units) };
            var saved = record.ForwardTrain(context, [x], outputs);
            var dx = Tensor.Zeros(batch, inDim);
            var dW = Tensor.Zeros(inDim, units);
            var db = Tensor.Zeros(units);
            record.Backward(context, new DeepGraph.Core.BackwardArgs
            {
                Inputs = [x], Outputs = outputs, Saved = saved,
                OutputGrads = [Tensor.FromArray([.. r.Select(v => (float)v)], [batch, units])],
                InputGrads = [dx], ParamGrads = [dW, db],
            });

            double[] xs = [.. x.ToArray().Select(v => (double)v)], ws = [.. record.Weights[0].Value.ToArray().Select(v => (double)v)],
                bs = [.. record.Weights[1].Value.ToArray().Select(v => (double)v)];
            double F()
            {
                double sum = 0;
                for (int n = 0; n < batch; n++)
                    for (int u = 0; u < units; u++)
                    {
                        double z = bs[u];
                        for (int k = 0; k < inDim; k++) z += xs[n * inDim + k] * ws[k * units + u];
                        sum += r[n * units + u] * Math.Tanh(z);
                    }
                return sum;
            }
            var failures = new List<string>();
            void Check(string what, double[] values, Tensor analytic)
            {
                var a = analytic.ToArray();
                for (int i = 0; i < values.Length; i++)
                {
                    double v = values[i];
                    values[i] = v + 1e-4;
                    double plus = F();
                    values[i] = v - 1e-4;
                    double minus = F();
                    values[i] = v;
                    double fd = (plus - minus) / 2e-4;
                    if (Math.Abs(a[i] - fd) > 1e-3 * Math.Max(1, Math.Abs(fd))) failures.Add($"{what}[{i}]: tape {a[i]}, fd {fd}");
                }
            }
            Check("x", xs, dx);
            Check("kernel", ws, dW);
            Check("bias", bs, db);
            return (failures.Count == 0).Label(string.Join("; ", failures));
        });

    [Fact]
    public void A_lambda_infers_its_output_shape_from_a_symbolic_run()
    {
        Backend.ClearSession();
        var x = Input(shape: [5, 3]);
        var summed = Lambda(v => Ops.Sum(v, [-1], keepDims: true));
        Assert.Equal("lambda", summed.Name);
        Assert.Equal(Shape.Of(null, 5, 1), summed.Call(x).Shape);
        var flat = Lambda(v => Ops.Reshape(v, [-1, 15]), name: "flat").Call(x);
        Assert.Equal(Shape.Of(null, 15), flat.Shape);
        var product = Lambda(vs => vs[0] * vs[1]).Call(flat, Input(shape: [1]));
        Assert.Equal(Shape.Of(null, 15), product.Shape);
        Assert.Equal("lambda_1", product.Layer.Name);

        var model = new Model(x, summed.Call(x));
        var data = Random(8, 2, 5, 3);
        var d = data.ToArray();
        var expected = Enumerable.Range(0, 10).Select(i => d[3 * i] + d[3 * i + 1] + d[3 * i + 2]).ToArray();
        Close(Tensor.FromArray(expected, [2, 5, 1]), model.Predict(data)[0]);

        var error = Assert.Throws<ShapeError>(() => Lambda(v => v * v, name: "square").Call(x, x));
        Assert.Contains("square", error.Message);
    }

    [Fact]
    public void A_lambda_between_layers_trains_through_its_gradient()
    {
        Backend.ClearSession();
        var input = Input(shape: [3]);
        var dense = Dense(1);
        var model = new Model(input, Lambda(v => v * v).Call(dense.Call(input)));
        model.Compile(Optimizers.SGD(0.05), "mse");
        var x = Random(9, 32, 3);
        var xv = x.ToArray();
        var y = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => MathF.Pow(xv[3 * i] - 2 * xv[3 * i + 2], 2))], [32, 1]);
        var history = model.Fit(x, y, epochs: 40, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0] / 4, $"loss {history["loss"][0]} → {history["loss"][^1]}");
    }

    private static (History History, Tensor[] Weights) TrainSmall(LossSpec loss, MetricSpec? metrics = null)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(11);
        var model = new Sequential([Input(shape: [4]), Dense(6, activation: "tanh"), Dense(2)]);
        model.Compile(Optimizers.Adam(0.01), loss, metrics);
        var history = model.Fit(Random(12, 40, 4), Random(13, 40, 2), batchSize: 8, epochs: 4, verbose: 0);
        return (history, [.. model.Layers.SelectMany(l => l.GetWeights())]);
    }

    [Fact]
    public void A_function_loss_follows_the_built_in_mse_trajectory()
    {
        var (builtIn, builtInWeights) = TrainSmall("mse");
        var mine = Losses.FromFunction("my_mse", (yTrue, yPred) =>
        {
            var d = yPred - yTrue;
            return Ops.Mean(d * d, [-1]);
        });
        var (function, functionWeights) = TrainSmall(mine);
        Assert.Equal(4, function["loss"].Count);
        for (int e = 0; e < 4; e++) Assert.Equal(builtIn["loss"][e], function["loss"][e], 5);
        Assert.True(function["loss"][^1] < function["loss"][0]);
        for (int i = 0; i < builtInWeights.Length; i++) Close(builtInWeights[i], functionWeights[i], 1e-4);
    }

    [Fact]
    public void A_function_metric_is_logged_beside_the_named_ones()
    {
        var mae = Metrics.FromFunction("my_mae", (yTrue, yPred) =>
        {
            var d = yPred - yTrue;
            return Ops.Mean(Ops.Maximum(d, -d), [-1]);
        });
        var (history, _) = TrainSmall("mse", ["mae", mae]);
        Assert.Equal(history["mae"].Count, history["my_mae"].Count);
        for (int e = 0; e < history["mae"].Count; e++) Assert.Equal(history["mae"][e], history["my_mae"][e], 5);
    }

    [Fact]
    public void A_function_loss_that_cannot_take_the_targets_says_so_before_training()
    {
        Backend.ClearSession();
        var model = new Sequential([Input(shape: [4]), Dense(2, name: "out")]);
        model.Compile("sgd", Losses.FromFunction("pairwise", (t, p) => Ops.MatMul(p, t)));
        var error = Assert.Throws<ShapeError>(() => model.Fit(Random(1, 8, 4), Random(2, 8, 2), verbose: 0));
        Assert.Contains("pairwise", error.Message);
        Assert.Contains("out", error.Message);
    }

    [Fact]
    public void Weights_are_declared_in_build_and_read_in_call_only()
    {
        Backend.ClearSession();
        var layer = new Misused();
        var error = Assert.Throws<InvalidOperationException>(() => layer.Call(Input(shape: [2])));
        Assert.Contains("AddWeight(\"late\") is called from Build only", error.Message);

        var dense = new MyDense(2);
        dense.Call(Input(shape: [3]));
        var handle = Assert.IsType<LayerWeight>(typeof(MyDense).GetField("kernel", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(dense));
        var outside = Assert.Throws<InvalidOperationException>(() => handle.Var);
        Assert.Contains("kernel", outside.Message);
        Assert.Contains("my_dense", outside.Message);
        Assert.Equal(dense.GetWeights()[0].ToArray(), handle.Value.ToArray());
    }

    private sealed class Misused : CustomLayer
    {
        public override Var Call(Var x, bool training) => x * AddWeight("late", [1]);
    }

    [Fact]
    public void Records_of_custom_layers_are_values()
    {
        Backend.ClearSession();
        var a = new MyDense(3, name: "d");
        a.Call(Input(shape: [2]));
        Backend.ClearSession();
        Backend.SetRandomSeed(99);
        var b = new MyDense(3, name: "d");
        b.Call(Input(shape: [2]));
        Assert.NotEqual(a.Record, b.Record); // other weights (another seed)
        b.SetWeights(a.GetWeights());
        Assert.Equal(a.Record, b.Record);
        Assert.Equal(a.Record.GetHashCode(), b.Record.GetHashCode());
        var c = new MyDense(4, name: "d");
        c.Call(Input(shape: [2]));
        Assert.NotEqual(a.Record, c.Record);
    }

    private static string Folder() => Path.Combine(Path.GetTempPath(), "deepgraph-custom-layers-" + Guid.NewGuid().ToString("N"));

    /// <summary>Keras's <c>from_config</c> for <see cref="MyDense"/>.</summary>
    private static MyDense FromConfig(JsonObject config) => new((int)config["units"]!);

    [Fact]
    public void A_registered_custom_layer_saves_its_config_and_weights_and_loads_into_an_equal_model()
    {
        Func<Var, Var> cube = v => v * v * v;
        Saving.RegisterKerasSerializable(CustomLayer.Kind(FromConfig));
        LambdaFunctions.Register("cube", cube);
        Backend.ClearSession();
        var input = Input(shape: [4]);
        var custom = new MyDense(3, name: "mine");
        var y = Dense(2).Call(Lambda(cube, name: "cubed").Call(custom.Call(input)));
        var model = new Model(input, y);
        model.Compile(Optimizers.Adam(0.01), "mse");
        model.Fit(Random(20, 16, 4), Random(21, 16, 2), epochs: 2, verbose: 0); // weights away from their initial values
        custom.Trainable = false;
        var folder = Folder();
        try
        {
            var path = Path.Combine(folder, "model.json");
            model.Save(path);
            var json = File.ReadAllText(path);
            Assert.Contains("\"class_name\":\"MyDense\"", json.Replace(" ", ""));
            Assert.Contains("\"function\":\"cube\"", json.Replace(" ", ""));

            var loaded = Models.LoadModel(path);
            Assert.Equal(model.CoreModel.Layers, loaded.CoreModel.Layers);
            var handle = Assert.IsType<MyDense>(loaded.Layers.Single(l => l.Name == "mine"));
            Assert.NotSame(custom, handle);
            Assert.Equal(3, handle.Units);
            Assert.False(handle.Trainable);
            var x = Random(22, 5, 4);
            Assert.Equal(model.Predict(x)[0].ToArray(), loaded.Predict(x)[0].ToArray());
            // The loaded layer trains like any other (Trainable restored to true).
            handle.Trainable = true;
            loaded.Compile(Optimizers.SGD(0.1), "mse");
            var before = handle.GetWeights()[0].ToArray();
            loaded.Fit(x, Random(23, 5, 2), verbose: 0);
            Assert.NotEqual(before, handle.GetWeights()[0].ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Not registered anywhere: loading a model that holds it must fail.</summary>
    private sealed class Unregistered(int units, string? name = null) : CustomLayer(name)
    {
        private LayerWeight w = null!;

        public override void Build(Shape inputShape) => w = AddWeight("w", [inputShape[^1]!.Value, units]);

        public override Var Call(Var x, bool training) => Ops.MatMul(x, w);

        public override JsonObject GetConfig() => new() { ["units"] = units };
    }

    /// <summary>Writes <paramref name="model"/> as <c>Save</c> would with <paramref name="kind"/> registered, without registering it in the process.</summary>
    private static void WriteWith(Model model, string path, DeepGraph.Core.LayerKind kind)
    {
        var (json, weights) = DeepGraph.Serialization.TfjsModel.Write(model.CoreModel, "w.bin", Saving.Registry.With(kind));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(path)!, "w.bin"), weights);
    }

    [Fact]
    public void Loading_an_unregistered_custom_class_names_it_and_says_how_to_register_it()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Model(input, new Unregistered(2, name: "odd").Call(input));
        var folder = Folder();
        try
        {
            var path = Path.Combine(folder, "model.json");
            var unsaved = Assert.Throws<ModelFormatError>(() => model.Save(path));
            Assert.Contains("Unregistered", unsaved.Message);
            Assert.Contains("odd", unsaved.Message);

            var kind = CustomLayer.Kind(c => new Unregistered((int)c["units"]!));
            WriteWith(model, path, kind);
            var error = Assert.Throws<UnsupportedLayerError>(() => Models.LoadModel(path));
            Assert.Contains("'Unregistered'", error.Message);
            Assert.Contains("\"odd\"", error.Message);
            Assert.Contains("RegisterKerasSerializable", error.Message);
            var loaded = Models.LoadModel(path, customObjects: [kind]);
            var x = Random(30, 3, 2);
            Assert.Equal(model.Predict(x)[0].ToArray(), loaded.Predict(x)[0].ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_lambda_of_an_unregistered_function_refuses_to_be_saved_and_a_file_naming_one_refuses_to_load()
    {
        Backend.ClearSession();
        var input = Input(shape: [3]);
        var model = new Model(input, Lambda(v => v * 2f, name: "double").Call(input));
        var folder = Folder();
        try
        {
            var path = Path.Combine(folder, "model.json");
            var error = Assert.Throws<ModelFormatError>(() => model.Save(path));
            Assert.Contains("\"double\"", error.Message);
            Assert.Contains("cannot be saved", error.Message);
            Assert.Contains("LambdaFunctions.Register", error.Message);
            Assert.False(File.Exists(path));

            Func<Var, Var> halve = v => v * 0.5f;
            var saved = new Model(input, Lambda(halve, name: "half").Call(input));
            WriteWith(saved, path, DeepGraph.Core.Lambda.KindFor(new Dictionary<string, Delegate> { ["halve_for_this_test"] = halve }));
            var missing = Assert.Throws<UnsupportedLayerError>(() => Models.LoadModel(path));
            Assert.Equal(("half", "Lambda"), (missing.LayerName, missing.ClassName));
            Assert.Contains("'halve_for_this_test'", missing.Message);
            Assert.Contains("\"half\"", missing.Message);
            Assert.Contains("LambdaFunctions.Register", missing.Message);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}
