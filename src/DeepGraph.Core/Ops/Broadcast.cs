using DeepGraph.Core;
namespace DeepGraph;

/// <summary>NumPy broadcasting of shapes, with unknown (null) dimensions on symbolic tapes.</summary>
public static class Broadcast
{
    /// <summary>
    /// The shape two operands of shapes <paramref name="a"/> and <paramref name="b"/> broadcast to:
    /// aligned from the last axis, a dimension of 1 stretches to the other's.
    /// </summary>
    /// <exception cref="ShapeError">Two dimensions differ and neither is 1.</exception>
    public static Shape Shapes(Shape a, Shape b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int?[rank];
        for (int i = 0; i < rank; i++)
        {
            int? x = i < rank - a.Rank ? 1 : a[i - (rank - a.Rank)];
            int? y = i < rank - b.Rank ? 1 : b[i - (rank - b.Rank)];
            dims[i] = (x, y) switch
            {
                (1, _) => y,
                (_, 1) => x,
                (null, _) => y,
                (_, null) => x,
                _ when x == y => x,
                _ => throw new ShapeError("broadcast", $"Shapes {a} and {b} cannot be broadcast together: dimension {x} and {y} at axis {i} of the result differ and neither is 1."),
            };
        }
        return Shape.Of(dims);
    }

    /// <summary>Strides of <paramref name="shape"/> seen from <paramref name="result"/>, aligned from the last axis: 0 along broadcast axes.</summary>
    internal static int[] Strides(Shape shape, Shape result)
    {
        int rank = result.Rank;
        var strides = new int[rank];
        int stride = 1;
        for (int i = shape.Rank - 1; i >= 0; i--)
        {
            int d = shape[i]!.Value;
            int j = i + rank - shape.Rank;
            strides[j] = d == 1 && result[j] != 1 ? 0 : stride;
            stride *= d;
        }
        return strides;
    }

    /// <summary>
    /// Calls <paramref name="visit"/>(resultIndex, aIndex, bIndex) for every element of
    /// <paramref name="result"/>, with the flat offsets each operand reads there.
    /// </summary>
    internal static void Each(Shape result, Shape a, Shape b, Action<int, int, int> visit)
    {
        var sa = Strides(a, result);
        var sb = Strides(b, result);
        var dims = result.ToArray();
        int rank = dims.Length;
        int n = (int)result.Product()!.Value;
        var index = new int[rank];
        int ia = 0, ib = 0;
        for (int r = 0; r < n; r++)
        {
            visit(r, ia, ib);
            for (int ax = rank - 1; ax >= 0; ax--)
            {
                index[ax]++;
                ia += sa[ax];
                ib += sb[ax];
                if (index[ax] < dims[ax]) break;
                ia -= sa[ax] * dims[ax];
                ib -= sb[ax] * dims[ax];
                index[ax] = 0;
            }
        }
    }

    /// <summary>
    /// <paramref name="g"/> (of a broadcast result's shape) summed over the axes along which
    /// <paramref name="shape"/> was stretched: the gradient of an operand of that shape.
    /// A scalar and a trailing block (a bias: [n] or [1, n] against [..., n]) are summed without the index walk.
    /// </summary>
    internal static Tensor SumTo(Tensor g, Shape shape)
    {
        if (g.Shape == shape) return g;
        var result = new float[(int)shape.Product()!.Value];
        var src = g.Data;
        if (result.Length == 0 || src.Length == 0) return Tensor.Own(result, shape);
        if (IsTrailingBlock(shape, g.Shape))
        {
            if (result.Length == 1) result[0] = System.Numerics.Tensors.TensorPrimitives.Sum(g.Span);
            else Numerics.Bias.AddColumnSums(g.Span, result);
            return Tensor.Own(result, shape);
        }
        Each(g.Shape, shape, shape, (r, ia, _) => result[ia] += src[r]);
        return Tensor.Own(result, shape);
    }

    /// <summary>
    /// True when an operand of <paramref name="small"/> broadcast to <paramref name="result"/> is its values
    /// repeated: without its leading 1s, its dimensions are the result's last ones (a scalar, a bias row).
    /// </summary>
    internal static bool IsTrailingBlock(Shape small, Shape result)
    {
        int lead = 0;
        while (lead < small.Rank && small[lead] == 1) lead++;
        int rest = small.Rank - lead;
        if (rest > result.Rank) return false;
        for (int i = 0; i < rest; i++)
            if (small[lead + i] != result[result.Rank - rest + i]) return false;
        return true;
    }
}
