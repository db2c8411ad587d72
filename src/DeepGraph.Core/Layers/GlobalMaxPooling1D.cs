using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalMaxPooling1D</c>: the maximum of each feature over the steps.
/// Input (batch, steps, features) → output (batch, features), or (batch, 1, features) with <see cref="KeepDims"/>.
/// Written over ops (a maximum over axis 1).
/// </summary>
/// <example><code>new GlobalMaxPooling1D() { Id = id, Name = "global_max_pooling1d" }   // (None, 10, 16) → (None, 16)</code></example>
public sealed record GlobalMaxPooling1D : OpLayer
{
    /// <summary>A global max pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalMaxPooling1D(bool keepDims = false) => KeepDims = keepDims;

    /// <summary>When true the steps axis stays, with length 1.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    public override string ClassName => "GlobalMaxPooling1D";

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

    /// <summary>The maximum over axis 1.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.Max(inputs[0], [1], KeepDims)];

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>GlobalMaxPooling1D</c> config: <c>keepdims</c> (default false; TF.js has none, so it is written only when set); channels-last only.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GlobalMaxPooling1D>("GlobalMaxPooling1D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new GlobalMaxPooling1D(c.Bool("keepdims", false)) { Id = id, Name = name };
        },
        g => g.KeepDims ? new JsonObject { ["data_format"] = "channels_last", ["keepdims"] = true } : []);
}
