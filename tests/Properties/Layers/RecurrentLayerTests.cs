using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Execution;
using DeepGraph.Properties.Numerics;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The recurrent layers against a float64 reference written from Keras's formulas (straight loops over steps, one
/// sample at a time), forward and backward: SimpleRNN, LSTM, GRU with reset_after false (TF.js's form, also checked
/// by the TF.js fixtures) and true (Keras's default, which no fixture covers), masks (a masked step carries state and
/// output; with zero_output_for_mask, as Bidirectional sets it, the sequence output is 0 there), go_backwards,
/// return_sequences and return_state, activations whose derivative needs the pre-activation; and Bidirectional in
/// every merge mode; input dropout (the layer's own mask applied to x). Gradients of L = Σ r ⊙ outputs are compared with central differences of the float64 reference.
/// </summary>
public sealed class RecurrentLayerTests
{
    private static readonly LayerId Id = new(1);

    // ---- the float64 reference -------------------------------------------------------------

    private static double Act(string f, double x) => f switch
    {
        "tanh" => Math.Tanh(x),
        "sigmoid" => 1 / (1 + Math.Exp(-x)),
        "hard_sigmoid" => Math.Clamp(0.2 * x + 0.5, 0, 1),
        "elu" => x > 0 ? x : Math.Exp(x) - 1,
        "softsign" => x / (1 + Math.Abs(x)),
        "swish" => x / (1 + Math.Exp(-x)),
        "linear" => x,
        _ => throw new ArgumentException(f),
    };

    /// <summary>The sizes and options of one reference run.</summary>
    /// <remarks>3 units by default; the LSTM's fused step (Keras's activations) works on sixteen units at a time, so 19 units
    /// cover a whole block and a ragged rest.</remarks>
    private sealed record Case(string Cell, string Activation, string Gates, bool GoBackwards, bool ReturnSequences, bool ReturnState, bool Masked, bool ZeroOutput, bool UseBias = true, double Dropout = 0, int Units = 3)
    {
        public int G => Cell == "simple" ? 1 : Cell == "lstm" ? 4 : 3;

        public override string ToString() => $"{Cell} {Activation}/{Gates}{(GoBackwards ? " backwards" : "")}{(ReturnSequences ? " sequences" : "")}{(ReturnState ? " state" : "")}{(Masked ? " masked" : "")}{(ZeroOutput ? " zero-output" : "")}{(UseBias ? "" : " no-bias")}{(Units == 3 ? "" : $" {Units} units")}";
    }

    private const int N = 2, T = 4, F = 3;

