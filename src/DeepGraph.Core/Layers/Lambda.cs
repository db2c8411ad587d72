using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Lambda</c>: a function over <see cref="Ops"/> as a layer without weights. Its output
/// shape comes from running the function on a symbolic tape, its backward pass from the tape.
/// </summary>
/// <remarks>
/// A function is not data: a file can name it but not hold it. A Lambda is saved as the name its
/// function is registered under (<see cref="KindFor"/>), and a loader finds the function registered
/// under that name; a Lambda of an unregistered function cannot be saved.
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
    /// Value equality: name, trainability and the function as the user gave it (delegates are
    /// equal when they call the same method on the same target, so a Lambda loaded through a
    /// registered function equals the one saved). The registered name is a label, not compared.
    /// </summary>
    public bool Equals(Lambda? other) =>
        base.Equals(other) && SingleInput == other.SingleInput && Source.Equals(other.Source);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), SingleInput);

    /// <summary>
    /// The Lambda kind that knows <paramref name="functions"/> by name (each a <c>Func&lt;Var, Var&gt;</c>
    /// or a <c>Func&lt;IReadOnlyList&lt;Var&gt;, Var&gt;</c>): a Lambda is written as the name of its function
    /// (its <see cref="FunctionName"/>, or the name its <see cref="Source"/> is registered under), and
    /// read back as a Lambda calling the function of that name. Without functions it refuses every
    /// Lambda, saying how to register one. (Lambda declares no static <c>Kind</c>: the default registry
    /// knows no functions, so the facade registers this kind with the functions it is given.)
    /// </summary>
    /// <exception cref="ArgumentException">A function of another delegate type.</exception>
    public static LayerKind KindFor(IReadOnlyDictionary<string, Delegate> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var table = functions.ToDictionary(p => p.Key, p => p.Value switch
        {
            Func<Var, Var> or Func<IReadOnlyList<Var>, Var> => p.Value,
            _ => throw new ArgumentException($"Lambda function '{p.Key}' is a {p.Value?.GetType().Name ?? "null"}; a Lambda's function is a Func<Var, Var> or a Func<IReadOnlyList<Var>, Var>.", nameof(functions)),
        }, StringComparer.Ordinal);
        string Registered() => table.Count == 0 ? "none is registered" : $"registered: {string.Join(", ", table.Keys.Order(StringComparer.Ordinal))}";

        Lambda Read(LayerConfig c, LayerId id, string name)
        {
            if (c["function"] is not JsonValue v || !v.TryGetValue<string>(out var function))
                throw new UnsupportedLayerError($"{c.Where}: Lambda layer \"{name}\" holds its function as {LayerConfig.Text(c["function"])}, which is code (Python bytecode) that DeepGraph cannot run. " +
                    "Write the function over Ops in .NET, register it under a name (LambdaFunctions.Register in the facade) and save the model again from DeepGraph.", name, "Lambda", null);
            if (!table.TryGetValue(function, out var f))
                throw new UnsupportedLayerError($"{c.Where}: Lambda layer \"{name}\" calls function '{function}', which is not registered ({Registered()}). " +
                    $"A file names a Lambda's function but cannot hold its code: register it before loading, LambdaFunctions.Register(\"{function}\", f) in the facade " +
                    "(Keras's custom_objects), or pass Lambda.KindFor with it to the load.", name, "Lambda", null);
            return f is Func<Var, Var> one
                ? new Lambda(inputs => one(inputs[0]), singleInput: true, functionName: function, source: one) { Id = id, Name = name }
                : new Lambda((Func<IReadOnlyList<Var>, Var>)f, singleInput: false, functionName: function) { Id = id, Name = name };
        }

        JsonObject Write(Lambda l)
        {
            var function = l.FunctionName ?? table.FirstOrDefault(p => p.Value.Equals(l.Source)).Key
                ?? throw new ModelFormatError($"Layer \"{l.Name}\" (Lambda) cannot be saved: its function is not registered under a name ({Registered()}), " +
                    "and a file cannot hold code. Register it first with LambdaFunctions.Register(\"name\", f) in the facade (Keras's register_keras_serializable), " +
                    "and again in the program that loads the model.");
            return new JsonObject { ["function"] = function, ["function_type"] = "function", ["output_shape"] = null, ["arguments"] = new JsonObject() };
        }

        return LayerKind.Of<Lambda>("Lambda", Read, Write);
    }
}
