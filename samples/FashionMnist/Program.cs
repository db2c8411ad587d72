// Fashion-MNIST with the Functional API: build a small convnet, print its summary, train it
// with Keras's progress bar, measure test accuracy, save the model, load it back and show the
// reloaded model scores the same. Usage: dotnet run --project samples/FashionMnist [-- epochs [data-directory]]
using System.Globalization;
using DeepGraph;
using DeepGraph.Keras;
using DeepGraph.Samples.FashionMnist;
using static DeepGraph.Keras.Layers;

int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 12;
var (train, test, source) = FashionMnistData.Load(args.Length > 1 ? args[1] : null);
Console.WriteLine($"Data: {source}");
Console.WriteLine(Backend.BlasReport);

Backend.SetRandomSeed(1);
var images = Input(shape: [28, 28, 1], name: "image");
var x = Conv2D(32, 3, activation: "relu").Call(images);
x = MaxPooling2D(2).Call(x);
x = Conv2D(64, 3, activation: "relu").Call(x);
x = MaxPooling2D(2).Call(x);
x = Flatten().Call(x);
x = Dense(128, activation: "relu").Call(x);
x = Dropout(0.3).Call(x);
var classes = Dense(10, activation: "softmax", name: "class").Call(x);
var model = new Model(images, classes, name: "fashion_convnet");
model.Summary();

model.Compile(optimizer: Optimizers.Adam(learningRate: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
var xTrain = Tensor.FromArray(train.Images, [train.Count, 28, 28, 1]);
var yTrain = Tensor.FromArray(train.Labels, [train.Count, 1]);
var xTest = Tensor.FromArray(test.Images, [test.Count, 28, 28, 1]);
var yTest = Tensor.FromArray(test.Labels, [test.Count, 1]);
model.Fit(xTrain, yTrain, batchSize: 128, epochs: epochs, validationSplit: 0.1);

double accuracy = model.Evaluate(xTest, yTest, batchSize: 500)["accuracy"];
Console.WriteLine($"trained model, test accuracy: {accuracy.ToString("F4", CultureInfo.InvariantCulture)}");

string path = Path.Combine(Path.GetTempPath(), "deepgraph-fashion-mnist", "model.json");
model.Save(path);
var reloaded = Models.LoadModel(path);
reloaded.Compile(optimizer: "adam", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
double reloadedAccuracy = reloaded.Evaluate(xTest, yTest, batchSize: 500)["accuracy"];
Console.WriteLine($"saved to {path} and loaded back: {(reloadedAccuracy == accuracy ? "same" : "DIFFERENT")} accuracy");
Console.WriteLine($"test accuracy: {reloadedAccuracy.ToString("F4", CultureInfo.InvariantCulture)}");
