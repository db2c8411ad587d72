namespace DeepGraph.Core;

/// <summary>
/// A merge layer written over ops: combines 2 or more tensors of one shape elementwise by folding
/// a binary op over them (Keras's <c>Maximum</c>, <c>Minimum</c>, <c>Average</c>). Shapes follow
/// Keras's <c>_Merge</c>, as <see cref="ElementwiseMerge"/>'s do.
/// </summary>
public abstract record OpMerge : OpLayer
{
    /// <summary>Combines two values (the running result and the next input).</summary>
    protected abstract Var Combine(Var a, Var b);

    /// <summary>The result from the fold over all inputs; the default returns it unchanged.</summary>
    protected virtual Var Finish(Var folded, int count) => folded;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count < 2)
            throw Error($"A merge layer should be called on a list of at least 2 inputs. Got {inputs.Count} inputs.");
        var first = inputs[0];
        foreach (var other in inputs.Skip(1))
            if (!first.WithoutBatch.IsCompatibleWith(other.WithoutBatch))
                throw Error($"Inputs have incompatible shapes. Received shapes {first} and {other}");
        // Where one input leaves a dimension unknown, another may know it.
        var dims = first.ToNullableArray();
        foreach (var other in inputs)
            for (int a = 0; a < dims.Length; a++) dims[a] ??= other[a];
        if (inputs[0].Rank > 0 && inputs.Any(s => s[0] is { } b && dims[0] is { } d && b != d))
            throw Error($"Inputs have incompatible batch sizes: {string.Join(", ", inputs)}");
        base.InferShapes(inputs); // the ops' own shape checks
        return [Shape.Of(dims)];
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
