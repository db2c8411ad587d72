using System.Runtime.CompilerServices;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>Keras's <c>keras.optimizers</c>: optimizers with their hyper-parameters, for <see cref="Model.Compile(Core.Optimizer, LossSpec, MetricSpec?, LossWeights?)"/>.</summary>
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

    /// <summary>SGD whose learning rate follows <paramref name="learningRate"/>, a schedule stepped per optimizer iteration (<see cref="Schedules"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The schedule's first rate is negative, NaN or infinite; a momentum outside [0, 1].</exception>
    public static Core.Optimizer SGD(LearningRateSchedule learningRate, double momentum = 0, bool nesterov = false) =>
        Scheduled(SGD(First("SGD", learningRate), momentum, nesterov), learningRate);

    /// <summary>Adam whose learning rate follows <paramref name="learningRate"/>, a schedule stepped per optimizer iteration (<see cref="Schedules"/>).</summary>
    /// <example><code>Optimizers.Adam(learningRate: Schedules.ExponentialDecay(1e-3, decaySteps: 1000, decayRate: 0.9))</code></example>
    /// <exception cref="ArgumentOutOfRangeException">The schedule's first rate is negative, NaN or infinite; β₁ or β₂ outside [0, 1); ε not a finite number greater than 0.</exception>
    public static Core.Optimizer Adam(LearningRateSchedule learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-7, AdamForm form = AdamForm.Keras) =>
        Scheduled(Adam(First("Adam", learningRate), beta1, beta2, epsilon, form), learningRate);

    /// <summary>RMSprop whose learning rate follows <paramref name="learningRate"/>, a schedule stepped per optimizer iteration (<see cref="Schedules"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The schedule's first rate is negative, NaN or infinite; ρ outside [0, 1); a momentum outside [0, 1]; ε not a finite number greater than 0.</exception>
    public static Core.Optimizer RMSprop(LearningRateSchedule learningRate, double rho = 0.9, double momentum = 0, double epsilon = 1e-7) =>
        Scheduled(RMSprop(First("RMSprop", learningRate), rho, momentum, epsilon), learningRate);

    /// <summary>Adagrad whose learning rate follows <paramref name="learningRate"/>, a schedule stepped per optimizer iteration (<see cref="Schedules"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The schedule's first rate or the initial accumulator value is negative, NaN or infinite; ε not a finite number greater than 0.</exception>
    public static Core.Optimizer Adagrad(LearningRateSchedule learningRate, double initialAccumulatorValue = 0.1, double epsilon = 1e-7) =>
        Scheduled(Adagrad(First("Adagrad", learningRate), initialAccumulatorValue, epsilon), learningRate);

    private static double First(string optimizer, LearningRateSchedule schedule) =>
        (schedule ?? throw new ArgumentNullException(nameof(schedule), $"{optimizer}: learningRate is null.")).At(0);

    private static Core.Optimizer Scheduled(Core.Optimizer optimizer, LearningRateSchedule schedule) => optimizer with { Schedule = schedule };

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

/// <summary>
/// Keras's <c>keras.optimizers.schedules</c>: learning rates that change with the optimizer's
/// iterations, given to an optimizer as its learning rate. The update of optimizer iteration k
/// (0-based, counted over every batch of every epoch) uses the schedule's value at k.
/// </summary>
/// <example><code>model.Compile(Optimizers.SGD(learningRate: Schedules.PiecewiseConstantDecay([100, 200], [0.1, 0.01, 0.001])), loss: "mse");</code></example>
public static class Schedules
{
    /// <summary>initialLearningRate · decayRate^(step / decaySteps), the exponent rounded down when <paramref name="staircase"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decaySteps"/> is 0 or less.</exception>
    public static LearningRateSchedule ExponentialDecay(double initialLearningRate, long decaySteps, double decayRate, bool staircase = false) =>
        new Core.ExponentialDecay(initialLearningRate, decaySteps, decayRate, staircase);

