using DeepGraph.Core;

namespace DeepGraph.Properties.Layers.Registry;

/// <summary>
/// Activation and padding are closed types inside Core, mapped to Keras's strings only at the edges; a built
/// layer's weights are reached by name.
/// </summary>
public class ClosedTypesTests
{
    private static readonly LayerId Id = new(1);

    [Fact]
    public void Every_activation_parses_back_from_its_Keras_name_and_from_camel_case()
    {
        Assert.Equal(20, ActivationFunction.All.Count);
        Assert.Equal(ActivationFunction.All.Count, ActivationFunction.All.Select(f => f.KerasName).Distinct().Count());
        foreach (var f in ActivationFunction.All)
        {
            Assert.Same(f, ActivationFunction.Parse(f.KerasName));
            var camel = string.Concat(f.KerasName.Split('_').Select((w, i) => i == 0 ? w : char.ToUpperInvariant(w[0]) + w[1..]));
            Assert.Same(f, ActivationFunction.Parse(camel));
            Assert.Equal(f.KerasName, f.ToString());
        }
        Assert.Same(ActivationFunction.Linear, ActivationFunction.Parse(null));
        Assert.Same(ActivationFunction.Linear, ActivationFunction.Parse(""));
        Assert.Same(ActivationFunction.LeakyRelu, ActivationFunction.Parse("leakyRelu"));
        Assert.Equal(Activations.Names, ActivationFunction.All.Select(f => f.KerasName));
    }

    [Fact]
    public void An_unknown_activation_or_padding_is_refused_by_name()
    {
        var a = Assert.Throws<ArgumentException>(() => ActivationFunction.Parse("relu7"));
        Assert.Contains("'relu7'", a.Message);
        Assert.Contains("leaky_relu", a.Message);
        var p = Assert.Throws<ArgumentException>(() => Padding.Parse("full"));
        Assert.Contains("padding=full", p.Message);
        Assert.Throws<ArgumentException>(() => new Dense(3, "nope") { Id = Id, Name = "d" });
    }

    [Fact]
    public void Padding_parses_any_case_and_writes_Keras_names()
    {
        Assert.Same(Padding.Same, Padding.Parse("SAME"));
        Assert.Same(Padding.Valid, Padding.Parse("valid"));
        Assert.Equal(["valid", "same"], Padding.All.Select(p => p.KerasName));
        Assert.Same(Padding.Valid, new Conv2D(2, (3, 3)) { Id = Id, Name = "c" }.Padding);
        Assert.Same(Padding.Same, new MaxPooling2D(padding: "same") { Id = Id, Name = "p" }.Padding);
    }

    [Fact]
    public void The_facade_still_takes_strings()
    {
        var dense = (Dense)Keras.Layers.Dense(4, "hardSigmoid").Record;
        Assert.Same(ActivationFunction.HardSigmoid, dense.Activation);
        var conv = (Conv2D)Keras.Layers.Conv2D(2, 3, padding: "same", activation: "relu").Record;
        Assert.Same(Padding.Same, conv.Padding);
        Assert.Same(ActivationFunction.Relu, conv.Activation);
    }

    [Fact]
    public void Built_weights_are_reached_by_name()
    {
        var dense = (Dense)new Dense(3) { Id = Id, Name = "d" }.Build([Shape.Of(null, 5)], seed: 1);
        Assert.Equal(dense.Weights[0].Value, dense.Kernel);
        Assert.Equal(dense.Weights[1].Value, dense.Bias);
        Assert.Equal(Shape.Known(5, 3), dense.Kernel!.Shape);
        Assert.Null(((Dense)new Dense(3, useBias: false) { Id = Id, Name = "d" }.Build([Shape.Of(null, 5)], 1)).Bias);

        var conv = (Conv2D)new Conv2D(4, (3, 3)) { Id = Id, Name = "c" }.Build([Shape.Of(null, 8, 8, 2)], seed: 1);
        Assert.Equal(Shape.Known(3, 3, 2, 4), conv.Kernel!.Shape);
        Assert.Equal(Shape.Known(4), conv.Bias!.Shape);

        foreach (var (center, scale) in new[] { (true, true), (true, false), (false, true), (false, false) })
        {
            var bn = (BatchNormalization)new BatchNormalization(center: center, scale: scale) { Id = Id, Name = "bn" }.Build([Shape.Of(null, 6)], seed: 1);
            var byRole = bn.Weights.ToDictionary(w => w.Role, w => w.Value);
            Assert.Equal(byRole.GetValueOrDefault("gamma"), bn.Gamma);
            Assert.Equal(byRole.GetValueOrDefault("beta"), bn.Beta);
            Assert.Equal(byRole["moving_mean"], bn.MovingMean);
            Assert.Equal(byRole["moving_variance"], bn.MovingVariance);
        }

        var unbuilt = new Dense(3) { Id = Id, Name = "late" };
        Assert.Null(unbuilt.Kernel);
        Assert.Null(unbuilt.Bias);
        Assert.Contains("Kernel = ", unbuilt.ToString()); // a record prints its accessors, built or not
    }

    [Fact]
    public void Moving_statistics_update_only_the_named_weights()
    {
        var bn = (BatchNormalization)new BatchNormalization(momentum: 0.5) { Id = Id, Name = "bn" }.Build([Shape.Of(null, 2)], seed: 1);
        var next = bn.WithMovingStatistics([Tensor.FromArray([2, 4], [2]), Tensor.FromArray([3, 5], [2])]);
        Assert.Equal(bn.Gamma, next.Gamma);
        Assert.Equal(bn.Beta, next.Beta);
        Assert.Equal([1f, 2f], next.MovingMean!.ToArray());      // 0.5·0 + 0.5·(2, 4)
        Assert.Equal([2f, 3f], next.MovingVariance!.ToArray());  // 0.5·1 + 0.5·(3, 5)
    }
}
