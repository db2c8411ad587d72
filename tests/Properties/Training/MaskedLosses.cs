using DeepGraph.Core;
using DeepGraph.Keras;
using DeepGraph.Properties.Execution;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Losses weighted by the output's mask as Keras 3 weights them (<c>apply_mask</c>): a masked position does not
/// count, the loss is Σ kept L / valid, and targets at masked positions change neither the loss nor a gradient.
/// </summary>
public sealed class MaskedLosses
{
    /// <summary>Three samples of four steps; zero steps are padding (sample 2 is padding only after its first step).</summary>
    private static readonly Tensor X = Tensor.FromArray([
        0.5f, -1, 0, 0, 0.25f, 0.75f, 0, 0,
        0, 0, 0.3f, 0.1f, -0.6f, 0.9f, 0.2f, 0.4f,
        1, 1, 0, 0, 0, 0, 0, 0], [3, 4, 2]);
    private static readonly bool[] Kept = [true, false, true, false, false, true, true, true, true, false, false, false];

    private static (Keras.Model Model, TrainingConfig Config) Tagger(Core.Loss loss, int units, string? activation)
    {
        Backend.ClearSession();
        var x = Input(shape: [4, 2]);
        var model = new Keras.Model(x, TimeDistributed(Dense(units, activation: activation)).Call(Masking().Call(x)));
        return (model, TrainingConfig.Of(new Sgd(), loss));
    }

    private static ForwardContext Context => new(Harness.Managed, new TensorPool());

    [Fact]
    public void Mean_squared_error_counts_the_unmasked_steps_only()
    {
        var (model, config) = Tagger(new MeanSquaredError(), 3, null);
        var y = Harness.RandomTensor(new Random(4), [3, 4, 3]);
        var p = Harness.Wide(model.Predict(X)[0]);
        var t = Harness.Wide(y);
        var kept = Enumerable.Range(0, 12).Where(r => Kept[r]).ToArray();
        double want = kept.Average(r => Enumerable.Range(0, 3).Average(c => Math.Pow(p[r * 3 + c] - t[r * 3 + c], 2)));
        double got = Trainer.Evaluate(model.CoreModel, [X], [y], config, Context).Loss;
        Assert.True(Math.Abs(got - want) <= 1e-6 * Math.Max(1, want), $"loss {got}, want {want}");
    }

    [Fact]
    public void Targets_at_masked_steps_change_neither_the_loss_nor_the_gradients()
    {
        var (model, config) = Tagger(new SparseCategoricalCrossentropy(), 4, "softmax");
        var labels = new float[] { 1, 0, 2, 3, 0, 1, 2, 0, 3, 1, 2, 3 };
        var other = labels.Select((l, r) => Kept[r] ? l : (l + 2) % 4).ToArray();
        var (g1, logs1) = Trainer.ComputeGradients(model.CoreModel, [X], [Tensor.FromArray(labels, [3, 4, 1])], config, Context);
        var (g2, logs2) = Trainer.ComputeGradients(model.CoreModel, [X], [Tensor.FromArray(other, [3, 4, 1])], config, Context);
        using (g1)
        using (g2)
        {
            Assert.Equal(logs1.Loss, logs2.Loss);
            Assert.NotEmpty(g1.Layers);
            foreach (var id in g1.Layers)
                Assert.Equal(g1.Of(id)!.Select(g => g?.ToArray()), g2.Of(id)!.Select(g => g?.ToArray()));
        }
        // And the gradients differ when a kept step's target changes: the mask removes only masked steps.
        other[0] = (labels[0] + 1) % 4;
        var (g3, logs3) = Trainer.ComputeGradients(model.CoreModel, [X], [Tensor.FromArray(other, [3, 4, 1])], config, Context);
        using (g3) Assert.NotEqual(logs1.Loss, logs3.Loss);
    }

    [Fact]
    public void Row_weights_are_total_over_valid_where_kept_and_zero_elsewhere()
    {
        var mask = Tensor.FromBools([true, false, true, true], [2, 2]);
        var w = LossMasks.RowWeights(mask, Tensor.Zeros(2, 2, 5))!;
        Assert.Equal(4 / (3 + 1e-7), w[0], 6);
        Assert.Equal([0f, 0f], new[] { w[1], w[1] });
        Assert.Equal(w[0], w[2]);
        Assert.Null(LossMasks.RowWeights(null, Tensor.Zeros(2, 2)));
        // A batch of masked steps only weighs nothing (Keras: 0 / (0 + ε)).
        Assert.All(LossMasks.RowWeights(Tensor.FromBools([false, false], [1, 2]), Tensor.Zeros(1, 2, 3))!, v => Assert.Equal(0f, v));
        Assert.Throws<ShapeError>(() => LossMasks.RowWeights(Tensor.FromBools([true, false, true], [1, 3]), Tensor.Zeros(1, 2, 3)));
    }

    [Fact]
    public void Metrics_count_the_unmasked_steps_only()
    {
        var (model, _) = Tagger(new SparseCategoricalCrossentropy(), 4, "softmax");
        model.Compile("sgd", "sparse_categorical_crossentropy", metrics: new[] { "accuracy" });
        var p = model.Predict(X)[0].ToArray();
        var predicted = Enumerable.Range(0, 12).Select(r => Enumerable.Range(0, 4).MaxBy(c => p[r * 4 + c])).ToArray();
        // Labels right at every masked step and at half the kept ones: the accuracy over kept steps is what counts.
        var keptSteps = Enumerable.Range(0, 12).Where(r => Kept[r]).ToArray();
        var labels = Enumerable.Range(0, 12).Select(r => (float)(Kept[r] && Array.IndexOf(keptSteps, r) % 2 == 1 ? (predicted[r] + 1) % 4 : predicted[r])).ToArray();
        double want = keptSteps.Count(r => labels[r] == predicted[r]) / (double)keptSteps.Length;
        var logs = model.Evaluate(X, Tensor.FromArray(labels, [3, 4, 1]));
        Assert.Equal(want, logs["accuracy"], 6);
    }
}
