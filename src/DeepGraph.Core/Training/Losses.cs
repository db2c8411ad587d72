using System.Globalization;

namespace DeepGraph.Core;

/// <summary>
/// A loss function, Keras's way: a per-sample loss reduced over the last axis (a mean, or a sum
/// over classes for crossentropies), then averaged over every remaining position of the batch
/// (Keras's <c>sum_over_batch_size</c>). Crossentropies on probabilities clip them to
/// [ε, 1 − ε] with ε = 1e-7, as Keras and TensorFlow.js do.
/// </summary>
public abstract record Loss
{
    /// <summary>The clipping constant of crossentropies on probabilities (Keras's <c>backend.epsilon()</c>).</summary>
    public const float Epsilon = 1e-7f;

    /// <summary>Keras's name for the loss (<c>mean_squared_error</c> …).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The loss by a Keras name or alias (snake_case, TensorFlow.js's camelCase, or the class name):
    /// <c>mse</c>/<c>mean_squared_error</c>, <c>mae</c>/<c>mean_absolute_error</c>,
    /// <c>mape</c>/<c>mean_absolute_percentage_error</c>, <c>msle</c>/<c>mean_squared_logarithmic_error</c>,
    /// <c>binary_crossentropy</c>, <c>categorical_crossentropy</c>, <c>sparse_categorical_crossentropy</c>,
    /// <c>huber</c>, <c>log_cosh</c>, <c>kld</c>/<c>kl_divergence</c>, <c>hinge</c>, <c>squared_hinge</c>,
    /// <c>categorical_hinge</c>, <c>poisson</c>, <c>cosine_similarity</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Loss Get(string name) => Key(name ?? throw new ArgumentNullException(nameof(name))) switch
    {
        "mse" or "meansquarederror" => new MeanSquaredError(),
        "mae" or "meanabsoluteerror" => new MeanAbsoluteError(),
        "mape" or "meanabsolutepercentageerror" => new MeanAbsolutePercentageError(),
        "msle" or "meansquaredlogarithmicerror" => new MeanSquaredLogarithmicError(),
        "binarycrossentropy" or "bce" => new BinaryCrossentropy(),
        "categoricalcrossentropy" or "cce" => new CategoricalCrossentropy(),
        "sparsecategoricalcrossentropy" => new SparseCategoricalCrossentropy(),
        "huber" or "huberloss" => new Huber(),
        "logcosh" => new LogCosh(),
        "kld" or "kldivergence" or "kullbackleiblerdivergence" => new KLDivergence(),
        "hinge" => new Hinge(),
        "squaredhinge" => new SquaredHinge(),
        "categoricalhinge" => new CategoricalHinge(),
        "poisson" => new Poisson(),
        "cosinesimilarity" => new CosineSimilarity(),
        _ => throw new ArgumentException($"Unknown loss function: '{name}'. Known: mse, mae, mape, msle, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, huber, log_cosh, kld, hinge, squared_hinge, categorical_hinge, poisson, cosine_similarity.", nameof(name)),
    };

    /// <summary>A name with case and underscores ignored, so <c>log_cosh</c>, <c>logCosh</c> and <c>LogCosh</c> are one key.</summary>
    internal static string Key(string name) => name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>
    /// Checks that targets of shape <paramref name="target"/> fit predictions of shape
    /// <paramref name="prediction"/> for this loss (the same shape, or the same without a trailing
    /// 1; sparse crossentropy: one label per position).
    /// </summary>
    /// <exception cref="ShapeError">They do not; the message names the output, the loss and both shapes.</exception>
    public virtual void CheckShapes(Shape prediction, Shape target, string output)
    {
        if (!SameUpToTrailingOne(prediction, target))
            throw new ShapeError(output, $"Output \"{output}\" has shape {prediction} but its target has shape {target}: loss {Name} needs targets of the output's shape.");
    }

    /// <summary>
    /// Checks target values the loss cannot take (sparse labels outside the classes), before any
    /// training, so a bad label late in the data stops <c>Fit</c> before its first step.
    /// </summary>
    /// <exception cref="ArgumentException">A target value is invalid for this loss.</exception>
    public virtual void CheckValues(ReadOnlySpan<float> target, Shape prediction) { }

    private protected static bool SameUpToTrailingOne(Shape a, Shape b)
    {
        var x = Dims(a);
        var y = Dims(b);
        if (x.Length == y.Length + 1 && x[^1] == 1) x = x[..^1];
        else if (y.Length == x.Length + 1 && y[^1] == 1) y = y[..^1];
        return Fit(x, y);
    }

