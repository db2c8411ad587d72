using System.Text.Json.Nodes;
using DeepGraph.Numerics;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>ZeroPadding2D</c>: rows of zeros above and below, columns of zeros left and right.
/// Input (batch, h, w, c) → output (batch, h + top + bottom, w + left + right, c); an unknown
/// height or width stays unknown.
/// </summary>
/// <example><code>
/// new ZeroPadding2D(3) { Id = id, Name = "pad" }                 // (None, 224, 224, 3) → (None, 230, 230, 3)
/// new ZeroPadding2D((1, 2)) { Id = id, Name = "pad" }            // h + 2, w + 4
/// new ZeroPadding2D(((0, 1), (0, 1))) { Id = id, Name = "pad" }  // h + 1, w + 1
/// </code></example>
public sealed record ZeroPadding2D : Layer
{
    /// <summary>Padding each side by <paramref name="padding"/> (Keras's <c>padding=1</c>, the default).</summary>
    /// <exception cref="ArgumentException">The padding is negative.</exception>
    public ZeroPadding2D(int padding = 1) : this(((padding, padding), (padding, padding)))
    {
    }

    /// <summary>Symmetric padding: <c>H</c> rows above and below, <c>W</c> columns left and right (Keras's <c>padding=(1, 2)</c>).</summary>
    /// <exception cref="ArgumentException">A padding is negative.</exception>
    public ZeroPadding2D((int H, int W) padding) : this(((padding.H, padding.H), (padding.W, padding.W)))
    {
    }

    /// <summary>Padding each side on its own (Keras's <c>padding=((top, bottom), (left, right))</c>).</summary>
    /// <exception cref="ArgumentException">A padding is negative.</exception>
    public ZeroPadding2D(((int Top, int Bottom) Height, (int Left, int Right) Width) padding)
    {
        var ((top, bottom), (left, right)) = padding;
        Padding = top >= 0 && bottom >= 0 && left >= 0 && right >= 0
            ? padding
            : throw InvalidArgument("padding", "non-negative integers", padding);
    }

    /// <summary>Rows added above and below, columns added left and right.</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Padding { get; }

    /// <inheritdoc/>
    public override string ClassName => "ZeroPadding2D";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        var ((top, bottom), (left, right)) = Padding;
        long? h = x[1] + (long)top + bottom, w = x[2] + (long)left + right;
        if (h > int.MaxValue || w > int.MaxValue)
            throw Error($"has padding=(({top}, {bottom}), ({left}, {right})): the padded {(h > int.MaxValue ? $"height {h}" : $"width {w}")} is more than a tensor axis can hold (2147483647). Input shape {x}.");
        return [Fits(Shape.Of(x[0], (int?)h, (int?)w, x[3]))];
    }

    /// <summary>The input in the middle of a zero border.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var s = inputs[0].Shape;
        Spatial.ZeroPad(inputs[0].Span, s[0]!.Value, s[1]!.Value, s[2]!.Value, s[3]!.Value,
            Padding.Height.Top, Padding.Height.Bottom, Padding.Width.Left, Padding.Width.Right, outputs[0].Data);
    }

    /// <summary>Adds the middle of the output gradient (the border's cells are constants) to the input gradient.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var s = args.Inputs[0].Shape;
        SpatialGrad.ZeroPadBackward(args.OutputGrads[0].Span, s[0]!.Value, s[1]!.Value, s[2]!.Value, s[3]!.Value,
            Padding.Height.Top, Padding.Height.Bottom, Padding.Width.Left, Padding.Width.Right, dx.Data);
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>ZeroPadding2D</c> config: <c>padding</c> as an integer, [height, width] or
    /// [[top, bottom], [left, right]] (default 1); channels-last only. Written in the last form.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<ZeroPadding2D>("ZeroPadding2D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new ZeroPadding2D(ReadPadding(c)) { Id = id, Name = name };
        },
        z => new JsonObject
        {
            ["padding"] = new JsonArray(LayerConfig.Pair(z.Padding.Height), LayerConfig.Pair(z.Padding.Width)),
            ["data_format"] = "channels_last",
        });

    private static ((int, int), (int, int)) ReadPadding(LayerConfig c)
    {
        var node = c["padding"];
        if (node is null) return ((1, 1), (1, 1));
        if (node is JsonArray { Count: 2 } a && (a[0] is JsonArray || a[1] is JsonArray))
        {
            if (LayerConfig.TryDims(a[0], out var h) && LayerConfig.TryDims(a[1], out var w) && h.Length == 2 && w.Length == 2 &&
                h.All(d => d.HasValue) && w.All(d => d.HasValue))
                return ((h[0]!.Value, h[1]!.Value), (w[0]!.Value, w[1]!.Value));
            throw c.Error("padding", "an integer, [height, width] or [[top, bottom], [left, right]]");
        }
        var (ph, pw) = c.Pair("padding");
        return ((ph, ph), (pw, pw));
    }
}
