using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// Differentiable ops over <see cref="Var"/>s: each computes its result's shape (also on a
/// symbolic tape, where unknown dimensions stay null), its value, and while the tape records,
/// its vector-Jacobian product. A layer written over these gets its backward pass from the tape.
/// </summary>
public static partial class Ops
{
    /// <summary>a + b, broadcasting.</summary>
    public static Var Add(Var a, Var b) => Binary(a, b, "add", (x, y, r) => TensorPrimitives.Add(x, y, r), (x, y) => x + y,
        (g, _, _, _) => (g, g));

    /// <summary>a − b, broadcasting.</summary>
    public static Var Subtract(Var a, Var b) => Binary(a, b, "subtract", (x, y, r) => TensorPrimitives.Subtract(x, y, r), (x, y) => x - y,
        (g, _, _, _) => (g, Map(g, v => -v)));

    /// <summary>a · b elementwise, broadcasting.</summary>
    public static Var Multiply(Var a, Var b) => Binary(a, b, "multiply", (x, y, r) => TensorPrimitives.Multiply(x, y, r), (x, y) => x * y,
        (g, x, y, _) => (Zip(g, y, (gv, yv) => gv * yv), Zip(g, x, (gv, xv) => gv * xv)));

    /// <summary>a / b elementwise, broadcasting.</summary>
    public static Var Divide(Var a, Var b) => Binary(a, b, "divide", (x, y, r) => TensorPrimitives.Divide(x, y, r), (x, y) => x / y,
        (g, x, y, r) => (Zip(g, y, (gv, yv) => gv / yv), Zip3(g, r, y, (gv, rv, yv) => -gv * rv / yv)));

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
    /// A broadcasting binary float op: <paramref name="same"/> computes equal shapes at once,
    /// <paramref name="scalar"/> one element of broadcast ones; <paramref name="backward"/>(g, a, b, result)
    /// gives the two gradients at the result's shape, reduced here to each operand's shape.
    /// </summary>
    internal static Var Binary(Var a, Var b, string name, SpanAction2 same, Func<float, float, float> scalar,
        Func<Tensor, Tensor, Tensor, Tensor, (Tensor, Tensor)> backward)
    {
        RequireFloat(a, name);
        RequireFloat(b, name);
        var shape = Broadcast.Shapes(a.Shape, b.Shape);
        return a.Tape.Emit(shape, DType.Float32, [a, b],
            () => Broadcasted(a.Value, b.Value, same, scalar),
            result => (g, needed) =>
            {
                var av = a.Value.Shape == result.Shape ? a.Value : Expand(a.Value, result.Shape);
                var bv = b.Value.Shape == result.Shape ? b.Value : Expand(b.Value, result.Shape);
                var (ga, gb) = backward(g, av, bv, result);
                return [needed[0] ? Broadcast.SumTo(ga, a.Shape) : null, needed[1] ? Broadcast.SumTo(gb, b.Shape) : null];
            });
    }

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
        var x = a.Data;
        var y = b.Data;
        Broadcast.Each(shape, a.Shape, b.Shape, (i, ia, ib) => result[i] = scalar(x[ia], y[ib]));
        return Tensor.Own(result, shape);
    }

    /// <summary><paramref name="t"/> broadcast to <paramref name="shape"/> (copied, keeping its dtype).</summary>
    internal static Tensor Expand(Tensor t, Shape shape)
    {
        var result = new int[(int)shape.Product()!.Value];
        var x = System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(t.Data.AsSpan()).ToArray(); // bits: exact for every dtype
        Broadcast.Each(shape, t.Shape, t.Shape, (i, ia, _) => result[i] = x[ia]);
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
        if (v.DType != DType.Float32)
            throw new ArgumentException($"Op '{op}' takes float32 operands, but received {v}. Cast it first (Ops.Cast).");
    }
}
