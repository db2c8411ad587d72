using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv1D</c>: input (batch, steps, channels) → (batch, steps', filters), a Conv2D over
/// (batch, 1, steps, channels) with kernel (1, k, channels, filters). Padding <c>valid</c>,
/// <c>same</c> (Conv2D's rule) or <c>causal</c>: (k − 1)·dilation zeros before the sequence, then
/// <c>valid</c>, so output step t sees input steps ≤ t·stride. Weights: kernel (k, channels, filters), bias (filters).
/// </summary>
public sealed record Conv1D : Planar1D
{
    /// <summary>A 1-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range, or the padding is not valid, same or causal.</exception>
    public Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", ActivationFunction? activation = null, bool useBias = true, int dilationRate = 1)
        : base(kernelSize, strides, activation, useBias, dilationRate)
    {
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
        Padding = padding?.ToLowerInvariant() is "valid" or "same" or "causal" ? padding.ToLowerInvariant()
            : throw new ArgumentException($"The `padding` argument must be a string, one of \"valid\", \"same\", \"causal\". Received: padding={padding}");
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary><c>valid</c>, <c>same</c> or <c>causal</c>.</summary>
    public string Padding { get; }

    /// <inheritdoc/>
    public override string ClassName => "Conv1D";

    /// <summary>The kernel, (k, channels, filters); null until built.</summary>
    public Tensor? Kernel => IsBuilt ? WeightNamed("kernel") : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("bias", true)] : [("kernel", true)];

    private bool Causal => Padding == "causal";

    /// <summary>Zeros before the sequence for <c>causal</c>: (k − 1)·dilation.</summary>
    private int CausalPad => Causal ? (KernelSize - 1) * DilationRate : 0;

    /// <inheritdoc/>
    private protected override WeightedLayer Planar() =>
        new Conv2D(Filters, (1, KernelSize), (1, Strides), Causal ? Core.Padding.Valid : Core.Padding.Parse(Padding), Activation, UseBias, (1, DilationRate)) { Id = Id, Name = Name, Trainable = Trainable };

    /// <inheritdoc/>
    private protected override Shape PlanarInput(Shape x) => Causal ? AsImage(Shape.Of(x[0], x[1] + CausalPad, x[2])) : AsImage(x);

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedSequence(inputs);
        if (x[1] is int steps && (long)steps + CausalPad > int.MaxValue / 2)
            throw Error($"cannot pad {steps} steps with {CausalPad} causal zeros: more than a tensor axis can hold.");
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        int built = Kernel!.Shape[1]!.Value;
        if (inputs[0][2] != built)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis -1 of input shape to have value {built}, but received input with shape {inputs[0]}");
    }

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (!Causal)
        {
            base.Forward(context, inputs, outputs);
            return;
        }
        using var padded = Padded(context, inputs[0]);
        BuiltPlanar().Forward(context, [padded], [Image(outputs[0])]);
    }

    /// <summary>Like <see cref="Forward"/>; a causal call also saves its padded input (first) for the backward pass.</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (!Causal) return base.ForwardTrain(context, inputs, outputs);
        var padded = Padded(context, inputs[0]);
        return [padded, .. BuiltPlanar().ForwardTrain(context, [padded], [Image(outputs[0])])];
    }

    /// <summary>A causal call's input with its zeros before, as an image (batch, 1, pad + steps, channels), in a rented buffer.</summary>
    private Tensor Padded(ForwardContext context, Tensor input)
    {
        int n = input.Shape[0]!.Value, t = input.Shape[1]!.Value, c = input.Shape[2]!.Value;
        var padded = context.Pool.RentTensor(Shape.Known(n, 1, t + CausalPad, c));
        Spatial.ZeroPad(input.Span, n, 1, t, c, 0, 0, CausalPad, 0, padded.Data);
        return padded;
    }

    /// <summary>The Conv2D's backward pass; a causal call's input gradient is that of the padded input with the padding dropped.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (!Causal)
        {
            base.Backward(context, args);
            return;
        }
        var padded = args.Saved[0];
        var dx = args.InputGrads[0];
        using var dPadded = dx is null ? null : context.Pool.RentTensor(padded.Shape);
        BuiltPlanar().Backward(context, Planar2D(args, padded, dPadded, [.. args.Saved.Skip(1)], dPadded is null ? [] : [true]));
        if (dx is null) return;
        int n = dx.Shape[0]!.Value, t = dx.Shape[1]!.Value, c = dx.Shape[2]!.Value;
        if (args.Unset(0)) dx.Data.AsSpan().Clear();
        SpatialGrad.ZeroPadBackward(dPadded!.Span, n, 1, t, c, 0, 0, CausalPad, 0, dx.Data);
    }

    /// <summary>
    /// Keras's <c>Conv1D</c> config: <c>filters</c>, <c>kernel_size</c>, <c>strides</c>, <c>padding</c> (valid, same, causal),
    /// <c>dilation_rate</c>, <c>activation</c>, <c>use_bias</c>; channels-last and ungrouped only.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Conv1D>("Conv1D",
        (c, id, name) =>
        {
            if (c.Int("groups", 1) != 1) throw c.Error("groups", "1 (grouped convolutions are not supported)");
            c.RequireChannelsLast();
            return new Conv1D(c.Int("filters"), One(c, "kernel_size"), One(c, "strides", 1), c.OptionalString("padding", "valid")!,
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), One(c, "dilation_rate", 1)) { Id = id, Name = name };
        },
        l =>
        {
            var config = CommonConfig(l, new JsonObject { ["filters"] = l.Filters }, l.Padding);
            config["groups"] = 1;
            config["kernel_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return SpatialConv.NoRegularizers(config, "kernel", "bias");
        });
}