    /// <summary>A shape's dimensions, null where unknown (the batch of a symbolic shape).</summary>
    private protected static int?[] Dims(Shape s) => [.. Enumerable.Range(0, s.Rank).Select(i => s[i])];

    /// <summary>Equal ranks and every pair of known dimensions equal.</summary>
    private protected static bool Fit(int?[] x, int?[] y) =>
        x.Length == y.Length && x.Zip(y).All(p => p.First is null || p.Second is null || p.First == p.Second);

    /// <summary>
    /// The loss of predictions <paramref name="prediction"/> (rows of <paramref name="lastAxis"/>
    /// values) against <paramref name="target"/>, averaged over the rows; writes
    /// <paramref name="scale"/> × its gradient with respect to each prediction into <paramref name="gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A target is invalid for the loss (a label out of range).</exception>
    public double Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis, Span<float> gradient, float scale) =>
        Compute(prediction, target, lastAxis, gradient, scale, default);

    /// <summary>
    /// The weighted loss, Keras's <c>sum_over_batch_size</c> reduction: Σ_r w_r·L_r / R over the R
    /// rows (positions) of <paramref name="prediction"/>, L_r the row's loss and w_r
    /// <paramref name="rowWeights"/>[r] — a sum of weighted losses divided by the number of rows,
    /// not by the sum of the weights. Empty weights are weights of 1 (the plain mean). Writes
    /// <paramref name="scale"/> × its gradient with respect to each prediction into <paramref name="gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A target is invalid for the loss; weights neither empty nor one per row.</exception>
    public double Compute(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis, Span<float> gradient, float scale, ReadOnlySpan<float> rowWeights)
    {
        int rows = prediction.Length / lastAxis;
        var converted = Targets(target);
        if (converted is not null) target = converted;
        if (rowWeights.IsEmpty)
            return Rows(prediction, target, lastAxis, gradient, scale / rows) / rows;
        if (rowWeights.Length != rows)
            throw new ArgumentException($"Loss {Name}: {rowWeights.Length} sample weights for {rows} positions; give one weight per sample (or per position).", nameof(rowWeights));
        int t = rows == 0 ? 0 : target.Length / rows;
        double sum = 0;
        for (int r = 0; r < rows; r++)
        {
            float w = rowWeights[r];
            sum += w * Rows(prediction.Slice(r * lastAxis, lastAxis), target.Slice(r * t, t), lastAxis, gradient.Slice(r * lastAxis, lastAxis), scale * w / rows);
        }
        return sum / rows;
    }

    /// <summary>
    /// The targets as the loss reads them, when they must be converted as a whole batch first
    /// (hinge losses turn 0/1 labels into −1/1 when every label of the batch is 0 or 1); null to read them as they are.
    /// </summary>
    private protected virtual float[]? Targets(ReadOnlySpan<float> target) => null;

    /// <summary>
    /// The loss of <paramref name="prediction"/> against <paramref name="target"/> (a batch of the
    /// output's shape), averaged as <see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, float)"/>
    /// averages it; writes <paramref name="scale"/> × its gradient with respect to each prediction into
    /// <paramref name="gradient"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A target is invalid for the loss (a label out of range).</exception>
    public double Compute(Tensor prediction, Tensor target, Span<float> gradient, float scale) => Compute(prediction, target, gradient, scale, default);

    /// <summary>
    /// The weighted loss of <paramref name="prediction"/> against <paramref name="target"/> (a batch of
    /// the output's shape), reduced as <see cref="Compute(ReadOnlySpan{float}, ReadOnlySpan{float}, int, Span{float}, float, ReadOnlySpan{float})"/>
    /// reduces it, <paramref name="rowWeights"/> one weight per position (empty: all 1). The trainer calls
    /// this form; a loss that needs the whole shape (a loss written over ops) overrides it.
    /// </summary>
    /// <exception cref="ArgumentException">A target is invalid for the loss (a label out of range).</exception>
    public virtual double Compute(Tensor prediction, Tensor target, Span<float> gradient, float scale, ReadOnlySpan<float> rowWeights)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        return Compute(prediction.Span, target.Span, prediction.Shape[-1]!.Value, gradient, scale, rowWeights);
    }

    /// <summary>
    /// Sums the per-row losses over all rows and writes <paramref name="gradScale"/> × the
    /// gradient of that sum with respect to each prediction into <paramref name="gradient"/>.
    /// </summary>
    protected abstract double Rows(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis, Span<float> gradient, float gradScale);

    /// <summary>log of a probability clipped to [ε, 1 − ε], and d log/d p (0 where the clip is active).</summary>
    private protected static (double Log, double Slope) ClippedLog(double p)
    {
        if (p < Epsilon) return (Math.Log(Epsilon), 0);
        if (p > 1 - Epsilon) return (Math.Log(1 - Epsilon), 0);
        return (Math.Log(p), 1 / p);
    }
}

