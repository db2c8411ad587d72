namespace DeepGraph.Core;

/// <summary>
/// A metric, averaged over every sample seen in an epoch (Keras's stateful mean): each batch
/// contributes its sum over positions and how many positions it had. A metric with a state of its
/// own (Keras's custom <c>Metric</c> subclass: <c>update_state</c>, <c>result</c>) overrides
/// <see cref="StateSize"/>, <see cref="Accumulate"/> and <see cref="Result(ReadOnlySpan{double})"/>;
/// the state starts at zeros each epoch (Keras's <c>reset_state</c>).
/// </summary>
public abstract record Metric
{
    /// <summary>The name the logs use (<c>accuracy</c>, <c>mae</c> …): what the user asked for.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The metric Keras means by <paramref name="name"/> for an output of shape
    /// <paramref name="prediction"/> trained with <paramref name="loss"/>: <c>accuracy</c>/<c>acc</c>
    /// becomes binary accuracy for a last axis of 1 (or binary crossentropy), sparse categorical
    /// accuracy for sparse labels, categorical accuracy otherwise; <c>precision</c>, <c>recall</c>,
    /// <c>rmse</c>/<c>root_mean_squared_error</c>, <c>mae</c>, <c>mse</c>, the explicit accuracy names and
    /// <c>auc</c>, <c>top_k_categorical_accuracy</c>, <c>sparse_top_k_categorical_accuracy</c> (k = 5), every loss name (<c>mape</c>, <c>msle</c>, <c>huber</c>, <c>log_cosh</c>, <c>kld</c>, <c>poisson</c>,
    /// <c>hinge</c> …; <c>cosine_similarity</c> as the similarity, not its negative) are taken as they are.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown metric.</exception>
    public static Metric Get(string name, Shape prediction, Loss loss)
    {
        ArgumentNullException.ThrowIfNull(name);
        string key = Loss.Key(name);
        switch (key)
        {
            case "accuracy" or "acc":
                return loss switch
                {
                    SparseCategoricalCrossentropy => new SparseCategoricalAccuracy { Name = name },
                    BinaryCrossentropy => new BinaryAccuracy { Name = name },
                    _ when prediction[-1] == 1 => new BinaryAccuracy { Name = name },
                    _ => new CategoricalAccuracy { Name = name },
                };
            case "binaryaccuracy": return new BinaryAccuracy { Name = name };
            case "categoricalaccuracy": return new CategoricalAccuracy { Name = name };
            case "sparsecategoricalaccuracy": return new SparseCategoricalAccuracy { Name = name };
            case "mae" or "meanabsoluteerror": return new MeanError(Squared: false) { Name = name };
            case "mse" or "meansquarederror": return new MeanError(Squared: true) { Name = name };
            case "rmse" or "rootmeansquarederror": return new RootMeanSquaredError { Name = name };
            case "precision": return new Precision { Name = name };
            case "auc": return new Auc { Name = name };
            case "topkcategoricalaccuracy": return new TopKCategoricalAccuracy(Sparse: false) { Name = name };
            case "sparsetopkcategoricalaccuracy": return new TopKCategoricalAccuracy(Sparse: true) { Name = name };
            case "recall": return new Recall { Name = name };
            case "cosinesimilarity": return new LossMetric(new CosineSimilarity(), Sign: -1) { Name = name };
        }
        try
        {
            return new LossMetric(Loss.Get(name)) { Name = name };
        }
        catch (ArgumentException)
        {
            throw new ArgumentException($"Unknown metric function: '{name}'. Known: accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, precision, recall, auc, top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mae, mse, rmse, cosine_similarity and every loss name (mape, msle, huber, log_cosh, kld, poisson, hinge, squared_hinge, categorical_hinge, binary_crossentropy …).", nameof(name));
        }
    }

