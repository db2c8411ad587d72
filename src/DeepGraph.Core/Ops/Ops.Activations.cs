using DeepGraph.Core;
using DeepGraph.Numerics;

namespace DeepGraph;

public static partial class Ops
{
    /// <summary>
    /// Every name <see cref="Activation(Var, string?)"/> accepts (canonical snake_case): those of <see cref="ActivationFunction.All"/>
    /// and Keras 3's others.
    /// </summary>
    public static IReadOnlyList<string> ActivationNames { get; } =
    [
        .. ActivationFunction.All.Select(a => a.KerasName),
        "hard_swish", "log_softmax", "celu", "glu", "hard_tanh", "hard_shrink",
        "soft_shrink", "tanh_shrink", "squareplus", "sparse_plus", "sparse_sigmoid",
    ];

    /// <summary>
    /// The Keras activation named <paramref name="kerasName"/> applied to <paramref name="x"/>, with Keras's
    /// default arguments. Names as <see cref="ActivationFunction.Parse(string?)"/> reads them (TensorFlow.js camelCase too) plus
    /// Keras 3's hard_swish (alias of hard_silu), log_softmax, celu, glu, hard_tanh, hard_shrink,
    /// soft_shrink, tanh_shrink, squareplus, sparse_plus, sparse_sigmoid; null or empty is linear (x itself).
    /// Where a name exists in <see cref="Activate"/> the values are that kernel's, bit for bit — so
    /// <c>hard_sigmoid</c> is the Keras 2 / TensorFlow.js clip(0.2·x + 0.5, 0, 1) the saved models use (Keras 3's
    /// relu6(x + 3)/6 is <c>hard_sigmoid_keras3</c>, or <see cref="HardSigmoid"/> with keras2 false), <c>leaky_relu</c>'s slope is 0.2 (Keras 3's
    /// default), <c>gelu</c> is the exact erf form and softmax and log_softmax run over the last axis.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation (the message lists the known ones).</exception>
    public static Var Activation(Var x, string? kerasName)
    {
        ArgumentNullException.ThrowIfNull(x);
        string name = string.IsNullOrEmpty(kerasName) ? "linear" : Snake(kerasName);
        return name switch
        {
            "linear" => x,
            "relu" => Relu(x),
            "relu6" => Relu6(x),
            "sigmoid" => Sigmoid(x),
            "tanh" => Tanh(x),
            "softmax" => Softmax(x, -1),
            "exponential" => Exp(x),
            "hard_sigmoid" or "hard_sigmoid_keras2" => HardSigmoid(x, keras2: true),
            "hard_sigmoid_keras3" => HardSigmoid(x, keras2: false),
            "swish" or "silu" => Silu(x),
            "softsign" => Softsign(x),
            "softplus" => Softplus(x),
            "elu" => Elu(x),
            "selu" => Selu(x),
            "leaky_relu" => LeakyRelu(x),
            "gelu" => Gelu(x),
            "mish" => Mish(x),
            "hard_silu" or "hard_swish" => HardSilu(x),
            "log_sigmoid" => LogSigmoid(x),
            "log_softmax" => LogSoftmax(x, -1),
            "celu" => Celu(x),
            "glu" => Glu(x, -1),
            "hard_tanh" => HardTanh(x),
            "hard_shrink" => HardShrink(x),
            "soft_shrink" => SoftShrink(x),
            "tanh_shrink" => TanhShrink(x),
            "squareplus" => Squareplus(x),
            "sparse_plus" => SparsePlus(x),
            "sparse_sigmoid" => SparseSigmoid(x),
            _ => throw new ArgumentException($"Op 'activation' received the unknown activation '{kerasName}' for a tensor of shape {x.Shape}. Known: {string.Join(", ", ActivationNames)}.", nameof(kerasName)),
        };
    }

