namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalAveragePooling1D</c>: the mean of each feature over the steps.
/// Input (batch, steps, features) → output (batch, features), or (batch, 1, features) with <see cref="GlobalPooling1D.KeepDims"/>.
/// Written over ops (a mean over axis 1).
/// </summary>
/// <remarks>Keras skips masked steps when a mask comes with the input; masks are not propagated yet, so every step counts.</remarks>
/// <example><code>new GlobalAveragePooling1D() { Id = id, Name = "global_average_pooling1d" }   // (None, 10, 16) → (None, 16)</code></example>
public sealed record GlobalAveragePooling1D : GlobalPooling1D
{
    /// <summary>A global average pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalAveragePooling1D(bool keepDims = false) : base(keepDims) { }

    /// <inheritdoc/>
    public override string ClassName => "GlobalAveragePooling1D";

    /// <summary>The mean over axis 1.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.Mean(inputs[0], [1], KeepDims)];

    /// <summary>Keras's <c>GlobalAveragePooling1D</c> config (see <see cref="GlobalPooling1D.KindOf"/>).</summary>
    public static LayerKind Kind { get; } = KindOf("GlobalAveragePooling1D", (keepDims, id, name) => new GlobalAveragePooling1D(keepDims) { Id = id, Name = name });
}
