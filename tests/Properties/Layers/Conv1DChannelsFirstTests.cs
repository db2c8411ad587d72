using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PureHDF;
using static DeepGraph.Properties.Layers.OpLayerHarness;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Conv1D with Keras's <c>data_format="channels_first"</c>: input (batch, channels, steps), output (batch, filters, steps'),
/// kernel (k, channels, filters) as channels-last. Laws: it is the channels-last layer with the same weights between
/// transposes (for an activation applied value by value); shapes and parameter counts; forward against a float64
/// loop written from Keras's definition and backward against finite differences of it (softmax runs over the
/// output's last axis, the steps); the registry reads the configs of the keras-files' channels-first models.
/// </summary>
public sealed class Conv1DChannelsFirstTests
{
    private static readonly Gen<int> Seed = Gen.Choose(0, 1 << 30);
    private static readonly LayerId Id = Harness.LayerUnderTest;

    /// <summary>Random convolution arguments Keras accepts: strides and dilation not both above 1; valid needs span ≤ steps.</summary>
    private static Gen<(int n, int t, int c, int f, int k, int s, int d, string padding, bool bias, int seed)> Args =>
        from n in Gen.Choose(1, 2) from t in Gen.Choose(1, 9) from c in Gen.Choose(1, 4) from f in Gen.Choose(1, 4)
        from k in Gen.Choose(1, 4) from stride in Gen.Choose(1, 3) from dilation in Gen.Choose(1, 3)
        from padding in Gen.Elements("valid", "same", "causal") from bias in Gen.Elements(true, false) from seed in Seed
        let s = dilation > 1 ? 1 : stride
        where padding != "valid" || t >= (k - 1) * dilation + 1
        select (n, t, c, f, k, s, dilation, padding, bias, seed);

    /// <summary>Output steps: valid ⌊(t − span)/s⌋ + 1; same and causal ⌈t/s⌉.</summary>
    private static int Steps(int t, int k, int s, int d, string padding) => padding == "valid" ? (t - ((k - 1) * d + 1)) / s + 1 : (t + s - 1) / s;