    /// <summary>
    /// The batch's weighted sum and weight: each position (row of the last axis) r contributes
    /// w_r × its sum and w_r × its count, <paramref name="rowWeights"/> one weight per position
    /// (empty: all 1). The epoch's value is <see cref="Result(double, double)"/> of the totals: Σ w·value / Σ w for
    /// a mean metric, as Keras's weighted metrics.
    /// </summary>
    /// <exception cref="ArgumentException">Weights neither empty nor one per position.</exception>
    public virtual (double Sum, double Count) Batch(Tensor prediction, Tensor target, ReadOnlySpan<float> rowWeights)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        if (rowWeights.IsEmpty) return Batch(prediction, target);
        int last = prediction.Shape[-1]!.Value, rows = prediction.Length / last;
        if (rowWeights.Length != rows)
            throw new ArgumentException($"Metric {Name}: {rowWeights.Length} sample weights for {rows} positions; give one weight per sample (or per position).", nameof(rowWeights));
        int t = rows == 0 ? 0 : target.Length / rows;
        ReadOnlySpan<float> p = prediction.Span, y = target.Span;
        double sum = 0, count = 0;
        for (int r = 0; r < rows; r++)
        {
            var (s, c) = Batch(p.Slice(r * last, last), y.Slice(r * t, t), last);
            sum += rowWeights[r] * s;
            count += rowWeights[r] * c;
        }
        return (sum, count);
    }

    /// <summary>The metric's value from an epoch's totals: the weighted mean Σ sums / Σ counts (0 when nothing was counted, as Keras's <c>divide_no_nan</c>).</summary>
    public virtual double Result(double sum, double count) => count == 0 ? 0 : sum / count;

    /// <summary>
    /// How many numbers the metric's epoch state holds (Keras's metric variables): 2 for a mean — the
    /// weighted sum and the weight — more for a metric such as <see cref="Auc"/> that keeps a confusion
    /// matrix per threshold. An epoch's state is the element-wise sum of its batches' states.
    /// </summary>
    public virtual int StateSize => 2;

    /// <summary>Adds the batch's contribution to <paramref name="state"/> (of <see cref="StateSize"/> numbers); by default its weighted sum and count.</summary>
    /// <exception cref="ArgumentException">Weights neither empty nor one per position.</exception>
    public virtual void Accumulate(Tensor prediction, Tensor target, ReadOnlySpan<float> rowWeights, Span<double> state)
    {
        var (sum, count) = Batch(prediction, target, rowWeights);
        state[0] += sum;
        state[1] += count;
    }

    /// <summary>The metric's value from an epoch's state; by default <see cref="Result(double, double)"/> of the sum and count.</summary>
    public virtual double Result(ReadOnlySpan<double> state) => Result(state[0], state[1]);

    /// <summary>
    /// The batch's sum and count for <paramref name="prediction"/> against <paramref name="target"/> (a
    /// batch of the output's shape). A metric that needs the whole shape (a metric written over ops) overrides it.
    /// </summary>
    public virtual (double Sum, long Count) Batch(Tensor prediction, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return Batch(prediction.Span, target.Span, prediction.Shape[-1]!.Value);
    }

    /// <summary>
    /// The batch's sum of the metric over positions (rows of <paramref name="lastAxis"/> predictions), and
    /// the number of positions. A metric with a state of its own (Keras's <c>update_state</c> and
    /// <c>result</c>) overrides <see cref="StateSize"/>, <see cref="Accumulate"/> and
    /// <see cref="Result(ReadOnlySpan{double})"/> instead, and need not override this.
    /// </summary>
    /// <exception cref="NotSupportedException">The metric is not a sum and a count.</exception>
    public virtual (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis) =>
        throw new NotSupportedException($"Metric {Name} ({GetType().Name}) is not a sum and a count: it overrides Accumulate and Result.");
}

/// <summary>Fraction of predictions on the right side of the threshold (Keras's <c>binary_accuracy</c>), per value: ŷ &gt; threshold counts as 1.</summary>
public sealed record BinaryAccuracy : Metric
{
    /// <summary>The threshold above which a prediction is 1 (Keras's default 0.5).</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        // Per sample the mean over the last axis, then the mean over samples: with equal rows, the mean over values.
        long hits = 0;
        for (int i = 0; i < p.Length; i++)
            if ((p[i] > Threshold ? 1f : 0f) == y[i]) hits++;
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

/// <summary>Root mean squared error (Keras's <c>RootMeanSquaredError</c>): √(Σ w·(ŷ − y)² / Σ w) over the epoch.</summary>
public sealed record RootMeanSquaredError : Metric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis) =>
        new MeanError(Squared: true) { Name = Name }.Batch(prediction, target, lastAxis);

    /// <inheritdoc/>
    public override double Result(double sum, double count) => Math.Sqrt(base.Result(sum, count));
}

/// <summary>
/// What the confusion-matrix metrics count per value: a prediction above <see cref="Threshold"/> is
/// positive, a target other than 0 is true (Keras casts it to bool).
/// </summary>
public abstract record ThresholdMetric : Metric
{
    /// <summary>The threshold above which a prediction is positive (Keras's default 0.5).</summary>
    public float Threshold { get; init; } = 0.5f;

