using System.Runtime.CompilerServices;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>Keras's <c>keras.optimizers</c>: optimizers with their hyper-parameters, for <see cref="Model.Compile(Core.Optimizer, LossSpec, MetricSpec?, IReadOnlyList{double}?)"/>.</summary>
/// <example><code>model.Compile(optimizer: Optimizers.Adam(learningRate: 1e-3), loss: "sparse_categorical_crossentropy");</code></example>
public static class Optimizers
{
    /// <summary>Stochastic gradient descent with optional (Nesterov) momentum (Keras's <c>SGD</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A learning rate that is negative, NaN or infinite; a momentum outside [0, 1].</exception>
    public static Core.Optimizer SGD(double learningRate = 0.01, double momentum = 0, bool nesterov = false) =>
        new Core.Sgd
        {
            LearningRate = Rate("SGD", learningRate),
            Momentum = In("SGD", momentum, nameof(momentum), momentum is >= 0 and <= 1, Core.Optimizer.MomentumRange),
            Nesterov = nesterov,
        };

    /// <summary>Adam (Keras's form unless <paramref name="form"/> says otherwise).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A learning rate that is negative, NaN or infinite; β₁ or β₂ outside [0, 1); ε not a finite number greater than 0.</exception>
    public static Core.Optimizer Adam(double learningRate = 0.001, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, AdamForm form = AdamForm.Keras) =>
        new Core.Adam
        {
            LearningRate = Rate("Adam", learningRate),
            Beta1 = Decay("Adam", beta1, nameof(beta1)),
            Beta2 = Decay("Adam", beta2, nameof(beta2)),
            Epsilon = Epsilon("Adam", epsilon),
            Form = form,
        };

    /// <summary>RMSprop (Keras's <c>RMSprop</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A learning rate that is negative, NaN or infinite; ρ outside [0, 1); a momentum outside [0, 1]; ε not a finite number greater than 0.</exception>
    public static Core.Optimizer RMSprop(double learningRate = 0.001, double rho = 0.9, double momentum = 0, double epsilon = 1e-7) =>
        new Core.RmsProp
        {
            LearningRate = Rate("RMSprop", learningRate),
            Rho = Decay("RMSprop", rho, nameof(rho)),
            Momentum = In("RMSprop", momentum, nameof(momentum), momentum is >= 0 and <= 1, Core.Optimizer.MomentumRange),
            Epsilon = Epsilon("RMSprop", epsilon),
        };

    /// <summary>Adagrad (Keras's <c>Adagrad</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A learning rate or initial accumulator value that is negative, NaN or infinite; ε not a finite number greater than 0.</exception>
    public static Core.Optimizer Adagrad(double learningRate = 0.001, double initialAccumulatorValue = 0.1, double epsilon = 1e-7) =>
        new Core.Adagrad
        {
            LearningRate = Rate("Adagrad", learningRate),
            InitialAccumulatorValue = In("Adagrad", initialAccumulatorValue, nameof(initialAccumulatorValue),
                initialAccumulatorValue >= 0 && float.IsFinite((float)initialAccumulatorValue), "a finite number, 0 or more"),
            Epsilon = Epsilon("Adagrad", epsilon),
        };

    /// <summary>A learning rate as Keras takes it: finite and not negative (0 leaves the weights where they are).</summary>
    private static float Rate(string optimizer, double learningRate) =>
        In(optimizer, learningRate, nameof(learningRate), learningRate >= 0 && float.IsFinite((float)learningRate), "a finite number, 0 or more");

    private static float Decay(string optimizer, double value, string argument) =>
        In(optimizer, value, argument, value is >= 0 and < 1, Core.Optimizer.DecayRange);

    private static float Epsilon(string optimizer, double epsilon) =>
        In(optimizer, epsilon, nameof(epsilon), (float)epsilon > 0 && float.IsFinite((float)epsilon), Core.Optimizer.EpsilonRange + " (as a float)");

    /// <summary>
    /// The value as the float the optimizer keeps, checked as given (so the message shows the
    /// caller's number, not its rounding); Core checks the float again (β₁ = 0.999999999 rounds to 1).
    /// </summary>
    private static float In(string optimizer, double value, string argument, bool valid, string range) =>
        valid ? (float)value : throw Core.Optimizer.OutOfRange(optimizer, argument, value, range);
}

