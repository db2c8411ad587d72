using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The contract every layer passes (Keras's <c>run_layer_test</c>): built on a valid input it
/// gives the expected output shape and weight counts, builds deterministically from a seed,
/// and compares by value — ignoring <see cref="Layer.Id"/>, never its name, configuration or
/// weights. A new layer type is tested by adding one row to <see cref="Rows"/>.
/// </summary>
public partial class LayerContractTests
{
    /// <summary>One row of the contract.</summary>
    /// <param name="Make">The layer, unbuilt, with id 1 and name "layer".</param>
    /// <param name="OtherConfig">The same type and name with one configuration value changed, if the layer has any configuration.</param>
    /// <param name="Inputs">Valid input shapes.</param>
    /// <param name="Outputs">The output shapes they give.</param>
    /// <param name="Trainable">Scalars in trainable weights once built.</param>
    /// <param name="NonTrainable">Scalars in non-trainable weights once built.</param>
    /// <param name="RandomInit">Whether a different seed gives different weights.</param>
    public sealed record Row(Func<Layer> Make, Func<Layer>? OtherConfig, Shape[] Inputs, Shape[] Outputs, long Trainable, long NonTrainable, bool RandomInit);

    private static readonly LayerId Id = new(1);
    private const string Name = "layer";

    /// <summary>Every row: the engine's layers below and each family's own file (LayerContractTests.&lt;Family&gt;.cs).</summary>
    private static readonly Dictionary<string, Row> Rows = Union(CoreRows, RecurrentRows, SequenceRows, ConvolutionRows, ElementwiseRows, AttentionRows);

    private static Dictionary<string, T> Union<T>(params Dictionary<string, T>[] parts)
    {
        var all = new Dictionary<string, T>();
        foreach (var part in parts)
            foreach (var (key, value) in part) all.Add(key, value);
        return all;
    }

    private static Dictionary<string, Row> CoreRows => new()
    {
        ["InputLayer"] = new(() => new InputLayer(Shape.Batched(4)) { Id = Id, Name = Name },
            () => new InputLayer(Shape.Batched(5)) { Id = Id, Name = Name },
            [], [Shape.Batched(4)], 0, 0, false),
        ["Dense"] = new(() => new Dense(4) { Id = Id, Name = Name },
            () => new Dense(4, activation: "relu") { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(4)], 5 * 4 + 4, 0, true),
        ["Conv2D"] = new(() => new Conv2D(3, (2, 2)) { Id = Id, Name = Name },
            () => new Conv2D(3, (2, 2), padding: "same") { Id = Id, Name = Name },
            [Shape.Batched(6, 6, 2)], [Shape.Batched(5, 5, 3)], 2 * 2 * 2 * 3 + 3, 0, true),
        ["Flatten"] = new(() => new Flatten { Id = Id, Name = Name }, null,
            [Shape.Batched(2, 3)], [Shape.Batched(6)], 0, 0, false),
        ["Reshape"] = new(() => new Reshape([3, -1]) { Id = Id, Name = Name },
            () => new Reshape([3, 2]) { Id = Id, Name = Name },
            [Shape.Batched(2, 3)], [Shape.Batched(3, 2)], 0, 0, false),
        ["Activation"] = new(() => new Activation("relu") { Id = Id, Name = Name },
            () => new Activation("tanh") { Id = Id, Name = Name },
            [Shape.Batched(2, 3)], [Shape.Batched(2, 3)], 0, 0, false),
        ["Dropout"] = new(() => new Dropout(0.5, noiseShape: [null, 1]) { Id = Id, Name = Name },
            () => new Dropout(0.5, noiseShape: [null, 1], seed: 3) { Id = Id, Name = Name },
            [Shape.Batched(7)], [Shape.Batched(7)], 0, 0, false),
        ["MaxPooling2D"] = new(() => new MaxPooling2D { Id = Id, Name = Name },
            () => new MaxPooling2D(padding: "same") { Id = Id, Name = Name },
            [Shape.Batched(5, 4, 3)], [Shape.Batched(2, 2, 3)], 0, 0, false),
        ["AveragePooling2D"] = new(() => new AveragePooling2D((3, 3), (1, 1)) { Id = Id, Name = Name },
            () => new AveragePooling2D((3, 3)) { Id = Id, Name = Name },
            [Shape.Batched(5, 4, 3)], [Shape.Batched(3, 2, 3)], 0, 0, false),
        ["GlobalAveragePooling2D"] = new(() => new GlobalAveragePooling2D { Id = Id, Name = Name },
            () => new GlobalAveragePooling2D(keepDims: true) { Id = Id, Name = Name },
            [Shape.Batched(4, 4, 3)], [Shape.Batched(3)], 0, 0, false),
        ["GlobalMaxPooling2D"] = new(() => new GlobalMaxPooling2D { Id = Id, Name = Name },
            () => new GlobalMaxPooling2D(keepDims: true) { Id = Id, Name = Name },
            [Shape.Batched(4, 4, 3)], [Shape.Batched(3)], 0, 0, false),
        ["ZeroPadding2D"] = new(() => new ZeroPadding2D(((1, 0), (2, 3))) { Id = Id, Name = Name },
            () => new ZeroPadding2D(1) { Id = Id, Name = Name },
            [Shape.Batched(4, 4, 3)], [Shape.Batched(5, 9, 3)], 0, 0, false),
        ["BatchNormalization"] = new(() => new BatchNormalization { Id = Id, Name = Name },
            () => new BatchNormalization(momentum: 0.9) { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(4, 3)], 2 * 3, 2 * 3, false),
        ["Concatenate"] = new(() => new Concatenate { Id = Id, Name = Name },
            () => new Concatenate(axis: 1) { Id = Id, Name = Name },
            [Shape.Batched(2), Shape.Batched(3)], [Shape.Batched(5)], 0, 0, false),
        ["Add"] = new(() => new Add { Id = Id, Name = Name }, null,
            [Shape.Batched(3), Shape.Batched(3)], [Shape.Batched(3)], 0, 0, false),
        ["Multiply"] = new(() => new Multiply { Id = Id, Name = Name }, null,
            [Shape.Batched(3), Shape.Of(null, null)], [Shape.Batched(3)], 0, 0, false),
        ["Embedding"] = new(() => new Embedding(10, 4) { Id = Id, Name = Name },
            () => new Embedding(10, 4, maskZero: true) { Id = Id, Name = Name },
            [Shape.Batched(6)], [Shape.Batched(6, 4)], 10 * 4, 0, true),
        ["LayerNormalization"] = new(() => new LayerNormalization { Id = Id, Name = Name },
            () => new LayerNormalization(epsilon: 1e-5) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(5, 3)], 2 * 3, 0, false),
        ["MultiHeadAttention"] = new(() => new MultiHeadAttention(2, 3) { Id = Id, Name = Name },
            () => new MultiHeadAttention(2, 3, dropout: 0.1) { Id = Id, Name = Name },
            [Shape.Batched(5, 4), Shape.Batched(7, 6)], [Shape.Batched(5, 4)], 2 * 3 * 5 + 2 * 3 * 7 + 2 * 3 * 7 + 2 * 3 * 4 + 4, 0, true),
        ["GlobalAveragePooling1D"] = new(() => new GlobalAveragePooling1D { Id = Id, Name = Name },
            () => new GlobalAveragePooling1D(keepDims: true) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(3)], 0, 0, false),
        ["GlobalMaxPooling1D"] = new(() => new GlobalMaxPooling1D { Id = Id, Name = Name },
            () => new GlobalMaxPooling1D(keepDims: true) { Id = Id, Name = Name },
            [Shape.Of(null, null, 3)], [Shape.Batched(3)], 0, 0, false),
        ["Maximum"] = new(() => new Maximum { Id = Id, Name = Name }, null,
            [Shape.Batched(3), Shape.Batched(3)], [Shape.Batched(3)], 0, 0, false),
        ["Minimum"] = new(() => new Minimum { Id = Id, Name = Name }, null,
            [Shape.Batched(3), Shape.Batched(3), Shape.Batched(3)], [Shape.Batched(3)], 0, 0, false),
        ["Average"] = new(() => new Average { Id = Id, Name = Name }, null,
            [Shape.Of(null, 3), Shape.Batched(3)], [Shape.Batched(3)], 0, 0, false),
    };

    /// <summary>The row names, one test case each.</summary>
    public static TheoryData<string> Cases => new(Rows.Keys);

    private static long Count(Layer layer, bool trainable) =>
        layer.Weights.Where(w => w.Trainable == trainable).Sum(w => (long)w.Value.Length);

    /// <summary>
    /// Layer types this contract leaves to their own tests: a model used as a layer is a graph, tested with the models;
    /// a Lambda and a user's layer (UserLayer) are functions given by the program, tested in Facade/CustomLayers.
    /// </summary>
    private static readonly string[] TestedElsewhere = ["Model", "Lambda", "UserLayer"];

    [Fact]
    public void Every_concrete_layer_type_has_a_contract_row()
    {
        var types = typeof(Layer).Assembly.GetTypes()
            // Fused records live only in execution plans (tests/Properties/Execution/ExecutionPlanTests.cs, Training/ConvPoolFusion.cs).
            .Where(t => t.IsSubclassOf(typeof(Layer)) && !t.IsAbstract && !t.IsSubclassOf(typeof(FusedLayer)))
            .Select(t => t.Name);
        Assert.Equal([], types.Except(Rows.Keys).Except(TestedElsewhere).Order());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_class_name_is_the_Keras_class_name(string name)
    {
        var layer = Rows[name].Make();
        Assert.Equal(name, layer.GetType().Name);
        Assert.Equal(name, layer.ClassName);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_output_shapes_are_as_expected_before_and_after_build(string name)
    {
        var row = Rows[name];
        var layer = row.Make();
        Assert.Equal(row.Outputs, layer.OutputShapes(row.Inputs));
        var built = layer.Build(row.Inputs, seed: 1);
        Assert.True(built.IsBuilt);
        Assert.Equal(row.Outputs, built.OutputShapes(row.Inputs));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_weight_counts_split_into_trainable_and_non_trainable(string name)
    {
        var row = Rows[name];
        var layer = row.Make();
        if (!layer.IsBuilt) Assert.Empty(layer.Weights);
        var built = layer.Build(row.Inputs, seed: 1);
        Assert.Equal(row.Trainable, Count(built, trainable: true));
        Assert.Equal(row.NonTrainable, Count(built, trainable: false));
        Assert.Equal(row.Trainable + row.NonTrainable, built.ParamCount);

        // A frozen layer holds the same weights, none of them trainable.
        var frozen = built with { Trainable = false };
        Assert.Equal(0, Count(frozen, trainable: true));
        Assert.Equal(built.ParamCount, Count(frozen, trainable: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_build_is_deterministic_for_a_seed(string name)
    {
        var row = Rows[name];
        var first = row.Make().Build(row.Inputs, seed: 7);
        var again = row.Make().Build(row.Inputs, seed: 7);
        var otherSeed = row.Make().Build(row.Inputs, seed: 8);
        Assert.Equal(first, again);
        Assert.Equal(first.GetHashCode(), again.GetHashCode());
        if (row.RandomInit) Assert.NotEqual(first, otherSeed);
        else Assert.Equal(first, otherSeed);
        // Building a built layer checks its weights and keeps them.
        Assert.Equal(first, first.Build(row.Inputs, seed: 99));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Contract_equality_ignores_Id_but_not_Name_config_trainability_or_weights(string name)
    {
        var row = Rows[name];
        var built = row.Make().Build(row.Inputs, seed: 1);

        var otherId = built with { Id = new LayerId(99) };
        Assert.Equal(built, otherId);
        Assert.Equal(built.GetHashCode(), otherId.GetHashCode());

        Assert.NotEqual(built, built with { Name = "another_name" });
        Assert.NotEqual(built, built with { Trainable = false });
        if (row.OtherConfig is { } other)
            Assert.NotEqual(built, other().Build(row.Inputs, seed: 1));

        if (built is WeightedLayer { Params.Count: > 0 } weighted) // a weightless layer over ops is built as it is made
        {
            var changed = weighted with { Params = EquatableArray.Of(weighted.Params.Select(t => Tensor.Filled(42f, t.Shape.ToArray()))) };
            Assert.NotEqual<Layer>(built, changed);
            Assert.NotEqual(built, row.Make());   // built vs. unbuilt
        }
    }

    [Fact]
    public void Records_holding_arrays_compare_them_by_value()
    {
        Assert.Equal(new Reshape([2, -1]) { Id = Id, Name = Name }, new Reshape([2, -1]) { Id = new LayerId(2), Name = Name });
        Assert.NotEqual(new Reshape([2, -1]) { Id = Id, Name = Name }, new Reshape([-1, 2]) { Id = Id, Name = Name });
        Assert.Equal(new Dropout(0.1, [null, 1, 4]) { Id = Id, Name = Name }, new Dropout(0.1, [null, 1, 4]) { Id = Id, Name = Name });
        Assert.NotEqual(new Dropout(0.1, [null, 1, 4]) { Id = Id, Name = Name }, new Dropout(0.1) { Id = Id, Name = Name });
    }

    [Fact]
    public void BatchNormalization_moving_statistics_are_never_trainable_and_start_at_zero_and_one()
    {
        var bn = new BatchNormalization { Id = Id, Name = Name }.Build([Shape.Batched(5, 2)], seed: 1);
        Assert.Equal(["gamma", "beta", "moving_mean", "moving_variance"], bn.Weights.Select(w => w.Role));
        Assert.Equal([true, true, false, false], bn.Weights.Select(w => w.Trainable));
        Assert.Equal([1f, 0f, 0f, 1f], bn.Weights.Select(w => w.Value[0]));
        Assert.All(bn.Weights, w => Assert.Equal(Shape.Known(2), w.Value.Shape));
    }

    [Fact]
    public void BatchNormalization_built_for_C_features_refuses_another_C()
    {
        var bn = new BatchNormalization { Id = Id, Name = "bn" }.Build([Shape.Batched(5, 3)], seed: 1);
        var e = Assert.Throws<ShapeError>(() => bn.OutputShapes([Shape.Batched(5, 4)]));
        Assert.Equal("Input 0 of layer \"bn\" is incompatible with the layer: expected axis -1 of input shape to have value 3, but received input with shape (None, 5, 4)", e.Message);
        Assert.Contains("undefined `axis` dimension", Assert.Throws<ShapeError>(() => new BatchNormalization { Id = Id, Name = "bn" }.Build([Shape.Of(null, null)], seed: 1)).Message);
        Assert.Contains("out of bounds", Assert.Throws<ShapeError>(() => new BatchNormalization(axis: 3) { Id = Id, Name = "bn" }.Build([Shape.Batched(5, 4)], seed: 1)).Message);
    }

    [Fact]
    public void Layers_that_take_one_input_refuse_two_and_check_rank()
    {
        Shape[] two = [Shape.Batched(4, 4, 3), Shape.Batched(4, 4, 3)];
        foreach (var layer in new Layer[]
        {
            new Flatten { Id = Id, Name = "f" }, new Reshape([48]) { Id = Id, Name = "f" }, new Activation("relu") { Id = Id, Name = "f" },
            new Dropout(0.2) { Id = Id, Name = "f" }, new MaxPooling2D { Id = Id, Name = "f" }, new AveragePooling2D { Id = Id, Name = "f" },
            new GlobalAveragePooling2D { Id = Id, Name = "f" }, new GlobalMaxPooling2D { Id = Id, Name = "f" },
            new ZeroPadding2D { Id = Id, Name = "f" }, new BatchNormalization { Id = Id, Name = "f" },
        })
            Assert.Throws<ShapeError>(() => layer.OutputShapes(two));

        foreach (var layer in new Layer[]
        {
            new MaxPooling2D { Id = Id, Name = "p" }, new AveragePooling2D { Id = Id, Name = "p" }, new GlobalAveragePooling2D { Id = Id, Name = "p" },
            new GlobalMaxPooling2D { Id = Id, Name = "p" }, new ZeroPadding2D { Id = Id, Name = "p" },
        })
        {
            var e = Assert.Throws<ShapeError>(() => layer.OutputShapes([Shape.Batched(4, 3)]));
            Assert.Equal("Input 0 of layer \"p\" is incompatible with the layer: expected ndim=4, found ndim=3. Full shape received: (None, 4, 3)", e.Message);
        }
    }

    [Fact]
    public void Flatten_of_the_batch_axis_alone_gives_one_feature()
    {
        Assert.Equal(Shape.Batched(1), new Flatten { Id = Id, Name = Name }.OutputShapes([Shape.Of((int?)null)])[0]);
        Assert.Equal(Shape.Of(null, null), new Flatten { Id = Id, Name = Name }.OutputShapes([Shape.Of(null, 3, null)])[0]);
    }

    [Fact]
    public void Dropout_noise_shape_must_broadcast_to_the_input()
    {
        var dropout = new Dropout(0.5, [null, 3]) { Id = Id, Name = "drop" };
        Assert.Equal(Shape.Batched(3), dropout.OutputShapes([Shape.Batched(3)])[0]);
        var e = Assert.Throws<ShapeError>(() => dropout.OutputShapes([Shape.Batched(4)]));
        Assert.Contains("noise_shape=(None, 3)", e.Message);
        Assert.Contains("(None, 4)", e.Message);
    }

    [Fact]
    public void Constructors_reject_invalid_arguments_in_Keras_words()
    {
        Assert.Contains("Expected a float value between 0 and 1", Assert.Throws<ArgumentException>(() => new Dropout(1.0) { Id = Id, Name = Name }).Message);
        Assert.Throws<ArgumentException>(() => new Dropout(-0.1) { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new Dropout(double.NaN) { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new Dropout(0.1, [0]) { Id = Id, Name = Name });
        Assert.Equal("Received an invalid value for `target_shape`, expected positive integers or -1. Received: target_shape=(0, 2)",
            Assert.Throws<ArgumentException>(() => new Reshape([0, 2]) { Id = Id, Name = Name }).Message);
        Assert.Equal("Received an invalid value for `pool_size`, expected positive integers. Received: pool_size=(0, 2)",
            Assert.Throws<ArgumentException>(() => new MaxPooling2D((0, 2)) { Id = Id, Name = Name }).Message);
        Assert.Throws<ArgumentException>(() => new AveragePooling2D(strides: (1, 0)) { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new MaxPooling2D(padding: "full") { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new ZeroPadding2D(-1) { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new ZeroPadding2D(((0, 0), (0, -2))) { Id = Id, Name = Name });
        Assert.Throws<ArgumentException>(() => new Activation("nope") { Id = Id, Name = Name });
        Assert.Equal("leaky_relu", new Activation("leakyRelu") { Id = Id, Name = Name }.Function);
        Assert.Equal(((1, 1), (1, 1)), new ZeroPadding2D { Id = Id, Name = Name }.Padding);
        Assert.Equal(((1, 1), (2, 2)), new ZeroPadding2D((1, 2)) { Id = Id, Name = Name }.Padding);
    }
}
