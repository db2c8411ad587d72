using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// MultiHeadAttention reads the masks its query and value carry, as Keras reads <c>_keras_mask</c>: padded
/// steps (an Embedding's id 0 under <c>mask_zero</c>) are never attended to, so padding a sequence changes none
/// of the outputs at its real steps; and the query's mask passes on, so a masked average ignores the padding too.
/// </summary>
public sealed class MultiHeadAttentionCarriedMasks
{
    [Fact]
    public void Padding_under_mask_zero_changes_no_output_at_the_real_steps()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var ids = Input(shape: [null], dtype: "int32");
        var x = Embedding(9, 8, maskZero: true).Call(ids);
        var attended = MultiHeadAttention(numHeads: 2, keyDim: 4).Call(x, x);
        var pooled = GlobalAveragePooling1D().Call(attended);
        var model = new Model(ids, [attended, pooled]);

        var padded = model.Predict(Tensor.FromInts([3, 1, 7, 0, 0, 5, 2, 0, 0, 0], [2, 5]));
        var first = model.Predict(Tensor.FromInts([3, 1, 7], [1, 3]));
        var second = model.Predict(Tensor.FromInts([5, 2], [1, 2]));
        for (int f = 0; f < 8; f++)
        {
            for (int t = 0; t < 3; t++) Assert.Equal(first[0][0, t, f], padded[0][0, t, f], 5);
            for (int t = 0; t < 2; t++) Assert.Equal(second[0][0, t, f], padded[0][1, t, f], 5);
            Assert.Equal(first[1][0, f], padded[1][0, f], 5);
            Assert.Equal(second[1][0, f], padded[1][1, f], 5);
        }

        // Without the mask the padding is attended to, and the real steps change: the check above can fail.
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var plainIds = Input(shape: [null], dtype: "int32");
        var y = Embedding(9, 8).Call(plainIds);
        var plain = new Model(plainIds, MultiHeadAttention(numHeads: 2, keyDim: 4).Call(y, y));
        var unmasked = plain.Predict(Tensor.FromInts([3, 1, 7, 0, 0], [1, 5]))[0];
        var alone = plain.Predict(Tensor.FromInts([3, 1, 7], [1, 3]))[0];
        Assert.Contains(Enumerable.Range(0, 8), f => Math.Abs(unmasked[0, 0, f] - alone[0, 0, f]) > 1e-4);
    }
}