    /// <summary><paramref name="values"/>[0] up to step <paramref name="boundaries"/>[0] (included), values[i] up to boundaries[i], the last value after.</summary>
    /// <exception cref="ArgumentException">Not one value more than boundaries, or boundaries not increasing.</exception>
    public static LearningRateSchedule PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values) =>
        new Core.PiecewiseConstantDecay(boundaries, values);

    /// <summary>Cosine decay from <paramref name="initialLearningRate"/> to α times it over <paramref name="decaySteps"/>; with <paramref name="warmupTarget"/>, a linear warm-up to it over <paramref name="warmupSteps"/> first (Keras 3).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decaySteps"/> is 0 or less.</exception>
    public static LearningRateSchedule CosineDecay(double initialLearningRate, long decaySteps, double alpha = 0, double? warmupTarget = null, long warmupSteps = 0) =>
        new Core.CosineDecay(initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps);
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

    /// <summary>Binary crossentropy, on probabilities or (with <paramref name="fromLogits"/>) logits; <paramref name="labelSmoothing"/> s turns targets y into y·(1 − s) + s/2.</summary>
    public static Loss BinaryCrossentropy(bool fromLogits = false, double labelSmoothing = 0) => new Core.BinaryCrossentropy(fromLogits, Smoothing(labelSmoothing));

    /// <summary>Categorical crossentropy against one-hot targets, on probabilities or logits; <paramref name="labelSmoothing"/> s turns targets y into y·(1 − s) + s/C over C classes.</summary>
    public static Loss CategoricalCrossentropy(bool fromLogits = false, double labelSmoothing = 0) => new Core.CategoricalCrossentropy(fromLogits, Smoothing(labelSmoothing));

    private static double Smoothing(double s) =>
        s is >= 0 and <= 1 ? s : throw new ArgumentOutOfRangeException("labelSmoothing", s, $"labelSmoothing must be in [0, 1]; received {s.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");

    /// <summary>Log-cosh of the error, mean over the last axis (Keras's <c>LogCosh</c>).</summary>
    public static Loss LogCosh() => new Core.LogCosh();

    /// <summary>Kullback–Leibler divergence Σ y·log(y/ŷ), both clipped to [1e-7, 1] (Keras's <c>KLDivergence</c>).</summary>
    public static Loss KLDivergence() => new Core.KLDivergence();

    /// <summary>Hinge max(1 − y·ŷ, 0), mean over the last axis; 0/1 labels become −1/1 (Keras's <c>Hinge</c>).</summary>
    public static Loss Hinge() => new Core.Hinge();

    /// <summary>Squared hinge max(1 − y·ŷ, 0)², mean over the last axis; 0/1 labels become −1/1 (Keras's <c>SquaredHinge</c>).</summary>
    public static Loss SquaredHinge() => new Core.SquaredHinge();

    /// <summary>Categorical hinge max(max((1 − y)·ŷ) − Σ y·ŷ + 1, 0) against one-hot targets (Keras's <c>CategoricalHinge</c>).</summary>
    public static Loss CategoricalHinge() => new Core.CategoricalHinge();

    /// <summary>−(cosine similarity of ŷ and y) over the last axis (Keras's <c>CosineSimilarity</c>): −1 at best.</summary>
    public static Loss CosineSimilarity() => new Core.CosineSimilarity();

    /// <summary>Poisson ŷ − y·log(ŷ + 1e-7), mean over the last axis (Keras's <c>Poisson</c>).</summary>
    public static Loss Poisson() => new Core.Poisson();

    /// <summary>100 · mean |y − ŷ| / max(|y|, 1e-7) (Keras's <c>MeanAbsolutePercentageError</c>).</summary>
    public static Loss MeanAbsolutePercentageError() => new Core.MeanAbsolutePercentageError();

    /// <summary>Mean of (log(ŷ + 1) − log(y + 1))², both at least 1e-7 (Keras's <c>MeanSquaredLogarithmicError</c>).</summary>
    public static Loss MeanSquaredLogarithmicError() => new Core.MeanSquaredLogarithmicError();

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

/// <summary>Keras's <c>keras.metrics</c>: metric objects with their options (named as Keras names them in the logs), and metrics written as functions.</summary>
/// <example><code>model.Compile("adam", "binary_crossentropy", metrics: [Metrics.BinaryAccuracy(threshold: 0.7), Metrics.Precision(), Metrics.Recall()]);</code></example>
public static class Metrics
{
    /// <summary>Fraction of values whose prediction is on the target's side of <paramref name="threshold"/> (logged as <c>binary_accuracy</c>).</summary>
    public static Metric BinaryAccuracy(double threshold = 0.5, string name = "binary_accuracy") => new Core.BinaryAccuracy { Name = name, Threshold = (float)threshold };

    /// <summary>Fraction of rows whose largest prediction is at the one-hot target's 1 (logged as <c>categorical_accuracy</c>).</summary>
    public static Metric CategoricalAccuracy(string name = "categorical_accuracy") => new Core.CategoricalAccuracy { Name = name };