    /// <summary>
    /// Keras's recurrence in float64: outputs [sequence (processing order) or last h, then h (and c) with return_state].
    /// <paramref name="b"/> is [G·u] or, for "gru_after", [2·G·u] (input bias then recurrent bias).
    /// </summary>
    private static double[][] Reference(Case c, double[] x, bool[] mask, double[] w, double[] uk, double[] b, double[]? h0 = null, double[]? c0 = null)
    {
        int g = c.G * c.Units;
        var seq = new double[N * T * c.Units];
        var lastH = new double[N * c.Units];
        var lastC = new double[N * c.Units];
        for (int n = 0; n < N; n++)
        {
            var h = h0 is null ? new double[c.Units] : h0[(n * c.Units)..((n + 1) * c.Units)];
            var cs = c0 is null ? new double[c.Units] : c0[(n * c.Units)..((n + 1) * c.Units)];
            for (int s = 0; s < T; s++)
            {
                int t = c.GoBackwards ? T - 1 - s : s;
                bool real = !c.Masked || mask[n * T + t];
                var zx = new double[g];
                var rec = new double[g];
                for (int j = 0; j < g; j++)
                {
                    double v = c.UseBias ? b[j] : 0;
                    for (int f = 0; f < F; f++) v += x[(n * T + t) * F + f] * w[f * g + j];
                    zx[j] = v;
                    double r = c.Cell == "gru_after" && c.UseBias ? b[g + j] : 0;
                    for (int k = 0; k < c.Units; k++) r += h[k] * uk[k * g + j];
                    rec[j] = r;
                }
                var hn = new double[c.Units];
                var cn = new double[c.Units];
                for (int k = 0; k < c.Units; k++)
                {
                    switch (c.Cell)
                    {
                        case "simple":
                            hn[k] = Act(c.Activation, zx[k] + rec[k]);
                            break;
                        case "lstm":
                            double i = Act(c.Gates, zx[k] + rec[k]), fg = Act(c.Gates, zx[c.Units + k] + rec[c.Units + k]);
                            double cc = Act(c.Activation, zx[2 * c.Units + k] + rec[2 * c.Units + k]), o = Act(c.Gates, zx[3 * c.Units + k] + rec[3 * c.Units + k]);
                            cn[k] = fg * cs[k] + i * cc;
                            hn[k] = o * Act(c.Activation, cn[k]);
                            break;
                    }
                }
                if (c.Cell is "gru" or "gru_after")
                {
                    var z = new double[c.Units];
                    var r = new double[c.Units];
                    for (int k = 0; k < c.Units; k++)
                    {
                        z[k] = Act(c.Gates, zx[k] + rec[k]);
                        r[k] = Act(c.Gates, zx[c.Units + k] + rec[c.Units + k]);
                    }
                    for (int k = 0; k < c.Units; k++)
                    {
                        double inner;
                        if (c.Cell == "gru_after") inner = r[k] * rec[2 * c.Units + k];
                        else
                        {
                            inner = 0;
                            for (int m = 0; m < c.Units; m++) inner += r[m] * h[m] * uk[m * g + 2 * c.Units + k];
                        }
                        double hh = Act(c.Activation, zx[2 * c.Units + k] + inner);
                        hn[k] = z[k] * h[k] + (1 - z[k]) * hh;
                    }
                }
                if (real)
                {
                    h = hn;
                    if (c.Cell == "lstm") cs = cn;
                }
                for (int k = 0; k < c.Units; k++) seq[(n * T + s) * c.Units + k] = real || !c.ZeroOutput ? h[k] : 0;
            }
            Array.Copy(h, 0, lastH, n * c.Units, c.Units);
            Array.Copy(cs, 0, lastC, n * c.Units, c.Units);
        }
        var outputs = new List<double[]> { c.ReturnSequences ? seq : lastH };
        if (c.ReturnState)
        {
            outputs.Add(lastH);
            if (c.Cell == "lstm") outputs.Add(lastC);
        }
        return [.. outputs];
    }

    // ---- the layer under test --------------------------------------------------------------

    private static RecurrentLayer Make(Case c) => c.Cell switch
    {
        "simple" => new SimpleRNN(c.Units, c.Activation, c.UseBias, c.ReturnSequences, c.ReturnState, c.GoBackwards, dropout: c.Dropout) { Id = Id, Name = "rnn", ZeroOutputForMask = c.ZeroOutput },
        "lstm" => new LSTM(c.Units, c.Activation, c.Gates, c.UseBias, true, c.ReturnSequences, c.ReturnState, c.GoBackwards, dropout: c.Dropout) { Id = Id, Name = "rnn", ZeroOutputForMask = c.ZeroOutput },
        _ => new GRU(c.Units, c.Activation, c.Gates, c.UseBias, c.ReturnSequences, c.ReturnState, c.GoBackwards, dropout: c.Dropout, resetAfter: c.Cell == "gru_after") { Id = Id, Name = "rnn", ZeroOutputForMask = c.ZeroOutput },
    };

    private sealed record Point(double[] X, bool[] Mask, double[] W, double[] Uk, double[] B);

    private static Point Draw(Case c, int seed)
    {
        var rng = new Random(seed);
        double[] Values(int count, double scale) => [.. Enumerable.Range(0, count).Select(_ => (rng.NextDouble() * 2 - 1) * scale)];
        int g = c.G * c.Units;
        // Sample 0 keeps steps 0 and 3 and masks 1 and 2; sample 1 masks its first step only (a masked step before any real one).
        bool[] mask = c.Masked ? [true, false, false, true, false, true, true, true] : [.. Enumerable.Repeat(true, N * T)];
        return new Point(Values(N * T * F, 1), mask, Values(F * g, 0.8), Values(c.Units * g, 0.8), Values(c.Cell == "gru_after" ? 2 * g : g, 0.5));
    }

    private static float[] Floats(double[] v) => Array.ConvertAll(v, d => (float)d);

    private static Tensor T32(double[] v, params int[] shape) => Tensor.FromArray(Floats(v), shape);

    private static ForwardContext Context(IGemm gemm, Case c, Point p) =>
        new(gemm, new TensorPool(), Training: true) { InputMasks = c.Masked ? [Tensor.FromBools(p.Mask, [N, T])] : [] };

