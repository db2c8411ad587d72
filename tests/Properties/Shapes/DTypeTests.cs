using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Shapes;

/// <summary>
/// Dtypes through the stack: int32 tensors, Input(dtype:), the dtypes graph nodes infer, and the
/// casts Keras makes where a tensor meets an input of another dtype.
/// </summary>
public sealed class DTypeTests
{
    /// <summary>Small int32 arrays with a shape: (values, rows, columns).</summary>
    private static readonly Gen<(int[] Values, int Rows, int Cols)> Matrix =
        from rows in Gen.Choose(1, 5)
        from cols in Gen.Choose(1, 6)
        from values in Gen.Choose(-(1 << 24), 1 << 24).ArrayOf(rows * cols)
        select (values, rows, cols);

    [Property]
    public Property FromInts_round_trips_its_values_and_shape() =>
        Prop.ForAll(Matrix.ToArbitrary(), m =>
        {
            var t = Tensor.FromInts(m.Values, [m.Rows, m.Cols]);
            return (t.DType == DType.Int32 && t.ToIntArray().SequenceEqual(m.Values) && t.Shape == Shape.Known(m.Rows, m.Cols)
                && t.Equals(Tensor.FromInts(m.Values, [m.Rows, m.Cols])))
                .Label($"{t}");
        });

    [Property]
    public Property An_int32_tensor_is_not_equal_to_the_float32_tensor_of_the_same_bits() =>
        Prop.ForAll(Matrix.ToArbitrary(), m =>
        {
            var ints = Tensor.FromInts(m.Values, [m.Rows, m.Cols]);
            var bits = Tensor.FromArray(m.Values.Select(BitConverter.Int32BitsToSingle).ToArray(), [m.Rows, m.Cols]);
            return !ints.Equals(bits);
        });

    /// <summary>A model that passes an int32 input through (Flatten keeps the dtype): what it returns is what it was fed, as int32.</summary>
    private static Keras.Model IntPassThrough(int cols, out string inputName)
    {
        Backend.ClearSession();
        var input = Input(shape: [cols], dtype: "int32", name: "tokens");
        inputName = input.Layer.Name;
        return new Keras.Model(input, Flatten().Call(input));
    }

    [Property(MaxTest = 40)]
    public Property Float32_integral_values_fed_to_an_int_input_are_cast_exactly() =>
        Prop.ForAll(Matrix.ToArbitrary(), m =>
        {
            var model = IntPassThrough(m.Cols, out _);
            var floats = Tensor.FromArray(m.Values.Select(v => (float)v).ToArray(), [m.Rows, m.Cols]);
            using var y = model.Predict(floats)[0];
            return (y.DType == DType.Int32 && y.ToIntArray().SequenceEqual(m.Values)).Label($"{y}");
        });

    [Property(MaxTest = 40)]
    public Property A_non_integral_value_fed_to_an_int_input_is_refused_naming_the_input_the_index_and_the_value() =>
        Prop.ForAll((from m in Matrix from at in Gen.Choose(0, m.Values.Length - 1) select (m, at)).ToArbitrary(), c =>
        {
            var (m, at) = c;
            var model = IntPassThrough(m.Cols, out var name);
            var values = m.Values.Select(v => (float)v).ToArray();
            values[at] = (at % 7) + 0.5f;
            var error = Record.Exception(() => model.Predict(Tensor.FromArray(values, [m.Rows, m.Cols])));
            string index = $"({at / m.Cols}, {at % m.Cols})";
            string value = values[at].ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            return (error is ArgumentException && error.Message.Contains($"\"{name}\"") && error.Message.Contains(index)
                    && error.Message.Contains(value) && error.Message.Contains("int32"))
                .Label(error?.Message ?? "(no exception)");
        });

    [Fact]
    public void An_int32_output_keeps_its_dtype_through_predict_in_batches()
    {
        var model = IntPassThrough(3, out _);
        int[] values = [.. Enumerable.Range(-20, 60)];
        using var y = model.Predict(Tensor.FromInts(values, [20, 3]), batchSize: 7)[0];
        Assert.Equal(DType.Int32, y.DType);
        Assert.Equal(values, y.ToIntArray());
    }

    [Fact]
    public void An_int32_tensor_fed_to_a_float_input_gives_what_the_float32_tensor_gives()
    {
        Backend.ClearSession();
        var input = Input(shape: [4]);
        var model = new Keras.Model(input, Dense(3, activation: "tanh").Call(input));
        int[] values = [3, -1, 0, 7, 2, 2, -5, 1];
        using var fromInts = model.Predict(Tensor.FromInts(values, [2, 4]))[0];
        using var fromFloats = model.Predict(Tensor.FromArray([.. values.Select(v => (float)v)], [2, 4]))[0];
        Assert.Equal(DType.Float32, fromInts.DType);
        Assert.Equal(fromFloats.ToArray(), fromInts.ToArray());
    }

