using DeepGraph.Core;
using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// The two ends of a batch: 0 samples give empty outputs of the right shape (as Keras returns),
/// and a batch whose tensors would exceed an array or the memory budget is refused, naming the
/// layer and the bytes, before anything is allocated.
/// </summary>
public sealed class EmptyAndHugeBatches
{
    /// <summary>Every kind of layer on the way: convolution, pooling, padding, flatten, concatenate, dense, batch norm, global pooling.</summary>
    private static Keras.Model Mixed()
    {
        Backend.ClearSession();
        var image = Input(shape: [6, 5, 2], name: "image");
        var vector = Input(shape: [3], name: "vector");
        var padded = ZeroPadding2D(1).Call(image);
        var features = Conv2D(4, 3, padding: "same", activation: "relu").Call(padded);
        var normed = BatchNormalization().Call(features);
        var pooled = MaxPooling2D(padding: "same").Call(normed);
        var flat = Flatten().Call(pooled);
        var joined = Concatenate().Call(flat, Dense(5, activation: "tanh").Call(vector));
        var probs = Dense(3, activation: "softmax", name: "probs").Call(Dropout(0.5).Call(joined));
        var global = GlobalAveragePooling2D().Call(AveragePooling2D(2).Call(features));
        var reshaped = Reshape([2, -1]).Call(global);
        return new Keras.Model([image, vector], [probs, features, reshaped], name: "mixed");
    }

    [Fact]
    public void Predict_on_zero_samples_returns_an_empty_tensor_of_each_output_shape()
    {
        var model = Mixed();
        var outputs = model.Predict(Tensor.Zeros(0, 6, 5, 2), Tensor.Zeros(0, 3));
        Assert.Equal(3, outputs.Length);
        Assert.Equal(Shape.Known(0, 3), outputs[0].Shape);
        Assert.Equal(Shape.Known(0, 8, 7, 4), outputs[1].Shape);
        Assert.Equal(Shape.Known(0, 2, 2), outputs[2].Shape);
        Assert.All(outputs, o => Assert.Equal(0, o.Length));
        // And in batches: still empty, the same shapes.
        var batched = model.Predict([Tensor.Zeros(0, 6, 5, 2), Tensor.Zeros(0, 3)], batchSize: 1);
        Assert.Equal(outputs.Select(o => o.Shape), batched.Select(o => o.Shape));
        // The model still predicts after (no buffer was poisoned by the empty call).
        Assert.Equal(Shape.Known(2, 3), model.Predict(Tensor.Zeros(2, 6, 5, 2), Tensor.Zeros(2, 3))[0].Shape);
    }

    /// <summary>For any batch size, the first n samples of a batch predict what the batch predicts for them (n = 0 included).</summary>
    [Property(MaxTest = 20)]
    public Property Any_batch_size_from_zero_gives_the_rows_of_the_full_batch() =>
        Prop.ForAll(Gen.Choose(0, 5).ToArbitrary(), n =>
        {
            var model = Mixed();
            var rng = new Random(n + 11);
            var image = Harness.RandomTensor(rng, [5, 6, 5, 2]);
            var vector = Harness.RandomTensor(rng, [5, 3]);
            var full = model.Predict(image, vector);
            var part = model.Predict(Tensor.FromArray(image.ToArray()[..(n * 60)], [n, 6, 5, 2]), Tensor.FromArray(vector.ToArray()[..(n * 3)], [n, 3]));
            bool same = true;
            for (int o = 0; o < full.Length; o++)
            {
                same &= part[o].Shape == full[o].Shape.WithBatch(n);
                int row = full[o].Length / 5;
                var want = full[o].ToArray()[..(n * row)];
                var got = part[o].ToArray();
                same &= want.Length == got.Length && want.Zip(got).All(p => Math.Abs(p.First - p.Second) <= 1e-5f);
            }
            return same.Label($"n={n}");
        });

    [Fact]
    public void A_batch_whose_output_exceeds_an_array_is_refused_naming_the_layer_and_the_bytes()
    {
        Backend.ClearSession();
        // One sample grows from 1 value to (2·2^13 + 1)^2 ≈ 2^28: 8 samples exceed 2^31 − 1 values.
        var x = Input(shape: [1, 1, 1]);
        var model = new Keras.Model(x, ZeroPadding2D(1 << 13, name: "grow").Call(x));
        var e = Assert.Throws<InsufficientMemoryException>(() => model.Predict(Tensor.Zeros(8, 1, 1, 1), batchSize: 8));
        Assert.Contains("\"grow\"", e.Message);
        Assert.Contains("bytes", e.Message);
        Assert.Contains("(8, 16385, 16385, 1)", e.Message);
    }

