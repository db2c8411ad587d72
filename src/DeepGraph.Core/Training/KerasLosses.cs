namespace DeepGraph.Core;

/// <summary>Log-cosh: mean over the last axis of log(cosh(ŷ − y)), computed as x + softplus(−2x) − log 2 so that large errors do not overflow.</summary>
public sealed record LogCosh : Loss
{
    /// <inheritdoc/>
    public override string Name => "log_cosh";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double x = (double)p[i] - y[i], z = -2 * x;
            sum += x + Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - Math.Log(2);
            grad[i] = g * (float)Math.Tanh(x);
        }
        return sum / last;
    }
}

/// <summary>Kullback–Leibler divergence: Σ over the last axis of y·log(y / ŷ), both clipped to [ε, 1].</summary>
public sealed record KLDivergence : Loss
{
    /// <inheritdoc/>
    public override string Name => "kl_divergence";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double t = Math.Clamp((double)y[i], Epsilon, 1), q = Math.Clamp((double)p[i], Epsilon, 1);
            sum += t * Math.Log(t / q);
            grad[i] = p[i] > Epsilon && p[i] < 1 ? scale * (float)(-t / q) : 0f;
        }
        return sum;
    }
}

/// <summary>
/// The hinge losses' labels, as Keras reads them: when every target of the batch is 0 or 1 they
/// are binary labels and become −1 and 1; otherwise they are taken as they are (already ±1).
/// </summary>
public abstract record HingeLoss : Loss
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
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double margin = 1 - (double)y[i] * p[i];
            sum += Math.Max(margin, 0);
            grad[i] = margin > 0 ? -g * y[i] : 0f;
        }
        return sum / last;
    }
}

/// <summary>Squared hinge: mean over the last axis of max(1 − y·ŷ, 0)², labels −1/1 (0/1 labels are converted).</summary>
public sealed record SquaredHinge : HingeLoss
{
    /// <inheritdoc/>
    public override string Name => "squared_hinge";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double margin = Math.Max(1 - (double)y[i] * p[i], 0);
            sum += margin * margin;
            grad[i] = (float)(-2 * g * y[i] * margin);
        }
        return sum / last;
    }
}

/// <summary>Categorical hinge: max(max_c((1 − y_c)·ŷ_c) − Σ_c y_c·ŷ_c + 1, 0) per row, against one-hot targets.</summary>
public sealed record CategoricalHinge : Loss
{
    /// <inheritdoc/>
    public override string Name => "categorical_hinge";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int start = 0; start < p.Length; start += last)
        {
            var pr = p.Slice(start, last);
            var yr = y.Slice(start, last);
            var gr = grad.Slice(start, last);
            double pos = 0, neg = double.NegativeInfinity;
            int at = 0;
            for (int c = 0; c < last; c++)
            {
                pos += (double)yr[c] * pr[c];
                double n = (1 - (double)yr[c]) * pr[c];
                if (n > neg) (neg, at) = (n, c);
            }
            double loss = neg - pos + 1;
            gr.Clear();
            if (loss <= 0) continue;
            sum += loss;
            for (int c = 0; c < last; c++) gr[c] = -scale * yr[c];
            gr[at] += scale * (1 - yr[at]);
        }
        return sum;
    }
}

/// <summary>Poisson: mean over the last axis of ŷ − y·log(ŷ + ε).</summary>
public sealed record Poisson : Loss
{
    /// <inheritdoc/>
    public override string Name => "poisson";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double q = (double)p[i] + Epsilon;
            sum += p[i] - y[i] * Math.Log(q);
            grad[i] = g * (float)(1 - y[i] / q);
        }
        return sum / last;
    }
}

/// <summary>Mean absolute percentage error: 100 · mean over the last axis of |y − ŷ| / max(|y|, ε).</summary>
public sealed record MeanAbsolutePercentageError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_absolute_percentage_error";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = 100f * scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double d = Math.Max(Math.Abs((double)y[i]), Epsilon), e = (double)p[i] - y[i];
            sum += 100 * Math.Abs(e) / d;
            grad[i] = g * (float)(Math.Sign(e) / d);
        }
        return sum / last;
    }
}

/// <summary>Mean squared logarithmic error: mean over the last axis of (log(max(ŷ, ε) + 1) − log(max(y, ε) + 1))².</summary>
public sealed record MeanSquaredLogarithmicError : Loss
{
    /// <inheritdoc/>
    public override string Name => "mean_squared_logarithmic_error";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        float g = 2f * scale / last;
        for (int i = 0; i < p.Length; i++)
        {
            double q = Math.Max((double)p[i], Epsilon) + 1, d = Math.Log(q) - Math.Log(Math.Max((double)y[i], Epsilon) + 1);
            sum += d * d;
            grad[i] = p[i] > Epsilon ? g * (float)(d / q) : 0f;
        }
        return sum / last;
    }
}

/// <summary>
/// Cosine similarity as a loss: −Σ over the last axis of ŷ/‖ŷ‖ · y/‖y‖, each norm held at least ε
/// (Keras 3's <c>normalize</c>): −1 when prediction and target point the same way, 0 when orthogonal.
/// </summary>
public sealed record CosineSimilarity : Loss
{
    /// <inheritdoc/>
    public override string Name => "cosine_similarity";

    /// <inheritdoc/>
    protected override double Rows(ReadOnlySpan<float> p, ReadOnlySpan<float> y, int last, Span<float> grad, float scale)
    {
        double sum = 0;
        for (int start = 0; start < p.Length; start += last)
        {
            var pr = p.Slice(start, last);
            var yr = y.Slice(start, last);
            double pp = 0, yy = 0, py = 0;
            for (int c = 0; c < last; c++)
            {
                pp += (double)pr[c] * pr[c];
                yy += (double)yr[c] * yr[c];
                py += (double)pr[c] * yr[c];
            }
            double np = Math.Sqrt(pp), npClamped = Math.Max(np, Epsilon), ny = Math.Max(Math.Sqrt(yy), Epsilon);
            double cos = py / (npClamped * ny);
            sum -= cos;
            for (int c = 0; c < last; c++)
            {
                double d = np > Epsilon
                    ? -(yr[c] / ny - cos * pr[c] / npClamped) / npClamped
                    : -yr[c] / ny / npClamped;
                grad[start + c] = scale * (float)d;
            }
        }
        return sum;
    }
}
