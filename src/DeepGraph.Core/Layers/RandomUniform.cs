using MathNet.Numerics.Random;

namespace DeepGraph.Core;

/// <summary>Keras's <c>RandomUniform</c>: values uniform in [<see cref="MinVal"/>, <see cref="MaxVal"/>) (Embedding's default: ±0.05).</summary>
/// <param name="MinVal">The lower bound.</param>
/// <param name="MaxVal">The upper bound.</param>
public sealed record RandomUniform(double MinVal = -0.05, double MaxVal = 0.05) : Initializer
{
    /// <inheritdoc/>
    public override Tensor Create(int[] shape, int seed)
    {
        var s = Shape.Known(shape);
        TensorLimits.CheckAllocation("A weight", s);
        var data = new float[(int)s.Product()!.Value];
        var rng = new Xoshiro256StarStar(seed, threadSafe: false);
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(MinVal + rng.NextDouble() * (MaxVal - MinVal));
        return Tensor.Own(data, s);
    }
}
