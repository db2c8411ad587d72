namespace DeepGraph.Core;

/// <summary>The activation functions, as a closed set for switches in the kernels.</summary>
internal enum ActivationCode
{
    Linear, Relu, Relu6, Sigmoid, Tanh, Softmax, Elu, Selu, Softplus, Softsign, Swish, Silu, Gelu, LeakyRelu, HardSigmoid, Exponential,
}

/// <summary>
/// An activation function a layer applies: a closed set of values (<see cref="Relu"/>, <see cref="Softmax"/> …).
/// Keras's names (<c>"relu"</c>, and TF.js's camelCase <c>"hardSigmoid"</c>) are mapped only at the edges — config
/// codecs, the facade's factories, summaries — by <see cref="Parse"/> and <see cref="KerasName"/>. Each value is a
/// single instance, so <c>==</c> compares values.
/// </summary>
/// <example><code>
/// var f = ActivationFunction.Parse("leakyRelu");   // ActivationFunction.LeakyRelu
/// ActivationFunction g = "relu";                   // the implicit conversion parses too
/// string name = ActivationFunction.Gelu.KerasName; // "gelu"
/// </code></example>
public sealed class ActivationFunction
{
    private ActivationFunction(ActivationCode code, string kerasName)
    {
        Code = code;
        KerasName = kerasName;
    }

    /// <summary>The identity, f(x) = x (Keras's <c>None</c> and <c>"linear"</c>).</summary>
    public static ActivationFunction Linear { get; } = new(ActivationCode.Linear, "linear");

    /// <summary>max(x, 0).</summary>
    public static ActivationFunction Relu { get; } = new(ActivationCode.Relu, "relu");

    /// <summary>min(max(x, 0), 6).</summary>
    public static ActivationFunction Relu6 { get; } = new(ActivationCode.Relu6, "relu6");

    /// <summary>1 / (1 + e^−x).</summary>
    public static ActivationFunction Sigmoid { get; } = new(ActivationCode.Sigmoid, "sigmoid");

    /// <summary>tanh x.</summary>
    public static ActivationFunction Tanh { get; } = new(ActivationCode.Tanh, "tanh");

    /// <summary>e^x / Σ e^x over the last axis.</summary>
    public static ActivationFunction Softmax { get; } = new(ActivationCode.Softmax, "softmax");

    /// <summary>x for x &gt; 0, e^x − 1 otherwise.</summary>
    public static ActivationFunction Elu { get; } = new(ActivationCode.Elu, "elu");

    /// <summary>Scaled ELU (Klambauer et al.).</summary>
    public static ActivationFunction Selu { get; } = new(ActivationCode.Selu, "selu");

    /// <summary>log(1 + e^x).</summary>
    public static ActivationFunction Softplus { get; } = new(ActivationCode.Softplus, "softplus");

    /// <summary>x / (1 + |x|).</summary>
    public static ActivationFunction Softsign { get; } = new(ActivationCode.Softsign, "softsign");

    /// <summary>x · sigmoid(x).</summary>
    public static ActivationFunction Swish { get; } = new(ActivationCode.Swish, "swish");

    /// <summary>x · sigmoid(x) (Keras's other name for swish, kept as written).</summary>
    public static ActivationFunction Silu { get; } = new(ActivationCode.Silu, "silu");

    /// <summary>Gaussian error linear unit (Keras's default, exact form).</summary>
    public static ActivationFunction Gelu { get; } = new(ActivationCode.Gelu, "gelu");

    /// <summary>x for x &gt; 0, 0.2·x otherwise (Keras's default slope).</summary>
    public static ActivationFunction LeakyRelu { get; } = new(ActivationCode.LeakyRelu, "leaky_relu");

    /// <summary>clip(0.2·x + 0.5, 0, 1).</summary>
    public static ActivationFunction HardSigmoid { get; } = new(ActivationCode.HardSigmoid, "hard_sigmoid");

    /// <summary>e^x.</summary>
    public static ActivationFunction Exponential { get; } = new(ActivationCode.Exponential, "exponential");

    /// <summary>Every value, in Keras's documentation order.</summary>
    public static IReadOnlyList<ActivationFunction> All { get; } =
    [
        Linear, Relu, Relu6, Sigmoid, Tanh, Softmax, Elu, Selu, Softplus, Softsign, Swish, Silu, Gelu, LeakyRelu, HardSigmoid, Exponential,
    ];

    /// <summary>The value, for switches inside Core.</summary>
    internal ActivationCode Code { get; }

    /// <summary>Keras's snake_case name (<c>relu</c>, <c>leaky_relu</c>).</summary>
    public string KerasName { get; }

    /// <summary>
    /// The function Keras names <paramref name="name"/>: snake_case, TensorFlow.js's camelCase (<c>hardSigmoid</c>,
    /// <c>leakyRelu</c>), or null / empty for <see cref="Linear"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static ActivationFunction Parse(string? name)
    {
        if (string.IsNullOrEmpty(name)) return Linear;
        var snake = string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
        foreach (var f in All)
            if (f.KerasName == snake) return f;
        throw new ArgumentException($"Unknown activation function: '{name}'. Known: {string.Join(", ", All.Select(f => f.KerasName))}.", nameof(name));
    }

    /// <summary>Parses a Keras name (<see cref="Parse"/>), so that <c>activation: "relu"</c> reads as it does in Keras.</summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static implicit operator ActivationFunction(string? name) => Parse(name);

    /// <summary>True when the derivative needs the pre-activation x (swish/silu, gelu); otherwise it is computed from y = f(x) alone.</summary>
    public bool GradientNeedsInput => Code is ActivationCode.Swish or ActivationCode.Silu or ActivationCode.Gelu;

    /// <summary>Keras's name.</summary>
    public override string ToString() => KerasName;
}
