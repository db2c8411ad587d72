using DeepGraph.Core;
using System.Numerics.Tensors;

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
    /// </summary>
    public static void Forward(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<float> x, ReadOnlySpan<int> mask,
        ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrent, ReadOnlySpan<float> bias, ReadOnlySpan<float> recurrentBias,
        RecurrenceTrace trace, Span<float> sequence, Span<float> last, Span<float> lastCell, ReadOnlySpan<float> inputKeep = default,
        ReadOnlySpan<float> initialState = default, ReadOnlySpan<float> initialCell = default)
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
        if (!bias.IsEmpty) Bias.AddToRows(Z[..(steps * n * g)], bias);
        bool initial = !initialState.IsEmpty;
        if (initial) initialState.CopyTo(H);
        else H[..nu].Clear();
        if (trace.C is { } c0)
        {
            if (initialCell.IsEmpty) c0.AsSpan(0, nu).Clear();
            else initialCell.CopyTo(c0);
        }
        for (int s = 0; s < steps; s++)
        {
            var zs = Z.Slice(s * n * g, n * g);
            var hp = H.Slice(s * nu, nu);
            var hs = H.Slice((s + 1) * nu, nu);
            var ps = trace.P is { } p ? p.AsSpan(s * n * g, n * g) : default;
            switch (spec.Cell)
            {
                case RecurrentCell.Simple:
                    if (s > 0 || initial) gemm.Sgemm(false, false, n, u, u, 1f, hp, u, recurrent, u, 1f, zs, u);
                    if (!ps.IsEmpty) zs.CopyTo(ps);
                    Activate.InPlace(spec.Activation, zs, u);
                    zs.CopyTo(hs);
                    break;
                case RecurrentCell.Lstm:
                    if (s > 0 || initial) gemm.Sgemm(false, false, n, g, u, 1f, hp, u, recurrent, g, 1f, zs, g);
                    LstmStep(spec, zs, ps, trace.C.AsSpan(s * nu, nu), trace.C.AsSpan((s + 1) * nu, nu), trace.A.AsSpan(s * nu, nu), hs);
                    break;
                case RecurrentCell.Gru:
                    if (s > 0 || initial) gemm.Sgemm(false, false, n, 2 * u, u, 1f, hp, u, recurrent, g, 1f, zs, g);
                    var rh = trace.R.AsSpan(s * nu, nu);
                    for (int b = 0; b < n; b++)
                    {
                        var z = zs.Slice(b * g, g);
                        Gate(spec.RecurrentActivation, z[..(2 * u)], ps.IsEmpty ? default : ps.Slice(b * g, 2 * u), u);
                        TensorPrimitives.Multiply(z.Slice(u, u), hp.Slice(b * u, u), rh.Slice(b * u, u));
                    }
                    if (s > 0 || initial) gemm.Sgemm(false, false, n, u, u, 1f, rh, u, recurrent[(2 * u)..], g, 1f, zs[(2 * u)..], g);
                    GruFinish(spec, zs, ps, hp, hs);
                    break;
                case RecurrentCell.GruResetAfter:
                    var rs = trace.R.AsSpan(s * n * g, n * g);
                    if (s > 0 || initial) gemm.Sgemm(false, false, n, g, u, 1f, hp, u, recurrent, g, 0f, rs, g);
                    else rs.Clear();
                    if (!recurrentBias.IsEmpty) Bias.AddToRows(rs, recurrentBias);
                    for (int b = 0; b < n; b++)
                    {
                        var z = zs.Slice(b * g, g);
                        var r = rs.Slice(b * g, g);
                        TensorPrimitives.Add(z[..(2 * u)], r[..(2 * u)], z[..(2 * u)]);
                        Gate(spec.RecurrentActivation, z[..(2 * u)], ps.IsEmpty ? default : ps.Slice(b * g, 2 * u), u);
                        TensorPrimitives.FusedMultiplyAdd(z.Slice(u, u), r.Slice(2 * u, u), z.Slice(2 * u, u), z.Slice(2 * u, u));
                    }
                    GruFinish(spec, zs, ps, hp, hs);
                    break;
            }
            if (!mask.IsEmpty)
            {
                int t = spec.TimeOf(s);
                for (int b = 0; b < n; b++)
                    if (mask[b * steps + t] == 0)
                    {
                        hp.Slice(b * u, u).CopyTo(hs.Slice(b * u, u));
                        if (trace.C is { } cc) cc.AsSpan(s * nu + b * u, u).CopyTo(cc.AsSpan((s + 1) * nu + b * u, u));
                    }
            }
            if (!sequence.IsEmpty)
            {
                int t = spec.TimeOf(s);
                for (int b = 0; b < n; b++)
                {
                    var dst = sequence.Slice((b * steps + s) * u, u);
                    if (spec.ZeroOutputForMask && !mask.IsEmpty && mask[b * steps + t] == 0) dst.Clear();
                    else hs.Slice(b * u, u).CopyTo(dst);
                }
            }
        }
        if (!last.IsEmpty) H.Slice(steps * nu, nu).CopyTo(last);
        if (!lastCell.IsEmpty && trace.C is { } cl) cl.AsSpan(steps * nu, nu).CopyTo(lastCell);
    }

    /// <summary>Applies a gate activation to <paramref name="z"/>, keeping the pre-activation in <paramref name="pre"/> when given.</summary>
    private static void Gate(ActivationFunction activation, Span<float> z, Span<float> pre, int row)
    {
        if (!pre.IsEmpty) z.CopyTo(pre);
        Activate.InPlace(activation, z, row);
    }

    private static void LstmStep(RecurrenceSpec spec, Span<float> zs, Span<float> ps, ReadOnlySpan<float> cp, Span<float> cs, Span<float> a, Span<float> hs)
    {
        int u = spec.Units, g = spec.Width, n = spec.Batch;
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
    private static void GruFinish(RecurrenceSpec spec, Span<float> zs, Span<float> ps, ReadOnlySpan<float> hp, Span<float> hs)
    {
        int u = spec.Units, g = spec.Width, n = spec.Batch;
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
    /// when not empty. The trace's Z (and R) hold gradients after.
    /// </summary>
    public static void Backward(RecurrenceSpec spec, IGemm gemm, ReadOnlySpan<int> mask, ReadOnlySpan<float> kernel, ReadOnlySpan<float> recurrent,
        RecurrenceTrace trace, ReadOnlySpan<float> dSequence, ReadOnlySpan<float> dLast, ReadOnlySpan<float> dLastCell,
        Span<float> dKernel, Span<float> dRecurrent, Span<float> dBias, Span<float> dRecurrentBias, Span<float> dx, bool writeDx, TensorPool pool,
        ReadOnlySpan<float> inputKeep = default, Span<float> dInitialState = default, Span<float> dInitialCell = default)
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
            for (int s = steps - 1; s >= 0; s--)
            {
                int t = spec.TimeOf(s);
                dhNext.CopyTo(dh);
                if (s == steps - 1 && !dLast.IsEmpty) TensorPrimitives.Add(dh, dLast, dh);
                if (!dSequence.IsEmpty)
                    for (int b = 0; b < n; b++)
                        if (!(spec.ZeroOutputForMask && !mask.IsEmpty && mask[b * steps + t] == 0))
                            TensorPrimitives.Add(dh.Slice(b * u, u), dSequence.Slice((b * steps + s) * u, u), dh.Slice(b * u, u));
                var zs = Z.Slice(s * n * g, n * g);
                var ps = trace.P is { } p ? p.AsSpan(s * n * g, n * g) : default;
                var hp = H.Slice(s * nu, nu);
                switch (spec.Cell)
                {
                    case RecurrentCell.Simple:
                        // zs holds y = act(pre): dz = dh ⊙ act′.
                        dh.CopyTo(tmp[..nu]);
                        Derive(spec.Activation, ps, zs, tmp[..nu], u);
                        tmp[..nu].CopyTo(zs);
                        Masked(spec, mask, s, zs, g);
                        if (s > 0 || first) gemm.Sgemm(false, true, n, u, u, 1f, zs, u, recurrent, u, 0f, dhNext, u);
                        break;
                    case RecurrentCell.Lstm:
                        LstmBack(spec, zs, ps, trace.C.AsSpan(s * nu, nu), trace.A.AsSpan(s * nu, nu), dh, dc, tmp, mask, s);
                        if (s > 0 || first) gemm.Sgemm(false, true, n, u, g, 1f, zs, g, recurrent, g, 0f, dhNext, u);
                        break;
                    case RecurrentCell.Gru:
                        GruBackBefore(spec, gemm, zs, ps, hp, recurrent, dh, dhNext, tmp, mask, s, first);
                        break;
                    case RecurrentCell.GruResetAfter:
                        GruBackAfter(spec, gemm, zs, ps, hp, trace.R.AsSpan(s * n * g, n * g), recurrent, dh, dhNext, mask, s, first);
                        break;
                }
                if (!mask.IsEmpty)
                    for (int b = 0; b < n; b++)
                        if (mask[b * steps + t] == 0)
                            dh.Slice(b * u, u).CopyTo(dhNext.Slice(b * u, u)); // dc carries over unchanged: LstmBack leaves masked rows' dc alone
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

    /// <summary>Clears the gate gradients of the masked rows of step <paramref name="s"/>.</summary>
    private static void Masked(RecurrenceSpec spec, ReadOnlySpan<int> mask, int s, Span<float> rows, int width)
    {
        if (mask.IsEmpty) return;
        int t = spec.TimeOf(s);
        for (int b = 0; b < spec.Batch; b++)
            if (mask[b * spec.Steps + t] == 0) rows.Slice(b * width, width).Clear();
    }

    /// <summary>
    /// One LSTM step backward: from dh and the carried dc (updated in place to the previous step's, except for
    /// masked rows, which keep it), writes the pre-activation gradients over the gates in <paramref name="zs"/>.
    /// </summary>
    private static void LstmBack(RecurrenceSpec spec, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> cp, ReadOnlySpan<float> a,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> tmp, ReadOnlySpan<int> mask, int s)
    {
        int u = spec.Units, g = spec.Width, n = spec.Batch, t = spec.TimeOf(s);
        var cBuf = tmp[..g];
        for (int b = 0; b < n; b++)
        {
            var z = zs.Slice(b * g, g);
            if (!mask.IsEmpty && mask[b * spec.Steps + t] == 0)
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

    /// <summary>GRU (reset before) step backward: gate gradients into <paramref name="zs"/>, the previous state's gradient into <paramref name="dhNext"/>.</summary>
    private static void GruBackBefore(RecurrenceSpec spec, IGemm gemm, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> hp,
        ReadOnlySpan<float> recurrent, ReadOnlySpan<float> dh, Span<float> dhNext, Span<float> tmp, ReadOnlySpan<int> mask, int s, bool first)
    {
        int u = spec.Units, g = spec.Width, n = spec.Batch;
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
        Masked(spec, mask, s, zs, g);
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
        Masked(spec, mask, s, zs, g);
        if (s > 0 || first) gemm.Sgemm(false, true, n, u, 2 * u, 1f, zs, g, recurrent, g, 1f, dhNext, u);
    }

    /// <summary>GRU (reset after) step backward: gate gradients into <paramref name="zs"/>, the recurrent term's into <paramref name="rs"/>, the previous state's into <paramref name="dhNext"/>.</summary>
    private static void GruBackAfter(RecurrenceSpec spec, IGemm gemm, Span<float> zs, ReadOnlySpan<float> ps, ReadOnlySpan<float> hp, Span<float> rs,
        ReadOnlySpan<float> recurrent, ReadOnlySpan<float> dh, Span<float> dhNext, ReadOnlySpan<int> mask, int s, bool first)
    {
        int u = spec.Units, g = spec.Width, n = spec.Batch;
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
        Masked(spec, mask, s, zs, g);
        Masked(spec, mask, s, rs, g);
        if (s > 0 || first) gemm.Sgemm(false, true, n, u, g, 1f, rs, g, recurrent, g, 1f, dhNext, u);
    }
}
