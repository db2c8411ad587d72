using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Cropping1D</c>: steps cut from the start and the end of a sequence.
/// Input (batch, steps, features) → output (batch, steps − start − end, features); an unknown length stays unknown.
/// Written over ops (a slice; its gradient puts the output's gradient back in place, zeros on the cropped steps).
/// </summary>
/// <example><code>new Cropping1D((1, 2)) { Id = id, Name = "cropping1d" }   // (None, 10, 4) → (None, 7, 4)</code></example>
public sealed record Cropping1D : OpLayer
{
    /// <summary>Cropping <paramref name="cropping"/> steps at each end (Keras's default 1).</summary>
    /// <exception cref="ArgumentException">The cropping is negative.</exception>
    public Cropping1D(int cropping = 1) : this((cropping, cropping))
    {
    }

    /// <summary>Cropping <c>Start</c> steps at the start and <c>End</c> at the end.</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public Cropping1D((int Start, int End) cropping) =>
        Cropping = cropping.Start >= 0 && cropping.End >= 0 ? cropping : throw InvalidArgument("cropping", "non-negative integers", cropping);

    /// <summary>Steps cut at the start and at the end.</summary>
    public (int Start, int End) Cropping { get; }

    /// <inheritdoc/>
    public override string ClassName => "Cropping1D";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        long cut = (long)Cropping.Start + Cropping.End;
        if (x[1] is { } steps && cut >= steps)
            throw Error($"has cropping={Cropping}, which leaves nothing of an input of {steps} steps: the cropping must be smaller than the input length. Input shape {x}.");
        return [Shape.Of(x[0], x[1] - (int)cut, x[2])];
    }

    /// <summary>The slice of the kept steps.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        return [Ops.Slice(x, [0, Cropping.Start, 0], [-1, x.Shape[1]!.Value - Cropping.Start - Cropping.End, -1])];
    }

    /// <summary>Keras's <c>Cropping1D</c> config: <c>cropping</c> as an integer or [start, end] (default 1), written as the pair.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Cropping1D>("Cropping1D",
        (c, id, name) => new Cropping1D(SequenceConfig.Sides(c, "cropping", (1, 1))) { Id = id, Name = name },
        l => new JsonObject { ["cropping"] = LayerConfig.Pair(l.Cropping) });
}
