// The Keras functional-API tutorial (shared/seed/functional-api-tutorial.md), line for line in C#.
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

// In [6]: a Sequential model, the input shape given on its first layer.
var sModel = new Sequential([
    Conv2D(100, 5, activation: "tanh", name: "first_layer", inputShape: [224, 224, 3]),
    Conv2D(50, 5, activation: "tanh", name: "second_layer"),
    Conv2D(32, 5, activation: "tanh", name: "third_layer"),
    Flatten(name: "flatten_layer"),
    Dense(64, activation: "relu", name: "fifthy_layer"),
    Dense(1, activation: "sigmoid", name: "output_layer"),
], name: "s_model");
sModel.Summary();
Console.WriteLine();

// In [10]: method 1, layers kept in variables, then called.
var inputLayer = Input(shape: [224, 224, 3], name: "input_layer");
var firstLayer = Conv2D(100, 5, activation: "tanh", name: "first_layer");
var secondLayer = Conv2D(50, 5, activation: "tanh", name: "second_layer");
var thirdLayer = Conv2D(32, 5, activation: "tanh", name: "third_layer");
var flattenLayer = Flatten(name: "flatten_layer");
var fifthyLayer = Dense(64, activation: "relu", name: "fifthy_layer");
var outputLayer = Dense(1, activation: "sigmoid", name: "output_layer");
var x = firstLayer.Call(inputLayer);
x = secondLayer.Call(x);
x = thirdLayer.Call(x);
x = flattenLayer.Call(x);
x = fifthyLayer.Call(x);
x = outputLayer.Call(x);
var f1Model = new Model(inputs: inputLayer, outputs: x, name: "f1_model");
f1Model.Summary();
Console.WriteLine();

// In [12]: method 2, layers created and called inline.
var input2 = Input(shape: [224, 224, 3], name: "input_layer");
var first = Conv2D(100, 5, activation: "tanh", name: "first_layer").Call(input2);
var second = Conv2D(50, 5, activation: "tanh", name: "second_layer").Call(first);
var third = Conv2D(32, 5, activation: "tanh", name: "third_layer").Call(second);
var flatten = Flatten(name: "flatten_layer").Call(third);
var fifthy = Dense(64, activation: "relu", name: "fifthy_layer").Call(flatten);
var output = Dense(1, activation: "sigmoid", name: "output_layer").Call(fifthy);
var f2Model = new Model(inputs: input2, outputs: output, name: "f1_model");
f2Model.Summary();
Console.WriteLine();

// In [18]: Sequential -> Functional, calling s_model's layers on a new Input.
var input3 = Input(shape: [224, 224, 3]);
var y = sModel.Layers[0].Call(input3);
foreach (var layer in sModel.Layers.Skip(1)) y = layer.Call(y);
var f3Model = new Model(inputs: input3, outputs: y, name: "f3_model");
f3Model.Summary();
Console.WriteLine();

// In [13]: Functional -> Sequential, adding f1_model's layers (its input layer sets the input).
var s1Model = new Sequential();
foreach (var layer in f1Model.Layers) s1Model.Add(layer);
s1Model.Summary();
Console.WriteLine();

// In [19] and In [24]: inputs and outputs of a model and of a layer.
Console.WriteLine($"({f1Model.Inputs},\n {f1Model.Outputs})");
Console.WriteLine($"({f1Model.Layers[^1].Input},\n {f1Model.Layers[^1].Output})");

// Beyond the tutorial: run s_model forward on two images and say which BLAS did the work.
var pixels = new float[2 * 224 * 224 * 3];
var random = new Random(0);
for (int i = 0; i < pixels.Length; i++) pixels[i] = random.NextSingle();
var scores = sModel.Predict(DeepGraph.Tensor.FromArray(pixels, [2, 224, 224, 3]))[0];
Console.WriteLine($"\ns_model on 2 images: {scores[0, 0]:F4}, {scores[1, 0]:F4} ({Backend.BlasReport})");
