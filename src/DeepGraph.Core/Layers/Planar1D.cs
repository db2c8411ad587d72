using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// A 1-D convolution (Conv1D, Conv1DTranspose, DepthwiseConv1D, SeparableConv1D) computed as
/// its 2-D counterpart over (batch, 1, steps, channels), Keras's own reduction: a sequence is an
/// image one row high and a (k, …) kernel is a (1, k, …) one, the same values in the same order,
/// so the tensors are viewed in their 2-D shapes without copying.
/// </summary>
public abstract record Planar1D : WeightedLayer
{
    /// <summary>Validates and stores the arguments the 1-D convolutions share.</summary>
    /// <exception cref="ArgumentException">An argument is out of range.</exception>
    private protected Planar1D(int kernelSize, int strides, ActivationFunction? activation, bool useBias, int dilationRate)
    {
        KernelSize = kernelSize > 0 ? kernelSize : throw InvalidArgument("kernel_size", "a positive integer", kernelSize);
        Strides = strides > 0 ? strides : throw InvalidArgument("strides", "a positive integer", strides);
        DilationRate = dilationRate > 0 ? dilationRate : throw InvalidArgument("dilation_rate", "a positive integer", dilationRate);
        Activation = activation ?? ActivationFunction.Linear;
        UseBias = useBias;
        if (DilationRate != 1 && Strides != 1)
            throw new ArgumentException($"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=({Strides},) and dilation_rate=({DilationRate},)");
    }

    /// <summary>Kernel length.</summary>
    public int KernelSize { get; }

    /// <summary>Stride along the steps.</summary>
    public int Strides { get; }

    /// <summary>The activation applied to the output.</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether a bias is added.</summary>
    public bool UseBias { get; }

    /// <summary>Dilation along the steps.</summary>
    public int DilationRate { get; }

    /// <summary>The bias; null until built or without <see cref="UseBias"/>.</summary>
    public Tensor? Bias => IsBuilt && UseBias ? WeightNamed("bias") : null;

    /// <summary>The 2-D layer that computes this one, unbuilt, with this layer's id, name and trainability.</summary>
    private protected abstract WeightedLayer Planar();

    /// <summary>The 2-D layer with this layer's weights viewed in its shapes.</summary>
    private protected WeightedLayer BuiltPlanar() => Planar() with { Params = EquatableArray.Of(Params.Select(p => p.View(Shape.Known([.. Widen(p.Shape)])))) };

    /// <summary>A 1-D kernel shape (k, …) as the 2-D one (1, k, …); a bias (rank 1) stays.</summary>
    private static IEnumerable<int> Widen(Shape shape) => shape.Rank >= 3 ? shape.Prepend(1).Select(d => d!.Value) : shape.Select(d => d!.Value);

    /// <summary>(batch, steps, channels) as (batch, 1, steps, channels).</summary>
    private protected static Shape AsImage(Shape sequence) => Shape.Of(sequence[0], 1, sequence[1], sequence[2]);

    /// <summary>(batch, 1, steps, channels) as (batch, steps, channels).</summary>
    private static Shape AsSequence(Shape image) => Shape.Of(image[0], image[2], image[3]);

    /// <summary>The single input, checked to be (batch, steps, channels) with known, non-zero channels.</summary>
    /// <exception cref="ShapeError">It is not.</exception>
    private protected Shape CheckedSequence(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        if (x[2] is null)
            throw Error($"The channel dimension of the inputs should be defined. Found None. Full input shape received: {x}");
        RequireNonEmpty(x, 2, "channels");
        return x;
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = CheckedSequence(inputs);
        return [AsSequence(Planar().OutputShapes([PlanarInput(x)])[0])];
    }

    /// <summary>The 2-D layer's input for this layer's input <paramref name="x"/> (a causal convolution pads it first).</summary>
    private protected virtual Shape PlanarInput(Shape x) => AsImage(x);

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) =>
        [.. Planar().WeightSpecs([PlanarInput(inputs[0])]).Select(s => s with { Shape = s.Shape.Rank == 4 ? Shape.Of([.. s.Shape.Skip(1)]) : s.Shape })];

    /// <inheritdoc/>
    public override bool WritesInputGradients => Planar().WritesInputGradients;

    /// <summary>A view of <paramref name="t"/> in the 2-D shape.</summary>
    private protected static Tensor Image(Tensor t) => t.View(AsImage(t.Shape));

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        BuiltPlanar().Forward(context, [Image(inputs[0])], [Image(outputs[0])]);

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        BuiltPlanar().ForwardTrain(context, [Image(inputs[0])], [Image(outputs[0])]);

    /// <inheritdoc/>
    public override void Backward(ForwardContext context, BackwardArgs args) => BuiltPlanar().Backward(context, Planar2D(args, Image(args.Inputs[0]), args.InputGrads[0] is { } dx ? Image(dx) : null, args.Saved, args.InputGradsUnset));

    /// <summary><paramref name="args"/> with every tensor viewed in its 2-D shape; the input, its gradient and the saved tensors as given.</summary>
    private protected static BackwardArgs Planar2D(BackwardArgs args, Tensor input, Tensor? inputGrad, IReadOnlyList<Tensor> saved, IReadOnlyList<bool> unset) => new()
    {
        Inputs = [input],
        Outputs = [Image(args.Outputs[0])],
        Saved = saved,
        OutputGrads = [Image(args.OutputGrads[0])],
        InputGrads = [inputGrad],
        InputGradsUnset = unset,
        ParamGrads = [.. args.ParamGrads.Select(g => g?.View(Shape.Known([.. Widen(g.Shape)])))],
    };

    // ---- config helpers ------------------------------------------------------------------

    /// <summary>A length written as an integer or a list of one (Keras's <c>kernel_size=3</c> or <c>[3]</c>), or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="ModelFormatError">The value is neither, or absent without a fallback.</exception>
    private protected static int One(LayerConfig c, string key, int? fallback = null)
    {
        var node = c[key];
        if (node is null) return fallback ?? throw c.Error(key, "an integer or a list of one integer");
        if (LayerConfig.TryInt(node, out int v)) return v;
        if (node is JsonArray { Count: 1 } a && LayerConfig.TryInt(a[0], out int w)) return w;
        throw c.Error(key, "an integer or a list of one integer");
    }

    /// <summary>The 1-D keys the convolutions share, in Keras's order, with <paramref name="padding"/> as given.</summary>
    private protected static JsonObject CommonConfig(Planar1D layer, JsonObject head, string padding)
    {
        head["kernel_size"] = new JsonArray(layer.KernelSize);
        head["strides"] = new JsonArray(layer.Strides);
        head["padding"] = padding;
        head["data_format"] = "channels_last";
        head["dilation_rate"] = new JsonArray(layer.DilationRate);
        head["activation"] = layer.Activation.KerasName;
        head["use_bias"] = layer.UseBias;
        return head;
    }
}
