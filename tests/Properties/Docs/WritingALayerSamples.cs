// The C# code of docs/writing-a-layer.md: every ```csharp block of the page appears in this file
// (WritingALayerIsCompiled checks it), so the page shows code that compiles and runs.
using System.Text.Json.Nodes;
using DeepGraph;
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Docs;

public sealed class MyDense(int units, string? name = null) : CustomLayer(name)
{
    LayerWeight kernel = null!, bias = null!;

    public int Units => units;

    public override void Build(Shape inputShape)
    {
        kernel = AddWeight("kernel", [inputShape[^1]!.Value, units]);
        bias = AddWeight("bias", [units], "zeros");
    }

    public override Var Call(Var x, bool training) => Ops.MatMul(x, kernel) + bias;

    public override JsonObject GetConfig() => new() { ["units"] = units };
}

public sealed class Gate : CustomLayer
{
    LayerWeight mix = null!;

    public override void Build(IReadOnlyList<Shape> inputShapes) =>
        mix = AddWeight("mix", [inputShapes[0][^1]!.Value], "zeros");

    public override Var Call(IReadOnlyList<Var> inputs, bool training)
    {
        var g = Ops.Sigmoid(mix);
        return inputs[1] + (inputs[0] - inputs[1]) * g;
    }
}

public static class WritingALayer
{
    /// <summary>The page's training example; returns the first and last epoch's loss.</summary>
    public static (double First, double Last) Train(Tensor x, Tensor y)
    {
        var input = Input(shape: [4]);
        var hidden = new MyDense(16).Call(input);
        var output = Dense(1).Call(Lambda(h => Ops.Tanh(h)).Call(hidden));
        var model = new Model(input, output);
        model.Compile(optimizer: "adam", loss: "mse");
        var history = model.Fit(x, y, epochs: 20, verbose: 0);
        return (history["loss"][0], history["loss"][^1]);
    }

    /// <summary>The page's Gate example: the output shape of a two-input custom layer.</summary>
    public static Shape GateShape()
    {
        var a = Input(shape: [8]);
        var b = Input(shape: [8]);
        var mixed = new Gate().Call(a, b);    // shape (None, 8)
        return mixed.Shape;
    }

    /// <summary>The page's save and load example.</summary>
    public static (Model Saved, Model Loaded) SaveAndLoad(string path)
    {
        Saving.RegisterKerasSerializable(CustomLayer.Kind(config => new MyDense((int)config["units"]!)));
        Func<Var, Var> square = v => v * v;
        LambdaFunctions.Register("square", square);

        var input = Input(shape: [4]);
        var model = new Model(input, Lambda(square).Call(new MyDense(2).Call(input)));
        model.Save(path);
        var loaded = Models.LoadModel(path);  // loaded.Layers[1] is a MyDense
        return (model, loaded);
    }

    /// <summary>The page's function loss and metric.</summary>
    public static Model CompileWithFunctions()
    {
        var input = Input(shape: [4]);
        var model = new Model(input, Dense(2).Call(input));

        var myMse = Losses.FromFunction("my_mse", (yTrue, yPred) => Ops.Mean(Ops.Square(yPred - yTrue), [-1]));
        var maxError = Metrics.FromFunction("max_error", (yTrue, yPred) => Ops.Max(Ops.Abs(yPred - yTrue), [-1]));
        model.Compile(optimizer: "adam", loss: myMse, metrics: ["mae", maxError]);
        return model;
    }
}
