using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>UpSampling2D</c>: an image enlarged <see cref="Size"/> times along height and width.
/// Input (batch, h, w, c) → output (batch, h · sh, w · sw, c); unknown sizes stay unknown.
/// <c>nearest</c> repeats each cell; <c>bilinear</c> interpolates as Keras does (<c>ops.image.resize</c>, TensorFlow's
/// half-pixel centres): output cell i along an axis samples the input at (i + ½)/s − ½, clamped to the input, between
/// its two neighbours. TensorFlow.js samples at i/s instead (its numbers differ; DeepGraph follows Keras).
/// Written over ops (gathers and weighted sums, one axis then the other).
/// </summary>
/// <example><code>new UpSampling2D((2, 2), "bilinear") { Id = id, Name = "up_sampling2d" }   // (None, 8, 8, 3) → (None, 16, 16, 3)</code></example>
public sealed record UpSampling2D : OpLayer
{
    /// <summary>The interpolations DeepGraph implements.</summary>
    public static IReadOnlyList<string> Interpolations { get; } = ["nearest", "bilinear"];

    /// <summary>Enlarging by <paramref name="size"/> (Keras's default (2, 2)) with <paramref name="interpolation"/>.</summary>
    /// <exception cref="ArgumentException">A size is not positive, or the interpolation is not <c>nearest</c> or <c>bilinear</c>.</exception>
    public UpSampling2D((int H, int W)? size = null, string interpolation = "nearest")
    {
        Size = size ?? (2, 2);
        if (Size.H <= 0 || Size.W <= 0) throw InvalidArgument("size", "positive integers", Size);
        ArgumentNullException.ThrowIfNull(interpolation);
        Interpolation = interpolation.ToLowerInvariant();
        if (!Interpolations.Contains(Interpolation))
            throw new ArgumentException($"Received an invalid value for `interpolation`, expected one of {string.Join(", ", Interpolations.Select(i => $"\"{i}\""))} " +
                $"(Keras's bicubic, lanczos3, lanczos5 and area are not implemented). Received: interpolation={interpolation}", nameof(interpolation));
    }

    /// <summary>The factors along height and width.</summary>
    public (int H, int W) Size { get; }

    /// <summary><c>nearest</c> or <c>bilinear</c>.</summary>
    public string Interpolation { get; }

    /// <inheritdoc/>
    public override string ClassName => "UpSampling2D";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 4);
        return [Fits(Shape.Of(x[0], Scaled(this, x[1], Size.H, x), Scaled(this, x[2], Size.W, x), x[3]))];
    }

    /// <summary>Height, then width, resized.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        bool bilinear = Interpolation == "bilinear";
        return [Resize(call.Tape, Resize(call.Tape, inputs[0], 1, Size.H, bilinear), 2, Size.W, bilinear)];
    }

    /// <summary><paramref name="n"/> · <paramref name="factor"/>, refused when it overflows an axis.</summary>
    internal static int? Scaled(Layer layer, int? n, int factor, Shape input)
    {
        long? m = (long?)n * factor;
        if (m > int.MaxValue)
            throw new ShapeError(layer.Name, $"Layer \"{layer.Name}\" ({layer.ClassName}) would make an axis {m} long, more than a tensor axis can hold (2147483647). Input shape {input}.");
        return (int?)m;
    }

    /// <summary>
    /// <paramref name="x"/> enlarged <paramref name="factor"/> times along <paramref name="axis"/>: each index repeated, or,
    /// <paramref name="bilinear"/>, interpolated at the half-pixel source position (i + ½)/factor − ½ clamped to [0, n − 1].
    /// </summary>
    internal static Var Resize(OpTape tape, Var x, int axis, int factor, bool bilinear)
    {
        if (factor == 1) return x;
        int n = x.Shape[axis]!.Value, m = n * factor;
        var low = new int[m];
        if (!bilinear)
        {
            for (int i = 0; i < m; i++) low[i] = i / factor;
            return Ops.Gather(x, tape.Constant(Tensor.FromInts(low, [m])), axis);
        }
        var high = new int[m];
        var lowWeight = new float[m];
        var highWeight = new float[m];
        for (int i = 0; i < m; i++)
        {
            double source = (i + 0.5) / factor - 0.5;
            double floor = Math.Floor(source);
            low[i] = (int)Math.Max(floor, 0);
            high[i] = (int)Math.Min(Math.Ceiling(source), n - 1);
            highWeight[i] = (float)(source - floor);
            lowWeight[i] = 1 - highWeight[i];
        }
        var weightShape = Enumerable.Repeat(1, x.Rank).ToArray();
        weightShape[axis] = m;
        var a = Ops.Gather(x, tape.Constant(Tensor.FromInts(low, [m])), axis);
        var b = Ops.Gather(x, tape.Constant(Tensor.FromInts(high, [m])), axis);
        return Ops.Add(Ops.Multiply(a, tape.Constant(Tensor.FromArray(lowWeight, weightShape))),
            Ops.Multiply(b, tape.Constant(Tensor.FromArray(highWeight, weightShape))));
    }

    /// <summary>Keras's <c>UpSampling2D</c> config: <c>size</c> (an integer or [h, w], default 2), <c>interpolation</c> (default nearest); channels-last only.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<UpSampling2D>("UpSampling2D",
        (c, id, name) =>
        {
            c.RequireChannelsLast();
            return new UpSampling2D(SequenceConfig.Sides(c, "size", (2, 2)), c.OptionalString("interpolation", "nearest")!) { Id = id, Name = name };
        },
        l => new JsonObject { ["size"] = LayerConfig.Pair(l.Size), ["data_format"] = "channels_last", ["interpolation"] = l.Interpolation });
}
