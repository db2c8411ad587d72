using DeepGraph.Core;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DeepGraph.Numerics;

/// <summary>
/// The backward pass of every activation of <see cref="Activate"/>: dx = dy ⊙ f′(x), computed
/// from the output y = f(x) wherever the derivative can be written in y (so the pre-activation
/// need not be kept), and from x for the few that cannot (swish/silu, gelu, mish, hard_silu). At a kink the
/// derivative taken is the one-sided value the formulas in y give (relu: 0 at 0).
/// </summary>
public static class ActivationGrad
{
    private const float SeluAlpha = 1.6732632423543772f, SeluScale = 1.0507009873554805f;

    /// <summary>True when the derivative needs the pre-activation x (swish/silu, gelu); otherwise it is computed from y = f(x) alone.</summary>
    public static bool NeedsInput(ActivationFunction activation) => activation.GradientNeedsInput;

    /// <summary>
    /// dx = dy ⊙ f′(x), computed from <paramref name="y"/> (and from <paramref name="x"/> when
    /// <see cref="NeedsInput"/>; x may be empty otherwise). Softmax is the Jacobian-vector
    /// product over rows of <paramref name="lastAxis"/> values: dx = y ⊙ (dy − Σ dy·y).
    /// <paramref name="dx"/> may be the same span as <paramref name="dy"/> (in place); it is overwritten.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown activation, or spans of different lengths.</exception>
    public static void Backward(ActivationFunction activation, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int lastAxis)
    {
        if (dy.Length != y.Length || dx.Length != y.Length)
            throw new ArgumentException($"Activation gradient spans differ in length: y {y.Length}, dy {dy.Length}, dx {dx.Length}.", nameof(dx));
        if (NeedsInput(activation) && x.Length != y.Length)
            throw new ArgumentException($"The gradient of '{activation}' needs the pre-activation: x has {x.Length} values, y {y.Length}.", nameof(x));
        switch (activation.Code)
        {
            case ActivationCode.Linear:
                dy.CopyTo(dx);
                return;
            case ActivationCode.Relu: Map(new ReluInY(0f), y, dy, dx); return;
            case ActivationCode.LeakyRelu: Map(new ReluInY(0.2f), y, dy, dx); return;
            case ActivationCode.Relu6: Map(new Relu6InY(), y, dy, dx); return;
            case ActivationCode.Sigmoid: Map(new SigmoidInY(), y, dy, dx); return;
            case ActivationCode.Tanh: Map(new TanhInY(), y, dy, dx); return;
            case ActivationCode.Softmax: Softmax(y, dy, dx, lastAxis); return;
            case ActivationCode.Exponential: TensorPrimitives.Multiply(dy, y, dx); return;
            case ActivationCode.HardSigmoid:
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f && y[i] < 1f ? 0.2f * dy[i] : 0f;
                return;
            case ActivationCode.Swish:
            case ActivationCode.Silu:
                for (int i = 0; i < dx.Length; i++)
                {
                    double v = x[i], s = 1.0 / (1.0 + Math.Exp(-v));
                    dx[i] = (float)(dy[i] * s * (1.0 + v * (1.0 - s)));
                }
                return;
            case ActivationCode.Softsign:
                for (int i = 0; i < dx.Length; i++)
                {
                    float a = 1f - MathF.Abs(y[i]);
                    dx[i] = dy[i] * a * a;
                }
                return;
            case ActivationCode.Softplus:
                // f′ = sigmoid(x) = 1 − e^(−y), in double so that a tiny y keeps its relative precision.
                for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * (1.0 - Math.Exp(-(double)y[i])));
                return;
            case ActivationCode.Elu:
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f ? dy[i] : dy[i] * (y[i] + 1f);
                return;
            case ActivationCode.Selu:
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f ? dy[i] * SeluScale : dy[i] * (y[i] + SeluScale * SeluAlpha);
                return;
            case ActivationCode.HardSigmoidKeras3:
                for (int i = 0; i < dx.Length; i++) dx[i] = y[i] > 0f && y[i] < 1f ? dy[i] / 6f : 0f;
                return;
            case ActivationCode.LogSigmoid:
                // f′ = sigmoid(−x) = 1 − e^y, in double so that a y near 0 keeps its relative precision.
                for (int i = 0; i < dx.Length; i++) dx[i] = (float)(dy[i] * (1.0 - Math.Exp((double)y[i])));
                return;
            case ActivationCode.HardSilu:
                for (int i = 0; i < dx.Length; i++)
                {
                    float v = x[i];
                    dx[i] = v <= -3f ? 0f : v >= 3f ? dy[i] : dy[i] * (2f * v + 3f) / 6f;
                }
                return;
            case ActivationCode.Mish:
                // tanh(sp) + x·(1 − tanh²(sp))·sigmoid(x), sp = softplus(x).
                for (int i = 0; i < dx.Length; i++)
                {
                    double v = x[i];
                    double sp = Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v)));
                    double t = Math.Tanh(sp);
                    dx[i] = (float)(dy[i] * (t + v * (1 - t * t) / (1 + Math.Exp(-v))));
                }
                return;
            case ActivationCode.Gelu:
                // Φ(x) + x·φ(x), the exact erf form.
                for (int i = 0; i < dx.Length; i++)
                {
                    double v = x[i];
                    double cdf = 0.5 * (1.0 + MathNet.Numerics.SpecialFunctions.Erf(v / Math.Sqrt(2.0)));
                    double pdf = Math.Exp(-0.5 * v * v) / Math.Sqrt(2.0 * Math.PI);
                    dx[i] = (float)(dy[i] * (cdf + v * pdf));
                }
                return;
            default:
                throw new ArgumentException($"Unknown activation function: '{activation}'.", nameof(activation));
        }
    }

    /// <summary>A derivative written in y: dx from (y, dy), on vectors and on scalars alike.</summary>
    private interface IInY
    {
        Vector<float> Apply(Vector<float> y, Vector<float> dy);

        float Apply(float y, float dy);
    }

    /// <summary>dx = dy where y &gt; 0, else slope·dy (relu: 0, leaky relu: 0.2).</summary>
    private readonly struct ReluInY(float slope) : IInY
    {
        public Vector<float> Apply(Vector<float> y, Vector<float> dy) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero), dy, dy * new Vector<float>(slope));

        public float Apply(float y, float dy) => y > 0f ? dy : dy * slope;
    }

    /// <summary>dx = dy where 0 &lt; y &lt; 6, else 0.</summary>
    private readonly struct Relu6InY : IInY
    {
        public Vector<float> Apply(Vector<float> y, Vector<float> dy) =>
            Vector.ConditionalSelect(Vector.GreaterThan(y, Vector<float>.Zero) & Vector.LessThan(y, new Vector<float>(6f)), dy, Vector<float>.Zero);

        public float Apply(float y, float dy) => y > 0f && y < 6f ? dy : 0f;
    }

    /// <summary>dx = dy·y·(1 − y).</summary>
    private readonly struct SigmoidInY : IInY
    {
        public Vector<float> Apply(Vector<float> y, Vector<float> dy) => dy * y * (Vector<float>.One - y);

        public float Apply(float y, float dy) => dy * y * (1f - y);
    }

    /// <summary>dx = dy·(1 − y²).</summary>
    private readonly struct TanhInY : IInY
    {
        public Vector<float> Apply(Vector<float> y, Vector<float> dy) => dy * (Vector<float>.One - y * y);

        public float Apply(float y, float dy) => dy * (1f - y * y);
    }

    /// <summary>dx = op(y, dy) elementwise, whole vectors first (dx may be dy).</summary>
    private static void Map<TOp>(TOp op, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) where TOp : struct, IInY
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vy = MemoryMarshal.Cast<float, Vector<float>>(y);
            var vdy = MemoryMarshal.Cast<float, Vector<float>>(dy);
            var vdx = MemoryMarshal.Cast<float, Vector<float>>(dx);
            for (int v = 0; v < vdx.Length; v++) vdx[v] = op.Apply(vy[v], vdy[v]);
            i = vdx.Length * Vector<float>.Count;
        }
        for (; i < dx.Length; i++) dx[i] = op.Apply(y[i], dy[i]);
    }

    /// <summary>Per row of <paramref name="row"/> values: dx = y ⊙ (dy − Σ dy·y).</summary>
    private static void Softmax(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int row)
    {
        if (row <= 0 || y.Length % row != 0)
            throw new ArgumentException($"Softmax rows of {row} values do not divide {y.Length} values.", nameof(row));
        for (int start = 0; start < y.Length; start += row)
        {
            var yr = y.Slice(start, row);
            var dyr = dy.Slice(start, row);
            var dxr = dx.Slice(start, row);
            float dot = TensorPrimitives.Dot(dyr, yr);
            // dx = (dy − dot) ⊙ y, elementwise so that dx may be dy.
            TensorPrimitives.Subtract(dyr, dot, dxr);
            TensorPrimitives.Multiply(dxr, yr, dxr);
        }
    }
}
