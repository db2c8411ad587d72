using DeepGraph.Core;
using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// Unknown (<c>None</c>) dimensions after the batch: shape rules take them without exceptions other
/// than <see cref="ShapeError"/> and agree with the same rule on any concrete instance; models with
/// them run on data of any length, each call's shapes resolved from the data.
/// </summary>
public sealed class UnknownDims
{
    /// <summary>A symbolic shape (batch unknown, each later dimension 1–9 or unknown) and a concrete instance of it.</summary>
    private static readonly Gen<(Shape Symbolic, Shape Concrete)> Shapes =
        from rank in Gen.Choose(1, 5)
        from dims in Gen.Frequency((3, Gen.Choose(1, 9).Select(d => (int?)d)), (1, Gen.Constant((int?)null))).ArrayOf(rank - 1)
        from fill in Gen.Choose(1, 9).ArrayOf(rank)
        select (Shape.Of([null, .. dims]), Shape.Known([fill[0] % 3 + 1, .. dims.Select((d, i) => d ?? fill[i + 1])]));

    private static readonly LayerId L = new(1);

    /// <summary>Every built-in layer kind, in a few configurations, with how many copies of the input it takes.</summary>
    private static readonly (string Name, Func<Core.Layer> Make, int Inputs)[] Zoo =
    [
        ("dense", () => new Core.Dense(3) { Id = L, Name = "dense" }, 1),
        ("dense_relu", () => new Core.Dense(2, "relu", useBias: false) { Id = L, Name = "dense_relu" }, 1),
        ("conv_valid", () => new Core.Conv2D(2, (3, 2)) { Id = L, Name = "conv_valid" }, 1),
        ("conv_same_strided", () => new Core.Conv2D(2, (3, 3), (2, 2), "same") { Id = L, Name = "conv_same_strided" }, 1),
        ("conv_dilated", () => new Core.Conv2D(1, (2, 2), dilationRate: (2, 2)) { Id = L, Name = "conv_dilated" }, 1),
        ("max_pool", () => new MaxPooling2D() { Id = L, Name = "max_pool" }, 1),
        ("avg_pool_same", () => new AveragePooling2D((3, 3), (2, 2), "same") { Id = L, Name = "avg_pool_same" }, 1),
        ("global_avg", () => new GlobalAveragePooling2D() { Id = L, Name = "global_avg" }, 1),
        ("global_max_keep", () => new GlobalMaxPooling2D(keepDims: true) { Id = L, Name = "global_max_keep" }, 1),
        ("flatten", () => new Core.Flatten() { Id = L, Name = "flatten" }, 1),
        ("reshape_infer", () => new Core.Reshape([-1, 2]) { Id = L, Name = "reshape_infer" }, 1),
        ("reshape_fixed", () => new Core.Reshape([4, 3]) { Id = L, Name = "reshape_fixed" }, 1),
        ("activation", () => new Core.Activation("tanh") { Id = L, Name = "activation" }, 1),
        ("dropout", () => new Dropout(0.5) { Id = L, Name = "dropout" }, 1),
        ("batch_norm", () => new BatchNormalization() { Id = L, Name = "batch_norm" }, 1),
        ("zero_padding", () => new Core.ZeroPadding2D(2) { Id = L, Name = "zero_padding" }, 1),
        ("concatenate_last", () => new Core.Concatenate() { Id = L, Name = "concatenate_last" }, 2),
        ("concatenate_first", () => new Core.Concatenate(1) { Id = L, Name = "concatenate_first" }, 2),
        ("add", () => new Core.Add() { Id = L, Name = "add" }, 2),
        ("multiply", () => new Core.Multiply() { Id = L, Name = "multiply" }, 2),
    ];

    private static readonly Gen<int> ZooIndex = Gen.Choose(0, Zoo.Length - 1);

