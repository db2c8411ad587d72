namespace DeepGraph.Core;

/// <summary>
/// A loss that is a function of each prediction and its target alone, averaged over the last axis
/// (or summed, <see cref="SumsLastAxis"/>): subclasses give the value and its derivative at one point.
/// </summary>
public abstract record ElementwiseLoss : Loss
{
    /// <summary>Whether the row's loss is the sum over the last axis rather than the mean.</summary>
    protected virtual bool SumsLastAxis => false;

    /// <summary>The loss at prediction <paramref name="p"/> and target <paramref name="y"/>, and its derivative with respect to <paramref name="p"/>.</summary>
    protected abstract (double Value, double Slope) At(double p, double y);

    /// <inheritdoc/>
    protected sealed override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0, divisor = SumsLastAxis ? 1 : last;
        double g = scale / divisor;
        for (int i = 0; i < p.Length; i++)
        {
            var (value, slope) = At(p[i], y[i]);
            sum += value;
            grad[i] = (float)(g * slope);
        }
        return sum / divisor;
    }
}

/// <summary>A loss computed row by row (one position's values along the last axis at a time): subclasses give one row's loss and gradient.</summary>
public abstract record RowwiseLoss : Loss
{
    /// <summary>One row's loss; writes <paramref name="scale"/> × its gradient into <paramref name="grad"/>.</summary>
    protected abstract double Row(ReadOnlySpan<float> p, ReadOnlySpan<float> y, Span<float> grad, float scale);

    /// <inheritdoc/>
    protected sealed override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int start = 0; start < p.Length; start += last)
            sum += Row(p.Slice(start, last), y.Slice(start, last), grad.Slice(start, last), scale);
        return sum;
    }
}

/// <summary>Log-cosh: mean over the last axis of log(cosh(ŷ − y)), computed as x + softplus(−2x) − log 2 so that large errors do not overflow.</summary>
public sealed record LogCosh : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "log_cosh";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double x = p - y, z = -2 * x;
        return (x + Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - Math.Log(2), Math.Tanh(x));
    }
}

/// <summary>Kullback–Leibler divergence: Σ over the last axis of y·log(y / ŷ), both clipped to [ε, 1].</summary>
public sealed record KLDivergence : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "kl_divergence";

    /// <inheritdoc/>
    protected override bool SumsLastAxis => true;

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double t = Math.Clamp(y, Epsilon, 1), q = Math.Clamp(p, Epsilon, 1);
        return (t * Math.Log(t / q), p > Epsilon && p < 1 ? -t / q : 0);
    }
}

/// <summary>
/// The hinge losses' labels, as Keras reads them: when every target of the batch is 0 or 1 they
/// are binary labels and become −1 and 1; otherwise they are taken as they are (already ±1).
/// </summary>
public abstract record HingeLoss : ElementwiseLoss
{
    private protected override float[]? Targets(ReadOnlySpan<float> target)
    {
        foreach (var t in target)
            if (t != 0f && t != 1f) return null;
        var converted = new float[target.Length];
        for (int i = 0; i < converted.Length; i++) converted[i] = 2 * target[i] - 1;
        return converted;
    }
}

/// <summary>Hinge: mean over the last axis of max(1 − y·ŷ, 0), labels −1/1 (0/1 labels are converted).</summary>
public sealed record Hinge : HingeLoss
{
    /// <inheritdoc/>
    public override string Name => "hinge";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double margin = 1 - y * p;
        return margin > 0 ? (margin, -y) : (0, 0);
    }
}

/// <summary>Squared hinge: mean over the last axis of max(1 − y·ŷ, 0)², labels −1/1 (0/1 labels are converted).</summary>
public sealed record SquaredHinge : HingeLoss
{
    /// <inheritdoc/>
    public override string Name => "squared_hinge";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double margin = Math.Max(1 - y * p, 0);
        return (margin * margin, -2 * y * margin);
    }
}

/// <summary>Categorical hinge: max(max_c((1 − y_c)·ŷ_c) − Σ_c y_c·ŷ_c + 1, 0) per row, against one-hot targets.</summary>
public sealed record CategoricalHinge : RowwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "categorical_hinge";

    /// <inheritdoc/>
    protected override double Row(ReadOnlySpan<float> pr, ReadOnlySpan<float> yr, Span<float> gr, float scale)
    {
        double pos = 0, neg = double.NegativeInfinity;
        int at = 0;
        for (int c = 0; c < pr.Length; c++)
        {
            pos += (double)yr[c] * pr[c];
            double n = (1 - (double)yr[c]) * pr[c];
            if (n > neg) (neg, at) = (n, c);
        }
        double loss = neg - pos + 1;
        gr.Clear();
        if (loss <= 0) return 0;
        for (int c = 0; c < pr.Length; c++) gr[c] = -scale * yr[c];
        gr[at] += scale * (1 - yr[at]);
        return loss;
    }
}

/// <summary>Poisson: mean over the last axis of ŷ − y·log(ŷ + ε).</summary>
public sealed record Poisson : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "poisson";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y) => (p - y * Math.Log(p + Epsilon), 1 - y / (p + Epsilon));
}

/// <summary>Mean absolute percentage error: 100 · mean over the last axis of |y − ŷ| / max(|y|, ε).</summary>
public sealed record MeanAbsolutePercentageError : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_percentage_error";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double d = Math.Max(Math.Abs(y), Epsilon), e = p - y;
        return (100 * Math.Abs(e) / d, 100 * Math.Sign(e) / d);
    }
}

/// <summary>Mean squared logarithmic error: mean over the last axis of (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))².</summary>
public sealed record MeanSquaredLogarithmicError : ElementwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_logarithmic_error";

    /// <inheritdoc/>
    protected override (double Value, double Slope) At(double p, double y)
    {
        double q = Math.Max(p, Epsilon) + 1, d = Math.Log(q) - Math.Log(Math.Max(y, Epsilon) + 1);
        return (d * d, p > Epsilon ? 2 * d / q : 0);
    }
}

/// <summary>
/// Cosine similarity as a loss: −Σ over the last axis of ŷ/‖ŷ‖ · y/‖y‖, each norm held at least ε
/// (Keras 3's <c>normalize</c>): −1 when prediction and target point the same way, 0 when orthogonal.
/// </summary>
public sealed record CosineSimilarity : RowwiseLoss
{
    /// <inheritdoc/>
    public override string Name => "cosine_similarity";

    /// <inheritdoc/>
    protected override double Row(ReadOnlySpan<float> pr, ReadOnlySpan<float> yr, Span<float> gr, float scale)
    {
        double pp = 0, yy = 0, py = 0;
        for (int c = 0; c < pr.Length; c++)
        {
            pp += (double)pr[c] * pr[c];
            yy += (double)yr[c] * yr[c];
            py += (double)pr[c] * yr[c];
        }
        double np = Math.Sqrt(pp), npClamped = Math.Max(np, Epsilon), ny = Math.Max(Math.Sqrt(yy), Epsilon);
        double cos = py / (npClamped * ny);
        for (int c = 0; c < pr.Length; c++)
        {
            // d(−cos)/dŷ: through the norm of ŷ only where it is above ε (below, the norm is the constant ε).
            double d = np > Epsilon
                ? -(yr[c] / ny - cos * pr[c] / npClamped) / npClamped
                : -yr[c] / ny / npClamped;
            gr[c] = scale * (float)d;
        }
        return -cos;
    }
}
