using System.Text.Json.Nodes;
using System.Runtime.Intrinsics;
using System.Globalization;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Dropout</c>: in training, sets a fraction <see cref="Rate"/> of the inputs to 0 and
/// scales the rest by 1/(1 − rate); at inference, the identity. The output has the shape of the input.
/// </summary>
/// <example><code>new Dropout(0.5) { Id = id, Name = "dropout" }</code></example>
public sealed record Dropout : Layer
{
    /// <summary>A dropout of <paramref name="rate"/>.</summary>
    /// <param name="rate">Fraction of the inputs to drop, in [0, 1).</param>
    /// <param name="noiseShape">
    /// Shape of the binary mask, batch included, broadcast over the input: 1 shares one draw
    /// along an axis, <c>null</c> takes the input's dimension (Keras's <c>None</c>). Null: the input's shape.
    /// </param>
    /// <param name="seed">Seed of the mask's random stream; null lets the trainer choose.</param>
    /// <exception cref="ArgumentException">The rate is outside [0, 1) or a noise dimension is not positive.</exception>
    public Dropout(double rate, int?[]? noiseShape = null, int? seed = null)
    {
        // Keras accepts rate = 1 but its backend divides by 1 − rate; refuse it here, where the mistake is made.
        Rate = rate is >= 0 and < 1
            ? rate
            : throw new ArgumentException($"Invalid value received for argument `rate`. Expected a float value between 0 and 1 (1 excluded). Received: rate={rate.ToString(CultureInfo.InvariantCulture)}", nameof(rate));
        if (noiseShape is not null && Array.Exists(noiseShape, d => d <= 0))
            throw InvalidArgument("noise_shape", "positive integers or None", NoiseTuple(noiseShape));
        NoiseShape = noiseShape is null ? null : EquatableArray.Of(noiseShape);
        Seed = seed;
    }

    /// <summary>Fraction of the inputs dropped in training.</summary>
    public double Rate { get; }

    /// <summary>Shape of the dropout mask (batch included, <c>null</c> entries follow the input), or null for the input's shape.</summary>
    public EquatableArray<int?>? NoiseShape { get; }

    /// <summary>Seed of the mask's random stream, if fixed.</summary>
    public int? Seed { get; }

    /// <inheritdoc/>
    public override string ClassName => "Dropout";

