using DeepGraph.Core;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace DeepGraph.Numerics;

/// <summary>The cell a <see cref="Recurrence"/> runs.</summary>
public enum RecurrentCell
{
    /// <summary>h = act(x·W + h·U + b): one gate block.</summary>
    Simple,

    /// <summary>Long short-term memory: blocks i, f, c, o; a carried cell state.</summary>
    Lstm,

    /// <summary>GRU with the reset gate applied before the recurrent product (TF.js, Keras 1): ĥ = act(x·W_h + b_h + (r∘h)·U_h).</summary>
    Gru,

    /// <summary>GRU with the reset gate applied after it (Keras's default since 2.3, cuDNN's): ĥ = act(x·W_h + b_h + r∘(h·U_h + b_rh)).</summary>
    GruResetAfter,
}

/// <summary>
/// The sizes and options of one recurrent call: <see cref="Batch"/> sequences of <see cref="Steps"/> steps of
/// <see cref="Features"/> values, <see cref="Units"/> units.
/// </summary>
/// <param name="Cell">The cell.</param>
/// <param name="Batch">Sequences (N).</param>
/// <param name="Steps">Steps per sequence (T).</param>
/// <param name="Features">Input features per step (F).</param>
/// <param name="Units">Units (u).</param>
/// <param name="Activation">The cell's activation (tanh by default).</param>
/// <param name="RecurrentActivation">The gates' activation (sigmoid by default; unused by <see cref="RecurrentCell.Simple"/>).</param>
/// <param name="GoBackwards">Steps run from T−1 down to 0.</param>
/// <param name="ZeroOutputForMask">A masked step's sequence output is zeros instead of the carried state (Keras's Bidirectional with return_sequences).</param>
public sealed record RecurrenceSpec(RecurrentCell Cell, int Batch, int Steps, int Features, int Units,
    ActivationFunction Activation, ActivationFunction RecurrentActivation, bool GoBackwards, bool ZeroOutputForMask)
{
    /// <summary>Gate blocks: 1 (simple), 4 (LSTM), 3 (GRU).</summary>
    public int Gates => Cell switch { RecurrentCell.Simple => 1, RecurrentCell.Lstm => 4, _ => 3 };

    /// <summary>Columns of the kernels: gates × units.</summary>
    public int Width => Gates * Units;

    /// <summary>True when an activation's derivative needs its input, so the pre-activations are kept.</summary>
    public bool KeepsPreActivations => Activation.GradientNeedsInput || (Cell != RecurrentCell.Simple && RecurrentActivation.GradientNeedsInput);

    /// <summary>The input step processed at position <paramref name="s"/> of the run.</summary>
    public int TimeOf(int s) => GoBackwards ? Steps - 1 - s : s;

    /// <summary>
    /// The buffer lengths a forward pass fills, in the order of <see cref="RecurrenceTrace"/>'s arrays:
    /// X, Z, H, C, A, R, P (0 where the cell keeps none).
    /// </summary>
    public int[] TraceLengths()
    {
        int tn = Steps * Batch, u = Units;
        return
        [
            tn * Features,
            tn * Width,
            (Steps + 1) * Batch * u,
            Cell == RecurrentCell.Lstm ? (Steps + 1) * Batch * u : 0,
            Cell == RecurrentCell.Lstm ? tn * u : 0,
            Cell == RecurrentCell.GruResetAfter ? tn * Width : Cell == RecurrentCell.Gru ? tn * u : 0,
            KeepsPreActivations ? tn * Width : 0,
        ];
    }
}

/// <summary>
/// What a forward pass keeps for its backward pass, all in processing order (step-major: [s, n, …]):
/// <see cref="X"/> the inputs [T, N, F]; <see cref="Z"/> the activated gates [T, N, G]; <see cref="H"/> the hidden
/// states [T+1, N, u] (H[0] = 0); <see cref="C"/> the LSTM cell states [T+1, N, u]; <see cref="A"/> act(c) [T, N, u];
/// <see cref="R"/> the GRU's recurrent term (reset after: h·U + b_rh, [T, N, 3u]; reset before: r∘h, [T, N, u]);
/// <see cref="P"/> the gates' pre-activations when an activation's derivative needs them.
/// </summary>
public sealed record RecurrenceTrace(float[] X, float[] Z, float[] H, float[]? C, float[]? A, float[]? R, float[]? P);

