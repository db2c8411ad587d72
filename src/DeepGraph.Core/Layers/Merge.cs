using System.Text.Json.Nodes;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>A layer that combines two or more tensors of one shape elementwise (Keras's <c>_Merge</c>: Add, Multiply).</summary>
public abstract record ElementwiseMerge : Layer
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

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs) => [Merged(inputs, Error)];

    /// <summary>
    /// Keras's <c>_Merge</c> shape rule: 2 or more inputs whose shapes agree after the batch; where one input
    /// leaves a dimension unknown, another may know it.
    /// </summary>
    /// <exception cref="ShapeError">Fewer than 2 inputs, or shapes that differ (made by <paramref name="error"/>, which names the layer).</exception>
    internal static Shape Merged(IReadOnlyList<Shape> inputs, Func<string, ShapeError> error)
    {
        if (inputs.Count < 2)
            throw error($"A merge layer should be called on a list of at least 2 inputs. Got {inputs.Count} inputs.");
        var first = inputs[0];
        foreach (var other in inputs.Skip(1))
        {
            if (!first.WithoutBatch.IsCompatibleWith(other.WithoutBatch))
                throw error($"Inputs have incompatible shapes. Received shapes {first} and {other}");
        }
        var dims = first.ToNullableArray();
        foreach (var other in inputs)
            for (int a = 0; a < dims.Length; a++) dims[a] ??= other[a];
        return Shape.Of(dims);
    }
}

/// <summary>Keras's <c>Add</c>: the elementwise sum of 2 or more same-shape tensors.</summary>
public sealed record Add : ElementwiseMerge
{
    /// <summary>The sum of the inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var y = outputs[0].Data.AsSpan();
        TensorPrimitives.Add(inputs[0].Span, inputs[1].Span, y);
        for (int i = 2; i < inputs.Count; i++) TensorPrimitives.Add(y, inputs[i].Span, y);
    }

    /// <summary>Each input's gradient is the output's: adds it to every input gradient asked for.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var dy = args.OutputGrads[0].Span;
        foreach (var dx in args.InputGrads)
            if (dx is not null) TensorPrimitives.Add(dx.Span, dy, dx.Data);
    }

    /// <inheritdoc/>
    public override string ClassName => "Add";

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Add</c> config: nothing of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Add>("Add", (_, id, name) => new Add { Id = id, Name = name }, _ => []);
}

/// <summary>Keras's <c>Multiply</c>: the elementwise product of 2 or more same-shape tensors.</summary>
public sealed record Multiply : ElementwiseMerge
{
    /// <summary>The product of the inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var y = outputs[0].Data.AsSpan();
        TensorPrimitives.Multiply(inputs[0].Span, inputs[1].Span, y);
        for (int i = 2; i < inputs.Count; i++) TensorPrimitives.Multiply(y, inputs[i].Span, y);
    }

    /// <summary>
    /// Adds to input k's gradient the output gradient times the product of the other inputs
    /// (formed without dividing, so zeros in the inputs are no trouble).
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var inputs = args.Inputs;
        var dy = args.OutputGrads[0].Span;
        float[]? rented = null;
        for (int k = 0; k < inputs.Count; k++)
        {
            if (args.InputGrads[k] is not { } dx) continue;
            if (inputs.Count == 2)
            {
                TensorPrimitives.FusedMultiplyAdd(dy, inputs[1 - k].Span, dx.Span, dx.Data);
                continue;
            }
            rented ??= context.Pool.Rent(dy.Length);
            var product = rented.AsSpan();
            bool started = false;
            for (int j = 0; j < inputs.Count; j++)
            {
                if (j == k) continue;
                if (started) TensorPrimitives.Multiply(product, inputs[j].Span, product);
                else TensorPrimitives.Multiply(dy, inputs[j].Span, product);
                started = true;
            }
            TensorPrimitives.Add(dx.Span, product, dx.Data);
        }
        if (rented is not null) context.Pool.Return(rented);
    }

    /// <inheritdoc/>
    public override string ClassName => "Multiply";

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Multiply</c> config: nothing of its own.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Multiply>("Multiply", (_, id, name) => new Multiply { Id = id, Name = name }, _ => []);
}
