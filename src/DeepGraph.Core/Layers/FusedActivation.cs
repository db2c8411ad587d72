using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// The activation kernels' halves as layers use them: an activation applied to a linear map (Dense, Conv2D), and an
/// activation as a layer of its own (Activation, and the activation layers whose config is one kernel).
/// </summary>
internal static class FusedActivation
{
    /// <summary>y = f(x) into <paramref name="output"/> (softmax over the last axis).</summary>
    public static void Forward(ActivationFunction activation, Tensor input, Tensor output)
    {
        var y = output.Data.AsSpan(0, input.Span.Length);
        input.Span.CopyTo(y);
        Activate.InPlace(activation, y, input.Shape.Rank == 0 ? 1 : input.Shape[-1]!.Value);
    }

    /// <summary>
    /// Adds dy ⊙ f′(x) to the input gradient (<see cref="ActivationGrad"/>; from the output, and from the input for the
    /// activations whose derivative needs it). Nothing is saved: the call's input and output are all it reads.
    /// </summary>
    public static void AddGradient(ActivationFunction activation, ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var dy = args.OutputGrads[0].Span;
        if (activation == ActivationFunction.Linear)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, dy, dx.Data);
            return;
        }
        var local = context.Pool.Rent(dy.Length);
        try
        {
            var x = ActivationGrad.NeedsInput(activation) ? args.Inputs[0].Span : default;
            var shape = args.Inputs[0].Shape;
            ActivationGrad.Backward(activation, x, args.Outputs[0].Span, dy, local.AsSpan(0, dy.Length), shape.Rank == 0 ? 1 : shape[-1]!.Value);
            System.Numerics.Tensors.TensorPrimitives.Add(dx.Span, local.AsSpan(0, dy.Length), dx.Data);
        }
        finally
        {
            context.Pool.Return(local);
        }
    }

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