/// <summary>Mean squared error: mean over the last axis of (ŷ − y)².</summary>
public sealed record MeanSquaredError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_error";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = 2f * scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            float e = p[i] - y[i];
            sum += (double)e * e;
            grad[i] = g * e;
        }
        return sum / last;
    }
}

/// <summary>Mean absolute error: mean over the last axis of |ŷ − y|.</summary>
public sealed record MeanAbsoluteError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_error";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            float e = p[i] - y[i];
            sum += Math.Abs(e);
            grad[i] = g * MathF.Sign(e);
        }
        return sum / last;
    }
}

/// <summary>Huber loss: ½e² where |e| ≤ δ, else δ(|e| − ½δ); mean over the last axis.</summary>
/// <param name="Delta">Where the loss turns from quadratic to linear (Keras's default 1).</param>
public sealed record Huber(double Delta = 1.0) : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "huber_loss";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double e = p - y, a = Math.Abs(e);
        return a <= Delta ? (0.5 * e * e, e) : (Delta * (a - 0.5 * Delta), Delta * Math.Sign(e));
    }
}

/// <summary>
/// Binary crossentropy: mean over the last axis of −[y log p + (1 − y) log(1 − p)], p the
/// prediction clipped to [ε, 1 − ε]; with <see cref="FromLogits"/>, p = sigmoid(ŷ) computed stably.
/// </summary>
/// <param name="FromLogits">Whether predictions are logits rather than probabilities.</param>
/// <param name="LabelSmoothing">Keras's <c>label_smoothing</c>: targets become y·(1 − s) + s/2.</param>
public sealed record BinaryCrossentropy(bool FromLogits = false, double LabelSmoothing = 0) : Loss
{
    /// <inheritdoc/>
    public override string Name => "binary_crossentropy";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double t = y[i] * (1 - LabelSmoothing) + 0.5 * LabelSmoothing;
            if (FromLogits)
            {
                double z = p[i];
                sum += Math.Max(z, 0) - z * t + Math.Log(1 + Math.Exp(-Math.Abs(z)));
                grad[i] = g * (float)(1 / (1 + Math.Exp(-z)) - t);
            }
            else
            {
                var (logP, dLogP) = ClippedLog(p[i]);
                var (logQ, dLogQ) = ClippedLog(1.0 - p[i]);
                sum -= t * logP + (1 - t) * logQ;
                grad[i] = g * (float)(-t * dLogP + (1 - t) * dLogQ);
            }
        }
        return sum / last;
    }
}

/// <summary>
/// Categorical crossentropy: −Σ_c y_c log p_c over the last axis, p the predictions normalised to
/// sum 1 and clipped to [ε, 1 − ε]; with <see cref="FromLogits"/>, log p = log-softmax(ŷ), stable at any logit.
/// </summary>
/// <param name="FromLogits">Whether predictions are logits rather than probabilities.</param>
/// <param name="LabelSmoothing">Keras's <c>label_smoothing</c>: targets become y·(1 − s) + s/C over C classes (not for integer labels).</param>
public record CategoricalCrossentropy(bool FromLogits = false, double LabelSmoothing = 0) : Loss
{
    /// <inheritdoc/>
    public override string Name => "categorical_crossentropy";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int start = 0; start < p.Length; start += last)
            sum += Row(p.Slice(start, last), y.Slice(start, last), -1, grad.Slice(start, last), scale);
        return sum;
    }

    /// <summary>One row's loss for targets <paramref name="targets"/>, or for the one-hot <paramref name="label"/> when it is not negative, writing scale × its gradient.</summary>
    private protected double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> targets, int label, Span<float> grad, float scale)
    {
        int n = p.Length;
        double loss = 0, keep = 1 - LabelSmoothing, spread = LabelSmoothing / n;
        double T(int c, ReadOnlySpan<float> targets) => label >= 0 ? (c == label ? 1.0 : 0.0) : targets[c] * keep + spread;
        if (FromLogits)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < n; c++) max = Math.Max(max, p[c]);
            double z = 0;
            for (int c = 0; c < n; c++) z += Math.Exp(p[c] - max);
            double logZ = max + Math.Log(z), ySum = 0;
            for (int c = 0; c < n; c++)
            {
                double t = T(c, targets);
                ySum += t;
                loss -= t * (p[c] - logZ);
            }
            for (int c = 0; c < n; c++) grad[c] = scale * (float)(Math.Exp(p[c] - logZ) * ySum - T(c, targets));
            return loss;
        }
        double s = 0;
        for (int c = 0; c < n; c++) s += p[c];
        // g_c = dL/dq_c for q = p / s; then dL/dp_j = (g_j − Σ_c g_c q_c) / s.
        Span<double> g = n <= 256 ? stackalloc double[n] : new double[n];
        double dot = 0;
        for (int c = 0; c < n; c++)
        {
            double q = p[c] / s, t = T(c, targets);
            var (log, slope) = ClippedLog(q);
            loss -= t * log;
            g[c] = -t * slope;
            dot += g[c] * q;
        }
        for (int c = 0; c < n; c++) grad[c] = scale * (float)((g[c] - dot) / s);
        return loss;
    }
}

