using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>SeparableConv1D</c> (TF.js has none): a depthwise 1-D convolution (strides, padding,
/// dilation, no bias) then a pointwise one to <see cref="Filters"/> channels, + bias, activation;
/// a <see cref="SeparableConv2D"/> over (batch, 1, steps, channels).
/// Weights: depthwise_kernel (k, channels, M), pointwise_kernel (1, channels·M, filters), bias (filters).
/// </summary>
public sealed record SeparableConv1D : Planar1D
{
    /// <summary>A separable 1-D convolution to <paramref name="filters"/> channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    public SeparableConv1D(int filters, int kernelSize, int strides = 1, Padding? padding = null, int depthMultiplier = 1,
        ActivationFunction? activation = null, bool useBias = true, int dilationRate = 1)
        : base(kernelSize, strides, activation, useBias, dilationRate)
    {
        Filters = filters;
        Padding = padding ?? Padding.Valid;
        DepthMultiplier = depthMultiplier;
        Planar();
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; }

    /// <summary>Depthwise output channels per input channel (M).</summary>
    public int DepthMultiplier { get; }

    /// <inheritdoc/>
    public override string ClassName => "SeparableConv1D";

    /// <summary>The depthwise kernel, (k, channels, M); null until built.</summary>
    public Tensor? DepthwiseKernel => IsBuilt ? WeightNamed("depthwise_kernel") : null;

    /// <summary>The pointwise kernel, (1, channels·M, filters); null until built.</summary>
    public Tensor? PointwiseKernel => IsBuilt ? WeightNamed("pointwise_kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("depthwise_kernel", true), ("pointwise_kernel", true), ("bias", true)] : [("depthwise_kernel", true), ("pointwise_kernel", true)];

    /// <inheritdoc/>
    private protected override WeightedLayer Planar() =>
        new SeparableConv2D(Filters, (1, KernelSize), (1, Strides), Padding, DepthMultiplier, Activation, UseBias, (1, DilationRate)) { Id = Id, Name = Name, Trainable = Trainable };

    /// <summary>
    /// Keras's <c>SeparableConv1D</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>,
    /// <c>dilation_rate</c>, <c>depth_multiplier</c>, <c>activation</c>, <c>use_bias</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<SeparableConv1D>("SeparableConv1D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new SeparableConv1D(c.Int("filters"), One(c, "kernel_size"), One(c, "strides", 1), Padding.Parse(c.OptionalString("padding", "valid")!), c.Int("depth_multiplier", 1),
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), One(c, "dilation_rate", 1)) { Id = id, Name = name };
        },
        l =>
        {
            var config = CommonConfig(l, new JsonObject { ["filters"] = l.Filters }, l.Padding.KerasName);
            config["depth_multiplier"] = l.DepthMultiplier;
            config["depthwise_initializer"] = LayerConfig.GlorotUniform();
            config["pointwise_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return SpatialConv.NoRegularizers(config, "depthwise", "pointwise", "bias");
        });
}
