using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>The training halves shared by layers that apply an activation to a linear map (Dense, Conv2D).</summary>
internal static class FusedActivation
{
    /// <summary>
    /// A training forward pass: when the activation's derivative needs its input (swish, gelu),
    /// runs the linear part, saves a copy of it, then activates; otherwise runs the whole forward
    /// pass and saves nothing (the derivative comes from the output).
    /// </summary>
    public static IReadOnlyList<Tensor> ForwardTrain(string activation, ForwardContext context, Tensor output, int lastAxis, Action forward, Action forwardLinear)
    {
        if (!ActivationGrad.NeedsInput(activation))
        {
            forward();
            return [];
        }
        forwardLinear();
        var saved = context.Pool.RentTensor(output.Shape);
        output.Span.CopyTo(saved.Data);
        Activate.InPlace(activation, output.Data, lastAxis);
        return [saved];
    }

    /// <summary>dZ = dY ⊙ activation′(z): dY itself for a linear activation, else a pooled buffer the lease gives back.</summary>
    public static PooledSpan Gradient(string activation, ForwardContext context, BackwardArgs args, int lastAxis)
    {
        var dy = args.OutputGrads[0];
        if (activation == "linear") return new PooledSpan(dy.Data, null);
        var dz = context.Pool.Rent(dy.Length);
        var z = args.Saved.Count > 0 ? args.Saved[0].Span : default;
        ActivationGrad.Backward(activation, z, args.Outputs[0].Span, dy.Span, dz, lastAxis);
        return new PooledSpan(dz, context.Pool);
    }
}

/// <summary>A buffer that may belong to a pool; disposing gives it back when it does.</summary>
internal readonly struct PooledSpan(float[] data, TensorPool? pool) : IDisposable
{
    /// <summary>The values.</summary>
    public Span<float> Span => data;

    /// <summary>Returns the buffer to its pool, if it has one.</summary>
    public void Dispose() => pool?.Return(data);
}