    /// <summary>Fraction of rows whose largest prediction is at the integer label (logged as <c>sparse_categorical_accuracy</c>).</summary>
    public static Metric SparseCategoricalAccuracy(string name = "sparse_categorical_accuracy") => new Core.SparseCategoricalAccuracy { Name = name };

    /// <summary>True positives / predicted positives over the epoch, a prediction above <paramref name="thresholds"/> being positive (logged as <c>precision</c>).</summary>
    public static Metric Precision(double thresholds = 0.5, string name = "precision") => new Core.Precision { Name = name, Threshold = (float)thresholds };

    /// <summary>True positives / actual positives over the epoch, a prediction above <paramref name="thresholds"/> being positive (logged as <c>recall</c>).</summary>
    public static Metric Recall(double thresholds = 0.5, string name = "recall") => new Core.Recall { Name = name, Threshold = (float)thresholds };

    /// <summary>
    /// Area under the ROC (<paramref name="curve"/> <c>"ROC"</c>) or precision–recall (<c>"PR"</c>) curve over the
    /// epoch, from confusion counts at <paramref name="numThresholds"/> thresholds (logged as <c>auc</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A curve or summation method Keras does not know.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numThresholds"/> is 1 or less.</exception>
    public static Metric AUC(int numThresholds = 200, string curve = "ROC", string summationMethod = "interpolation", bool fromLogits = false, string name = "auc") =>
        new Auc
        {
            Name = name,
            NumThresholds = numThresholds,
            Curve = curve switch
            {
                "ROC" => AucCurve.Roc,
                "PR" => AucCurve.PR,
                _ => throw new ArgumentException($"Invalid AUC curve value: \"{curve}\". Expected values are [\"ROC\", \"PR\"].", nameof(curve)),
            },
            Summation = summationMethod switch
            {
                "interpolation" => AucSummation.Interpolation,
                "minoring" => AucSummation.Minoring,
                "majoring" => AucSummation.Majoring,
                _ => throw new ArgumentException($"Invalid AUC summation method value: \"{summationMethod}\". Expected values are [\"interpolation\", \"majoring\", \"minoring\"].", nameof(summationMethod)),
            },
            FromLogits = fromLogits,
        };

    /// <summary>Fraction of rows whose one-hot target's class is among the <paramref name="k"/> largest predictions (logged as <c>top_k_categorical_accuracy</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public static Metric TopKCategoricalAccuracy(int k = 5, string name = "top_k_categorical_accuracy") => new Core.TopKCategoricalAccuracy(Sparse: false) { Name = name, K = k };

    /// <summary>Fraction of rows whose integer label is among the <paramref name="k"/> largest predictions (logged as <c>sparse_top_k_categorical_accuracy</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public static Metric SparseTopKCategoricalAccuracy(int k = 5, string name = "sparse_top_k_categorical_accuracy") => new Core.TopKCategoricalAccuracy(Sparse: true) { Name = name, K = k };

    /// <summary>Mean squared error over the epoch (logged as <c>mean_squared_error</c>).</summary>
    public static Metric MeanSquaredError(string name = "mean_squared_error") => new MeanError(Squared: true) { Name = name };

    /// <summary>Mean absolute error over the epoch (logged as <c>mean_absolute_error</c>).</summary>
    public static Metric MeanAbsoluteError(string name = "mean_absolute_error") => new MeanError(Squared: false) { Name = name };

    /// <summary>√(mean squared error) over the epoch (logged as <c>root_mean_squared_error</c>).</summary>
    public static Metric RootMeanSquaredError(string name = "root_mean_squared_error") => new Core.RootMeanSquaredError { Name = name };

    /// <summary>Mean absolute percentage error over the epoch (logged as <c>mean_absolute_percentage_error</c>).</summary>
    public static Metric MeanAbsolutePercentageError(string name = "mean_absolute_percentage_error") => new LossMetric(new Core.MeanAbsolutePercentageError()) { Name = name };

    /// <summary>Cosine similarity of prediction and target over the last axis, averaged over the epoch (logged as <c>cosine_similarity</c>; 1 at best).</summary>
    public static Metric CosineSimilarity(string name = "cosine_similarity") => new LossMetric(new Core.CosineSimilarity(), Sign: -1) { Name = name };

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

    /// <summary>Losses keyed by output name, names and objects mixed (<c>new Dictionary&lt;string, LossItem&gt; { ["priority"] = Losses.BinaryCrossentropy(fromLogits: true), ["department"] = "mse" }</c>).</summary>
    public static implicit operator LossSpec(Dictionary<string, LossItem> byName) =>
        new(null, new Dictionary<string, LossItem>(byName ?? throw new ArgumentNullException(nameof(byName))));

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