/// <summary>Keras's <c>keras.losses</c>: loss objects with their options, for <c>Compile</c>'s <c>loss:</c>.</summary>
/// <example><code>model.Compile(optimizer: "adam", loss: Losses.SparseCategoricalCrossentropy(fromLogits: true));</code></example>
public static class Losses
{
    /// <summary>Mean squared error.</summary>
    public static Loss MeanSquaredError() => new Core.MeanSquaredError();

    /// <summary>Mean absolute error.</summary>
    public static Loss MeanAbsoluteError() => new Core.MeanAbsoluteError();

    /// <summary>Huber loss, quadratic within <paramref name="delta"/> of the target.</summary>
    public static Loss Huber(double delta = 1.0) => new Core.Huber(delta);

    /// <summary>Binary crossentropy, on probabilities or (with <paramref name="fromLogits"/>) logits.</summary>
    public static Loss BinaryCrossentropy(bool fromLogits = false) => new Core.BinaryCrossentropy(fromLogits);

    /// <summary>Categorical crossentropy against one-hot targets, on probabilities or logits.</summary>
    public static Loss CategoricalCrossentropy(bool fromLogits = false) => new Core.CategoricalCrossentropy(fromLogits);

    /// <summary>Categorical crossentropy against integer labels, on probabilities or logits.</summary>
    public static Loss SparseCategoricalCrossentropy(bool fromLogits = false) => new Core.SparseCategoricalCrossentropy(fromLogits);

    /// <summary>
    /// A loss written as a function over <see cref="Ops"/> (Keras's custom loss function):
    /// <c>(yTrue, yPred) → per-sample losses</c>, averaged over every value it returns; the gradient
    /// comes from the ops' tape. <paramref name="name"/> is the name messages use.
    /// </summary>
    /// <example><code>model.Compile("sgd", loss: Losses.FromFunction("my_mse", (yTrue, yPred) => Ops.Mean(Ops.Square(yPred - yTrue), [-1])));</code></example>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static Loss FromFunction(string name, Func<Var, Var, Var> function) => new FunctionLoss(name, function);
}

/// <summary>Keras's <c>keras.metrics</c> beyond the names <c>Compile</c> takes: metrics written as functions.</summary>
public static class Metrics
{
    /// <summary>
    /// A metric written as a function over <see cref="Ops"/> (Keras's custom metric function):
    /// <c>(yTrue, yPred) → per-sample values</c>, averaged over the epoch and logged as <paramref name="name"/>.
    /// </summary>
    /// <example><code>model.Compile("sgd", loss: "mse", metrics: ["mae", Metrics.FromFunction("bias", (t, p) => Ops.Mean(p - t, [-1]))]);</code></example>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static Metric FromFunction(string name, Func<Var, Var, Var> function)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new FunctionMetric(function) { Name = name };
    }
}

/// <summary>One metric: a Keras name (<c>"accuracy"</c>), which <c>Compile</c> resolves for its output, or a metric object (<see cref="Metrics"/>).</summary>
public readonly struct MetricItem
{
    private MetricItem(string? name, Metric? metric) => (Name, Metric) = (name, metric);

    /// <summary>The name, when the metric was given by name.</summary>
    public string? Name { get; }

    /// <summary>The metric object, when one was given.</summary>
    public Metric? Metric { get; }

    /// <summary>A metric by Keras name.</summary>
    public static implicit operator MetricItem(string name) => new(name ?? throw new ArgumentNullException(nameof(name)), null);

    /// <summary>A metric object.</summary>
    public static implicit operator MetricItem(Metric metric) => new(null, metric ?? throw new ArgumentNullException(nameof(metric)));

    /// <summary>The metric for an output of shape <paramref name="prediction"/> trained with <paramref name="loss"/>.</summary>
    /// <exception cref="ArgumentException">Unknown metric name.</exception>
    internal Metric Resolve(Shape prediction, Loss loss) => Metric ?? Core.Metric.Get(Name ?? throw new ArgumentNullException(nameof(Name)), prediction, loss);

    /// <summary>The name or the metric's name.</summary>
    public override string ToString() => Name ?? Metric?.Name ?? "";
}

