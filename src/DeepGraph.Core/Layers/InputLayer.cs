namespace DeepGraph.Core;

/// <summary>
/// The source of a model's input tensor (Keras's <c>InputLayer</c>, made by <c>Input(shape)</c>).
/// It takes no inputs and produces one tensor of <see cref="BatchShape"/>.
/// </summary>
public sealed record InputLayer(Shape BatchShape) : Layer
{
    /// <inheritdoc/>
    public override string ClassName => "InputLayer";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 0)
            throw Error($"is an input layer and cannot be called on tensors; received {inputs.Count}.");
        return [Fits(BatchShape, "an input")];
    }

    /// <summary>Never called: the executor binds input layers to the model's inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        throw new InvalidOperationException($"Input layer \"{Name}\" is bound to a model input, not run.");
}
