using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>LayerNormalization</c>: per sample, normalises over the axes of <see cref="Axis"/>
/// together — <c>y = (x − μ) / sqrt(σ² + ε) · gamma + beta</c> with μ and the biased variance σ²
/// taken over those axes — the same in training and at inference. The output has the input's
/// shape. Weights, in Keras's order, each shaped like the normalised axes ((C) for the default
/// axis −1): gamma (when <see cref="Scale"/>, ones), beta (when <see cref="Center"/>, zeros).
/// Written over ops; its gradients come from the tape.
/// </summary>
/// <example><code>new LayerNormalization() { Id = id, Name = "layer_normalization" }   // (None, 10, 64) → (None, 10, 64), 128 params</code></example>
public sealed record LayerNormalization : OpLayer
{
    /// <summary>A layer normalization over <paramref name="axis"/> (default: the last axis).</summary>
    /// <param name="axis">The axes normalised together (negative counts from the end); not the batch axis 0.</param>
    /// <param name="epsilon">Added to the variance before its square root (Keras's default 1e-3).</param>
    /// <param name="center">Whether a learned offset beta is added.</param>
    /// <param name="scale">Whether a learned factor gamma multiplies.</param>
    /// <exception cref="ArgumentException">No axis, an axis twice, axis 0, or a non-positive epsilon.</exception>
    public LayerNormalization(IReadOnlyList<int>? axis = null, double epsilon = 1e-3, bool center = true, bool scale = true)
    {
        var axes = axis ?? [-1];
        if (axes.Count == 0) throw InvalidArgument("axis", "an axis or a non-empty list of axes", "[]");
        if (axes.Contains(0)) throw InvalidArgument("axis", "axes other than the batch axis 0", $"[{string.Join(", ", axes)}]");
        if (axes.Distinct().Count() != axes.Count) throw InvalidArgument("axis", "distinct axes", $"[{string.Join(", ", axes)}]");
        Axis = EquatableArray.Of(axes);
        Epsilon = epsilon > 0 && double.IsFinite(epsilon) ? epsilon : throw InvalidArgument("epsilon", "a positive number", epsilon);
        Center = center;
        Scale = scale;
    }

    /// <summary>The axes normalised together, as given (negative counts from the end).</summary>
    public EquatableArray<int> Axis { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the layer has the offset beta.</summary>
    public bool Center { get; }

    /// <summary>Whether the layer has the factor gamma.</summary>
    public bool Scale { get; }

    /// <inheritdoc/>
    public override string ClassName => "LayerNormalization";

    /// <summary>An input's mask passes through to the output, as in Keras.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
    [
        .. Scale ? [("gamma", true)] : Array.Empty<(string, bool)>(),
        .. Center ? [("beta", true)] : Array.Empty<(string, bool)>(),
    ];

    /// <summary>The normalised axes of an input of rank <paramref name="rank"/>, as positive axes in increasing order.</summary>
    /// <exception cref="ShapeError">An axis is out of range or names the batch.</exception>
    public int[] AxesFor(int rank)
    {
        var axes = new int[Axis.Count];
        for (int i = 0; i < axes.Length; i++)
        {
            int a = Axis[i] < 0 ? Axis[i] + rank : Axis[i];
            if (a < 1 || a >= rank)
                throw Error($"was given axis {Axis[i]} (of [{string.Join(", ", Axis)}]), which is out of range for an input of rank {rank} (axes 1 to {rank - 1}, or −1 to −{rank - 1}; the batch axis 0 is not normalised).");
            axes[i] = a;
        }
        Array.Sort(axes);
        for (int i = 1; i < axes.Length; i++)
            if (axes[i] == axes[i - 1]) throw Error($"was given axis [{string.Join(", ", Axis)}], which names axis {axes[i]} twice for an input of rank {rank}.");
        return axes;
    }

    /// <summary>The shape of gamma and beta for <paramref name="input"/>: its dimensions along the normalised axes.</summary>
    private Shape ParamShape(Shape input) => Shape.Known([.. AxesFor(input.Rank).Select(a => input[a]!.Value)]);

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 2);
        foreach (var a in AxesFor(x.Rank))
        {
            if (x[a] is null)
                throw Error($"normalises axis {a} of its input, whose size must be known, but received input shape {x}.");
            RequireNonEmpty(x, a, $"values along axis {a}");
        }
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        var shape = ParamShape(inputs[0]);
        return
        [
            .. Scale ? [new WeightSpec("gamma", shape, true, Constant.Ones)] : Array.Empty<WeightSpec>(),
            .. Center ? [new WeightSpec("beta", shape, true, Constant.Zeros)] : Array.Empty<WeightSpec>(),
        ];
    }

    /// <summary>(x − mean) · rsqrt(variance + ε) · gamma + beta, the statistics over the normalised axes of each sample.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var axes = AxesFor(x.Rank);
        var mean = Ops.Mean(x, axes, keepDims: true);
        var centered = x - mean;
        var variance = Ops.Mean(Ops.Square(centered), axes, keepDims: true);
        var y = centered * Ops.Rsqrt(variance + (float)Epsilon);

        // gamma and beta have the normalised axes' shape; seen from x, 1 along every other axis.
        var broadcast = Enumerable.Repeat(1, x.Rank).ToArray();
        foreach (var a in axes) broadcast[a] = x.Shape[a]!.Value;
        int w = 0;
        if (Scale) y = y * Ops.Reshape(call.Weights[w++], broadcast);
        if (Center) y = y + Ops.Reshape(call.Weights[w++], broadcast);
        return [y];
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>LayerNormalization</c> config: <c>axis</c> (an integer or a list; TF.js writes a list of
    /// positive axes), <c>epsilon</c> (1e-3), <c>center</c>, <c>scale</c>; Keras 3's <c>rms_scaling</c> must be false.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<LayerNormalization>("LayerNormalization",
        (c, id, name) =>
        {
            if (c.Bool("rms_scaling", false)) throw c.Error("rms_scaling", "false (RMS scaling is not supported)");
            return new LayerNormalization(ReadAxis(c), c.Double("epsilon", 1e-3), c.Bool("center", true), c.Bool("scale", true)) { Id = id, Name = name };
        },
        n => new JsonObject
        {
            ["axis"] = new JsonArray([.. n.Axis.Select(a => (JsonNode?)a)]),
            ["epsilon"] = n.Epsilon,
            ["center"] = n.Center,
            ["scale"] = n.Scale,
            ["beta_initializer"] = LayerConfig.Initializer("Zeros"),
            ["gamma_initializer"] = LayerConfig.Initializer("Ones"),
            ["beta_regularizer"] = null,
            ["gamma_regularizer"] = null,
        });

    private static int[] ReadAxis(LayerConfig c)
    {
        if (c["axis"] is JsonArray)
            return c.OptionalDims("axis") is { } dims && dims.Length > 0 && dims.All(d => d.HasValue)
                ? [.. dims.Select(d => d!.Value)]
                : throw c.Error("axis", "an integer or a non-empty list of integers");
        return [c.Int("axis", -1)];
    }
}
