namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// 1-D convolution over (batch, steps, channels) → (batch, steps', filters) (Keras's <c>Conv1D</c>).
    /// <paramref name="padding"/> is <c>valid</c>, <c>same</c> or <c>causal</c> ((k − 1)·dilation zeros before the sequence: step t sees only steps ≤ t).
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null,
        bool useBias = true, int dilationRate = 1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Conv1D(filters, kernelSize, strides, padding, Core.ActivationFunction.Parse(activation), useBias, dilationRate) { Id = id, Name = "" });

    /// <summary>
    /// Transposed 1-D convolution (Keras's <c>Conv1DTranspose</c>): (batch, steps, channels) → (batch, steps·strides (same) or
    /// steps·strides + max(k − strides, 0) (valid), filters); <paramref name="outputPadding"/> adds steps at the end (less than the stride).
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer Conv1DTranspose(int filters, int kernelSize, int strides = 1, string padding = "valid", int? outputPadding = null, string? activation = null,
        bool useBias = true, int dilationRate = 1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Conv1DTranspose(filters, kernelSize, strides, Core.Padding.Parse(padding), outputPadding, Core.ActivationFunction.Parse(activation), useBias, dilationRate) { Id = id, Name = "" });

    /// <summary>
    /// Transposed 2-D convolution (Keras's <c>Conv2DTranspose</c>, the "deconvolution" of decoders): (batch, h, w, channels) →
    /// (batch, h·sh, w·sw, filters) with <c>same</c> padding; kernel (kh, kw, filters, channels).
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer Conv2DTranspose(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", Size2? outputPadding = null,
        string? activation = null, bool useBias = true, Size2? dilationRate = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Conv2DTranspose(filters, kernelSize.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding), outputPadding?.ToTuple(),
            Core.ActivationFunction.Parse(activation), useBias, dilationRate?.ToTuple()) { Id = id, Name = "" });

    /// <summary>
    /// Depthwise 2-D convolution (Keras's <c>DepthwiseConv2D</c>): each input channel convolved with its own
    /// <paramref name="depthMultiplier"/> kernels: (batch, h, w, c) → (batch, h', w', c·depthMultiplier).
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer DepthwiseConv2D(Size2 kernelSize, Size2? strides = null, string padding = "valid", int depthMultiplier = 1, string? activation = null,
        bool useBias = true, Size2? dilationRate = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.DepthwiseConv2D(kernelSize.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding), depthMultiplier,
            Core.ActivationFunction.Parse(activation), useBias, dilationRate?.ToTuple()) { Id = id, Name = "" });

    /// <summary>Depthwise 1-D convolution (Keras's <c>DepthwiseConv1D</c>): (batch, steps, c) → (batch, steps', c·depthMultiplier).</summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer DepthwiseConv1D(int kernelSize, int strides = 1, string padding = "valid", int depthMultiplier = 1, string? activation = null,
        bool useBias = true, int dilationRate = 1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.DepthwiseConv1D(kernelSize, strides, Core.Padding.Parse(padding), depthMultiplier, Core.ActivationFunction.Parse(activation), useBias, dilationRate) { Id = id, Name = "" });

    /// <summary>
    /// Depthwise-separable 2-D convolution (Keras's <c>SeparableConv2D</c>): a depthwise convolution, then a 1×1
    /// convolution to <paramref name="filters"/> channels, + bias, activation.
    /// </summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer SeparableConv2D(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", Size2? dilationRate = null,
        int depthMultiplier = 1, string? activation = null, bool useBias = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.SeparableConv2D(filters, kernelSize.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding), depthMultiplier,
            Core.ActivationFunction.Parse(activation), useBias, dilationRate?.ToTuple()) { Id = id, Name = "" });

    /// <summary>Depthwise-separable 1-D convolution (Keras's <c>SeparableConv1D</c>): a depthwise 1-D convolution, then a pointwise one to <paramref name="filters"/> channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range, the padding or the activation unknown.</exception>
    public static Layer SeparableConv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", int dilationRate = 1,
        int depthMultiplier = 1, string? activation = null, bool useBias = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.SeparableConv1D(filters, kernelSize, strides, Core.Padding.Parse(padding), depthMultiplier, Core.ActivationFunction.Parse(activation), useBias, dilationRate) { Id = id, Name = "" });
}
