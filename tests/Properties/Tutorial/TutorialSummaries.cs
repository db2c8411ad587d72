using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Tutorial;

/// <summary>
/// Every program of the Keras functional-API tutorial (shared/seed/functional-api-tutorial.md)
/// in C#, compared with what TF 2.x Keras prints. The tutorial's markdown dropped the `=` rules
/// and cut some tables short; the expected texts below are the full tables, and a second test
/// checks that every table row the tutorial does show appears verbatim in ours.
/// </summary>
public sealed class TutorialSummaries
{
    private const string SModel = """
        Model: "s_model"
        _________________________________________________________________
        Layer (type)                 Output Shape              Param #
        =================================================================
        first_layer (Conv2D)         (None, 220, 220, 100)     7600
        _________________________________________________________________
        second_layer (Conv2D)        (None, 216, 216, 50)      125050
        _________________________________________________________________
        third_layer (Conv2D)         (None, 212, 212, 32)      40032
        _________________________________________________________________
        flatten_layer (Flatten)      (None, 1438208)           0
        _________________________________________________________________
        fifthy_layer (Dense)         (None, 64)                92045376
        _________________________________________________________________
        output_layer (Dense)         (None, 1)                 65
        =================================================================
        Total params: 92,218,123
        Trainable params: 92,218,123
        Non-trainable params: 0
        _________________________________________________________________
        """;

    private static string Functional(string name, string inputRow) => $"""
        Model: "{name}"
        _________________________________________________________________
        Layer (type)                 Output Shape              Param #
        =================================================================
        {inputRow}
        _________________________________________________________________
        first_layer (Conv2D)         (None, 220, 220, 100)     7600
        _________________________________________________________________
        second_layer (Conv2D)        (None, 216, 216, 50)      125050
        _________________________________________________________________
        third_layer (Conv2D)         (None, 212, 212, 32)      40032
        _________________________________________________________________
        flatten_layer (Flatten)      (None, 1438208)           0
        _________________________________________________________________
        fifthy_layer (Dense)         (None, 64)                92045376
        _________________________________________________________________
        output_layer (Dense)         (None, 1)                 65
        =================================================================
        Total params: 92,218,123
        Trainable params: 92,218,123
        Non-trainable params: 0
        _________________________________________________________________
        """;

    private static Sequential MakeSModel() => new([
        Conv2D(100, 5, activation: "tanh", name: "first_layer", inputShape: [224, 224, 3]),
        Conv2D(50, 5, activation: "tanh", name: "second_layer"),
        Conv2D(32, 5, activation: "tanh", name: "third_layer"),
        Flatten(name: "flatten_layer"),
        Dense(64, activation: "relu", name: "fifthy_layer"),
        Dense(1, activation: "sigmoid", name: "output_layer"),
    ], name: "s_model");

    private static Model MakeF1Model()
    {
        var inputLayer = Input(shape: [224, 224, 3], name: "input_layer");
        var firstLayer = Conv2D(100, 5, activation: "tanh", name: "first_layer");
        var secondLayer = Conv2D(50, 5, activation: "tanh", name: "second_layer");
        var thirdLayer = Conv2D(32, 5, activation: "tanh", name: "third_layer");
        var flattenLayer = Flatten(name: "flatten_layer");
        var fifthyLayer = Dense(64, activation: "relu", name: "fifthy_layer");
        var outputLayer = Dense(1, activation: "sigmoid", name: "output_layer");
        var x = firstLayer.Call(inputLayer);
        x = secondLayer.Call(x);
        x = thirdLayer.Call(x);
        x = flattenLayer.Call(x);
        x = fifthyLayer.Call(x);
        x = outputLayer.Call(x);
        return new Model(inputs: inputLayer, outputs: x, name: "f1_model");
    }

    private static Model MakeF2Model()
    {
        var inputLayer = Input(shape: [224, 224, 3], name: "input_layer");
        var firstLayer = Conv2D(100, 5, activation: "tanh", name: "first_layer").Call(inputLayer);
        var secondLayer = Conv2D(50, 5, activation: "tanh", name: "second_layer").Call(firstLayer);
        var thirdLayer = Conv2D(32, 5, activation: "tanh", name: "third_layer").Call(secondLayer);
        var flattenLayer = Flatten(name: "flatten_layer").Call(thirdLayer);
        var fifthyLayer = Dense(64, activation: "relu", name: "fifthy_layer").Call(flattenLayer);
        var outputLayer = Dense(1, activation: "sigmoid", name: "output_layer").Call(fifthyLayer);
        return new Model(inputs: inputLayer, outputs: outputLayer, name: "f1_model");
    }

