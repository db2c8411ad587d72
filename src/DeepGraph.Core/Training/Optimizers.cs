using System.Collections.Immutable;
using System.Globalization;
using System.Numerics;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// An optimizer's hyper-parameters and update rule. The rule updates one weight from its
/// gradient and its slots (momentum, moment estimates …), which live in an <see cref="OptimizerState"/>.
/// Every hyper-parameter is checked when it is set: a value that would turn the weights into NaN
/// or make the update meaningless (β = 1, ε ≤ 0, a negative or infinite rate …) is refused.
/// </summary>
public abstract record Optimizer
{
    /// <summary>The step size: finite, 0 or more (0 leaves the weights where they are).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, NaN or infinite.</exception>
    public float LearningRate { get; init => field = Check(value, "learningRate", value >= 0 && float.IsFinite(value), "a finite number, 0 or more"); }

    /// <summary>
    /// A schedule for the learning rate (Keras's <c>learning_rate=ExponentialDecay(…)</c>), or null for
    /// the constant <see cref="LearningRate"/>. With a schedule, the update of optimizer iteration k
    /// (0-based) uses <c>Schedule.At(k)</c>.
    /// </summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>The learning rate of the update at optimizer iteration <paramref name="iterations"/> (0 for the first update): the schedule's value there, or <see cref="LearningRate"/>.</summary>
    public float LearningRateAt(long iterations) => Schedule is null ? LearningRate : (float)Schedule.At(iterations);

    /// <summary>
    /// <paramref name="value"/> when <paramref name="valid"/>; otherwise an exception naming the
    /// optimizer, the argument (as the <c>Optimizers</c> factories name it), the range and the value.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not <paramref name="valid"/>.</exception>
    private protected float Check(float value, string argument, bool valid, string range) =>
        valid ? value : throw OutOfRange(Name, argument, value, range);

    /// <summary>The exception for a hyper-parameter out of its range, in one wording for Core and the facade.</summary>
    public static ArgumentOutOfRangeException OutOfRange(string optimizer, string argument, double value, string range) =>
        new(argument, value, $"{optimizer}: {argument} must be {range}; received {value.ToString("R", CultureInfo.InvariantCulture)}.");

    /// <summary>The range of a decay rate (β₁, β₂, ρ): at 1 the average never moves from 0.</summary>
    public const string DecayRange = "in [0, 1)";

    /// <summary>The range of a momentum factor (Keras's: <c>momentum</c> must be a float between [0, 1]).</summary>
    public const string MomentumRange = "in [0, 1]";

    /// <summary>The range of ε: the update divides by √v + ε, which must not be 0.</summary>
    public const string EpsilonRange = "a finite number greater than 0";

    /// <summary>Keras's name (<c>SGD</c>, <c>Adam</c> …).</summary>
    public abstract string Name { get; }

    /// <summary>
    /// The optimizer by Keras name (<c>sgd</c>, <c>adam</c>, <c>rmsprop</c>, <c>adagrad</c>,
    /// any case) with Keras's default hyper-parameters.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static Optimizer Get(string name) => name?.ToLowerInvariant() switch
    {
        "sgd" => new Sgd(),
        "adam" => new Adam(),
        "rmsprop" => new RmsProp(),
        "adagrad" => new Adagrad(),
        null => throw new ArgumentNullException(nameof(name)),
        _ => throw new ArgumentException($"Could not interpret optimizer identifier: '{name}'. Known: sgd, adam, rmsprop, adagrad.", nameof(name)),
    };

    /// <summary>How many slots (arrays the size of the weight) the rule keeps per weight.</summary>
    public abstract int SlotCount { get; }

    /// <summary>The value slots start at.</summary>
    public virtual float SlotInitialValue => 0f;

    /// <summary>
    /// Updates <paramref name="weight"/> in place from <paramref name="gradient"/> at step
    /// <paramref name="step"/> (1 for the first), updating <paramref name="slots"/> in place too.
    /// </summary>
    public void Update(Span<float> weight, ReadOnlySpan<float> gradient, float[][] slots, long step) =>
        Update(weight, gradient, slots, weight, slots, step);

