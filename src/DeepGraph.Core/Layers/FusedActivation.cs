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
    public static IReadOnlyList<Tensor> ForwardTrain(ActivationFunction activation, ForwardContext context, Tensor output, int lastAxis, Action forward, Action forwardLinear)
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

    /// <summary>
    /// dZ = dY ⊙ activation′(z), computed in place in dY's buffer (the trainer's scratch, see
    /// <see cref="BackwardArgs.OutputGrads"/>): no new buffer, and the lines just read are the ones written.
    /// </summary>
    public static float[] Gradient(ActivationFunction activation, BackwardArgs args, int lastAxis)
    {
        var dy = args.OutputGrads[0];
        if (activation != ActivationFunction.Linear)
        {
            var z = args.Saved.Count > 0 ? args.Saved[0].Span : default;
            ActivationGrad.Backward(activation, z, args.Outputs[0].Span, dy.Span, dy.Data, lastAxis);
        }
        return dy.Data;
    }
}
