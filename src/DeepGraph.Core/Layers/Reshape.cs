using System.Text.Json.Nodes;
using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Reshape</c>: the same elements of each sample in a new shape.
/// Input (batch, …) → output (batch, <see cref="TargetShape"/>…), where one entry of the target
/// may be −1, inferred so that the number of elements per sample stays the same (unknown,
/// <c>None</c>, when the input has unknown dimensions).
/// </summary>
/// <example><code>new Reshape([4, -1]) { Id = id, Name = "reshape" }   // (None, 2, 6) → (None, 4, 3)</code></example>
public sealed record Reshape : Layer
{
    /// <summary>A reshape to <paramref name="targetShape"/> (the batch axis excluded).</summary>
    /// <exception cref="ArgumentException">An entry is neither positive nor −1.</exception>
    public Reshape(int[] targetShape)
    {
        ArgumentNullException.ThrowIfNull(targetShape);
        if (Array.Exists(targetShape, d => d <= 0 && d != -1))
            throw InvalidArgument("target_shape", "positive integers or -1", Tuple(targetShape));
        TargetShape = new EquatableArray<int>([.. targetShape]);
    }

    /// <summary>The shape of each sample after the reshape, batch excluded; at most one entry is −1 (inferred).</summary>
    public EquatableArray<int> TargetShape { get; }

    /// <inheritdoc/>
    public override string ClassName => "Reshape";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 1);
        var target = TargetShape.Items;
        int unknownAt = target.IndexOf(-1);
        if (unknownAt >= 0 && target.LastIndexOf(-1) != unknownAt)
            throw Error($"Can only specify one unknown dimension (-1) in target_shape. Received: input_shape={x}, target_shape={Tuple(target)}");

        var dims = target.Select(d => d == -1 ? null : (int?)d).ToArray();
        if (x.Product(1) is long original)
        {
            long known = Shape.Known([.. target.Where(d => d != -1)]).Product()!.Value;
            bool fits = unknownAt >= 0 ? known != 0 && original % known == 0 : original == known;
            if (!fits)
                throw Error($"total size of new array must be unchanged, input_shape = {List(x.WithoutBatch)}, output_shape = {List(target)}. Input shape {x}, target_shape={Tuple(target)}.");
            if (unknownAt >= 0)
            {
                long inferred = original / known;
                if (inferred > int.MaxValue)
                    throw Error($"would infer a dimension of {inferred} for -1, more than a tensor axis can hold. Input shape {x}, target_shape={Tuple(target)}.");
                dims[unknownAt] = (int)inferred;
            }
        }
        return [Fits(Shape.Of([x[0], .. dims]))];
    }

    /// <summary>Python's list notation, as Keras 2's message prints the shapes: <c>[2, 3]</c>.</summary>
    private static string List(IEnumerable<int?> dims) => "[" + string.Join(", ", dims.Select(d => d?.ToString() ?? "None")) + "]";

    private static string List(ImmutableArray<int> dims) => List(dims.Select(d => (int?)d));

    /// <summary>Python's tuple notation, as Keras prints <c>target_shape</c>: <c>(4, -1)</c>, <c>(6,)</c>.</summary>
    private static string Tuple(IReadOnlyCollection<int> dims) =>
        dims.Count == 1 ? $"({dims.First()},)" : "(" + string.Join(", ", dims) + ")";

    /// <inheritdoc/>
    public override bool ForwardIsView(ForwardContext context) => true;

    /// <summary>Copies the values (row-major order is unchanged); the executor uses a view instead.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        inputs[0].Span.CopyTo(outputs[0].Data);

    /// <summary>Adds the output gradient, in the input's shape (same values in the same order), to the input gradient.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, args.OutputGrads[0].Span, dx.Data);
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>Reshape</c> config: <c>target_shape</c>, whose inferred dimension Keras writes as −1 and TF.js as
    /// null; written as −1, which both read.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Reshape>("Reshape",
        (c, id, name) =>
        {
            var dims = c.OptionalDims("target_shape") ?? throw c.Error("target_shape", "a list of dimensions");
            return new Reshape(Array.ConvertAll(dims, d => d ?? -1)) { Id = id, Name = name };
        },
        r => new JsonObject { ["target_shape"] = new JsonArray([.. r.TargetShape.Select(d => (JsonNode?)d)]) });
}
