using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// A fused layer normalization op over the trailing values of each row, with its own vector-Jacobian product:
/// one pass for the statistics and the output, one for the gradients, instead of the op graph's eight
/// broadcasting ops and their temporaries.
/// </summary>
internal static class NormalizationOps
{
    /// <summary>Rows per parallel chunk: enough work per task to pay for scheduling it.</summary>
    private const int ChunkValues = 16384;

    /// <summary>
    /// (x − mean) / sqrt(variance + ε) · gamma + beta, each of the <paramref name="rows"/> rows of
    /// <paramref name="columns"/> consecutive values of <paramref name="x"/> normalised on its own (biased
    /// variance); gamma and beta (optional) hold <paramref name="columns"/> values.
    /// </summary>
    public static Var LayerNorm(Var x, Var? gamma, Var? beta, int rows, int columns, float epsilon)
    {
        float[] means = new float[rows], inverse = new float[rows];
        Var[] inputs = [x, .. gamma is null ? Array.Empty<Var>() : [gamma], .. beta is null ? Array.Empty<Var>() : [beta]];
        return x.Tape.Emit(x.Shape, DType.Float32, inputs, () =>
        {
            var xs = x.Value.Data;
            var g = gamma?.Value.Data;
            var b = beta?.Value.Data;
            var y = GC.AllocateUninitializedArray<float>(xs.Length); // every row written
            Chunks(rows, columns, (from, to) =>
            {
                for (int r = from; r < to; r++)
                {
                    var row = xs.AsSpan(r * columns, columns);
                    var outRow = y.AsSpan(r * columns, columns);
                    float mean = TensorPrimitives.Sum(row) / columns;
                    TensorPrimitives.Subtract(row, mean, outRow);
                    float variance = TensorPrimitives.SumOfSquares(outRow) / columns;
                    float inv = 1f / MathF.Sqrt(variance + epsilon);
                    means[r] = mean;
                    inverse[r] = inv;
                    TensorPrimitives.Multiply(outRow, inv, outRow);
                    if (g is not null) TensorPrimitives.Multiply(outRow, g, outRow);
                    if (b is not null) TensorPrimitives.Add(outRow, b, outRow);
                }
            });
            return Tensor.Own(y, x.Shape);
        }, _ => (dy, needed) =>
        {
            var xs = x.Value.Data;
            var gd = dy.Data;
            var g = gamma?.Value.Data;
            float[]? dx = needed[0] ? GC.AllocateUninitializedArray<float>(xs.Length) : null;
            int k = 1;
            float[]? dgamma = gamma is not null && needed[k++] ? new float[columns] : null;
            float[]? dbeta = beta is not null && needed[k] ? new float[columns] : null;
            var hat = GC.AllocateUninitializedArray<float>(xs.Length);
            Chunks(rows, columns, (from, to) =>
            {
                var scaled = new float[columns];
                for (int r = from; r < to; r++)
                {
                    var xhat = hat.AsSpan(r * columns, columns);
                    TensorPrimitives.Subtract(xs.AsSpan(r * columns, columns), means[r], xhat);
                    TensorPrimitives.Multiply(xhat, inverse[r], xhat);
                    if (dx is null) continue;
                    // dx = inv · (ĝ − mean(ĝ) − x̂ · mean(ĝ ⊙ x̂)), ĝ = dy ⊙ gamma.
                    var gr = gd.AsSpan(r * columns, columns);
                    if (g is not null) TensorPrimitives.Multiply(gr, g, scaled);
                    else gr.CopyTo(scaled);
                    float meanG = TensorPrimitives.Sum(scaled) / columns;
                    float meanGx = TensorPrimitives.Dot(scaled, xhat) / columns;
                    var d = dx.AsSpan(r * columns, columns);
                    TensorPrimitives.MultiplyAdd(xhat, -meanGx, scaled, d);
                    TensorPrimitives.Subtract(d, meanG, d);
                    TensorPrimitives.Multiply(d, inverse[r], d);
                }
            });
            for (int r = 0; r < rows && (dgamma is not null || dbeta is not null); r++)
            {
                var gr = gd.AsSpan(r * columns, columns);
                if (dgamma is not null) TensorPrimitives.MultiplyAdd(gr, hat.AsSpan(r * columns, columns), dgamma, dgamma);
                if (dbeta is not null) TensorPrimitives.Add(dbeta, gr, dbeta);
            }
            var grads = new Tensor?[inputs.Length];
            grads[0] = dx is null ? null : Tensor.Own(dx, x.Shape);
            int at = 1;
            if (gamma is not null) grads[at++] = dgamma is null ? null : Tensor.Own(dgamma, gamma.Shape);
            if (beta is not null) grads[at] = dbeta is null ? null : Tensor.Own(dbeta, beta.Shape);
            return grads;
        });
    }

    /// <summary>Runs <paramref name="body"/> over [from, to) row ranges, in parallel when the rows are many.</summary>
    private static void Chunks(int rows, int columns, Action<int, int> body)
    {
        int per = Math.Max(1, ChunkValues / Math.Max(1, columns));
        int chunks = (rows + per - 1) / per;
        if (chunks < 2)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, chunks, c => body(c * per, Math.Min(rows, (c + 1) * per)));
    }
}
