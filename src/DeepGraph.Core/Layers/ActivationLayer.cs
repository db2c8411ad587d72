namespace DeepGraph.Core;

/// <summary>
/// What Keras's activation layers written over ops share (ReLU, LeakyReLU, ELU, ThresholdedReLU): one input,
/// an output of its shape, and the input's mask passed on (Keras's <c>supports_masking</c>).
/// </summary>
public abstract record ActivationLayer : OpLayer
{
    /// <summary>An activation layer passes its input's mask on.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];
}
