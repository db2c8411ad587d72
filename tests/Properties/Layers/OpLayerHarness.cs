using DeepGraph.Core;
using DeepGraph.Properties.Execution;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Helpers for the layers written over ops: build with random weights, run forward (inference and
/// training), run the backward pass the tape gives, and compare it with central finite differences
/// of a float64 reference of the layer (inputs and weights flat, in the layer's order).
/// </summary>
public static class OpLayerHarness
{
    /// <summary>A float64 reference: the flat output from the flat inputs and the flat weights (in <see cref="Layer.Weights"/> order).</summary>
    public delegate double[] Reference(double[][] inputs, double[][] weights);

    /// <summary><paramref name="layer"/> built for <paramref name="inputs"/>, its weights replaced by values uniform in ±<paramref name="scale"/> (so biases and gamma/beta are not trivial).</summary>
    public static T Built<T>(T layer, Tensor[] inputs, Random rng, double scale = 1) where T : WeightedLayer
    {
        var built = (T)layer.Build([.. inputs.Select(t => t.Shape)], rng.Next());
        return built with { Params = EquatableArray.Of(built.Params.Select(p => Harness.RandomTensor(rng, p.Shape.ToArray(), -scale, scale))) };
    }

    /// <summary>The layer's outputs for <paramref name="inputs"/> at inference (or in a training call).</summary>
    public static Tensor[] Forward(Layer layer, Tensor[] inputs, bool training = false, int seed = 0)
    {
        var shapes = layer.OutputShapes([.. inputs.Select(t => t.Shape)]);
        var outputs = shapes.Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: training, Seed: seed);
        if (training) layer.ForwardTrain(context, inputs, outputs);
        else layer.Forward(context, inputs, outputs);
        return outputs;
    }

    /// <summary>A training call's forward and backward pass for output gradient <paramref name="dy"/>: d(Σ dy ⊙ y)/d(each float input) and d/d(each weight).</summary>
    public static (Tensor[] Outputs, Tensor?[] InputGrads, Tensor?[] WeightGrads) Gradients(Layer layer, Tensor[] inputs, Tensor dy, int seed = 0)
    {
        var shapes = layer.OutputShapes([.. inputs.Select(t => t.Shape)]);
        var outputs = shapes.Select(s => Tensor.Zeros(s.ToArray())).ToArray();
        var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: true, Seed: seed);
        var saved = layer.ForwardTrain(context, inputs, outputs);
        var dx = inputs.Select(t => t.DType == DType.Float32 ? Tensor.Zeros(t.Shape.ToArray()) : null).ToArray();
        var dw = layer.Weights.Select(w => (Tensor?)Tensor.Zeros(w.Value.Shape.ToArray())).ToArray();
        layer.Backward(context, new BackwardArgs
        {
            Inputs = inputs,
            Outputs = outputs,
            Saved = saved,
            OutputGrads = [Tensor.FromArray(dy.ToArray(), dy.Shape.ToArray())],
            InputGrads = dx,
            ParamGrads = dw,
        });
        return (outputs, dx, dw);
    }

    /// <summary>Every value widened to float64.</summary>
    public static double[] Wide(Tensor t) => [.. t.ToArray().Select(v => (double)v)];

    /// <summary>The worst |got − want| / max(1, |want|).</summary>
    public static double Worst(ReadOnlySpan<float> got, IReadOnlyList<double> want)
    {
        Assert.Equal(want.Count, got.Length);
        double worst = 0;
        for (int i = 0; i < got.Length; i++) worst = Math.Max(worst, Math.Abs(got[i] - want[i]) / Math.Max(1, Math.Abs(want[i])));
        return worst;
    }

    /// <summary>
    /// The worst relative difference between the layer's gradients (its backward pass, from the tape) and central
    /// finite differences (step 1e-5) of Σ dy ⊙ reference, over every value of every float input listed in
    /// <paramref name="differentiable"/> (all float inputs when null) and of every weight; with a label of where it was.
    /// </summary>
    public static (double Worst, string Where) GradientError(Layer layer, Tensor[] inputs, Reference reference, Random rng, bool[]? differentiable = null)
    {
        var outputShape = layer.OutputShapes([.. inputs.Select(t => t.Shape)])[0];
        var dy = Harness.RandomTensor(rng, outputShape.ToArray());
        var (_, dx, dw) = Gradients(layer, inputs, dy);
        var xs = inputs.Select(Wide).ToArray();
        var ws = layer.Weights.Select(w => Wide(w.Value)).ToArray();
        var g = Wide(dy);
        double Loss() => reference(xs, ws).Zip(g, (y, d) => y * d).Sum();
        double worst = 0;
        string where = "";
        void Compare(double[] values, ReadOnlySpan<float> analytic, string what)
        {
            const double h = 1e-5;
            for (int i = 0; i < values.Length; i++)
            {
                double keep = values[i];
                values[i] = keep + h;
                double plus = Loss();
                values[i] = keep - h;
                double minus = Loss();
                values[i] = keep;
                double fd = (plus - minus) / (2 * h);
                double e = Math.Abs(analytic[i] - fd) / Math.Max(1, Math.Abs(fd));
                if (e > worst) (worst, where) = (e, $"{what}[{i}]: tape {analytic[i]:G6}, finite difference {fd:G6}");
            }
        }
        for (int k = 0; k < inputs.Length; k++)
            if (inputs[k].DType == DType.Float32 && (differentiable is null || differentiable[k])) Compare(xs[k], dx[k]!.Span, $"input {k}");
        for (int i = 0; i < ws.Length; i++) Compare(ws[i], dw[i]!.Span, $"weight {layer.Weights[i].Role}");
        return (worst, where);
    }
}
