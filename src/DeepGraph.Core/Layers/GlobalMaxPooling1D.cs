namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalMaxPooling1D</c>: the maximum of each feature over the steps.
/// Input (batch, steps, features) → output (batch, features), or (batch, 1, features) with <see cref="GlobalPooling1D.KeepDims"/>.
/// Written over ops (a maximum over axis 1).
/// </summary>
/// <remarks>A mask on the input is dropped, masked steps included in the maximum: Keras 3's GlobalMaxPooling1D does not support masking.</remarks>
/// <example><code>new GlobalMaxPooling1D() { Id = id, Name = "global_max_pooling1d" }   // (None, 10, 16) → (None, 16)</code></example>
public sealed record GlobalMaxPooling1D : GlobalPooling1D
{
    /// <summary>A global max pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalMaxPooling1D(bool keepDims = false) : base(keepDims) { }

    /// <inheritdoc/>
    public override string ClassName => "GlobalMaxPooling1D";

    /// <summary>The maximum over axis 1.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [Ops.Max(inputs[0], [1], KeepDims)];

    /// <summary>Keras's <c>GlobalMaxPooling1D</c> config (see <see cref="GlobalPooling1D.KindOf"/>).</summary>
    public static LayerKind Kind { get; } = KindOf("GlobalMaxPooling1D", (keepDims, id, name) => new GlobalMaxPooling1D(keepDims) { Id = id, Name = name });
}
