using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>Bias addition over rows.</summary>
public static class Bias
{
    /// <summary>Adds <paramref name="bias"/> to every consecutive row of <paramref name="y"/> (rows of bias.Length values).</summary>
    public static void AddToRows(Span<float> y, ReadOnlySpan<float> bias)
    {
        for (int start = 0; start < y.Length; start += bias.Length)
            TensorPrimitives.Add(y.Slice(start, bias.Length), bias, y.Slice(start, bias.Length));
    }
}
