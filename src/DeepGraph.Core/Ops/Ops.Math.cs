using DeepGraph.Core;
using System.Numerics.Tensors;

namespace DeepGraph;

public static partial class Ops
{
    /// <summary>√a elementwise (NaN below 0). Its gradient g/(2√a) is infinite at 0.</summary>
    public static Var Sqrt(Var a) => Unary(a, "sqrt", (x, r) => TensorPrimitives.Sqrt(x, r),
        (g, _, r) => Zip(g, r, (gv, rv) => gv * 0.5f / rv));

    /// <summary>1/√a elementwise. Its gradient is −½·g·a^(−3/2).</summary>
    public static Var Rsqrt(Var a) => Unary(a, "rsqrt", (x, r) =>
        {
            TensorPrimitives.Sqrt(x, r);
            TensorPrimitives.Reciprocal(r, r);
        },
        (g, _, r) => Zip(g, r, (gv, rv) => -0.5f * gv * rv * rv * rv));

    /// <summary>a² elementwise.</summary>
    public static Var Square(Var a) => Unary(a, "square", (x, r) => TensorPrimitives.Multiply(x, x, r),
        (g, x, _) => Zip(g, x, (gv, xv) => 2f * gv * xv));

    /// <summary>The natural logarithm elementwise (−∞ at 0, NaN below).</summary>
    public static Var Log(Var a) => Unary(a, "log", (x, r) => TensorPrimitives.Log(x, r),
        (g, x, _) => Zip(g, x, (gv, xv) => gv / xv));

    /// <summary>|a| elementwise. The gradient at 0 is 0 (the subgradient TensorFlow uses: sign(0) = 0).</summary>
    public static Var Abs(Var a) => Unary(a, "abs", (x, r) => TensorPrimitives.Abs(x, r),
        (g, x, _) => Zip(g, x, (gv, xv) => xv > 0 ? gv : xv < 0 ? -gv : 0f));

    /// <summary>
    /// a^<paramref name="exponent"/> elementwise (<see cref="MathF.Pow"/>: NaN for a negative base
    /// and a non-integral exponent). The gradient is p·a^(p−1)·g, and 0 where p is 0.
    /// </summary>
    /// <exception cref="ArgumentException">The exponent is NaN.</exception>
    public static Var Pow(Var a, float exponent)
    {
        ArgumentNullException.ThrowIfNull(a);
        if (float.IsNaN(exponent))
            throw new ArgumentException($"Op 'pow' received the exponent NaN for a tensor of shape {a.Shape}.", nameof(exponent));
        if (exponent == 2f) return Square(a);
        return Unary(a, "pow", (x, r) => TensorPrimitives.Pow(x, exponent, r),
            (g, x, _) => exponent == 0f ? Tensor.Zeros(g.Shape.ToArray()) : Zip(g, x, (gv, xv) => gv * exponent * MathF.Pow(xv, exponent - 1f)));
    }

    /// <summary>The logistic sigmoid 1/(1 + e^−a) elementwise.</summary>
    public static Var Sigmoid(Var a) => Unary(a, "sigmoid", (x, r) => TensorPrimitives.Sigmoid(x, r),
        (g, _, r) => Zip(g, r, (gv, rv) => gv * rv * (1f - rv)));

    /// <summary>max(a, 0) elementwise. The gradient at exactly 0 is 0 (as TensorFlow's).</summary>
    public static Var Relu(Var a) => Unary(a, "relu", (x, r) => TensorPrimitives.Max(x, 0f, r),
        (g, x, _) => Zip(g, x, (gv, xv) => xv > 0 ? gv : 0f));

    /// <summary>
    /// The elementwise maximum of two tensors, broadcasting. Where a equals b the gradient goes to
    /// <paramref name="a"/> alone (as TensorFlow's: a ≥ b chooses a); NaN in either operand gives NaN.
    /// </summary>
    public static Var Maximum(Var a, Var b) => Binary(a, b, "maximum", (x, y, r) => TensorPrimitives.Max(x, y, r), MathF.Max,
        (g, x, y, _) => (Zip3(g, x!, y!, (gv, xv, yv) => xv >= yv ? gv : 0f), Zip3(g, x!, y!, (gv, xv, yv) => xv >= yv ? 0f : gv)));

    /// <summary>
    /// The elementwise minimum of two tensors, broadcasting. Where a equals b the gradient goes to
    /// <paramref name="a"/> alone (a ≤ b chooses a); NaN in either operand gives NaN.
    /// </summary>
    public static Var Minimum(Var a, Var b) => Binary(a, b, "minimum", (x, y, r) => TensorPrimitives.Min(x, y, r), MathF.Min,
        (g, x, y, _) => (Zip3(g, x!, y!, (gv, xv, yv) => xv <= yv ? gv : 0f), Zip3(g, x!, y!, (gv, xv, yv) => xv <= yv ? 0f : gv)));
}