/// <summary>
/// Sparse categorical crossentropy: categorical crossentropy against integer class labels (one
/// per position, stored as floats, shape of the output without its last axis, or with a last axis of 1).
/// </summary>
/// <param name="FromLogits">Whether predictions are logits rather than probabilities.</param>
public sealed record SparseCategoricalCrossentropy(bool FromLogits = false) : CategoricalCrossentropy(FromLogits)
{
    /// <inheritdoc/>
    public override string Name => "sparse_categorical_crossentropy";

    /// <inheritdoc/>
    public override void CheckShapes(Shape prediction, Shape target, string output)
    {
        var p = Dims(prediction)[..^1];
        var t = Dims(target);
        if (t.Length == p.Length + 1 && t[^1] == 1) t = t[..^1];
        if (!Fit(p, t))
            throw new ShapeError(output, $"Output \"{output}\" has shape {prediction} but its target has shape {target}: loss {Name} needs one integer label per sample, of shape {Shape.Of([.. p, 1])} or {Shape.Of(p)}.");
    }

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int r = 0, start = 0; start < p.Length; r++, start += last)
        {
            int label = Label(y[r], last, r);
            sum += Row(p.Slice(start, last), default, label, grad.Slice(start, last), scale);
        }
        return sum;
    }

    /// <inheritdoc/>
    public override void CheckValues(ReadOnlySpan<float> target, Shape prediction)
    {
        if (prediction[-1] is not int classes) return;
        for (int r = 0; r < target.Length; r++) Label(target[r], classes, r);
    }

    private static int Label(float value, int classes, int row)
    {
        bool integer = float.IsFinite(value) && value == MathF.Floor(value);
        if (!integer || value < 0 || value >= classes)
            throw new ArgumentException($"Received a label value of {value.ToString(CultureInfo.InvariantCulture)} at sample {row}, which is " +
                (integer ? $"outside the valid range of [0, {classes - 1}]" : "not an integer class index") +
                $": sparse_categorical_crossentropy needs integer class labels in [0, {classes - 1}] for an output of {classes} classes.");
        return (int)value;
    }
}