    /// <summary>
    /// The update from <paramref name="weight"/> and <paramref name="slots"/> at step <paramref name="step"/> (1 for the
    /// first), written to <paramref name="newWeight"/> and <paramref name="newSlots"/> in one pass over the elements: a
    /// pure step writes new buffers without copying the old ones first. Each output is either the matching input itself
    /// (the in-place update) or a buffer that does not overlap any input; the inputs are otherwise left unchanged.
    /// </summary>
    /// <param name="weight">The weight before the update.</param>
    /// <param name="gradient">Its gradient, as long as the weight.</param>
    /// <param name="slots">The slots before the update (<see cref="SlotCount"/> arrays, each at least as long as the weight).</param>
    /// <param name="newWeight">Receives the updated weight.</param>
    /// <param name="newSlots">Receive the updated slots.</param>
    /// <param name="step">The optimizer iteration of this update, 1 for the first.</param>
    public abstract void Update(ReadOnlySpan<float> weight, ReadOnlySpan<float> gradient, float[][] slots, Span<float> newWeight, float[][] newSlots, long step);
}

/// <summary>Stochastic gradient descent, with optional (Nesterov) momentum, in Keras's form: v ← m·v − lr·g; w ← w + v (Nesterov: w ← w + m·v − lr·g).</summary>
public sealed record Sgd : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.01, no momentum.</summary>
    public Sgd() => LearningRate = 0.01f;

    /// <summary>The momentum factor (0: plain SGD), in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1] or NaN.</exception>
    public float Momentum { get; init => field = Check(value, "momentum", value is >= 0 and <= 1, MomentumRange); }

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; init; }

    /// <inheritdoc/>
    public override string Name => "SGD";

    /// <inheritdoc/>
    public override int SlotCount => Momentum == 0 ? 0 : 1;

    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> w, ReadOnlySpan<float> g, float[][] slots, Span<float> wNew, float[][] newSlots, long step)
    {
        if (Momentum == 0)
        {
            // w ← g·(−lr) + w
            TensorPrimitives.MultiplyAdd(g, -LearningRate, w, wNew);
            return;
        }
        ReadOnlySpan<float> v = slots[0];
        var vNew = newSlots[0].AsSpan();
        float m = Momentum, lr = LearningRate;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vm = new Vector<float>(m);
            var vlr = new Vector<float>(lr);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var vi = vm * new Vector<float>(v[i..]) - vlr * gi;
                var wi = new Vector<float>(w[i..]) + (Nesterov ? vm * vi - vlr * gi : vi);
                vi.CopyTo(vNew[i..]);
                wi.CopyTo(wNew[i..]);
            }
        }
        for (; i < w.Length; i++)
        {
            float vi = m * v[i] - lr * g[i];
            vNew[i] = vi;
            wNew[i] = w[i] + (Nesterov ? m * vi - lr * g[i] : vi);
        }
    }
}

/// <summary>Which of the two published forms of Adam's step to take (they differ only where gradients are tiny).</summary>
public enum AdamForm
{
    /// <summary>Keras (TF 2.x, Keras 3): w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε).</summary>
    Keras,

    /// <summary>TensorFlow.js and the paper: w ← w − lr · m̂ / (√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).</summary>
    TensorFlowJs,
}

