namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// 1-D convolution over (batch, steps, channels) → (batch, steps', filters) (Keras's <c>Conv1D</c>).
    /// <paramref name="padding"/> is <c>valid</c>, <c>same</c> or <c>causal</c> ((k − 1)·dilation zeros before the sequence: step t sees only steps ≤ t).
    /// </summary>
    /// <param name="filters">Output channels.</param>
    /// <param name="kernelSize">Kernel length.</param>
    /// <param name="strides">Stride along the steps.</param>
    /// <param name="padding"><c>valid</c>, <c>same</c> or <c>causal</c>.</param>
    /// <param name="activation">The activation applied to the output (over its last axis); linear when null.</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="dilationRate">Dilation along the steps.</param>
    /// <param name="name">The layer's name; a unique one is made when null.</param>
    /// <param name="inputShape">The input shape without the batch, for a first layer.</param>
    /// <param name="dataFormat"><c>channels_last</c> (the default): input (batch, steps, channels); <c>channels_first</c>: input
    /// (batch, channels, steps) → (batch, filters, steps'). The kernel is (kernelSize, channels, filters) either way.</param>
    /// <exception cref="ArgumentException">An argument is out of range, the padding, the data format or the activation unknown.</exception>
    public static Layer Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", string? activation = null,
        bool useBias = true, int dilationRate = 1, string? name = null, int[]? inputShape = null, string dataFormat = "channels_last")
    {
        if (dataFormat is not ("channels_last" or "channels_first"))
            throw new ArgumentException($"The `data_format` argument must be one of \"channels_first\", \"channels_last\". Received: {dataFormat}", nameof(dataFormat));
        return Make(name, inputShape, id => new Core.Conv1D(filters, kernelSize, strides, padding, Core.ActivationFunction.Parse(activation), useBias, dilationRate,
            dataFormat == "channels_first") { Id = id, Name = "" });
    }

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
