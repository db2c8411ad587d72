using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The convolution layers end to end as docs/layers-convolution.md shows them: Keras's automatic names, output
/// shapes and parameter counts; a small decoder and a causal 1-D convnet that train with Fit, save and load with the
/// same predictions.
/// </summary>
public sealed class ConvolutionModels
{
    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        return Tensor.FromArray([.. Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);
    }

    [Fact]
    public void The_docs_example_has_Keras_names_shapes_and_parameter_counts()
    {
        Backend.ClearSession();
        var image = Input(shape: [32, 32, 32]);
        var depthwise = DepthwiseConv2D(3, padding: "same", useBias: false);
        var h = depthwise.Call(image);
        h = BatchNormalization().Call(h);
        h = Activation("relu6").Call(h);
        h = Conv2D(64, 1).Call(h);
        Assert.Equal(Shape.Batched(32, 32, 64), h.Shape);
        var separable = SeparableConv2D(16, 3, strides: 2, padding: "same", activation: "relu");
        h = separable.Call(h);
        Assert.Equal(Shape.Batched(16, 16, 16), h.Shape);
        var transposed = Conv2DTranspose(3, 3, strides: 2, padding: "same", activation: "sigmoid");
        var decoded = transposed.Call(h);
        Assert.Equal(Shape.Batched(32, 32, 3), decoded.Shape);
        Assert.Equal(("depthwise_conv2d", "separable_conv2d", "conv2d_transpose"), (depthwise.Name, separable.Name, transposed.Name));
        // Keras's counts: kh·kw·c·M (+ c·M); kh·kw·c·M + c·M·filters + filters; kh·kw·filters·c + filters.
        Assert.Equal(3 * 3 * 32, depthwise.CountParams());
        Assert.Equal(3 * 3 * 64 + 64 * 16 + 16, separable.CountParams());
        Assert.Equal(3 * 3 * 3 * 16 + 3, transposed.CountParams());

        var series = Input(shape: [100, 8]);
        var conv = Conv1D(16, 3, padding: "causal", dilationRate: 2, activation: "relu");
        var y = conv.Call(series);
        Assert.Equal(Shape.Batched(100, 16), y.Shape);
        var separable1 = SeparableConv1D(8, 5, padding: "same");
        y = separable1.Call(y);
        Assert.Equal(Shape.Batched(100, 8), y.Shape);
        var up = Conv1DTranspose(1, 4, strides: 2, padding: "same");
        Assert.Equal(Shape.Batched(200, 1), up.Call(y).Shape);
        var dw1 = DepthwiseConv1D(3, depthMultiplier: 2);
        Assert.Equal(Shape.Batched(98, 16), dw1.Call(y).Shape);
        Assert.Equal(("conv1d", "separable_conv1d", "conv1d_transpose", "depthwise_conv1d"), (conv.Name, separable1.Name, up.Name, dw1.Name));
        Assert.Equal(3 * 8 * 16 + 16, conv.CountParams());
        Assert.Equal(5 * 16 + 16 * 8 + 8, separable1.CountParams());
        Assert.Equal(4 * 1 * 8 + 1, up.CountParams());
        Assert.Equal(3 * 8 * 2 + 16, dw1.CountParams());
    }

    /// <summary>Fits, then checks that a saved and reloaded model predicts the same and that the loss fell.</summary>
    private static void TrainsSavesAndLoads(Model model, Tensor x, Tensor target, string[] classes)
    {
        model.Compile(optimizer: "adam", loss: "mse");
        var before = model.Evaluate(x, target)["loss"];
        model.Fit(x, target, batchSize: 8, epochs: 5, verbose: 0);
        Assert.True(model.Evaluate(x, target)["loss"] < before);
        var predicted = model.Predict(x)[0];
        var folder = Directory.CreateTempSubdirectory("deepgraph-conv-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.json");
            model.Save(path);
            var loaded = Models.LoadModel(path);
            Assert.Equal(classes, loaded.Layers.Select(l => l.ClassName));
            Assert.Equal(predicted.ToArray(), loaded.Predict(x)[0].ToArray());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_depthwise_separable_decoder_trains_saves_and_loads()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(3);
        var image = Input(shape: [8, 8, 3]);
        var h = DepthwiseConv2D(3, padding: "same", depthMultiplier: 2, activation: "relu6").Call(image);
        h = SeparableConv2D(4, 3, strides: 2, padding: "same", activation: "tanh").Call(h);
        var decoded = Conv2DTranspose(3, 3, strides: 2, padding: "same", outputPadding: 1).Call(h);
        var model = new Model(image, decoded);
        var x = Random(1, 16, 8, 8, 3);
        TrainsSavesAndLoads(model, x, x, ["InputLayer", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose"]);
    }

    [Fact]
    public void A_causal_1D_convnet_trains_saves_and_loads()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var series = Input(shape: [12, 2]);
        var y = Conv1D(6, 3, padding: "causal", dilationRate: 2, activation: "tanh").Call(series);
        y = DepthwiseConv1D(3, padding: "same", depthMultiplier: 2).Call(y);
        y = SeparableConv1D(4, 3, strides: 2, padding: "same").Call(y);
        y = Conv1DTranspose(2, 3, strides: 2, padding: "same").Call(y);
        var model = new Model(series, y);
        var x = Random(2, 16, 12, 2);
        TrainsSavesAndLoads(model, x, x, ["InputLayer", "Conv1D", "DepthwiseConv1D", "SeparableConv1D", "Conv1DTranspose"]);
    }

    [Fact]
    public void A_channels_first_1D_convnet_trains_saves_and_loads()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var series = Input(shape: [3, 12]); // (channels, steps)
        var y = Conv1D(4, 3, padding: "same", activation: "tanh", dataFormat: "channels_first").Call(series);
        y = Conv1D(3, 2, strides: 2, padding: "causal", dataFormat: "channels_first").Call(y);
        Assert.Equal(Shape.Batched(3, 6), y.Shape);
        var model = new Model(series, y);
        var x = Random(3, 16, 3, 12);
        var target = Random(4, 16, 3, 6);
        TrainsSavesAndLoads(model, x, target, ["InputLayer", "Conv1D", "Conv1D"]);
    }
}
