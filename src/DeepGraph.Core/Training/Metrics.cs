namespace DeepGraph.Core;

/// <summary>
/// A metric, averaged over every sample seen in an epoch (Keras's stateful mean): each batch
/// contributes its sum over positions and how many positions it had.
/// </summary>
public abstract record Metric
{
    /// <summary>The name the logs use (<c>accuracy</c>, <c>mae</c> …): what the user asked for.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The metric Keras means by <paramref name="name"/> for an output of shape
    /// <paramref name="prediction"/> trained with <paramref name="loss"/>: <c>accuracy</c>/<c>acc</c>
    /// becomes binary accuracy for a last axis of 1 (or binary crossentropy), sparse categorical
    /// accuracy for sparse labels, categorical accuracy otherwise; <c>mae</c>, <c>mse</c> and the
    /// explicit names are taken as they are.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown metric.</exception>
    public static Metric Get(string name, Shape prediction, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Names.SnakeCase(name).Replace("__", "_");
        return key switch
        {
            "accuracy" or "acc" => loss switch
            {
                SparseCategoricalCrossentropy => new SparseCategoricalAccuracy { Name = name },
                BinaryCrossentropy => new BinaryAccuracy { Name = name },
                _ when prediction[-1] == 1 => new BinaryAccuracy { Name = name },
                _ => new CategoricalAccuracy { Name = name },
            },
            "binary_accuracy" => new BinaryAccuracy { Name = name },
            "categorical_accuracy" => new CategoricalAccuracy { Name = name },
            "sparse_categorical_accuracy" => new SparseCategoricalAccuracy { Name = name },
            "mae" or "mean_absolute_error" => new MeanError(Squared: false) { Name = name },
            "mse" or "mean_squared_error" => new MeanError(Squared: true) { Name = name },
            _ => throw new ArgumentException($"Unknown metric function: '{name}'. Known: accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mae, mse.", nameof(name)),
        };
    }

    /// <summary>
    /// The batch's sum and count for <paramref name="prediction"/> against <paramref name="target"/> (a
    /// batch of the output's shape). The trainer calls this form; a metric that needs the whole shape
    /// (a metric written over ops) overrides it.
    /// </summary>
    public virtual (double Sum, long Count) Batch(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return Batch(prediction.Span, target.Span, prediction.Shape[-1]!.Value);
    }

    /// <summary>The batch's sum of the metric over positions (rows of <paramref name="lastAxis"/> predictions), and the number of positions.</summary>
    public abstract (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis);
}

/// <summary>Fraction of predictions on the right side of 0.5 (Keras's <c>binary_accuracy</c>), per value.</summary>
public sealed record BinaryAccuracy : Metric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        // Per sample the mean over the last axis, then the mean over samples: with equal rows, the mean over values.
        long hits = 0;
        for (int i = 0; i < p.Length; i++)
            if ((p[i] > 0.5f ? 1f : 0f) == y[i]) hits++;
        return ((double)hits / lastAxis, p.Length / lastAxis);
    }
}

/// <summary>Fraction of rows whose largest prediction is at the target's largest value (Keras's <c>categorical_accuracy</c>).</summary>
public sealed record CategoricalAccuracy : Metric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        long hits = 0, rows = p.Length / lastAxis;
        for (int r = 0; r < rows; r++)
            if (ArgMax(p.Slice(r * lastAxis, lastAxis)) == ArgMax(y.Slice(r * lastAxis, lastAxis))) hits++;
        return (hits, rows);
    }

    internal static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }
}

/// <summary>Fraction of rows whose largest prediction is at the integer label (Keras's <c>sparse_categorical_accuracy</c>).</summary>
public sealed record SparseCategoricalAccuracy : Metric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        long hits = 0, rows = p.Length / lastAxis;
        for (int r = 0; r < rows; r++)
            if (CategoricalAccuracy.ArgMax(p.Slice(r * lastAxis, lastAxis)) == (int)y[r]) hits++;
        return (hits, rows);
    }
}

/// <summary>
/// Mean absolute or squared error, averaged over the last axis then over samples. A target with
/// one value per row (an integer label beside a sparse crossentropy) is broadcast along the row, as
/// Keras broadcasts it.
/// </summary>
/// <param name="Squared">Squared (mse) rather than absolute (mae).</param>
public sealed record MeanError(bool Squared) : Metric
{
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The target has neither the prediction's size nor one value per row.</exception>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        int rows = p.Length / lastAxis;
        bool perRow = y.Length != p.Length;
        if (perRow && y.Length != rows)
            throw new ArgumentException($"The {(Squared ? "mse" : "mae")} metric needs a target of the prediction's shape or one value per row: the prediction has {rows} rows of {lastAxis}, the target {y.Length} values.", nameof(y));
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double e = (double)p[i] - y[perRow ? i / lastAxis : i];
            sum += Squared ? e * e : Math.Abs(e);
        }
        return (sum / lastAxis, rows);
    }
}

/// <summary>
/// A metric written as a function over <see cref="Ops"/> (Keras's custom metric function):
/// <c>(yTrue, yPred) → per-sample values</c>, averaged over every value of the epoch (Keras's
/// <c>MeanMetricWrapper</c>). The function must be a function of its two arguments only.
/// </summary>
/// <example><code>new FunctionMetric((yTrue, yPred) => Ops.Mean(yPred - yTrue, [-1])) { Name = "bias" }</code></example>
public sealed record FunctionMetric : Metric
{
    /// <summary>A metric computing <paramref name="function"/>.</summary>
    public FunctionMetric(Func<Var, Var, Var> function) => Function = function ?? throw new ArgumentNullException(nameof(function));

    /// <summary>The computation: <c>(yTrue, yPred) → per-sample values</c>.</summary>
    public Func<Var, Var, Var> Function { get; }

    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        var p = Tensor.FromArray(prediction.ToArray(), prediction.Shape.ToArray());
        bool aligned = target.Shape != prediction.Shape && target.Length == prediction.Length;
        var t = Tensor.FromArray(target.ToArray(), (aligned ? prediction.Shape : target.Shape).ToArray());
        return Run(p, t);
    }

    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis)
    {
        int rows = prediction.Length / lastAxis;
        var p = Tensor.FromArray(prediction.ToArray(), [rows, lastAxis]);
        var t = Tensor.FromArray(target.ToArray(), target.Length == prediction.Length ? [rows, lastAxis] : [target.Length]);
        return Run(p, t);
    }

    private (double Sum, long Count) Run(Tensor prediction, Tensor target)
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var result = Function(tape.Constant(target), tape.Constant(prediction));
        if (result is null || !ReferenceEquals(result.Tape, tape))
            throw new InvalidOperationException($"Metric {Name} returned {(result is null ? "null" : "a var of another tape")}: a metric function must compute its result with Ops from the two vars it is given.");
        double sum = 0;
        foreach (var v in result.Value.Span) sum += v;
        return (sum, result.Value.Length);
    }
}