    private static RecurrentLayer Built(Case c, Point p)
    {
        int g = c.G * c.Units;
        var bias = c.Cell == "gru_after" ? T32(p.B, 2, g) : T32(p.B, g);
        Tensor[] weights = c.UseBias ? [T32(p.W, F, g), T32(p.Uk, c.Units, g), bias] : [T32(p.W, F, g), T32(p.Uk, c.Units, g)];
        return Make(c) with { Params = EquatableArray.Of(weights) };
    }

    private static IEnumerable<Case> Cases()
    {
        foreach (var cell in new[] { "simple", "lstm", "gru", "gru_after" })
            foreach (var (act, gates) in new[] { ("tanh", "sigmoid"), ("elu", "hard_sigmoid"), ("swish", "sigmoid"), ("softsign", "swish") })
                foreach (var (back, seqs, state) in new[] { (false, false, false), (true, true, true), (false, true, false), (true, false, true) })
                    foreach (var (masked, zero) in new[] { (false, false), (true, false), (true, true) })
                        yield return new Case(cell, act, gates, back, seqs, state, masked, zero && seqs);
        yield return new Case("lstm", "tanh", "sigmoid", false, true, true, true, false, UseBias: false);
        yield return new Case("gru_after", "tanh", "sigmoid", true, true, true, true, true, UseBias: false);
        foreach (var cell in new[] { "simple", "lstm", "gru", "gru_after" })
            yield return new Case(cell, "tanh", "sigmoid", true, true, false, true, false, Dropout: 0.5);
        yield return new Case("lstm", "tanh", "sigmoid", false, true, true, false, false, Units: 19);
        yield return new Case("lstm", "tanh", "sigmoid", true, true, true, true, false, Units: 19);
        yield return new Case("lstm", "tanh", "sigmoid", false, false, false, true, false, UseBias: false, Units: 16);
    }

    public static TheoryData<int> CaseIndices => new(Enumerable.Range(0, Cases().Count()));

    private static double Loss(double[][] outputs, double[][] r) => outputs.Select((o, k) => o.Select((v, i) => v * r[k][i]).Sum()).Sum();

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Forward_and_gradients_match_the_float64_reference(int index) => MatchesReference(index, Harness.Managed);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [MemberData(nameof(CaseIndices))]
    public void Forward_and_gradients_match_the_float64_reference_on_native_BLAS(int index)
    {
        foreach (var gemm in Harness.NativeOrFail) MatchesReference(index, gemm);
    }

