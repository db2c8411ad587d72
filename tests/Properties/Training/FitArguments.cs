using System.Globalization;
using DeepGraph.Core;
using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;
using Model = DeepGraph.Keras.Model;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Fit's, Evaluate's and the optimizers' arguments at and beyond their edges: a batch larger than
/// the data is all of it (Keras clamps), values that cannot mean anything are refused naming the
/// argument and the value, and every accepted optimizer keeps finite weights finite.
/// </summary>
public sealed class FitArguments
{
    private static Tensor T(float[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static (Tensor X, Tensor Y) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 3];
        var y = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 3; j++) x[i * 3 + j] = (float)(rng.NextDouble() * 2 - 1);
            y[i] = x[i * 3] - 2 * x[i * 3 + 2];
        }
        return (T(x, n, 3), T(y, n, 1));
    }

    /// <summary>The same small regression model, same initial weights, every time it is called with one seed.</summary>
    private static Model Fresh(int seed = 4)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(seed);
        var input = Input(shape: [3]);
        var model = new Model(input, Dense(1, name: "out").Call(Dense(6, activation: "tanh", name: "hidden").Call(input)));
        model.Compile(Optimizers.SGD(learningRate: 0.1), "mse");
        return model;
    }

    private static float[][] Weights(Model model) => [.. model.GetWeights().Select(w => w.ToArray())];

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 1)]
    [InlineData(1 << 30)]
    [InlineData(21)]
    public void A_batch_larger_than_the_data_is_the_whole_data(int batchSize)
    {
        const int n = 20;
        var (x, y) = Data(n, seed: 1);
        var reference = Fresh();
        var want = reference.Fit(x, y, batchSize: n, epochs: 3, verbose: 0, shuffle: false);
        var wantEval = reference.Evaluate(x, y, batchSize: n);
        var wantPredict = reference.Predict(x, n)[0].ToArray();

        var model = Fresh();
        var got = model.Fit(x, y, batchSize: batchSize, epochs: 3, verbose: 0, shuffle: false, validationSplit: 0.25);
        var again = Fresh();
        var gotSplit = again.Fit(x, y, batchSize: batchSize, epochs: 3, verbose: 0, shuffle: false, validationData: (x, y));
        Assert.All(got["loss"].Concat(got["val_loss"]).Concat(gotSplit["val_loss"]), v => Assert.True(double.IsFinite(v), $"loss {v}"));
        Assert.Equal(want["loss"], gotSplit["loss"]);
        Assert.Equal(Weights(reference), Weights(again));
        Assert.Equal(wantEval["loss"], again.Evaluate(x, y, batchSize: batchSize)["loss"]);
        Assert.Equal(wantPredict, again.Predict(x, batchSize)[0].ToArray());
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    public void A_validation_split_outside_0_to_1_is_refused_naming_the_value(double split)
    {
        var model = Fresh();
        var before = Weights(model);
        var (x, y) = Data(10, seed: 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, validationSplit: split, verbose: 0));
        Assert.Equal("validationSplit", error.ParamName);
        Assert.Contains(split.ToString("R", CultureInfo.InvariantCulture), error.Message);
        Assert.Equal(before, Weights(model));
    }

    [Theory]
    [InlineData("batchSize", 0, 1, 0, 1)]
    [InlineData("batchSize", -5, 1, 0, 1)]
    [InlineData("epochs", 32, -1, 0, 1)]
    [InlineData("initialEpoch", 32, 3, -1, 1)]
    [InlineData("initialEpoch", 32, 3, 4, 1)]
    [InlineData("verbose", 32, 1, 0, 3)]
    [InlineData("verbose", 32, 1, 0, -1)]
    public void Fit_arguments_out_of_range_are_refused_by_name(string argument, int batchSize, int epochs, int initialEpoch, int verbose)
    {
        var model = Fresh();
        var (x, y) = Data(10, seed: 3);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Fit(x, y, batchSize: batchSize, epochs: epochs, initialEpoch: initialEpoch, verbose: verbose));
        Assert.Equal(argument, error.ParamName);
    }

    [Fact]
    public void Initial_epoch_equal_to_epochs_trains_nothing_as_in_keras()
    {
        var model = Fresh();
        var before = Weights(model);
        var (x, y) = Data(10, seed: 3);
        var history = model.Fit(x, y, epochs: 2, initialEpoch: 2, verbose: 0);
        Assert.Empty(history.HistoryData);
        Assert.Equal(before, Weights(model));
    }

    [Fact]
    public void No_samples_are_refused_clearly_by_fit_evaluate_and_the_batch_calls()
    {
        var model = Fresh();
        var (x, y) = Data(10, seed: 3);
        Tensor x0 = T([], 0, 3), y0 = T([], 0, 1);
        Assert.Contains("0 samples", Assert.Throws<ArgumentException>(() => model.Fit(x0, y0, verbose: 0)).Message);
        Assert.Contains("0 samples", Assert.Throws<ArgumentException>(() => model.Evaluate(x0, y0)).Message);
        Assert.Contains("0 samples", Assert.Throws<ArgumentException>(() => model.TrainOnBatch(x0, y0)).Message);
        Assert.Contains("0 samples", Assert.Throws<ArgumentException>(() => model.TestOnBatch([x0], [y0])).Message);
        Assert.Contains("0 samples", Assert.Throws<ArgumentException>(() => model.Fit(x, y, validationData: (x0, y0), verbose: 0)).Message);
    }

    public static TheoryData<string, string, Func<Core.Optimizer>> Refused => new()
    {
        { "SGD", "learningRate", () => Optimizers.SGD(learningRate: double.NaN) },
        { "SGD", "learningRate", () => Optimizers.SGD(learningRate: -1) },
        { "SGD", "learningRate", () => Optimizers.SGD(learningRate: 1e300) },
        { "SGD", "momentum", () => Optimizers.SGD(momentum: 1.5) },
        { "SGD", "momentum", () => Optimizers.SGD(momentum: -0.1) },
        { "SGD", "momentum", () => Optimizers.SGD(momentum: double.NaN) },
        { "Adam", "learningRate", () => Optimizers.Adam(learningRate: double.PositiveInfinity) },
        { "Adam", "beta1", () => Optimizers.Adam(beta1: 1) },
        { "Adam", "beta1", () => Optimizers.Adam(beta1: 0.99999999) },
        { "Adam", "beta1", () => Optimizers.Adam(beta1: -0.5) },
        { "Adam", "beta1", () => Optimizers.Adam(beta1: double.NaN) },
        { "Adam", "beta2", () => Optimizers.Adam(beta2: 1) },
        { "Adam", "beta2", () => Optimizers.Adam(beta2: 2) },
        { "Adam", "epsilon", () => Optimizers.Adam(epsilon: 0) },
        { "Adam", "epsilon", () => Optimizers.Adam(epsilon: -1e-7) },
        { "Adam", "epsilon", () => Optimizers.Adam(epsilon: 1e-60) },
        { "Adam", "epsilon", () => Optimizers.Adam(epsilon: double.PositiveInfinity) },
        { "RMSprop", "rho", () => Optimizers.RMSprop(rho: 1) },
        { "RMSprop", "rho", () => Optimizers.RMSprop(rho: double.NaN) },
        { "RMSprop", "momentum", () => Optimizers.RMSprop(momentum: 1.01) },
        { "RMSprop", "epsilon", () => Optimizers.RMSprop(epsilon: 0) },
        { "Adagrad", "initialAccumulatorValue", () => Optimizers.Adagrad(initialAccumulatorValue: -0.1) },
        { "Adagrad", "initialAccumulatorValue", () => Optimizers.Adagrad(initialAccumulatorValue: double.NaN) },
        { "Adagrad", "epsilon", () => Optimizers.Adagrad(epsilon: double.NaN) },
        { "Adagrad", "learningRate", () => Optimizers.Adagrad(learningRate: -0.001) },
        { "Adam", "beta1", () => new Adam { Beta1 = 1 } },
        { "Adam", "beta1", () => new Adam() with { Beta1 = float.NaN } },
        { "RMSprop", "rho", () => new RmsProp { Rho = -1 } },
        { "SGD", "learningRate", () => new Sgd { LearningRate = float.NegativeInfinity } },
        { "Adagrad", "epsilon", () => new Adagrad() with { Epsilon = 0 } },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Optimizer_hyper_parameters_that_cannot_train_are_refused_naming_optimizer_argument_and_value(string optimizer, string argument, Func<Core.Optimizer> make)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => make());
        Assert.Equal(argument, error.ParamName);
        Assert.StartsWith($"{optimizer}: {argument} must be", error.Message);
        Assert.Contains("received ", error.Message);
    }

    [Fact]
    public void The_edges_keras_accepts_are_accepted()
    {
        Assert.Equal(1f, ((Sgd)Optimizers.SGD(learningRate: 0, momentum: 1)).Momentum);
        Assert.Equal(0f, ((Adam)Optimizers.Adam(beta1: 0, beta2: 0)).Beta1);
        Assert.Equal(0f, ((RmsProp)Optimizers.RMSprop(rho: 0, momentum: 1)).Rho);
        Assert.Equal(0f, ((Adagrad)Optimizers.Adagrad(initialAccumulatorValue: 0)).InitialAccumulatorValue);
    }

    /// <summary>Any accepted hyper-parameters, any finite weights and gradients (zeros included: the 0/0 of ε = 0 or β = 1): the weights stay finite.</summary>
    [Property(MaxTest = 300)]
    public Property Every_accepted_optimizer_keeps_finite_weights_finite() =>
        Prop.ForAll(
            (from kind in Gen.Choose(0, 3)
             from unit in Gen.Choose(0, 1000).Select(i => i / 1000.0)
             from decay in Gen.Choose(0, 999).Select(i => i / 1000.0)
             from epsilon in Gen.Choose(-9, 0).Select(e => Math.Pow(10, e))
             from gradients in Gen.ArrayOf(Gen.Elements(0f, 0f, 1e-30f, -1e-3f, 0.5f, -2f, 100f), 6)
             select (kind, unit, decay, epsilon, gradients)).ToArbitrary(),
            c =>
            {
                var (kind, unit, decay, epsilon, gradients) = c;
                var optimizer = kind switch
                {
                    0 => Optimizers.SGD(learningRate: unit, momentum: unit, nesterov: decay > 0.5),
                    1 => Optimizers.Adam(learningRate: unit, beta1: decay, beta2: 1 - (1 - decay) / 3, epsilon: epsilon),
                    2 => Optimizers.RMSprop(learningRate: unit, rho: decay, momentum: unit, epsilon: epsilon),
                    _ => Optimizers.Adagrad(learningRate: unit, initialAccumulatorValue: unit * decay, epsilon: epsilon),
                };
                var w = new float[] { 0.5f, -1f, 0f, 2f, 1e-3f, -7f };
                var slots = Enumerable.Range(0, optimizer.SlotCount).Select(_ => Enumerable.Repeat(optimizer.SlotInitialValue, w.Length).ToArray()).ToArray();
                for (int step = 1; step <= 3; step++) optimizer.Update(w, gradients, slots, step);
                return w.All(float.IsFinite).Label($"{optimizer}: [{string.Join(", ", w)}]");
            });
}
