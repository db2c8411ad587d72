using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// What Keras's 2-D convolutions share (Conv2D, Conv2DTranspose, DepthwiseConv2D, SeparableConv2D):
/// kernel size, strides, padding, dilation, activation and bias, their validation, the input
/// checks of a channels-last image and the config keys.
/// </summary>
public abstract record SpatialConv : WeightedLayer
{
    /// <summary>Validates and stores the shared arguments.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    protected SpatialConv((int H, int W) kernelSize, (int H, int W)? strides, Padding? padding, ActivationFunction? activation, bool useBias, (int H, int W)? dilationRate)
    {
        KernelSize = kernelSize.H > 0 && kernelSize.W > 0 ? kernelSize : throw InvalidArgument("kernel_size", "positive integers", kernelSize);
        Strides = strides ?? (1, 1);
        if (Strides.H <= 0 || Strides.W <= 0) throw InvalidArgument("strides", "positive integers", Strides);
        Padding = padding ?? Padding.Valid;
        Activation = activation ?? ActivationFunction.Linear;
        UseBias = useBias;
        DilationRate = dilationRate ?? (1, 1);
        if (DilationRate.H <= 0 || DilationRate.W <= 0) throw InvalidArgument("dilation_rate", "positive integers", DilationRate);
        if (DilationRate != (1, 1) && Strides != (1, 1))
            throw new ArgumentException($"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides={Strides} and dilation_rate={DilationRate}");
    }

    /// <summary>Kernel height and width.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Strides along height and width.</summary>
    public (int H, int W) Strides { get; }

    /// <summary><see cref="Padding.Valid"/> or <see cref="Padding.Same"/>.</summary>
    public Padding Padding { get; }

    /// <summary>The activation applied to the output.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>Dilation along height and width.</summary>
    public (int H, int W) DilationRate { get; }

    /// <summary>The bias; null until built or without <see cref="UseBias"/>.</summary>
    public Tensor? Bias => IsBuilt && UseBias ? WeightNamed("bias") : null;

    /// <summary>
    /// The channels a depthwise step makes from <paramref name="channels"/> input channels, each repeated
    /// <paramref name="depthMultiplier"/> times; refused, naming the layer, when the product does not fit a dimension
    /// (a model file may say any multiplier).
    /// </summary>
    /// <exception cref="ShapeError">channels × depth_multiplier exceeds what a tensor axis holds.</exception>
    protected int DepthwiseChannels(int channels, int depthMultiplier)
    {
        long product = (long)channels * depthMultiplier;
        if (product > TensorLimits.MaxElements)
            throw Error($"cannot repeat {channels} input channels {depthMultiplier} times (depth_multiplier): {product:N0} channels are more than a tensor holds ({TensorLimits.MaxElements:N0} values).");
        return (int)product;
    }

    /// <summary>
    /// The single input, checked to be a channels-last image (rank 4, channels known and non-zero)
    /// over which the window (kernel, dilation) can slide.
    /// </summary>
    /// <exception cref="ShapeError">The input is not such an image.</exception>
    protected Shape CheckedImage(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        if (x[3] is null)
            throw Error($"The channel dimension of the inputs should be defined. Found None. Full input shape received: {x}");
        RequireNonEmpty(x, 3, "channels");
        string arguments = $"kernel_size={KernelSize}, dilation_rate={DilationRate}";
        var problem = Padding2D.WindowProblem(x[1], KernelSize.H, DilationRate.H, "height", arguments) ?? Padding2D.WindowProblem(x[2], KernelSize.W, DilationRate.W, "width", arguments);
        if (problem is not null) throw Error(problem + $" Input shape {x}.");
        return x;
    }

    /// <summary>The output of a correlation of this window over image <paramref name="x"/> (Conv2D's rule) with <paramref name="channels"/> output channels.</summary>
    /// <exception cref="ShapeError">With <c>valid</c> padding the kernel is larger than the input.</exception>
    protected Shape CorrelationOutput(Shape x, int channels)
    {
        long kh = Padding2D.EffectiveSize(KernelSize.H, DilationRate.H), kw = Padding2D.EffectiveSize(KernelSize.W, DilationRate.W);
        if (Padding == Padding.Valid && (x[1] < kh || x[2] < kw))
            throw Error($"kernel {KernelSize.H}x{KernelSize.W} is larger than its input {x[1]?.ToString() ?? "None"}x{x[2]?.ToString() ?? "None"} with padding \"valid\": the output would be empty. Input shape {x}.");
        return Fits(Shape.Of(x[0], Padding2D.OutputSize(x[1], kh, Strides.H, Padding), Padding2D.OutputSize(x[2], kw, Strides.W, Padding), channels));
    }

    /// <summary>The window of this layer's correlation over an input of shape <paramref name="input"/> (fully known).</summary>
    protected Window2D WindowOver(Shape input) => Window2D.Of(input, KernelSize, Strides, DilationRate, Padding);

    /// <summary>Checks that the built weights were made for as many input channels as <paramref name="inputs"/> have (Keras's message).</summary>
    /// <exception cref="ShapeError">The channels differ.</exception>
    protected void CheckChannels(IReadOnlyList<Shape> inputs, int built)
    {
        if (inputs[0][3] != built)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis -1 of input shape to have value {built}, but received input with shape {inputs[0]}");
    }

    /// <summary>dZ = dY ⊙ activation′ in dY's buffer (see <see cref="FusedActivation.Gradient"/>), plus the bias gradient Σ rows dZ when asked.</summary>
    internal static float[] PreActivationGradient(ActivationFunction activation, BackwardArgs args, int channels, Tensor? biasGrad)
    {
        var dz = FusedActivation.Gradient(activation, args, channels);
        if (biasGrad is not null) Numerics.Bias.AddColumnSums(dz, biasGrad.Data);
        return dz;
    }

    /// <summary>The config keys the convolutions share, in Keras's order (kernel size to dilation rate), with Keras's defaults for what DeepGraph does not model.</summary>
    internal static JsonObject CommonConfig(SpatialConv layer, JsonObject head)
    {
        head["kernel_size"] = LayerConfig.Pair(layer.KernelSize);
        head["strides"] = LayerConfig.Pair(layer.Strides);
        head["padding"] = layer.Padding.KerasName;
        head["data_format"] = "channels_last";
        head["dilation_rate"] = LayerConfig.Pair(layer.DilationRate);
        head["activation"] = layer.Activation.KerasName;
        head["use_bias"] = layer.UseBias;
        return head;
    }

    /// <summary>Keras's default regularizer and constraint keys (none), written after a layer's initializers.</summary>
    internal static JsonObject NoRegularizers(JsonObject config, params string[] weights)
    {
        foreach (var w in weights)
        {
            config[w + "_regularizer"] = null;
            config[w + "_constraint"] = null;
        }
        config["activity_regularizer"] = null;
        return config;
    }
}
