using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// Every sequence/reshaping layer of issue 13 trains inside a model through Fit (its backward pass joins the tape's),
/// and TimeDistributed's weights are the wrapped layer's, named under the wrapper and changed by training.
/// </summary>
public sealed class SequenceLayersTrain
{
    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (p, d) => p * d);
        return Tensor.FromArray([.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);
    }

    /// <summary>A target the model can learn: a fixed mix of each sample's values.</summary>
    private static Tensor Target(Tensor x)
    {
        int n = x.Shape[0]!.Value, per = x.Length / n;
        var v = x.ToArray();
        return Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => (float)Math.Tanh(Enumerable.Range(0, per).Sum(j => v[i * per + j] * ((j % 3) - 1) * 0.7)))], [n, 1]);
    }

    public static TheoryData<string> Cases => new(["Masking", "TimeDistributed", "RepeatVector", "Permute", "Cropping1D", "Cropping2D", "ZeroPadding1D",
        "UpSampling1D", "UpSampling2D", "UpSampling2D bilinear", "MaxPooling1D", "AveragePooling1D"]);

    private static (KerasTensor Input, KerasTensor Output, int[] Shape) Build(string name)
    {
        var sequence = Input(shape: [6, 3]);
        var image = Input(shape: [4, 4, 2]);
        KerasTensor Seq(Layer layer) => Dense(1).Call(Flatten().Call(layer.Call(Dense(4, activation: "tanh").Call(sequence))));
        KerasTensor Img(Layer layer) => Dense(1).Call(Flatten().Call(layer.Call(Dense(3, activation: "tanh").Call(image))));
        return name switch
        {
            "Masking" => (sequence, Dense(1).Call(GlobalAveragePooling1D().Call(Dense(4, activation: "tanh").Call(Masking().Call(sequence)))), [6, 3]),
            "TimeDistributed" => (sequence, Seq(TimeDistributed(Dense(2, activation: "tanh"))), [6, 3]),
            "RepeatVector" => (sequence, Dense(1).Call(Flatten().Call(TimeDistributed(Dense(2)).Call(RepeatVector(3).Call(Dense(4).Call(Flatten().Call(sequence)))))), [6, 3]),
            "Permute" => (sequence, Seq(Permute([2, 1])), [6, 3]),
            "Cropping1D" => (sequence, Seq(Cropping1D((1, 2))), [6, 3]),
            "ZeroPadding1D" => (sequence, Seq(ZeroPadding1D((2, 1))), [6, 3]),
            "UpSampling1D" => (sequence, Seq(UpSampling1D(2)), [6, 3]),
            "MaxPooling1D" => (sequence, Seq(MaxPooling1D(3, 2, "same")), [6, 3]),
            "AveragePooling1D" => (sequence, Seq(AveragePooling1D(3, 2, "same")), [6, 3]),
            "Cropping2D" => (image, Img(Cropping2D(((1, 0), (0, 1)))), [4, 4, 2]),
            "UpSampling2D" => (image, Img(UpSampling2D(2)), [4, 4, 2]),
            "UpSampling2D bilinear" => (image, Img(UpSampling2D(2, "bilinear")), [4, 4, 2]),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_layer_trains_inside_a_model_and_the_loss_falls(string name)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var (input, output, shape) = Build(name);
        var model = new Model(input, output);
        model.Compile(Optimizers.Adam(0.02), "mse");
        var x = Random(11, [64, .. shape]);
        if (name == "Masking")
        {
            // Pad the last two steps of every other sample.
            var v = x.ToArray();
            for (int i = 0; i < 64; i += 2) Array.Clear(v, i * 18 + 12, 6);
            x = Tensor.FromArray(v, [64, .. shape]);
        }
        var history = model.Fit(x, Target(x), epochs: 60, verbose: 0);
        var losses = history["loss"];
        // A broken backward pass leaves the loss where it started or sends it up; the target is only partly learnable through some layers (a cropping drops cells it reads).
        Assert.True(losses[^1] < losses[0] * 0.7, $"{name}: loss {losses[0]} → {losses[^1]}");
    }

    [Fact]
    public void TimeDistributed_holds_the_wrapped_layer_s_weights_under_its_own_name_and_trains_them()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var x = Input(shape: [5, 3]);
        var td = TimeDistributed(Dense(2), name: "per_step");
        var model = new Model(x, Dense(1).Call(Flatten().Call(td.Call(x))));
        Assert.Equal(3 * 2 + 2, td.CountParams());
        var before = td.GetWeights().Select(w => w.ToArray()).ToArray();
        Assert.Equal([[3, 2], [2]], td.GetWeights().Select(w => w.Shape.ToArray()));
        var (json, _) = DeepGraph.Serialization.TfjsModel.Write(model.CoreModel, "weights.bin");
        Assert.Contains("\"per_step/kernel\"", json);
        Assert.Contains("\"per_step/bias\"", json);
        model.Compile(Optimizers.SGD(0.1), "mse");
        var data = Random(3, 16, 5, 3);
        model.Fit(data, Target(data), epochs: 2, verbose: 0);
        Assert.NotEqual(before[0], td.GetWeights()[0].ToArray());
    }

    [Fact]
    public void The_example_of_docs_layers_sequence_runs_with_the_shapes_it_states()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var series = Input(shape: [null, 8]);
        var h = Masking(maskValue: 0.0).Call(series);
        h = TimeDistributed(Dense(16, activation: "relu")).Call(h);
        Assert.Equal(Shape.Of(null, null, 16), h.Shape);
        var pooled = GlobalAveragePooling1D().Call(h);
        var classifier = new Model(series, Dense(3, activation: "softmax").Call(pooled));

        var code = Input(shape: [32]);
        var steps = RepeatVector(10).Call(code);
        var sequence = TimeDistributed(Dense(4)).Call(steps);
        var image = Input(shape: [7, 7, 16]);
        var up = UpSampling2D(2, interpolation: "bilinear").Call(image);
        Assert.Equal(Shape.Of(null, 14, 14, 16), up.Shape);
        up = Cropping2D(((1, 0), (0, 1))).Call(up);
        var decoder = new Model([code, image], [sequence, up]);
        Assert.Equal([Shape.Of(null, 10, 4), Shape.Of(null, 13, 13, 16)], decoder.Outputs.Select(o => o.Shape));

        // Padding steps change nothing: a sequence and the same sequence with zero steps appended classify alike.
        var x = Random(5, 2, 3, 8);
        var padded = Tensor.FromArray([.. x.ToArray().Chunk(24).SelectMany(sample => sample.Concat(new float[16]))], [2, 5, 8]);
        Assert.Equal(classifier.Predict(x)[0].ToArray(), classifier.Predict(padded)[0].ToArray());
    }

    [Fact]
    public void TimeDistributed_wraps_a_convolution_over_frames_and_a_batch_normalization_whose_moving_statistics_it_keeps()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var video = Input(shape: [3, 5, 5, 2]);
        var frames = TimeDistributed(Conv2D(3, 3, activation: "relu")).Call(video);                  // (None, 3, 3, 3, 3)
        var norm = TimeDistributed(BatchNormalization(), name: "per_frame_norm");
        var h = norm.Call(TimeDistributed(Flatten()).Call(frames));                                   // (None, 3, 27)
        var model = new Model(video, Dense(1).Call(Flatten().Call(h)));
        Assert.Equal(Shape.Of(null, 3, 3, 3, 3), frames.Shape);
        Assert.Equal(4 * 27, norm.CountParams());
        var movingMean = norm.GetWeights()[2].ToArray();
        Assert.All(movingMean, v => Assert.Equal(0f, v));
        model.Compile(Optimizers.Adam(0.02), "mse");
        var x = Random(8, 64, 3, 5, 5, 2);
        var history = model.Fit(x, Target(x), epochs: 30, verbose: 0);
        Assert.True(history["loss"][^1] < history["loss"][0] / 2, $"loss {history["loss"][0]} → {history["loss"][^1]}");
        Assert.Contains(norm.GetWeights()[2].ToArray(), v => v != 0);
    }

    [Fact]
    public void Unnamed_layers_get_Keras_s_names()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        Layer[] layers = [Masking(), TimeDistributed(Dense(1)), RepeatVector(2), Permute([1]), Cropping1D(), Cropping2D(), ZeroPadding1D(),
            UpSampling1D(), UpSampling2D(), MaxPooling1D(), AveragePooling1D()];
        Assert.Equal(["masking", "time_distributed", "repeat_vector", "permute", "cropping1d", "cropping2d", "zero_padding1d",
            "up_sampling1d", "up_sampling2d", "max_pooling1d", "average_pooling1d"], layers.Select(l => l.Name));
    }
}