    /// <summary>The output shapes, or the exception the rule threw.</summary>
    private static (IReadOnlyList<Shape>? Shapes, Exception? Error) Try(Func<IReadOnlyList<Shape>> rule)
    {
        try
        {
            return (rule(), null);
        }
        catch (Exception e)
        {
            return (null, e);
        }
    }

    [Property(MaxTest = 500)]
    public Property Shape_rules_on_unknown_dims_throw_only_ShapeError_and_agree_with_every_concrete_instance() =>
        Prop.ForAll(ZooIndex.ToArbitrary(), Shapes.ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (z, s, seed) =>
        {
            var (name, make, count) = Zoo[z];
            var layer = make();
            Shape[] symbolic = [.. Enumerable.Repeat(s.Symbolic, count)], concrete = [.. Enumerable.Repeat(s.Concrete, count)];
            // Build on the symbolic shapes (what a model does), then ask the built record about both.
            Core.Layer? built = null;
            var (symbolicOut, symbolicError) = Try(() =>
            {
                built = layer.Build(symbolic, seed);
                return built.OutputShapes(symbolic);
            });
            var (concreteOut, concreteError) = Try(() => (built ?? layer).OutputShapes(concrete));
            bool onlyShapeErrors = symbolicError is null or ShapeError && concreteError is null or ShapeError;
            bool compatible = symbolicOut is null || concreteOut is null ||
                symbolicOut.Count == concreteOut.Count && symbolicOut.Zip(concreteOut).All(p => p.First.IsCompatibleWith(p.Second.WithBatch(null)));
            // A symbolic shape known after the batch is its concrete instance: the two rules agree
            // (rank 1 excepted: there the unknown batch is the axis a layer computes over).
            bool exactWhenKnown = s.Symbolic.Rank < 2 || !s.Symbolic.WithoutBatch.IsFullyKnown || (symbolicError is null) == (concreteError is null);
            return (onlyShapeErrors && compatible && exactWhenKnown).Label(
                $"{name} on {s.Symbolic} → {(symbolicOut is null ? symbolicError!.GetType().Name + ": " + symbolicError.Message : string.Join(", ", symbolicOut))}; " +
                $"on {s.Concrete} → {(concreteOut is null ? concreteError!.GetType().Name + ": " + concreteError.Message : string.Join(", ", concreteOut))}");
        });

    [Property]
    public Property Shape_product_is_unknown_exactly_when_a_dimension_is() =>
        Prop.ForAll(Shapes.ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(), (s, from) =>
        {
            int start = Math.Min(from, s.Symbolic.Rank);
            bool anyUnknown = s.Symbolic.Skip(start).Any(d => d is null);
            var product = s.Symbolic.Product(start);
            long expected = s.Concrete.Skip(start).Aggregate(1L, (p, d) => p * d!.Value);
            return (anyUnknown ? product is null : product == expected) && s.Concrete.Product(start) == expected
                && s.Symbolic.IsCompatibleWith(s.Concrete.WithBatch(null)) && s.Symbolic.IsCompatibleWith(s.Concrete);
        });

    [Fact]
    public void A_dense_over_an_unknown_length_runs_on_any_length_per_call()
    {
        Backend.ClearSession();
        var dense = Dense(4, activation: "tanh");
        var sequence = Input(shape: [null, 8]);
        var y = dense.Call(sequence);
        Assert.Equal(Shape.Of(null, null, 4), y.Shape);
        var model = new Keras.Model(sequence, y);
        // The same layer on rows: each time step of the sequence is one row.
        var rows = Input(shape: [8]);
        var reference = new Keras.Model(rows, dense.Call(rows));
        foreach (int length in new[] { 5, 9, 1 })
        {
            var x = Tensor.FromArray([.. Enumerable.Range(0, 2 * length * 8).Select(i => MathF.Sin(i * 0.37f))], [2, length, 8]);
            using var got = model.Predict(x)[0];
            Assert.Equal(Shape.Known(2, length, 4), got.Shape);
            using var expected = reference.Predict(Tensor.FromArray(x.ToArray(), [2 * length, 8]))[0];
            Assert.Equal(expected.ToArray(), got.ToArray());
        }
    }