/// <summary>
/// A loss written as a function over <see cref="Ops"/> (Keras's custom loss function):
/// <c>(yTrue, yPred) → per-sample losses</c>, which are averaged over every value they hold (Keras's
/// <c>sum_over_batch_size</c>); the gradient comes from the tape. The function must be a function of
/// its two arguments only, and must work on a symbolic tape (shapes only), where the targets'
/// fit is checked before training.
/// </summary>
/// <example><code>new FunctionLoss("my_mse", (yTrue, yPred) => Ops.Mean((yPred - yTrue) * (yPred - yTrue), [-1]))</code></example>
public sealed record FunctionLoss : Loss
{
    /// <summary>A loss named <paramref name="name"/> (the logs' and the error messages' name) computing <paramref name="function"/>.</summary>
    /// <exception cref="ArgumentException">The name is empty or blank.</exception>
    public FunctionLoss(string name, Func<Var, Var, Var> function)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Function = function ?? throw new ArgumentNullException(nameof(function));
    }

    /// <inheritdoc/>
    public override string Name { get; }

    /// <summary>The computation: <c>(yTrue, yPred) → per-sample losses</c>.</summary>
    public Func<Var, Var, Var> Function { get; }

    /// <summary>Runs the function on shapes alone: targets it cannot take are refused before training.</summary>
    /// <exception cref="ShapeError">The function cannot take these shapes; the message names the output, the loss and both shapes.</exception>
    public override void CheckShapes(Shape prediction, Shape target, string output)
    {
        var tape = new OpTape(TapeMode.Symbolic);
        try
        {
            var result = Function(tape.Placeholder(Aligned(target, prediction)), tape.Placeholder(prediction));
            if (result is null || !ReferenceEquals(result.Tape, tape))
                throw new InvalidOperationException($"Loss {Name} returned {(result is null ? "null" : "a var of another tape")}: a loss function must compute its result with Ops from the two vars it is given.");
        }
        catch (Exception e) when (e is ShapeError or ArgumentException)
        {
            throw new ShapeError(output, $"Output \"{output}\" has shape {prediction} and its target shape {target}, which loss {Name} cannot take: {e.Message}");
        }
    }

    /// <inheritdoc/>
    /// <remarks>With weights, the function's values are weighted one per position (values of shape [batch, …] without the last axis) or one per sample (values of shape [batch]).</remarks>
    public override double Compute(Tensor prediction, Tensor target, Span<float> gradient, float scale, ReadOnlySpan<float> rowWeights)
    {
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(target);
        var p = Tensor.FromArray(prediction.ToArray(), prediction.Shape.ToArray());
        var t = Tensor.FromArray(target.ToArray(), Aligned(target.Shape, prediction.Shape).ToArray());
        return Run(p, t, gradient, scale, rowWeights, prediction.Shape[0] ?? 1);
    }

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> prediction, ReadOnlySpan<float> target, int lastAxis, Span<float> gradient, float gradScale)
    {
        // The span form knows rows of the last axis only: the function sees (rows, last).
        int rows = prediction.Length / lastAxis;
        var p = Tensor.FromArray(prediction.ToArray(), [rows, lastAxis]);
        var t = Tensor.FromArray(target.ToArray(), target.Length == prediction.Length ? [rows, lastAxis] : [target.Length]);
        // Compute divides the gradient scale by the rows and the sum by the rows: undo both around the mean taken here.
        return Run(p, t, gradient, gradScale * rows, default, rows) * rows;
    }

    private double Run(Tensor prediction, Tensor target, Span<float> gradient, float scale, ReadOnlySpan<float> rowWeights, int batch)
    {
        var tape = new OpTape(TapeMode.Record);
        var yPred = tape.Constant(prediction);
        var result = Function(tape.Constant(target), yPred);
        if (result is null || !ReferenceEquals(result.Tape, tape))
            throw new InvalidOperationException($"Loss {Name} returned {(result is null ? "null" : "a var of another tape")}: a loss function must compute its result with Ops from the two vars it is given.");
        if (result.DType != DType.Float32)
            throw new InvalidOperationException($"Loss {Name} returned a {result.DType.Name()} tensor; a loss is float32.");
        var values = result.Value.Span;
        if (values.Length == 0)
        {
            gradient[..prediction.Length].Clear();
            return 0;
        }
        double sum = 0;
        var seed = Tensor.Filled(scale / values.Length, result.Shape.ToArray());
        if (rowWeights.IsEmpty)
        {
            foreach (var v in values) sum += v;
        }
        else
        {
            // One weight per value: per position when the function kept every position, per sample when it gave one value a sample.
            int stride = values.Length == rowWeights.Length ? 1
                : values.Length == batch && rowWeights.Length % batch == 0 ? rowWeights.Length / batch
                : throw new ArgumentException($"Loss {Name} returned {values.Length} values for a batch of {batch} samples and {rowWeights.Length} positions; with sample weights a loss function must give one value per sample or per position.");
            var s = seed.Data.AsSpan();
            for (int i = 0; i < values.Length; i++)
            {
                float w = rowWeights[i * stride];
                sum += w * values[i];
                s[i] *= w;
            }
        }
        var grad = tape.Gradients([result], [seed], [yPred])[0]!;
        grad.Span.CopyTo(gradient);
        return sum / values.Length;
    }

    /// <summary>Targets of the prediction's shape but for a trailing 1 (Keras squeezes or expands it) take the prediction's shape.</summary>
    private static Shape Aligned(Shape target, Shape prediction) =>
        target != prediction && target.Rank != prediction.Rank && SameUpToTrailingOne(prediction, target) ? prediction : target;
}