/// <summary>
/// The recurrent layers' kernels: the input projection of every step in one GEMM, then per step one GEMM with
/// the recurrent kernel and the gate arithmetic on rows; backward through time with one GEMM per step for
/// the state's gradient, and the weight gradients as one GEMM each over all steps at the end.
/// </summary>
/// <remarks>
/// A mask (true where a step is real) makes a masked step carry state and output over unchanged (Keras): its
/// gates get no gradient and the state's gradient passes straight through it.
/// </remarks>
public static class Recurrence
{
    /// <summary>
    /// The forward pass. <paramref name="x"/> is [N, T, F]; <paramref name="mask"/> [N, T] (1 real, 0 masked) or empty;
    /// <paramref name="kernel"/> [F, G]; <paramref name="recurrent"/> [u, G]; <paramref name="bias"/> [G] or empty;
    /// <paramref name="recurrentBias"/> [G] (GRU reset after) or empty. Writes <paramref name="sequence"/> [N, T, u]
    /// in processing order (or leaves it when empty), the last state <paramref name="last"/> [N, u] and the last
    /// LSTM cell state <paramref name="lastCell"/> [N, u] (when not empty); fills <paramref name="trace"/>.
    /// <paramref name="inputKeep"/> [N, F], when given, multiplies every step's input (Keras's input dropout: one mask for all steps);
    /// <paramref name="initialState"/> and <paramref name="initialCell"/> [N, u], when given, are the states before the first step (else 0).
    /// <paramref name="threads"/> threads may run the steps, each for its own sequences of the batch (the results do not depend on it
    /// with the managed GEMM); with more than one, the per-step products run on a single-threaded GEMM.
    /// </summary>
    public static void Forward(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<float> x, ReadOnlySpan<int> mask,
        ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> bias, ReadOnlySpan<float> recurrentBias,
        RecurrenceTrace trace, Span<float> sequence, Span<float> last, Span<float> lastCell, ReadOnlySpan<float> inputKeep = default,
        ReadOnlySpan<float> initialState = default, ReadOnlySpan<float> initialCell = default, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(trace);
        int n = spec.Batch, steps = spec.Steps, f = spec.Features, u = spec.Units, g = spec.Width, nu = n * u;
        var X = trace.X.AsSpan();
        var Z = trace.Z.AsSpan();
        var H = trace.H.AsSpan();
        // Inputs in processing order, step-major; then every step's x·W + b in one GEMM.
        for (int s = 0; s < steps; s++)
        {
            int t = spec.TimeOf(s);
            for (int b = 0; b < n; b++)
            {
                if (inputKeep.IsEmpty) x.Slice((b * steps + t) * f, f).CopyTo(X.Slice((s * n + b) * f, f));
                else TensorPrimitives.Multiply(x.Slice((b * steps + t) * f, f), inputKeep.Slice(b * f, f), X.Slice((s * n + b) * f, f));
            }
        }
        gemm.Sgemm(false, false, steps * n, g, f, 1f, X, f, kernel, g, 0f, Z, g);
        // The fused LSTM step adds the bias in its pass over each step's gates; otherwise it is added here, to every step at once.
        bool fused = FusedLstm(spec, trace);
        var stepBias = fused ? bias : default;
        if (!bias.IsEmpty && !fused) Bias.AddToRows(Z[..(steps * n * g)], bias);
        bool initial = !initialState.IsEmpty;
        if (initial) initialState.CopyTo(H);
        else H[..nu].Clear();
        if (trace.C is { } c0)
        {
            if (initialCell.IsEmpty) c0.AsSpan(0, nu).Clear();
            else initialCell.CopyTo(c0);
        }
        // The sequences are independent of one another: each thread runs every step for its own rows of the batch,
        // with no synchronisation between steps.
        int parts = Parts(n, threads);
        if (parts == 1)
        {
            ForwardRows(spec, gemm, mask, recurrent, recurrentBias, stepBias, trace, sequence, initial, 0, n);
        }
        else
        {
            var serial = gemm.SingleThreaded ?? ManagedGemm.Serial;
            unsafe
            {
                fixed (int* pm = mask)
                fixed (float* pr = recurrent, prb = recurrentBias, pseq = sequence, psb = stepBias)
                {
                    var (am, ar, arb, aseq, asb) = ((nint)pm, (nint)pr, (nint)prb, (nint)pseq, (nint)psb);
                    var (lm, lr, lrb, lseq, lsb) = (mask.Length, recurrent.Length, recurrentBias.Length, sequence.Length, stepBias.Length);
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                        ForwardRows(spec, serial, new ReadOnlySpan<int>((int*)am, lm), new ReadOnlySpan<float>((float*)ar, lr),
                            new ReadOnlySpan<float>((float*)arb, lrb), new ReadOnlySpan<float>((float*)asb, lsb), trace, new Span<float>((float*)aseq, lseq), initial,
                            n * part / parts, n * (part + 1) / parts));
                }
            }
        }
        if (!last.IsEmpty) H.Slice(steps * nu, nu).CopyTo(last);
        if (!lastCell.IsEmpty && trace.C is { } cl) cl.AsSpan(steps * nu, nu).CopyTo(lastCell);
    }

    /// <summary>How many row blocks of the batch to run at once: one per thread, at most one per sequence.</summary>
    private static int Parts(int batch, int threads) => Math.Max(1, Math.Min(threads, batch));

    /// <summary>Every step of the forward pass for the sequences <paramref name="b0"/> ≤ b &lt; <paramref name="b1"/>.</summary>
    private static void ForwardRows(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<int> mask, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> recurrentBias,
        ReadOnlySpan<float> stepBias, RecurrenceTrace trace, Span<float> sequence, bool initial, int b0, int b1)
    {
        int n = spec.Batch, steps = spec.Steps, u = spec.Units, g = spec.Width, nu = n * u, m = b1 - b0;
        var Z = trace.Z.AsSpan();
        var H = trace.H.AsSpan();
        for (int s = 0; s < steps; s++)
        {
            var zs = Z.Slice((s * n + b0) * g, m * g);
            var hp = H.Slice(s * nu + b0 * u, m * u);
            var hs = H.Slice((s + 1) * nu + b0 * u, m * u);
            var ps = trace.P is { } p ? p.AsSpan((s * n + b0) * g, m * g) : default;
            switch (spec.Cell)
            {
                case RecurrentCell.Simple:
                    if (s > 0 || initial) gemm.Sgemm(false, false, m, u, u, 1f, hp, u, recurrent, u, 1f, zs, u);
                    if (!ps.IsEmpty) zs.CopyTo(ps);
                    // Row by row: an activation's vectorised and scalar paths may round differently, so activating the rows of a
                    // thread's block at once would make a row's value depend on how the batch is split.
                    for (int b = 0; b < m; b++) Activate.InPlace(spec.Activation, zs.Slice(b * u, u), u);
                    zs.CopyTo(hs);
                    break;
                case RecurrentCell.Lstm:
                    if (s > 0 || initial) gemm.Sgemm(false, false, m, g, u, 1f, hp, u, recurrent, g, 1f, zs, g);
                    if (FusedLstm(spec, trace))
                        LstmStepFused(m, u, zs, stepBias, trace.C.AsSpan(s * nu + b0 * u, m * u), trace.C.AsSpan((s + 1) * nu + b0 * u, m * u), trace.A.AsSpan(s * nu + b0 * u, m * u), hs);
                    else
                        LstmStep(spec, m, zs, ps, trace.C.AsSpan(s * nu + b0 * u, m * u), trace.C.AsSpan((s + 1) * nu + b0 * u, m * u), trace.A.AsSpan(s * nu + b0 * u, m * u), hs);
                    break;
                case RecurrentCell.Gru:
                    if (s > 0 || initial) gemm.Sgemm(false, false, m, 2 * u, u, 1f, hp, u, recurrent, g, 1f, zs, g);
                    var rh = trace.R.AsSpan(s * nu + b0 * u, m * u);
                    for (int b = 0; b < m; b++)
                    {
                        var z = zs.Slice(b * g, g);
                        Gate(spec.RecurrentActivation, z[..(2 * u)], ps.IsEmpty ? default : ps.Slice(b * g, 2 * u), u);
                        TensorPrimitives.Multiply(z.Slice(u, u), hp.Slice(b * u, u), rh.Slice(b * u, u));
                    }
                    if (s > 0 || initial) gemm.Sgemm(false, false, m, u, u, 1f, rh, u, recurrent[(2 * u)..], g, 1f, zs[(2 * u)..], g);
                    GruFinish(spec, m, zs, ps, hp, hs);
                    break;
                case RecurrentCell.GruResetAfter:
                    var rs = trace.R.AsSpan((s * n + b0) * g, m * g);
                    if (s > 0 || initial) gemm.Sgemm(false, false, m, g, u, 1f, hp, u, recurrent, g, 0f, rs, g);
                    else rs.Clear();
                    if (!recurrentBias.IsEmpty) Bias.AddToRows(rs, recurrentBias);
                    for (int b = 0; b < m; b++)
                    {
                        var z = zs.Slice(b * g, g);
                        var r = rs.Slice(b * g, g);
                        TensorPrimitives.Add(z[..(2 * u)], r[..(2 * u)], z[..(2 * u)]);
                        Gate(spec.RecurrentActivation, z[..(2 * u)], ps.IsEmpty ? default : ps.Slice(b * g, 2 * u), u);
                        TensorPrimitives.FusedMultiplyAdd(z.Slice(u, u), r.Slice(2 * u, u), z.Slice(2 * u, u), z.Slice(2 * u, u));
                    }
                    GruFinish(spec, m, zs, ps, hp, hs);
                    break;
            }
            if (!mask.IsEmpty)
            {
                int t = spec.TimeOf(s);
                for (int b = b0; b < b1; b++)
                    if (mask[b * steps + t] == 0)
                    {
                        H.Slice(s * nu + b * u, u).CopyTo(H.Slice((s + 1) * nu + b * u, u));
                        if (trace.C is { } cc) cc.AsSpan(s * nu + b * u, u).CopyTo(cc.AsSpan((s + 1) * nu + b * u, u));
                    }
            }
            if (!sequence.IsEmpty)
            {
                int t = spec.TimeOf(s);
                for (int b = b0; b < b1; b++)
                {
                    var dst = sequence.Slice((b * steps + s) * u, u);
                    if (spec.ZeroOutputForMask && !mask.IsEmpty && mask[b * steps + t] == 0) dst.Clear();
                    else H.Slice((s + 1) * nu + b * u, u).CopyTo(dst);
                }
            }
        }
    }

    /// <summary>Applies a gate activation to <paramref name="z"/>, keeping the pre-activation in <paramref name="pre"/> when given.</summary>
    private static void Gate(ActivationFunction activation, Span<float> z, Span<float> pre, int row)
    {
        if (!pre.IsEmpty) z.CopyTo(pre);
        Activate.InPlace(activation, z, row);
    }

    /// <summary>Whether the LSTM step runs as one fused pass per row (<see cref="LstmStepFused"/>): Keras's default activations, AVX-512, no pre-activations kept.</summary>
    private static bool FusedLstm(RecurrenceSpec spec, RecurrenceTrace trace) =>
        spec.Cell == RecurrentCell.Lstm && trace.P is null && Vector512.IsHardwareAccelerated
        && spec.RecurrentActivation == ActivationFunction.Sigmoid && spec.Activation == ActivationFunction.Tanh;

    /// <summary>
    /// One LSTM step for <paramref name="n"/> rows in one pass over each row, sixteen units at a time: adds
    /// <paramref name="bias"/> (when not empty) to the gates' pre-activations, then i, f, o = σ(·), g = tanh(·) in place,
    /// c = f∘c_prev + i∘g, act(c) = tanh(c) and h = o∘tanh(c). σ and tanh by the formulas of <see cref="TensorPrimitives.Sigmoid{T}(ReadOnlySpan{T}, Span{T})"/>
    /// and <see cref="TensorPrimitives.Tanh{T}(ReadOnlySpan{T}, Span{T})"/> (1/(1 + e^−x); with y = |x| and z = e^−2y − 1,
    /// sign(x)·(−z/(z + 2))), on a single-precision <see cref="Exp"/> (about one unit in the last place from theirs).
    /// </summary>
    private static void LstmStepFused(int n, int u, Span<float> zs, ReadOnlySpan<float> bias, ReadOnlySpan<float> cp, Span<float> cs, Span<float> a, Span<float> hs)
    {
        const int W = 16;
        int g = 4 * u;
        Span<float> pad = stackalloc float[W * 8]; // a ragged last block: i, f, g, o, c_prev in, then c, act(c), h out
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var cpb = cp.Slice(b * u, u);
            var cb = cs.Slice(b * u, u);
            var ab = a.Slice(b * u, u);
            var hb = hs.Slice(b * u, u);
            int j = 0;
            for (; j <= u - W; j += W)
            {
                var vi = Vector512.Create(z.Slice(j, W));
                var vf = Vector512.Create(z.Slice(u + j, W));
                var vg = Vector512.Create(z.Slice(2 * u + j, W));
                var vo = Vector512.Create(z.Slice(3 * u + j, W));
                if (!bias.IsEmpty)
                {
                    vi += Vector512.Create(bias.Slice(j, W));
                    vf += Vector512.Create(bias.Slice(u + j, W));
                    vg += Vector512.Create(bias.Slice(2 * u + j, W));
                    vo += Vector512.Create(bias.Slice(3 * u + j, W));
                }
                Cell(ref vi, ref vf, ref vg, ref vo, Vector512.Create(cpb.Slice(j, W)), out var vc, out var va, out var vh);
                vi.CopyTo(z.Slice(j, W));
                vf.CopyTo(z.Slice(u + j, W));
                vg.CopyTo(z.Slice(2 * u + j, W));
                vo.CopyTo(z.Slice(3 * u + j, W));
                vc.CopyTo(cb.Slice(j, W));
                va.CopyTo(ab.Slice(j, W));
                vh.CopyTo(hb.Slice(j, W));
            }
            if (j < u)
            {
                int r = u - j;
                pad.Clear();
                for (int k = 0; k < 4; k++)
                {
                    z.Slice(k * u + j, r).CopyTo(pad.Slice(k * W, r));
                    if (!bias.IsEmpty) bias.Slice(k * u + j, r).CopyTo(pad.Slice((4 + k) * W, r));
                }
                var vi = Vector512.Create(pad[..W]) + Vector512.Create(pad.Slice(4 * W, W));
                var vf = Vector512.Create(pad.Slice(W, W)) + Vector512.Create(pad.Slice(5 * W, W));
                var vg = Vector512.Create(pad.Slice(2 * W, W)) + Vector512.Create(pad.Slice(6 * W, W));
                var vo = Vector512.Create(pad.Slice(3 * W, W)) + Vector512.Create(pad.Slice(7 * W, W));
                cpb.Slice(j, r).CopyTo(pad.Slice(4 * W, r));
                pad.Slice(4 * W + r, W - r).Clear();
                Cell(ref vi, ref vf, ref vg, ref vo, Vector512.Create(pad.Slice(4 * W, W)), out var vc, out var va, out var vh);
                vi.CopyTo(pad[..W]);
                vf.CopyTo(pad.Slice(W, W));
                vg.CopyTo(pad.Slice(2 * W, W));
                vo.CopyTo(pad.Slice(3 * W, W));
                vc.CopyTo(pad.Slice(4 * W, W));
                va.CopyTo(pad.Slice(5 * W, W));
                vh.CopyTo(pad.Slice(6 * W, W));
                for (int k = 0; k < 4; k++) pad.Slice(k * W, r).CopyTo(z.Slice(k * u + j, r));
                pad.Slice(4 * W, r).CopyTo(cb[j..]);
                pad.Slice(5 * W, r).CopyTo(ab[j..]);
                pad.Slice(6 * W, r).CopyTo(hb[j..]);
            }
        }
    }

    /// <summary>The LSTM cell on sixteen units: activates the gates in place and gives c, tanh(c) and h.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Cell(ref Vector512<float> i, ref Vector512<float> f, ref Vector512<float> g, ref Vector512<float> o, Vector512<float> cPrev,
        out Vector512<float> c, out Vector512<float> act, out Vector512<float> h)
    {
        i = Sigmoid(i);
        f = Sigmoid(f);
        g = Tanh(g);
        o = Sigmoid(o);
        c = Vector512.FusedMultiplyAdd(i, g, f * cPrev);
        act = Tanh(c);
        h = o * act;
    }

    /// <summary>
    /// e^x in single precision, within about one unit in the last place (Vector512.Exp widens to double and costs several
    /// times more): x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so that r is exact), e^r by its degree-7
    /// Taylor-like minimax polynomial (Cephes's expf coefficients), times 2ⁿ built in the exponent bits. x is clamped to
    /// [−87.3, 88.3], where 2ⁿ stays a normal float (e^x below is ~0 and above overflows anyway); NaN stays NaN.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(-87.3f)), Vector512.Create(88.3f));
        var n = Vector512.Round(clamped * Vector512.Create(1.44269504088896341f));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        var scale = ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), p * scale, x);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Tanh(Vector512<float> x)
    {
        var z = Exp(Vector512.Create(-2f) * Vector512.Abs(x)) - Vector512<float>.One;
        var sign = x.AsUInt32() & Vector512.Create(0x8000_0000u);
        return (sign ^ (-z / (z + Vector512.Create(2f))).AsUInt32()).AsSingle();
    }

    private static void LstmStep(RecurrenceSpec spec, int n, Span<float> zs, Span<float> ps, ReadOnlySpan<float> cp, Span<float> cs, Span<float> a, Span<float> hs)
    {
        int u = spec.Units, g = spec.Width;
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var pre = ps.IsEmpty ? default : ps.Slice(b * g, g);
            if (!pre.IsEmpty) z.CopyTo(pre);
            var ra = spec.RecurrentActivation;
            if (ra == ActivationFunction.Sigmoid && spec.Activation == ActivationFunction.Tanh)
            {
                TensorPrimitives.Sigmoid(z[..(2 * u)], z[..(2 * u)]);
                TensorPrimitives.Tanh(z.Slice(2 * u, u), z.Slice(2 * u, u));
                TensorPrimitives.Sigmoid(z.Slice(3 * u, u), z.Slice(3 * u, u));
            }
            else
            {
                Activate.InPlace(ra, z[..(2 * u)], u);
                Activate.InPlace(spec.Activation, z.Slice(2 * u, u), u);
                Activate.InPlace(ra, z.Slice(3 * u, u), u);
            }
            var c = cs.Slice(b * u, u);
            TensorPrimitives.Multiply(z.Slice(u, u), cp.Slice(b * u, u), c);
            TensorPrimitives.FusedMultiplyAdd(z[..u], z.Slice(2 * u, u), c, c);
            var ab = a.Slice(b * u, u);
            c.CopyTo(ab);
            Activate.InPlace(spec.Activation, ab, u);
            TensorPrimitives.Multiply(z.Slice(3 * u, u), ab, hs.Slice(b * u, u));
        }
    }

    /// <summary>The GRU's candidate activation and h = ĥ + z∘(h_prev − ĥ).</summary>
    private static void GruFinish(RecurrenceSpec spec, int n, Span<float> zs, Span<float> ps, ReadOnlySpan<float> hp, Span<float> hs)
    {
        int u = spec.Units, g = spec.Width;
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var hh = z.Slice(2 * u, u);
            Gate(spec.Activation, hh, ps.IsEmpty ? default : ps.Slice(b * g + 2 * u, u), u);
            var h = hs.Slice(b * u, u);
            TensorPrimitives.Subtract(hp.Slice(b * u, u), hh, h);
            TensorPrimitives.FusedMultiplyAdd(z[..u], h, hh, h);
        }
    }

    /// <summary>dy ⊙ f′, in place in <paramref name="dy"/>, from the output <paramref name="y"/> (and the input <paramref name="pre"/> when the derivative needs it).</summary>
    private static void Derive(ActivationFunction f, ReadOnlySpan<float> pre, ReadOnlySpan<float> y, Span<float> dy, int row)
    {
        if (f == ActivationFunction.Sigmoid)
        {
            // dy · y · (1 − y)
            Span<float> t = y.Length <= 1024 ? stackalloc float[y.Length] : new float[y.Length];
            TensorPrimitives.Multiply(y, y, t);
            TensorPrimitives.Subtract(y, t, t);
            TensorPrimitives.Multiply(dy, t, dy);
            return;
        }
        if (f == ActivationFunction.Tanh)
        {
            Span<float> t = y.Length <= 1024 ? stackalloc float[y.Length] : new float[y.Length];
            TensorPrimitives.Multiply(y, y, t);
            TensorPrimitives.Subtract(1f, t, t);
            TensorPrimitives.Multiply(dy, t, dy);
            return;
        }
        if (f.Code == ActivationCode.Softmax)
        {
            for (int i = 0; i < y.Length; i += row)
                ActivationGrad.Backward(f, pre.IsEmpty ? default : pre.Slice(i, row), y.Slice(i, row), dy.Slice(i, row), dy.Slice(i, row), row);
            return;
        }
        ActivationGrad.Backward(f, pre, y, dy, dy, row);
    }

    /// <summary>
    /// The backward pass through time of a <see cref="Forward"/> that filled <paramref name="trace"/>. Gradients in:
    /// <paramref name="dSequence"/> [N, T, u] (processing order; empty without a sequence output), <paramref name="dLast"/>
    /// [N, u] (the last state's, empty when none) and <paramref name="dLastCell"/> [N, u] (LSTM, empty when none).
    /// Adds into <paramref name="dKernel"/>, <paramref name="dRecurrent"/>, <paramref name="dBias"/> and
    /// <paramref name="dRecurrentBias"/> (each skipped when empty); writes (or, unless <paramref name="writeDx"/>, adds)
    /// the input's gradient into <paramref name="dx"/> [N, T, F] when not empty, times <paramref name="inputKeep"/> when the
    /// forward pass had one; adds the initial states' gradients into <paramref name="dInitialState"/> and <paramref name="dInitialCell"/>
    /// when not empty. The trace's Z (and R) hold gradients after. <paramref name="threads"/> as in <see cref="Forward"/>.
    /// </summary>
    public static void Backward(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<int> mask, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrent,
        RecurrenceTrace trace, ReadOnlySpan<float> dSequence, ReadOnlySpan<float> dLast, ReadOnlySpan<float> dLastCell,
        Span<float> dKernel, Span<float> dRecurrent, Span<float> dBias, Span<float> dRecurrentBias, Span<float> dx, bool writeDx, TensorPool pool,
        ReadOnlySpan<float> inputKeep = default, Span<float> dInitialState = default, Span<float> dInitialCell = default, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(gemm);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(pool);
        int n = spec.Batch, steps = spec.Steps, f = spec.Features, u = spec.Units, g = spec.Width, nu = n * u, tn = steps * n;
        var Z = trace.Z.AsSpan();
        var H = trace.H.AsSpan();
        var dhArr = pool.Rent(nu);
        var dhNextArr = pool.Rent(nu);
        var dcArr = pool.Rent(nu);
        var tmpArr = pool.Rent(Math.Max(nu, n * g));
        try
        {
            var dh = dhArr.AsSpan();
            var dhNext = dhNextArr.AsSpan();
            var dc = dcArr.AsSpan();
            var tmp = tmpArr.AsSpan();
            bool first = !dInitialState.IsEmpty; // the state before step 0 needs its gradient too
            dhNext.Clear();
            dc.Clear();
            if (!dLastCell.IsEmpty) dLastCell.CopyTo(dc);
            int parts = Parts(n, threads);
            if (parts == 1)
            {
                BackwardRows(spec, gemm, mask, recurrent, trace, dSequence, dLast, dh, dhNext, dc, tmp, first, 0, n);
            }
            else
            {
                var serial = gemm.SingleThreaded ?? ManagedGemm.Serial;
                unsafe
                {
                    fixed (int* pm = mask)
                    fixed (float* pr = recurrent, pds = dSequence, pdl = dLast)
                    {
                        var (am, ar, ads, adl) = ((nint)pm, (nint)pr, (nint)pds, (nint)pdl);
                        var (lm, lr, lds, ldl) = (mask.Length, recurrent.Length, dSequence.Length, dLast.Length);
                        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
                            BackwardRows(spec, serial, new ReadOnlySpan<int>((int*)am, lm), new ReadOnlySpan<float>((float*)ar, lr), trace,
                                new ReadOnlySpan<float>((float*)ads, lds), new ReadOnlySpan<float>((float*)adl, ldl), dhArr, dhNextArr, dcArr, tmpArr, first,
                                n * part / parts, n * (part + 1) / parts));
                    }
                }
            }
            if (first) TensorPrimitives.Add(dInitialState, dhNext, dInitialState);
            if (!dInitialCell.IsEmpty) TensorPrimitives.Add(dInitialCell, dc, dInitialCell);
            // Weight gradients over every step at once.
            if (!dKernel.IsEmpty) gemm.Sgemm(true, false, f, g, tn, 1f, trace.X, f, Z, g, 1f, dKernel, g);
            if (!dBias.IsEmpty) Bias.AddColumnSums(Z[..(tn * g)], dBias);
            if (!dRecurrent.IsEmpty)
            {
                switch (spec.Cell)
                {
                    case RecurrentCell.Gru:
                        gemm.Sgemm(true, false, u, 2 * u, tn, 1f, H, u, Z, g, 1f, dRecurrent, g);
                        gemm.Sgemm(true, false, u, u, tn, 1f, trace.R, u, Z[(2 * u)..], g, 1f, dRecurrent[(2 * u)..], g);
                        break;
                    case RecurrentCell.GruResetAfter:
                        gemm.Sgemm(true, false, u, g, tn, 1f, H, u, trace.R, g, 1f, dRecurrent, g);
                        break;
                    default:
                        gemm.Sgemm(true, false, u, g, tn, 1f, H, u, Z, g, 1f, dRecurrent, g);
                        break;
                }
            }
            if (!dRecurrentBias.IsEmpty && trace.R is { } rAll) Bias.AddColumnSums(rAll.AsSpan(0, tn * g), dRecurrentBias);
            if (!dx.IsEmpty)
            {
                // dX (step-major) = dZ · Wᵀ, then back to [N, T, F] in time order; X's buffer is free now.
                var dxs = trace.X.AsSpan(0, tn * f);
                gemm.Sgemm(false, true, tn, f, g, 1f, Z, g, kernel, g, 0f, dxs, f);
                for (int s = 0; s < steps; s++)
                {
                    int t = spec.TimeOf(s);
                    for (int b = 0; b < n; b++)
                    {
                        var src = dxs.Slice((s * n + b) * f, f);
                        var dst = dx.Slice((b * steps + t) * f, f);
                        if (!inputKeep.IsEmpty) TensorPrimitives.Multiply(src, inputKeep.Slice(b * f, f), src);
                        if (writeDx) src.CopyTo(dst);
                        else TensorPrimitives.Add(dst, src, dst);
                    }
                }
            }
        }
        finally
        {
            pool.Return(dhArr);
            pool.Return(dhNextArr);
            pool.Return(dcArr);
            pool.Return(tmpArr);
        }
    }

    /// <summary>
    /// Every step of the backward pass through time for the sequences <paramref name="b0"/> ≤ b &lt; <paramref name="b1"/>:
    /// their rows of <paramref name="dhAll"/>, <paramref name="dhNextAll"/>, <paramref name="dcAll"/> (whole-batch buffers, [N, u]) and
    /// of <paramref name="tmpAll"/> (N × G) are theirs alone.
    /// </summary>
    private static void BackwardRows(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<int> mask, ReadOnlySpan<float> recurrent, RecurrenceTrace trace,
        ReadOnlySpan<float> dSequence, ReadOnlySpan<float> dLast, Span<float> dhAll, Span<float> dhNextAll, Span<float> dcAll, Span<float> tmpAll, bool first, int b0, int b1)
    {
        int n = spec.Batch, steps = spec.Steps, u = spec.Units, g = spec.Width, nu = n * u, m = b1 - b0;
        var Z = trace.Z.AsSpan();
        var H = trace.H.AsSpan();
        var dh = dhAll.Slice(b0 * u, m * u);
        var dhNext = dhNextAll.Slice(b0 * u, m * u);
        var dc = dcAll.Slice(b0 * u, m * u);
        var tmp = tmpAll.Slice(b0 * g, m * g);
        for (int s = steps - 1; s >= 0; s--)
        {
            int t = spec.TimeOf(s);
            dhNext.CopyTo(dh);
            if (s == steps - 1 && !dLast.IsEmpty) TensorPrimitives.Add(dh, dLast.Slice(b0 * u, m * u), dh);
            if (!dSequence.IsEmpty)
                for (int b = b0; b < b1; b++)
                    if (!(spec.ZeroOutputForMask && !mask.IsEmpty && mask[b * steps + t] == 0))
                        TensorPrimitives.Add(dh.Slice((b - b0) * u, u), dSequence.Slice((b * steps + s) * u, u), dh.Slice((b - b0) * u, u));
            var zs = Z.Slice((s * n + b0) * g, m * g);
            var ps = trace.P is { } p ? p.AsSpan((s * n + b0) * g, m * g) : default;
            var hp = H.Slice(s * nu + b0 * u, m * u);
            switch (spec.Cell)
            {
                case RecurrentCell.Simple:
                    // zs holds y = act(pre): dz = dh ⊙ act′.
                    dh.CopyTo(tmp[..(m * u)]);
                    for (int b = 0; b < m; b++) // row by row, as the forward pass activates
                        Derive(spec.Activation, ps.IsEmpty ? default : ps.Slice(b * u, u), zs.Slice(b * u, u), tmp.Slice(b * u, u), u);
                    tmp[..(m * u)].CopyTo(zs);
                    Masked(spec, mask, s, zs, g, b0, b1);
                    if (s > 0 || first) gemm.Sgemm(false, true, m, u, u, 1f, zs, u, recurrent, u, 0f, dhNext, u);
                    break;
                case RecurrentCell.Lstm:
                    if (FusedLstmBack(spec))
                        LstmBackFused(spec, m, b0, zs, trace.C.AsSpan(s * nu + b0 * u, m * u), trace.A.AsSpan(s * nu + b0 * u, m * u), dh, dc, mask, s);
                    else
                        LstmBack(spec, m, b0, zs, ps, trace.C.AsSpan(s * nu + b0 * u, m * u), trace.A.AsSpan(s * nu + b0 * u, m * u), dh, dc, tmp, mask, s);
                    if (s > 0 || first) gemm.Sgemm(false, true, m, u, g, 1f, zs, g, recurrent, g, 0f, dhNext, u);
                    break;
                case RecurrentCell.Gru:
                    GruBackBefore(spec, m, b0, gemm, zs, ps, hp, recurrent, dh, dhNext, tmp, mask, s, first);
                    break;
                case RecurrentCell.GruResetAfter:
                    GruBackAfter(spec, m, b0, gemm, zs, ps, hp, trace.R.AsSpan((s * n + b0) * g, m * g), recurrent, dh, dhNext, mask, s, first);
                    break;
            }
            if (!mask.IsEmpty)
                for (int b = b0; b < b1; b++)
                    if (mask[b * steps + t] == 0)
                        dh.Slice((b - b0) * u, u).CopyTo(dhNext.Slice((b - b0) * u, u)); // dc carries over unchanged: LstmBack leaves masked rows' dc alone
        }
    }

    /// <summary>Clears the gate gradients of the masked rows of step <paramref name="s"/>.</summary>
    /// <remarks><paramref name="rows"/> holds the rows of sequences <paramref name="b0"/> ≤ b &lt; <paramref name="b1"/>.</remarks>
    private static void Masked(RecurrenceSpec spec, ReadOnlySpan<int> mask, int s, Span<float> rows, int width, int b0, int b1)
    {
        if (mask.IsEmpty) return;
        int t = spec.TimeOf(s);
        for (int b = b0; b < b1; b++)
            if (mask[b * spec.Steps + t] == 0) rows.Slice((b - b0) * width, width).Clear();
    }

    /// <summary>
    /// One LSTM step backward: from dh and the carried dc (updated in place to the previous step's, except for
    /// masked rows, which keep it), writes the pre-activation gradients over the gates in <paramref name="zs"/>.
    /// </summary>
    private static void LstmBack(RecurrenceSpec spec, int n, int b0, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> cp, ReadOnlySpan<float> a,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> tmp, ReadOnlySpan<int> mask, int s)
    {
        int u = spec.Units, g = spec.Width, t = spec.TimeOf(s);
        var cBuf = tmp[..g];
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            if (!mask.IsEmpty && mask[(b0 + b) * spec.Steps + t] == 0)
            {
                z.Clear(); // a masked step: no gate gradient, dc passes through unchanged
                continue;
            }
            var pre = ps.IsEmpty ? default : ps.Slice(b * g, g);
            var dcb = dc.Slice(b * u, u);
            var dhb = dh.Slice(b * u, u);
            var ab = a.Slice(b * u, u);
            var i = z[..u];
            var fg = z.Slice(u, u);
            var gg = z.Slice(2 * u, u);
            var o = z.Slice(3 * u, u);
            var d = cBuf; // the new gate gradients, written back over z at the end
            var dI = d[..u];
            var dF = d.Slice(u, u);
            var dG = d.Slice(2 * u, u);
            var dO = d.Slice(3 * u, u);
            // dO = dh ⊙ act(c); dc += dh ⊙ o ⊙ act′(c)
            TensorPrimitives.Multiply(dhb, ab, dO);
            TensorPrimitives.Multiply(dhb, o, dG);
            if (spec.Activation.GradientNeedsInput)
            {
                // act′ needs c itself: recompute c = f∘c_prev + i∘g.
                TensorPrimitives.Multiply(fg, cp.Slice(b * u, u), dF);
                TensorPrimitives.FusedMultiplyAdd(i, gg, dF, dF);
                Derive(spec.Activation, dF, ab, dG, u);
            }
            else Derive(spec.Activation, default, ab, dG, u);
            TensorPrimitives.Add(dcb, dG, dcb);
            // dI = dc ⊙ g; dF = dc ⊙ c_prev; dG = dc ⊙ i; dc_prev = dc ⊙ f
            TensorPrimitives.Multiply(dcb, gg, dI);
            TensorPrimitives.Multiply(dcb, cp.Slice(b * u, u), dF);
            TensorPrimitives.Multiply(dcb, i, dG);
            TensorPrimitives.Multiply(dcb, fg, dcb);
            Derive(spec.RecurrentActivation, pre.IsEmpty ? default : pre[..(2 * u)], z[..(2 * u)], d[..(2 * u)], u);
            Derive(spec.Activation, pre.IsEmpty ? default : pre.Slice(2 * u, u), gg, dG, u);
            Derive(spec.RecurrentActivation, pre.IsEmpty ? default : pre.Slice(3 * u, u), o, dO, u);
            d.CopyTo(z);
        }
    }

    /// <summary>Whether the LSTM step backward runs as one fused pass per row (<see cref="LstmBackFused"/>): Keras's default activations, AVX-512.</summary>
    private static bool FusedLstmBack(RecurrenceSpec spec) =>
        Vector512.IsHardwareAccelerated && spec.RecurrentActivation == ActivationFunction.Sigmoid && spec.Activation == ActivationFunction.Tanh;

    /// <summary>
    /// <see cref="LstmBack"/> for σ gates and tanh in one pass over each row, sixteen units at a time, with the same
    /// operations in the same order (so the same values): dO = (dh∘act(c))∘(o − o∘o); dc += (dh∘o)∘(1 − act(c)∘act(c));
    /// dI = (dc∘g)∘(i − i∘i); dF = (dc∘c_prev)∘(f − f∘f); dG = (dc∘i)∘(1 − g∘g); dc ← dc∘f.
    /// </summary>
    private static void LstmBackFused(RecurrenceSpec spec, int n, int b0, Span<float> zs, ReadOnlySpan<float> cp, ReadOnlySpan<float> a,
        ReadOnlySpan<float> dh, Span<float> dc, ReadOnlySpan<int> mask, int s)
    {
        const int W = 16;
        int u = spec.Units, g = spec.Width, t = spec.TimeOf(s);
        var one = Vector512<float>.One;
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            if (!mask.IsEmpty && mask[(b0 + b) * spec.Steps + t] == 0)
            {
                z.Clear(); // a masked step: no gate gradient, dc passes through unchanged
                continue;
            }
            var dcb = dc.Slice(b * u, u);
            var dhb = dh.Slice(b * u, u);
            var ab = a.Slice(b * u, u);
            var cpb = cp.Slice(b * u, u);
            int j = 0;
            for (; j <= u - W; j += W)
            {
                var vi = Vector512.Create(z.Slice(j, W));
                var vf = Vector512.Create(z.Slice(u + j, W));
                var vg = Vector512.Create(z.Slice(2 * u + j, W));
                var vo = Vector512.Create(z.Slice(3 * u + j, W));
                var va = Vector512.Create(ab.Slice(j, W));
                var vdh = Vector512.Create(dhb.Slice(j, W));
                var vdc = Vector512.Create(dcb.Slice(j, W)) + vdh * vo * (one - va * va);
                (vdc * vg * (vi - vi * vi)).CopyTo(z.Slice(j, W));
                (vdc * Vector512.Create(cpb.Slice(j, W)) * (vf - vf * vf)).CopyTo(z.Slice(u + j, W));
                (vdc * vi * (one - vg * vg)).CopyTo(z.Slice(2 * u + j, W));
                (vdh * va * (vo - vo * vo)).CopyTo(z.Slice(3 * u + j, W));
                (vdc * vf).CopyTo(dcb.Slice(j, W));
            }
            for (; j < u; j++)
            {
                float i = z[j], f = z[u + j], gg = z[2 * u + j], o = z[3 * u + j], av = ab[j], dhv = dhb[j];
                float dcv = dcb[j] + dhv * o * (1 - av * av);
                z[j] = dcv * gg * (i - i * i);
                z[u + j] = dcv * cpb[j] * (f - f * f);
                z[2 * u + j] = dcv * i * (1 - gg * gg);
                z[3 * u + j] = dhv * av * (o - o * o);
                dcb[j] = dcv * f;
            }
        }
    }

    /// <summary>GRU (reset before) step backward: gate gradients into <paramref name="zs"/>, the previous state's gradient into <paramref name="dhNext"/>.</summary>
    private static void GruBackBefore(RecurrenceSpec spec, int n, int b0, IGemm gemm, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> hp,
        ReadOnlySpan<float> recurrent, ReadOnlySpan<float> dh, Span<float> dhNext, Span<float> tmp, ReadOnlySpan<int> mask, int s, bool first)
    {
        int u = spec.Units, g = spec.Width;
        // Phase 1: dĥ_pre = dh ⊙ (1 − z) ⊙ act′; dz = dh ⊙ (h_prev − ĥ); direct dh_prev = dh ⊙ z.
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var dhb = dh.Slice(b * u, u);
            var zg = z[..u];
            var hh = z.Slice(2 * u, u);
            var d = dhNext.Slice(b * u, u);
            TensorPrimitives.Multiply(dhb, zg, d);                // direct term
            var dHh = tmp.Slice(b * u, u);
            TensorPrimitives.Subtract(dhb, d, dHh);                // dh ⊙ (1 − z)
            Derive(spec.Activation, ps.IsEmpty ? default : ps.Slice(b * g + 2 * u, u), hh, dHh, u);
            var hpb = hp.Slice(b * u, u);
            TensorPrimitives.Subtract(hpb, hh, hh);               // h_prev − ĥ (ĥ no longer needed)
            TensorPrimitives.Multiply(dhb, hh, hh);               // dz (unactivated), kept in ĥ's slot for now
        }
        // dz into slot 0 and dĥ_pre into slot 2; dr needs d(r∘h) = dĥ_pre · U_hᵀ.
        Span<float> keep = u <= 1024 ? stackalloc float[u] : new float[u];
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var dz = z.Slice(2 * u, u);
            var zg = z[..u];
            dz.CopyTo(keep);
            tmp.Slice(b * u, u).CopyTo(dz);                        // slot 2: dĥ_pre
            Derive(spec.RecurrentActivation, ps.IsEmpty ? default : ps.Slice(b * g, u), zg, keep, u);
            keep.CopyTo(zg);                                       // slot 0: dz_pre (z no longer needed)
        }
        Masked(spec, mask, s, zs, g, b0, b0 + n);
        var dRh = tmp[..(n * u)];
        gemm.Sgemm(false, true, n, u, u, 1f, zs[(2 * u)..], g, recurrent[(2 * u)..], g, 0f, dRh, u);
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var r = z.Slice(u, u);
            var dRhb = dRh.Slice(b * u, u);
            // dh_prev += d(r∘h) ⊙ r; dr = d(r∘h) ⊙ h_prev
            TensorPrimitives.FusedMultiplyAdd(dRhb, r, dhNext.Slice(b * u, u), dhNext.Slice(b * u, u));
            TensorPrimitives.Multiply(dRhb, hp.Slice(b * u, u), dRhb);
            Derive(spec.RecurrentActivation, ps.IsEmpty ? default : ps.Slice(b * g + u, u), r, dRhb, u);
            dRhb.CopyTo(r);
        }
        Masked(spec, mask, s, zs, g, b0, b0 + n);
        if (s > 0 || first) gemm.Sgemm(false, true, n, u, 2 * u, 1f, zs, g, recurrent, g, 1f, dhNext, u);
    }

    /// <summary>GRU (reset after) step backward: gate gradients into <paramref name="zs"/>, the recurrent term's into <paramref name="rs"/>, the previous state's into <paramref name="dhNext"/>.</summary>
    private static void GruBackAfter(RecurrenceSpec spec, int n, int b0, IGemm gemm, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> hp, Span<float> rs,
        ReadOnlySpan<float> recurrent, ReadOnlySpan<float> dh, Span<float> dhNext, ReadOnlySpan<int> mask, int s, bool first)
    {
        int u = spec.Units, g = spec.Width;
        var scratch = new float[3 * u];
        var dz = scratch.AsSpan(0, u);
        var dHh = scratch.AsSpan(u, u);
        var drv = scratch.AsSpan(2 * u, u);
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            var r = rs.Slice(b * g, g);
            var dhb = dh.Slice(b * u, u);
            var zg = z[..u];
            var rg = z.Slice(u, u);
            var hh = z.Slice(2 * u, u);
            var d = dhNext.Slice(b * u, u);
            TensorPrimitives.Multiply(dhb, zg, d);                 // direct term dh ⊙ z
            TensorPrimitives.Subtract(hp.Slice(b * u, u), hh, dz);
            TensorPrimitives.Multiply(dhb, dz, dz);                // dz = dh ⊙ (h_prev − ĥ)
            // dĥ_pre = dh ⊙ (1 − z) ⊙ act′(ĥ), in ĥ's slot.
            TensorPrimitives.Subtract(dhb, d, dHh);
            Derive(spec.Activation, ps.IsEmpty ? default : ps.Slice(b * g + 2 * u, u), hh, dHh, u);
            // dr = dĥ_pre ⊙ (h·U_h + b_rh); the recurrent term's h block gets dĥ_pre ⊙ r.
            var dr = r.Slice(2 * u, u); // reuse: first read Rh
            TensorPrimitives.Multiply(dHh, dr, drv);
            TensorPrimitives.Multiply(dHh, rg, dr);
            Derive(spec.RecurrentActivation, ps.IsEmpty ? default : ps.Slice(b * g + u, u), rg, drv, u);
            Derive(spec.RecurrentActivation, ps.IsEmpty ? default : ps.Slice(b * g, u), zg, dz, u);
            dz.CopyTo(zg);
            drv.CopyTo(rg);
            dHh.CopyTo(hh);
            // The recurrent term's z and r blocks have the same gradients as the input's.
            z[..(2 * u)].CopyTo(r[..(2 * u)]);
        }
        Masked(spec, mask, s, zs, g, b0, b0 + n);
        Masked(spec, mask, s, rs, g, b0, b0 + n);
        if (s > 0 || first) gemm.Sgemm(false, true, n, u, g, 1f, rs, g, recurrent, g, 1f, dhNext, u);
    }
}
