using System.Numerics.Tensors;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// The two fused ops of scaled dot-product attention, on the heads-interleaved layout the projections
/// give (batch, steps, heads, size), so that no transpose is copied: <see cref="Probabilities"/>
/// (scores, mask and softmax, per batch and head) and <see cref="Context"/> (probabilities times values).
/// Each is a strided GEMM per (batch, head), run in parallel, with its own vector-Jacobian product;
/// and the attention layers' dropout mask.
/// </summary>
internal static class AttentionOps
{
    /// <summary>
    /// softmax(scale · Q·Kᵀ) per batch and head, (batch, Tq, heads, d) and (batch, Tk, heads, d) →
    /// (batch, heads, Tq, Tk). Where <paramref name="keep"/> (batch or 1, Tq, Tk; 1 keep, 0 drop) is 0 the
    /// score is replaced by −1e9 (MultiHeadAttention's softmax mask) or, with <paramref name="subtractMasked"/>,
    /// lowered by 1e9 (the Attention layers). The gradient flows to Q and K.
    /// </summary>
    public static Var Probabilities(Var q, Var k, float scale, Tensor? keep, bool subtractMasked = false)
    {
        int batch = q.Shape[0]!.Value, tq = q.Shape[1]!.Value, heads = q.Shape[2]!.Value, d = q.Shape[3]!.Value;
        int tk = k.Shape[1]!.Value;
        var shape = Shape.Known(batch, heads, tq, tk);
        var gemm = q.Tape.Gemm;
        return q.Tape.Emit(shape, DType.Float32, [q, k], () =>
        {
            var p = GC.AllocateUninitializedArray<float>(batch * heads * tq * tk); // every value written below
            var qd = q.Value.Data;
            var kd = k.Value.Data;
            ForEachHead(batch, heads, gemm, (b, h, g) =>
            {
                var scores = p.AsSpan((b * heads + h) * tq * tk, tq * tk);
                Multiply(g, false, true, tq, tk, d, scale, qd.AsSpan((b * tq * heads + h) * d), heads * d, kd.AsSpan((b * tk * heads + h) * d), heads * d, 0f, scores, tk);
                if (keep is not null)
                {
                    var m = MaskOf(keep, b, tq * tk);
                    for (int i = 0; i < scores.Length; i++)
                        if (m[i] == 0) scores[i] = subtractMasked ? scores[i] - 1e9f : -1e9f;
                }
                for (int r = 0; r < tq; r++)
                {
                    // Stable: the row's maximum first (a row masked everywhere is then uniform, as in Keras).
                    var row = scores.Slice(r * tk, tk);
                    TensorPrimitives.Subtract(row, TensorPrimitives.Max(row), row);
                    TensorPrimitives.Exp(row, row);
                    TensorPrimitives.Multiply(row, 1f / TensorPrimitives.Sum(row), row);
                }
            });
            return Tensor.Own(p, shape);
        }, probabilities => (g, needed) =>
        {
            // dS = P ⊙ (dP − Σ dP ⊙ P) per row; dQ = scale · dS·K, dK = scale · dSᵀ·Q.
            var p = probabilities.Data;
            var gp = g.Data;
            var qd = q.Value.Data;
            var kd = k.Value.Data;
            var dq = needed[0] ? GC.AllocateUninitializedArray<float>(qd.Length) : null; // the products (beta 0) write every value
            var dk = needed[1] ? GC.AllocateUninitializedArray<float>(kd.Length) : null;
            ForEachHead(batch, heads, gemm, (b, h, ge) =>
            {
                int at = (b * heads + h) * tq * tk;
                var ds = new float[tq * tk];
                for (int r = 0; r < tq; r++)
                {
                    var pr = p.AsSpan(at + r * tk, tk);
                    var gr = gp.AsSpan(at + r * tk, tk);
                    float dot = TensorPrimitives.Dot(pr, gr);
                    var dr = ds.AsSpan(r * tk, tk);
                    TensorPrimitives.Subtract(gr, dot, dr);
                    TensorPrimitives.Multiply(dr, pr, dr);
                }
                if (keep is not null && !subtractMasked)
                {
                    // A replaced score does not depend on Q or K (it matters in a row masked everywhere, which is uniform).
                    var m = MaskOf(keep, b, tq * tk);
                    for (int i = 0; i < ds.Length; i++)
                        if (m[i] == 0) ds[i] = 0;
                }
                if (dq is not null)
                    Multiply(ge, false, false, tq, d, tk, scale, ds, tk, kd.AsSpan((b * tk * heads + h) * d), heads * d, 0f, dq.AsSpan((b * tq * heads + h) * d), heads * d);
                if (dk is not null)
                    Multiply(ge, true, false, tk, d, tq, scale, ds, tk, qd.AsSpan((b * tq * heads + h) * d), heads * d, 0f, dk.AsSpan((b * tk * heads + h) * d), heads * d);
            });
            return [dq is null ? null : Tensor.Own(dq, q.Shape), dk is null ? null : Tensor.Own(dk, k.Shape)];
        });
    }

