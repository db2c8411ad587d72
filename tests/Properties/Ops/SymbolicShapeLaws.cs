using DeepGraph.Core;
using FsCheck.Xunit;

namespace DeepGraph.Properties.OpLaws;

using Ops = DeepGraph.Ops;

/// <summary>
/// The symbolic tape's shapes (inputs with some dimensions unknown) are compatible with the shapes the
/// values get: same rank, and every known dimension equal; dtypes equal.
/// </summary>
public class SymbolicShapeLaws
{
    /// <summary>One computation over two inputs of shapes [.., n] (x) and [n] (a bias-like row) and int indices.</summary>
    private static IReadOnlyList<Var> Program(Var x, Var row, Var ids, int axis, int[] perm)
    {
        var tape = x.Tape;
        var y = Ops.Add(x, row);
        var outs = new List<Var>
        {
            y,
            Ops.Sigmoid(y),
            Ops.Activation(y, "gelu"),
            Ops.Softmax(y, axis),
            Ops.LogSumExp(y, [axis], keepDims: true),
            Ops.Max(y, [axis]),
            Ops.Sum(y),
            Ops.Mean(y, [0], keepDims: true),
            Ops.MatMul(y, Ops.ExpandDims(row, -1)),
            Ops.Transpose(y, perm),
            Ops.Reshape(y, [-1]),
            Ops.Concat([y, y], axis),
            Ops.Stack([y, y], axis),
            Ops.Squeeze(Ops.ExpandDims(y, axis), axis),
            Ops.Slice(y, new int[y.Rank], Enumerable.Repeat(-1, y.Rank).ToArray()),
            Ops.Gather(y, ids, axis),
            Ops.Where(Ops.Greater(y, tape.Scalar(0)), y, row),
            Ops.Cast(Ops.Less(y, row), DType.Int32),
            Ops.Maximum(y, row),
        };
        return outs;
    }

    [Property(MaxTest = 60)]
    public void Symbolic_shapes_are_compatible_with_value_shapes(int seed)
    {
        var rng = new Random(seed);
        var shape = FiniteDifferences.Shape(rng, 2, 4);
        int axis = rng.Next(shape.Length);
        var perm = Enumerable.Range(0, shape.Length).OrderBy(_ => rng.Next()).ToArray();
        var x = FiniteDifferences.Uniform(rng, shape);
        var row = FiniteDifferences.Uniform(rng, [shape[^1]]);
        var ids = OpCases.Indices(rng, [3], shape[axis]);

        // Symbolic: some dimensions of x unknown (never the last: the row must meet it).
        var dims = shape.Select((d, i) => i < shape.Length - 1 && rng.Next(2) == 0 ? null : (int?)d).ToArray();
        var symbolic = new OpTape(TapeMode.Symbolic);
        var sym = Program(symbolic.Placeholder(Shape.Of(dims)), symbolic.Placeholder(Shape.Known(shape[^1])), symbolic.Placeholder(Shape.Known(3), DType.Int32), axis, perm);

        var values = new OpTape(TapeMode.Evaluate);
        var real = Program(values.Constant(x), values.Constant(row), values.Constant(ids), axis, perm);

        Assert.Equal(sym.Count, real.Count);
        for (int k = 0; k < sym.Count; k++)
        {
            var s = sym[k].Shape;
            var v = real[k].Value.Shape;
            Assert.True(s.Rank == v.Rank && Enumerable.Range(0, s.Rank).All(i => s[i] is null || s[i] == v[i]),
                $"output {k}: symbolic {s} does not fit value {v} (input {Shape.Of(dims)} holding {Shape.Known(shape)})");
            Assert.Equal(sym[k].DType, real[k].DType);
            Assert.Equal(real[k].DType, real[k].Value.DType);
        }
    }

    [Fact]
    public void Unknown_dimensions_stay_unknown_where_they_flow_and_become_known_where_they_are_fixed()
    {
        var tape = new OpTape(TapeMode.Symbolic);
        var x = tape.Placeholder(Shape.Of(null, 4, null));
        Assert.Equal(Shape.Of(null, 4, null), Ops.Softmax(x).Shape);
        Assert.Equal(Shape.Of(null, 8, null), Ops.Concat([x, x], 1).Shape);
        Assert.Equal(Shape.Of(null, 4, null), Ops.Concat([x, x], 2).Shape);
        Assert.Equal(Shape.Of(null, 2, null), Ops.Slice(x, [0, 1, 0], [-1, 2, -1]).Shape);
        Assert.Equal(Shape.Of(null, 5, null), Ops.Gather(x, tape.Placeholder(Shape.Known(5), DType.Int32), 1).Shape);
        Assert.Throws<ShapeError>(() => Ops.Squeeze(x));
        Assert.Equal(Shape.Of(null, 4), Ops.Max(x, [2]).Shape);
    }
}
