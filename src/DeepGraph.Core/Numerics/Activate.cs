using DeepGraph.Core;
using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>
/// Activation functions applied in place, vectorised through <see cref="TensorPrimitives"/>
/// where it has the operation. Definitions follow Keras 2 / TensorFlow.js (hard_sigmoid is
/// clip(0.2·x + 0.5, 0, 1), Keras 3's relu6(x + 3)/6 is hard_sigmoid_keras3; leaky_relu's slope is 0.2;
/// gelu is the exact erf form).
/// </summary>
public static class Activate
{
    private const float SeluAlpha = 1.6732632423543772f, SeluScale = 1.0507009873554805f;

    /// <summary>Applies <paramref name="activation"/> (a canonical name) to <paramref name="x"/>; softmax runs over rows of <paramref name="lastAxis"/> values.</summary>
    /// <exception cref="ArgumentException">Unknown activation.</exception>
    public static void InPlace(ActivationFunction activation, Span<float> x, int lastAxis)
    {
        switch (activation.Code)
        {
            case ActivationCode.Linear: return;
            case ActivationCode.Relu: TensorPrimitives.Max(x, 0f, x); return;
            case ActivationCode.Relu6: TensorPrimitives.Max(x, 0f, x); TensorPrimitives.Min(x, 6f, x); return;
            case ActivationCode.Sigmoid: TensorPrimitives.Sigmoid(x, x); return;
            case ActivationCode.Tanh: TensorPrimitives.Tanh(x, x); return;
            case ActivationCode.Softmax: Softmax(x, lastAxis); return;
            case ActivationCode.Exponential: TensorPrimitives.Exp(x, x); return;
            case ActivationCode.HardSigmoid:
                TensorPrimitives.Multiply(x, 0.2f, x);
                TensorPrimitives.Add(x, 0.5f, x);
                TensorPrimitives.Max(x, 0f, x);
                TensorPrimitives.Min(x, 1f, x);
                return;
            case ActivationCode.Swish:
            case ActivationCode.Silu:
                foreach (ref float v in x) v = v / (1f + MathF.Exp(-v));
                return;
            case ActivationCode.Softsign:
                foreach (ref float v in x) v = v / (1f + MathF.Abs(v));
                return;
            case ActivationCode.Softplus:
                foreach (ref float v in x) v = SoftplusOf(v);
                return;
            case ActivationCode.Elu:
                foreach (ref float v in x) if (v < 0f) v = MathF.Exp(v) - 1f;
                return;
            case ActivationCode.Selu:
                foreach (ref float v in x) v = v > 0f ? SeluScale * v : SeluScale * SeluAlpha * (MathF.Exp(v) - 1f);
                return;
            case ActivationCode.LeakyRelu:
                foreach (ref float v in x) if (v < 0f) v *= 0.2f;
                return;
            case ActivationCode.Gelu:
                foreach (ref float v in x) v = (float)(0.5 * v * (1.0 + MathNet.Numerics.SpecialFunctions.Erf(v / Math.Sqrt(2.0))));
                return;
            case ActivationCode.HardSigmoidKeras3:
                // Keras 3: relu6(x + 3) / 6.
                TensorPrimitives.Add(x, 3f, x);
                TensorPrimitives.Max(x, 0f, x);
                TensorPrimitives.Min(x, 6f, x);
                TensorPrimitives.Divide(x, 6f, x);
                return;
            case ActivationCode.HardSilu:
                foreach (ref float v in x) v *= MathF.Min(MathF.Max(v + 3f, 0f), 6f) / 6f;
                return;
            case ActivationCode.Mish:
                foreach (ref float v in x) v *= MathF.Tanh(SoftplusOf(v));
                return;
            case ActivationCode.LogSigmoid:
                // log(sigmoid(x)) = −softplus(−x) = min(x, 0) − log(1 + e^−|x|).
                foreach (ref float v in x) v = MathF.Min(v, 0f) - MathF.Log(1f + MathF.Exp(-MathF.Abs(v)));
                return;
            default:
                throw new ArgumentException($"Unknown activation function: '{activation}'.", nameof(activation));
        }
    }

    /// <summary>log(1 + eˣ), computed stably as max(x, 0) + log(1 + e^−|x|).</summary>
    public static float SoftplusOf(float v) => MathF.Max(v, 0f) + MathF.Log(1f + MathF.Exp(-MathF.Abs(v)));

    /// <summary>Softmax over consecutive rows of <paramref name="row"/> values, stable for large logits (the row maximum is subtracted first).</summary>
    public static void Softmax(Span<float> x, int row)
    {
        for (int start = 0; start < x.Length; start += row)
        {
            var r = x.Slice(start, row);
            float max = TensorPrimitives.Max(r);
            TensorPrimitives.Subtract(r, max, r);
            TensorPrimitives.Exp(r, r);
            TensorPrimitives.Divide(r, TensorPrimitives.Sum(r), r);
        }
    }
}
