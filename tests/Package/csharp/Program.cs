// The DeepGraph package in a fresh C# console app (copied there by .ci/package-smoke): build a
// functional model, train it one epoch on generated data, predict, save, load it back and predict
// again. The last line is "csharp smoke: ok" when the reloaded model predicts exactly what the
// trained one did; the exit code is 0 only then.
using DeepGraph;
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

Backend.SetRandomSeed(7);
var input = Input(shape: [4], name: "features");
var hidden = Dense(8, activation: "relu").Call(input);
var score = Dense(1, activation: "sigmoid", name: "score").Call(hidden);
var model = new Model(input, score, name: "smoke");
model.Compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"]);

// 256 samples of 4 features in [-1, 1); the label says whether the features sum to more than 0.
const int samples = 256;
var rng = new Random(1);
var features = new float[samples * 4];
var labels = new float[samples];
for (int i = 0; i < samples; i++)
{
    float sum = 0;
    for (int j = 0; j < 4; j++) sum += features[i * 4 + j] = (float)(2 * rng.NextDouble() - 1);
    labels[i] = sum > 0 ? 1 : 0;
}
var x = Tensor.FromArray(features, [samples, 4]);
var y = Tensor.FromArray(labels, [samples, 1]);

var history = model.Fit(x, y, batchSize: 32, epochs: 1, verbose: 0);
double loss = history["loss"][0];
Console.WriteLine($"epochs: {history.Epoch.Count}, loss: {loss:F4}, accuracy: {history["accuracy"][0]:F4}");

var predicted = model.Predict(x)[0];
string folder = Path.Combine(Path.GetTempPath(), "deepgraph-smoke-csharp-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(folder);
try
{
    string path = Path.Combine(folder, "model.json");
    model.Save(path);
    var loaded = Models.LoadModel(path);
    var reloaded = loaded.Predict(x)[0];
    Console.WriteLine($"saved: {string.Join(", ", Directory.GetFiles(folder).Select(Path.GetFileName).Order())}");
    Console.WriteLine($"predictions: [{string.Join(", ", predicted.Shape.ToArray())}], first {predicted[0, 0]:F6}, reloaded {reloaded[0, 0]:F6}");
    bool ok = history.Epoch.Count == 1 && double.IsFinite(loss) && predicted.Shape.ToArray().SequenceEqual([samples, 1])
        && predicted.Equals(reloaded) && loaded.Name == "smoke";
    Console.WriteLine($"reloaded predictions equal: {predicted.Equals(reloaded)}");
    Console.WriteLine(ok ? "csharp smoke: ok" : "csharp smoke: FAILED");
    return ok ? 0 : 1;
}
finally
{
    Directory.Delete(folder, recursive: true);
}
