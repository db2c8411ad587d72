namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalAveragePooling1D</c>: the mean of each feature over the steps.
/// Input (batch, steps, features) → output (batch, features), or (batch, 1, features) with <see cref="GlobalPooling1D.KeepDims"/>.
/// Written over ops (a mean over axis 1).
/// </summary>
/// <remarks>
/// With a mask on its input (from <see cref="Embedding.MaskZero"/> or <see cref="Masking"/>), the mean is over the
/// unmasked steps only: Σ mask·x / Σ mask, as Keras computes it (a sample with every step masked gives 0/0 = NaN, as
/// in Keras). The output carries no mask.
/// </remarks>
/// <example><code>new GlobalAveragePooling1D() { Id = id, Name = "global_average_pooling1d" }   // (None, 10, 16) → (None, 16)</code></example>
public sealed record GlobalAveragePooling1D : GlobalPooling1D
{
    /// <summary>A global average pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalAveragePooling1D(bool keepDims = false) : base(keepDims) { }

    /// <inheritdoc/>
    public override string ClassName => "GlobalAveragePooling1D";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>None: the steps are pooled away (Keras's <c>compute_mask</c> returns None).</summary>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) => [];

    /// <summary>The mean over axis 1; with a mask, the sum of the unmasked steps over their count.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        if (call.MaskOf(0) is not { } mask) return [Ops.Mean(x, [1], KeepDims)];
        var weights = Ops.Cast(mask, DType.Float32);
        if (weights.Rank == 2) weights = Ops.ExpandDims(weights, 2);
        return [Ops.Divide(Ops.Sum(Ops.Multiply(x, weights), [1], KeepDims), Ops.Sum(weights, [1], KeepDims))];
    }

    /// <summary>Keras's <c>GlobalAveragePooling1D</c> config (see <see cref="GlobalPooling1D.KindOf"/>).</summary>
    public static LayerKind Kind { get; } = KindOf("GlobalAveragePooling1D", (keepDims, id, name) => new GlobalAveragePooling1D(keepDims) { Id = id, Name = name });
}
