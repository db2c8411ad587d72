using DeepGraph.Core;
namespace DeepGraph;

public static partial class Ops
{
    /// <summary>
    /// The matrix product over the last two axes, batched over the leading ones (which broadcast):
    /// [..., m, k] · [..., k, n] → [..., m, n]. A rank-1 operand is not accepted; reshape it.
    /// </summary>
    /// <exception cref="ShapeError">Inner dimensions differ or a rank is below 2.</exception>
    public static Var MatMul(Var a, Var b, bool transposeA = false, bool transposeB = false)
    {
        RequireFloat(a, "matmul");
        RequireFloat(b, "matmul");
        if (a.Rank < 2 || b.Rank < 2)
            throw new ShapeError("matmul", $"MatMul takes operands of rank 2 or more, but received {a.Shape} and {b.Shape}.");
        int? m = a.Shape[transposeA ? -1 : -2], ka = a.Shape[transposeA ? -2 : -1];
        int? kb = b.Shape[transposeB ? -1 : -2], n = b.Shape[transposeB ? -2 : -1];
        if (ka is { } x && kb is { } y && x != y)
            throw new ShapeError("matmul", $"MatMul's inner dimensions differ: {a.Shape}{(transposeA ? "ᵀ" : "")} · {b.Shape}{(transposeB ? "ᵀ" : "")} ({x} vs {y}).");
        var batch = BroadcastShapes(Shape.Of([.. a.Shape.ToNullableArray()[..^2]]), Shape.Of([.. b.Shape.ToNullableArray()[..^2]]), "matmul");
        var shape = Shape.Of([.. batch.ToNullableArray(), m, n]);
        var gemm = a.Tape.Gemm;
        return a.Tape.Emit(shape, DType.Float32, [a, b],
            () => MatMulValues(gemm, a.Value, b.Value, transposeA, transposeB),
            _ => (g, needed) =>
            {
                // C = op(A)·op(B): dA = g·op(B)ᵀ (transposed back when A was), dB = op(A)ᵀ·g likewise.
                Tensor? ga = null, gb = null;
                if (needed[0])
                {
                    var full = transposeA ? MatMulValues(gemm, b.Value, g, transposeB, true) : MatMulValues(gemm, g, b.Value, false, !transposeB);
                    ga = Broadcast.SumTo(full, a.Shape);
                }
                if (needed[1])
                {
                    if (b.Rank == 2 && !transposeA && a.Rank > 2)
                    {
                        // A 2-D B against batched rows: fold the batch into the rows, so the GEMM sums over it.
                        int rows = (int)Shape.Of([.. a.Shape.ToNullableArray()[..^1]]).Product()!.Value;
                        var a2 = a.Value.View(Shape.Known(rows, a.Shape[-1]!.Value));
                        var g2 = g.View(Shape.Known(rows, g.Shape[-1]!.Value));
                        gb = transposeB ? MatMulValues(gemm, g2, a2, true, false) : MatMulValues(gemm, a2, g2, true, false);
                    }
                    else
                    {
                        var full = transposeB ? MatMulValues(gemm, g, a.Value, true, transposeA) : MatMulValues(gemm, a.Value, g, !transposeA, false);
                        gb = Broadcast.SumTo(full, b.Shape);
                    }
                }
                return [ga, gb];
            });
    }