    /// <summary>True positives, false positives and false negatives among the values.</summary>
    private protected (long TruePositives, long FalsePositives, long FalseNegatives) Confusion(ReadOnlySpan<float> p, ReadOnlySpan<float> y)
    {
        if (y.Length != p.Length)
            throw new ArgumentException($"Metric {Name} needs targets of the prediction's shape: {p.Length} predictions, {y.Length} targets.", nameof(y));
        long tp = 0, fp = 0, fn = 0;
        for (int i = 0; i < p.Length; i++)
        {
            bool positive = p[i] > Threshold, truth = y[i] != 0;
            if (positive && truth) tp++;
            else if (positive) fp++;
            else if (truth) fn++;
        }
        return (tp, fp, fn);
    }
}

/// <summary>Precision (Keras's <c>Precision</c>): true positives / predicted positives over the epoch (0 when nothing was predicted positive).</summary>
public sealed record Precision : ThresholdMetric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis)
    {
        var (tp, fp, _) = Confusion(prediction, target);
        return (tp, tp + fp);
    }
}

/// <summary>Recall (Keras's <c>Recall</c>): true positives / actual positives over the epoch (0 when there were none).</summary>
public sealed record Recall : ThresholdMetric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis)
    {
        var (tp, _, fn) = Confusion(prediction, target);
        return (tp, tp + fn);
    }
}

/// <summary>
/// A loss used as a metric (Keras's loss-named metrics, <c>metrics=["mape"]</c>): the loss of each
/// position, averaged over the epoch (weighted by sample weights), times <paramref name="Sign"/>.
/// </summary>
/// <param name="Loss">The loss computed.</param>
/// <param name="Sign">1, or −1 for a metric that is the negative of its loss (cosine similarity).</param>
public sealed record LossMetric(Loss Loss, int Sign = 1) : Metric
{
    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis)
    {
        int rows = prediction.Length / lastAxis;
        if (rows == 0) return (0, 0);
        var scratch = new float[prediction.Length];
        return (Sign * Loss.Compute(prediction, target, lastAxis, scratch, 0f) * rows, rows);
    }
}

/// <summary>Which curve <see cref="Auc"/> integrates.</summary>
public enum AucCurve
{
    /// <summary>The ROC curve: true-positive rate against false-positive rate.</summary>
    Roc,

    /// <summary>The precision–recall curve.</summary>
    PR,
}

/// <summary>How <see cref="Auc"/> sums the areas between thresholds (Keras's <c>summation_method</c>).</summary>
public enum AucSummation
{
    /// <summary>Trapezoids for ROC; for PR, Davis and Goadrich's interpolation of precision (Keras's default).</summary>
    Interpolation,

    /// <summary>Rectangles at the lower of the two heights.</summary>
    Minoring,

    /// <summary>Rectangles at the higher of the two heights.</summary>
    Majoring,
}

/// <summary>
/// Area under the ROC or precision–recall curve (Keras's <c>AUC</c>): over the epoch it counts, at
/// <see cref="NumThresholds"/> thresholds — −ε, 1/(n − 1), 2/(n − 1) … (n − 2)/(n − 1), 1 + ε — the
/// (weighted) true and false positives and negatives of every value (a prediction above the threshold
/// is positive, a target other than 0 is true), then sums the area between consecutive thresholds.
/// </summary>
public sealed record Auc : Metric
{
    /// <summary>The number of thresholds (Keras's default 200); more than 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">1 or less.</exception>
    public int NumThresholds
    {
        get;
        init => field = value > 1 ? value : throw new ArgumentOutOfRangeException(nameof(NumThresholds), value, $"Argument `num_thresholds` must be an integer > 1. Received: num_thresholds={value}");
    } = 200;

    /// <summary>The curve (ROC by default).</summary>
    public AucCurve Curve { get; init; }

    /// <summary>How the areas are summed (interpolation by default).</summary>
    public AucSummation Summation { get; init; }

    /// <summary>Whether predictions are logits (a sigmoid is applied first).</summary>
    public bool FromLogits { get; init; }

    /// <summary>The thresholds, as Keras makes them (float32).</summary>
    public float[] Thresholds()
    {
        int n = NumThresholds;
        var t = new float[n];
        t[0] = (float)(0.0 - Loss.Epsilon);
        for (int i = 1; i < n - 1; i++) t[i] = (float)(i * 1.0 / (n - 1));
        t[n - 1] = (float)(1.0 + Loss.Epsilon);
        return t;
    }

    /// <summary>Four counts per threshold: true positives, false positives, true negatives, false negatives.</summary>
    public override int StateSize => 4 * NumThresholds;

