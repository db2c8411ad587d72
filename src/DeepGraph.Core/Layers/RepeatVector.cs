using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>RepeatVector</c>: a vector repeated <see cref="N"/> times as a sequence.
/// Input (batch, features) → output (batch, n, features). Written over ops (a gather; its gradient sums the copies).
/// </summary>
/// <example><code>new RepeatVector(6) { Id = id, Name = "repeat_vector" }   // (None, 32) → (None, 6, 32)</code></example>
public sealed record RepeatVector : OpLayer
{
    /// <summary>Repeating the input <paramref name="n"/> times.</summary>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public RepeatVector(int n) => N = n >= 0 ? n : throw InvalidArgument("n", "a non-negative integer", n);

    /// <summary>The number of repetitions (the output's steps).</summary>
    public int N { get; }

    /// <inheritdoc/>
    public override string ClassName => "RepeatVector";

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 2);
        return [Fits(Shape.Of(x[0], N, x[1]))];
    }

    /// <summary>The input as one step, gathered n times.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) =>
        [Ops.Gather(Ops.ExpandDims(inputs[0], 1), call.Tape.Constant(Tensor.FromInts(new int[N], [N])), 1)];

    /// <summary>Keras's <c>RepeatVector</c> config: <c>n</c> (required).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<RepeatVector>("RepeatVector",
        (c, id, name) => new RepeatVector(c.Int("n")) { Id = id, Name = name },
        l => new JsonObject { ["n"] = l.N });
}