/// <summary>Adam: moving averages of the gradient and of its square, bias-corrected.</summary>
public sealed record Adam : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7.</summary>
    public Adam() => LearningRate = 0.001f;

    /// <summary>Decay of the first moment, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1) or NaN.</exception>
    public float Beta1 { get; init => field = Check(value, "beta1", value is >= 0 and < 1, DecayRange); } = 0.9f;

    /// <summary>Decay of the second moment, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1) or NaN.</exception>
    public float Beta2 { get; init => field = Check(value, "beta2", value is >= 0 and < 1, DecayRange); } = 0.999f;

    /// <summary>Added to the root of the second moment; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">0 or less, NaN or infinite.</exception>
    public float Epsilon { get; init => field = Check(value, "epsilon", value > 0 && float.IsFinite(value), EpsilonRange); } = 1e-7f;

    /// <summary>Where ε enters (Keras's form by default).</summary>
    public AdamForm Form { get; init; } = AdamForm.Keras;

    /// <inheritdoc/>
    public override string Name => "Adam";

    /// <inheritdoc/>
    public override int SlotCount => 2;

    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> w, ReadOnlySpan<float> g, float[][] slots, Span<float> wNew, float[][] newSlots, long step)
    {
        // One pass, each element rounded as the separate passes rounded it (no fused multiply-adds):
        // m ← g·(1−β₁) + m·β₁; v ← (g·g)·(1−β₂) + v·β₂; then
        // Keras: w ← (m / (√v + ε))·s + w, s = −lr·√(1−β₂ᵗ)/(1−β₁ᵗ);
        // TF.js: w ← (m / (√(v·(1/(1−β₂ᵗ))) + ε))·s + w, s = −lr/(1−β₁ᵗ).
        ReadOnlySpan<float> m = slots[0], v = slots[1];
        Span<float> mNew = newSlots[0], vNew = newSlots[1];
        float b1 = Beta1, b2 = Beta2, a1 = 1 - b1, a2 = 1 - b2, eps = Epsilon;
        double c1 = 1 - Math.Pow(b1, step), c2 = 1 - Math.Pow(b2, step);
        bool keras = Form == AdamForm.Keras;
        float scale = keras ? (float)(-LearningRate * Math.Sqrt(c2) / c1) : (float)(-LearningRate / c1);
        float vScale = keras ? 1f : (float)(1 / c2);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> vb1 = new(b1), va1 = new(a1), vb2 = new(b2), va2 = new(a2), veps = new(eps), vscale = new(scale), vvs = new(vScale);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var mi = gi * va1 + new Vector<float>(m[i..]) * vb1;
                var vi = gi * gi * va2 + new Vector<float>(v[i..]) * vb2;
                var root = Vector.SquareRoot(keras ? vi : vi * vvs) + veps;
                var wi = mi / root * vscale + new Vector<float>(w[i..]);
                mi.CopyTo(mNew[i..]);
                vi.CopyTo(vNew[i..]);
                wi.CopyTo(wNew[i..]);
            }
        }
        for (; i < w.Length; i++)
        {
            float gi = g[i];
            float mi = gi * a1 + m[i] * b1;
            float vi = gi * gi * a2 + v[i] * b2;
            float root = MathF.Sqrt(keras ? vi : vi * vScale) + eps;
            mNew[i] = mi;
            vNew[i] = vi;
            wNew[i] = mi / root * scale + w[i];
        }
    }
}

/// <summary>RMSprop in Keras's form: v ← ρ·v + (1−ρ)·g²; step lr·g/(√v + ε), through momentum when set.</summary>
public sealed record RmsProp : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.001, ρ 0.9, no momentum, ε 1e-7.</summary>
    public RmsProp() => LearningRate = 0.001f;

    /// <summary>Decay of the mean square, in [0, 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1) or NaN.</exception>
    public float Rho { get; init => field = Check(value, "rho", value is >= 0 and < 1, DecayRange); } = 0.9f;

    /// <summary>Momentum factor (0: none), in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">Outside [0, 1] or NaN.</exception>
    public float Momentum { get; init => field = Check(value, "momentum", value is >= 0 and <= 1, MomentumRange); }

    /// <summary>Added to the root of the mean square; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">0 or less, NaN or infinite.</exception>
    public float Epsilon { get; init => field = Check(value, "epsilon", value > 0 && float.IsFinite(value), EpsilonRange); } = 1e-7f;

    /// <inheritdoc/>
    public override string Name => "RMSprop";

    /// <inheritdoc/>
    public override int SlotCount => Momentum == 0 ? 1 : 2;

    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> w, ReadOnlySpan<float> g, float[][] slots, Span<float> wNew, float[][] newSlots, long step)
    {
        // v ← ρ·v + ((1−ρ)·g)·g; increment = (lr·g)/(√v + ε); w ← w − increment (momentum: μ ← m·μ + increment; w ← w − μ).
        ReadOnlySpan<float> v = slots[0];
        var vNew = newSlots[0].AsSpan();
        ReadOnlySpan<float> mom = Momentum == 0 ? default : slots[1];
        Span<float> momNew = Momentum == 0 ? default : newSlots[1];
        float rho = Rho, a = 1 - Rho, lr = LearningRate, eps = Epsilon, mu = Momentum;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> vrho = new(rho), va = new(a), vlr = new(lr), veps = new(eps), vmu = new(mu);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var vi = vrho * new Vector<float>(v[i..]) + va * gi * gi;
                var increment = vlr * gi / (Vector.SquareRoot(vi) + veps);
                vi.CopyTo(vNew[i..]);
                if (mu == 0)
                {
                    (new Vector<float>(w[i..]) - increment).CopyTo(wNew[i..]);
                }
                else
                {
                    var mi = vmu * new Vector<float>(mom[i..]) + increment;
                    mi.CopyTo(momNew[i..]);
                    (new Vector<float>(w[i..]) - mi).CopyTo(wNew[i..]);
                }
            }
        }
        for (; i < w.Length; i++)
        {
            float vi = rho * v[i] + a * g[i] * g[i];
            float increment = lr * g[i] / (MathF.Sqrt(vi) + eps);
            vNew[i] = vi;
            if (mu == 0)
            {
                wNew[i] = w[i] - increment;
            }
            else
            {
                float mi = mu * mom[i] + increment;
                momNew[i] = mi;
                wNew[i] = w[i] - mi;
            }
        }
    }
}

