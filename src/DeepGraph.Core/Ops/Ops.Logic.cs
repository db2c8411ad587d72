using DeepGraph.Core;
namespace DeepGraph;

public static partial class Ops
{
    /// <summary>a == b elementwise, broadcasting, as a bool tensor (no gradient). Operands share a dtype.</summary>
    public static Var Equal(Var a, Var b) => Compare(a, b, "equal", (x, y) => x == y);

    /// <summary>a ≠ b elementwise, broadcasting, as a bool tensor (no gradient). NaN differs from everything.</summary>
    public static Var NotEqual(Var a, Var b) => Compare(a, b, "not_equal", (x, y) => x != y);

    /// <summary>a &lt; b elementwise, broadcasting, as a bool tensor (no gradient).</summary>
    public static Var Less(Var a, Var b) => Compare(a, b, "less", (x, y) => x < y);

    /// <summary>a ≤ b elementwise, broadcasting, as a bool tensor (no gradient).</summary>
    public static Var LessEqual(Var a, Var b) => Compare(a, b, "less_equal", (x, y) => x <= y);

    /// <summary>a &gt; b elementwise, broadcasting, as a bool tensor (no gradient).</summary>
    public static Var Greater(Var a, Var b) => Compare(a, b, "greater", (x, y) => x > y);

    /// <summary>a ≥ b elementwise, broadcasting, as a bool tensor (no gradient).</summary>
    public static Var GreaterEqual(Var a, Var b) => Compare(a, b, "greater_equal", (x, y) => x >= y);

    private static Var Compare(Var a, Var b, string name, Func<double, double, bool> test)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.DType != b.DType)
            throw new ArgumentException($"Op '{name}' compares operands of one dtype, but received {a} and {b}. Cast one first (Ops.Cast).");
        var shape = BroadcastShapes(a.Shape, b.Shape, name);
        return a.Tape.Emit(shape, DType.Bool, [a, b],
            () =>
            {
                var bits = new int[(int)shape.Product()!.Value];
                var x = a.Value;
                var y = b.Value;
                Broadcast.Each(shape, x.Shape, y.Shape, (i, ia, ib) => bits[i] = test(Read(x, ia), Read(y, ib)) ? 1 : 0);
                return FromBits(bits, shape, DType.Bool);
            },
            null);
    }

    /// <summary>A value of a tensor of any dtype, as a double.</summary>
    private static double Read(Tensor t, int i) => t.DType == DType.Float32 ? t.Data[i] : t.IntData[i];

    /// <summary>A tensor of an int dtype over <paramref name="bits"/>.</summary>
    private static Tensor FromBits(int[] bits, Shape shape, DType dtype)
    {
        var data = new float[bits.Length];
        System.Runtime.InteropServices.MemoryMarshal.Cast<int, float>(bits.AsSpan()).CopyTo(data);
        return Tensor.Own(data, shape, dtype);
    }

    /// <summary><see cref="Broadcast.Shapes"/> with the error naming the op.</summary>
    private static Shape BroadcastShapes(Shape a, Shape b, string op)
    {
        try
        {
            return Broadcast.Shapes(a, b);
        }
        catch (ShapeError e)
        {
            throw new ShapeError(op, $"Op '{op}': {e.Message}");
        }
    }

    /// <summary>
    /// <paramref name="a"/> where the bool <paramref name="cond"/> holds, else <paramref name="b"/>; the three
    /// broadcast together. The gradient goes to a where cond holds and to b elsewhere (summed back to each
    /// operand's shape); cond gets none. a and b share a dtype.
    /// </summary>
    /// <exception cref="ArgumentException">cond is not bool, or a and b differ in dtype.</exception>
    /// <exception cref="ShapeError">The shapes do not broadcast.</exception>
    public static Var Where(Var cond, Var a, Var b)
    {
        ArgumentNullException.ThrowIfNull(cond);
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (cond.DType != DType.Bool)
            throw new ArgumentException($"Op 'where' takes a bool condition, but received {cond} (operands {a} and {b}). Compare first (Ops.Greater, …) or cast it.", nameof(cond));
        if (a.DType != b.DType)
            throw new ArgumentException($"Op 'where' chooses between operands of one dtype, but received {a} and {b}.");
        var shape = BroadcastShapes(BroadcastShapes(cond.Shape, a.Shape, "where"), b.Shape, "where");
        return a.Tape.Emit(shape, a.DType, [cond, a, b],
            () =>
            {
                var c = Expand(cond.Value, shape).IntData;
                var x = Expand(a.Value, shape).Data;
                var y = Expand(b.Value, shape).Data;
                var r = new float[x.Length];
                for (int i = 0; i < r.Length; i++) r[i] = c[i] != 0 ? x[i] : y[i];
                return Tensor.Own(r, shape, a.DType);
            },
            _ => (g, needed) =>
            {
                var c = Expand(cond.Value, shape).IntData;
                var gs = g.Span;
                Tensor? ga = null, gb = null;
                if (needed[1])
                {
                    var r = new float[gs.Length];
                    for (int i = 0; i < r.Length; i++) r[i] = c[i] != 0 ? gs[i] : 0f;
                    ga = Broadcast.SumTo(Tensor.Own(r, shape), a.Shape);
                }
                if (needed[2])
                {
                    var r = new float[gs.Length];
                    for (int i = 0; i < r.Length; i++) r[i] = c[i] != 0 ? 0f : gs[i];
                    gb = Broadcast.SumTo(Tensor.Own(r, shape), b.Shape);
                }
                return [null, ga, gb];
            });
    }

    /// <summary>
    /// <paramref name="a"/> converted to <paramref name="dtype"/>, as tf.cast: float → int32 truncates toward
    /// zero (NaN gives 0, values beyond the int32 range saturate); any → bool is "≠ 0" (NaN is true);
    /// int32/bool → float32 is exact up to 2²⁴; bool → int32 gives 0 and 1. The gradient passes through
    /// only a float → float cast, which returns <paramref name="a"/> itself (as a cast to the same dtype does).
    /// </summary>
    public static Var Cast(Var a, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (!Enum.IsDefined(dtype))
            throw new ArgumentException($"Op 'cast' received dtype {(int)dtype}, which is not float32, int32 or bool (operand {a}).", nameof(dtype));
        if (dtype == a.DType) return a;
        return a.Tape.Emit(a.Shape, dtype, [a],
            () =>
            {
                var t = a.Value;
                if (dtype == DType.Float32) return Tensor.Own(t.ToArray(), t.Shape);
                var bits = new int[t.Length];
                if (t.DType == DType.Float32)
                {
                    var x = t.Span;
                    for (int i = 0; i < bits.Length; i++)
                        bits[i] = dtype == DType.Bool ? (x[i] != 0 ? 1 : 0) : float.IsNaN(x[i]) ? 0 : (int)Math.Clamp(MathF.Truncate(x[i]), int.MinValue, int.MaxValue);
                }
                else
                {
                    var x = t.Ints;
                    for (int i = 0; i < bits.Length; i++) bits[i] = dtype == DType.Bool ? (x[i] != 0 ? 1 : 0) : x[i];
                }
                return FromBits(bits, t.Shape, dtype);
            },
            null);
    }
}
