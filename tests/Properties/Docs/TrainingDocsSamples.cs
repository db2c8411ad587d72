// The C# code of docs/training.md's "Training conveniences" section: every ```csharp block of that
// section appears in this file (TrainingDocsAreCompiled checks it), so the page shows code that compiles and runs.
using System.Numerics.Tensors;
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;
using Metric = DeepGraph.Core.Metric;

namespace DeepGraph.Properties.Docs;

/// <summary>Keras's guide's custom metric: how many samples were correctly classified as their class.</summary>
public sealed record CategoricalTruePositives : Metric
{
    public override int StateSize => 1;                       // Keras's add_variable: one number

    public override void Accumulate(Tensor prediction, Tensor target, ReadOnlySpan<float> weights, Span<double> state)
    {
        int classes = prediction.Shape[-1]!.Value;             // update_state
        ReadOnlySpan<float> p = prediction.Span, y = target.Span;
        for (int row = 0; row < p.Length / classes; row++)
        {
            var scores = p.Slice(row * classes, classes);
            int predicted = scores.IndexOf(TensorPrimitives.Max(scores));
            if (predicted == (int)y[row]) state[0] += weights.IsEmpty ? 1 : weights[row];
        }
    }

    public override double Result(ReadOnlySpan<double> state) => state[0];   // result
}

public static class TrainingDocs
{
    /// <summary>A small classifier of 4 features into 3 classes.</summary>
    public static Model Classifier()
    {
        var input = Input(shape: [4]);
        var hidden = Dense(16, activation: "relu", name: "hidden").Call(input);
        return new Model(input, Dense(3, activation: "softmax", name: "head").Call(hidden));
    }

    public static History Schedule(Model model, Tensor x, Tensor y)
    {
        var schedule = Schedules.ExponentialDecay(initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: true);
        model.Compile(Optimizers.SGD(learningRate: schedule), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var history = model.Fit(x, y, batchSize: 32, epochs: 5, verbose: 0);
        return history;
    }

    public static IReadOnlyList<double> Callbacks(Model model, Tensor x, Tensor y)
    {
        model.Compile(Optimizers.Adam(learningRate: 0.01), "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        var scheduler = new LearningRateScheduler((epoch, lr) => epoch < 3 ? lr : lr * Math.Exp(-0.1));
        var plateau = new ReduceLROnPlateau(monitor: "val_loss", factor: 0.2, patience: 2, minLr: 1e-4);
        var history = model.Fit(x, y, epochs: 6, validationSplit: 0.2, callbacks: [scheduler, plateau], verbose: 0);
        IReadOnlyList<double> rates = history["learning_rate"];   // one per epoch, as Keras 3 logs it
        return rates;
    }

    public static IReadOnlyDictionary<string, double> Weighted(Model model, Tensor x, Tensor y, Tensor weights)
    {
        model.Compile("adam", "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        // Class 2 is rare: each of its samples counts five times.
        model.Fit(x, y, epochs: 2, verbose: 0, classWeight: new Dictionary<int, double> { [0] = 1, [1] = 1, [2] = 5 });
        // Or one weight per sample (not both at once).
        model.Fit(x, y, epochs: 2, verbose: 0, sampleWeight: weights);
        var scores = model.Evaluate(x, y, sampleWeight: weights);
        return scores;
    }

    public static History Objects(Model model, Tensor x, Tensor oneHot)
    {
        model.Compile(
            optimizer: Optimizers.RMSprop(learningRate: 1e-3),
            loss: Losses.CategoricalCrossentropy(labelSmoothing: 0.1),
            metrics: [Metrics.CategoricalAccuracy(), Metrics.Precision(thresholds: 0.5), Metrics.Recall(), "mse"]);
        var history = model.Fit(x, oneHot, epochs: 2, verbose: 0);
        return history;
    }

    public static IReadOnlyDictionary<string, double> TwoHeads(Tensor x, Tensor labels, Tensor values)
    {
        var input = Input(shape: [4]);
        var trunk = Dense(8, activation: "relu").Call(input);
        var kind = Dense(3, activation: "softmax", name: "kind").Call(trunk);
        var size = Dense(1, name: "size").Call(trunk);
        var model = new Model(input, [kind, size]);
        model.Compile("adam",
            loss: new Dictionary<string, string> { ["kind"] = "sparse_categorical_crossentropy", ["size"] = "huber" },
            lossWeights: new Dictionary<string, double> { ["kind"] = 1.0, ["size"] = 0.2 });
        model.Fit([x], [labels, values], epochs: 2, verbose: 0);
        return model.Evaluate([x], [labels, values]);
    }

    public static (Tensor OneHot, IReadOnlyDictionary<string, int> Params, int Trainable) Utilities(Tensor labels, Tensor x)
    {
        Tensor oneHot = Utils.ToCategorical(labels, numClasses: 3);      // [n] → [n, 3]

        var model = new Sequential([Dense(16, activation: "relu", inputShape: [4]), Dense(3, activation: "softmax")]);
        Layer head = model.Pop();                                    // Keras's model.pop()
        model.Add(Dense(3, activation: "softmax", name: "new_head"));
        model.GetLayer(0).Trainable = false;                          // freeze by index (or by name)
        int trainable = model.TrainableWeights.Count;                 // 2: new_head/kernel, new_head/bias
        model.Compile("adam", "categorical_crossentropy");
        History history = model.Fit(x, oneHot, batchSize: 32, epochs: 2, verbose: 0);
        var steps = history.Params["steps"];                          // Keras's history.params: verbose, epochs, steps
        return (oneHot, history.Params, trainable);
    }

    public static IReadOnlyList<double> CustomMetric(Model model, Tensor x, Tensor y)
    {
        model.Compile("adam", "sparse_categorical_crossentropy", metrics: [new CategoricalTruePositives { Name = "categorical_true_positives" }]);
        var history = model.Fit(x, y, batchSize: 16, epochs: 2, verbose: 0);
        return history["categorical_true_positives"];   // per epoch: the count over all batches
    }
}
