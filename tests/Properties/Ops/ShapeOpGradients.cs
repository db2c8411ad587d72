using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// Ops that move values (reshape, transpose, slice, concat, stack, expand/squeeze, gather, where):
/// gradients against finite differences, values against index-arithmetic references, and their refusals.
/// </summary>
public class ShapeOpGradients
{
    [Property(MaxTest = 60)]
    public void Reshape_transpose_expand_and_squeeze_gradients_match_finite_differences(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        var x = FiniteDifferences.Uniform(rng, shape);
        var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
        int axis = rng.Next(-shape.Length - 1, shape.Length + 1);
        FiniteDifferences.Check((_, v) => Ops.Transpose(Ops.Reshape(v[0], [.. shape.Reverse()]), perm), [x], seed: seed, what: "reshape∘transpose");
        FiniteDifferences.Check((_, v) => Ops.Multiply(Ops.Squeeze(Ops.ExpandDims(v[0], axis), axis), v[0]), [x], seed: seed, what: "squeeze∘expand_dims");
    }

    [Property(MaxTest = 60)]
    public void Slice_equals_the_block_and_its_gradient_matches(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 0, 4);
        var begin = shape.Select(d => rng.Next(d)).ToArray();
        var size = shape.Select((d, i) => rng.Next(3) == 0 ? -1 : rng.Next(d - begin[i] + 1)).ToArray();
        var x = FiniteDifferences.Uniform(rng, shape);
        var tape = new OpTape(TapeMode.Evaluate);
        var s = Ops.Slice(tape.Constant(x), begin, size).Value;
        var expectedShape = size.Select((n, i) => n < 0 ? shape[i] - begin[i] : n).ToArray();
        Assert.Equal(expectedShape, s.Shape.ToArray());
        var values = s.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            var index = Unflatten(i, expectedShape).Select((j, ax) => j + begin[ax]).ToArray();
            Assert.Equal(x[index], values[i]);
        }
        FiniteDifferences.Check((_, v) => Ops.Slice(v[0], begin, size), [x], seed: seed, what: "slice");
    }

    [Property(MaxTest = 60)]
    public void Concat_and_stack_gradients_match_and_stack_equals_concat_of_expanded(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        int axis = rng.Next(shape.Length);
        int n = rng.Next(1, 4);
        var parts = Enumerable.Range(0, n).Select(_ =>
        {
            var s = (int[])shape.Clone();
            s[axis] = rng.Next(0, 4);
            return FiniteDifferences.Uniform(rng, s);
        }).ToArray();
        FiniteDifferences.Check((_, v) => Ops.Concat(v, axis), parts, seed: seed, what: $"concat axis {axis}");
        var tape = new OpTape(TapeMode.Evaluate);
        var joined = Ops.Concat([.. parts.Select(tape.Constant)], axis - shape.Length).Value;
        Assert.Equal(parts.Sum(p => p.Shape[axis]!.Value), joined.Shape[axis]);
        // Each part reads back by a slice at its offset.
        int offset = 0;
        foreach (var p in parts)
        {
            var begin = new int[shape.Length];
            begin[axis] = offset;
            Assert.Equal(p, Ops.Slice(tape.Constant(joined), begin, p.Shape.ToArray()).Value);
            offset += p.Shape[axis]!.Value;
        }

        var same = Enumerable.Range(0, n).Select(_ => FiniteDifferences.Uniform(rng, shape)).ToArray();
        int stackAxis = rng.Next(-shape.Length - 1, shape.Length + 1);
        FiniteDifferences.Check((_, v) => Ops.Stack(v, stackAxis), same, seed: seed, what: $"stack axis {stackAxis}");
        var stacked = Ops.Stack([.. same.Select(tape.Constant)], stackAxis).Value;
        int ax = stackAxis < 0 ? stackAxis + shape.Length + 1 : stackAxis;
        for (int k = 0; k < n; k++)
        {
            var begin = new int[shape.Length + 1];
            begin[ax] = k;
            var size = stacked.Shape.ToArray();
            size[ax] = 1;
            Assert.Equal(same[k].ToArray(), Ops.Slice(tape.Constant(stacked), begin, size).Value.ToArray());
        }
    }

    [Property(MaxTest = 60)]
    public void Gather_picks_slices_and_scatter_adds_its_gradient(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        int axis = rng.Next(shape.Length);
        var indexShape = FiniteDifferences.Shape(rng, 0, 2);
        var x = FiniteDifferences.Uniform(rng, shape);
        var idx = OpCases.Indices(rng, indexShape, shape[axis]);
        FiniteDifferences.Check((_, v) => Ops.Gather(v[0], v[1], axis), [x, idx], seed: seed, what: $"gather axis {axis}");
        var tape = new OpTape(TapeMode.Evaluate);
        var g = Ops.Gather(tape.Constant(x), tape.Constant(idx), axis).Value;
        int[] expected = [.. shape.Take(axis), .. indexShape, .. shape.Skip(axis + 1)];
        Assert.Equal(expected, g.Shape.ToArray());
        var ids = idx.ToIntArray();
        var values = g.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            var at = Unflatten(i, expected);
            int flat = 0;
            for (int k = 0; k < indexShape.Length; k++) flat = flat * indexShape[k] + at[axis + k];
            int[] source = [.. at.Take(axis), ids[flat], .. at.Skip(axis + indexShape.Length)];
            Assert.Equal(x[source], values[i]);
        }
    }

    [Fact]
    public void Gather_of_an_index_read_twice_sums_its_gradients()
    {
        var tape = new OpTape(TapeMode.Record);
        var p = tape.Constant(Tensor.FromArray([1, 2, 3, 4, 5, 6], [3, 2]));
        var i = tape.Constant(Tensor.FromInts([2, 0, 2], [3]));
        var g = tape.Gradients([Ops.Gather(p, i)], [Tensor.FromArray([1, 2, 3, 4, 5, 6], [3, 2])], [p, i]);
        Assert.Equal([3f, 4f, 0f, 0f, 6f, 8f], g[0]!.ToArray());
        Assert.Null(g[1]);
    }

    [Property(MaxTest = 40)]
    public void Gather_refuses_an_out_of_range_index_naming_it_and_the_range_before_any_write(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 1);
        int axis = rng.Next(shape.Length);
        var ids = OpCases.Indices(rng, [5], shape[axis]).ToIntArray();
        int bad = rng.Next(2) == 0 ? -1 - rng.Next(3) : shape[axis] + rng.Next(3);
        ids[rng.Next(5)] = bad;
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ArgumentException>(() => Ops.Gather(tape.Constant(FiniteDifferences.Uniform(rng, shape)), tape.Constant(Tensor.FromInts(ids, [5])), axis));
        Assert.Contains($"index {bad}", e.Message);
        Assert.Contains($"[0, {shape[axis]})", e.Message);
        Assert.Contains("gather", e.Message);
    }

    [Fact]
    public void Gather_refuses_float_indices()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var e = Assert.Throws<ArgumentException>(() => Ops.Gather(tape.Constant(Tensor.Zeros(3)), tape.Constant(Tensor.Zeros(2))));
        Assert.Contains("int32", e.Message);
    }

    [Property(MaxTest = 60)]
    public void Where_picks_by_condition_and_routes_its_gradient(int seed)
    {
        var rng = new Random(seed);
        var result = FiniteDifferences.Shape(rng);
        var (sa, sb) = OpCases.Broadcastable(rng, result);
        var (sc, _) = OpCases.Broadcastable(rng, result);
        var a = FiniteDifferences.Uniform(rng, sa);
        var b = FiniteDifferences.Uniform(rng, sb);
        int nc = sc.Aggregate(1, (p, d) => p * d);
        var c = Tensor.FromBools([.. Enumerable.Range(0, nc).Select(_ => rng.Next(2) == 0)], sc);
        FiniteDifferences.Check((_, v) => Ops.Where(v[0], v[1], v[2]), [c, a, b], seed: seed, what: "where");
        var shape = OpCases.Broadcast(OpCases.Broadcast(sc, sa), sb);
        var tape = new OpTape(TapeMode.Evaluate);
        var w = Ops.Where(tape.Constant(c), tape.Constant(a), tape.Constant(b)).Value;
        Assert.Equal(shape, w.Shape.ToArray());
        var (ec, ea, eb) = (ArithmeticGradients.Expand(Tensor.FromArray(c.ToArray(), sc), shape), ArithmeticGradients.Expand(a, shape), ArithmeticGradients.Expand(b, shape));
        var values = w.ToArray();
        for (int i = 0; i < values.Length; i++) Assert.Equal(ec[i] != 0 ? ea[i] : eb[i], values[i]);
    }

    [Fact]
    public void Shape_ops_refuse_bad_arguments_naming_op_shape_and_value()
    {
        var tape = new OpTape(TapeMode.Evaluate);
        var x = tape.Constant(Tensor.Zeros(2, 3));
        var e = Assert.Throws<ShapeError>(() => Ops.Slice(x, [1, 2], [1, 2]));
        Assert.Contains("slice", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Throws<ArgumentException>(() => Ops.Slice(x, [0], [1]));
        var c = Assert.Throws<ShapeError>(() => Ops.Concat([x, tape.Constant(Tensor.Zeros(3, 3))], 1));
        Assert.Contains("(3, 3)", c.Message);
        Assert.Throws<ArgumentException>(() => Ops.Concat([x, tape.Constant(Tensor.Zeros(DType.Int32, 2, 3))], 0));
        var s = Assert.Throws<ShapeError>(() => Ops.Squeeze(x, 1));
        Assert.Contains("size is 3", s.Message);
        Assert.Throws<ShapeError>(() => Ops.ExpandDims(x, 4));
        Assert.Throws<ShapeError>(() => Ops.Stack([x, tape.Constant(Tensor.Zeros(3, 2))]));
        var w = Assert.Throws<ArgumentException>(() => Ops.Where(x, x, x));
        Assert.Contains("bool", w.Message);
    }

    /// <summary>The multi-index of flat index <paramref name="i"/> in <paramref name="shape"/>.</summary>
    internal static int[] Unflatten(int i, int[] shape)
    {
        var index = new int[shape.Length];
        for (int ax = shape.Length - 1; ax >= 0; ax--) { index[ax] = i % shape[ax]; i /= shape[ax]; }
        return index;
    }
}
