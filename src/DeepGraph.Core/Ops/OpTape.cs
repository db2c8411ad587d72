using DeepGraph.Core;
namespace DeepGraph;

/// <summary>
/// The vector-Jacobian product of one op: given d(loss)/d(output), the gradient with respect to
/// each input (null for an input that needs none: <paramref name="needed"/>[k] false, or an
/// integer input). Each returned tensor has its input's shape and is the caller's.
/// </summary>
public delegate Tensor?[] Vjp(Tensor outputGrad, bool[] needed);

/// <summary>How an <see cref="OpTape"/> runs ops.</summary>
public enum TapeMode
{
    /// <summary>Shapes and dtypes only, no values: shape inference (unknown dimensions stay null).</summary>
    Symbolic,

    /// <summary>Values, nothing recorded: inference.</summary>
    Evaluate,

    /// <summary>Values and every op's vector-Jacobian product: a training step.</summary>
    Record,
}

/// <summary>
/// Where ops run: a list of vars, and while recording, for each var an op made, its inputs and its
/// vector-Jacobian product. <see cref="Gradients"/> walks it backwards (reverse-mode
/// differentiation), summing the gradients of vars read several times. A tape is used by one
/// thread; it holds no global state.
/// </summary>
public sealed class OpTape
{
    private readonly List<Var> vars = [];
    private readonly List<(Var[] Inputs, Vjp Vjp)?> ops = [];

    /// <summary>
    /// A tape that runs ops in <paramref name="mode"/>; matrix products go through <paramref name="gemm"/>
    /// (a native BLAS or the managed kernel, as a layer's <c>ForwardContext.Gemm</c>) when one is given, else
    /// through a simple managed loop.
    /// </summary>
    public OpTape(TapeMode mode, Numerics.IGemm? gemm = null)
    {
        if (!Enum.IsDefined(mode)) throw new ArgumentException($"Tape mode {(int)mode} is not Symbolic, Evaluate or Record.", nameof(mode));
        Mode = mode;
        Gemm = gemm;
    }

    /// <summary>The GEMM matrix products use, or null for the built-in managed loop.</summary>
    public Numerics.IGemm? Gemm { get; }

    /// <summary>How ops run.</summary>
    public TapeMode Mode { get; }

    /// <summary>True when ops compute shapes and dtypes only.</summary>
    public bool IsSymbolic => Mode == TapeMode.Symbolic;

    /// <summary>True when ops record their vector-Jacobian products.</summary>
    public bool IsRecording => Mode == TapeMode.Record;

    /// <summary>Number of vars on the tape.</summary>
    public int Count => vars.Count;

    /// <summary>A var holding <paramref name="value"/> (an input, a weight or a constant); on a symbolic tape only its shape and dtype count.</summary>
    public Var Constant(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Add(value.Shape, value.DType, IsSymbolic ? null : value, null);
    }

    /// <summary>A var of <paramref name="shape"/> and <paramref name="dtype"/> without a value, on a symbolic tape.</summary>
    /// <exception cref="InvalidOperationException">The tape computes values.</exception>
    public Var Placeholder(Shape shape, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (!IsSymbolic) throw new InvalidOperationException("A placeholder (a var without a value) exists only on a symbolic tape; give a tensor to Constant.");
        return Add(shape, dtype, null, null);
    }

    /// <summary>A float32 scalar (shape []) holding <paramref name="value"/>.</summary>
    public Var Scalar(float value) => Constant(Tensor.FromArray([value], []));

    /// <summary>
    /// Records an op's result: <paramref name="compute"/> runs unless the tape is symbolic, and
    /// <paramref name="vjp"/> is kept while recording. Op implementations call this.
    /// </summary>
    internal Var Emit(Shape shape, DType dtype, Var[] inputs, Func<Tensor>? compute, Func<Tensor, Vjp>? vjp)
    {
        foreach (var input in inputs)
            if (!ReferenceEquals(input.Tape, this))
                throw new ArgumentException($"An op received a var of another tape ({input}): every var of one computation must come from one tape.", nameof(inputs));
        Tensor? value = null;
        if (!IsSymbolic)
        {
            value = (compute ?? throw new InvalidOperationException("An op on a value tape must compute its value."))();
            if (value.Shape != shape)
                throw new InvalidOperationException($"An op computed a tensor of shape {value.Shape} where its shape rule gives {shape}.");
        }
        return Add(shape, dtype, value, IsRecording && vjp is not null && value is not null ? (inputs, vjp(value)) : null);
    }

