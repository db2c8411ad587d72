using System.Globalization;

namespace DeepGraph.Core;

/// <summary>
/// A learning rate that changes with the optimizer's step (Keras's
/// <c>keras.optimizers.schedules.LearningRateSchedule</c>), given as an optimizer's learning rate. The
/// update of optimizer iteration k (0 for the first update, Keras's <c>optimizer.iterations</c>
/// before the update) uses <see cref="At"/>(k).
/// </summary>
public abstract record LearningRateSchedule
{
    /// <summary>Keras's class name (<c>ExponentialDecay</c> …).</summary>
    public abstract string ClassName { get; }

    /// <summary>The learning rate at optimizer iteration <paramref name="step"/> (0-based).</summary>
    public abstract double At(long step);

    /// <summary>Keras's message for a decay length that is not positive.</summary>
    private protected static long PositiveSteps(long steps, string argument) =>
        steps > 0 ? steps : throw new ArgumentOutOfRangeException(argument, steps, $"Argument `{Names.SnakeCase(argument)}` must be > 0. Received: {Names.SnakeCase(argument)}={steps}");
}

/// <summary>
/// Keras's <c>ExponentialDecay</c>: initial · rate^(step / decaySteps), the exponent rounded down
/// with <paramref name="Staircase"/> (the rate then changes every <paramref name="DecaySteps"/> steps).
/// </summary>
/// <param name="InitialLearningRate">The rate at step 0.</param>
/// <param name="DecaySteps">Steps over which the rate is multiplied by <paramref name="DecayRate"/>; greater than 0.</param>
/// <param name="DecayRate">The factor per <paramref name="DecaySteps"/> steps.</param>
/// <param name="Staircase">Whether the decay is in whole steps of <paramref name="DecaySteps"/>.</param>
public sealed record ExponentialDecay(double InitialLearningRate, long DecaySteps, double DecayRate, bool Staircase = false) : LearningRateSchedule
{
    /// <summary>The decay length, checked.</summary>
    /// <exception cref="ArgumentOutOfRangeException">0 or less.</exception>
    public long DecaySteps { get; init; } = PositiveSteps(DecaySteps, "decaySteps");

    /// <inheritdoc/>
    public override string ClassName => "ExponentialDecay";

    /// <inheritdoc/>
    public override double At(long step)
    {
        double p = (double)step / DecaySteps;
        if (Staircase) p = Math.Floor(p);
        return InitialLearningRate * Math.Pow(DecayRate, p);
    }
}

/// <summary>
/// Keras's <c>PiecewiseConstantDecay</c>: <c>Values[0]</c> up to and including step <c>Boundaries[0]</c>,
/// <c>Values[i]</c> for <c>Boundaries[i − 1]</c> &lt; step ≤ <c>Boundaries[i]</c>, and the last value after the last boundary.
/// </summary>
public sealed record PiecewiseConstantDecay : LearningRateSchedule
{
    /// <summary>A schedule of <paramref name="values"/> between increasing <paramref name="boundaries"/> (one value more than boundaries).</summary>
    /// <exception cref="ArgumentException">Not one value more than boundaries, or boundaries not increasing.</exception>
    public PiecewiseConstantDecay(IReadOnlyList<long> boundaries, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(boundaries);
        ArgumentNullException.ThrowIfNull(values);
        if (boundaries.Count != values.Count - 1)
            throw new ArgumentException($"The length of boundaries should be 1 less than the length of values. Received: boundaries=[{string.Join(", ", boundaries)}] of length {boundaries.Count}, and values=[{string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}] of length {values.Count}.", nameof(values));
        for (int i = 1; i < boundaries.Count; i++)
            if (boundaries[i] <= boundaries[i - 1])
                throw new ArgumentException($"PiecewiseConstantDecay: boundaries must be increasing; boundary {i} ({boundaries[i]}) is not greater than boundary {i - 1} ({boundaries[i - 1]}).", nameof(boundaries));
        Boundaries = EquatableArray.Of(boundaries);
        Values = EquatableArray.Of(values);
    }

    /// <summary>The steps at which the rate changes, increasing.</summary>
    public EquatableArray<long> Boundaries { get; }

    /// <summary>The rates, one more than <see cref="Boundaries"/>.</summary>
    public EquatableArray<double> Values { get; }

    /// <inheritdoc/>
    public override string ClassName => "PiecewiseConstantDecay";

    /// <inheritdoc/>
    public override double At(long step)
    {
        for (int i = 0; i < Boundaries.Count; i++)
            if (step <= Boundaries[i]) return Values[i];
        return Values[^1];
    }
}

/// <summary>
/// Keras's <c>CosineDecay</c>: with no warm-up, initial · ((1 − α)·½(1 + cos(π·min(step, decaySteps)/decaySteps)) + α).
/// With a <paramref name="WarmupTarget"/> (Keras 3), the rate first rises linearly from the initial rate
/// to the target over <paramref name="WarmupSteps"/> steps, then decays from the target as above over
/// the next <paramref name="DecaySteps"/> steps.
/// </summary>
/// <param name="InitialLearningRate">The rate at step 0.</param>
/// <param name="DecaySteps">Steps of the cosine decay; greater than 0.</param>
/// <param name="Alpha">The fraction of the starting rate the decay ends at.</param>
/// <param name="WarmupTarget">The rate the warm-up reaches; null for no warm-up.</param>
/// <param name="WarmupSteps">Steps of the warm-up.</param>
public sealed record CosineDecay(double InitialLearningRate, long DecaySteps, double Alpha = 0, double? WarmupTarget = null, long WarmupSteps = 0) : LearningRateSchedule
{
    /// <summary>The decay length, checked.</summary>
    /// <exception cref="ArgumentOutOfRangeException">0 or less.</exception>
    public long DecaySteps { get; init; } = PositiveSteps(DecaySteps, "decaySteps");

    /// <inheritdoc/>
    public override string ClassName => "CosineDecay";

    /// <inheritdoc/>
    public override double At(long step)
    {
        if (WarmupTarget is not double target)
            return Decay(Math.Min(step, DecaySteps), InitialLearningRate);
        step = Math.Min(step, DecaySteps + WarmupSteps);
        return step < WarmupSteps
            ? (target - InitialLearningRate) * step / WarmupSteps + InitialLearningRate
            : Decay(step - WarmupSteps, target);
    }

    private double Decay(long step, double from)
    {
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * step / DecaySteps));
        return from * ((1 - Alpha) * cosine + Alpha);
    }
}