    [Fact]
    public void A_dense_on_an_int32_input_casts_it_to_float_as_keras_matmul_does()
    {
        // Keras 3 leaves int inputs alone at the layer (autocast only touches floats) and its matmul
        // promotes int32 with a float32 kernel to float32: the Dense computes on the values as floats.
        Backend.ClearSession();
        var dense = Dense(2, activation: "relu");
        var ints = Input(shape: [3], dtype: "int32");
        var viaInts = dense.Call(ints);
        Assert.Equal("float32", viaInts.DType);
        var intModel = new Keras.Model(ints, viaInts);
        var floats = Input(shape: [3]);
        var floatModel = new Keras.Model(floats, dense.Call(floats));
        int[] values = [1, -2, 3, 40, 5, -6];
        using var a = intModel.Predict(Tensor.FromInts(values, [2, 3]))[0];
        using var b = floatModel.Predict(Tensor.FromArray([.. values.Select(v => (float)v)], [2, 3]))[0];
        Assert.Equal(b.ToArray(), a.ToArray());
        // Training converts as inference does: one step on the int32 values is the step on their float copies.
        intModel.Compile("sgd", "mse");
        floatModel.Compile("sgd", "mse");
        var before = dense.GetWeights();
        intModel.Fit(Tensor.FromInts(values, [2, 3]), Tensor.Zeros(2, 2), verbose: 0);
        var viaIntsWeights = dense.GetWeights();
        dense.SetWeights(before);
        floatModel.Fit(Tensor.FromArray([.. values.Select(v => (float)v)], [2, 3]), Tensor.Zeros(2, 2), verbose: 0);
        Assert.Equal(dense.GetWeights().Select(w => w.ToArray()), viaIntsWeights.Select(w => w.ToArray()));
        Assert.NotEqual(before[0].ToArray(), viaIntsWeights[0].ToArray());
    }

    [Fact]
    public void Keras_tensors_print_their_dtype_and_unknown_dims()
    {
        Backend.ClearSession();
        var x = Input(shape: [null], dtype: "int32");
        Assert.Equal("<KerasTensor: shape=(None, None) dtype=int32 (created by layer 'input_1')>", x.ToString());
        Assert.Equal("int32", x.DType);
        var f = Flatten().Call(Input(shape: [2, 3], dtype: "int32"));
        Assert.Equal("int32", f.DType);
        var d = Dense(4).Call(Input(shape: [null, 64]));
        Assert.Equal("<KerasTensor: shape=(None, None, 4) dtype=float32 (created by layer 'dense')>", d.ToString());
        Assert.Throws<ArgumentException>(() => Input(shape: [3], dtype: "complex64"));
        Assert.Throws<ArgumentException>(() => Input(shape: [null, 0]));
    }

    [Fact]
    public void Fit_and_evaluate_accept_int32_data_for_a_float_input_and_int32_targets()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        var model = new Keras.Model(input, Dense(1).Call(input));
        model.Compile("sgd", "mse");
        var x = Tensor.FromInts([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);
        var y = Tensor.FromInts([1, 2, 3, 0], [4, 1]);
        var xf = Tensor.FromArray([1, 0, 0, 1, 1, 1, 0, 0], [4, 2]);
        var yf = Tensor.FromArray([1, 2, 3, 0], [4, 1]);
        Assert.Equal(model.Evaluate(xf, yf)["loss"], model.Evaluate(x, y)["loss"]);
        var before = model.Evaluate(x, y)["loss"];
        model.Fit(x, y, epochs: 20, verbose: 0, shuffle: false);
        Assert.True(model.Evaluate(x, y)["loss"] < before);
    }

    [Fact]
    public void Graph_nodes_know_their_dtypes_and_float_nodes_store_none()
    {
        var graph = DeepGraph.Core.Graph.Empty(1);
        var (g1, ints) = graph.AddInput(new Core.InputLayer(Shape.Of(null, 3)) { Id = new Core.LayerId(1), Name = "i", DType = DType.Int32 });
        var (g2, flat) = g1.Call(new Core.Flatten { Id = new Core.LayerId(2), Name = "f" }, [ints], 0);
        var (g3, dense) = g2.Call(new Core.Dense(2) { Id = new Core.LayerId(3), Name = "d" }, [flat[0]], 0);
        Assert.Equal(DType.Int32, g3.DTypeOf(ints));
        Assert.Equal(DType.Int32, g3.DTypeOf(flat[0]));
        Assert.Equal(DType.Float32, g3.DTypeOf(dense[0]));
        Assert.Empty(g3.NodeOf(dense[0]).OutputDTypes);
    }

    [Fact]
    public void TfJs_save_and_load_keep_an_input_dtype_and_unknown_dims()
    {
        Backend.ClearSession();
        var tokens = Input(shape: [null], dtype: "int32", name: "tokens");
        var sequence = Input(shape: [null, 3], name: "sequence");
        var model = new Keras.Model([tokens, sequence], [Flatten().Call(tokens), Dense(2).Call(sequence)], name: "typed");
        string folder = Path.Combine(Path.GetTempPath(), "deepgraph-dtypes-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string path = Path.Combine(folder, "model.json");
            model.Save(path);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            var inputConfig = json["modelTopology"]!["config"]!["layers"]![0]!["config"]!;
            Assert.Equal("int32", (string?)inputConfig["dtype"]);
            Assert.Equal("[null,null]", inputConfig["batch_input_shape"]!.ToJsonString());
            var loaded = Models.LoadModel(path);
            Assert.Equal(["int32", "float32"], loaded.Inputs.Select(t => t.DType));
            Assert.Equal([Shape.Of(null, null), Shape.Of(null, null, 3)], loaded.Inputs.Select(t => t.Shape));
            var ids = Tensor.FromInts([4, 8, 15, 16, 23, 42], [2, 3]);
            var x = Tensor.FromArray([.. Enumerable.Range(0, 2 * 5 * 3).Select(i => i * 0.1f)], [2, 5, 3]);
            var before = model.Predict(ids, x);
            var after = loaded.Predict(ids, x);
            Assert.Equal(DType.Int32, after[0].DType);
            Assert.Equal(before[0].ToIntArray(), after[0].ToIntArray());
            Assert.Equal(before[1].ToArray(), after[1].ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