    private Var Add(Shape shape, DType dtype, Tensor? value, (Var[], Vjp)? op)
    {
        var v = new Var(this, vars.Count, shape, dtype, value);
        vars.Add(v);
        ops.Add(op);
        return v;
    }

    /// <summary>
    /// d(Σₖ ⟨seedₖ, outputₖ⟩)/d(wrtᵢ) for each var of <paramref name="wrt"/>: reverse-mode
    /// differentiation from <paramref name="outputs"/>, each given the gradient
    /// <paramref name="seeds"/>[k] of its shape. A var the outputs do not depend on gets zeros;
    /// an integer var gets null.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tape did not record.</exception>
    /// <exception cref="ArgumentException">A seed's shape differs from its output's.</exception>
    public Tensor?[] Gradients(IReadOnlyList<Var> outputs, IReadOnlyList<Tensor> seeds, IReadOnlyList<Var> wrt)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(wrt);
        if (!IsRecording) throw new InvalidOperationException("Gradients need a tape that recorded (TapeMode.Record).");
        if (outputs.Count != seeds.Count) throw new ArgumentException($"{outputs.Count} outputs but {seeds.Count} seeds.", nameof(seeds));

        // Which vars lie on a path to an output and from a var we want: only their gradients are computed.
        var wanted = new bool[vars.Count];
        foreach (var w in wrt) wanted[w.Slot] = true;
        var feeds = new bool[vars.Count];
        for (int i = 0; i < vars.Count; i++)
        {
            if (wanted[i]) feeds[i] = true;
            if (ops[i] is { } op)
                foreach (var input in op.Inputs)
                    if (feeds[input.Slot] && input.DType == DType.Float32) feeds[i] = true;
        }

        var grads = new Tensor?[vars.Count];
        for (int k = 0; k < outputs.Count; k++)
        {
            if (seeds[k].Shape != outputs[k].Shape)
                throw new ArgumentException($"Seed {k} has shape {seeds[k].Shape} but output {k} has shape {outputs[k].Shape}.", nameof(seeds));
            Accumulate(grads, outputs[k].Slot, seeds[k], copy: true);
        }
        for (int i = vars.Count - 1; i >= 0; i--)
        {
            if (grads[i] is not { } g || ops[i] is not { } op || !feeds[i]) continue;
            var needed = Array.ConvertAll(op.Inputs, x => feeds[x.Slot] && x.DType == DType.Float32);
            if (!Array.Exists(needed, n => n)) continue;
            var inputGrads = op.Vjp(g, needed);
            for (int k = 0; k < op.Inputs.Length; k++)
                if (needed[k] && inputGrads[k] is { } ig)
                {
                    // A product may hand back the output's gradient itself, or one tensor for two inputs: the sums below must not alias.
                    bool shared = ReferenceEquals(ig, g) || Array.FindIndex(inputGrads, x => ReferenceEquals(x, ig)) != k;
                    if (ig.Shape != op.Inputs[k].Shape)
                        throw new InvalidOperationException($"A vector-Jacobian product gave a gradient of shape {ig.Shape} for an input of shape {op.Inputs[k].Shape}.");
                    Accumulate(grads, op.Inputs[k].Slot, ig, copy: shared);
                }
            if (!wanted[i]) grads[i] = null; // no longer needed
        }
        return [.. wrt.Select(w => w.DType != DType.Float32 ? null : grads[w.Slot] ?? Tensor.Zeros(w.Shape.ToArray()))];
    }

    private static void Accumulate(Tensor?[] grads, int slot, Tensor g, bool copy)
    {
        if (grads[slot] is not { } existing)
        {
            grads[slot] = copy ? Tensor.Own(g.ToArray(), g.Shape) : g;
            return;
        }
        System.Numerics.Tensors.TensorPrimitives.Add(existing.Span, g.Span, existing.Data);
    }
}
