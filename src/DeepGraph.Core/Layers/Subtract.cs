namespace DeepGraph.Core;

/// <summary>Keras's <c>Subtract</c>: the first of exactly two same-shape tensors minus the second (TF.js has no such layer).</summary>
/// <example><code>new Subtract { Id = id, Name = "subtract" }</code></example>
public sealed record Subtract : OpMerge
{
    /// <inheritdoc/>
    public override string ClassName => "Subtract";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 2)
            throw Error($"A `Subtract` layer should be called on exactly 2 inputs. Received: {inputs.Count} inputs ({string.Join(", ", inputs)}).");
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override Var Combine(Var a, Var b) => a - b;

    /// <summary>Keras's <c>Subtract</c> config: no keys of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Subtract>("Subtract", (_, id, name) => new Subtract { Id = id, Name = name }, _ => []);
}