    /// <summary>
    /// <paramref name="activation"/> applied to <paramref name="x"/> with the values and gradients of the
    /// <see cref="Activate"/> kernels (softmax over the last axis): for layers that hold the closed type.
    /// </summary>
    public static Var Activation(Var x, ActivationFunction activation)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(activation);
        return activation == ActivationFunction.Linear ? x : Kernel(x, activation);
    }

    private static string Snake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    /// <summary>An activation computed by <see cref="Activate.InPlace"/> with its gradient from <see cref="ActivationGrad.Backward"/>: the existing kernels' numerics.</summary>
    private static Var Kernel(Var a, ActivationFunction name)
    {
        RequireFloat(a, name.KerasName);
        return a.Tape.Emit(a.Shape, DType.Float32, [a],
            () =>
            {
                var r = a.Value.ToArray();
                Activate.InPlace(name, r, a.Shape.Rank == 0 ? 1 : a.Shape[-1]!.Value);
                return Tensor.Own(r, a.Shape);
            },
            y => (g, _) =>
            {
                var dx = new float[g.Length];
                ActivationGrad.Backward(name, a.Value.Span, y.Span, g.Span, dx, a.Shape.Rank == 0 ? 1 : a.Shape[-1]!.Value);
                return [Tensor.Own(dx, a.Shape)];
            });
    }

    /// <summary>An elementwise activation y = f(x) with f′(x, y) for its gradient.</summary>
    private static Var Pointwise(Var a, string name, Func<float, float> f, Func<float, float, float> derivative)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Unary(a, name, (x, r) => { for (int i = 0; i < x.Length; i++) r[i] = f(x[i]); },
            (g, x, y) => Zip3(g, x, y, (gv, xv, yv) => gv * derivative(xv, yv)));
    }

    /// <summary>min(max(x, 0), 6). Gradient 1 strictly between 0 and 6, else 0.</summary>
    public static Var Relu6(Var x) => Kernel(x, "relu6");

    /// <summary>x where x ≥ 0, else <paramref name="alpha"/>·x (Keras 3's <c>negative_slope</c>, default 0.2). Gradient 1 where x &gt; 0, else alpha.</summary>
    /// <exception cref="ArgumentException">alpha is not finite.</exception>
    public static Var LeakyRelu(Var x, float alpha = 0.2f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!float.IsFinite(alpha))
            throw new ArgumentException($"Op 'leaky_relu' received negative slope {alpha} for a tensor of shape {x.Shape}; it must be finite.", nameof(alpha));
        return Pointwise(x, "leaky_relu", v => v < 0f ? v * alpha : v, (v, _) => v > 0f ? 1f : alpha);
    }

    /// <summary>x·sigmoid(x), computed as x/(1 + e^−x) (Keras's silu, alias swish).</summary>
    public static Var Silu(Var x) => Kernel(x, "silu");

    /// <summary>x/(1 + |x|).</summary>
    public static Var Softsign(Var x) => Kernel(x, "softsign");

    /// <summary>log(1 + eˣ), computed stably as max(x, 0) + log(1 + e^−|x|). Gradient sigmoid(x).</summary>
    public static Var Softplus(Var x) => Kernel(x, "softplus");

    /// <summary>x where x &gt; 0, else eˣ − 1 (alpha 1, Keras's default).</summary>
    public static Var Elu(Var x) => Kernel(x, "elu");

    /// <summary>scale·x where x &gt; 0, else scale·alpha·(eˣ − 1), with Keras's constants (alpha ≈ 1.67326, scale ≈ 1.05070).</summary>
    public static Var Selu(Var x) => Kernel(x, "selu");

    /// <summary>
    /// The Gaussian error linear unit: x·Φ(x) exactly (erf form, Keras's default), or with
    /// <paramref name="approximate"/> 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
    /// </summary>
    public static Var Gelu(Var x, bool approximate = false)
    {
        if (!approximate) return Kernel(x, "gelu");
        const float c = 0.7978845608028654f, k = 0.044715f;
        return Pointwise(x, "gelu", v => 0.5f * v * (1f + MathF.Tanh(c * (v + k * v * v * v))),
            (v, _) =>
            {
                float t = MathF.Tanh(c * (v + k * v * v * v));
                return 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * c * (1f + 3f * k * v * v);
            });
    }

    /// <summary>
    /// The hard sigmoid. With <paramref name="keras2"/> (Keras 2, TensorFlow.js, and what the string
    /// <c>hard_sigmoid</c> means in this library's saved models): clip(0.2·x + 0.5, 0, 1), gradient 0.2 inside.
    /// Otherwise Keras 3's relu6(x + 3)/6, gradient 1/6 for −3 &lt; x &lt; 3.
    /// </summary>
    public static Var HardSigmoid(Var x, bool keras2)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Kernel(x, keras2 ? ActivationFunction.HardSigmoid : ActivationFunction.HardSigmoidKeras3);
    }

    /// <summary>Keras 3's hard silu (hard swish): x·relu6(x + 3)/6.</summary>
    public static Var HardSilu(Var x) => Kernel(x, "hard_silu");

    /// <summary>x·tanh(softplus(x)).</summary>
    public static Var Mish(Var x) => Kernel(x, "mish");

    /// <summary>log(sigmoid(x)) = −softplus(−x), computed stably. Gradient sigmoid(−x).</summary>
    public static Var LogSigmoid(Var x) => Kernel(x, "log_sigmoid");

    /// <summary>x − logsumexp(x) along <paramref name="axis"/> (default the last).</summary>
    /// <exception cref="ShapeError">The axis is out of range.</exception>
    public static Var LogSoftmax(Var x, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireFloat(x, "log_softmax");
        int ax = CheckAxis(x.Shape, axis, "log_softmax");
        return Subtract(x, LogSumExp(x, [ax], keepDims: true));
    }

    /// <summary>x where x ≥ 0, else alpha·(e^(x/alpha) − 1) (alpha 1 by default).</summary>
    /// <exception cref="ArgumentException">alpha is not positive and finite.</exception>
    public static Var Celu(Var x, float alpha = 1f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(alpha > 0f) || !float.IsFinite(alpha))
            throw new ArgumentException($"Op 'celu' received alpha {alpha} for a tensor of shape {x.Shape}; it must be positive and finite.", nameof(alpha));
        return Pointwise(x, "celu", v => v >= 0f ? v : alpha * (MathF.Exp(v / alpha) - 1f), (v, _) => v >= 0f ? 1f : MathF.Exp(v / alpha));
    }

    /// <summary>The gated linear unit: a·sigmoid(b), where a and b are the two halves of <paramref name="axis"/> (default the last).</summary>
    /// <exception cref="ShapeError">The axis is out of range or its size is odd or unknown.</exception>
    public static Var Glu(Var x, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(x);
        RequireFloat(x, "glu");
        int ax = CheckAxis(x.Shape, axis, "glu");
        if (x.Shape[ax] is not { } n || n % 2 != 0)
            throw new ShapeError("glu", $"Op 'glu' splits axis {axis} of a tensor of shape {x.Shape} in halves, so its size must be known and even (got {x.Shape[ax]?.ToString() ?? "None"}).");
        var begin = new int[x.Rank];
        var size = Enumerable.Repeat(-1, x.Rank).ToArray();
        size[ax] = n / 2;
        var a = Slice(x, begin, size);
        begin[ax] = n / 2;
        return Multiply(a, Sigmoid(Slice(x, begin, size)));
    }

    /// <summary>clip(x, −1, 1). Gradient 1 strictly inside.</summary>
    public static Var HardTanh(Var x) =>
        Pointwise(x, "hard_tanh", v => MathF.Min(MathF.Max(v, -1f), 1f), (v, _) => v > -1f && v < 1f ? 1f : 0f);

    /// <summary>x where |x| &gt; <paramref name="threshold"/> (default 0.5), else 0.</summary>
    public static Var HardShrink(Var x, float threshold = 0.5f) =>
        Pointwise(x, "hard_shrink", v => MathF.Abs(v) > threshold ? v : 0f, (v, _) => MathF.Abs(v) > threshold ? 1f : 0f);

    /// <summary>x − threshold above <paramref name="threshold"/> (default 0.5), x + threshold below −threshold, else 0.</summary>
    public static Var SoftShrink(Var x, float threshold = 0.5f) =>
        Pointwise(x, "soft_shrink", v => v > threshold ? v - threshold : v < -threshold ? v + threshold : 0f, (v, _) => MathF.Abs(v) > threshold ? 1f : 0f);

    /// <summary>x − tanh(x). Gradient tanh²(x).</summary>
    public static Var TanhShrink(Var x) =>
        Pointwise(x, "tanh_shrink", v => v - MathF.Tanh(v), (v, _) => MathF.Tanh(v) * MathF.Tanh(v));

    /// <summary>(x + √(x² + b))/2, with b = 4 by default.</summary>
    /// <exception cref="ArgumentException">b is negative or not finite.</exception>
    public static Var Squareplus(Var x, float b = 4f)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(b >= 0f) || !float.IsFinite(b))
            throw new ArgumentException($"Op 'squareplus' received b {b} for a tensor of shape {x.Shape}; it must be non-negative and finite.", nameof(b));
        return Pointwise(x, "squareplus", v => (v + MathF.Sqrt(v * v + b)) / 2f, (v, _) => 0.5f * (1f + v / MathF.Sqrt(v * v + b)));
    }

    /// <summary>0 for x ≤ −1, x for x ≥ 1, (x + 1)²/4 between.</summary>
    public static Var SparsePlus(Var x) =>
        Pointwise(x, "sparse_plus", v => v <= -1f ? 0f : v >= 1f ? v : 0.25f * (v + 1f) * (v + 1f), (v, _) => v <= -1f ? 0f : v >= 1f ? 1f : 0.5f * (v + 1f));

    /// <summary>0 for x ≤ −1, 1 for x ≥ 1, (x + 1)/2 between.</summary>
    public static Var SparseSigmoid(Var x) =>
        Pointwise(x, "sparse_sigmoid", v => v <= -1f ? 0f : v >= 1f ? 1f : 0.5f * (v + 1f), (v, _) => v > -1f && v < 1f ? 0.5f : 0f);

}
