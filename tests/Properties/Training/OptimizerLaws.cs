using DeepGraph.Core;

namespace DeepGraph.Properties.Training;

/// <summary>Each optimizer's update, two steps on the same gradients, against its formula written out in float64.</summary>
public sealed class OptimizerLaws
{
    private static readonly double[] W0 = [0.5, -1.25, 2.0, 1e-3];
    private static readonly double[][] Grads = [[0.1, -0.3, 2.5, 1e-6], [-0.2, 0.05, 1.5, -1e-6]];

    private static float[] Run(Optimizer optimizer)
    {
        var w = W0.Select(v => (float)v).ToArray();
        var slots = Enumerable.Range(0, optimizer.SlotCount).Select(_ => Enumerable.Repeat(optimizer.SlotInitialValue, w.Length).ToArray()).ToArray();
        for (int t = 0; t < Grads.Length; t++) optimizer.Update(w, Grads[t].Select(v => (float)v).ToArray(), slots, t + 1);
        return w;
    }

    private static void AssertClose(double[] want, float[] got)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])), $"[{i}] {got[i]} vs {want[i]}");
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.9, false)]
    [InlineData(0.9, true)]
    public void Sgd_with_and_without_nesterov_momentum(double momentum, bool nesterov)
    {
        var w = (double[])W0.Clone();
        var v = new double[w.Length];
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < w.Length; i++)
            {
                v[i] = momentum * v[i] - 0.1 * Grads[t][i];
                w[i] += nesterov ? momentum * v[i] - 0.1 * Grads[t][i] : v[i];
            }
        AssertClose(w, Run(new Sgd { LearningRate = 0.1f, Momentum = (float)momentum, Nesterov = nesterov }));
    }

    [Theory]
    [InlineData(AdamForm.Keras)]
    [InlineData(AdamForm.TensorFlowJs)]
    public void Adam_in_both_forms(AdamForm form)
    {
        var w = (double[])W0.Clone();
        var m = new double[w.Length];
        var v = new double[w.Length];
        for (int t = 1; t <= 2; t++)
            for (int i = 0; i < w.Length; i++)
            {
                double g = Grads[t - 1][i];
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double c1 = 1 - Math.Pow(0.9, t), c2 = 1 - Math.Pow(0.999, t);
                w[i] -= form == AdamForm.Keras
                    ? 0.01 * Math.Sqrt(c2) / c1 * m[i] / (Math.Sqrt(v[i]) + 1e-7)
                    : 0.01 * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + 1e-7);
            }
        AssertClose(w, Run(new Adam { LearningRate = 0.01f, Form = form }));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    public void RmsProp_with_and_without_momentum(double momentum)
    {
        var w = (double[])W0.Clone();
        var s = new double[w.Length];
        var mom = new double[w.Length];
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < w.Length; i++)
            {
                double g = Grads[t][i];
                s[i] = 0.9 * s[i] + 0.1 * g * g;
                double inc = 0.01 * g / (Math.Sqrt(s[i]) + 1e-7);
                mom[i] = momentum * mom[i] + inc;
                w[i] -= momentum == 0 ? inc : mom[i];
            }
        AssertClose(w, Run(new RmsProp { LearningRate = 0.01f, Momentum = (float)momentum }));
    }

    [Fact]
    public void Adagrad_accumulates_from_its_initial_value()
    {
        var w = (double[])W0.Clone();
        var a = Enumerable.Repeat(0.1, w.Length).ToArray();
        for (int t = 0; t < 2; t++)
            for (int i = 0; i < w.Length; i++)
            {
                double g = Grads[t][i];
                a[i] += g * g;
                w[i] -= 0.05 * g / (Math.Sqrt(a[i]) + 1e-7);
            }
        AssertClose(w, Run(new Adagrad { LearningRate = 0.05f }));
    }

    [Theory]
    [InlineData("sgd", typeof(Sgd), 0.01f)]
    [InlineData("Adam", typeof(Adam), 0.001f)]
    [InlineData("RMSprop", typeof(RmsProp), 0.001f)]
    [InlineData("adagrad", typeof(Adagrad), 0.001f)]
    public void Optimizers_by_name_take_keras_defaults(string name, Type type, float learningRate)
    {
        var optimizer = Optimizer.Get(name);
        Assert.IsType(type, optimizer);
        Assert.Equal(learningRate, optimizer.LearningRate);
        Assert.Throws<ArgumentException>(() => Optimizer.Get("adamw2"));
    }
}
