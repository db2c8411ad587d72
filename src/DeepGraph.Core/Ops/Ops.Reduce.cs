using DeepGraph.Core;
using System.Numerics.Tensors;

namespace DeepGraph;

public static partial class Ops
{
    /// <summary>
    /// The maximum over <paramref name="axes"/> (all axes when null or empty); reduced axes kept as 1s with
    /// <paramref name="keepDims"/>. The gradient goes to the positions that hold the maximum; when several
    /// tie, it is split equally among them (as TensorFlow's reduce_max). A NaN in a group makes its maximum NaN
    /// and its gradient 0.
    /// </summary>
    /// <exception cref="ShapeError">An axis is out of range, or a reduced axis is empty (a maximum of nothing).</exception>
    public static Var Max(Var a, int[]? axes = null, bool keepDims = false) => Extremum(a, axes, keepDims, "max", max: true);

    /// <summary>
    /// The minimum over <paramref name="axes"/> (all axes when null or empty). Gradient and ties as
    /// <see cref="Max"/>: split equally among the positions holding the minimum.
    /// </summary>
    /// <exception cref="ShapeError">An axis is out of range, or a reduced axis is empty.</exception>
    public static Var Min(Var a, int[]? axes = null, bool keepDims = false) => Extremum(a, axes, keepDims, "min", max: false);

    private static Var Extremum(Var a, int[]? axes, bool keepDims, string name, bool max)
    {
        ArgumentNullException.ThrowIfNull(a);
        RequireFloat(a, name);
        var (kept, shape) = ReducedShapes(a.Shape, axes, keepDims, name, nonEmpty: true);
        return a.Tape.Emit(shape, DType.Float32, [a],
            () =>
            {
                var map = ReduceMap(a.Value.Shape, kept);
                var r = new float[(int)kept.Product()!.Value];
                Array.Fill(r, max ? float.NegativeInfinity : float.PositiveInfinity);
                var x = a.Value.Span;
                for (int i = 0; i < x.Length; i++)
                {
                    float v = x[i];
                    ref float m = ref r[map[i]];
                    if (float.IsNaN(v) || (max ? v > m : v < m)) m = v;
                }
                return Tensor.Own(r, shape);
            },
            result => (g, _) =>
            {
                var map = ReduceMap(a.Value.Shape, kept);
                var x = a.Value.Span;
                var m = result.Span;
                var count = new int[m.Length];
                for (int i = 0; i < x.Length; i++) if (x[i] == m[map[i]]) count[map[i]]++;
                var gs = g.Span;
                var gx = new float[x.Length];
                for (int i = 0; i < x.Length; i++)
                    if (x[i] == m[map[i]]) gx[i] = gs[map[i]] / count[map[i]];
                return [Tensor.Own(gx, a.Shape)];
            });
    }

    /// <summary>
    /// log Σ e^a over <paramref name="axes"/> (all axes when null or empty), computed stably (the maximum
    /// is subtracted first; a group of −∞ gives −∞). The gradient is the softmax of the group.
    /// </summary>
    /// <exception cref="ShapeError">An axis is out of range.</exception>
    public static Var LogSumExp(Var a, int[]? axes = null, bool keepDims = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        RequireFloat(a, "logsumexp");
        var (kept, shape) = ReducedShapes(a.Shape, axes, keepDims, "logsumexp", nonEmpty: false);
        return a.Tape.Emit(shape, DType.Float32, [a],
            () =>
            {
                var map = ReduceMap(a.Value.Shape, kept);
                int n = (int)kept.Product()!.Value;
                var m = new float[n];
                Array.Fill(m, float.NegativeInfinity);
                var x = a.Value.Span;
                for (int i = 0; i < x.Length; i++) if (x[i] > m[map[i]] || float.IsNaN(x[i])) m[map[i]] = x[i];
                for (int j = 0; j < n; j++) if (float.IsInfinity(m[j])) m[j] = m[j] > 0 ? m[j] : 0f; // all −∞: log 0 = −∞ below
                var s = new double[n];
                for (int i = 0; i < x.Length; i++) s[map[i]] += MathF.Exp(x[i] - m[map[i]]);
                var r = new float[n];
                for (int j = 0; j < n; j++) r[j] = float.IsPositiveInfinity(m[j]) ? m[j] : m[j] + (float)Math.Log(s[j]);
                return Tensor.Own(r, shape);
            },
            result => (g, _) =>
            {
                var map = ReduceMap(a.Value.Shape, kept);
                var x = a.Value.Span;
                var lse = result.Span;
                var gs = g.Span;
                var gx = new float[x.Length];
                for (int i = 0; i < x.Length; i++)
                {
                    int j = map[i];
                    gx[i] = float.IsNegativeInfinity(x[i]) ? 0f : gs[j] * MathF.Exp(x[i] - lse[j]);
                }
                return [Tensor.Own(gx, a.Shape)];
            });
    }