    [Fact]
    public void Outputs_beyond_the_memory_budget_are_refused_before_any_layer_allocates()
    {
        var dense = new Core.Dense(512) { Id = new LayerId(50), Name = "wide" };
        var model = Harness.OneLayer(dense, [[1, 4]]);
        var pool = new TensorPool();
        var context = new ForwardContext(Harness.Managed, pool, MemoryBudget: 1000);
        var e = Assert.Throws<InsufficientMemoryException>(() => Executor.Run(model, [Tensor.Zeros(1, 4)], context));
        Assert.Contains("\"wide\"", e.Message);
        Assert.Contains("2,048 bytes", e.Message);
        Assert.Contains("1,000 bytes", e.Message);
        // Within the budget the same call runs.
        Assert.Equal(Shape.Known(1, 512), Executor.Run(model, [Tensor.Zeros(1, 4)], context with { MemoryBudget = 4096 })[0].Shape);
        // Predict in batches checks the joined result against the budget too, before running any batch.
        var joined = Assert.Throws<InsufficientMemoryException>(() => Executor.Predict(model, [Tensor.Zeros(3, 4)], 1, context with { MemoryBudget = 4096 }));
        Assert.Contains("6,144 bytes", joined.Message);
    }

    [Fact]
    public void Training_checks_the_same_budget()
    {
        var dense = new Core.Dense(512) { Id = new LayerId(50), Name = "wide" };
        var model = Harness.OneLayer(dense, [[1, 4]]);
        var config = TrainingConfig.Of(new Sgd(), new MeanSquaredError());
        var context = new ForwardContext(Harness.Managed, new TensorPool(), Training: true, MemoryBudget: 1000);
        var e = Assert.Throws<InsufficientMemoryException>(() => Trainer.ComputeGradients(model, [Tensor.Zeros(1, 4)], [Tensor.Zeros(1, 512)], config, context));
        Assert.Contains("\"wide\"", e.Message);
    }

    [Fact]
    public void A_zero_dimension_in_an_input_is_refused_by_the_factory_and_by_the_layer_that_computes_over_it()
    {
        Backend.ClearSession();
        Assert.Throws<ArgumentException>(() => Input(shape: [0, 3]));
        var dense = new Core.Dense(2) { Id = new LayerId(50), Name = "over_nothing" };
        var e = Assert.Throws<ShapeError>(() => Harness.OneLayer(dense, [[1, 0]]));
        Assert.Equal("over_nothing", e.LayerName);
    }

    [Fact]
    public void Concatenating_an_input_with_no_features_copies_the_others()
    {
        var concat = new Core.Concatenate() { Id = new LayerId(50), Name = "cat" };
        var model = Harness.OneLayer(concat, [[1, 0], [1, 3]]);
        var y = Executor.Run(model, [Tensor.Zeros(2, 0), Tensor.FromArray([1, 2, 3, 4, 5, 6], [2, 3])], new ForwardContext(Harness.Managed, new TensorPool()))[0];
        Assert.Equal(Shape.Known(2, 3), y.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], y.ToArray());
    }

    [Fact]
    public void Facade_factories_refuse_non_positive_sizes_naming_the_argument()
    {
        Backend.ClearSession();
        Assert.Contains("units", Assert.Throws<ArgumentException>(() => Dense(0)).Message);
        Assert.Contains("units", Assert.Throws<ArgumentException>(() => Dense(-3)).Message);
        Assert.Contains("filters", Assert.Throws<ArgumentException>(() => Conv2D(0, 3)).Message);
        Assert.Contains("kernel_size", Assert.Throws<ArgumentException>(() => Conv2D(4, 0)).Message);
        Assert.Contains("strides", Assert.Throws<ArgumentException>(() => Conv2D(4, 3, strides: (1, -1))).Message);
        Assert.Contains("dilation_rate", Assert.Throws<ArgumentException>(() => Conv2D(4, 3, dilationRate: 0)).Message);
        Assert.Contains("pool_size", Assert.Throws<ArgumentException>(() => MaxPooling2D(poolSize: 0)).Message);
        Assert.Contains("strides", Assert.Throws<ArgumentException>(() => AveragePooling2D(2, strides: 0)).Message);
        Assert.Contains("padding", Assert.Throws<ArgumentException>(() => ZeroPadding2D(-1)).Message);
        Assert.Contains("target_shape", Assert.Throws<ArgumentException>(() => Reshape([2, 0])).Message);
    }
}
