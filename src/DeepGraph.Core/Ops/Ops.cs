using DeepGraph.Core;
using System.Numerics.Tensors;

namespace DeepGraph;

/// <summary>
/// Differentiable ops over <see cref="Var"/>s: each computes its result's shape (also on a
/// symbolic tape, where unknown dimensions stay null), its value, and while the tape records,
/// its vector-Jacobian product. A layer written over these gets its backward pass from the tape.
/// </summary>
public static partial class Ops
{
    /// <summary>a + b, broadcasting.</summary>
    public static Var Add(Var a, Var b) => Binary(a, b, "add", (x, y, r) => TensorPrimitives.Add(x, y, r), (x, y) => x + y,
        (g, _, _, _) => (g, g), usesOperands: false);

    /// <summary>a − b, broadcasting.</summary>
    public static Var Subtract(Var a, Var b) => Binary(a, b, "subtract", (x, y, r) => TensorPrimitives.Subtract(x, y, r), (x, y) => x - y,
        (g, _, _, _) => (g, Negated(g)), usesOperands: false);

    /// <summary>a · b elementwise, broadcasting.</summary>
    public static Var Multiply(Var a, Var b) => Binary(a, b, "multiply", (x, y, r) => TensorPrimitives.Multiply(x, y, r), (x, y) => x * y,
        (g, x, y, _) => (Product(g, y!), Product(g, x!)));

    /// <summary>a / b elementwise, broadcasting.</summary>
    public static Var Divide(Var a, Var b) => Binary(a, b, "divide", (x, y, r) => TensorPrimitives.Divide(x, y, r), (x, y) => x / y,
        (g, x, y, r) => (Zip(g, y!, (gv, yv) => gv / yv), Zip3(g, r, y!, (gv, rv, yv) => -gv * rv / yv)));

    private static Tensor Negated(Tensor g)
    {
        var r = new float[g.Length];
        TensorPrimitives.Negate(g.Span, r);
        return Tensor.Own(r, g.Shape);
    }

    private static Tensor Product(Tensor x, Tensor y)
    {
        var r = new float[x.Length];
        TensorPrimitives.Multiply(x.Span, y.Span, r);
        return Tensor.Own(r, x.Shape);
    }

    /// <summary>−a.</summary>
    public static Var Negate(Var a) => Unary(a, "negate", (x, r) => TensorPrimitives.Negate(x, r), (g, _, _) => Map(g, v => -v));

    /// <summary>eᵃ elementwise.</summary>
    public static Var Exp(Var a) => Unary(a, "exp", (x, r) => TensorPrimitives.Exp(x, r), (g, _, r) => Zip(g, r, (gv, rv) => gv * rv));

    /// <summary>tanh(a) elementwise.</summary>
    public static Var Tanh(Var a) => Unary(a, "tanh", (x, r) => TensorPrimitives.Tanh(x, r), (g, _, r) => Zip(g, r, (gv, rv) => gv * (1 - rv * rv)));

    /// <summary>
    /// A unary float op: <paramref name="forward"/> fills the result from the input;
    /// <paramref name="backward"/>(outputGrad, input, result) gives the input's gradient.
    /// </summary>
    internal static Var Unary(Var a, string name, SpanAction forward, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        RequireFloat(a, name);
        return a.Tape.Emit(a.Shape, DType.Float32, [a],
            () =>
            {
                var r = new float[a.Value.Length];
                forward(a.Value.Span, r);
                return Tensor.Own(r, a.Value.Shape);
            },
            result => (g, _) => [backward(g, a.Value, result)]);
    }

    /// <summary>Fills a result span from an input span.</summary>
    internal delegate void SpanAction(ReadOnlySpan<float> x, Span<float> result);

    /// <summary>Fills a result span from two input spans of its length.</summary>
    internal delegate void SpanAction2(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> result);

    /// <summary>
    /// A broadcasting binary float op: <paramref name="same"/> computes equal shapes at once (and
    /// repeated blocks: a scalar or a bias row against a tensor), <paramref name="scalar"/> one element of
    /// other broadcasts; <paramref name="backward"/>(g, a, b, result) gives the two gradients at the
    /// result's shape, reduced here to each operand's shape. a and b are given expanded to the result's
    /// shape, or null when <paramref name="usesOperands"/> is false.
    /// </summary>
    internal static Var Binary(Var a, Var b, string name, SpanAction2 same, Func<float, float, float> scalar,
        Func<Tensor, Tensor?, Tensor?, Tensor, (Tensor, Tensor)> backward, bool usesOperands = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        RequireFloat(a, name);
        RequireFloat(b, name);
        var shape = BroadcastShapes(a.Shape, b.Shape, name);
        return a.Tape.Emit(shape, DType.Float32, [a, b],
            () => Broadcasted(a.Value, b.Value, same, scalar),
            result => (g, needed) =>
            {
                Tensor? av = null, bv = null;
                if (usesOperands)
                {
                    av = a.Value.Shape == result.Shape ? a.Value : Expand(a.Value, result.Shape);
                    bv = b.Value.Shape == result.Shape ? b.Value : Expand(b.Value, result.Shape);
                }
                var (ga, gb) = backward(g, av, bv, result);
                return [needed[0] ? Broadcast.SumTo(ga, a.Shape) : null, needed[1] ? Broadcast.SumTo(gb, b.Shape) : null];
            });
    }

