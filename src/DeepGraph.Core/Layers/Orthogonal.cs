using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Random;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>orthogonal</c> initializer (the recurrent kernels' default): a matrix with orthonormal rows or columns,
/// from the QR decomposition of a standard normal matrix (signs fixed by R's diagonal), times <see cref="Gain"/>.
/// A shape of rank above 2 is flattened to (product of all axes but the last, last).
/// </summary>
/// <param name="Gain">The factor applied to the orthogonal matrix.</param>
public sealed record Orthogonal(double Gain = 1.0) : Initializer
{
    /// <inheritdoc/>
    public override Tensor Create(int[] shape, int seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var s = Shape.Known(shape);
        TensorLimits.CheckAllocation("A weight", s);
        int length = (int)s.Product()!.Value;
        var data = new float[length];
        if (length == 0 || shape.Length < 2) return Tensor.Own(data, s);
        int cols = shape[^1], rows = length / cols;
        int tall = Math.Max(rows, cols), thin = Math.Min(rows, cols);
        var rng = new Xoshiro256StarStar(seed, threadSafe: false);
        var normal = new Normal(0, 1, rng);
        var a = Matrix<double>.Build.Dense(tall, thin, (_, _) => normal.Sample());
        var qr = a.QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
        var q = qr.Q;
        var r = qr.R;
        for (int j = 0; j < thin; j++)
            if (r[j, j] < 0) q.SetColumn(j, q.Column(j).Negate());
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                data[i * cols + j] = (float)(Gain * (rows >= cols ? q[i, j] : q[j, i]));
        return Tensor.Own(data, s);
    }
}
