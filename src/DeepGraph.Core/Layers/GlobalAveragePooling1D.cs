using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalAveragePooling1D</c>: the mean of each feature over the steps.
/// Input (batch, steps, features) → output (batch, features), or (batch, 1, features) with <see cref="KeepDims"/>.
/// Written over ops (a mean over axis 1).
/// </summary>
/// <remarks>Keras skips masked steps when a mask comes with the input; masks are not propagated yet, so every step counts.</remarks>
/// <example><code>new GlobalAveragePooling1D() { Id = id, Name = "global_average_pooling1d" }   // (None, 10, 16) → (None, 16)</code></example>
public sealed record GlobalAveragePooling1D : OpLayer
{
    /// <summary>A global average pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalAveragePooling1D(bool keepDims = false) => KeepDims = keepDims;

    /// <summary>When true the steps axis stays, with length 1.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    public override string ClassName => "GlobalAveragePooling1D";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => [];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) => [];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        RequireNonEmpty(x, 1, "steps");
        return base.InferShapes(inputs);
    }

    /// <summary>The mean over axis 1.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.Mean(inputs[0], [1], KeepDims)];

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>GlobalAveragePooling1D</c> config: <c>keepdims</c> (default false; TF.js has none, so it is written only when set); channels-last only.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GlobalAveragePooling1D>("GlobalAveragePooling1D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new GlobalAveragePooling1D(c.Bool("keepdims", false)) { Id = id, Name = name };
        },
        g => g.KeepDims ? new JsonObject { ["data_format"] = "channels_last", ["keepdims"] = true } : []);
}
