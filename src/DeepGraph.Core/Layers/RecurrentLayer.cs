using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// What Keras's recurrent layers (<see cref="SimpleRNN"/>, <see cref="LSTM"/>, <see cref="GRU"/>) share: input
/// (batch, steps, features) → the last state (batch, units), or every step's state (batch, steps, units) with
/// <see cref="ReturnSequences"/>, followed by the final states with <see cref="ReturnState"/>. Weights: <c>kernel</c>
/// (features, gates·units), <c>recurrent_kernel</c> (units, gates·units), <c>bias</c>. A kernel layer: the input
/// projection of every step is one GEMM, each step one GEMM with the recurrent kernel and the gate arithmetic on
/// rows, and the backward pass runs through time with the weight gradients as one GEMM each at the end
/// (<see cref="Recurrence"/>).
/// </summary>
/// <remarks>
/// The state starts at zero, or at the initial states given as further inputs (Keras's <c>initial_state</c>, or a list
/// <c>[x, h]</c> / <c>[x, h, c]</c> as Keras's layers take it). With <see cref="GoBackwards"/> the steps run from last to first and a sequence output is
/// in that processing order, as in Keras. A mask (from <c>Embedding(mask_zero)</c> or <c>Masking</c>) makes a masked
/// step carry the state and the output over unchanged (Keras's <c>zero_output_for_mask=False</c>; a
/// <c>Bidirectional</c> with <c>return_sequences</c> outputs zeros there instead). <c>stateful=True</c> is refused;
/// <c>dropout</c> drops inputs in training (one mask per sample and feature for every step, as Keras);
/// <c>recurrent_dropout</c> is kept in the configuration and does nothing at inference, but training with it is not
/// supported yet (refused, naming the layer); <c>unroll</c> is accepted and ignored (same numbers).
/// </remarks>
public abstract record RecurrentLayer : WeightedLayer
{
    /// <summary>The arguments every recurrent layer takes, checked as Keras checks them.</summary>
    /// <exception cref="ArgumentException">Units not positive, a dropout rate that is not a number, or <c>stateful</c> true.</exception>
    protected RecurrentLayer(int units, ActivationFunction? activation, bool useBias, bool returnSequences, bool returnState, bool goBackwards,
        bool stateful, double dropout, double recurrentDropout, bool unroll)
    {
        Units = units > 0 ? units : throw InvalidArgument("units", "a positive integer", units);
        Activation = activation ?? ActivationFunction.Tanh;
        UseBias = useBias;
        ReturnSequences = returnSequences;
        ReturnState = returnState;
        GoBackwards = goBackwards;
        if (stateful)
            throw new ArgumentException("stateful=True is not supported: DeepGraph's recurrent layers start every batch from a zero state. Use stateful=False.", nameof(stateful));
        // Keras clips the rates into [0, 1] rather than refusing them, and drops only when 0 < rate < 1.
        Dropout = double.IsNaN(dropout) ? throw InvalidArgument("dropout", "a float between 0 and 1", dropout) : Math.Clamp(dropout, 0, 1);
        RecurrentDropout = double.IsNaN(recurrentDropout) ? throw InvalidArgument("recurrent_dropout", "a float between 0 and 1", recurrentDropout) : Math.Clamp(recurrentDropout, 0, 1);
        Unroll = unroll;
    }

    /// <summary>The state's size.</summary>
    public int Units { get; }

    /// <summary>The cell's activation (Keras's default: tanh).</summary>
    public ActivationFunction Activation { get; }

    /// <summary>Whether the cell adds a bias.</summary>
    public bool UseBias { get; }

    /// <summary>Keras's <c>return_sequences</c>: the output is every step's state (batch, steps, units), not the last.</summary>
    public bool ReturnSequences { get; }

    /// <summary>Keras's <c>return_state</c>: the final states follow the output (h; h and c for an LSTM).</summary>
    public bool ReturnState { get; }

    /// <summary>Keras's <c>go_backwards</c>: the steps run from last to first.</summary>
    public bool GoBackwards { get; init; }

    /// <summary>Keras's <c>dropout</c> on the inputs (training only): one mask per sample and feature, for every step.</summary>
    public double Dropout { get; }

    /// <summary>Keras's <c>recurrent_dropout</c> on the state (training only; training with a rate above 0 is not supported yet).</summary>
    public double RecurrentDropout { get; }

    /// <summary>Keras's <c>unroll</c>: kept in the configuration; it changes no number.</summary>
    public bool Unroll { get; }

    /// <summary>
    /// A masked step's sequence output is zeros instead of the carried state (Keras's <c>zero_output_for_mask</c>, which a
    /// <c>Bidirectional</c> with <c>return_sequences</c> sets on the layers it wraps). Not part of the saved config.
    /// </summary>
    public bool ZeroOutputForMask { get; init; }