/// <summary>Adagrad in Keras's form: a ← a + g²; w ← w − lr·g/(√a + ε), a starting at 0.1.</summary>
public sealed record Adagrad : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.001, initial accumulator 0.1, ε 1e-7.</summary>
    public Adagrad() => LearningRate = 0.001f;

    /// <summary>The accumulator's starting value: finite, 0 or more.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, NaN or infinite.</exception>
    public float InitialAccumulatorValue { get; init => field = Check(value, "initialAccumulatorValue", value >= 0 && float.IsFinite(value), "a finite number, 0 or more"); } = 0.1f;

    /// <summary>Added to the root of the accumulator; finite and greater than 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException">0 or less, NaN or infinite.</exception>
    public float Epsilon { get; init => field = Check(value, "epsilon", value > 0 && float.IsFinite(value), EpsilonRange); } = 1e-7f;

    /// <inheritdoc/>
    public override string Name => "Adagrad";

    /// <inheritdoc/>
    public override int SlotCount => 1;

    /// <inheritdoc/>
    public override float SlotInitialValue => InitialAccumulatorValue;

    /// <inheritdoc/>
    public override void Update(ReadOnlySpan<float> w, ReadOnlySpan<float> g, float[][] slots, Span<float> wNew, float[][] newSlots, long step)
    {
        // a ← a + g·g; w ← w − (lr·g)/(√a + ε)
        ReadOnlySpan<float> acc = slots[0];
        var accNew = newSlots[0].AsSpan();
        float lr = LearningRate, eps = Epsilon;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<float> vlr = new(lr), veps = new(eps);
            for (; i <= w.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var gi = new Vector<float>(g[i..]);
                var ai = new Vector<float>(acc[i..]) + gi * gi;
                ai.CopyTo(accNew[i..]);
                (new Vector<float>(w[i..]) - vlr * gi / (Vector.SquareRoot(ai) + veps)).CopyTo(wNew[i..]);
            }
        }
        for (; i < w.Length; i++)
        {
            float ai = acc[i] + g[i] * g[i];
            accNew[i] = ai;
            wNew[i] = w[i] - lr * g[i] / (MathF.Sqrt(ai) + eps);
        }
    }
}

/// <summary>Which weight a slot belongs to: a layer and the index among its weights.</summary>
public readonly record struct WeightKey(LayerId Layer, int Index);

/// <summary>
/// An optimizer's state: the number of steps taken and each trained weight's slots. A value: a
/// pure training step returns a new state and leaves this one as it was.
/// </summary>
public sealed class OptimizerState
{
    /// <summary>The state before the first step.</summary>
    public static OptimizerState Initial { get; } = new(0, ImmutableDictionary<WeightKey, float[][]>.Empty);

    internal OptimizerState(long iterations, ImmutableDictionary<WeightKey, float[][]> slots)
    {
        Iterations = iterations;
        Slots = slots;
    }

    /// <summary>Steps taken (Keras's <c>optimizer.iterations</c>).</summary>
    public long Iterations { get; }

    /// <summary>Each trained weight's slots.</summary>
    internal ImmutableDictionary<WeightKey, float[][]> Slots { get; }

    /// <summary>The slots of <paramref name="key"/> (copies), or none before its first update.</summary>
    public IReadOnlyList<float[]> SlotsOf(WeightKey key) =>
        Slots.TryGetValue(key, out var s) ? [.. s.Select(a => (float[])a.Clone())] : [];
}
