namespace DeepGraph.Core;

/// <summary>
/// What Keras's activation layers written over ops share (ReLU, LeakyReLU, ELU, ThresholdedReLU): one input,
/// an output of its shape, and the input's mask passed on (Keras's <c>supports_masking</c>). When a layer's
/// config is one of the <see cref="ActivationFunction"/> kernels (<c>ReLU()</c>, <c>ReLU(max_value=6)</c>,
/// <c>ELU(alpha=1)</c>) it runs that kernel directly, as the Activation layer does, rather than through the op tape:
/// the same values, without the tape's copies.
/// </summary>
public abstract record ActivationLayer : OpLayer
{
    /// <summary>The kernel that computes this layer, if its config is one; null to run <see cref="OpLayer.Call"/>.</summary>
    protected virtual ActivationFunction? Kernel => null;

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (Kernel is { } f) FusedActivation.Forward(f, inputs[0], outputs[0]);
        else base.Forward(context, inputs, outputs);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (Kernel is null) return base.ForwardTrain(context, inputs, outputs);
        Forward(context, inputs, outputs);
        return [];
    }

    /// <inheritdoc/>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (Kernel is { } f) FusedActivation.AddGradient(f, context, args);
        else base.Backward(context, args);
    }
    /// <summary>An activation layer passes its input's mask on.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];
}