    /// <summary>One list of metrics (names or objects) per output, in output order: <c>new[] { new MetricItem[] { Metrics.MeanAbsoluteError() }, ["accuracy"] }</c>.</summary>
    public static implicit operator MetricSpec(MetricItem[][] perOutput) => new(null, [.. perOutput.Select(m => (IReadOnlyList<MetricItem>)[.. m])], null);

    /// <summary>One list of metric objects per output, in output order.</summary>
    public static implicit operator MetricSpec(Metric[][] perOutput) => new(null, [.. perOutput.Select(m => (IReadOnlyList<MetricItem>)[.. m.Select(x => (MetricItem)x)])], null);

    /// <summary>Metrics (names or objects) keyed by output name (Keras's <c>metrics={"score": [MeanAbsoluteError()], …}</c>).</summary>
    public static implicit operator MetricSpec(Dictionary<string, MetricItem[]> byName) =>
        new(null, null, byName.ToDictionary(p => p.Key, p => (IReadOnlyList<MetricItem>)[.. p.Value]));

    /// <summary>Metric objects keyed by output name.</summary>
    public static implicit operator MetricSpec(Dictionary<string, Metric[]> byName) =>
        new(null, null, byName.ToDictionary(p => p.Key, p => (IReadOnlyList<MetricItem>)[.. p.Value.Select(m => (MetricItem)m)]));

    /// <summary>One metric object per output name.</summary>
    public static implicit operator MetricSpec(Dictionary<string, Metric> byName) =>
        new(null, null, byName.ToDictionary(p => p.Key, p => (IReadOnlyList<MetricItem>)[(MetricItem)p.Value]));

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

/// <summary>
/// <c>Compile</c>'s <c>lossWeights:</c> as Keras takes it: a list with one weight per output
/// (<c>[1.0, 0.2]</c>) or a dictionary keyed by output name (<c>{ ["aux"] = 0.2 }</c>), where outputs
/// without a key weigh 1.
/// </summary>
[CollectionBuilder(typeof(LossWeights), nameof(Create))]
public sealed class LossWeights : IEnumerable<double>
{
    private LossWeights(IReadOnlyList<double>? list, IReadOnlyDictionary<string, double>? byName) => (List, ByName) = (list, byName);

    private IReadOnlyList<double>? List { get; }
    private IReadOnlyDictionary<string, double>? ByName { get; }

    /// <summary>One weight per output, in output order (the collection-expression form).</summary>
    public static LossWeights Create(ReadOnlySpan<double> weights) => new(weights.ToArray(), null);

    /// <summary>One weight per output, in output order.</summary>
    public static implicit operator LossWeights(double[] weights) => new([.. weights ?? throw new ArgumentNullException(nameof(weights))], null);

    /// <summary>One weight per output, in output order.</summary>
    public static implicit operator LossWeights(List<double> weights) => new([.. weights ?? throw new ArgumentNullException(nameof(weights))], null);

    /// <summary>Weights keyed by output name; outputs without a key weigh 1.</summary>
    public static implicit operator LossWeights(Dictionary<string, double> byName) =>
        new(null, new Dictionary<string, double>(byName ?? throw new ArgumentNullException(nameof(byName)), StringComparer.Ordinal));

    /// <summary>The weights of the list form (empty for the keyed form).</summary>
    public IEnumerator<double> GetEnumerator() => (List ?? []).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>One weight per output, in output order.</summary>
    /// <exception cref="ArgumentException">A list of the wrong length, a key that names no output, or a weight that is not finite.</exception>
    internal double[] Resolve(IReadOnlyList<string> outputs, string model)
    {
        double[] weights;
        if (ByName is not null)
        {
            OutputKeys.Check(ByName.Keys, "loss_weights", outputs, model);
            weights = [.. outputs.Select(o => ByName.GetValueOrDefault(o, 1.0))];
        }
        else
        {
            if (List!.Count != outputs.Count)
                throw new ArgumentException($"Model \"{model}\" has {outputs.Count} output(s) ({string.Join(", ", outputs)}) but {List.Count} loss weights were given; give one per output, or a dictionary by output name.", "lossWeights");
            weights = [.. List];
        }
        foreach (var w in weights)
            if (!double.IsFinite(w))
                throw new ArgumentException($"Model \"{model}\": loss weights must be finite numbers; received {w.ToString(System.Globalization.CultureInfo.InvariantCulture)}.", "lossWeights");
        return weights;
    }
}
