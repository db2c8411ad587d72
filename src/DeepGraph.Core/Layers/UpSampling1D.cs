using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>UpSampling1D</c>: each step repeated <see cref="Size"/> times.
/// Input (batch, steps, features) → output (batch, steps · size, features); an unknown length stays unknown.
/// Written over ops (a gather along the steps; its gradient sums each step's copies).
/// </summary>
/// <example><code>new UpSampling1D(3) { Id = id, Name = "up_sampling1d" }   // (None, 5, 4) → (None, 15, 4)</code></example>
public sealed record UpSampling1D : OpLayer
{
    /// <summary>Repeating each step <paramref name="size"/> times (Keras's default 2).</summary>
    /// <exception cref="ArgumentException">The size is not positive.</exception>
    public UpSampling1D(int size = 2) => Size = size > 0 ? size : throw InvalidArgument("size", "a positive integer", size);

    /// <summary>How many times each step is repeated.</summary>
    public int Size { get; }

    /// <inheritdoc/>
    public override string ClassName => "UpSampling1D";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        return [Fits(Shape.Of(x[0], UpSampling2D.Scaled(this, x[1], Size, x), x[2]))];
    }

    /// <summary>The steps gathered ⌊t / size⌋.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) => [UpSampling2D.Resize(call.Tape, inputs[0], 1, Size, bilinear: false)];

    /// <summary>Keras's <c>UpSampling1D</c> config: <c>size</c> (default 2).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<UpSampling1D>("UpSampling1D",
        (c, id, name) => new UpSampling1D(SequenceConfig.IntOrSingle(c, "size", 2)!.Value) { Id = id, Name = name },
        l => new JsonObject { ["size"] = l.Size });
}