    /// <summary>
    /// A dense projection of the last axis: <paramref name="x"/> (…, in) times <paramref name="kernel"/> (in values by
    /// out, in any shape of that many values) plus <paramref name="bias"/> (out values), laid out as
    /// <paramref name="shape"/> (…, out as any trailing shape). One GEMM each way and no reshapes: the projections
    /// of an attention layer read and write the heads' layout directly.
    /// </summary>
    public static Var Project(Var x, Var kernel, Var? bias, Shape shape)
    {
        int inputs = x.Shape[-1]!.Value;
        int rows = (int)(x.Shape.Product()!.Value / Math.Max(1, inputs));
        int outputs = (int)(kernel.Shape.Product()!.Value / Math.Max(1, inputs));
        var gemm = x.Tape.Gemm;
        Var[] operands = bias is null ? [x, kernel] : [x, kernel, bias];
        return x.Tape.Emit(shape, DType.Float32, operands, () =>
        {
            var y = GC.AllocateUninitializedArray<float>(rows * outputs); // the bias rows or the product (beta 0) write every value
            if (bias is not null)
            {
                var b = bias.Value.Data;
                for (int r = 0; r < rows; r++) b.AsSpan(0, outputs).CopyTo(y.AsSpan(r * outputs, outputs));
            }
            Multiply(gemm, false, false, rows, outputs, inputs, 1f, x.Value.Data, inputs, kernel.Value.Data, outputs, bias is null ? 0f : 1f, y, outputs);
            return Tensor.Own(y, shape);
        }, _ => (g, needed) =>
        {
            var gd = g.Data;
            var grads = new Tensor?[operands.Length];
            if (needed[0])
            {
                var dx = GC.AllocateUninitializedArray<float>(rows * inputs);
                Multiply(gemm, false, true, rows, inputs, outputs, 1f, gd, outputs, kernel.Value.Data, outputs, 0f, dx, inputs);
                grads[0] = Tensor.Own(dx, x.Shape);
            }
            if (needed[1])
            {
                var dw = GC.AllocateUninitializedArray<float>(inputs * outputs);
                Multiply(gemm, true, false, inputs, outputs, rows, 1f, x.Value.Data, inputs, gd, outputs, 0f, dw, outputs);
                grads[1] = Tensor.Own(dw, kernel.Shape);
            }
            if (bias is not null && needed[2])
            {
                var db = new float[outputs];
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, gd.AsSpan(r * outputs, outputs), db);
                grads[2] = Tensor.Own(db, bias.Shape);
            }
            return grads;
        });
    }

    /// <summary>Batch <paramref name="b"/>'s part of a keep mask of batch 1 (shared by all) or of every batch.</summary>
    private static ReadOnlySpan<float> MaskOf(Tensor keep, int b, int size) => keep.Data.AsSpan((keep.Shape[0] == 1 ? 0 : b) * size, size);

    /// <summary>P·V per batch and head: (batch, heads, Tq, Tk) and (batch, Tk, heads, dv) → (batch, Tq, heads, dv).</summary>
    public static Var Context(Var p, Var v)
    {
        int batch = p.Shape[0]!.Value, heads = p.Shape[1]!.Value, tq = p.Shape[2]!.Value, tk = p.Shape[3]!.Value;
        int dv = v.Shape[3]!.Value;
        var shape = Shape.Known(batch, tq, heads, dv);
        var gemm = p.Tape.Gemm;
        return p.Tape.Emit(shape, DType.Float32, [p, v], () =>
        {
            var o = GC.AllocateUninitializedArray<float>(batch * tq * heads * dv); // every (batch, head) block written
            var pd = p.Value.Data;
            var vd = v.Value.Data;
            ForEachHead(batch, heads, gemm, (b, h, g) =>
                Multiply(g, false, false, tq, dv, tk, 1f, pd.AsSpan((b * heads + h) * tq * tk), tk, vd.AsSpan((b * tk * heads + h) * dv), heads * dv, 0f,
                    o.AsSpan((b * tq * heads + h) * dv), heads * dv));
            return Tensor.Own(o, shape);
        }, _ => (g, needed) =>
        {
            // dP = dO·Vᵀ, dV = Pᵀ·dO, per batch and head.
            var pd = p.Value.Data;
            var vd = v.Value.Data;
            var go = g.Data;
            var dp = needed[0] ? GC.AllocateUninitializedArray<float>(pd.Length) : null;
            var dvv = needed[1] ? GC.AllocateUninitializedArray<float>(vd.Length) : null;
            ForEachHead(batch, heads, gemm, (b, h, ge) =>
            {
                var gAt = go.AsSpan((b * tq * heads + h) * dv);
                if (dp is not null)
                    Multiply(ge, false, true, tq, tk, dv, 1f, gAt, heads * dv, vd.AsSpan((b * tk * heads + h) * dv), heads * dv, 0f, dp.AsSpan((b * heads + h) * tq * tk), tk);
                if (dvv is not null)
                    Multiply(ge, true, false, tk, dv, tq, 1f, pd.AsSpan((b * heads + h) * tq * tk), tk, gAt, heads * dv, 0f, dvv.AsSpan((b * tk * heads + h) * dv), heads * dv);
            });
            return [dp is null ? null : Tensor.Own(dp, p.Shape), dvv is null ? null : Tensor.Own(dvv, v.Shape)];
        });
    }

    /// <summary>Runs <paramref name="body"/> for every (batch, head), in parallel when there is enough of them, each with a GEMM it may use alone.</summary>
    private static void ForEachHead(int batch, int heads, IGemm? gemm, Action<int, int, IGemm?> body)
    {
        int count = batch * heads;
        // A native BLAS cannot be asked for one thread per call: the heads' small products then run on the managed kernel.
        var single = gemm is null ? null : gemm.SingleThreaded ?? ManagedGemm.Serial;
        if (count < 2 || Environment.ProcessorCount < 2)
        {
            for (int i = 0; i < count; i++) body(i / heads, i % heads, gemm);
            return;
        }
        Parallel.For(0, count, i => body(i / heads, i % heads, single));
    }

    /// <summary>C ← alpha·op(A)·op(B) + beta·C on strided row-major storage, through <paramref name="gemm"/> or plain loops without one.</summary>
    private static void Multiply(IGemm? gemm, bool ta, bool tb, int m, int n, int k, float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        // Spans start at the matrix and may run past it (the rest of the tensor): trim them to what the strides reach.
        a = a[..Reach(ta ? k : m, ta ? m : k, lda)];
        b = b[..Reach(tb ? n : k, tb ? k : n, ldb)];
        c = c[..Reach(m, n, ldc)];
        if (gemm is not null)
        {
            gemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++) sum += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }

    private static int Reach(int rows, int columns, int stride) => rows == 0 || columns == 0 ? 0 : (rows - 1) * stride + columns;

    /// <summary>
    /// Inverted dropout's factors for one training call of a layer: 0 with probability <paramref name="rate"/>, else
    /// 1/(1 − rate). Each value is a counter-based hash of the call's seed, the layer's own seed (or its name) and the
    /// value's index, so a seed reproduces it.
    /// </summary>
    public static Tensor DropoutMask(Shape shape, double rate, int callSeed, int? layerSeed, string name)
    {
        int n = (int)shape.Product()!.Value;
        var mask = new float[n];
        ulong key = unchecked((ulong)(uint)Seeds.Derive(callSeed, layerSeed ?? StableHash(name)) * 0xD1B54A32D192ED03UL);
        ulong threshold = (ulong)(rate * ulong.MaxValue);
        float scale = (float)(1.0 / (1.0 - rate));
        for (int i = 0; i < n; i++)
        {
            ulong z = unchecked(key + (ulong)i * 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            mask[i] = z >= threshold ? scale : 0f;
        }
        return Tensor.Own(mask, shape);
    }

    /// <summary>A hash of the name that is the same in every process (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name) hash = unchecked((hash ^ c) * 16777619);
        return unchecked((int)hash);
    }

    /// <summary>
    /// A boolean or float mask (true, or above 0.5, where attention is allowed) as 1 and 0, for the keep tensors
    /// above; <paramref name="into"/> (when given) is multiplied by it, so several masks combine with a logical and.
    /// </summary>
    public static float[] Keep(Tensor mask, float[]? into = null)
    {
        int n = (int)mask.Shape.Product()!.Value;
        var keep = into ?? Enumerable.Repeat(1f, n).ToArray();
        if (mask.DType == DType.Float32)
        {
            var m = mask.Span;
            for (int i = 0; i < n; i++) if (!(m[i] > 0.5f)) keep[i] = 0;
        }
        else
        {
            var m = mask.Ints;
            for (int i = 0; i < n; i++) if (m[i] == 0) keep[i] = 0;
        }
        return keep;
    }

    /// <summary>
    /// Clears in <paramref name="keep"/> (batch, Tq, Tk) the scores Keras masks for rank-3 inputs: query steps where
    /// <paramref name="queryMask"/> (batch, Tq) is false, key steps where <paramref name="valueMask"/> or
    /// <paramref name="keyMask"/> (batch, Tk) is, and with <paramref name="causal"/> key steps after the query step.
    /// </summary>
    public static void KeepSteps(float[] keep, int batch, int tq, int tk, Tensor? queryMask, Tensor? valueMask, Tensor? keyMask, bool causal)
    {
        var q = queryMask is null ? null : Keep(queryMask);
        var v = valueMask is null ? null : Keep(valueMask);
        if (keyMask is not null) v = Keep(keyMask, v);
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < tq; i++)
                for (int j = 0; j < tk; j++)
                    if ((q is not null && q[b * tq + i] == 0) || (v is not null && v[b * tk + j] == 0) || (causal && j > i))
                        keep[(b * tq + i) * tk + j] = 0;
    }
}
