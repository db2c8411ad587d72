namespace DeepGraph.Core;

/// <summary>The activation functions, as a closed set for switches in the kernels.</summary>
internal enum ActivationCode
{
    Linear, Relu, Relu6, Sigmoid, Tanh, Softmax, Elu, Selu, Softplus, Softsign, Swish, Silu, Gelu, LeakyRelu, HardSigmoid, Exponential,
    Mish, HardSilu, LogSigmoid, HardSigmoidKeras3,
}

/// <summary>
/// An activation function a layer applies: a closed set of values (<see cref="Relu"/>, <see cref="Softmax"/> …).
/// Keras's names (<c>"relu"</c>, and TF.js's camelCase <c>"hardSigmoid"</c>) are mapped only at the edges — config
/// codecs, the facade's factories, summaries — by <see cref="Parse(string?)"/> and <see cref="KerasName"/>. Each value is a
/// single instance, so <c>==</c> compares values.
/// </summary>
/// <example><code>
/// var f = ActivationFunction.Parse("leakyRelu");   // ActivationFunction.LeakyRelu
/// ActivationFunction g = "relu";                   // the implicit conversion parses too
/// string name = ActivationFunction.Gelu.KerasName; // "gelu"
/// var k3 = ActivationFunction.Parse("hard_sigmoid", keras3: true); // ActivationFunction.HardSigmoidKeras3
/// </code></example>
/// <remarks>
/// <c>hard_sigmoid</c> names two functions: clip(0.2·x + 0.5, 0, 1) in Keras 2 and TensorFlow.js
/// (<see cref="HardSigmoid"/>), relu6(x + 3)/6 in Keras 3 (<see cref="HardSigmoidKeras3"/>). They are two values
/// here. A name is read in a schema: <see cref="Parse(string?)"/> reads Keras 2's (TensorFlow.js files, this
/// library's own files and its C# factories), <see cref="Parse(string?, bool)"/> with <c>keras3: true</c> reads
/// Keras 3's. The unambiguous names <c>hard_sigmoid_keras2</c> and <c>hard_sigmoid_keras3</c> are accepted in both,
/// and <see cref="KerasNameIn"/> writes a value in either schema.
/// </remarks>
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

    /// <summary>clip(0.2·x + 0.5, 0, 1): Keras 2's and TensorFlow.js's <c>hard_sigmoid</c> (for Keras 3's see <see cref="HardSigmoidKeras3"/>).</summary>
    public static ActivationFunction HardSigmoid { get; } = new(ActivationCode.HardSigmoid, "hard_sigmoid");

    /// <summary>e^x.</summary>
    public static ActivationFunction Exponential { get; } = new(ActivationCode.Exponential, "exponential");

    /// <summary>x · tanh(softplus(x)).</summary>
    public static ActivationFunction Mish { get; } = new(ActivationCode.Mish, "mish");

    /// <summary>x · relu6(x + 3)/6 (Keras 3's <c>hard_silu</c>, alias <c>hard_swish</c>).</summary>
    public static ActivationFunction HardSilu { get; } = new(ActivationCode.HardSilu, "hard_silu");

    /// <summary>log(sigmoid(x)) = −softplus(−x).</summary>
    public static ActivationFunction LogSigmoid { get; } = new(ActivationCode.LogSigmoid, "log_sigmoid");

    /// <summary>
    /// relu6(x + 3)/6 = clip(x/6 + 0.5, 0, 1): Keras 3's <c>hard_sigmoid</c>. Named <c>hard_sigmoid_keras3</c> in
    /// Keras 2's schema (which has no such function) and <c>hard_sigmoid</c> in Keras 3's (<see cref="KerasNameIn"/>).
    /// </summary>
    public static ActivationFunction HardSigmoidKeras3 { get; } = new(ActivationCode.HardSigmoidKeras3, "hard_sigmoid_keras3");

    /// <summary>Every value, in Keras's documentation order.</summary>
    public static IReadOnlyList<ActivationFunction> All { get; } =
    [
        Linear, Relu, Relu6, Sigmoid, Tanh, Softmax, Elu, Selu, Softplus, Softsign, Swish, Silu, Gelu, LeakyRelu, HardSigmoid, Exponential,
        Mish, HardSilu, LogSigmoid, HardSigmoidKeras3,
    ];

    /// <summary>The value, for switches inside Core.</summary>
    internal ActivationCode Code { get; }

    /// <summary>
    /// Keras's snake_case name (<c>relu</c>, <c>leaky_relu</c>) in Keras 2's schema, the one TensorFlow.js files and
    /// this library use (<see cref="HardSigmoidKeras3"/> is <c>hard_sigmoid_keras3</c> there).
    /// </summary>
    public string KerasName { get; }

    /// <summary>
    /// The name in Keras 2's schema (<see cref="KerasName"/>) or, with <paramref name="keras3"/>, in Keras 3's, where
    /// <c>hard_sigmoid</c> is <see cref="HardSigmoidKeras3"/> and Keras 2's hard sigmoid is <c>hard_sigmoid_keras2</c>.
    /// </summary>
    public string KerasNameIn(bool keras3) =>
        !keras3 ? KerasName
        : Code == ActivationCode.HardSigmoidKeras3 ? "hard_sigmoid"
        : Code == ActivationCode.HardSigmoid ? "hard_sigmoid_keras2"
        : KerasName;

    /// <summary>
    /// The function Keras 2 names <paramref name="name"/>: snake_case, TensorFlow.js's camelCase (<c>hardSigmoid</c>,
    /// <c>leakyRelu</c>), Keras's alias <c>hard_swish</c>, or null / empty for <see cref="Linear"/>. <c>hard_sigmoid</c> is
    /// Keras 2's <see cref="HardSigmoid"/>; <c>hard_sigmoid_keras3</c> is Keras 3's.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static ActivationFunction Parse(string? name) => Parse(name, keras3: false);

    /// <summary>
    /// The function named <paramref name="name"/> in Keras 3's schema when <paramref name="keras3"/> (there
    /// <c>hard_sigmoid</c> is <see cref="HardSigmoidKeras3"/>), else in Keras 2's (<see cref="Parse(string?)"/>).
    /// <c>hard_sigmoid_keras2</c> and <c>hard_sigmoid_keras3</c> mean the same in both.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static ActivationFunction Parse(string? name, bool keras3)
    {
        if (string.IsNullOrEmpty(name)) return Linear;
        var snake = string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
        switch (snake)
        {
            case "hard_swish": return HardSilu;
            case "hard_sigmoid_keras2": return HardSigmoid;
            case "hard_sigmoid" when keras3: return HardSigmoidKeras3;
        }
        foreach (var f in All)
            if (f.KerasName == snake) return f;
        throw new ArgumentException($"Unknown activation function: '{name}'. Known: {string.Join(", ", All.Select(f => f.KerasName))}.", nameof(name));
    }

    /// <summary>Parses a Keras name (<see cref="Parse(string?)"/>), so that <c>activation: "relu"</c> reads as it does in Keras.</summary>
    /// <exception cref="ArgumentException">The name is not an activation.</exception>
    public static implicit operator ActivationFunction(string? name) => Parse(name);

    /// <summary>True when the derivative needs the pre-activation x (swish/silu, gelu, mish, hard_silu); otherwise it is computed from y = f(x) alone.</summary>
    public bool GradientNeedsInput => Code is ActivationCode.Swish or ActivationCode.Silu or ActivationCode.Gelu or ActivationCode.Mish or ActivationCode.HardSilu;

    /// <summary>Keras's name.</summary>
    public override string ToString() => KerasName;
}