    /// <summary>op(a)·op(b) over the last two axes, batched (broadcasting) over the leading ones.</summary>
    private static Tensor MatMulValues(Numerics.IGemm? gemm, Tensor a, Tensor b, bool ta, bool tb)
    {
        int m = a.Shape[ta ? -1 : -2]!.Value, k = a.Shape[ta ? -2 : -1]!.Value, n = b.Shape[tb ? -2 : -1]!.Value;
        var batchA = Shape.Of([.. a.Shape.ToNullableArray()[..^2]]);
        var batchB = Shape.Of([.. b.Shape.ToNullableArray()[..^2]]);
        var batch = Broadcast.Shapes(batchA, batchB);
        var shape = Shape.Of([.. batch.ToNullableArray(), m, n]);
        var result = new float[(int)shape.Product()!.Value];
        if (result.Length == 0) return Tensor.Own(result, shape);
        if (b.Shape.Rank == 2 && !ta)
        {
            // Every batch of A meets the one B: a single product of all A's rows.
            Product2D(gemm, false, tb, result.Length / n, n, k, a.Data, b.Data, result);
            return Tensor.Own(result, shape);
        }
        var x = a.Data;
        var y = b.Data;
        var ab = Shape.Of([.. batchA.ToNullableArray(), 1]);
        var bb = Shape.Of([.. batchB.ToNullableArray(), 1]);
        Broadcast.Each(Shape.Of([.. batch.ToNullableArray(), 1]), ab, bb, (r, ia, ib) =>
            Product2D(gemm, ta, tb, m, n, k, x.AsSpan(ia * m * k, m * k), y.AsSpan(ib * k * n, k * n), result.AsSpan(r * m * n, m * n)));
        return Tensor.Own(result, shape);
    }

