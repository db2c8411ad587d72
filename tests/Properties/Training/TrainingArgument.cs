using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Training;

/// <summary>
/// <c>layer.Call(x, training: false)</c> as the transfer-learning guide uses it: a base model with
/// BatchNormalization called in inference mode keeps its moving statistics through <c>Fit</c>, frozen
/// or fine-tuned, while a call without the argument follows the pass (the statistics move).
/// </summary>
public sealed class TrainingArgument
{
    private static (Tensor X, Tensor Y) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 4];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = i % 3;
            for (int j = 0; j < 4; j++) x[4 * i + j] = (float)(rng.NextDouble() * 2 + y[i] + j);
        }
        return (Tensor.FromArray(x, [n, 4]), Tensor.FromArray(y, [n, 1]));
    }

    /// <summary>The guide's base model: Dense → BatchNormalization → Dense, built in the current session.</summary>
    private static Model BaseModel()
    {
        var input = Input(shape: [4]);
        var h = Dense(8, name: "base_dense").Call(input);
        h = BatchNormalization(name: "base_bn").Call(h);
        h = Dense(8, activation: "relu", name: "base_out").Call(h);
        return new Model(input, h, "base");
    }

    private static float[][] Values(Keras.Layer layer) => [.. layer.GetWeights().Select(w => w.ToArray())];

    private static void Same(float[][] expected, float[][] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(expected[i].SequenceEqual(actual[i]), $"{what}: weight {i} changed");
    }

    [Fact]
    public void A_frozen_base_called_with_training_false_keeps_its_weights_and_moving_statistics_then_fine_tunes_without_moving_them()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(7);
        var baseModel = BaseModel();
        baseModel.Trainable = false;
        var inputs = Input(shape: [4]);
        var x = baseModel.Call(inputs, training: false);
        var outputs = Dense(3, activation: "softmax", name: "head").Call(x);
        var model = new Model(inputs, outputs, "transfer");
        var (xs, ys) = Data(64, seed: 1);
        var bn = baseModel.GetLayer("base_bn");
        var dense = baseModel.GetLayer("base_dense");
        var bnBefore = Values(bn);
        var denseBefore = Values(dense);
        var headBefore = Values(model.GetLayer("head"));

        model.Compile("adam", "sparse_categorical_crossentropy");
        model.Fit(xs, ys, batchSize: 16, epochs: 2, verbose: 0);
        Same(bnBefore, Values(bn), "frozen base_bn");
        Same(denseBefore, Values(dense), "frozen base_dense");
        Assert.False(headBefore[0].SequenceEqual(Values(model.GetLayer("head"))[0]), "the head did not train");

        // Fine-tuning: the base is trainable again, but its call stays in inference mode, so gamma and
        // beta train while the moving statistics (weights 2 and 3) stay as they were.
        baseModel.Trainable = true;
        model.Compile("adam", "sparse_categorical_crossentropy");
        model.Fit(xs, ys, batchSize: 16, epochs: 2, verbose: 0);
        var tuned = Values(bn);
        Assert.True(bnBefore[2].SequenceEqual(tuned[2]), "moving_mean moved in inference mode");
        Assert.True(bnBefore[3].SequenceEqual(tuned[3]), "moving_variance moved in inference mode");
        Assert.False(bnBefore[0].SequenceEqual(tuned[0]), "gamma did not train");
        Assert.False(denseBefore[0].SequenceEqual(Values(dense)[0]), "base_dense did not train");
    }

    [Fact]
    public void Without_the_argument_a_trainable_base_moves_its_statistics()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(7);
        var baseModel = BaseModel();
        var inputs = Input(shape: [4]);
        var model = new Model(inputs, Dense(3, activation: "softmax", name: "head").Call(baseModel.Call(inputs, training: null)), "transfer");
        var (xs, ys) = Data(64, seed: 1);
        var bn = baseModel.GetLayer("base_bn");
        var before = Values(bn);
        model.Compile("adam", "sparse_categorical_crossentropy");
        model.Fit(xs, ys, batchSize: 16, epochs: 1, verbose: 0);
        var after = Values(bn);
        Assert.False(before[2].SequenceEqual(after[2]), "moving_mean did not move");
        Assert.False(before[3].SequenceEqual(after[3]), "moving_variance did not move");
    }

    [Fact]
    public void Dropout_called_with_training_false_passes_its_input_through_in_training()
    {
        Backend.ClearSession();
        var input = Input(shape: [6]);
        var kept = Dropout(0.5, name: "off").Call(input, training: false);
        var dropped = Dropout(0.5, name: "on").Call(input);
        var model = new Model(input, [kept, dropped]);
        var x = Tensor.FromArray([.. Enumerable.Range(1, 24).Select(i => (float)i)], [4, 6]);
        var core = model.CoreModel;
        using var tape = Core.Backprop.Forward(core, [x], new Core.ForwardContext(Execution.Harness.Managed, new TensorPool(), Training: true, Seed: 3));
        Assert.Equal(x.ToArray(), tape.Outputs[0].ToArray());
        Assert.Contains(0f, tape.Outputs[1].ToArray()); // the other call drops in the same pass
    }

    [Fact]
    public void The_flag_is_part_of_the_graph_value()
    {
        Backend.ClearSession();
        var input = Input(shape: [3]);
        var layer = Dropout(0.2);
        var off = new Model(input, layer.Call(input, training: false)).CoreModel;
        var follow = new Model(input, layer.Call(input)).CoreModel;
        Assert.Equal(false, off.Graph.Nodes[^1].Training);
        Assert.Null(follow.Graph.Nodes[^1].Training);
        Assert.NotEqual(off.Graph.Nodes[^1] with { Id = 0 }, follow.Graph.Nodes[^1] with { Id = 0 });
    }
}