/// <summary>One loss: a Keras name (<c>"mse"</c>) or a loss object (<see cref="Losses"/>).</summary>
public readonly struct LossItem
{
    private LossItem(Loss loss) => Loss = loss;

    /// <summary>The loss.</summary>
    public Loss Loss { get; }

    /// <summary>The loss by Keras name.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static implicit operator LossItem(string name) => new(Core.Loss.Get(name));

    /// <summary>A loss object.</summary>
    public static implicit operator LossItem(Loss loss) => new(loss ?? throw new ArgumentNullException(nameof(loss)));
}

/// <summary>
/// <c>Compile</c>'s <c>loss:</c> as Keras takes it: one loss for every output (<c>"mse"</c> or a
/// loss object), a list with one per output (<c>["mse", "binary_crossentropy"]</c>), or a
/// dictionary keyed by output name.
/// </summary>
[CollectionBuilder(typeof(LossSpec), nameof(Create))]
public sealed class LossSpec : IEnumerable<LossItem>
{
    private LossSpec(IReadOnlyList<LossItem>? list, IReadOnlyDictionary<string, LossItem>? byName, bool single = false) =>
        (List, ByName, Single) = (list, byName, single);

    internal IReadOnlyList<LossItem>? List { get; }

    /// <summary>One loss for every output (given alone, not as a list: a list must have one per output, as in Keras).</summary>
    internal bool Single { get; }
    internal IReadOnlyDictionary<string, LossItem>? ByName { get; }

    /// <summary>A list of losses, one per output (the collection-expression form).</summary>
    public static LossSpec Create(ReadOnlySpan<LossItem> items) => new(items.ToArray(), null);

    /// <summary>One loss by name, for every output.</summary>
    public static implicit operator LossSpec(string name) => new([name], null, single: true);

    /// <summary>One loss object, for every output.</summary>
    public static implicit operator LossSpec(Loss loss) => new([loss], null, single: true);

    /// <summary>Losses by name, one per output.</summary>
    public static implicit operator LossSpec(string[] names) => new([.. names.Select(n => (LossItem)n)], null);

    /// <summary>Losses keyed by output name.</summary>
    public static implicit operator LossSpec(Dictionary<string, string> byName) =>
        new(null, byName.ToDictionary(p => p.Key, p => (LossItem)p.Value));

    /// <summary>Loss objects keyed by output name.</summary>
    public static implicit operator LossSpec(Dictionary<string, Loss> byName) =>
        new(null, byName.ToDictionary(p => p.Key, p => (LossItem)p.Value));

    /// <summary>The losses of a list (empty for the keyed form).</summary>
    public IEnumerator<LossItem> GetEnumerator() => (List ?? []).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One loss per output, in output order.</summary>
    /// <exception cref="ArgumentException">A list of the wrong length, or a key that names no output / an output without a key.</exception>
    internal Loss[] Resolve(IReadOnlyList<string> outputs, string model)
    {
        if (ByName is not null)
        {
            OutputKeys.Check(ByName.Keys, "loss", outputs, model);
            var missing = outputs.Where(o => !ByName.ContainsKey(o)).ToList();
            if (missing.Count > 0)
                throw new ArgumentException($"The loss dictionary of model \"{model}\" has no loss for output(s) {string.Join(", ", missing.Select(o => $"'{o}'"))}.");
            return [.. outputs.Select(o => ByName[o].Loss)];
        }
        var list = List!;
        if (Single) return [.. outputs.Select(_ => list[0].Loss)];
        if (list.Count != outputs.Count)
            throw new ArgumentException($"When passing a list as loss, it should have one entry per model output. Model \"{model}\" has {outputs.Count} output(s) ({string.Join(", ", outputs)}) but {list.Count} loss{(list.Count == 1 ? " was" : "es were")} given: give one loss (not in a list) for every output, or one per output.");
        return [.. list.Select(l => l.Loss)];
    }
}

