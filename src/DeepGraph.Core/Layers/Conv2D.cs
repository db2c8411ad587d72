namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv2D</c> (channels-last cross-correlation). Input (batch, h, w, cin) → output
/// (batch, h', w', filters) with, per spatial axis, <c>valid</c>: ⌊(n − k_eff)/s⌋ + 1 and
/// <c>same</c>: ⌈n/s⌉, where k_eff = (k − 1)·dilation + 1. Weights: kernel (kh, kw, cin, filters), bias (filters).
/// </summary>
public sealed record Conv2D : WeightedLayer
{
    /// <summary>A 2-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range or the activation is unknown.</exception>
    public Conv2D(int filters, (int H, int W) kernelSize, (int H, int W)? strides = null, string padding = "valid",
        string? activation = null, bool useBias = true, (int H, int W)? dilationRate = null)
    {
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
        KernelSize = kernelSize.H > 0 && kernelSize.W > 0 ? kernelSize : throw InvalidArgument("kernel_size", "positive integers", kernelSize);
        Strides = strides ?? (1, 1);
        if (Strides.H <= 0 || Strides.W <= 0) throw InvalidArgument("strides", "positive integers", Strides);
        Padding = Padding2D.Normalize(padding);
        Activation = Activations.Normalize(activation);
        UseBias = useBias;
        DilationRate = dilationRate ?? (1, 1);
        if (DilationRate.H <= 0 || DilationRate.W <= 0) throw InvalidArgument("dilation_rate", "positive integers", DilationRate);
        if (DilationRate != (1, 1) && Strides != (1, 1))
            throw new ArgumentException($"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides={Strides} and dilation_rate={DilationRate}");
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary>Kernel height and width.</summary>
    public (int H, int W) KernelSize { get; }

    /// <summary>Strides along height and width.</summary>
    public (int H, int W) Strides { get; }

    /// <summary><c>valid</c> or <c>same</c>.</summary>
    public string Padding { get; }

    /// <summary>Canonical activation name.</summary>
    public string Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>Dilation along height and width.</summary>
    public (int H, int W) DilationRate { get; }

    /// <inheritdoc/>
    public override string ClassName => "Conv2D";

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        if (x[3] is null)
            throw Error($"The channel dimension of the inputs should be defined. Found None. Full input shape received: {x}");
        int kh = (KernelSize.H - 1) * DilationRate.H + 1, kw = (KernelSize.W - 1) * DilationRate.W + 1;
        if (Padding == "valid" && (x[1] < kh || x[2] < kw))
            throw Error($"kernel {KernelSize.H}x{KernelSize.W} is larger than its input {x[1]?.ToString() ?? "None"}x{x[2]?.ToString() ?? "None"} with padding \"valid\": the output would be empty. Input shape {x}.");
        return [Shape.Of(x[0], Padding2D.OutputSize(x[1], kh, Strides.H, Padding), Padding2D.OutputSize(x[2], kw, Strides.W, Padding), Filters)];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int cin = inputs[0][3]!.Value;
        var kernel = new WeightSpec("kernel", Shape.Known(KernelSize.H, KernelSize.W, cin, Filters), true, new GlorotUniform());
        return UseBias ? [kernel, new WeightSpec("bias", Shape.Known(Filters), true, Constant.Zeros)] : [kernel];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        int built = Params[0].Shape[2]!.Value;
        if (inputs[0][3] != built)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis -1 of input shape to have value {built}, but received input with shape {inputs[0]}");
    }
}

/// <summary>TensorFlow's spatial padding rules, shared by convolution and pooling.</summary>
public static class Padding2D
{
    /// <summary>The canonical padding name, <c>valid</c> or <c>same</c>.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static string Normalize(string padding)
    {
        var p = padding.ToLowerInvariant();
        return p is "valid" or "same" ? p : throw new ArgumentException($"The `padding` argument must be one of \"valid\", \"same\". Received: padding={padding}", nameof(padding));
    }

    /// <summary>
    /// Output length along one axis of input length <paramref name="n"/> for a window of
    /// (effective) size <paramref name="k"/> and stride <paramref name="s"/>:
    /// valid ⌊(n − k)/s⌋ + 1, same ⌈n/s⌉; null when <paramref name="n"/> is unknown.
    /// </summary>
    public static int? OutputSize(int? n, int k, int s, string padding) =>
        n is not int len ? null : padding == "same" ? (len + s - 1) / s : (len - k) / s + 1;

    /// <summary>TensorFlow's "same" padding before and after along one axis: the extra cell goes after.</summary>
    public static (int Before, int After) SamePadding(int n, int k, int s)
    {
        int outLen = (n + s - 1) / s;
        int total = Math.Max((outLen - 1) * s + k - n, 0);
        return (total / 2, total - total / 2);
    }
}
