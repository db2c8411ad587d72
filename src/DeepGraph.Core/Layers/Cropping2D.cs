using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Cropping2D</c>: rows cut from the top and bottom of an image, columns from the left and right.
/// Input (batch, h, w, c) → output (batch, h − top − bottom, w − left − right, c); unknown sizes stay unknown.
/// Written over ops (a slice).
/// </summary>
/// <example><code>new Cropping2D(((0, 1), (1, 0))) { Id = id, Name = "cropping2d" }   // (None, 10, 10, 3) → (None, 9, 9, 3)</code></example>
public sealed record Cropping2D : OpLayer
{
    /// <summary>Cropping <paramref name="cropping"/> rows and columns on every side (Keras's default 0).</summary>
    /// <exception cref="ArgumentException">The cropping is negative.</exception>
    public Cropping2D(int cropping = 0) : this(((cropping, cropping), (cropping, cropping)))
    {
    }

    /// <summary>Symmetric cropping: <c>H</c> rows at the top and at the bottom, <c>W</c> columns at the left and at the right.</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public Cropping2D((int H, int W) cropping) : this(((cropping.H, cropping.H), (cropping.W, cropping.W)))
    {
    }

    /// <summary>Each side on its own (Keras's <c>cropping=((top, bottom), (left, right))</c>).</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public Cropping2D(((int Top, int Bottom) Height, (int Left, int Right) Width) cropping)
    {
        var ((top, bottom), (left, right)) = cropping;
        Cropping = top >= 0 && bottom >= 0 && left >= 0 && right >= 0 ? cropping : throw InvalidArgument("cropping", "non-negative integers", cropping);
    }

    /// <summary>Rows cut at the top and bottom, columns cut at the left and right.</summary>
    public ((int Top, int Bottom) Height, (int Left, int Right) Width) Cropping { get; }

    /// <inheritdoc/>
    public override string ClassName => "Cropping2D";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        long cutH = (long)Cropping.Height.Top + Cropping.Height.Bottom, cutW = (long)Cropping.Width.Left + Cropping.Width.Right;
        if ((x[1] is { } h && cutH >= h) || (x[2] is { } w && cutW >= w))
            throw Error($"has cropping={Cropping}, which leaves nothing of the input: values in `cropping` must be smaller than the corresponding spatial dimension of the input. Input shape {x}.");
        return [Shape.Of(x[0], x[1] - (int)cutH, x[2] - (int)cutW, x[3])];
    }

    /// <summary>The slice of the kept rows and columns.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var ((top, bottom), (left, right)) = Cropping;
        return [Ops.Slice(x, [0, top, left, 0], [-1, x.Shape[1]!.Value - top - bottom, x.Shape[2]!.Value - left - right, -1])];
    }

    /// <summary>Keras's <c>Cropping2D</c> config: <c>cropping</c> as an integer, [h, w] or [[top, bottom], [left, right]] (default 0), written in the last form; channels-last only.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Cropping2D>("Cropping2D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new Cropping2D(SequenceConfig.Border(c, "cropping", ((0, 0), (0, 0)))) { Id = id, Name = name };
        },
        l => new JsonObject { ["cropping"] = SequenceConfig.Border(l.Cropping), ["data_format"] = "channels_last" });
}
