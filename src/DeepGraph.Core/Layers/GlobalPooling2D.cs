using System.Text.Json.Nodes;
using DeepGraph.Numerics;
namespace DeepGraph.Core;

/// <summary>
/// What GlobalAveragePooling2D and GlobalMaxPooling2D share (Keras's <c>BaseGlobalPooling</c>):
/// one value per channel over all of height and width. Input (batch, h, w, c) → output
/// (batch, c), or (batch, 1, 1, c) with <see cref="KeepDims"/>.
/// </summary>
public abstract record GlobalPooling2D : Layer
{
    /// <summary>Stores whether the spatial axes are kept.</summary>
    protected GlobalPooling2D(bool keepDims) => KeepDims = keepDims;

    /// <summary>When true the spatial axes stay, with length 1 (Keras's <c>keepdims</c>).</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        RequireNonEmpty(x, 1, "rows (height)");
        RequireNonEmpty(x, 2, "columns (width)");
        return [KeepDims ? Shape.Of(x[0], 1, 1, x[3]) : Shape.Of(x[0], x[3])];
    }

    /// <summary>True for max pooling, false for average pooling.</summary>
    protected abstract bool IsMax { get; }

    /// <summary>Pools over height and width.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var s = inputs[0].Shape;
        Spatial.GlobalPool(IsMax, inputs[0].Span, s[0]!.Value, s[1]!.Value * s[2]!.Value, s[3]!.Value, outputs[0].Data);
    }

    /// <summary>
    /// Adds each channel's output gradient to the input: max pooling all of it to the first
    /// pixel holding the maximum, average pooling a share 1/(h·w) to every pixel.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var s = args.Inputs[0].Shape;
        SpatialGrad.GlobalPoolBackward(IsMax, args.Inputs[0].Span, args.OutputGrads[0].Span, s[0]!.Value, s[1]!.Value * s[2]!.Value, s[3]!.Value, dx.Data);
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>The config keys global poolings share: <c>keepdims</c> (default false); channels-last only.</summary>
    protected static bool ReadKeepDims(LayerConfig c)
    {
        c.RequireChannelsLast();
        return c.Bool("keepdims", false);
    }

    /// <summary>The config keys global poolings share. TF.js has no <c>keepdims</c>; it is written only when set, for Keras (TF.js ignores it).</summary>
    protected JsonObject WriteKeepDims() => KeepDims
        ? new JsonObject { ["data_format"] = "channels_last", ["keepdims"] = true }
        : new JsonObject { ["data_format"] = "channels_last" };
}
