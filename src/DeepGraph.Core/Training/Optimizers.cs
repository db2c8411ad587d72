using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// An optimizer's hyper-parameters and update rule. The rule updates one weight from its
/// gradient and its slots (momentum, moment estimates …), which live in an <see cref="OptimizerState"/>.
/// </summary>
public abstract record Optimizer
{
    /// <summary>The step size.</summary>
    public float LearningRate { get; init; }

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
    public abstract void Update(Span<float> weight, ReadOnlySpan<float> gradient, float[][] slots, long step);
}

/// <summary>Stochastic gradient descent, with optional (Nesterov) momentum, in Keras's form: v ← m·v − lr·g; w ← w + v (Nesterov: w ← w + m·v − lr·g).</summary>
public sealed record Sgd : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.01, no momentum.</summary>
    public Sgd() => LearningRate = 0.01f;

    /// <summary>The momentum factor (0: plain SGD).</summary>
    public float Momentum { get; init; }

    /// <summary>Whether the momentum is Nesterov's.</summary>
    public bool Nesterov { get; init; }

    /// <inheritdoc/>
    public override string Name => "SGD";

    /// <inheritdoc/>
    public override int SlotCount => Momentum == 0 ? 0 : 1;

    /// <inheritdoc/>
    public override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, long step)
    {
        if (Momentum == 0)
        {
            TensorPrimitives.MultiplyAdd(g, -LearningRate, w, w);
            return;
        }
        var v = slots[0].AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            v[i] = Momentum * v[i] - LearningRate * g[i];
            w[i] += Nesterov ? Momentum * v[i] - LearningRate * g[i] : v[i];
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

    /// <summary>Decay of the first moment.</summary>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Decay of the second moment.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Added to the root of the second moment.</summary>
    public float Epsilon { get; init; } = 1e-7f;

    /// <summary>Where ε enters (Keras's form by default).</summary>
    public AdamForm Form { get; init; } = AdamForm.Keras;

    /// <inheritdoc/>
    public override string Name => "Adam";

    /// <inheritdoc/>
    public override int SlotCount => 2;

    /// <inheritdoc/>
    public override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, long step)
    {
        var m = slots[0].AsSpan();
        var v = slots[1].AsSpan();
        float b1 = Beta1, b2 = Beta2;
        double c1 = 1 - Math.Pow(b1, step), c2 = 1 - Math.Pow(b2, step);
        // m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²
        TensorPrimitives.Multiply(m, b1, m);
        TensorPrimitives.MultiplyAdd(g, 1 - b1, m, m);
        TensorPrimitives.Multiply(v, b2, v);
        var step2 = System.Buffers.ArrayPool<float>.Shared.Rent(w.Length);
        try
        {
            var t = step2.AsSpan(0, w.Length);
            TensorPrimitives.Multiply(g, g, t);
            TensorPrimitives.MultiplyAdd(t, 1 - b2, v, v);
            if (Form == AdamForm.Keras)
            {
                // w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ) · m / (√v + ε)
                TensorPrimitives.Sqrt(v, t);
                TensorPrimitives.Add(t, Epsilon, t);
                TensorPrimitives.Divide(m, t, t);
                TensorPrimitives.MultiplyAdd(t, (float)(-LearningRate * Math.Sqrt(c2) / c1), w, w);
            }
            else
            {
                // w ← w − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
                TensorPrimitives.Multiply(v, (float)(1 / c2), t);
                TensorPrimitives.Sqrt(t, t);
                TensorPrimitives.Add(t, Epsilon, t);
                TensorPrimitives.Divide(m, t, t);
                TensorPrimitives.MultiplyAdd(t, (float)(-LearningRate / c1), w, w);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(step2);
        }
    }
}

/// <summary>RMSprop in Keras's form: v ← ρ·v + (1−ρ)·g²; step lr·g/(√v + ε), through momentum when set.</summary>
public sealed record RmsProp : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.001, ρ 0.9, no momentum, ε 1e-7.</summary>
    public RmsProp() => LearningRate = 0.001f;

    /// <summary>Decay of the mean square.</summary>
    public float Rho { get; init; } = 0.9f;

    /// <summary>Momentum factor (0: none).</summary>
    public float Momentum { get; init; }

    /// <summary>Added to the root of the mean square.</summary>
    public float Epsilon { get; init; } = 1e-7f;

    /// <inheritdoc/>
    public override string Name => "RMSprop";

    /// <inheritdoc/>
    public override int SlotCount => Momentum == 0 ? 1 : 2;

    /// <inheritdoc/>
    public override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, long step)
    {
        var v = slots[0].AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            v[i] = Rho * v[i] + (1 - Rho) * g[i] * g[i];
            float increment = LearningRate * g[i] / (MathF.Sqrt(v[i]) + Epsilon);
            if (Momentum == 0)
            {
                w[i] -= increment;
            }
            else
            {
                ref float mom = ref slots[1][i];
                mom = Momentum * mom + increment;
                w[i] -= mom;
            }
        }
    }
}

/// <summary>Adagrad in Keras's form: a ← a + g²; w ← w − lr·g/(√a + ε), a starting at 0.1.</summary>
public sealed record Adagrad : Optimizer
{
    /// <summary>Keras's defaults: learning rate 0.001, initial accumulator 0.1, ε 1e-7.</summary>
    public Adagrad() => LearningRate = 0.001f;

    /// <summary>The accumulator's starting value.</summary>
    public float InitialAccumulatorValue { get; init; } = 0.1f;

    /// <summary>Added to the root of the accumulator.</summary>
    public float Epsilon { get; init; } = 1e-7f;

    /// <inheritdoc/>
    public override string Name => "Adagrad";

    /// <inheritdoc/>
    public override int SlotCount => 1;

    /// <inheritdoc/>
    public override float SlotInitialValue => InitialAccumulatorValue;

    /// <inheritdoc/>
    public override void Update(Span<float> w, ReadOnlySpan<float> g, float[][] slots, long step)
    {
        var a = slots[0].AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            a[i] += g[i] * g[i];
            w[i] -= LearningRate * g[i] / (MathF.Sqrt(a[i]) + Epsilon);
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
