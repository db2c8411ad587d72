using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>PReLU</c>: x where x &gt; 0, else alpha·x, with a learned <c>alpha</c> shaped like the input
/// without the batch axis and 1 on each of <see cref="SharedAxes"/> (one slope shared along them).
/// </summary>
/// <example><code>new PReLU(sharedAxes: [1, 2]) { Id = id, Name = "p_re_lu" }   // one slope per channel of an image</code></example>
public sealed record PReLU : OpLayer
{
    /// <summary>A parametric ReLU.</summary>
    /// <param name="sharedAxes">Axes (1-based, the batch is 0) along which one slope is shared; null for none.</param>
    /// <param name="alphaInitializer">How the slopes start: Keras's default is zeros.</param>
    /// <exception cref="ArgumentException">A shared axis is not positive, or is given twice.</exception>
    public PReLU(int[]? sharedAxes = null, Initializer? alphaInitializer = null)
    {
        if (sharedAxes is not null && (sharedAxes.Any(a => a < 1) || sharedAxes.Distinct().Count() != sharedAxes.Length))
            throw InvalidArgument("shared_axes", "distinct positive axes (the batch axis 0 cannot be shared)", $"[{string.Join(", ", sharedAxes)}]");
        SharedAxes = sharedAxes is null ? null : EquatableArray.Of(sharedAxes);
        AlphaInitializer = alphaInitializer ?? Constant.Zeros;
    }

    /// <summary>The axes sharing one slope, or null.</summary>
    public EquatableArray<int>? SharedAxes { get; }

    /// <summary>How the slopes start.</summary>
    public Initializer AlphaInitializer { get; }

    /// <summary>An elementwise layer passes its input's mask on (Keras's <c>supports_masking</c>).</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override string ClassName => "PReLU";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => [("alpha", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) =>
        [new WeightSpec("alpha", AlphaShape(Single(inputs)), true, AlphaInitializer)];

    /// <summary>The input's shape after the batch, with 1 on the shared axes; every other axis must be known.</summary>
    private Shape AlphaShape(Shape x)
    {
        RequireMinRank(x, 2);
        var dims = new int[x.Rank - 1];
        for (int a = 1; a < x.Rank; a++)
        {
            if (SharedAxes is { } shared && shared.Contains(a)) dims[a - 1] = 1;
            else dims[a - 1] = x[a] ?? throw Error($"needs a known size on axis {a} of its input shape {x} to shape its alpha weight (or share that axis: shared_axes).");
        }
        if (SharedAxes?.FirstOrDefault(a => a >= x.Rank) is int bad and > 0)
            throw Error($"received shared_axes containing {bad} for an input of shape {x} (rank {x.Rank}): shared axes must be in [1, {x.Rank}).");
        return Shape.Known(dims);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        AlphaShape(x);
        if (IsBuilt && Params[0].Shape != AlphaShape(x))
            throw Error($"was built with alpha of shape {Params[0].Shape}, which does not fit the input shape {x}.");
        return [x];
    }

    /// <summary>relu(x) − alpha·relu(−x), alpha broadcast over the batch and the shared axes.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        return [Ops.Relu(x) - call.Weights[0] * Ops.Relu(-x)];
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>PReLU</c> config: <c>alpha_initializer</c> (Zeros, Ones or Constant; another starts at zeros, the
    /// weights being read from the file), <c>alpha_regularizer</c> and <c>alpha_constraint</c> (null), <c>shared_axes</c>
    /// (null or a list).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<PReLU>("PReLU",
        (c, id, name) => new PReLU(ReadSharedAxes(c), ReadInitializer(c)) { Id = id, Name = name },
        p => new JsonObject
        {
            ["alpha_initializer"] = p.AlphaInitializer is Constant { Value: not 0f } k
                ? new JsonObject { ["class_name"] = "Constant", ["config"] = new JsonObject { ["value"] = k.Value } }
                : LayerConfig.Initializer("Zeros"),
            ["alpha_regularizer"] = null,
            ["alpha_constraint"] = null,
            ["shared_axes"] = p.SharedAxes is { } axes ? new JsonArray([.. axes.Select(a => (JsonNode?)a)]) : null,
        });

    private static int[]? ReadSharedAxes(LayerConfig c)
    {
        if (!c.Has("shared_axes")) return null;
        if (c["shared_axes"] is not JsonArray) return [c.Int("shared_axes")];
        return LayerConfig.TryDims(c["shared_axes"], out var dims) && dims.All(d => d is not null)
            ? [.. dims.Select(d => d!.Value)] : throw c.Error("shared_axes", "null, an integer or a list of integers");
    }

    private static Initializer ReadInitializer(LayerConfig c)
    {
        if (!c.Has("alpha_initializer")) return Constant.Zeros;
        if (c["alpha_initializer"] is JsonValue v && v.TryGetValue<string>(out var s)) return s == "ones" ? Constant.Ones : Constant.Zeros;
        var init = c.Child("alpha_initializer");
        var config = init.Has("config") ? init.Child("config") : init;
        return init.OptionalString("class_name") switch
        {
            "Ones" => Constant.Ones,
            "Constant" => new Constant((float)config.Double("value", 0)),
            _ => Constant.Zeros,
        };
    }
}
