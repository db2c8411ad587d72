using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>ZeroPadding1D</c>: steps of zeros added at the start and the end of a sequence.
/// Input (batch, steps, features) → output (batch, steps + start + end, features); an unknown length stays unknown.
/// Written over ops (a concatenation with zeros; the gradient is the middle of the output's).
/// </summary>
/// <example><code>new ZeroPadding1D(2) { Id = id, Name = "zero_padding1d" }   // (None, 10, 4) → (None, 14, 4)</code></example>
public sealed record ZeroPadding1D : OpLayer
{
    /// <summary>Padding <paramref name="padding"/> steps at each end (Keras's default 1).</summary>
    /// <exception cref="ArgumentException">The padding is negative.</exception>
    public ZeroPadding1D(int padding = 1) : this((padding, padding))
    {
    }

    /// <summary>Padding <c>Start</c> steps before the sequence and <c>End</c> after it.</summary>
    /// <exception cref="ArgumentException">A padding is negative.</exception>
    public ZeroPadding1D((int Start, int End) padding) =>
        Padding = padding.Start >= 0 && padding.End >= 0 ? padding : throw InvalidArgument("padding", "non-negative integers", padding);

    /// <summary>Steps of zeros before and after the sequence.</summary>
    public (int Start, int End) Padding { get; }

    /// <inheritdoc/>
    public override string ClassName => "ZeroPadding1D";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        long? steps = x[1] + (long)Padding.Start + Padding.End;
        if (steps > int.MaxValue)
            throw Error($"has padding={Padding}: the padded length {steps} is more than a tensor axis can hold (2147483647). Input shape {x}.");
        return [Fits(Shape.Of(x[0], (int?)steps, x[2]))];
    }

    /// <summary>Zeros, the input, zeros, joined along the steps.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        int n = x.Shape[0]!.Value, c = x.Shape[2]!.Value;
        var parts = new List<Var>(3);
        if (Padding.Start > 0) parts.Add(call.Tape.Constant(Tensor.Zeros(n, Padding.Start, c)));
        parts.Add(x);
        if (Padding.End > 0) parts.Add(call.Tape.Constant(Tensor.Zeros(n, Padding.End, c)));
        return [parts.Count == 1 ? x : Ops.Concat(parts, 1)];
    }

    /// <summary>Keras's <c>ZeroPadding1D</c> config: <c>padding</c> as an integer or [start, end] (default 1), written as the pair.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<ZeroPadding1D>("ZeroPadding1D",
        (c, id, name) => new ZeroPadding1D(SequenceConfig.Sides(c, "padding", (1, 1))) { Id = id, Name = name },
        l => new JsonObject { ["padding"] = LayerConfig.Pair(l.Padding) });
}