    private static void MatchesReference(int index, IGemm gemm)
    {
        var c = Cases().ElementAt(index);
        var p = Draw(c, 100 + index);
        var layer = Built(c, p);
        var x = T32(p.X, N, T, F);
        var shapes = layer.OutputShapes([x.Shape]);
        var outputs = shapes.Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var context = Context(gemm, c, p);
        var saved = layer.ForwardTrain(context, [x], outputs);

        // With input dropout the layer computes on x ∘ keep (one keep value per sample and feature, for every step).
        var keep = c.Dropout > 0 ? layer.InputDropoutMask(context, N, F) : Enumerable.Repeat(1f, N * F).ToArray();
        if (c.Dropout > 0)
        {
            Assert.All(keep, k => Assert.True(k == 0f || k == 2f));
            Assert.Contains(0f, keep);
            Assert.Contains(2f, keep);
        }
        double[] Dropped(double[] v) => [.. v.Select((value, i) => value * keep[(i / (T * F)) * F + i % F])];
        var want = Reference(c, Dropped(p.X), p.Mask, p.W, p.Uk, p.B);
        Assert.Equal(want.Length, outputs.Length);
        for (int k = 0; k < want.Length; k++)
            AssertClose($"{c}: output {k}", outputs[k].Span, want[k], 1e-5);

        // Backward against central differences of the reference.
        var rng = new Random(7 + index);
        var r = want.Select(o => o.Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var dx = Tensor.Zeros(N, T, F);
        var grads = layer.Params.Select(w => Tensor.Zeros(w.Shape.ToArray())).ToArray();
        layer.Backward(context, new BackwardArgs
        {
            Inputs = [x], Outputs = outputs, Saved = saved,
            OutputGrads = [.. r.Select((v, k) => T32(v, outputs[k].Shape.ToArray()))],
            InputGrads = [dx], ParamGrads = grads,
        });
        double[][] point = [p.X, p.W, p.Uk, p.B];
        Tensor[] analytic = c.UseBias ? [dx, .. grads] : [dx, grads[0], grads[1]];
        for (int a = 0; a < analytic.Length; a++)
        {
            var numeric = new double[point[a].Length];
            for (int i = 0; i < numeric.Length; i++)
            {
                double at = point[a][i], h = 1e-6;
                point[a][i] = at + h;
                double up = Loss(Reference(c, Dropped(point[0]), p.Mask, point[1], point[2], point[3]), r);
                point[a][i] = at - h;
                double down = Loss(Reference(c, Dropped(point[0]), p.Mask, point[1], point[2], point[3]), r);
                point[a][i] = at;
                numeric[i] = (up - down) / (2 * h);
            }
            AssertClose($"{c}: gradient of {new[] { "x", "kernel", "recurrent_kernel", "bias" }[a]}", analytic[a].Span, numeric, 1e-3);
        }
    }

    /// <summary>Bidirectional reference: the forward run, the backward run (go_backwards flipped, its sequence turned back to forward time), merged.</summary>
    private static double[][] BidirectionalReference(Case c, string? mode, double[] x, bool[] mask, Point f, Point b)
    {
        var inner = c with { ZeroOutput = c.ReturnSequences };
        var fo = Reference(inner, x, mask, f.W, f.Uk, f.B);
        var bo = Reference(inner with { GoBackwards = !c.GoBackwards }, x, mask, b.W, b.Uk, b.B);
        if (c.ReturnSequences)
        {
            var reversed = new double[bo[0].Length];
            for (int n = 0; n < N; n++)
                for (int s = 0; s < T; s++)
                    Array.Copy(bo[0], (n * T + s) * c.Units, reversed, (n * T + T - 1 - s) * c.Units, c.Units);
            bo[0] = reversed;
        }
        var states = fo.Skip(1).Concat(bo.Skip(1));
        double[] Zip(Func<double, double, double> op) => [.. fo[0].Zip(bo[0], op)];
        return mode switch
        {
            null => [fo[0], bo[0], .. states],
            "concat" => [[.. Enumerable.Range(0, fo[0].Length / c.Units).SelectMany(row => fo[0].Skip(row * c.Units).Take(c.Units).Concat(bo[0].Skip(row * c.Units).Take(c.Units)))], .. states],
            "sum" => [Zip((a, b) => a + b), .. states],
            "mul" => [Zip((a, b) => a * b), .. states],
            _ => [Zip((a, b) => (a + b) / 2), .. states],
        };
    }

    private static IEnumerable<(Case Case, string? Mode)> BidirectionalCases()
    {
        foreach (var mode in new[] { "concat", "sum", "mul", "ave", null })
            foreach (var cell in new[] { "simple", "lstm", "gru", "gru_after" })
            {
                yield return (new Case(cell, "tanh", "sigmoid", false, true, cell == "lstm", true, false), mode);
                yield return (new Case(cell, "tanh", "sigmoid", false, false, true, true, false), mode);
            }
    }

    public static TheoryData<int> BidirectionalIndices => new(Enumerable.Range(0, BidirectionalCases().Count()));

    [Theory]
    [MemberData(nameof(BidirectionalIndices))]
    public void Bidirectional_forward_and_gradients_match_the_float64_reference(int index)
    {
        var (c, mode) = BidirectionalCases().ElementAt(index);
        var f = Draw(c, 300 + index);
        var b = Draw(c, 500 + index);
        var layer = new Bidirectional(Make(c), mode) { Id = Id, Name = "bi" };
        layer = layer with { Params = EquatableArray.Of(Built(c, f).Params.Concat(Built(c, b).Params)) };
        var x = T32(f.X, N, T, F);
        var outputs = layer.OutputShapes([x.Shape]).Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var context = Context(Harness.Managed, c, f);
        var saved = layer.ForwardTrain(context, [x], outputs);
        var want = BidirectionalReference(c, mode, f.X, f.Mask, f, b);
        Assert.Equal(want.Length, outputs.Length);
        for (int k = 0; k < want.Length; k++) AssertClose($"{c} {mode}: output {k}", outputs[k].Span, want[k], 1e-5);

        var rng = new Random(9 + index);
        var r = want.Select(o => o.Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var dx = Tensor.Zeros(N, T, F);
        var grads = layer.Params.Select(w => Tensor.Zeros(w.Shape.ToArray())).ToArray();
        layer.Backward(context, new BackwardArgs
        {
            Inputs = [x], Outputs = outputs, Saved = saved,
            OutputGrads = [.. r.Select((v, k) => T32(v, outputs[k].Shape.ToArray()))],
            InputGrads = [dx], ParamGrads = grads,
        });
        double[][] point = [f.X, f.W, f.Uk, f.B, b.W, b.Uk, b.B];
        Tensor[] analytic = [dx, .. grads];
        for (int a = 0; a < analytic.Length; a++)
        {
            var numeric = new double[point[a].Length];
            for (int i = 0; i < numeric.Length; i++)
            {
                double keep = point[a][i], h = 1e-6;
                double L() => Loss(BidirectionalReference(c, mode, point[0], f.Mask, f with { W = point[1], Uk = point[2], B = point[3] }, b with { W = point[4], Uk = point[5], B = point[6] }), r);
                point[a][i] = keep + h;
                double up = L();
                point[a][i] = keep - h;
                double down = L();
                point[a][i] = keep;
                numeric[i] = (up - down) / (2 * h);
            }
            AssertClose($"{c} {mode}: gradient {a}", analytic[a].Span, numeric, 1e-3);
        }
    }

    [Theory]
    [InlineData("simple")]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("gru_after")]
    public void Initial_states_start_the_recurrence_and_get_their_gradients(string cell)
    {
        var c = new Case(cell, "tanh", "sigmoid", true, true, true, true, false);
        var p = Draw(c, 700 + cell.Length);
        var rng = new Random(11);
        var h0 = Enumerable.Range(0, N * c.Units).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var c0 = Enumerable.Range(0, N * c.Units).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var layer = Built(c, p);
        var x = T32(p.X, N, T, F);
        Tensor[] inputs = cell == "lstm" ? [x, T32(h0, N, c.Units), T32(c0, N, c.Units)] : [x, T32(h0, N, c.Units)];
        var outputs = layer.OutputShapes([.. inputs.Select(i => i.Shape)]).Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var context = Context(Harness.Managed, c, p);
        var saved = layer.ForwardTrain(context, inputs, outputs);
        double[]? C0(double[][] pt) => cell == "lstm" ? pt[5] : null;
        double[][] point = [p.X, p.W, p.Uk, p.B, h0, c0];
        double[][] Run(double[][] pt) => Reference(c, pt[0], p.Mask, pt[1], pt[2], pt[3], pt[4], C0(pt));
        var want = Run(point);
        for (int k = 0; k < want.Length; k++) AssertClose($"{c} initial: output {k}", outputs[k].Span, want[k], 1e-5);

        var r = want.Select(o => o.Select(_ => rng.NextDouble() * 2 - 1).ToArray()).ToArray();
        var grads = inputs.Select(i => Tensor.Zeros(i.Shape.ToArray())).ToArray();
        var paramGrads = layer.Params.Select(w => Tensor.Zeros(w.Shape.ToArray())).ToArray();
        layer.Backward(context, new BackwardArgs
        {
            Inputs = inputs, Outputs = outputs, Saved = saved,
            OutputGrads = [.. r.Select((v, k) => T32(v, outputs[k].Shape.ToArray()))],
            InputGrads = grads, ParamGrads = paramGrads,
        });
        Tensor[] analytic = [grads[0], .. paramGrads, grads[1], .. grads.Skip(2)];
        for (int a = 0; a < analytic.Length; a++)
        {
            var numeric = new double[point[a].Length];
            for (int i = 0; i < numeric.Length; i++)
            {
                double at = point[a][i], h = 1e-6;
                point[a][i] = at + h;
                double up = Loss(Run(point), r);
                point[a][i] = at - h;
                double down = Loss(Run(point), r);
                point[a][i] = at;
                numeric[i] = (up - down) / (2 * h);
            }
            AssertClose($"{c} initial: gradient {a}", analytic[a].Span, numeric, 1e-3);
        }
    }

    private static void AssertClose(string what, ReadOnlySpan<float> got, double[] want, double tolerance)
    {
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            double error = Math.Abs(got[i] - want[i]) / Math.Max(1, Math.Abs(want[i]));
            Assert.True(error <= tolerance, $"{what}[{i}]: got {got[i]}, want {want[i]}");
        }
    }
}
