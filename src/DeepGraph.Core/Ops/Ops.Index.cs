using DeepGraph.Core;
namespace DeepGraph;

public static partial class Ops
{
    /// <summary>
    /// Slices of <paramref name="params"/> along <paramref name="axis"/> picked by the int32
    /// <paramref name="indices"/>: the result has shape params[..axis] + indices + params[axis+1..]
    /// (tf.gather). Its gradient scatter-adds into params (an index read twice gets both gradients);
    /// indices get none. Params may be of any dtype.
    /// </summary>
    /// <exception cref="ArgumentException">Indices are not int32, or an index is outside [0, params.shape[axis]) — checked for every index before anything is written; the message names the index, its position and the range.</exception>
    /// <exception cref="ShapeError">The axis is out of range.</exception>
    public static Var Gather(Var @params, Var indices, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(@params);
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.DType != DType.Int32)
            throw new ArgumentException($"Op 'gather' takes int32 indices, but received {indices} (params {@params}). Cast them first (Ops.Cast).", nameof(indices));
        int ax = CheckAxis(@params.Shape, axis, "gather");
        var shape = Shape.Of([.. @params.Shape.Take(ax), .. indices.Shape, .. @params.Shape.Skip(ax + 1)]);
        return @params.Tape.Emit(shape, @params.DType, [@params, indices],
            () =>
            {
                var p = @params.Value;
                var (outer, n, inner) = Split(p.Shape, ax);
                var idx = indices.Value.Ints;
                for (int i = 0; i < idx.Length; i++)
                    if ((uint)idx[i] >= (uint)n)
                        throw new ArgumentException($"Op 'gather' received index {idx[i]} (at flat position {i} of indices of shape {indices.Shape}) for axis {ax} of params of shape {p.Shape}: indices must lie in [0, {n}).", nameof(indices));
                var src = p.Data;
                var r = new float[outer * idx.Length * inner];
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < idx.Length; i++)
                        Array.Copy(src, (o * n + idx[i]) * inner, r, (o * idx.Length + i) * inner, inner);
                return Tensor.Own(r, shape, p.DType);
            },
            _ => (g, _) =>
            {
                var (outer, n, inner) = Split(@params.Shape, ax);
                var idx = indices.Value.Ints;
                var gs = g.Span;
                var gp = new float[outer * n * inner];
                for (int o = 0; o < outer; o++)
                    for (int i = 0; i < idx.Length; i++)
                    {
                        var dst = gp.AsSpan((o * n + idx[i]) * inner, inner);
                        System.Numerics.Tensors.TensorPrimitives.Add(dst, gs.Slice((o * idx.Length + i) * inner, inner), dst);
                    }
                return [Tensor.Own(gp, @params.Shape), null];
            });
    }

    /// <summary>
    /// The block of <paramref name="a"/> starting at <paramref name="begin"/> with <paramref name="size"/>
    /// (tf.slice: a size of −1 takes the rest of that axis). Its gradient is the output's gradient
    /// placed back in a tensor of zeros.
    /// </summary>
    /// <exception cref="ArgumentException">The arrays' lengths differ from the rank.</exception>
    /// <exception cref="ShapeError">The block leaves the tensor (naming the axis, the begin, the size and the shape).</exception>
    public static Var Slice(Var a, int[] begin, int[] size)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(begin);
        ArgumentNullException.ThrowIfNull(size);
        if (begin.Length != a.Rank || size.Length != a.Rank)
            throw new ArgumentException($"Op 'slice' of a tensor of shape {a.Shape} (rank {a.Rank}) needs one begin and one size per axis, but received begin [{string.Join(", ", begin)}] and size [{string.Join(", ", size)}].");
        var dims = new int?[a.Rank];
        for (int i = 0; i < a.Rank; i++)
        {
            int? d = a.Shape[i];
            if (begin[i] < 0 || size[i] < -1 || (d is { } known && (begin[i] > known || (size[i] >= 0 && begin[i] + size[i] > known))))
                throw new ShapeError("slice", $"Op 'slice' cannot take begin {begin[i]} and size {size[i]} on axis {i} of a tensor of shape {a.Shape}: begin must be in [0, {d?.ToString() ?? "dim"}] and begin + size at most the dimension (size −1 takes the rest).");
            dims[i] = size[i] >= 0 ? size[i] : d - begin[i];
        }
        var shape = Shape.Of(dims);
        var start = (int[])begin.Clone();
        return a.Tape.Emit(shape, a.DType, [a],
            () =>
            {
                var r = new float[(int)shape.Product()!.Value];
                CopyBlock(a.Value.Data, a.Value.Shape, start, r, shape, toBlock: true);
                return Tensor.Own(r, shape, a.DType);
            },
            _ => (g, _) =>
            {
                var full = new float[(int)a.Shape.Product()!.Value];
                CopyBlock(full, a.Shape, start, g.Data, shape, toBlock: false);
                return [Tensor.Own(full, a.Shape)];
            });
    }

    /// <summary>Copies the block of <paramref name="big"/> at <paramref name="begin"/> of <paramref name="blockShape"/> into <paramref name="block"/> (or back).</summary>
    private static void CopyBlock(float[] big, Shape bigShape, int[] begin, float[] block, Shape blockShape, bool toBlock)
    {
        int rank = bigShape.Rank;
        if (block.Length == 0) return;
        if (rank == 0)
        {
            if (toBlock) block[0] = big[0]; else big[0] = block[0];
            return;
        }
        var bigStrides = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) { bigStrides[i] = s; s *= bigShape[i]!.Value; }
        int row = blockShape[rank - 1]!.Value;
        int rows = block.Length / row;
        var index = new int[rank - 1];
        for (int r = 0; r < rows; r++)
        {
            int offset = begin[rank - 1];
            for (int i = 0; i < rank - 1; i++) offset += (begin[i] + index[i]) * bigStrides[i];
            if (toBlock) Array.Copy(big, offset, block, r * row, row);
            else Array.Copy(block, r * row, big, offset, row);
            for (int ax = rank - 2; ax >= 0; ax--)
            {
                if (++index[ax] < blockShape[ax]!.Value) break;
                index[ax] = 0;
            }
        }
    }

    /// <summary>
    /// <paramref name="vars"/> joined along <paramref name="axis"/>: every operand has one rank and dtype, and
    /// equal dimensions elsewhere. The gradient is the output's gradient cut back into the operands' blocks.
    /// </summary>
    /// <exception cref="ArgumentException">No operand, or the dtypes differ.</exception>
    /// <exception cref="ShapeError">Ranks or other dimensions differ, or the axis is out of range.</exception>
    public static Var Concat(IReadOnlyList<Var> vars, int axis)
    {
        ArgumentNullException.ThrowIfNull(vars);
        if (vars.Count == 0) throw new ArgumentException("Op 'concat' needs at least one operand.", nameof(vars));
        foreach (var v in vars) ArgumentNullException.ThrowIfNull(v, nameof(vars));
        var first = vars[0];
        int ax = CheckAxis(first.Shape, axis, "concat");
        string all = string.Join(", ", vars.Select(v => v.Shape.ToString()));
        foreach (var v in vars)
        {
            if (v.DType != first.DType)
                throw new ArgumentException($"Op 'concat' needs operands of one dtype, but received {string.Join(", ", vars)}.", nameof(vars));
            if (v.Rank != first.Rank)
                throw new ShapeError("concat", $"Op 'concat' needs operands of one rank, but received shapes {all}.");
        }
        var dims = new int?[first.Rank];
        for (int i = 0; i < first.Rank; i++)
        {
            if (i == ax)
            {
                int? total = 0;
                foreach (var v in vars) total = total + v.Shape[i];
                dims[i] = total;
                continue;
            }
            int? d = null;
            foreach (var v in vars)
            {
                if (v.Shape[i] is not { } x) continue;
                if (d is { } y && x != y)
                    throw new ShapeError("concat", $"Op 'concat' along axis {ax} needs equal dimensions on axis {i}, but received shapes {all}.");
                d = x;
            }
            dims[i] = d;
        }
        var shape = Shape.Of(dims);
        var inputs = vars.ToArray();
        return first.Tape.Emit(shape, first.DType, inputs,
            () =>
            {
                var r = new float[(int)shape.Product()!.Value];
                var begin = new int[shape.Rank];
                foreach (var v in inputs)
                {
                    CopyBlock(r, shape, begin, v.Value.Data, v.Value.Shape, toBlock: false);
                    begin[ax] += v.Value.Shape[ax]!.Value;
                }
                return Tensor.Own(r, shape, first.DType);
            },
            result => (g, needed) =>
            {
                var grads = new Tensor?[inputs.Length];
                var begin = new int[result.Shape.Rank];
                for (int k = 0; k < inputs.Length; k++)
                {
                    var s = inputs[k].Shape;
                    if (needed[k])
                    {
                        var part = new float[(int)s.Product()!.Value];
                        CopyBlock(g.Data, g.Shape, begin, part, s, toBlock: true);
                        grads[k] = Tensor.Own(part, s);
                    }
                    begin[ax] += s[ax]!.Value;
                }
                return grads;
            });
    }

    /// <summary>
    /// <paramref name="vars"/> (of one shape and dtype) stacked along a new axis <paramref name="axis"/>
    /// (in [−rank−1, rank]): n operands of shape s give s with n inserted at the axis.
    /// </summary>
    /// <exception cref="ArgumentException">No operand, or the dtypes differ.</exception>
    /// <exception cref="ShapeError">The shapes differ or the axis is out of range.</exception>
    public static Var Stack(IReadOnlyList<Var> vars, int axis = 0)
    {
        ArgumentNullException.ThrowIfNull(vars);
        if (vars.Count == 0) throw new ArgumentException("Op 'stack' needs at least one operand.", nameof(vars));
        foreach (var v in vars) ArgumentNullException.ThrowIfNull(v, nameof(vars));
        int ax = CheckAxis(vars[0].Shape, axis, "stack", extra: 1);
        foreach (var v in vars)
            for (int i = 0; i < Math.Max(v.Rank, vars[0].Rank); i++)
                if (v.Rank != vars[0].Rank || (v.Shape[i] is { } x && vars[0].Shape[i] is { } y && x != y))
                    throw new ShapeError("stack", $"Op 'stack' needs operands of one shape, but received shapes {string.Join(", ", vars.Select(u => u.Shape.ToString()))}.");
        return Concat([.. vars.Select(v => ExpandDims(v, ax))], ax);
    }

    /// <summary>
    /// <paramref name="a"/> with a new axis of size 1 at <paramref name="axis"/> (in [−rank−1, rank]; −1 appends).
    /// </summary>
    /// <exception cref="ShapeError">The axis is out of range.</exception>
    public static Var ExpandDims(Var a, int axis)
    {
        ArgumentNullException.ThrowIfNull(a);
        int ax = CheckAxis(a.Shape, axis, "expand_dims", extra: 1);
        var dims = a.Shape.ToNullableArray().ToList();
        dims.Insert(ax, 1);
        return View(a, Shape.Of([.. dims]));
    }

    /// <summary>
    /// <paramref name="a"/> without the axes of size 1 named in <paramref name="axes"/>, or without every
    /// axis of size 1 when none is named (then every dimension must be known: a null one might be 1 or not).
    /// </summary>
    /// <exception cref="ShapeError">A named axis is out of range or not of size 1, or no axis is named and a dimension is unknown.</exception>
    public static Var Squeeze(Var a, params int[] axes)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(axes);
        var drop = new bool[a.Rank];
        if (axes.Length == 0)
        {
            if (!a.Shape.IsFullyKnown)
                throw new ShapeError("squeeze", $"Op 'squeeze' without axes needs a fully known shape, but received {a.Shape}: name the axes to drop.");
            for (int i = 0; i < a.Rank; i++) drop[i] = a.Shape[i] == 1;
        }
        foreach (var axis in axes)
        {
            int ax = CheckAxis(a.Shape, axis, "squeeze");
            if (a.Shape[ax] is { } d && d != 1)
                throw new ShapeError("squeeze", $"Op 'squeeze' cannot drop axis {axis} of a tensor of shape {a.Shape}: its size is {d}, not 1.");
            drop[ax] = true;
        }
        return View(a, Shape.Of([.. a.Shape.Where((_, i) => !drop[i])]));
    }

    /// <summary>The same values under another shape of the same size (the forward value shares the buffer; the gradient is a copy).</summary>
    private static Var View(Var a, Shape shape) =>
        a.Tape.Emit(shape, a.DType, [a],
            () => Tensor.Own(a.Value.Data, shape, a.DType),
            _ => (g, _) => [Tensor.Own(g.ToArray(), a.Shape)]);
}
