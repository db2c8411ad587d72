using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>Predict on a model small enough to check by hand.</summary>
public sealed class PredictSmoke
{
    [Fact]
    public void Dense_relu_then_softmax_matches_a_hand_computation()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var hidden = Dense(4, activation: "relu");
        var head = Dense(2, activation: "softmax");
        var model = new Model(x, head.Call(hidden.Call(x)));
        var input = Tensor.FromArray([1, -2, 0.5f, 0.3f, 0.1f, -1], [2, 3]);
        var y = model.Predict(input)[0];
        Assert.Equal([2, 2], y.Shape.ToArray());

        var w1 = hidden.Weights[0].Value; var w2 = head.Weights[0].Value;
        for (int r = 0; r < 2; r++)
        {
            var h = new double[4];
            for (int j = 0; j < 4; j++)
            {
                for (int i = 0; i < 3; i++) h[j] += input[r, i] * w1[i, j];
                h[j] = Math.Max(0, h[j]);
            }
            var z = new double[2];
            for (int j = 0; j < 2; j++)
                for (int i = 0; i < 4; i++) z[j] += h[i] * w2[i, j];
            double m = z.Max(), s = z.Sum(v => Math.Exp(v - m));
            for (int j = 0; j < 2; j++) Assert.Equal(Math.Exp(z[j] - m) / s, y[r, j], 5);
        }
    }
}
