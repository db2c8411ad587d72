using DeepGraph.Keras;
using DeepGraph.Properties.Tutorial;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>What a Keras user sees of the facade: names, errors at call time, trainability, nesting.</summary>
public sealed class FacadeBehaviour
{
    private static string Lines(params string[] lines) => string.Join("\n", lines);

    [Fact]
    public void A_sequential_model_can_start_with_an_input_tensor_as_in_keras()
    {
        Backend.ClearSession();
        var model = new Sequential([Input(shape: [4], name: "features"), Dense(8, activation: "relu"), Dense(1)]);
        Assert.Equal(["dense", "dense_1"], model.Layers.Select(l => l.Name));
        Assert.Equal("features", Assert.Single(model.Inputs).Layer.Name);
        Assert.Equal(49, model.CountParams());
        var hidden = Dense(2).Call(Input(shape: [3]));
        var error = Assert.Throws<InvalidCastException>(() => new Sequential([hidden]));
        Assert.Contains("dense_2", error.Message);
    }

    [Fact]
    public void A_declared_batch_size_does_not_bind_as_in_keras_3_but_the_other_dimensions_do()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var x = Input(shape: [6, 3], batchSize: 25, name: "steps");
        var fixedBatch = new Model(x, Dense(2).Call(LSTM(4).Call(x)));
        Assert.Equal(25, fixedBatch.Inputs[0].Shape[0]);
        var free = Input(shape: [6, 3], name: "steps_any");
        var model = new Model(free, fixedBatch.Call(free));
        var data = Tensor.FromArray([.. Enumerable.Range(0, 3 * 6 * 3).Select(i => (float)Math.Sin(0.7 * i))], [3, 6, 3]);
        // The same weights, run on a batch of 3 through the fixed-batch model and through a model of any batch.
        Assert.Equal(model.Predict(data)[0].ToArray(), fixedBatch.Predict(data)[0].ToArray());
        var wrongSteps = Tensor.FromArray(new float[3 * 5 * 3], [3, 5, 3]);
        Assert.Contains("expected shape=(25, 6, 3), found shape=(3, 5, 3)", Assert.ThrowsAny<Exception>(() => fixedBatch.Predict(wrongSteps)).Message);
    }

    [Fact]
    public void Automatic_names_follow_keras_and_clear_session_resets_them()
    {
        Backend.ClearSession();
        Assert.Equal(["dense", "dense_1", "conv2d", "max_pooling2d", "batch_normalization", "global_average_pooling2d", "zero_padding2d", "dense_2"],
            new[] { Dense(1), Dense(1), Conv2D(1, 1), MaxPooling2D(), BatchNormalization(), GlobalAveragePooling2D(), ZeroPadding2D(), Dense(1) }.Select(l => l.Name));
        Assert.Equal("named", Dense(1, name: "named").Name);
        Assert.Equal("dense_3", Dense(1).Name); // an explicit name takes no number
        var a = Input(shape: [3]);
        var b = Input(shape: [3], name: "explicit");
        var c = Input(shape: [3]);
        Assert.Equal(["input_1", "explicit", "input_2"], new[] { a, b, c }.Select(t => t.Layer.Name));
        Assert.Equal("model", new Model(a, Dense(2).Call(a)).Name);
        Assert.Equal("model_1", new Model(a, Dense(2).Call(a)).Name);
        Assert.Equal("sequential", new Sequential().Name);
        Assert.Equal("sequential_1", new Sequential().Name);

        Backend.ClearSession();
        Assert.Equal("dense", Dense(1).Name);
        Assert.Equal("input_1", Input(shape: [3]).Layer.Name);
        Assert.Equal("model", new Model(Input(shape: [1]), Input(shape: [1])).Name);
    }

    [Fact]
    public void Dense_built_for_10_features_called_on_8_names_the_layer_and_both_shapes_and_changes_nothing()
    {
        Backend.ClearSession();
        var dense = Dense(4, name: "head");
        dense.Call(Input(shape: [10]));
        var before = dense.Record;
        var error = Assert.Throws<ShapeError>(() => dense.Call(Input(shape: [8])));
        Assert.Equal("head", error.LayerName);
        Assert.Contains("\"head\"", error.Message);
        Assert.Contains("value 10", error.Message);
        Assert.Contains("(None, 8)", error.Message);
        Assert.Equal(before, dense.Record);
        Assert.Equal(Shape.Batched(4), dense.Call(Input(shape: [10])).Shape); // still usable
    }

    [Fact]
    public void Add_of_mismatched_shapes_is_refused_at_call_time()
    {
        Backend.ClearSession();
        var error = Assert.Throws<ShapeError>(() => Add(name: "sum").Call(Input(shape: [3]), Input(shape: [4])));
        Assert.Contains("sum", error.Message);
        Assert.Contains("(None, 3)", error.Message);
        Assert.Contains("(None, 4)", error.Message);
    }

    [Fact]
    public void Concatenate_on_a_mismatched_axis_is_refused_at_call_time()
    {
        Backend.ClearSession();
        var error = Assert.Throws<ShapeError>(() => Concatenate(axis: 1, name: "cat").Call(Input(shape: [2, 3]), Input(shape: [2, 4])));
        Assert.Contains("cat", error.Message);
        Assert.Contains("(None, 2, 3)", error.Message);
        Assert.Contains("(None, 2, 4)", error.Message);
        Assert.Equal(Shape.Batched(4, 3), Concatenate(axis: 1).Call(Input(shape: [2, 3]), Input(shape: [2, 3])).Shape);
    }

    [Fact]
    public void Conv2D_kernel_larger_than_its_valid_input_is_refused_at_call_time()
    {
        Backend.ClearSession();
        var error = Assert.Throws<ShapeError>(() => Conv2D(8, 5, name: "big").Call(Input(shape: [3, 3, 1])));
        Assert.Contains("big", error.Message);
        Assert.Contains("5x5", error.Message);
        Assert.Contains("(None, 3, 3, 1)", error.Message);
        Assert.Equal(Shape.Batched(3, 3, 8), Conv2D(8, 5, padding: "same").Call(Input(shape: [3, 3, 1])).Shape);
    }

    [Fact]
    public void A_model_whose_outputs_do_not_depend_on_its_inputs_is_refused()
    {
        Backend.ClearSession();
        var a = Input(shape: [3], name: "a");
        var b = Input(shape: [3], name: "b");
        var y = Dense(2, name: "d").Call(b);
        var error = Assert.Throws<GraphError>(() => new Model(a, y));
        Assert.StartsWith("Graph disconnected: cannot obtain value for tensor <KerasTensor: shape=(None, 3) dtype=float32 (created by layer 'b')> at layer \"d\"", error.Message);
    }

    [Fact]
    public void A_tensor_from_another_graph_is_refused()
    {
        Backend.ClearSession();
        var old = Input(shape: [3]);
        var oldOut = Dense(2).Call(old);
        Backend.ClearSession();
        var fresh = Input(shape: [3]);
        Assert.Throws<GraphError>(() => Dense(2).Call(old));
        Assert.Throws<GraphError>(() => Add().Call(fresh, Dense(3).Call(fresh), old));
        Assert.Throws<GraphError>(() => new Model(fresh, oldOut));
    }

    [Fact]
    public void Model_inputs_must_be_input_tensors()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var h = Dense(2, name: "hidden").Call(x);
        var error = Assert.Throws<GraphError>(() => new Model(h, Dense(1).Call(h)));
        Assert.Contains("hidden", error.Message);
    }

    [Fact]
    public void Two_layers_with_one_name_in_a_model_are_refused()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var y = Dense(2, name: "same").Call(Dense(2, name: "same").Call(x));
        var error = Assert.Throws<GraphError>(() => new Model(x, y));
        Assert.Contains("The name \"same\" is used 2 times in the model", error.Message);
        Assert.Throws<ArgumentException>(() => new Sequential([Dense(2, name: "twin", inputShape: [3]), Dense(2, name: "twin")]));
    }

    [Fact]
    public void Freezing_a_layer_moves_its_parameters_to_non_trainable()
    {
        Backend.ClearSession();
        var first = Dense(4, inputShape: [3]);
        var model = new Sequential([first, Dense(1)], name: "m");
        first.Trainable = false;
        var text = TutorialSummaries.Text(model);
        Assert.Contains("Total params: 21", text);
        Assert.Contains("Trainable params: 5", text);
        Assert.Contains("Non-trainable params: 16", text);
        model.Trainable = false;
        Assert.Contains("Non-trainable params: 21", TutorialSummaries.Text(model));
        Assert.False(first.Trainable);
    }

    [Fact]
    public void Batch_normalization_moving_statistics_are_non_trainable()
    {
        Backend.ClearSession();
        var model = new Sequential([Dense(8, inputShape: [4]), BatchNormalization(), Dense(1)], name: "bn");
        Assert.Equal(Lines(
            "Model: \"bn\"",
            "_________________________________________________________________",
            "Layer (type)                 Output Shape              Param #",
            "=================================================================",
            "dense (Dense)                (None, 8)                 40",
            "_________________________________________________________________",
            "batch_normalization (BatchNo (None, 8)                 32",
            "_________________________________________________________________",
            "dense_1 (Dense)              (None, 1)                 9",
            "=================================================================",
            "Total params: 81",
            "Trainable params: 65",
            "Non-trainable params: 16",
            "_________________________________________________________________"), TutorialSummaries.Text(model));
    }

    [Fact]
    public void A_model_called_as_a_layer_is_one_row_and_shares_its_weights()
    {
        Backend.ClearSession();
        var x = Input(shape: [8], name: "x");
        var encoder = new Model(x, Dense(4, name: "h").Call(x), name: "encoder");
        var y = Input(shape: [8], name: "y");
        var outer = new Model(y, Dense(1, name: "out").Call(encoder.Call(y)), name: "outer");
        Assert.Equal(Lines(
            "Model: \"outer\"",
            "_________________________________________________________________",
            "Layer (type)                 Output Shape              Param #",
            "=================================================================",
            "y (InputLayer)               [(None, 8)]               0",
            "_________________________________________________________________",
            "encoder (Functional)         (None, 4)                 36",
            "_________________________________________________________________",
            "out (Dense)                  (None, 1)                 5",
            "=================================================================",
            "Total params: 41",
            "Trainable params: 41",
            "Non-trainable params: 0",
            "_________________________________________________________________"), TutorialSummaries.Text(outer));
        encoder.GetLayer("h").Trainable = false;
        Assert.Contains("Non-trainable params: 36", TutorialSummaries.Text(outer));
    }

    [Fact]
    public void A_nested_model_with_two_outputs_prints_a_list_of_shapes_and_feeds_two_layers()
    {
        Backend.ClearSession();
        var x = Input(shape: [4], name: "x");
        var trunk = Dense(3, name: "trunk").Call(x);
        var heads = new Model(x, [Dense(2, name: "h1").Call(trunk), Dense(5, name: "h2").Call(trunk)], name: "heads");
        var y = Input(shape: [4], name: "y");
        var outs = heads.CallMany(y);
        Assert.Equal(2, outs.Count);
        var joined = Concatenate(name: "cat").Call(outs[0], outs[1]);
        var text = TutorialSummaries.Text(new Model(y, joined, name: "outer"));
        // The list of shapes is cut at its column end, as Keras cuts every field.
        Assert.Contains("heads (Functional)              [(None, 2), (None, 5 43          y[0][0]", text);
        Assert.Contains("heads[1][0]", text);
        Assert.Contains("heads[1][1]", text);
        Assert.Throws<InvalidOperationException>(() => heads.Call(y)); // two outputs: CallMany
    }

    [Fact]
    public void A_shared_model_prints_its_calls_from_node_1_in_the_connected_to_column()
    {
        Backend.ClearSession();
        var x = Input(shape: [8], name: "x");
        var encoder = new Model(x, Dense(4, name: "h").Call(x), name: "encoder");
        var a = Input(shape: [8], name: "a");
        var b = Input(shape: [8], name: "b");
        var joined = Concatenate(name: "concat").Call(encoder.Call(a), encoder.Call(b));
        var siamese = new Model([a, b], Dense(1, name: "out").Call(joined), name: "siamese");
        Assert.Equal(Lines(
            "Model: \"siamese\"",
            "__________________________________________________________________________________________________",
            "Layer (type)                    Output Shape         Param #     Connected to",
            "==================================================================================================",
            "a (InputLayer)                  [(None, 8)]          0",
            "__________________________________________________________________________________________________",
            "b (InputLayer)                  [(None, 8)]          0",
            "__________________________________________________________________________________________________",
            "encoder (Functional)            (None, 4)            36          a[0][0]",
            "                                                                 b[0][0]",
            "__________________________________________________________________________________________________",
            "concat (Concatenate)            (None, 8)            0           encoder[1][0]",
            "                                                                 encoder[2][0]",
            "__________________________________________________________________________________________________",
            "out (Dense)                     (None, 1)            9           concat[0][0]",
            "==================================================================================================",
            "Total params: 45",
            "Trainable params: 45",
            "Non-trainable params: 0",
            "__________________________________________________________________________________________________"), TutorialSummaries.Text(siamese));
    }

    [Fact]
    public void Connected_to_numbers_a_layers_calls_across_models_as_keras_does()
    {
        Backend.ClearSession();
        var shared = Dense(2, name: "shared");
        shared.Call(Input(shape: [2], name: "elsewhere")); // call 0, in no model
        var b = Input(shape: [2], name: "b");
        var joined = Concatenate(name: "cat").Call(shared.Call(b), b);
        var text = TutorialSummaries.Text(new Model(b, joined, name: "m"));
        Assert.Contains("shared[1][0]", text);
        Assert.DoesNotContain("shared[0][0]", text);
        // The pure summary, which sees one model only, numbers within the model.
        var core = new Model(b, joined, name: "m2").CoreModel;
        Assert.Contains(Core.Summary.Lines(core), l => l.Contains("shared[0][0]"));
    }

    [Fact]
    public void A_non_linear_model_refuses_to_become_sequential_naming_the_layer()
    {
        Backend.ClearSession();
        var x = Input(shape: [4], name: "x");
        var left = Dense(3, name: "left").Call(x);
        var right = Dense(3, name: "right").Call(x);
        var merged = Add(name: "merge").Call(left, right);
        var model = new Model(x, merged, name: "branchy");
        var error = Assert.Throws<GraphError>(() => model.ToSequential());
        Assert.Contains("layer \"x\" (InputLayer) branches: its output feeds \"left\", \"right\"", error.Message);
        // The tutorial's loop stacks layers as Keras does, and Keras's own error stops it here.
        var s = new Sequential();
        var stacking = Assert.Throws<ShapeError>(() => { foreach (var layer in model.Layers) s.Add(layer); });
        Assert.Contains("right", stacking.Message);
        var pure = Assert.Throws<GraphError>(() => Core.Conversions.ToSequential(model.CoreModel, "s", new Core.LayerId(-1)));
        Assert.Contains("\"x\"", pure.Message);
        Assert.Contains("branches", pure.Message);
    }

    [Fact]
    public void Facade_conversions_keep_the_same_layers_and_weights()
    {
        Backend.ClearSession();
        var s = new Sequential([Dense(4, activation: "relu", inputShape: [3], name: "a"), Dropout(0.5, name: "drop"), Dense(2, name: "b")], name: "s");
        var f = s.ToFunctional("f");
        Assert.Equal(s.Layers.Select(l => l.Record), f.Layers.Skip(1).Select(l => l.Record));
        var back = f.ToSequential("s");
        Assert.Equal(s.CoreModel.Layers, back.CoreModel.Layers);
        Assert.Equal(TutorialSummaries.Text(s), TutorialSummaries.Text(back));
        Assert.Same(s.Layers[0], back.Layers[0]);
    }

    [Fact]
    public void Set_weights_checks_count_and_shapes_and_changes_nothing_on_error()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var a = Dense(2, name: "a");
        var model = new Model(x, Dense(1, name: "b").Call(a.Call(x)));
        var before = model.GetWeights();
        Assert.Equal(4, before.Length);
        Assert.Throws<ArgumentException>(() => a.SetWeights(Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => a.SetWeights(Tensor.Zeros(2, 3), Tensor.Zeros(2)));
        Assert.Throws<ArgumentException>(() => model.SetWeights(before[0], before[1], before[2], Tensor.Zeros(5)));
        Assert.Equal(before, model.GetWeights());
        var ones = before.Select(w => Tensor.Filled(1f, w.Shape.ToArray())).ToArray();
        model.SetWeights(ones);
        Assert.Equal(ones, model.GetWeights());
        // All ones: each unit of a is 3 + 1 = 4, and b is 4 + 4 + 1.
        Assert.Equal(9f, model.Predict(Tensor.Filled(1f, 1, 3))[0][0, 0]);
    }

    [Fact]
    public void A_disposed_result_gives_its_memory_back_and_cannot_be_read()
    {
        Backend.ClearSession();
        var x = Input(shape: [3]);
        var model = new Model(x, Dense(2).Call(x));
        var input = Tensor.FromArray([1, 2, 3, 4, 5, 6], [2, 3]);
        var first = model.Predict(input)[0];
        var values = first.ToArray();
        first.Dispose();
        Assert.True(first.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => first.ToArray());
        Assert.Throws<ObjectDisposedException>(() => first[0, 0]);
        first.Dispose(); // twice is harmless
        using var second = model.Predict(input)[0];
        Assert.Equal(values, second.ToArray());
        input.Dispose(); // a tensor the user made owns no pooled memory: nothing happens
        Assert.False(input.IsDisposed);
        Assert.Equal(6, input.ToArray().Length);
    }

    [Fact]
    public void Summary_writes_to_a_text_writer_and_to_a_line_callback_alike()
    {
        Backend.ClearSession();
        var model = new Sequential([Dense(2, inputShape: [3])]);
        var writer = new StringWriter();
        model.Summary(writer);
        var lines = new List<string>();
        model.Summary(lines.Add);
        Assert.Equal(string.Join(Environment.NewLine, lines) + Environment.NewLine, writer.ToString());
        var narrow = new List<string>();
        model.Summary(narrow.Add, lineLength: 40);
        Assert.All(narrow.Where(l => l.StartsWith('_') || l.StartsWith('=')), l => Assert.Equal(40, l.Length));
    }

    [Fact]
    public void A_sequential_without_input_shape_is_unbuilt_until_built()
    {
        Backend.ClearSession();
        var model = new Sequential([Dense(4), Dense(1)], name: "lazy");
        Assert.Equal(2, model.Layers.Count);
        Assert.Throws<InvalidOperationException>(() => model.Summary(_ => { }));
        model.Build(3);
        Assert.Contains("Total params: 21", TutorialSummaries.Text(model));
    }

    [Fact]
    public void A_sequential_without_input_shape_builds_when_first_called()
    {
        Backend.ClearSession();
        var inner = new Sequential([Dense(4), Dense(1)], name: "lazy");
        var x = Input(shape: [3], name: "x");
        var outer = new Model(x, inner.Call(x), name: "outer");
        Assert.Contains("lazy (Sequential)            (None, 1)                 21", TutorialSummaries.Text(outer));
    }
}
