using System.Text.Json.Nodes;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Concatenate</c>: two or more tensors joined along <see cref="Axis"/>. Every input
/// has the same rank and the same dimensions except along the axis (an unknown dimension
/// matches any); the output's axis is the sum of the inputs' (unknown if any is unknown).
/// </summary>
/// <example><code>new Concatenate() { Id = id, Name = "concatenate" }   // (None, 3), (None, 4) → (None, 7)</code></example>
public sealed record Concatenate : Layer
{
    /// <summary>A concatenation along <paramref name="axis"/> (negative counts from the end; the batch axis 0 is refused when called).</summary>
    public Concatenate(int axis = -1) => Axis = axis;

    /// <summary>The axis joined along; negative counts from the end.</summary>
    public int Axis { get; }

    /// <inheritdoc/>
    public override string ClassName => "Concatenate";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        string received = "[" + string.Join(", ", inputs) + "]";
        if (inputs.Count == 0)
            throw Error("A `Concatenate` layer should be called on a list of at least 1 input. Received: input_shape=[]");
        if (inputs.Count == 1)
            throw Error($"A `Concatenate` layer should be called on a list of at least 2 inputs. Received: input_shape={received}");

        int rank = inputs[0].Rank;
        if (inputs.Any(s => s.Rank != rank))
            throw Error($"A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape={received}");
        int axis = Axis < 0 ? Axis + rank : Axis;
        if (axis < 0 || axis >= rank)
            throw Error($"has axis={Axis}, outside inputs of rank {rank}. Received: input_shape={received}");
        if (axis == 0)
            throw Error($"cannot concatenate along axis 0, the batch axis: every input of a model has the same batch. Received: axis={Axis}, input_shape={received}");

        var dims = new int?[rank];
        for (int a = 0; a < rank; a++)
        {
            if (a == axis)
            {
                long? sum = inputs.Aggregate((long?)0, (total, s) => total + s[a]);
                if (sum > int.MaxValue)
                    throw Error($"would make axis {Axis} {sum} long, more than a tensor axis can hold. Received: input_shape={received}");
                dims[a] = (int?)sum;
                continue;
            }
            // Where one input leaves a dimension unknown, another may know it; two known ones must agree.
            var known = inputs.Select(s => s[a]).OfType<int>().Distinct().ToList();
            if (known.Count > 1)
                throw Error($"A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape={received}");
            dims[a] = known.Count == 1 ? known[0] : null;
        }
        return [Fits(Shape.Of(dims))];
    }

    /// <summary>The number of index tuples before <paramref name="axis"/> (by multiplying, since a 0 after the axis would make a quotient undefined).</summary>
    private static int Outer(Shape shape, int axis)
    {
        int outer = 1;
        for (int a = 0; a < axis; a++) outer *= shape[a]!.Value;
        return outer;
    }

    /// <summary>Copies each input's block along the axis, for every index before the axis.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var first = inputs[0].Shape;
        int axis = first.Axis(Axis);
        int outer = Outer(first, axis);
        var blocks = inputs.Select(t => (int)t.Shape.Product(axis)!.Value).ToArray();
        var y = outputs[0].Data.AsSpan();
        int offset = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inputs.Count; i++)
            {
                inputs[i].Span.Slice(o * blocks[i], blocks[i]).CopyTo(y[offset..]);
                offset += blocks[i];
            }
    }

    /// <summary>Adds each input's blocks of the output gradient, the reverse of <see cref="Forward"/>'s copies.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var inputs = args.Inputs;
        var first = inputs[0].Shape;
        int axis = first.Axis(Axis);
        int outer = Outer(first, axis);
        var blocks = inputs.Select(t => (int)t.Shape.Product(axis)!.Value).ToArray();
        var dy = args.OutputGrads[0].Span;
        int offset = 0;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inputs.Count; i++)
            {
                if (args.InputGrads[i] is { } dx)
                {
                    var dst = dx.Data.AsSpan(o * blocks[i], blocks[i]);
                    TensorPrimitives.Add(dst, dy.Slice(offset, blocks[i]), dst);
                }
                offset += blocks[i];
            }
    }

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <summary>
    /// Keras 3's mask of a concatenation: each input's mask broadcast over its input's shape (all true for an input
    /// without one), joined along the axis, then reduced with "any" over the last axis. Along the last axis that is
    /// the <b>or</b> of the inputs' masks (all true as soon as one input has none); along an earlier axis, the masks
    /// joined. None when no input carries a mask. (tf.keras 2 reduced with "all", an and.)
    /// </summary>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!inputs.Select((_, k) => context.MaskOf(k)).Any(m => m is not null)) return [];
        var first = inputs[0].Shape;
        int rank = first.Rank, axis = first.Axis(Axis);
        // Each input's mask over its shape without the last axis: a mask of rank < rank is constant along the axes it
        // lacks (so "any" over the last axis keeps it); a mask of full rank is reduced with "any" over the last axis.
        var reduced = inputs.Select((x, k) => Reduced(context.MaskOf(k), x.Shape)).ToArray();
        var shape = outputs[0].Shape.ToArray()[..^1];
        var bits = new bool[shape.Aggregate(1, (p, d) => p * d)];
        if (axis == rank - 1)
        {
            foreach (var r in reduced)
                for (int i = 0; i < bits.Length; i++) bits[i] |= r[i];
        }
        else
        {
            int outer = shape[..axis].Aggregate(1, (p, d) => p * d), offset = 0;
            for (int o = 0; o < outer; o++)
                for (int k = 0; k < inputs.Count; k++)
                {
                    int block = reduced[k].Length / outer;
                    Array.Copy(reduced[k], o * block, bits, offset, block);
                    offset += block;
                }
        }
        return [Tensor.FromBools(bits, shape)];
    }

    /// <summary>The mask of one input over its shape without the last axis: true everywhere without a mask.</summary>
    private static bool[] Reduced(Tensor? mask, Shape input)
    {
        var dims = input.ToArray()[..^1];
        var bits = new bool[dims.Aggregate(1, (p, d) => p * d)];
        if (mask is null)
        {
            Array.Fill(bits, true);
            return bits;
        }
        var m = mask.Ints;
        if (mask.Shape.Rank == input.Rank)
        {
            int last = input[^1]!.Value;
            for (int i = 0; i < bits.Length; i++)
                for (int j = i * last; j < (i + 1) * last && !bits[i]; j++) bits[i] = m[j] != 0;
            return bits;
        }
        int repeat = bits.Length / Math.Max(1, m.Length);
        for (int i = 0; i < bits.Length; i++) bits[i] = m[i / repeat] != 0;
        return bits;
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Concatenate</c> config: <c>axis</c> (default −1).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Concatenate>("Concatenate",
        (c, id, name) => new Concatenate(c.Int("axis", -1)) { Id = id, Name = name },
        cc => new JsonObject { ["axis"] = cc.Axis });
}