    /// <summary>(n, a, b) → (n, b, a).</summary>
    private static Tensor Transposed(Tensor x)
    {
        int n = x.Shape[0]!.Value, a = x.Shape[1]!.Value, b = x.Shape[2]!.Value;
        var v = x.ToArray();
        var y = new float[v.Length];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j++) y[(s * b + j) * a + i] = v[(s * a + i) * b + j];
        return Tensor.FromArray(y, [n, b, a]);
    }

    private static Conv1D Conv(int f, int k, int s, string padding, string activation, bool bias, int d, bool channelsFirst) =>
        new(f, k, s, padding, ActivationFunction.Parse(activation), bias, d, channelsFirst) { Id = Id, Name = "conv1d" };

    /// <summary>
    /// Keras's channels-first Conv1D in float64: y[b, o, u] = act(bias[o] + Σ_{i, ci} x[b, ci, u·s − before + i·d] · kernel[i, ci, o]),
    /// taps outside the sequence dropped; before = 0 (valid), (span − 1) (causal) or TensorFlow's same split; act over u.
    /// </summary>
    private static double[] KerasReference(double[] x, double[][] w, int n, int c, int t, int f, int k, int s, int d, string padding, bool useBias, string activation)
    {
        int span = (k - 1) * d + 1, steps = Steps(t, k, s, d, padding);
        int before = padding switch
        {
            "causal" => span - 1,
            "same" => Math.Max((steps - 1) * s + span - t, 0) / 2,
            _ => 0,
        };
        var y = new double[n * f * steps];
        for (int b = 0; b < n; b++)
            for (int o = 0; o < f; o++)
            {
                var row = new double[steps];
                for (int u = 0; u < steps; u++)
                {
                    double sum = useBias ? w[1][o] : 0;
                    for (int i = 0; i < k; i++)
                    {
                        int at = u * s - before + i * d;
                        if (at < 0 || at >= t) continue;
                        for (int ci = 0; ci < c; ci++) sum += x[(b * c + ci) * t + at] * w[0][(i * c + ci) * f + o];
                    }
                    row[u] = sum;
                }
                Activate(activation, row).CopyTo(y, (b * f + o) * steps);
            }
        return y;
    }

    /// <summary>The activations of the reference, over one row of the last axis.</summary>
    private static double[] Activate(string activation, double[] row)
    {
        switch (activation)
        {
            case "tanh": return [.. row.Select(Math.Tanh)];
            case "swish": return [.. row.Select(v => v / (1 + Math.Exp(-v)))];
            case "softmax":
                double max = row.Length == 0 ? 0 : row.Max();
                var e = row.Select(v => Math.Exp(v - max)).ToArray();
                double total = e.Sum();
                return [.. e.Select(v => v / total)];
            default: return row;
        }
    }

    [Property(MaxTest = 80)]
    public Property Channels_first_is_the_channels_last_layer_between_transposes() => Prop.ForAll(
        (from a in Args from act in Gen.Elements("linear", "relu", "sigmoid", "tanh", "swish") select (a, act)).ToArbitrary(), p =>
        {
            var (a, act) = p;
            var rng = new Random(a.seed);
            var xLast = Harness.RandomTensor(rng, [a.n, a.t, a.c]);
            var last = Built(Conv(a.f, a.k, a.s, a.padding, act, a.bias, a.d, channelsFirst: false), [xLast], rng);
            var first = Conv(a.f, a.k, a.s, a.padding, act, a.bias, a.d, channelsFirst: true) with { Params = last.Params };
            var want = Transposed(Forward(last, [xLast])[0]);
            var got = Forward(first, [Transposed(xLast)])[0];
            var trained = Forward(first, [Transposed(xLast)], training: true)[0];
            return (got.Shape == want.Shape && Worst(got.Span, Wide(want)) <= 1e-6 && Worst(trained.Span, Wide(want)) <= 1e-6)
                .Label($"{p}: got {got.Shape}, want {want.Shape}");
        });

    [Property(MaxTest = 60)]
    public Property Channels_first_matches_Keras_and_its_gradients_match_finite_differences() => Prop.ForAll(
        (from a in Args from act in Gen.Elements("linear", "tanh", "swish", "softmax") select (a, act)).ToArbitrary(), p =>
        {
            var (a, act) = p;
            var rng = new Random(a.seed);
            var x = Harness.RandomTensor(rng, [a.n, a.c, a.t]);
            var layer = Built(Conv(a.f, a.k, a.s, a.padding, act, a.bias, a.d, channelsFirst: true), [x], rng);
            OpLayerHarness.Reference reference = (xs, ws) => KerasReference(xs[0], ws, a.n, a.c, a.t, a.f, a.k, a.s, a.d, a.padding, a.bias, act);
            var y = Forward(layer, [x])[0];
            int steps = Steps(a.t, a.k, a.s, a.d, a.padding);
            bool shape = y.Shape == Shape.Known(a.n, a.f, steps);
            double forward = shape ? Worst(y.Span, reference([Wide(x)], [.. layer.Weights.Select(w => Wide(w.Value))])) : double.NaN;
            var (worst, where) = GradientError(layer, [x], reference, rng);
            return (shape && forward <= 1e-5 && worst <= 1e-4).Label($"{p}: shape {y.Shape}, forward worst {forward:G3}, gradient worst {worst:G3} at {where}");
        });

    [Property(MaxTest = 30)]
    public Property An_input_gradient_is_added_to_or_written_when_marked_unset() => Prop.ForAll(
        (from a in Args from act in Gen.Elements("linear", "tanh", "swish") select (a, act)).ToArbitrary(), p =>
        {
            var (a, act) = p;
            var rng = new Random(a.seed);
            var x = Harness.RandomTensor(rng, [a.n, a.c, a.t]);
            var layer = Built(Conv(a.f, a.k, a.s, a.padding, act, a.bias, a.d, channelsFirst: true), [x], rng);
            var dy = Harness.RandomTensor(rng, layer.OutputShapes([x.Shape])[0].ToArray());
            var (_, dx, _) = Gradients(layer, [x], dy);
            float[] Backward(float fill, bool unset)
            {
                var y = Tensor.Zeros(dy.Shape.ToArray());
                var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: true);
                var saved = layer.ForwardTrain(context, [x], [y]);
                var into = Tensor.Filled(fill, x.Shape.ToArray());
                layer.Backward(context, new BackwardArgs
                {
                    Inputs = [x], Outputs = [y], Saved = saved, OutputGrads = [Tensor.FromArray(dy.ToArray(), dy.Shape.ToArray())],
                    InputGrads = [into], InputGradsUnset = [unset], ParamGrads = [.. layer.Params.Select(w => Tensor.Zeros(w.Shape.ToArray()))],
                });
                return into.ToArray();
            }
            var written = Backward(float.NaN, unset: true);
            var added = Backward(1f, unset: false);
            var want = dx[0]!.ToArray();
            return (written.SequenceEqual(want) && added.Zip(want, (g, w) => Math.Abs(g - (1f + w)) <= 1e-6).All(ok => ok)).Label(p.ToString());
        });

    [Property(MaxTest = 100)]
    public Property Output_shape_is_batch_filters_steps_and_the_kernel_is_k_channels_filters() => Prop.ForAll(
        (from a in Args from knownSteps in Gen.Elements(true, false) from knownBatch in Gen.Elements(true, false) select (a, knownSteps, knownBatch)).ToArbitrary(), p =>
        {
            var (a, knownSteps, knownBatch) = p;
            var layer = Conv(a.f, a.k, a.s, a.padding, "linear", a.bias, a.d, channelsFirst: true);
            int? batch = knownBatch ? a.n : null;
            var input = Shape.Of(batch, a.c, knownSteps ? a.t : null);
            var want = Shape.Of(batch, a.f, knownSteps ? Steps(a.t, a.k, a.s, a.d, a.padding) : null);
            var last = Conv(a.f, a.k, a.s, a.padding, "linear", a.bias, a.d, channelsFirst: false);
            var lastOut = last.OutputShapes([Shape.Of(batch, input[2], a.c)])[0];
            var built = (Conv1D)layer.Build([input], seed: a.seed);
            long count = (long)a.k * a.c * a.f + (a.bias ? a.f : 0);
            return (layer.OutputShapes([input])[0] == want && built.OutputShapes([input])[0] == want
                    && Shape.Of(lastOut[0], lastOut[2], lastOut[1]) == want
                    && built.Kernel!.Shape == Shape.Known(a.k, a.c, a.f) && (built.Bias?.Shape ?? Shape.Known()) == (a.bias ? Shape.Known(a.f) : Shape.Known())
                    && built.ParamCount == count)
                .Label($"{p}: {layer.OutputShapes([input])[0]}, want {want}; {built.ParamCount} parameters, want {count}");
        });

    [Fact]
    public void Channels_first_shape_errors_name_the_channel_axis()
    {
        var layer = new Conv1D(4, 2, channelsFirst: true) { Id = Id, Name = "c" };
        Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Of(null, null, 5)]));
        Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Batched(5)]));
        // Too few steps (axis 2) for a valid window, not too few channels.
        Assert.Throws<ShapeError>(() => new Conv1D(4, 6, channelsFirst: true) { Id = Id, Name = "c" }.OutputShapes([Shape.Batched(8, 3)]));
        Assert.Equal(Shape.Batched(4, 3), new Conv1D(4, 6, channelsFirst: true) { Id = Id, Name = "c" }.OutputShapes([Shape.Batched(3, 8)])[0]);
        var built = layer.Build([Shape.Batched(3, 16)], seed: 1);
        var e = Assert.Throws<ShapeError>(() => built.OutputShapes([Shape.Batched(16, 3)]));
        Assert.Contains("axis 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Channels_first_is_part_of_the_record()
    {
        var first = new Conv1D(4, 2, channelsFirst: true) { Id = Id, Name = "c" };
        var last = new Conv1D(4, 2) { Id = Id, Name = "c" };
        Assert.True(first.ChannelsFirst);
        Assert.False(last.ChannelsFirst);
        Assert.NotEqual<Core.Layer>(first, last);
        Assert.NotEqual(first.Build([Shape.Batched(3, 16)], 1), last.Build([Shape.Batched(16, 3)], 1));
    }

    // ---- the keras-files' configs ------------------------------------------------------------------

    /// <summary>
    /// The Conv1D configs of two keras-files models, as their model_config holds them (Keras 2.3.1):
    /// conv1d_k2_s1_d1_cf_same_model.h5 and conv1d_k4_s1_d2_cf_valid_model.h5.
    /// </summary>
    public static TheoryData<string, int, int, int, int, string> KerasFileConfigs => new()
    {
        { """{"name": "conv0", "trainable": true, "batch_input_shape": [null, 3, 16], "dtype": "float32", "filters": 4, "kernel_size": [2], "strides": [1], "padding": "same", "data_format": "channels_first", "dilation_rate": [1], "activation": "sigmoid", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}""",
            2, 1, 1, 16, "same" },
        { """{"name": "conv0", "trainable": true, "batch_input_shape": [null, 3, 16], "dtype": "float32", "filters": 4, "kernel_size": [4], "strides": [1], "padding": "valid", "data_format": "channels_first", "dilation_rate": [2], "activation": "sigmoid", "use_bias": true, "kernel_initializer": {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": null}}, "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}""",
            4, 1, 2, 16 - 3 * 2, "valid" },
    };

    [Theory]
    [MemberData(nameof(KerasFileConfigs))]
    public void The_registry_reads_the_keras_files_channels_first_configs(string json, int k, int s, int d, int steps, string padding)
    {
        const string where = "layer \"conv0\" (Conv1D)";
        var config = LayerConfig.Of(KerasDialect.ReadLayerConfig("Conv1D", JsonNode.Parse(json)!.AsObject(), where, keras3: false, kerasVersion: "2.3.1"), where);
        var layer = Assert.IsType<Conv1D>(LayerRegistry.Default.Read("Conv1D", config, Id, "conv0"));
        Assert.True(layer.ChannelsFirst);
        Assert.Equal((4, k, s, d, padding, "sigmoid", true), (layer.Filters, layer.KernelSize, layer.Strides, layer.DilationRate, layer.Padding, layer.Activation.KerasName, layer.UseBias));

        var input = config.DeclaredInputShape()!;
        Assert.Equal(Shape.Batched(3, 16), input);
        var built = (Conv1D)layer.Build([input], seed: 1);
        Assert.Equal(Shape.Batched(4, steps), built.OutputShapes([input])[0]);
        Assert.Equal(Shape.Known(k, 3, 4), built.Kernel!.Shape); // Keras's (kernel_size, in_channels, filters), as the file stores it
        Assert.Equal(Shape.Known(4), built.Bias!.Shape);

        // Written back: data_format channels_first, and read again to the same record (also through Keras 3's entry).
        var written = LayerRegistry.Default.Write(layer);
        Assert.Equal("channels_first", (string?)written["data_format"]);
        var again = LayerRegistry.Default.Read("Conv1D", LayerConfig.Of(JsonNode.Parse(written.ToJsonString()), where), Id, "conv0");
        Assert.Equal<Core.Layer>(layer, again);
        var entry = KerasDialect.Keras3Layer(layer, LayerRegistry.Default);
        var keras3 = KerasDialect.ReadLayerConfig("Conv1D", JsonNode.Parse(entry["config"]!.ToJsonString())!.AsObject(), where, keras3: true, kerasVersion: "3.8.0");
        Assert.Equal<Core.Layer>(layer, LayerRegistry.Default.Read("Conv1D", LayerConfig.Of(keras3, where), Id, "conv0"));
    }

    [Theory]
    [InlineData("channels_last", false)]
    [InlineData("channelsLast", false)]
    [InlineData("channels_first", true)]
    [InlineData("channelsFirst", true)]
    [InlineData(null, false)]
    public void The_registry_reads_every_spelling_of_data_format(string? format, bool channelsFirst)
    {
        var config = new JsonObject { ["filters"] = 2, ["kernel_size"] = 3 };
        if (format is not null) config["data_format"] = format;
        var layer = (Conv1D)LayerRegistry.Default.Read("Conv1D", LayerConfig.Of(config, "c"), Id, "c");
        Assert.Equal(channelsFirst, layer.ChannelsFirst);
    }

    [Theory]
    [InlineData("channels_middle")]
    [InlineData("NCW")]
    public void The_registry_refuses_an_unknown_data_format(string format)
    {
        var config = new JsonObject { ["filters"] = 2, ["kernel_size"] = 3, ["data_format"] = format };
        var e = Assert.Throws<ModelFormatError>(() => LayerRegistry.Default.Read("Conv1D", LayerConfig.Of(config, "c"), Id, "c"));
        Assert.Contains("data_format", e.Message, StringComparison.Ordinal);
        Assert.Contains(format, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_facade_takes_dataFormat()
    {
        Keras.Backend.ClearSession();
        var series = Keras.Layers.Input(shape: [3, 16]);
        var conv = Keras.Layers.Conv1D(4, 3, strides: 2, padding: "same", dataFormat: "channels_first");
        Assert.Equal(Shape.Batched(4, 8), conv.Call(series).Shape);
        Assert.Equal(3 * 3 * 4 + 4, conv.CountParams());
        var e = Assert.Throws<ArgumentException>(() => Keras.Layers.Conv1D(4, 3, dataFormat: "channels_middle"));
        Assert.Contains("data_format", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>
/// The 16 channels-first models of keras-files end to end without a Keras loader: each file's Conv1D config read by
/// the registry, its weights read straight from model_weights with PureHDF, the expected input run through the layer
/// and compared with the expected output (computed independently in float64 from Keras's semantics).
/// </summary>
public sealed class Conv1DChannelsFirstKerasFiles
{
    /// <summary>The .h5 paths (relative to keras-files) of the channels-first models.</summary>
    public static TheoryData<string> Files => new(Directory.EnumerateFiles(Serialization.Fixtures.KerasFiles, "*_cf_*.h5", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(Serialization.Fixtures.KerasFiles, f).Replace('\\', '/')).Order(StringComparer.Ordinal));

    [Fact]
    public void There_are_16_files() => Assert.Equal(16, Files.Count);

    [Theory]
    [MemberData(nameof(Files))]
    public void The_layer_gives_the_expected_output(string relative)
    {
        using var file = H5File.OpenRead(Path.Combine(Serialization.Fixtures.KerasFiles, relative));
        var model = JsonNode.Parse(file.Attribute("model_config").Read<string>())!;
        var entry = Assert.Single(model["config"]!["layers"]!.AsArray())!;
        Assert.Equal("Conv1D", (string?)entry["class_name"]);
        string name = (string)entry["config"]!["name"]!, where = $"{relative}: layer \"{name}\"";
        var config = LayerConfig.Of(KerasDialect.ReadLayerConfig("Conv1D", entry["config"]!.AsObject(), where, keras3: false, kerasVersion: "2.3.1"), where);
        var layer = (Conv1D)LayerRegistry.Default.Read("Conv1D", config, new LayerId(1), name);
        Assert.True(layer.ChannelsFirst);
        var input = config.DeclaredInputShape()!;
        var specs = layer.WeightSpecs([input]);
        var weights = $"model_weights/{name}/{name}";
        var values = specs.Select(s =>
        {
            var data = file.Dataset($"{weights}/{s.Role}:0");
            Assert.Equal(s.Shape.Select(d => (ulong)d!.Value), data.Space.Dimensions);
            return Tensor.FromArray(data.Read<float[]>(), [.. s.Shape.Select(d => d!.Value)]);
        });
        var built = layer with { Params = EquatableArray.Of(values) };

        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(Serialization.Fixtures.KerasFiles, "expected", relative + ".io.json")))!;
        var bin = File.ReadAllBytes(Path.Combine(Serialization.Fixtures.KerasFiles, "expected", relative + ".io.bin"));
        Tensor Read(string tensor)
        {
            var t = io["tensors"]!.AsArray().Single(x => (string?)x!["name"] == tensor)!;
            var shape = t["shape"]!.AsArray().Select(d => (int)d!).ToArray();
            var floats = new float[(int)t["bytes"]! / 4];
            Buffer.BlockCopy(bin, (int)t["offset"]!, floats, 0, floats.Length * 4);
            return Tensor.FromArray(floats, shape);
        }
        var x = Read("input_0");
        var want = Read("output_0");
        var got = Forward(built, [x])[0];
        Assert.Equal(want.Shape, got.Shape);
        var wanted = want.ToArray();
        var gotten = got.ToArray();
        for (int i = 0; i < wanted.Length; i++)
            Assert.True(Math.Abs(gotten[i] - wanted[i]) <= 1e-4 * Math.Max(1, Math.Abs(wanted[i])), $"{relative}: output[{i}] {gotten[i]}, want {wanted[i]}");
    }
}
