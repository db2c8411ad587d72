using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv1DTranspose</c> (TF.js has none): input (batch, steps, channels) → (batch, steps', filters),
/// a <see cref="Conv2DTranspose"/> over (batch, 1, steps, channels). Steps' as Keras's
/// <c>deconv_output_length</c>: without <c>output_padding</c>, <c>valid</c> n·s + max(k − s, 0), <c>same</c> n·s.
/// Weights: kernel (k, filters, channels) — output channels before input — and bias (filters).
/// </summary>
public sealed record Conv1DTranspose : Planar1D
{
    /// <summary>A transposed 1-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range (an output padding must be smaller than the stride).</exception>
    public Conv1DTranspose(int filters, int kernelSize, int strides = 1, Padding? padding = null, int? outputPadding = null,
        ActivationFunction? activation = null, bool useBias = true, int dilationRate = 1)
        : base(kernelSize, strides, activation, useBias, dilationRate)
    {
        Filters = filters;
        Padding = padding ?? Padding.Valid;
        OutputPadding = outputPadding;
        Planar();
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; }

    /// <summary>Extra steps at the end of the output (smaller than the stride); null (Keras's None) for the default length.</summary>
    public int? OutputPadding { get; }

    /// <inheritdoc/>
    public override string ClassName => "Conv1DTranspose";

    /// <summary>The kernel, (k, filters, channels); null until built.</summary>
    public Tensor? Kernel => IsBuilt ? WeightNamed("kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    /// <inheritdoc/>
    private protected override WeightedLayer Planar()
    {
        // The 2-D layer validates the arguments; its messages name them as pairs (1, value).
        if (OutputPadding is int q && (q < 0 || q >= Strides))
            throw new ArgumentException($"Strides must be greater than output padding. Received strides=({Strides},), output_padding=({q},).");
        return new Conv2DTranspose(Filters, (1, KernelSize), (1, Strides), Padding, OutputPadding is int p ? (0, p) : null, Activation, UseBias, (1, DilationRate))
            { Id = Id, Name = Name, Trainable = Trainable };
    }

    /// <summary>
    /// Keras's <c>Conv1DTranspose</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c>,
    /// <c>output_padding</c>, <c>dilation_rate</c>, <c>activation</c>, <c>use_bias</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Conv1DTranspose>("Conv1DTranspose",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            int? outputPadding = c.Has("output_padding") ? One(c, "output_padding") : null;
            return new Conv1DTranspose(c.Int("filters"), One(c, "kernel_size"), One(c, "strides", 1), Padding.Parse(c.OptionalString("padding", "valid")!), outputPadding,
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), One(c, "dilation_rate", 1)) { Id = id, Name = name };
        },
        l =>
        {
            var config = CommonConfig(l, new JsonObject { ["filters"] = l.Filters }, l.Padding.KerasName);
            config["output_padding"] = l.OutputPadding is int q ? new JsonArray(q) : null;
            config["kernel_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return SpatialConv.NoRegularizers(config, "kernel", "bias");
        });
}
