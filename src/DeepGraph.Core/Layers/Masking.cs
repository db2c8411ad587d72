using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Masking</c>: a step of a sequence whose features all equal <see cref="MaskValue"/> is masked —
/// the output is the input with those steps set to 0, and the layer gives the layers after it the mask of the
/// other steps (<see cref="ComputeMask"/>; recurrent layers skip masked steps, GlobalAveragePooling1D leaves them
/// out of its mean). Input (batch, steps, …, features) → output of the same shape, mask (batch, steps, …).
/// Written over ops (a product with the 0/1 mask, so the gradient of a masked step is 0).
/// </summary>
/// <example><code>new Masking(0.0) { Id = id, Name = "masking" }   // (None, 10, 8) → (None, 10, 8), mask (None, 10)</code></example>
public sealed record Masking : OpLayer
{
    /// <summary>A mask of the steps not made entirely of <paramref name="maskValue"/> (Keras's default 0).</summary>
    public Masking(double maskValue = 0.0) => MaskValue = maskValue;

    /// <summary>The value that marks a padded step when every feature of the step has it.</summary>
    public double MaskValue { get; }

    /// <inheritdoc/>
    public override string ClassName => "Masking";

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 2);
        return [x];
    }

    /// <summary>The input times the 0/1 mask of its steps.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var x = inputs[0];
        var keep = Keep(x.Value);
        var dims = x.Shape.ToArray();
        dims[^1] = 1;
        return [Ops.Multiply(x, call.Tape.Constant(Tensor.FromArray(Array.ConvertAll(keep, k => k ? 1f : 0f), dims)))];
    }

    /// <summary>The steps kept: those with a feature other than <see cref="MaskValue"/> (Keras: any(x ≠ mask_value) over the last axis). The incoming mask is replaced.</summary>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var x = inputs[0];
        return [Tensor.FromBools(Keep(x), x.Shape.ToArray()[..^1])];
    }

    private bool[] Keep(Tensor x)
    {
        var v = x.Span;
        int features = x.Shape[^1]!.Value;
        var keep = new bool[x.Shape.ToArray()[..^1].Aggregate(1, (p, d) => p * d)];
        float value = (float)MaskValue;
        for (int s = 0; s < keep.Length; s++)
            for (int f = s * features; f < (s + 1) * features && !keep[s]; f++)
                keep[s] = v[f] != value;
        return keep;
    }

    /// <summary>Keras's <c>Masking</c> config: <c>mask_value</c> (default 0).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Masking>("Masking",
        (c, id, name) => new Masking(c.Double("mask_value", 0.0)) { Id = id, Name = name },
        l => new JsonObject { ["mask_value"] = l.MaskValue });
}