    /// <summary>The gates' activation (LSTM and GRU; Keras's default: sigmoid).</summary>
    public virtual ActivationFunction RecurrentActivation => ActivationFunction.Sigmoid;

    /// <summary>The cell the kernel runs.</summary>
    internal abstract RecurrentCell Cell { get; }

    /// <summary>The number of states (1; 2 for an LSTM: h and c).</summary>
    public int StateCount => Cell == RecurrentCell.Lstm ? 2 : 1;

    /// <summary>Gate blocks in the kernels' columns.</summary>
    private int Gates => Cell switch { RecurrentCell.Simple => 1, RecurrentCell.Lstm => 4, _ => 3 };

    /// <summary>The output's mask is the input's with <see cref="ReturnSequences"/>; the last state and the states carry none.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outputs);
        return ReturnSequences && context.MaskOf(0) is { } mask ? [mask] : [];
    }

    /// <summary>The input features the kernel was built for, once built.</summary>
    public int? InputDim => IsBuilt ? Params[0].Shape[0] : null;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        UseBias ? [("kernel", true), ("recurrent_kernel", true), ("bias", true)] : [("kernel", true), ("recurrent_kernel", true)];

    /// <summary>The bias's shape ([gates·units]; [2, 3·units] for a GRU with reset_after).</summary>
    protected virtual Shape BiasShape => Shape.Known(Gates * Units);

    /// <summary>How the bias starts (zeros; an LSTM with unit_forget_bias starts the forget block at 1).</summary>
    protected virtual Initializer BiasInitializer => Constant.Zeros;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != 1 && inputs.Count != 1 + StateCount)
            throw Error($"expects its input and, optionally, its initial state{(StateCount == 2 ? "s [h, c]" : " [h]")}: 1 or {1 + StateCount} tensors, but it received {inputs.Count}: {string.Join(", ", inputs)}.");
        var x = inputs[0];
        RequireRank(x, 3);
        for (int k = 1; k < inputs.Count; k++)
            if (inputs[k].Rank != 2 || inputs[k][-1] != Units || (inputs[k][0] is { } b && x[0] is { } bx && b != bx))
                throw Error($"received an initial state of shape {inputs[k]} (input {k}); with {Units} units and input {x} it must be ({x[0]?.ToString() ?? "None"}, {Units}).");
        if (x[-1] is null)
            throw Error($"The last dimension of the inputs to a {ClassName} layer should be defined. Found None. Full input shape received: {x}");
        var output = ReturnSequences ? Shape.Of(x[0], x[1], Units) : Shape.Of(x[0], Units);
        var state = Shape.Of(x[0], Units);
        return ReturnState ? [Fits(output), .. Enumerable.Repeat(state, StateCount)] : [Fits(output)];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        int features = inputs[0][-1]!.Value, width = Gates * Units;
        var kernel = new WeightSpec("kernel", Shape.Known(features, width), true, new GlorotUniform());
        var recurrent = new WeightSpec("recurrent_kernel", Shape.Known(Units, width), true, new Orthogonal());
        return UseBias ? [kernel, recurrent, new WeightSpec("bias", BiasShape, true, BiasInitializer)] : [kernel, recurrent];
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        if (inputs[0][-1] != InputDim)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected axis -1 of input shape to have value {InputDim}, but received input with shape {inputs[0]}");
        base.CheckWeights(inputs);
    }

    // ---- computing -------------------------------------------------------------------------

    private RecurrenceSpec SpecFor(Tensor x) =>
        new(Cell, x.Shape[0]!.Value, x.Shape[1]!.Value, x.Shape[2]!.Value, Units, Activation, RecurrentActivation, GoBackwards, ZeroOutputForMask);

    /// <summary>The input's mask as 0/1 per (sample, step), or empty; a mask of another shape is refused.</summary>
    private ReadOnlySpan<int> MaskFor(ForwardContext context, Tensor x)
    {
        if (context.MaskOf(0) is not { } mask) return default;
        if (mask.Shape != Shape.Known(x.Shape[0]!.Value, x.Shape[1]!.Value))
            throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) received a mask of shape {mask.Shape} for an input of shape {x.Shape}; a recurrent layer's mask is (batch, steps).");
        return mask.Ints;
    }

    /// <summary>The kernel's bias and, for a GRU with reset_after, the recurrent bias (empty when none).</summary>
    private (ReadOnlyMemory<float> Input, ReadOnlyMemory<float> Recurrent) Biases()
    {
        if (!UseBias) return (default, default);
        var b = Params[2].Data;
        int width = Gates * Units;
        return b.Length == 2 * width ? (b.AsMemory(0, width), b.AsMemory(width, width)) : (b.AsMemory(), default);
    }

    private static RecurrenceTrace Rent(RecurrenceSpec spec, TensorPool pool)
    {
        var lengths = spec.TraceLengths();
        float[]? Opt(int i) => lengths[i] > 0 ? pool.Rent(lengths[i]) : null;
        return new RecurrenceTrace(pool.Rent(lengths[0]), pool.Rent(lengths[1]), pool.Rent(lengths[2]), Opt(3), Opt(4), Opt(5), Opt(6));
    }

    private static IEnumerable<float[]> Arrays(RecurrenceTrace trace) =>
        new[] { trace.X, trace.Z, trace.H, trace.C, trace.A, trace.R, trace.P }.OfType<float[]>();

    /// <summary>
    /// The input dropout mask of a training pass (Keras's <c>dropout</c>): per sample and feature, 0 with probability
    /// <see cref="Dropout"/> and 1 / (1 − rate) otherwise, the same for every step; drawn from the pass's seed and the
    /// layer's name, so two layers (a Bidirectional's two directions) draw different masks.
    /// </summary>
    public float[] InputDropoutMask(ForwardContext context, int batch, int features)
    {
        ArgumentNullException.ThrowIfNull(context);
        uint hash = 2166136261;
        foreach (char ch in Name) hash = unchecked((hash ^ ch) * 16777619);
        var rng = new MathNet.Numerics.Random.Xoshiro256StarStar(Seeds.Derive(context.Seed, unchecked((int)hash)), threadSafe: false);
        float scale = (float)(1.0 / (1.0 - Dropout));
        var keep = new float[batch * features];
        for (int i = 0; i < keep.Length; i++) keep[i] = rng.NextDouble() < Dropout ? 0f : scale;
        return keep;
    }

    private RecurrenceTrace Run(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, float[]? keep = null)
    {
        var x = inputs[0];
        var spec = SpecFor(x);
        var trace = Rent(spec, context.Pool);
        var (bias, recurrentBias) = Biases();
        var sequence = ReturnSequences ? outputs[0].Data.AsSpan() : default;
        var last = !ReturnSequences ? outputs[0].Data.AsSpan() : ReturnState ? outputs[1].Data.AsSpan() : default;
        var lastCell = ReturnState && StateCount == 2 ? outputs[2].Data.AsSpan() : default;
        Recurrence.Forward(spec, context.Gemm, x.Span, MaskFor(context, x), Params[0].Span, Params[1].Span, bias.Span, recurrentBias.Span,
            trace, sequence, last, lastCell, keep, inputs.Count > 1 ? inputs[1].Span : default, inputs.Count > 2 ? inputs[2].Span : default, context.Threads);
        if (ReturnState && !ReturnSequences) outputs[0].Span.CopyTo(outputs[1].Data);
        return trace;
    }

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        var trace = Run(context, inputs, outputs);
        foreach (var array in Arrays(trace)) context.Pool.Return(array);
    }

    /// <summary>
    /// Like <see cref="Forward"/>, with the input dropout of <see cref="Dropout"/> (<see cref="InputDropoutMask"/>); saves the
    /// trace of the run (inputs in processing order, gates, states) and the dropout mask.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer has a recurrent dropout rate above 0 (not supported yet in training).</exception>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        if (RecurrentDropout is > 0 and < 1)
            throw new NotSupportedException($"Layer \"{Name}\" ({ClassName}) has recurrent_dropout={RecurrentDropout}: training with recurrent dropout is not supported yet. Use recurrent_dropout=0 (dropout on the inputs is supported).");
        var keep = Dropout is > 0 and < 1 ? InputDropoutMask(context, inputs[0].Shape[0]!.Value, inputs[0].Shape[2]!.Value) : null;
        var trace = Run(context, inputs, outputs, keep);
        var saved = Arrays(trace).Select(a => Tensor.Own(a, Shape.Known(a.Length)));
        return keep is null ? [.. saved] : [.. saved, Tensor.Own(keep, Shape.Known(keep.Length))];
    }

    /// <summary>Backward through time from the output's (and the states') gradients.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        var x = args.Inputs[0];
        var spec = SpecFor(x);
        var lengths = spec.TraceLengths();
        var saved = args.Saved.Select(t => t.Data).ToList();
        int k = 3;
        float[]? Next(int i) => lengths[i] > 0 ? saved[k++] : null;
        var trace = new RecurrenceTrace(saved[0], saved[1], saved[2], Next(3), Next(4), Next(5), Next(6));
        var dSequence = ReturnSequences ? args.OutputGrads[0].Span : default;
        float[]? dLast = null;
        if (!ReturnSequences) dLast = args.OutputGrads[0].Data;
        if (ReturnState)
        {
            var dh = args.OutputGrads[1].Data;
            if (dLast is null) dLast = dh;
            else TensorPrimitivesAdd(dLast, dh);
        }
        var dLastCell = ReturnState && StateCount == 2 ? args.OutputGrads[2].Span : default;
        var grads = args.ParamGrads;
        Span<float> Grad(int i) => i < grads.Count && grads[i] is { } g ? g.Data.AsSpan() : default;
        var dBias = UseBias ? Grad(2) : default;
        int width = Gates * Units;
        var dInputBias = dBias.Length == 2 * width ? dBias[..width] : dBias;
        var dRecurrentBias = dBias.Length == 2 * width ? dBias[width..] : default;
        var dx = args.InputGrads[0] is { } gx ? gx.Data.AsSpan() : default;
        Span<float> InitialGrad(int k)
        {
            if (k >= args.InputGrads.Count || args.InputGrads[k] is not { } g) return default;
            if (args.Unset(k)) g.Data.AsSpan().Clear();
            return g.Data;
        }
        Recurrence.Backward(spec, context.Gemm, MaskFor(context, x), Params[0].Span, Params[1].Span, trace,
            dSequence, dLast, dLastCell, Grad(0), Grad(1), dInputBias, dRecurrentBias, dx, args.Unset(0), context.Pool,
            Dropout is > 0 and < 1 ? saved[^1] : default, InitialGrad(1), InitialGrad(2), context.Threads);
    }

    private static void TensorPrimitivesAdd(float[] into, float[] other) => System.Numerics.Tensors.TensorPrimitives.Add(into, other, into);

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    // ---- config codec (shared keys) ------------------------------------------------------------

    /// <summary>The arguments every recurrent config has, read with Keras's defaults.</summary>
    protected internal readonly record struct CommonConfig(int Units, ActivationFunction Activation, bool UseBias, bool ReturnSequences, bool ReturnState,
        bool GoBackwards, bool Stateful, double Dropout, double RecurrentDropout, bool Unroll);

    /// <summary>Reads the shared keys; refuses <c>time_major</c> true.</summary>
    /// <exception cref="ModelFormatError">A value is of the wrong type, or <c>time_major</c> is true.</exception>
    protected static CommonConfig ReadCommon(LayerConfig c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Bool("time_major", false)) throw c.Error("time_major", "false (DeepGraph's recurrent inputs are (batch, steps, features))");
        return new CommonConfig(c.Int("units"), ActivationFunction.Parse(c.OptionalString("activation", "tanh")), c.Bool("use_bias", true),
            c.Bool("return_sequences", false), c.Bool("return_state", false), c.Bool("go_backwards", false), c.Bool("stateful", false),
            c.Double("dropout", 0), c.Double("recurrent_dropout", 0), c.Bool("unroll", false));
    }

    /// <summary>
    /// The config keys in TF.js's order: units, activation, <paramref name="recurrentActivation"/> (LSTM and GRU), use_bias,
    /// Keras's default initializers, no regularizers or constraints, the dropouts, <paramref name="beforeFlags"/>, then the flags.
    /// </summary>
    protected JsonObject WriteCommon(ActivationFunction? recurrentActivation, JsonObject? beforeFlags = null, bool unitForgetBias = false, bool writeUnitForgetBias = false)
    {
        var config = new JsonObject { ["units"] = Units, ["activation"] = Activation.KerasName };
        if (recurrentActivation is not null) config["recurrent_activation"] = recurrentActivation.KerasName;
        config["use_bias"] = UseBias;
        config["kernel_initializer"] = LayerConfig.GlorotUniform();
        config["recurrent_initializer"] = new JsonObject { ["class_name"] = "Orthogonal", ["config"] = new JsonObject { ["gain"] = 1, ["seed"] = null } };
        config["bias_initializer"] = LayerConfig.Initializer("Zeros");
        if (writeUnitForgetBias) config["unit_forget_bias"] = unitForgetBias;
        foreach (var key in (string[])["kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint"])
            config[key] = null;
        config["dropout"] = Dropout;
        config["recurrent_dropout"] = RecurrentDropout;
        if (beforeFlags is not null)
            foreach (var (key, value) in beforeFlags.ToList())
            {
                beforeFlags.Remove(key);
                config[key] = value;
            }
        config["return_sequences"] = ReturnSequences;
        config["return_state"] = ReturnState;
        config["go_backwards"] = GoBackwards;
        config["stateful"] = false;
        config["unroll"] = Unroll;
        return config;
    }
}

/// <summary>An LSTM bias's start with <c>unit_forget_bias</c>: zeros, except ones over the forget gate's block [units, 2·units).</summary>
/// <param name="Units">The LSTM's units.</param>
public sealed record UnitForgetBias(int Units) : Initializer
{
    /// <inheritdoc/>
    public override Tensor Create(int[] shape, int seed)
    {
        var t = Constant.Zeros.Create(shape, seed);
        t.Data.AsSpan(Units, Units).Fill(1f);
        return t;
    }
}
