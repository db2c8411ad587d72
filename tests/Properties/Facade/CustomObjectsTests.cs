using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Keras;
using DeepGraph.Properties.Layers.Registry;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// Loading and saving a user's layer class through the facade: <c>Models.LoadModel(path, customObjects)</c> for
/// one load, <c>Saving.RegisterKerasSerializable</c> for the process; a class neither names is refused by name.
/// </summary>
public sealed class CustomObjectsTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "deepgraph-custom-objects-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    /// <summary>input (3) → Dense(2) → <paramref name="custom"/>, written with a registry that knows the custom kind.</summary>
    private string SaveWith(Core.Layer custom, LayerKind kind)
    {
        var core = Build(custom);
        var (json, weights) = TfjsModel.Write(core, "w.bin", LayerRegistry.Default.With(kind));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{custom.ClassName}.json");
        File.WriteAllText(path, json);
        File.WriteAllBytes(Path.Combine(folder, "w.bin"), weights);
        return path;
    }

    private static Core.Model Build(Core.Layer custom)
    {
        var (graph, x) = Core.Graph.Empty(Core.Model.ModelScope).AddInput(new InputLayer(Shape.Of(null, 3)) { Id = new(1), Name = "in" });
        var source = x;
        foreach (var (layer, i) in new Core.Layer[] { new Dense(2) { Id = new(2), Name = "d" }, custom }.Select((l, i) => (l, i)))
        {
            var (next, outs) = graph.Call(layer, [x], seed: 5 + i);
            (graph, x) = (next, outs[0]);
        }
        return Core.Model.Functional(graph, [source], [x], "custom_model", new LayerId(50));
    }

    [Theory]
    [InlineData(".keras")]
    [InlineData(".h5")]
    public void A_custom_class_in_a_Keras_file_loads_when_given_and_is_refused_by_name_otherwise(string extension)
    {
        var core = Build(new Scale(3) { Id = new(3), Name = "triple" });
        var registry = LayerRegistry.Default.With(Scale.Kind);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "custom" + extension);
        using (var stream = File.Create(path))
        {
            if (extension == ".keras") KerasArchive.Write(core, stream, registry: registry);
            else KerasH5.Write(core, stream, registry: registry);
        }
        var e = Assert.Throws<UnsupportedLayerError>(() => Models.LoadModel(path));
        Assert.Equal(("triple", "Scale"), (e.LayerName, e.ClassName));
        Assert.Equal(extension == ".keras" ? "3.8.0" : "2.15.0", e.KerasVersion);

        var model = Models.LoadModel(path, customObjects: [Scale.Kind]);
        Assert.Equal(3, Assert.IsType<Scale>(model.Layers[^1].Record).Factor);
        var input = Tensor.FromArray([1, 2, 3, -1, 0, 4], [2, 3]);
        var want = Core.Executor.Run(core, [input], new ForwardContext(DeepGraph.Properties.Execution.Harness.Managed, new TensorPool()))[0].ToArray();
        Assert.Equal(want, model.Predict(input)[0].ToArray());
    }

    [Fact]
    public void LoadModel_reads_a_custom_class_given_as_custom_objects_and_refuses_it_otherwise()
    {
        var path = SaveWith(new Scale(3) { Id = new(3), Name = "triple" }, Scale.Kind);

        var e = Assert.Throws<UnsupportedLayerError>(() => Models.LoadModel(path));
        Assert.Contains("unknown layer class 'Scale'", e.Message);
        Assert.Contains("\"triple\"", e.Message);
        Assert.Contains("RegisterKerasSerializable", e.Message);

        var model = Models.LoadModel(path, customObjects: [Scale.Kind]);
        var scale = Assert.IsType<Scale>(model.Layers[^1].Record);
        Assert.Equal(3, scale.Factor);
        var input = Tensor.FromArray([1, 2, 3, -1, 0, 4], [2, 3]);
        var withScale = model.Predict(input)[0].ToArray();
        var dense = ((Core.Model)model.CoreModel).Layers.OfType<Dense>().Single();
        Assert.Equal(4, withScale.Length);
        // The Scale layer triples the Dense layer's output.
        var kernel = dense.Params[0].ToArray();
        var bias = dense.Params[1].ToArray();
        for (int r = 0; r < 2; r++)
            for (int u = 0; u < 2; u++)
            {
                float z = bias[u];
                for (int k = 0; k < 3; k++) z += input.ToArray()[r * 3 + k] * kernel[k * 2 + u];
                Assert.Equal(3 * z, withScale[r * 2 + u], 4);
            }
    }

    [Fact]
    public void A_class_registered_for_the_process_is_loaded_and_saved()
    {
        var path = SaveWith(new Offset(0.5) { Id = new(3), Name = "shift" }, Offset.Kind);
        Saving.RegisterKerasSerializable(Offset.Kind);
        Assert.Same(Offset.Kind, Saving.GetRegisteredObject("Offset"));

        var model = Models.LoadModel(path);
        Assert.Equal(0.5, Assert.IsType<Offset>(model.Layers[^1].Record).Amount);
        var again = Path.Combine(folder, "again", "model.json");
        model.Save(again);
        var reloaded = Models.LoadModel(again);
        Assert.Equal(TfjsModel.Write(model.CoreModel, "w.bin", Saving.Registry).ModelJson, TfjsModel.Write(reloaded.CoreModel, "w.bin", Saving.Registry).ModelJson);
        Assert.Contains("\"class_name\":\"Offset\"", File.ReadAllText(again));
    }
}

/// <summary>A user's layer used only by the process-wide registration test: adds a constant.</summary>
public sealed record Offset : Core.Layer
{
    /// <summary>Adds <paramref name="amount"/>.</summary>
    public Offset(double amount) => Amount = amount;

    /// <summary>The amount added.</summary>
    public double Amount { get; }

    /// <inheritdoc/>
    public override string ClassName => "Offset";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0].Span;
        var y = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(outputs[0].Span), outputs[0].Span.Length);
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] + Amount);
    }

    /// <summary>Class <c>Offset</c>, config <c>{"amount": …}</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Offset>("Offset",
        (c, id, name) => new Offset(c.Double("amount")) { Id = id, Name = name },
        o => new JsonObject { ["amount"] = o.Amount });
}
