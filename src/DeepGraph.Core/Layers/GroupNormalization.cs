using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GroupNormalization</c> (Wu and He, 2018): the channels of <see cref="Axis"/> are split into
/// <see cref="Groups"/> groups of consecutive channels, and per sample each group is normalised over its
/// channels and every other non-batch axis together — <c>y = (x − μ) / sqrt(σ² + ε) · gamma + beta</c>
/// (biased variance) — the same in training and at inference. Groups equal to the channels is instance
/// normalization; one group is layer normalization over all axes. Weights, in Keras's order, each (channels):
/// gamma (when <see cref="Scale"/>, ones), beta (when <see cref="Center"/>, zeros).
/// </summary>
/// <example><code>new GroupNormalization(groups: 4) { Id = id, Name = "group_normalization" }   // (None, 8, 8, 16) → (None, 8, 8, 16), 32 params</code></example>
public sealed record GroupNormalization : OpLayer
{
    /// <summary>A group normalization of <paramref name="groups"/> groups along <paramref name="axis"/>.</summary>
    /// <param name="groups">The number of groups (−1: one group per channel); it must divide the channels.</param>
    /// <param name="axis">The channels axis (negative counts from the end); not the batch axis 0.</param>
    /// <param name="epsilon">Added to the variance before its square root.</param>
    /// <param name="center">Whether a learned offset beta is added.</param>
    /// <param name="scale">Whether a learned factor gamma multiplies.</param>
    /// <exception cref="ArgumentException">Groups neither positive nor −1, axis 0, or a non-positive epsilon.</exception>
    public GroupNormalization(int groups = 32, int axis = -1, double epsilon = 1e-3, bool center = true, bool scale = true)
    {
        Groups = groups > 0 || groups == -1 ? groups : throw InvalidArgument("groups", "a positive integer or -1", groups);
        Axis = axis != 0 ? axis : throw InvalidArgument("axis", "an axis other than the batch axis 0", axis);
        Epsilon = epsilon > 0 && double.IsFinite(epsilon) ? epsilon : throw InvalidArgument("epsilon", "a positive number", epsilon);
        Center = center;
        Scale = scale;
    }

    /// <summary>The number of groups, as given (−1: one per channel).</summary>
    public int Groups { get; }

    /// <summary>The channels axis, as given.</summary>
    public int Axis { get; }

    /// <summary>Added to the variance before its square root.</summary>
    public double Epsilon { get; }

    /// <summary>Whether the layer has the offset beta.</summary>
    public bool Center { get; }

    /// <summary>Whether the layer has the factor gamma.</summary>
    public bool Scale { get; }

    /// <inheritdoc/>
    public override string ClassName => "GroupNormalization";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. Scale ? [("gamma", true)] : Array.Empty<(string, bool)>(), .. Center ? [("beta", true)] : Array.Empty<(string, bool)>()];

    /// <summary>The channels axis (positive), the channels and the groups for <paramref name="x"/>.</summary>
    /// <exception cref="ShapeError">The axis is out of range, its size unknown, or the groups do not divide it.</exception>
    private (int Axis, int Channels, int Groups) Resolve(Shape x)
    {
        RequireMinRank(x, 2);
        int a = Axis < 0 ? Axis + x.Rank : Axis;
        if (a < 1 || a >= x.Rank)
            throw Error($"was given axis {Axis}, which is out of range for an input of rank {x.Rank} (axes 1 to {x.Rank - 1}, or −1 to −{x.Rank - 1}), input shape {x}.");
        if (x[a] is not { } channels)
            throw Error($"needs axis {Axis} of its input to have a defined dimension, but received an input with shape {x}.");
        int groups = Groups == -1 ? channels : Groups;
        if (channels < groups)
            throw Error($"has {groups} groups, which cannot be more than the number of channels ({channels}) of input shape {x}.");
        if (channels % groups != 0)
            throw Error($"has {groups} groups, which must divide the number of channels ({channels}) of input shape {x}.");
        return (a, channels, groups);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        Resolve(Single(inputs));
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        var shape = Shape.Known(Resolve(inputs[0]).Channels);
        return
        [
            .. Scale ? [new WeightSpec("gamma", shape, true, Constant.Ones)] : Array.Empty<WeightSpec>(),
            .. Center ? [new WeightSpec("beta", shape, true, Constant.Zeros)] : Array.Empty<WeightSpec>(),
        ];
    }

    /// <summary>The channels split into (groups, channels per group); statistics over all but the batch and group axes.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var (axis, channels, groups) = Resolve(x.Shape);
        if (call.Tape.IsSymbolic) return [call.Tape.Placeholder(x.Shape)];
        var dims = x.Shape.ToArray();
        int[] grouped = [.. dims[..axis], groups, channels / groups, .. dims[(axis + 1)..]];
        var g = Ops.Reshape(x, grouped);
        int[] reduce = [.. Enumerable.Range(1, grouped.Length - 1).Where(a => a != axis)];
        var mean = Ops.Mean(g, reduce, keepDims: true);
        var centered = g - mean;
        var variance = Ops.Mean(Ops.Square(centered), reduce, keepDims: true);
        var y = Ops.Reshape(centered * Ops.Rsqrt(variance + (float)Epsilon), dims);
        var broadcast = Enumerable.Repeat(1, dims.Length).ToArray();
        broadcast[axis] = channels;
        int w = 0;
        if (Scale) y = y * Ops.Reshape(call.Weights[w++], broadcast);
        if (Center) y = y + Ops.Reshape(call.Weights[w++], broadcast);
        return [y];
    }

    /// <summary>
    /// Keras's <c>GroupNormalization</c> config: <c>groups</c> (32), <c>axis</c> (−1), <c>epsilon</c> (1e-3),
    /// <c>center</c>, <c>scale</c>, and the default initializers.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GroupNormalization>("GroupNormalization",
        (c, id, name) => new GroupNormalization(c.Int("groups", 32), c.Int("axis", -1), c.Double("epsilon", 1e-3), c.Bool("center", true), c.Bool("scale", true)) { Id = id, Name = name },
        n => new JsonObject
        {
            ["groups"] = n.Groups,
            ["axis"] = n.Axis,
            ["epsilon"] = n.Epsilon,
            ["center"] = n.Center,
            ["scale"] = n.Scale,
            ["beta_initializer"] = LayerConfig.Initializer("Zeros"),
            ["gamma_initializer"] = LayerConfig.Initializer("Ones"),
            ["beta_regularizer"] = null,
            ["gamma_regularizer"] = null,
            ["beta_constraint"] = null,
            ["gamma_constraint"] = null,
        });
}
