namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Lambda</c>: a function over <see cref="Ops"/> as a layer without weights. Its output
/// shape comes from running the function on a symbolic tape, its backward pass from the tape.
/// </summary>
/// <remarks>
/// A function is not data: a file can name it but not hold it. A Lambda given a
/// <see cref="FunctionName"/> saves that name, and a loader finds the function registered under it;
/// a Lambda without one cannot be saved.
/// </remarks>
public sealed record Lambda : OpLayer
{
    /// <summary>A Lambda computing <paramref name="function"/> of its inputs.</summary>
    /// <param name="function">The computation: one output from the inputs, over ops.</param>
    /// <param name="singleInput">True when the function takes exactly one input (Keras's usual <c>Lambda(lambda x: …)</c>).</param>
    /// <param name="functionName">The name the function is registered under, which a file stores; null for an anonymous function.</param>
    /// <param name="source">The function as the user gave it (a <c>Func&lt;Var, Var&gt;</c> that <paramref name="function"/> wraps), by which a registered function is recognised; <paramref name="function"/> by default.</param>
    /// <exception cref="ArgumentException"><paramref name="functionName"/> is empty or blank.</exception>
    public Lambda(Func<IReadOnlyList<Var>, Var> function, bool singleInput = true, string? functionName = null, Delegate? source = null)
    {
        Function = function ?? throw new ArgumentNullException(nameof(function));
        Source = source ?? function;
        if (functionName is not null && string.IsNullOrWhiteSpace(functionName))
            throw InvalidArgument("function", "a non-empty name of a registered function, or null", $"'{functionName}'");
        SingleInput = singleInput;
        FunctionName = functionName;
    }

    /// <summary>The computation.</summary>
    public Func<IReadOnlyList<Var>, Var> Function { get; }

    /// <summary>The function as the user gave it: what equality compares and a registry recognises.</summary>
    public Delegate Source { get; }

    /// <summary>True when the function takes exactly one input.</summary>
    public bool SingleInput { get; }

    /// <summary>The registered name of the function (saved in place of the function), or null.</summary>
    public string? FunctionName { get; }

    /// <inheritdoc/>
    public override string ClassName => "Lambda";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => [];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) => [];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        if (SingleInput) Single(inputs);
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var output = Function(inputs);
        if (output is null || !ReferenceEquals(output.Tape, call.Tape))
            throw new InvalidOperationException($"Lambda layer \"{Name}\" returned {(output is null ? "null" : "a var of another tape")}: " +
                "its function must compute its output with Ops from the vars it is given.");
        return [output];
    }

    /// <summary>
    /// Value equality: name, trainability and the function — by its registered name when it has
    /// one (a loaded Lambda equals the one saved), else the same delegate.
    /// </summary>
    public bool Equals(Lambda? other) =>
        base.Equals(other) && SingleInput == other.SingleInput && FunctionName == other.FunctionName
        && (FunctionName is not null || Source.Equals(other.Source));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), FunctionName);
}