    private static Model MakeF3Model(Sequential sModel)
    {
        var inputLayer = Input(shape: [224, 224, 3]);
        var x = sModel.Layers[0].Call(inputLayer);
        foreach (var layer in sModel.Layers.Skip(1)) x = layer.Call(x);
        return new Model(inputs: inputLayer, outputs: x, name: "f3_model");
    }

    private static Sequential MakeS1Model(Model f1Model)
    {
        var s1Model = new Sequential();
        foreach (var layer in f1Model.Layers) s1Model.Add(layer);
        return s1Model;
    }

    internal static string Text(Model model)
    {
        var lines = new List<string>();
        model.Summary(lines.Add);
        return string.Join("\n", lines.Select(l => l.TrimEnd()));
    }

    private static string Normalize(string text) => string.Join("\n", text.Split('\n').Select(l => l.TrimEnd()));

    [Fact]
    public void S_model_prints_the_tutorial_table()
    {
        Backend.ClearSession();
        Assert.Equal(Normalize(SModel), Text(MakeSModel()));
    }

    [Fact]
    public void F1_model_method_1_prints_the_tutorial_table()
    {
        Backend.ClearSession();
        Assert.Equal(Normalize(Functional("f1_model", "input_layer (InputLayer)     [(None, 224, 224, 3)]     0")), Text(MakeF1Model()));
    }

    [Fact]
    public void F2_model_method_2_prints_the_same_table_as_method_1()
    {
        Backend.ClearSession();
        Assert.Equal(Normalize(Functional("f1_model", "input_layer (InputLayer)     [(None, 224, 224, 3)]     0")), Text(MakeF2Model()));
    }

    [Fact]
    public void F3_model_from_s_model_layers_prints_the_tutorial_table()
    {
        Backend.ClearSession();
        var sModel = MakeSModel();
        // A fresh session names the unnamed input input_1 ...
        Assert.Equal(Normalize(Functional("f3_model", "input_1 (InputLayer)         [(None, 224, 224, 3)]     0")), Text(MakeF3Model(sModel)));
        // ... and the notebook's In [18], run after an earlier unnamed Input, got input_2: so do we.
        Assert.Equal(Normalize(Functional("f3_model", "input_2 (InputLayer)         [(None, 224, 224, 3)]     0")), Text(MakeF3Model(sModel)));
    }

    [Fact]
    public void S1_model_from_f1_model_layers_prints_the_tutorial_table()
    {
        Backend.ClearSession();
        var s1 = MakeS1Model(MakeF1Model());
        Assert.Equal(Normalize(SModel.Replace("\"s_model\"", "\"sequential\"")), Text(s1));
    }

    [Fact]
    public void Inputs_and_outputs_print_as_keras_prints_them()
    {
        Backend.ClearSession();
        var f1 = MakeF1Model();
        Assert.Equal("[<KerasTensor: shape=(None, 224, 224, 3) dtype=float32 (created by layer 'input_layer')>]", f1.Inputs.ToString());
        Assert.Equal("[<KerasTensor: shape=(None, 1) dtype=float32 (created by layer 'output_layer')>]", f1.Outputs.ToString());
        Assert.Equal("<KerasTensor: shape=(None, 64) dtype=float32 (created by layer 'fifthy_layer')>", f1.Layers[^1].Input.ToString());
        Assert.Equal("<KerasTensor: shape=(None, 1) dtype=float32 (created by layer 'output_layer')>", f1.Layers[^1].Output.ToString());
    }

    [Fact]
    public void Every_row_the_tutorial_shows_appears_verbatim_in_our_tables()
    {
        Backend.ClearSession();
        var sModel = MakeSModel();
        var f1 = MakeF1Model();
        Text(MakeF3Model(sModel)); // the notebook's earlier unnamed Input (see the F3 test)
        var ours = new[] { Text(sModel), Text(f1), Text(MakeF2Model()), Text(MakeF3Model(sModel)), Text(MakeS1Model(f1)) }
            .SelectMany(t => t.Split('\n')).ToHashSet();
        // In [19] and In [24] print Python tuples of these.
        ours.UnionWith([$"({f1.Inputs},", $" {f1.Outputs})", $"({f1.Layers[^1].Input},", $" {f1.Layers[^1].Output})"]);
        var tutorial = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Tutorial", "functional-api-tutorial.md"));
        var rows = tutorial.Select(l => l.TrimEnd())
            .Where(l => l.StartsWith("Model: ") || l.Contains("(None") || l.StartsWith("Layer (type)") || l.Contains(" params: "))
            .ToList();
        Assert.True(rows.Count >= 40, $"expected the tutorial's tables, found {rows.Count} rows");
        Assert.All(rows, row => Assert.Contains(row, ours));
    }
}