    /// <inheritdoc/>
    public override void Accumulate(Tensor prediction, Tensor target, ReadOnlySpan<float> rowWeights, Span<double> state)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        ReadOnlySpan<float> p = prediction.Span, y = target.Span;
        if (y.Length != p.Length)
            throw new ArgumentException($"Metric {Name} needs targets of the prediction's shape: {p.Length} predictions, {y.Length} targets.", nameof(target));
        int n = NumThresholds, last = prediction.Shape[-1]!.Value;
        var thresholds = Thresholds();
        var tp = state[..n];
        var fp = state[n..(2 * n)];
        var tn = state[(2 * n)..(3 * n)];
        var fn = state[(3 * n)..];
        for (int i = 0; i < p.Length; i++)
        {
            double w = rowWeights.IsEmpty ? 1 : rowWeights[i / last];
            float v = FromLogits ? 1f / (1f + MathF.Exp(-p[i])) : p[i];
            bool truth = y[i] != 0;
            for (int k = 0; k < n; k++)
            {
                bool positive = v > thresholds[k];
                if (positive) (truth ? ref tp[k] : ref fp[k]) += w;
                else (truth ? ref fn[k] : ref tn[k]) += w;
            }
        }
    }

    /// <inheritdoc/>
    public override double Result(ReadOnlySpan<double> state)
    {
        int n = NumThresholds;
        var tp = state[..n];
        var fp = state[n..(2 * n)];
        var tn = state[(2 * n)..(3 * n)];
        var fn = state[(3 * n)..];
        static double Div(double a, double b) => b == 0 ? 0 : a / b;
        if (Curve == AucCurve.PR && Summation == AucSummation.Interpolation)
        {
            // Davis & Goadrich: precision interpolated linearly in the number of predicted positives.
            double area = 0;
            for (int i = 0; i < n - 1; i++)
            {
                double dtp = tp[i] - tp[i + 1], pi = tp[i] + fp[i], pn = tp[i + 1] + fp[i + 1];
                double slope = Div(dtp, Math.Max(pi - pn, 0)), intercept = tp[i + 1] - slope * pn;
                double ratio = pi > 0 && pn > 0 ? Div(pi, Math.Max(pn, 0)) : 1;
                area += Div(slope * (dtp + intercept * Math.Log(ratio)), Math.Max(tp[i + 1] + fn[i + 1], 0));
            }
            return area;
        }
        double total = 0;
        for (int i = 0; i < n - 1; i++)
        {
            double r0 = Div(tp[i], tp[i] + fn[i]), r1 = Div(tp[i + 1], tp[i + 1] + fn[i + 1]);
            var (x0, x1, y0, y1) = Curve == AucCurve.Roc
                ? (Div(fp[i], fp[i] + tn[i]), Div(fp[i + 1], fp[i + 1] + tn[i + 1]), r0, r1)
                : (r0, r1, Div(tp[i], tp[i] + fp[i]), Div(tp[i + 1], tp[i + 1] + fp[i + 1]));
            double height = Summation switch
            {
                AucSummation.Interpolation => (y0 + y1) / 2,
                AucSummation.Minoring => Math.Min(y0, y1),
                _ => Math.Max(y0, y1),
            };
            total += (x0 - x1) * height;
        }
        return total;
    }
}

/// <summary>
/// Fraction of rows whose target class is among the <see cref="K"/> largest predictions (Keras's
/// <c>top_k_categorical_accuracy</c> against one-hot targets, <c>sparse_top_k_categorical_accuracy</c>
/// against integer labels). Classes tied with the target's prediction do not push it out: it is in
/// the top k when fewer than k predictions are strictly larger.
/// </summary>
/// <param name="Sparse">Whether targets are integer labels rather than one-hot rows.</param>
public sealed record TopKCategoricalAccuracy(bool Sparse) : Metric
{
    /// <summary>How many of the largest predictions count (Keras's default 5); at least 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int K { get; init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, $"k must be 1 or more; received {value}."); } = 5;

    /// <inheritdoc/>
    public override (double Sum, long Count) Batch(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int lastAxis)
    {
        long hits = 0, rows = p.Length / lastAxis;
        for (int r = 0; r < rows; r++)
        {
            var row = p.Slice((int)r * lastAxis, lastAxis);
            int target = Sparse ? (int)y[(int)r] : CategoricalAccuracy.ArgMax(y.Slice((int)r * lastAxis, lastAxis));
            if ((uint)target >= (uint)lastAxis) continue;
            int larger = 0;
            foreach (var v in row)
                if (v > row[target]) larger++;
            if (larger < K) hits++;
        }
        return (hits, rows);
    }
}