    /// <summary>
    /// e^a / Σ e^a along <paramref name="axis"/> (default the last), stable for large logits (the maximum is
    /// subtracted first, as <see cref="Numerics.Activate.Softmax"/>). Its gradient is y·(g − Σ g·y).
    /// </summary>
    /// <exception cref="ShapeError">The axis is out of range.</exception>
    public static Var Softmax(Var a, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(a);
        RequireFloat(a, "softmax");
        int ax = CheckAxis(a.Shape, axis, "softmax");
        return a.Tape.Emit(a.Shape, DType.Float32, [a],
            () =>
            {
                var r = a.Value.ToArray();
                AlongAxis(a.Value.Shape, ax, r, static row =>
                {
                    float max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, row);
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
                });
                return Tensor.Own(r, a.Shape);
            },
            y => (g, _) =>
            {
                // dx = y·(g − ⟨g, y⟩ along the axis): carried out on interleaved [g | y] rows.
                var shape = y.Shape;
                var gy = Lanes(shape, ax, g.Span, y.Span);
                return [gy];
            });
    }

    /// <summary>The softmax VJP y·(g − Σ g·y) along <paramref name="axis"/>.</summary>
    private static Tensor Lanes(Shape shape, int axis, ReadOnlySpan<float> g, ReadOnlySpan<float> y)
    {
        var (outer, n, inner) = Split(shape, axis);
        var r = new float[g.Length];
        for (int o = 0; o < outer; o++)
        {
            int start = o * n * inner;
            if (inner == 1)
            {
                var gr = g.Slice(start, n);
                var yr = y.Slice(start, n);
                float dot = TensorPrimitives.Dot(gr, yr);
                var rr = r.AsSpan(start, n);
                TensorPrimitives.Subtract(gr, dot, rr);
                TensorPrimitives.Multiply(rr, yr, rr);
                continue;
            }
            for (int i = 0; i < inner; i++)
            {
                float dot = 0;
                for (int k = 0; k < n; k++) dot += g[start + k * inner + i] * y[start + k * inner + i];
                for (int k = 0; k < n; k++)
                {
                    int p = start + k * inner + i;
                    r[p] = y[p] * (g[p] - dot);
                }
            }
        }
        return Tensor.Own(r, shape);
    }

    /// <summary>Runs <paramref name="row"/> on every lane of <paramref name="data"/> along <paramref name="axis"/> (copied in and out when the axis is not the last).</summary>
    internal static void AlongAxis(Shape shape, int axis, float[] data, SpanRow row)
    {
        var (outer, n, inner) = Split(shape, axis);
        if (n == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++) row(data.AsSpan(o * n, n));
            return;
        }
        var lane = new float[n];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * n * inner + i;
                for (int k = 0; k < n; k++) lane[k] = data[start + k * inner];
                row(lane);
                for (int k = 0; k < n; k++) data[start + k * inner] = lane[k];
            }
    }

    /// <summary>Changes a lane of values in place.</summary>
    internal delegate void SpanRow(Span<float> row);

    /// <summary>(product before the axis, the axis, product after) of a known shape.</summary>
    internal static (int Outer, int N, int Inner) Split(Shape shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i]!.Value;
        for (int i = axis + 1; i < shape.Rank; i++) inner *= shape[i]!.Value;
        return (outer, shape[axis]!.Value, inner);
    }

    /// <summary>The non-negative axis for <paramref name="axis"/> of <paramref name="shape"/>.</summary>
    /// <exception cref="ShapeError">Out of range, naming the op.</exception>
    internal static int CheckAxis(Shape shape, int axis, string op, int extra = 0)
    {
        int rank = shape.Rank + extra;
        int ax = axis < 0 ? axis + rank : axis;
        if (ax < 0 || ax >= rank)
            throw new ShapeError(op, $"Op '{op}' received axis {axis} for a tensor of shape {shape} (rank {shape.Rank}); it takes an axis in [{-rank}, {rank - 1}].");
        return ax;
    }

    /// <summary>The reduced shape with kept 1s, and the result's shape.</summary>
    private static (Shape Kept, Shape Result) ReducedShapes(Shape shape, int[]? axes, bool keepDims, string op, bool nonEmpty)
    {
        var reduced = ReducedAxes(shape, axes, op);
        if (nonEmpty)
            for (int i = 0; i < shape.Rank; i++)
                if (reduced[i] && shape[i] == 0)
                    throw new ShapeError(op, $"Op '{op}' reduces axis {i} of a tensor of shape {shape}, which is empty: the {op} of no values is undefined.");
        var kept = Shape.Of([.. shape.Select((d, i) => reduced[i] ? 1 : d)]);
        return (kept, keepDims ? kept : Shape.Of([.. shape.Where((_, i) => !reduced[i])]));
    }

    /// <summary>For every flat index of a tensor of <paramref name="shape"/>, the flat index of its group in the reduced <paramref name="kept"/> shape.</summary>
    private static int[] ReduceMap(Shape shape, Shape kept)
    {
        var map = new int[(int)shape.Product()!.Value];
        Broadcast.Each(shape, kept, kept, (r, ia, _) => map[r] = ia);
        return map;
    }
}
