using System.Globalization;

namespace DeepGraph.Core;

/// <summary>
/// What Keras's regularization layers that perturb their input in training share (GaussianNoise,
/// GaussianDropout, AlphaDropout, SpatialDropout1D/2D): the identity at inference and outside
/// <see cref="Active"/>, an optional <see cref="Seed"/>, and counter-based random draws. Draw i of a call is a
/// hash of the call's seed, the layer's seed (or its name) and i, so a seed reproduces a training step and the
/// draws need no generator state.
/// </summary>
public abstract record NoiseLayer : OpLayer
{
    /// <summary>A noise layer with its own seed, if any.</summary>
    protected NoiseLayer(int? seed) => Seed = seed;

    /// <summary>Seed of the layer's random stream, if fixed (Keras's <c>seed</c>); else the layer's name picks it.</summary>
    public int? Seed { get; }

    /// <summary>An elementwise layer passes its input's mask on (Keras's <c>supports_masking</c>).</summary>
    public override bool SupportsMasking => true;

    /// <summary>True when the layer changes its input in training (for example a rate strictly between 0 and 1).</summary>
    protected abstract bool Active { get; }

    /// <summary>The input perturbed, for a training call.</summary>
    protected abstract Var Perturb(OpCall call, Var x);

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];

    /// <summary>Outside a training step that perturbs (inference, a frozen layer, an inactive rate) the output is the input itself, shared.</summary>
    public override bool ForwardIsView(ForwardContext context) => !(context.Training && !context.Frozen && Active);

    /// <summary>Through a shared output the gradient passes unchanged; otherwise it comes from the recorded call.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (!ForwardIsView(context))
        {
            base.Backward(context, args);
            return;
        }
        if (args.InputGrads[0] is { } dx)
            System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, args.OutputGrads[0].Span, dx.Data);
    }

    /// <summary>In training and when <see cref="Active"/>, <see cref="Perturb"/>; otherwise the input unchanged.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs) =>
        [call.Training && Active ? Perturb(call, inputs[0]) : inputs[0]];

    /// <summary>The key of a call's draws: its seed mixed with the layer's seed, or with a stable hash of its name.</summary>
    private ulong Key(OpCall call) => unchecked((ulong)(uint)Seeds.Derive(call.Seed, Seed ?? StableHash(Name)) * 0xD1B54A32D192ED03UL);

    /// <summary>Draw <paramref name="i"/> under <paramref name="key"/>: 64 random bits (SplitMix64's finaliser of key + (i + 1)·golden).</summary>
    private static ulong Bits(ulong key, long i)
    {
        ulong z = unchecked(key + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Uniform draws in [0, 1) of a call, one per element of <paramref name="shape"/> (53 bits each).</summary>
    protected double[] Uniform(OpCall call, Shape shape)
    {
        ulong key = Key(call);
        var u = new double[Count(shape)];
        for (int i = 0; i < u.Length; i++) u[i] = (Bits(key, i) >> 11) * (1.0 / (1UL << 53));
        return u;
    }

    /// <summary>Standard normal draws of a call, one per element of <paramref name="shape"/> (Box–Muller on two uniform draws each).</summary>
    protected double[] Normal(OpCall call, Shape shape)
    {
        ulong key = Key(call);
        var z = new double[Count(shape)];
        for (int i = 0; i < z.Length; i++)
        {
            double u1 = ((Bits(key, 2L * i) >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
            double u2 = (Bits(key, 2L * i + 1) >> 11) * (1.0 / (1UL << 53));
            z[i] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return z;
    }

    /// <summary>
    /// A noise shape resolved against the input: <c>null</c> entries (Keras's <c>None</c>) take the input's size, others
    /// must be 1 or the input's size, so the noise broadcasts.
    /// </summary>
    /// <exception cref="ShapeError">The noise shape has another rank or does not broadcast.</exception>
    protected Shape NoiseShapeFor(Shape input, IReadOnlyList<int?> noise)
    {
        bool broadcasts = noise.Count == input.Rank &&
            Enumerable.Range(0, input.Rank).All(a => noise[a] is null || noise[a] == 1 || input[a] is null || noise[a] == input[a]);
        if (!broadcasts)
            throw Error($"has noise_shape=({string.Join(", ", noise.Select(d => d?.ToString(CultureInfo.InvariantCulture) ?? "None"))}), which does not broadcast to its input shape {input}: it needs the input's rank, with each dimension 1, None or the input's.");
        return Shape.Of([.. noise.Select((d, a) => d ?? input[a])]);
    }

    /// <summary>Inverted dropout's factors over <paramref name="shape"/>: 0 with probability <paramref name="rate"/>, else 1/(1 − rate).</summary>
    protected Var DropMask(OpCall call, Shape shape, double rate) =>
        Constant(call, shape, Uniform(call, shape).Select(u => u >= rate ? 1 / (1 - rate) : 0));

    /// <summary><paramref name="values"/> as a constant of the call's tape, shaped <paramref name="shape"/>.</summary>
    protected static Var Constant(OpCall call, Shape shape, IEnumerable<double> values) =>
        call.Tape.Constant(Tensor.Own([.. values.Select(v => (float)v)], shape));

    private static int Count(Shape shape) => (int)(shape.Product() ?? throw new InvalidOperationException($"A noise layer drew for a shape {shape} with an unknown dimension."));

    /// <summary>FNV-1a of the name: the same in every process (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string name)
    {
        uint h = 2166136261;
        foreach (char c in name) h = unchecked((h ^ c) * 16777619);
        return unchecked((int)h);
    }

    /// <summary>Keras's message for a rate outside [0, 1].</summary>
    /// <exception cref="ArgumentException">Always.</exception>
    protected static double RequireRate(double rate, bool oneAllowed) =>
        rate >= 0 && (oneAllowed ? rate <= 1 : rate < 1)
            ? rate
            : throw new ArgumentException($"Invalid value received for argument `rate`. Expected a float value between 0 and 1{(oneAllowed ? "" : " (1 excluded)")}. Received: rate={rate.ToString(CultureInfo.InvariantCulture)}", nameof(rate));
}
