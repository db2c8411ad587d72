namespace DeepGraph.Core;

/// <summary>What a layer needs of one weight to build it: role, shape, trainability and initializer.</summary>
public sealed record WeightSpec(string Role, Shape Shape, bool Trainable, Initializer Initializer);

/// <summary>
/// A layer that owns weights (Dense, Conv2D, BatchNormalization). The weights live in the
/// record as <see cref="Params"/>, in the order of <see cref="Specs"/>; a new value is a new
/// record (<c>layer with { Params = … }</c>).
/// </summary>
public abstract record WeightedLayer : Layer
{
    /// <summary>The weight values in <see cref="Specs"/> order; empty until built.</summary>
    public EquatableArray<Tensor> Params { get; init; } = EquatableArray<Tensor>.Empty;

    /// <inheritdoc/>
    public override bool IsBuilt => Params.Count > 0;

    /// <summary>The weights this layer needs for inputs of shapes <paramref name="inputs"/> (shapes already validated).</summary>
    protected abstract IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs);

    /// <summary>The roles and trainability of the weights, in order, independent of input shapes.</summary>
    protected abstract IReadOnlyList<(string Role, bool Trainable)> Roles { get; }

    /// <summary>The built weight of role <paramref name="role"/> (<c>kernel</c>, <c>moving_mean</c> …): what a layer's named accessors return.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or has no weight of that role.</exception>
    protected Tensor WeightNamed(string role)
    {
        if (!IsBuilt)
            throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) is not built: it has no weight '{role}' yet. Call it on a tensor or build it first.");
        var roles = Roles;
        for (int i = 0; i < roles.Count; i++)
            if (roles[i].Role == role) return Params[i];
        throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) has no weight '{role}'; its weights are {string.Join(", ", roles.Select(r => r.Role))}.");
    }

    /// <summary><see cref="Params"/> with the weights of the given roles replaced, for <c>this with { Params = … }</c>.</summary>
    /// <exception cref="InvalidOperationException">The layer is not built, or has no weight of a role given.</exception>
    protected EquatableArray<Tensor> ParamsWith(params (string Role, Tensor Value)[] weights)
    {
        var values = Params.ToArray();
        var roles = Roles;
        foreach (var (role, value) in weights)
        {
            WeightNamed(role);
            int i = 0;
            while (roles[i].Role != role) i++;
            values[i] = value;
        }
        return EquatableArray.Of(values);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Weight> Weights =>
        IsBuilt ? [.. Roles.Select((r, i) => new Weight(r.Role, Params[i], r.Trainable && Trainable))] : [];

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var outputs = InferShapes(inputs);
        if (IsBuilt) CheckWeights(inputs);
        return outputs;
    }

    /// <summary>Output shapes from input shapes, validating the configuration against them.</summary>
    protected abstract IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs);

    /// <summary>
    /// The weights a call on inputs of shapes <paramref name="inputs"/> needs — role, shape,
    /// trainability, initializer — without making them (a loader fills them from a file).
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take these shapes.</exception>
    public IReadOnlyList<WeightSpec> WeightSpecs(IReadOnlyList<Shape> inputs)
    {
        InferShapes(inputs);
        return CheckedSpecs(inputs);
    }

    /// <summary><see cref="Specs"/>, each weight checked to fit one tensor.</summary>
    /// <exception cref="ShapeError">A weight would hold more than <see cref="TensorLimits.MaxElements"/> values; the message names the layer, the weight, its shape and bytes.</exception>
    private IReadOnlyList<WeightSpec> CheckedSpecs(IReadOnlyList<Shape> inputs)
    {
        var specs = Specs(inputs);
        foreach (var spec in specs)
            if (spec.Shape.Product() is long n && n > TensorLimits.MaxElements)
                throw Error($"would need weight '{spec.Role}' of shape {spec.Shape}: {TensorLimits.Describe(n)}, more than one tensor can hold ({TensorLimits.MaxElements:N0} values). Input shape {string.Join(", ", inputs)}.");
        return specs;
    }

    /// <inheritdoc/>
    public override Layer Build(IReadOnlyList<Shape> inputs, int seed)
    {
        InferShapes(inputs);
        if (IsBuilt)
        {
            CheckWeights(inputs);
            return this;
        }
        var specs = CheckedSpecs(inputs);
        var values = specs.Select((s, i) => s.Initializer.Create(s.Shape.ToArray(), Seeds.Derive(seed, i)));
        return this with { Params = EquatableArray.Of(values) };
    }

    /// <summary>Checks the built weights against what <paramref name="inputs"/> need.</summary>
    /// <exception cref="ShapeError">A weight has another shape than the inputs need.</exception>
    protected virtual void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        var specs = Specs(inputs);
        for (int i = 0; i < specs.Count; i++)
        {
            if (i >= Params.Count || Params[i].Shape != specs[i].Shape)
                throw Error($"is built with weight '{specs[i].Role}' of shape {(i < Params.Count ? Params[i].Shape : "none")}, but input shape {string.Join(", ", inputs)} needs {specs[i].Shape}.");
        }
    }

    /// <summary>Value equality: configuration (derived records) and weights.</summary>
    public virtual bool Equals(WeightedLayer? other) => base.Equals(other) && Params == other.Params;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Params.Count);
}
