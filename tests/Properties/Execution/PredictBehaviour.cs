using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using DeepGraph.Properties.Numerics;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// What a user of the facade sees of <c>model.Predict</c>: batching does not change the results,
/// several threads may predict on one model at once, and mistakes are clear errors. Each test
/// runs on the managed kernel and, as a separate test skipped when none loads, on every native
/// BLAS (switched with <see cref="Backend.UseBlas"/> and restored afterwards; the facade tests run serially).
/// </summary>
public sealed class PredictBehaviour
{
    /// <summary>The managed half of a test.</summary>
    private static readonly string[] ManagedKind = ["managed"];

    /// <summary>The native half of a test: the kind of every native CBLAS that loads (or an exception saying why none does).</summary>
    private static string[] NativeKinds => [.. Backends.NativeOrFail.Cast<DeepGraph.Numerics.CblasGemm>().Select(g => g.Kind)];

    /// <summary>Runs <paramref name="body"/> once per BLAS backend in <paramref name="kinds"/>, then restores the backend the environment chooses.</summary>
    private static void OnEachBackend(string[] kinds, Action<string> body)
    {
        var log = Backend.Log;
        Backend.Log = _ => { };
        try
        {
            foreach (var kind in kinds)
            {
                Backend.UseBlas(kind);
                body(kind);
            }
        }
        finally
        {
            Backend.UseBlas(Environment.GetEnvironmentVariable("DEEPGRAPH_BLAS") is { Length: > 0 } v ? v : null);
            Backend.Log = log;
        }
    }

    /// <summary>
    /// An image and a vector in, two outputs out (softmax head and a feature map): exercises
    /// slicing every input and joining every output. Weights come from the session's seed
    /// (not changed here: <see cref="Backend.SetRandomSeed"/> would outlive the test).
    /// </summary>
    private static Model TwoInTwoOut()
    {
        Backend.ClearSession();
        var image = Input(shape: [6, 5, 2], name: "image");
        var vector = Input(shape: [3], name: "vector");
        var features = Conv2D(4, 3, padding: "same", activation: "relu").Call(image);
        var pooled = MaxPooling2D(padding: "same").Call(features);
        var flat = Flatten().Call(pooled);
        var joined = Concatenate().Call(flat, Dense(5, activation: "tanh").Call(vector));
        var probs = Dense(3, activation: "softmax", name: "probs").Call(joined);
        return new Model([image, vector], [probs, features], name: "two_in_two_out");
    }

    private static Tensor Random(Random rng, params int[] shape) => Harness.RandomTensor(rng, shape);

    private static void AssertClose(Tensor want, Tensor got, double tolerance)
    {
        Assert.Equal(want.Shape, got.Shape);
        var w = want.ToArray();
        var g = got.ToArray();
        for (int i = 0; i < w.Length; i++)
            Assert.True(Math.Abs(w[i] - g[i]) <= tolerance * Math.Max(1, Math.Abs(w[i])), $"at {i}: {g[i]} vs {w[i]}");
    }

