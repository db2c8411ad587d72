using System.Diagnostics;
using System.Globalization;
using DeepGraph.Keras;
using DeepGraph.Samples.FashionMnist;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Bench;

/// <summary>
/// The README's main job as a benchmark: the Fashion-MNIST convnet of samples/FashionMnist trained
/// with <c>Fit</c> one epoch at a time on the full data set (Debian's dataset-fashion-mnist), the
/// training throughput of each epoch (samples/s, the 54,000 training samples of a 0.1 validation
/// split over the epoch's wall time, validation included) and the wall time until the test accuracy
/// first reaches 90 %. DeepGraph only: the peer comparison is the train-step benchmark (<c>train</c>).
/// </summary>
internal static class FashionBench
{
    public static int Run(string[] args)
    {
        int maxEpochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
        var (train, test, source) = FashionMnistData.Load();
        Console.WriteLine($"# Fashion-MNIST: {source}");
        Console.WriteLine($"DeepGraph: {Backend.BlasReport}; load average before {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}");

        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var images = Input(shape: [28, 28, 1], name: "image");
        var x = Conv2D(32, 3, activation: "relu").Call(images);
        x = MaxPooling2D(2).Call(x);
        x = Conv2D(64, 3, activation: "relu").Call(x);
        x = MaxPooling2D(2).Call(x);
        x = Flatten().Call(x);
        x = Dense(128, activation: "relu").Call(x);
        x = Dropout(0.3).Call(x);
        var model = new Model(images, Dense(10, activation: "softmax", name: "class").Call(x), name: "fashion_convnet");
        model.Compile(optimizer: Optimizers.Adam(learningRate: 1e-3), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);

        var xTrain = Tensor.FromArray(train.Images, [train.Count, 28, 28, 1]);
        var yTrain = Tensor.FromArray(train.Labels, [train.Count, 1]);
        var xTest = Tensor.FromArray(test.Images, [test.Count, 28, 28, 1]);
        var yTest = Tensor.FromArray(test.Labels, [test.Count, 1]);
        int trained = (int)(train.Count * 0.9);

        Console.WriteLine("| epoch | epoch wall time, s | training samples/s | test accuracy | wall time so far, s |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        var total = Stopwatch.StartNew();
        var rates = new List<double>();
        double? reached = null;
        for (int epoch = 0; epoch < maxEpochs && reached is null; epoch++)
        {
            var sw = Stopwatch.StartNew();
            model.Fit(xTrain, yTrain, batchSize: 128, epochs: epoch + 1, initialEpoch: epoch, validationSplit: 0.1, verbose: 0);
            double seconds = sw.Elapsed.TotalSeconds;
            double accuracy = model.Evaluate(xTest, yTest, batchSize: 500)["accuracy"];
            double soFar = total.Elapsed.TotalSeconds;
            rates.Add(trained / seconds);
            Console.WriteLine(FormattableString.Invariant($"| {epoch + 1} | {seconds:F1} | {trained / seconds:F0} | {accuracy:F4} | {soFar:F1} |"));
            if (accuracy >= 0.9) reached = soFar;
        }
        rates.Sort();
        Console.WriteLine(FormattableString.Invariant($"median training throughput: {rates[rates.Count / 2]:F0} samples/s"));
        Console.WriteLine(reached is { } r
            ? FormattableString.Invariant($"90 % test accuracy reached after {r:F1} s of wall time (training and the per-epoch test evaluations)")
            : $"90 % test accuracy not reached in {maxEpochs} epochs");
        return 0;
    }
}