    /// <summary>Below this many values a repeated operand is tiled into a longer pattern, so a short row does not cost a call per row.</summary>
    private const int TileLength = 2048;

    private static Tensor Broadcasted(Tensor a, Tensor b, SpanAction2 same, Func<float, float, float> scalar)
    {
        if (a.Shape == b.Shape)
        {
            var r = new float[a.Length];
            same(a.Span, b.Span, r);
            return Tensor.Own(r, a.Shape);
        }
        var shape = Broadcast.Shapes(a.Shape, b.Shape);
        var result = new float[(int)shape.Product()!.Value];
        if (result.Length == 0) return Tensor.Own(result, shape);
        if (a.Shape == shape && Broadcast.IsTrailingBlock(b.Shape, shape))
        {
            Repeated(a.Span, b.Span, result, same, smallFirst: false);
            return Tensor.Own(result, shape);
        }
        if (b.Shape == shape && Broadcast.IsTrailingBlock(a.Shape, shape))
        {
            Repeated(b.Span, a.Span, result, same, smallFirst: true);
            return Tensor.Own(result, shape);
        }
        var x = a.Data;
        var y = b.Data;
        Broadcast.Each(shape, a.Shape, b.Shape, (i, ia, ib) => result[i] = scalar(x[ia], y[ib]));
        return Tensor.Own(result, shape);
    }

    /// <summary>
    /// same(big block, small) (or same(small, big block) when <paramref name="smallFirst"/>) over every block of
    /// <paramref name="big"/> of small's length; a short small operand is tiled first.
    /// </summary>
    private static void Repeated(ReadOnlySpan<float> big, ReadOnlySpan<float> small, Span<float> result, SpanAction2 same, bool smallFirst)
    {
        int block = small.Length;
        if (block < TileLength / 4)
        {
            int copies = Math.Max(1, TileLength / block);
            var tile = new float[copies * block];
            for (int c = 0; c < copies; c++) small.CopyTo(tile.AsSpan(c * block));
            small = tile;
            block = tile.Length;
        }
        for (int start = 0; start < big.Length; start += block)
        {
            int n = Math.Min(block, big.Length - start);
            if (smallFirst) same(small[..n], big.Slice(start, n), result.Slice(start, n));
            else same(big.Slice(start, n), small[..n], result.Slice(start, n));
        }
    }

    /// <summary><paramref name="t"/> broadcast to <paramref name="shape"/> (copied, keeping its dtype).</summary>
    internal static Tensor Expand(Tensor t, Shape shape)
    {
        var result = new int[(int)shape.Product()!.Value];
        var x = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(t.Data.AsSpan()); // bits: exact for every dtype
        if (Broadcast.IsTrailingBlock(t.Shape, shape) && x.Length > 0)
            for (int start = 0; start < result.Length; start += x.Length) x.CopyTo(result.AsSpan(start));
        else
        {
            var copy = x.ToArray();
            Broadcast.Each(shape, t.Shape, t.Shape, (i, ia, _) => result[i] = copy[ia]);
        }
        return FromBits(result, shape, t.DType);
    }

    /// <summary>f applied to every value.</summary>
    internal static Tensor Map(Tensor t, Func<float, float> f)
    {
        var r = new float[t.Length];
        var x = t.Span;
        for (int i = 0; i < r.Length; i++) r[i] = f(x[i]);
        return Tensor.Own(r, t.Shape);
    }

    /// <summary>f applied to pairs of values of two tensors of one shape.</summary>
    internal static Tensor Zip(Tensor a, Tensor b, Func<float, float, float> f)
    {
        var r = new float[a.Length];
        var x = a.Span;
        var y = b.Span;
        for (int i = 0; i < r.Length; i++) r[i] = f(x[i], y[i]);
        return Tensor.Own(r, a.Shape);
    }

    /// <summary>f applied to triples of values of three tensors of one shape.</summary>
    internal static Tensor Zip3(Tensor a, Tensor b, Tensor c, Func<float, float, float, float> f)
    {
        var r = new float[a.Length];
        var x = a.Span;
        var y = b.Span;
        var z = c.Span;
        for (int i = 0; i < r.Length; i++) r[i] = f(x[i], y[i], z[i]);
        return Tensor.Own(r, a.Shape);
    }

    /// <summary>Refuses an integer operand of a float op.</summary>
    /// <exception cref="ArgumentException">Naming the op and the operand.</exception>
    internal static void RequireFloat(Var v, string op)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (v.DType != DType.Float32)
            throw new ArgumentException($"Op '{op}' takes float32 operands, but received {v}. Cast it first (Ops.Cast).");
    }
}
