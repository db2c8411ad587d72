using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// An int32 input through a nested model: the encoder (Embedding → GlobalAveragePooling1D) is a model of its
/// own, called on the outer model's int input, as Keras's guide nests an encoder. Its ids must reach the
/// Embedding exactly, in Predict and in Fit, also with <c>training: false</c>.
/// </summary>
public sealed class NestedIntModels
{
    private static (Tensor Ids, Tensor Labels) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var ids = new int[n * 5];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < 5; t++) ids[i * 5 + t] = rng.Next(20);
            labels[i] = ids[i * 5] < 10 ? 1 : 0;
        }
        return (Tensor.FromInts(ids, [n, 5]), Tensor.FromArray(labels, [n, 1]));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(false)]
    public void An_int_input_reaches_an_embedding_inside_a_nested_model_and_trains(bool? training)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var inner = Input(shape: [5], dtype: "int32");
        var encoder = new Model(inner, GlobalAveragePooling1D().Call(Embedding(20, 4, name: "embedding").Call(inner)), name: "encoder");
        var ids = Input(shape: [5], dtype: "int32");
        var model = new Model(ids, Dense(1, activation: "sigmoid").Call(encoder.Call(ids, training: training)));
        var (x, y) = Data(64, 1);

        // The nested encoder's output equals the embedding rows of the ids, averaged: the ids arrived as ids.
        var table = encoder.Layers.Single(l => l.Name == "embedding").GetWeights()[0];
        var encoded = encoder.Predict(x)[0];
        for (int n = 0; n < 3; n++)
            for (int f = 0; f < 4; f++)
            {
                float mean = 0;
                for (int t = 0; t < 5; t++) mean += table[x.Ints[n * 5 + t], f];
                Assert.Equal(mean / 5, encoded[n, f], 5);
            }

        model.Compile("adam", "binary_crossentropy");
        var before = model.Evaluate(x, y)["loss"];
        model.Fit(x, y, epochs: 20, batchSize: 16, verbose: 0);
        Assert.True(model.Evaluate(x, y)["loss"] < before, "training through the nested embedding lowers the loss");
        Assert.NotEqual(table, encoder.Layers.Single(l => l.Name == "embedding").GetWeights()[0]);
    }
}