    /// <summary>An input's mask passes through to the output, as in Keras.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        if (NoiseShape is { } noise)
        {
            // The mask must broadcast against the input: each known entry is 1 or the input's dimension.
            bool broadcasts = noise.Count == x.Rank &&
                Enumerable.Range(0, x.Rank).All(a => noise[a] is null || noise[a] == 1 || x[a] is null || noise[a] == x[a]);
            if (!broadcasts)
                throw Error($"has noise_shape={NoiseTuple(noise)}, which does not broadcast to its input shape {x}: it needs the input's rank, with each dimension 1, None or the input's.");
        }
        return [x];
    }

    /// <summary>Python's tuple notation, as Keras prints <c>noise_shape</c>: <c>(None, 1, 64)</c>.</summary>
    private static string NoiseTuple(IReadOnlyCollection<int?> dims) =>
        "(" + string.Join(", ", dims.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "None")) + (dims.Count == 1 ? ",)" : ")");

    /// <inheritdoc/>
    public override bool ForwardIsView(ForwardContext context) => !context.Training || Rate == 0;

    /// <summary>
    /// In training, zeroes each value with probability <see cref="Rate"/> and scales the rest by
    /// 1 / (1 − rate) (inverted dropout, as Keras), from a mask drawn from the pass's seed.
    /// </summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0].Span;
        var y = outputs[0].Data.AsSpan();
        if (!context.Training || Rate == 0)
        {
            x.CopyTo(y);
            return;
        }
        if (NoiseShape is not null)
            throw new NotSupportedException($"Layer \"{Name}\": training with a noise_shape is not supported yet.");
        var mask = context.Pool.Rent(x.Length);
        try
        {
            FillMask(context, mask.AsSpan(0, x.Length));
            System.Numerics.Tensors.TensorPrimitives.Multiply(x, mask.AsSpan(0, x.Length), y);
        }
        finally
        {
            context.Pool.Return(mask);
        }
    }

    /// <summary>
    /// Fills <paramref name="mask"/> with this pass's mask: each value 0 with probability
    /// <see cref="Rate"/>, else 1/(1 − rate). Value i is drawn from a counter-based generator
    /// (SplitMix64's finaliser of the pass key and i): the same for <see cref="Forward"/> and
    /// <see cref="ForwardTrain"/>, reproducible from the seed, and cheap (a few multiplies a value).
    /// </summary>
    private void FillMask(ForwardContext context, Span<float> mask)
    {
        ulong key = unchecked((ulong)(uint)Seeds.Derive(context.Seed, Seed ?? StableHash(Name)) * 0xD1B54A32D192ED03UL);
        ulong threshold = (ulong)(Rate * 4294967296.0);
        float scale = (float)(1.0 / (1.0 - Rate));
        int start = System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? FillMask512(mask, key, threshold, scale) : 0;
        for (int i = start; i < mask.Length; i++)
        {
            ulong z = unchecked(key + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            mask[i] = (z >> 32) < threshold ? 0f : scale;
        }
    }

    /// <summary>The vectorised body of <see cref="FillMask"/>: the same values, sixteen at a time; returns where it stopped.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static int FillMask512(Span<float> mask, ulong key, ulong threshold, float scale)
    {
        const ulong Golden = 0x9E3779B97F4A7C15UL;
        var lanes = System.Runtime.Intrinsics.Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8);
        var keyV = System.Runtime.Intrinsics.Vector512.Create(key);
        var golden = System.Runtime.Intrinsics.Vector512.Create(Golden);
        var limit = System.Runtime.Intrinsics.Vector512.Create((uint)Math.Min(threshold, uint.MaxValue));
        bool all = threshold > uint.MaxValue; // rate 1 cannot happen (refused), but keep the comparison exact
        var keep = System.Runtime.Intrinsics.Vector512.Create(scale);
        int i = 0;
        for (; i + 16 <= mask.Length; i += 16)
        {
            var low = Mix(keyV + (lanes + System.Runtime.Intrinsics.Vector512.Create((ulong)i)) * golden);
            var high = Mix(keyV + (lanes + System.Runtime.Intrinsics.Vector512.Create((ulong)(i + 8))) * golden);
            var bits = System.Runtime.Intrinsics.Vector512.Narrow(
                System.Runtime.Intrinsics.Vector512.ShiftRightLogical(low, 32), System.Runtime.Intrinsics.Vector512.ShiftRightLogical(high, 32));
            var dropped = all ? System.Runtime.Intrinsics.Vector512<uint>.AllBitsSet : System.Runtime.Intrinsics.Vector512.LessThan(bits, limit);
            System.Runtime.Intrinsics.Vector512.ConditionalSelect(System.Runtime.Intrinsics.Vector512.AsSingle(dropped), System.Runtime.Intrinsics.Vector512<float>.Zero, keep)
                .CopyTo(mask.Slice(i, 16));
        }
        return i;

        static System.Runtime.Intrinsics.Vector512<ulong> Mix(System.Runtime.Intrinsics.Vector512<ulong> z)
        {
            z = (z ^ System.Runtime.Intrinsics.Vector512.ShiftRightLogical(z, 30)) * System.Runtime.Intrinsics.Vector512.Create(0xBF58476D1CE4E5B9UL);
            z = (z ^ System.Runtime.Intrinsics.Vector512.ShiftRightLogical(z, 27)) * System.Runtime.Intrinsics.Vector512.Create(0x94D049BB133111EBUL);
            return z ^ System.Runtime.Intrinsics.Vector512.ShiftRightLogical(z, 31);
        }
    }

    /// <summary>
    /// <see cref="Forward"/>, saving the mask it applied (each value 0 or 1/(1 − rate), drawn as
    /// <see cref="Forward"/> draws it, so both give the same output). Nothing is saved when the
    /// layer passes its input through (not training, or rate 0).
    /// </summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        if (!context.Training || Rate == 0)
        {
            Forward(context, inputs, outputs);
            return [];
        }
        if (NoiseShape is not null)
            throw new NotSupportedException($"Layer \"{Name}\": training with a noise_shape is not supported yet.");
        var x = inputs[0].Span;
        var y = outputs[0].Data.AsSpan();
        var maskTensor = context.Pool.RentTensor(inputs[0].Shape);
        FillMask(context, maskTensor.Data);
        System.Numerics.Tensors.TensorPrimitives.Multiply(x, maskTensor.Span, y);
        return [maskTensor];
    }

    /// <summary>Adds the output gradient times the saved mask (the output gradient itself when nothing was dropped) to the input gradient.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var dy = args.OutputGrads[0].Span;
        if (args.Saved.Count == 0)
            System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, dy, dx.Data);
        else
            System.Numerics.Tensors.TensorPrimitives.FusedMultiplyAdd(dy, args.Saved[0].Span, dx.Span, dx.Data);
    }

    /// <summary>FNV-1a of the name: the same in every process (string.GetHashCode is randomised per process, which made masks irreproducible).</summary>
    private static int StableHash(string name)
    {
        uint h = 2166136261;
        foreach (char c in name) h = unchecked((h ^ c) * 16777619);
        return unchecked((int)h);
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Dropout</c> config: <c>rate</c>, <c>noise_shape</c>, <c>seed</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Dropout>("Dropout",
        (c, id, name) => new Dropout(c.Has("rate") ? c.Double("rate") : throw c.Error("rate", "a number in [0, 1)"),
            c.OptionalDims("noise_shape"), c.OptionalInt("seed")) { Id = id, Name = name },
        d => new JsonObject
        {
            ["rate"] = d.Rate,
            ["noise_shape"] = d.NoiseShape is { } noise ? LayerConfig.Dims(noise) : null,
            ["seed"] = d.Seed,
        });
}
