namespace DeepGraph.Core;

/// <summary>
/// The code of a layer written outside DeepGraph (a user's subclass of the facade's custom layer
/// base): its class name, its configuration, the weights it declares for its input shapes, and its
/// computation over ops. <see cref="UserLayer"/> wraps it as a layer record.
/// </summary>
/// <remarks>
/// The contract that keeps the record a value: <see cref="Call"/> is a function of its inputs and
/// of the weights it is given (nothing else it reads changes between calls), <see cref="Build"/>
/// declares the same weights every time it is asked for the same shapes, and <see cref="Config"/>
/// describes the code entirely (two codes of one class and one config compute the same function).
/// </remarks>
public interface ILayerCode
{
    /// <summary>The class name the summary prints and the file records (<c>MyDense</c>).</summary>
    string ClassName { get; }

    /// <summary>The configuration as canonical JSON text (an object): what equality compares and what a file stores.</summary>
    string Config { get; }

    /// <summary>The weights already declared, in declaration order; null before <see cref="Build"/> ran.</summary>
    IReadOnlyList<WeightSpec>? Declared { get; }

    /// <summary>Declares the weights for inputs of shapes <paramref name="inputs"/> (once: later calls return the first declaration).</summary>
    /// <exception cref="ShapeError">The code cannot take these shapes.</exception>
    IReadOnlyList<WeightSpec> Build(IReadOnlyList<Shape> inputs);

    /// <summary>The outputs from <paramref name="inputs"/> and <paramref name="call"/>'s weights (in declaration order).</summary>
    IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs);
}

/// <summary>
/// A layer record around user code (<see cref="ILayerCode"/>): an <see cref="OpLayer"/>, so its
/// output shapes come from a symbolic run of the code, its backward pass from the tape. It is a
/// value like every record: equal when class, name, trainability, configuration and weights are
/// equal, whichever code object computes it.
/// </summary>
public sealed record UserLayer : OpLayer
{
    /// <summary>A record around <paramref name="code"/>; its weights are made when it is built.</summary>
    public UserLayer(ILayerCode code) => Code = code ?? throw new ArgumentNullException(nameof(code));

    /// <summary>The user's code.</summary>
    public ILayerCode Code { get; }

    /// <inheritdoc/>
    public override string ClassName => Code.ClassName;

    /// <summary>The configuration, canonical JSON text.</summary>
    public string Config => Code.Config;

    /// <inheritdoc/>
    public override bool IsBuilt => Params.Count > 0 || Code.Declared is { Count: 0 };

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        Code.Declared is { } declared ? [.. declared.Select(s => (s.Role, s.Trainable))] : [];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) => Code.Declared ?? Code.Build(inputs);

    /// <inheritdoc/>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var outputs = Code.Call(call, inputs)
            ?? throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) returned no outputs from its Call.");
        if (outputs.Count == 0)
            throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) returned no outputs from its Call.");
        foreach (var v in outputs)
            if (v is null || !ReferenceEquals(v.Tape, call.Tape))
                throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) returned {(v is null ? "null" : "a var of another tape")} from its Call: " +
                    "a layer's outputs must be computed with Ops from its inputs and weights.");
        return outputs;
    }

    /// <summary>Value equality: class, name, trainability, configuration and weights (not the code object).</summary>
    public bool Equals(UserLayer? other) =>
        base.Equals(other) && ClassName == other.ClassName && Config == other.Config;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), ClassName);
}