    /// <summary>c = op(a)·op(b) for one m×k by k×n product (c is written, not accumulated).</summary>
    private static void Product2D(Numerics.IGemm? gemm, bool ta, bool tb, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c)
    {
        if (gemm is not null)
        {
            gemm.Sgemm(ta, tb, m, n, k, 1f, a, Math.Max(1, ta ? m : k), b, Math.Max(1, tb ? k : n), 0f, c, Math.Max(1, n));
            return;
        }
        c.Clear();
        if (k == 0) return;
        if (tb)
        {
            // Bᵀ stored n×k: transpose it once so the inner loop runs along rows.
            var bt = new float[k * n];
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++) bt[p * n + j] = b[j * k + p];
            b = bt;
        }
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                float av = ta ? a[p * m + i] : a[i * k + p];
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), av, row, row);
            }
        }
    }

    /// <summary>The sum over <paramref name="axes"/> (all axes when empty); kept as 1s with <paramref name="keepDims"/>.</summary>
    /// <exception cref="ShapeError">An axis is out of range.</exception>
    public static Var Sum(Var a, int[]? axes = null, bool keepDims = false)
    {
        RequireFloat(a, "sum");
        var reduced = ReducedAxes(a.Shape, axes, "sum");
        var kept = Shape.Of([.. a.Shape.Select((d, i) => reduced[i] ? 1 : d)]);
        var shape = keepDims ? kept : Shape.Of([.. a.Shape.Where((_, i) => !reduced[i])]);
        return a.Tape.Emit(shape, DType.Float32, [a],
            () => Broadcast.SumTo(a.Value, kept).View(shape),
            _ => (g, _) => [Expand(g.View(kept), a.Shape)]);
    }

    /// <summary>The mean over <paramref name="axes"/> (all axes when empty).</summary>
    /// <exception cref="ShapeError">An axis is out of range.</exception>
    public static Var Mean(Var a, int[]? axes = null, bool keepDims = false)
    {
        var sum = Sum(a, axes, keepDims);
        if (a.Tape.IsSymbolic) return sum;
        long count = a.Shape.Product()!.Value / Math.Max(1, sum.Shape.Product()!.Value);
        return Multiply(sum, a.Tape.Scalar(1f / count));
    }

    /// <summary>Per axis of <paramref name="shape"/>, whether <paramref name="axes"/> names it (every axis when null or empty).</summary>
    internal static bool[] ReducedAxes(Shape shape, int[]? axes, string op)
    {
        var reduced = new bool[shape.Rank];
        if (axes is null || axes.Length == 0)
        {
            Array.Fill(reduced, true);
            return reduced;
        }
        foreach (var axis in axes)
        {
            int ax = axis < 0 ? axis + shape.Rank : axis;
            if (ax < 0 || ax >= shape.Rank)
                throw new ShapeError(op, $"Op '{op}' received axis {axis} for a tensor of shape {shape} (rank {shape.Rank}).");
            reduced[ax] = true;
        }
        return reduced;
    }

    /// <summary>The same values under <paramref name="shape"/>; one dimension may be −1 (inferred).</summary>
    /// <exception cref="ShapeError">The sizes differ.</exception>
    public static Var Reshape(Var a, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var target = ResolveReshape(a.Shape, shape);
        return a.Tape.Emit(target, a.DType, [a],
            () => Tensor.Own(a.Value.Data, target.IsFullyKnown ? target : target, a.DType),
            _ => (g, _) => [Tensor.Own(g.ToArray(), a.Shape)]);
    }

    private static Shape ResolveReshape(Shape from, int[] to)
    {
        int inferred = Array.IndexOf(to, -1);
        if (Array.FindAll(to, d => d == -1).Length > 1 || Array.Exists(to, d => d < -1))
            throw new ShapeError("reshape", $"Reshape's target {Shape.Known([.. to.Select(d => Math.Max(d, 0))])} may have one −1 and no other negative dimension: [{string.Join(", ", to)}].");
        long known = to.Where(d => d >= 0).Aggregate(1L, (p, d) => p * d);
        if (from.Product() is not { } total)
        {
            if (inferred < 0) return Shape.Of([.. to.Select(d => (int?)d)]);
            return Shape.Of([.. to.Select(d => d == -1 ? null : (int?)d)]);
        }
        if (inferred >= 0)
        {
            if (known == 0 || total % known != 0)
                throw new ShapeError("reshape", $"Cannot reshape a tensor of shape {from} ({total} values) to [{string.Join(", ", to)}].");
            to = (int[])to.Clone();
            to[inferred] = (int)(total / known);
        }
        else if (known != total)
            throw new ShapeError("reshape", $"Cannot reshape a tensor of shape {from} ({total} values) to [{string.Join(", ", to)}] ({known} values).");
        return Shape.Known(to);
    }

    /// <summary>The axes permuted: axis i of the result is axis <paramref name="perm"/>[i] of <paramref name="a"/>.</summary>
    /// <exception cref="ShapeError"><paramref name="perm"/> is not a permutation of the axes.</exception>
    public static Var Transpose(Var a, int[] perm)
    {
        ArgumentNullException.ThrowIfNull(perm);
        if (perm.Length != a.Rank || !perm.Order().SequenceEqual(Enumerable.Range(0, a.Rank)))
            throw new ShapeError("transpose", $"Transpose of a tensor of shape {a.Shape} needs a permutation of 0..{a.Rank - 1}, received [{string.Join(", ", perm)}].");
        var shape = Shape.Of([.. perm.Select(p => a.Shape[p])]);
        var inverse = new int[perm.Length];
        for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
        return a.Tape.Emit(shape, a.DType, [a],
            () => Permute(a.Value, perm),
            _ => (g, _) => [Permute(g, inverse)]);
    }

    private static Tensor Permute(Tensor t, int[] perm)
    {
        var shape = Shape.Of([.. perm.Select(p => t.Shape[p])]);
        int rank = perm.Length;
        var srcStrides = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) { srcStrides[i] = s; s *= t.Shape[i]!.Value; }
        var strides = perm.Select(p => srcStrides[p]).ToArray();
        var dims = shape.ToArray();
        var src = t.Data;
        var result = new float[src.Length];
        var index = new int[rank];
        int offset = 0;
        for (int r = 0; r < result.Length; r++)
        {
            result[r] = src[offset];
            for (int ax = rank - 1; ax >= 0; ax--)
            {
                index[ax]++;
                offset += strides[ax];
                if (index[ax] < dims[ax]) break;
                offset -= strides[ax] * dims[ax];
                index[ax] = 0;
            }
        }
        return Tensor.Own(result, shape, t.DType);
    }
}
