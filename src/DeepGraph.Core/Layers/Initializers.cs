using MathNet.Numerics.Random;

namespace DeepGraph.Core;

/// <summary>A rule that makes a weight's first value from its shape and a seed: the same seed gives the same bits.</summary>
public abstract record Initializer
{
    /// <summary>A tensor of shape <paramref name="shape"/> drawn from <paramref name="seed"/>.</summary>
    public abstract Tensor Create(int[] shape, int seed);

    /// <summary>Keras's fan-in and fan-out: rank 2 (in, out); higher ranks multiply by the receptive field (all axes but the last two).</summary>
    public static (double FanIn, double FanOut) Fans(int[] shape)
    {
        if (shape.Length < 1) return (1, 1);
        if (shape.Length == 1) return (shape[0], shape[0]);
        if (shape.Length == 2) return (shape[0], shape[1]);
        double receptive = 1;
        for (int i = 0; i < shape.Length - 2; i++) receptive *= shape[i];
        return (shape[^2] * receptive, shape[^1] * receptive);
    }
}

/// <summary>Keras's <c>glorot_uniform</c>: uniform in ±sqrt(6 / (fan_in + fan_out)).</summary>
public sealed record GlorotUniform : Initializer
{
    /// <inheritdoc/>
    public override Tensor Create(int[] shape, int seed)
    {
        var (fanIn, fanOut) = Fans(shape);
        float limit = (float)Math.Sqrt(6.0 / Math.Max(1.0, fanIn + fanOut));
        var s = Shape.Known(shape);
        TensorLimits.CheckAllocation("A weight", s);
        var data = new float[(int)s.Product()!.Value];
        var rng = new Xoshiro256StarStar(seed, threadSafe: false);
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(rng.NextDouble() * 2.0 - 1.0) * limit;
        return Tensor.Own(data, s);
    }
}

/// <summary>Every value equal to <see cref="Value"/> (Keras's <c>zeros</c> and <c>ones</c>).</summary>
public sealed record Constant(float Value) : Initializer
{
    /// <summary>Keras's <c>zeros</c>.</summary>
    public static Constant Zeros { get; } = new(0f);

    /// <summary>Keras's <c>ones</c>.</summary>
    public static Constant Ones { get; } = new(1f);

    /// <inheritdoc/>
    public override Tensor Create(int[] shape, int seed) => Tensor.Filled(Value, shape);
}

/// <summary>Pure seed arithmetic: independent streams derived from one seed.</summary>
public static class Seeds
{
    /// <summary>The seed of stream <paramref name="index"/> under <paramref name="seed"/> (SplitMix64's finaliser, so nearby inputs give unrelated outputs).</summary>
    public static int Derive(int seed, int index)
    {
        ulong z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)(uint)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return unchecked((int)(z ^ (z >> 31)));
    }
}
