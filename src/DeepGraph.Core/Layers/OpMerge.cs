namespace DeepGraph.Core;

/// <summary>
/// A merge layer written over ops: combines 2 or more tensors of one shape elementwise by folding
/// a binary op over them (Keras's <c>Maximum</c>, <c>Minimum</c>, <c>Average</c>). Shapes follow
/// Keras's <c>_Merge</c>, as <see cref="ElementwiseMerge"/>'s do.
/// </summary>
public abstract record OpMerge : OpLayer
{
    /// <summary>Keras's merges: the output keeps the steps every input's mask keeps (inputs without a mask keep all).</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outputs);
        return Masks.ForEach(Masks.All(context.InputMasks), outputs.Count);
    }

    /// <summary>Combines two values (the running result and the next input).</summary>
    protected abstract Var Combine(Var a, Var b);

    /// <summary>The result from the fold over all inputs; the default returns it unchanged.</summary>
    protected virtual Var Finish(Var folded, int count) => folded;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var merged = ElementwiseMerge.Merged(inputs, Error);
        if (merged.Rank > 0 && merged[0] is { } batch && inputs.Any(s => s[0] is { } b && b != batch))
            throw Error($"Inputs have incompatible batch sizes: {string.Join(", ", inputs)}");
        base.InferShapes(inputs); // the ops' own shape checks
        return [merged];
    }

    /// <summary>The fold of <see cref="Combine"/> over the inputs, then <see cref="Finish"/>.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var y = inputs[0];
        for (int i = 1; i < inputs.Count; i++) y = Combine(y, inputs[i]);
        return [Finish(y, inputs.Count)];
    }
}

/// <summary>Keras's <c>Maximum</c>: the elementwise maximum of 2 or more same-shape tensors (the gradient goes where the maximum was taken).</summary>
public sealed record Maximum : OpMerge
{
    /// <inheritdoc/>
    public override string ClassName => "Maximum";

    /// <summary>Keras's <c>Maximum</c> config: no keys of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Maximum>("Maximum", (_, id, name) => new Maximum { Id = id, Name = name }, _ => []);

    /// <inheritdoc/>
    protected override Var Combine(Var a, Var b) => Ops.Maximum(a, b);
}

/// <summary>Keras's <c>Minimum</c>: the elementwise minimum of 2 or more same-shape tensors (the gradient goes where the minimum was taken).</summary>
public sealed record Minimum : OpMerge
{
    /// <inheritdoc/>
    public override string ClassName => "Minimum";

    /// <summary>Keras's <c>Minimum</c> config: no keys of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Minimum>("Minimum", (_, id, name) => new Minimum { Id = id, Name = name }, _ => []);

    /// <inheritdoc/>
    protected override Var Combine(Var a, Var b) => Ops.Minimum(a, b);
}

/// <summary>Keras's <c>Average</c>: the elementwise mean of 2 or more same-shape tensors.</summary>
public sealed record Average : OpMerge
{
    /// <inheritdoc/>
    public override string ClassName => "Average";

    /// <summary>Keras's <c>Average</c> config: no keys of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Average>("Average", (_, id, name) => new Average { Id = id, Name = name }, _ => []);

    /// <inheritdoc/>
    protected override Var Combine(Var a, Var b) => a + b;

    /// <inheritdoc/>
    protected override Var Finish(Var folded, int count) => folded * (1f / count);
}