    [Fact]
    public void Fit_trains_on_data_of_one_length_and_predict_then_takes_another()
    {
        Backend.ClearSession();
        var sequence = Input(shape: [null, 3]);
        var model = new Keras.Model(sequence, Dense(1).Call(Dense(4, activation: "relu").Call(sequence)));
        model.Compile("adam", "mse");
        var x = Tensor.FromArray([.. Enumerable.Range(0, 8 * 6 * 3).Select(i => MathF.Cos(i * 0.11f))], [8, 6, 3]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 8 * 6).Select(i => (i % 3) * 0.5f)], [8, 6, 1]);
        double before = model.Evaluate(x, y)["loss"];
        model.Fit(x, y, epochs: 30, batchSize: 4, verbose: 0);
        Assert.True(model.Evaluate(x, y)["loss"] < before);
        using var other = model.Predict(Tensor.Zeros(3, 11, 3))[0];
        Assert.Equal(Shape.Known(3, 11, 1), other.Shape);
    }

    [Fact]
    public void A_convolution_over_unknown_spatial_dims_runs_on_any_image_size()
    {
        Backend.ClearSession();
        var image = Input(shape: [null, null, 3]);
        var features = GlobalMaxPooling2D().Call(MaxPooling2D().Call(Conv2D(4, 3, activation: "relu").Call(image)));
        var model = new Keras.Model(image, Dense(2).Call(features));
        Assert.Equal(Shape.Of(null, 2), model.Outputs[0].Shape);
        foreach (var (h, w) in new[] { (8, 8), (10, 6), (5, 12) })
        {
            using var y = model.Predict(Tensor.Filled(0.5f, 2, h, w, 3))[0];
            Assert.Equal(Shape.Known(2, 2), y.Shape);
        }
        // Too small for the kernel: the shape error names the layer, at run time as at build time.
        var error = Assert.ThrowsAny<ShapeError>(() => model.Predict(Tensor.Zeros(1, 2, 2, 3)));
        Assert.Contains("conv2d", error.Message);
    }

    [Fact]
    public void Flatten_of_unknown_dims_into_a_dense_gives_keras_error()
    {
        Backend.ClearSession();
        var flat = Flatten().Call(Input(shape: [null, 8]));
        Assert.Equal(Shape.Of(null, null), flat.Shape);
        var error = Assert.Throws<ShapeError>(() => Dense(3).Call(flat));
        Assert.Contains("The last dimension of the inputs to a Dense layer should be defined. Found None.", error.Message);
    }

    [Fact]
    public void Summary_prints_None_for_unknown_dims()
    {
        Backend.ClearSession();
        var tokens = Input(shape: [null], dtype: "int32", name: "tokens");
        var sequence = Input(shape: [null, 64], name: "sequence");
        var model = new Keras.Model([tokens, sequence], [Flatten().Call(tokens), Dense(4).Call(sequence)]);
        var lines = new List<string>();
        model.Summary(lines.Add);
        string text = string.Join("\n", lines);
        Assert.Contains("[(None, None)]", text);
        Assert.Contains("[(None, None, 64)]", text);
        Assert.Contains("(None, None, 4)", text);
    }

    [Fact]
    public void Inputs_of_a_known_dim_still_refuse_another_size_naming_the_input()
    {
        Backend.ClearSession();
        var x = Input(shape: [null, 4], name: "seq");
        var model = new Keras.Model(x, Dense(1).Call(x));
        var error = Assert.Throws<ShapeError>(() => model.Predict(Tensor.Zeros(2, 7, 5)));
        Assert.Contains("\"seq\"", error.Message);
        Assert.Contains("(None, None, 4)", error.Message);
    }
}
