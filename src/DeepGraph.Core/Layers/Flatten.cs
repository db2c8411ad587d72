using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Flatten</c>: every axis after the batch folded into one.
/// Input (batch, d1, …, dn) → output (batch, d1·…·dn); the product is unknown (<c>None</c>)
/// when any dᵢ is, and an input of rank 1 (batch only) gives (batch, 1).
/// </summary>
/// <example><code>new Flatten { Id = id, Name = "flatten" }   // (None, 7, 7, 64) → (None, 3136)</code></example>
public sealed record Flatten : Layer
{
    /// <inheritdoc/>
    public override string ClassName => "Flatten";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 1);
        long? product = x.Product(1);
        if (product > int.MaxValue)
            throw Error($"would produce {product} features per sample, more than a tensor axis can hold. Input shape {x}.");
        return [Shape.Of(x[0], (int?)product)];
    }

    /// <inheritdoc/>
    public override bool ForwardIsView(ForwardContext context) => true;

    /// <summary>Never called: a flattened tensor is a view of its input.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        inputs[0].Span.CopyTo(outputs[0].Data);

    /// <summary>Adds the output gradient, in the input's shape (same values in the same order), to the input gradient.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, args.OutputGrads[0].Span, dx.Data);
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Flatten</c> config: nothing of its own (channels-last only).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Flatten>("Flatten",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new Flatten { Id = id, Name = name };
        },
        _ => []);
}
