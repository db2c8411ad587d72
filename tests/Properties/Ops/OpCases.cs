using DeepGraph.Core;

namespace DeepGraph.Properties.OpLaws;

/// <summary>Random shapes and inputs for the op laws, all drawn from one seed.</summary>
internal static class OpCases
{
    /// <summary>Two shapes that broadcast to <paramref name="result"/>: each drops some leading axes and stretches some others from 1.</summary>
    public static (int[] A, int[] B) Broadcastable(Random rng, int[] result)
    {
        return (Operand(rng, result), Operand(rng, result));

        static int[] Operand(Random rng, int[] result)
        {
            int drop = rng.Next(result.Length + 1) == 0 ? rng.Next(result.Length + 1) : 0;
            return [.. result.Skip(drop).Select(d => rng.Next(3) == 0 ? 1 : d)];
        }
    }

    /// <summary>The shape operands of <paramref name="a"/> and <paramref name="b"/> broadcast to (as NumPy).</summary>
    public static int[] Broadcast(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int x = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int y = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            r[i] = x == 1 ? y : x;
        }
        return r;
    }

    /// <summary>A random subset of the axes of a rank (possibly empty, then meaning every axis), with negative spellings mixed in.</summary>
    public static int[] Axes(Random rng, int rank)
    {
        var axes = Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).ToArray();
        return [.. axes.Select(a => rng.Next(2) == 0 ? a : a - rank)];
    }

    /// <summary>An int32 tensor of <paramref name="shape"/> with values in [0, <paramref name="n"/>).</summary>
    public static Tensor Indices(Random rng, int[] shape, int n)
    {
        int count = shape.Aggregate(1, (p, d) => p * d);
        return Tensor.FromInts([.. Enumerable.Range(0, count).Select(_ => rng.Next(n))], shape);
    }

    /// <summary>The values of a tensor as float64 (ints converted).</summary>
    public static double[] Wide(Tensor t) => Array.ConvertAll(t.ToArray(), v => (double)v);
}
