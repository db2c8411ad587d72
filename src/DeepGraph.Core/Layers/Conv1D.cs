using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Conv1D</c>: input (batch, steps, channels) → (batch, steps', filters), a Conv2D over
/// (batch, 1, steps, channels) with kernel (1, k, channels, filters). Padding <c>valid</c>,
/// <c>same</c> (Conv2D's rule) or <c>causal</c>: (k − 1)·dilation zeros before the sequence, then
/// <c>valid</c>, so output step t sees input steps ≤ t·stride. Weights: kernel (k, channels, filters), bias (filters).
/// With <see cref="ChannelsFirst"/> (Keras's <c>data_format="channels_first"</c>) the input is (batch, channels, steps)
/// and the output (batch, filters, steps'): the same convolution of the transposed input, transposed back, with the
/// same kernel shape; the activation then runs over the output's last axis, as Keras's does (which matters for softmax).
/// </summary>
public sealed record Conv1D : Planar1D
{
    /// <summary>A 1-D convolution with <paramref name="filters"/> output channels.</summary>
    /// <exception cref="ArgumentException">An argument is out of range, or the padding is not valid, same or causal.</exception>
    public Conv1D(int filters, int kernelSize, int strides = 1, string padding = "valid", ActivationFunction? activation = null, bool useBias = true, int dilationRate = 1,
        bool channelsFirst = false)
        : base(kernelSize, strides, activation, useBias, dilationRate)
    {
        ChannelsFirst = channelsFirst;
        Filters = filters > 0 ? filters : throw InvalidArgument("filters", "a positive integer", filters);
        Padding = padding?.ToLowerInvariant() is "valid" or "same" or "causal" ? padding.ToLowerInvariant()
            : throw new ArgumentException($"The `padding` argument must be a string, one of \"valid\", \"same\", \"causal\". Received: padding={padding}");
    }

    /// <summary>Output channels.</summary>
    public int Filters { get; }

    /// <summary><c>valid</c>, <c>same</c> or <c>causal</c>.</summary>
    public string Padding { get; }

    /// <summary>True for Keras's <c>data_format="channels_first"</c>: input (batch, channels, steps), output (batch, filters, steps').</summary>
    public bool ChannelsFirst { get; private init; }

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
        if (ChannelsFirst)
        {
            var first = Single(inputs);
            RequireRank(first, 3);
            if (first[1] is null)
                throw Error($"The channel dimension of the inputs should be defined. Found None. Full input shape received: {first}");
            RequireNonEmpty(first, 1, "channels");
            return [Swapped(InferChannelsLast([Swapped(first)])[0])];
        }
        return InferChannelsLast(inputs);
    }

    /// <summary>The output shape of the channels-last computation.</summary>
    private IReadOnlyList<Shape> InferChannelsLast(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedSequence(inputs);
        if (x[1] is int steps && (long)steps + CausalPad > int.MaxValue / 2)
            throw Error($"cannot pad {steps} steps with {CausalPad} causal zeros: more than a tensor axis can hold.");
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) => base.Specs(ChannelsFirst ? [Swapped(inputs[0])] : inputs);

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        int built = Kernel!.Shape[1]!.Value;
        int axis = ChannelsFirst ? 1 : 2;
        if (inputs[0][axis] != built)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis {(ChannelsFirst ? "1" : "-1")} of input shape to have value {built}, but received input with shape {inputs[0]}");
    }

    /// <summary>(batch, a, b) as (batch, b, a): a channels-first sequence shape as the channels-last one, and back.</summary>
    private static Shape Swapped(Shape x) => Shape.Of(x[0], x[2], x[1]);

    /// <summary>
    /// The channels-last convolution that computes a channels-first one: this layer's weights, id, name and
    /// trainability with a linear activation (the activation runs on the channels-first output).
    /// </summary>
    private Conv1D ChannelsLastLinear() =>
        new(Filters, KernelSize, Strides, Padding, ActivationFunction.Linear, UseBias, DilationRate) { Id = Id, Name = Name, Trainable = Trainable, Params = Params };

    /// <summary>y[b, j, i] = x[b, i, j] (or += with <paramref name="add"/>) for x of shape (<paramref name="n"/>, <paramref name="a"/>, <paramref name="b"/>).</summary>
    private static void SwapAxes(ReadOnlySpan<float> x, int n, int a, int b, Span<float> y, bool add)
    {
        int plane = a * b;
        for (int s = 0; s < n; s++)
        {
            var from = x.Slice(s * plane, plane);
            var to = y.Slice(s * plane, plane);
            for (int i = 0; i < a; i++)
                for (int j = 0; j < b; j++)
                {
                    if (add) to[j * a + i] += from[i * b + j];
                    else to[j * a + i] = from[i * b + j];
                }
        }
    }

    /// <summary><paramref name="t"/> (batch, a, b) copied into a rented (batch, b, a) tensor.</summary>
    private static Tensor RentSwapped(ForwardContext context, Tensor t)
    {
        var swapped = context.Pool.RentTensor(Swapped(t.Shape));
        SwapAxes(t.Span, t.Shape[0]!.Value, t.Shape[1]!.Value, t.Shape[2]!.Value, swapped.Data, add: false);
        return swapped;
    }

    /// <summary>
    /// A channels-first call: the input transposed to (batch, steps, channels), the linear channels-last convolution,
    /// its output transposed to (batch, filters, steps'), then the activation over the last axis. A training call
    /// saves the pre-activation (first) when the activation's derivative needs it, then what the convolution saved.
    /// </summary>
    private IReadOnlyList<Tensor> ForwardChannelsFirst(ForwardContext context, Tensor input, Tensor output, bool training)
    {
        var twin = ChannelsLastLinear();
        var x = RentSwapped(context, input);
        var z = context.Pool.RentTensor(Swapped(output.Shape));
        IReadOnlyList<Tensor> saved;
        try
        {
            if (training) saved = twin.ForwardTrain(context, [x], [z]);
            else
            {
                twin.Forward(context, [x], [z]);
                saved = [];
            }
            SwapAxes(z.Span, z.Shape[0]!.Value, z.Shape[1]!.Value, z.Shape[2]!.Value, output.Data, add: false);
        }
        finally
        {
            context.Pool.Return(x.Data);
            context.Pool.Return(z.Data);
        }
        if (Activation == ActivationFunction.Linear || output.Length == 0) return saved;
        Tensor? preActivation = null;
        if (training && ActivationGrad.NeedsInput(Activation))
        {
            preActivation = context.Pool.RentTensor(output.Shape);
            output.Span.CopyTo(preActivation.Data);
        }
        Activate.InPlace(Activation, output.Data.AsSpan(0, output.Length), output.Shape[2]!.Value);
        return preActivation is null ? saved : [preActivation, .. saved];
    }

    /// <summary>
    /// A channels-first call's backward pass: dZ = dY ⊙ activation′ in dY's buffer (the trainer's scratch), transposed to
    /// channels-last for the linear convolution's backward pass, whose input gradient is transposed back into the input's.
    /// </summary>
    private void BackwardChannelsFirst(ForwardContext context, BackwardArgs args)
    {
        var twin = ChannelsLastLinear();
        var dy = args.OutputGrads[0];
        bool savedPreActivation = Activation != ActivationFunction.Linear && ActivationGrad.NeedsInput(Activation) && args.Outputs[0].Length > 0;
        if (Activation != ActivationFunction.Linear && dy.Length > 0)
            ActivationGrad.Backward(Activation, savedPreActivation ? args.Saved[0].Span : default, args.Outputs[0].Span, dy.Span, dy.Data.AsSpan(0, dy.Length), dy.Shape[2]!.Value);
        var input = args.Inputs[0];
        var x = RentSwapped(context, input);
        var dz = RentSwapped(context, dy);
        var dx = args.InputGrads[0];
        var dxLast = dx is null ? null : context.Pool.RentTensor(x.Shape);
        try
        {
            if (dxLast is not null && !twin.WritesInputGradients) dxLast.Data.AsSpan().Clear();
            twin.Backward(context, new BackwardArgs
            {
                Inputs = [x],
                Outputs = [dz], // a linear convolution's backward pass never reads its output; dZ stands in with the right shape
                Saved = [.. args.Saved.Skip(savedPreActivation ? 1 : 0)],
                OutputGrads = [dz],
                InputGrads = [dxLast],
                InputGradsUnset = dxLast is null ? [] : [twin.WritesInputGradients],
                ParamGrads = args.ParamGrads,
            });
            if (dx is not null)
                SwapAxes(dxLast!.Span, x.Shape[0]!.Value, x.Shape[1]!.Value, x.Shape[2]!.Value, dx.Data, add: !args.Unset(0));
        }
        finally
        {
            context.Pool.Return(x.Data);
            context.Pool.Return(dz.Data);
            if (dxLast is not null) context.Pool.Return(dxLast.Data);
        }
    }

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (ChannelsFirst)
        {
            ForwardChannelsFirst(context, inputs[0], outputs[0], training: false);
            return;
        }
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
        if (ChannelsFirst) return ForwardChannelsFirst(context, inputs[0], outputs[0], training: true);
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
        if (ChannelsFirst)
        {
            BackwardChannelsFirst(context, args);
            return;
        }
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
    /// <c>data_format</c> (channels_last, the default, or channels_first), <c>dilation_rate</c>, <c>activation</c>,
    /// <c>use_bias</c>; ungrouped only.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Conv1D>("Conv1D",
        (c, id, name) =>
        {
            if (c.Int("groups", 1) != 1) throw c.Error("groups", "1 (grouped convolutions are not supported)");
            bool channelsFirst = c.OptionalString("data_format", "channels_last") switch
            {
                "channels_last" or "channelsLast" => false,
                "channels_first" or "channelsFirst" => true,
                _ => throw c.Error("data_format", "\"channels_last\" or \"channels_first\""),
            };
            return new Conv1D(c.Int("filters"), One(c, "kernel_size"), One(c, "strides", 1), c.OptionalString("padding", "valid")!,
                ActivationFunction.Parse(c.OptionalString("activation")), c.Bool("use_bias", true), One(c, "dilation_rate", 1), channelsFirst) { Id = id, Name = name };
        },
        l =>
        {
            var config = CommonConfig(l, new JsonObject { ["filters"] = l.Filters }, l.Padding);
            if (l.ChannelsFirst) config["data_format"] = "channels_first";
            config["groups"] = 1;
            config["kernel_initializer"] = LayerConfig.GlorotUniform();
            config["bias_initializer"] = LayerConfig.Initializer("Zeros");
            return SpatialConv.NoRegularizers(config, "kernel", "bias");
        });
}