    /// <summary>
    /// <c>Predict(x, batchSize: k)</c> equals one pass over the whole batch, for sizes that divide
    /// the batch and sizes that do not (and sizes larger than it). Compared within 1e-5 relative,
    /// not bit for bit: a BLAS may take another code path for fewer rows.
    /// </summary>
    [Property(MaxTest = 30)]
    public Property Predict_in_batches_equals_one_pass_over_the_whole_batch() => Predict_in_batches_equals_one_pass_over_the_whole_batch_on(ManagedKind);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 30)]
    public Property Predict_in_batches_equals_one_pass_over_the_whole_batch_on_native_BLAS() => Predict_in_batches_equals_one_pass_over_the_whole_batch_on(NativeKinds);

    private static Property Predict_in_batches_equals_one_pass_over_the_whole_batch_on(string[] kinds) =>
        Prop.ForAll((from total in Gen.Choose(1, 40) from batchSize in Gen.Choose(1, 45) from seed in Gen.Choose(0, 1000) select (total, batchSize, seed)).ToArbitrary(), t =>
        {
            var (total, batchSize, seed) = t;
            OnEachBackend(kinds, _ =>
            {
                var model = TwoInTwoOut();
                var rng = new Random(seed);
                var image = Random(rng, total, 6, 5, 2);
                var vector = Random(rng, total, 3);
                var whole = model.Predict([image, vector], batchSize: total);
                var batched = model.Predict([image, vector], batchSize);
                var byDefault = model.Predict(image, vector);
                Assert.Equal(2, batched.Length);
                Assert.Equal([total, 3], batched[0].Shape.ToArray());
                Assert.Equal([total, 6, 5, 4], batched[1].Shape.ToArray());
                for (int o = 0; o < 2; o++)
                {
                    AssertClose(whole[o], batched[o], 1e-5);
                    AssertClose(whole[o], byDefault[o], 1e-5);
                }
            });
            return true;
        });

    [Fact]
    public void Predict_with_a_batch_size_on_a_one_input_model_splits_and_joins_in_order() => Predict_with_a_batch_size_on_a_one_input_model_splits_and_joins_in_order_on(ManagedKind);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Predict_with_a_batch_size_on_a_one_input_model_splits_and_joins_in_order_on_native_BLAS() => Predict_with_a_batch_size_on_a_one_input_model_splits_and_joins_in_order_on(NativeKinds);

    private static void Predict_with_a_batch_size_on_a_one_input_model_splits_and_joins_in_order_on(string[] kinds)
    {
        OnEachBackend(kinds, _ =>
        {
            Backend.ClearSession();
            var x = Input(shape: [4]);
            var model = new Model(x, Dense(2, activation: "sigmoid").Call(Dense(8, activation: "relu").Call(x)));
            var input = Random(new Random(5), 70, 4);
            var whole = model.Predict([input], batchSize: 70)[0];
            foreach (int k in new[] { 1, 2, 3, 7, 10, 32, 69, 70, 71 })
                AssertClose(whole, model.Predict(input, batchSize: k)[0], 1e-5);
            // Row r of the result is the prediction for row r alone.
            var row = Tensor.FromArray(input.ToArray()[(33 * 4)..(34 * 4)], [1, 4]);
            var alone = model.Predict(row)[0];
            Assert.Equal(whole[33, 0], alone[0, 0], 5);
            Assert.Equal(whole[33, 1], alone[0, 1], 5);
        });
    }

    /// <summary>Four threads predicting on one model at once each get exactly the single-threaded result, every time.</summary>
    [Fact]
    public void Predict_from_four_threads_at_once_gives_identical_results() => Predict_from_four_threads_at_once_gives_identical_results_on(ManagedKind);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Predict_from_four_threads_at_once_gives_identical_results_on_native_BLAS() => Predict_from_four_threads_at_once_gives_identical_results_on(NativeKinds);

    private static void Predict_from_four_threads_at_once_gives_identical_results_on(string[] kinds)
    {
        OnEachBackend(kinds, kind =>
        {
            var model = TwoInTwoOut();
            var rng = new Random(9);
            var image = Random(rng, 16, 6, 5, 2);
            var vector = Random(rng, 16, 3);
            var expected = model.Predict([image, vector], batchSize: 5);
            using var start = new Barrier(4);
            var results = new List<Tensor[]>[4];
            var errors = new Exception?[4];
            var threads = Enumerable.Range(0, 4).Select(i => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    results[i] = [.. Enumerable.Range(0, 25).Select(_ => model.Predict([image, vector], batchSize: 5))];
                }
                catch (Exception e)
                {
                    errors[i] = e;
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.All(errors, e => Assert.Null(e));
            foreach (var perThread in results)
                foreach (var outputs in perThread)
                {
                    Assert.True(expected[0].Equals(outputs[0]), $"{kind}: output 0 differs between threads");
                    Assert.True(expected[1].Equals(outputs[1]), $"{kind}: output 1 differs between threads");
                }
        });
    }

    // ---- Errors -------------------------------------------------------------------------

    [Fact]
    public void Wrong_number_of_inputs_is_a_ShapeError_naming_the_model()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var model = new Model(x, Dense(2).Call(x), name: "scorer");
        var x2 = Tensor.Zeros(2, 3);
        var error = Assert.Throws<ShapeError>(() => model.Predict(x2, x2));
        Assert.Contains("\"scorer\"", error.Message);
        Assert.Contains("expects 1 input", error.Message);
        Assert.Contains("received 2", error.Message);
        Assert.Contains("(None, 3)", error.Message);
        Assert.Throws<ShapeError>(() => model.Predict());

        var two = TwoInTwoOut();
        var one = Assert.Throws<ShapeError>(() => two.Predict(Tensor.Zeros(2, 6, 5, 2)));
        Assert.Contains("\"two_in_two_out\"", one.Message);
        Assert.Contains("expects 2 input", one.Message);
        Assert.Contains("received 1", one.Message);
    }

    [Fact]
    public void Wrong_input_shape_is_a_ShapeError_naming_the_model_and_both_shapes()
    {
        Backend.ClearSession();
        var x = Input(shape: [3], name: "features");
        var model = new Model(x, Dense(2).Call(x), name: "scorer");
        var error = Assert.Throws<ShapeError>(() => model.Predict(Tensor.Zeros(2, 4)));
        Assert.Contains("\"scorer\"", error.Message);
        Assert.Contains("features", error.Message);
        Assert.Contains("(None, 3)", error.Message);
        Assert.Contains("(2, 4)", error.Message);
        var rank = Assert.Throws<ShapeError>(() => model.Predict(Tensor.Zeros(2, 3, 1)));
        Assert.Contains("(None, 3)", rank.Message);
        Assert.Contains("(2, 3, 1)", rank.Message);

        var two = TwoInTwoOut();
        var batches = Assert.Throws<ShapeError>(() => two.Predict(Tensor.Zeros(2, 6, 5, 2), Tensor.Zeros(3, 3)));
        Assert.Contains("batch", batches.Message);
        Assert.Contains("(2, 6, 5, 2)", batches.Message);
        Assert.Contains("(3, 3)", batches.Message);
    }

    [Fact]
    public void Bad_arguments_are_clear_errors()
    {
        var data = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("5", data.Message);
        Assert.Contains("(2, 3)", data.Message);
        Assert.Contains("6", data.Message);

        Backend.ClearSession();
        var x = Input(shape: [3]);
        var model = new Model(x, Dense(2).Call(x));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(Tensor.Zeros(2, 3), batchSize: 0));
        Assert.Throws<ArgumentNullException>(() => model.Predict((Tensor)null!));
    }

    /// <summary>A NaN weight (set through Keras's <c>set_weights</c>) is refused before running, naming the layer and the weight.</summary>
    [Fact]
    public void A_NaN_weight_is_a_clear_error_naming_the_layer_and_the_weight()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var hidden = Dense(4, name: "hidden");
        var model = new Model(x, Dense(2, name: "out").Call(hidden.Call(x)), name: "m");
        var weights = hidden.GetWeights();
        var kernel = weights[0].ToArray();
        kernel[5] = float.NaN;
        hidden.SetWeights(Tensor.FromArray(kernel, [3, 4]), weights[1]);

        var error = Assert.Throws<InvalidOperationException>(() => model.Predict(Tensor.Zeros(1, 3)));
        Assert.Contains("\"hidden\"", error.Message);
        Assert.Contains("kernel", error.Message);
        Assert.Contains("NaN", error.Message);

        // The same inside a nested model.
        var y = Input(shape: [3]);
        var outer = new Model(y, Dense(1).Call(model.Call(y)), name: "outer");
        var nested = Assert.Throws<InvalidOperationException>(() => outer.Predict(Tensor.Zeros(1, 3)));
        Assert.Contains("\"hidden\"", nested.Message);
    }
}
