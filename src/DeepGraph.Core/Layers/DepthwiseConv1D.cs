using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>DepthwiseConv1D</c> (TF.js has none): input (batch, steps, channels) → (batch, steps', channels·M),
/// a <see cref="DepthwiseConv2D"/> over (batch, 1, steps, channels); output channel c·M + m comes from
/// <c>depthwise_kernel[:, c, m]</c>. Weights: depthwise_kernel (k, channels, M), bias (channels·M).
/// </summary>
public sealed record DepthwiseConv1D : Planar1D
{
    /// <summary>A depthwise 1-D convolution with <paramref name="depthMultiplier"/> output channels per input channel.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public DepthwiseConv1D(int kernelSize, int strides = 1, Padding? padding = null, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, int dilationRate = 1)
        : base(kernelSize, strides, activation, useBias, dilationRate)
    {
        Padding = padding ?? Padding.Valid;
        DepthMultiplier = depthMultiplier;
        Planar();
    }

    /// <summary><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; }

    /// <summary>Output channels per input channel (M).</summary>
    public int DepthMultiplier { get; }

    /// <inheritdoc/>
    public override string ClassName => "DepthwiseConv1D";

    /// <summary>The depthwise kernel, (k, channels, M); null until built.</summary>
    public Tensor? DepthwiseKernel => IsBuilt ? WeightNamed("depthwise_kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("depthwise_kernel", true), ("bias", true)] : [("depthwise_kernel", true)];

    /// <inheritdoc/>
    private protected override WeightedLayer Planar() =>
        new DepthwiseConv2D((1, KernelSize), (1, Strides), Padding, DepthMultiplier, Activation, UseBias, (1, DilationRate)) { Id = Id, Name = Name, Trainable = Trainable };

    /// <summary>
    /// Keras's <c>DepthwiseConv1D</c> config: <c>kernel_size</c>, <c>strides</c>, <c>padding</c>, <c>depth_multiplier</c>,
    /// <c>dilation_rate</c>, <c>activation</c>, <c>use_bias</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<DepthwiseConv1D>("DepthwiseConv1D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new DepthwiseConv1D(One(c, "kernel_size"), One(c, "strides", 1), Padding.Parse(c.OptionalString("padding", "valid")!), c.Int("depth_multiplier", 1),
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), One(c, "dilation_rate", 1)) { Id = id, Name = name };
        },
        l =>
        {
            var config = CommonConfig(l, new JsonObject(), l.Padding.KerasName);
            config["depth_multiplier"] = l.DepthMultiplier;
            config["depthwise_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return SpatialConv.NoRegularizers(config, "depthwise", "bias");
        });
}