/// <summary>
/// <c>Compile</c>'s <c>metrics:</c> as Keras takes it: a list of names for every output
/// (<c>["accuracy", "mae"]</c>), a list with one list per output (<c>[["accuracy"], ["mae"]]</c>),
/// or a dictionary keyed by output name (<c>{ ["head_a"] = ["accuracy"] }</c>), where outputs
/// without a key get no metrics.
/// </summary>
[CollectionBuilder(typeof(MetricSpec), nameof(Create))]
public sealed class MetricSpec : IEnumerable<MetricItem>
{
    private MetricSpec(IReadOnlyList<MetricItem>? all, IReadOnlyList<IReadOnlyList<MetricItem>>? perOutput, IReadOnlyDictionary<string, IReadOnlyList<MetricItem>>? byName) =>
        (All, PerOutput, ByName) = (all, perOutput, byName);

    private IReadOnlyList<MetricItem>? All { get; }
    private IReadOnlyList<IReadOnlyList<MetricItem>>? PerOutput { get; }
    private IReadOnlyDictionary<string, IReadOnlyList<MetricItem>>? ByName { get; }

    /// <summary>Metrics (names or metric objects) for every output (the collection-expression form).</summary>
    public static MetricSpec Create(ReadOnlySpan<MetricItem> metrics) => new(metrics.ToArray(), null, null);

    /// <summary>Metric names for every output.</summary>
    public static implicit operator MetricSpec(string[] names) => new([.. names.Select(n => (MetricItem)n)], null, null);

    /// <summary>Metric objects for every output.</summary>
    public static implicit operator MetricSpec(Metric[] metrics) => new([.. metrics.Select(m => (MetricItem)m)], null, null);

    /// <summary>Metric names for every output.</summary>
    public static implicit operator MetricSpec(List<string> names) => new([.. names.Select(n => (MetricItem)n)], null, null);

    /// <summary>One list of metric names per output, in output order.</summary>
    public static implicit operator MetricSpec(string[][] perOutput) => new(null, [.. perOutput.Select(m => (IReadOnlyList<MetricItem>)[.. m.Select(n => (MetricItem)n)])], null);

    /// <summary>Metric names keyed by output name.</summary>
    public static implicit operator MetricSpec(Dictionary<string, string[]> byName) =>
        new(null, null, byName.ToDictionary(p => p.Key, p => (IReadOnlyList<MetricItem>)[.. p.Value.Select(n => (MetricItem)n)]));

    /// <summary>One metric name per output name.</summary>
    public static implicit operator MetricSpec(Dictionary<string, string> byName) =>
        new(null, null, byName.ToDictionary(p => p.Key, p => (IReadOnlyList<MetricItem>)[p.Value]));

    /// <summary>The metrics of the every-output form (empty for the others).</summary>
    public IEnumerator<MetricItem> GetEnumerator() => (All ?? []).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The metrics of each output, in output order.</summary>
    /// <exception cref="ArgumentException">A list of lists of the wrong length, or a key that names no output.</exception>
    internal IReadOnlyList<MetricItem>[] Resolve(IReadOnlyList<string> outputs, string model)
    {
        if (ByName is not null)
        {
            OutputKeys.Check(ByName.Keys, "metrics", outputs, model);
            return [.. outputs.Select(o => ByName.TryGetValue(o, out var names) ? names : [])];
        }
        if (PerOutput is not null)
        {
            if (PerOutput.Count != outputs.Count)
                throw new ArgumentException($"When passing a list of lists as metrics, it should have one entry per model output. Model \"{model}\" has {outputs.Count} output(s) ({string.Join(", ", outputs)}) but {PerOutput.Count} list(s) were given.");
            return [.. PerOutput];
        }
        return [.. outputs.Select(_ => All!)];
    }
}

/// <summary>The check the keyed forms of <c>Compile</c>'s arguments share.</summary>
internal static class OutputKeys
{
    /// <summary>Refuses keys that name no output, in Keras's words.</summary>
    /// <exception cref="ArgumentException">A key names no output of the model.</exception>
    public static void Check(IEnumerable<string> keys, string what, IReadOnlyList<string> outputs, string model)
    {
        var unknown = keys.Where(k => !outputs.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown entries in {what} dictionary: {string.Join(", ", unknown.Select(k => $"'{k}'"))}. Only expected the following keys: {string.Join(", ", outputs.Select(o => $"'{o}'"))} (the outputs of model \"{model}\").");
    }
}
