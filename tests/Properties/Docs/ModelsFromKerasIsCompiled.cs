using DeepGraph.Keras;
using DeepGraph.Properties.Serialization;

namespace DeepGraph.Properties.Docs;

/// <summary>
/// docs/models-from-keras.md shows compiled code (each C# block appears in ModelsFromKerasSamples.cs, line by line,
/// indentation aside), the pages that should link it do, and the programs run on a file Keras wrote.
/// </summary>
public sealed class ModelsFromKerasIsCompiled : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("deepgraph-docs-keras-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Every_code_block_of_the_page_is_in_the_compiled_samples_and_the_docs_link_the_page()
    {
        var root = DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "models-from-keras.md")).ReplaceLineEndings("\n");
        var source = DocBlocks.Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Docs", "ModelsFromKerasSamples.cs")));
        var blocks = DocBlocks.CSharp(page).ToList();
        Assert.Equal(6, blocks.Count);
        foreach (var block in blocks)
            Assert.True(source.Contains(DocBlocks.Trimmed(block).Trim('\n'), StringComparison.Ordinal), $"This block of docs/models-from-keras.md is not in ModelsFromKerasSamples.cs:\n{block}");
        Assert.Contains("(models-from-keras.md)", File.ReadAllText(Path.Combine(root, "docs", "index.md")));
        Assert.Contains("(models-from-keras.md)", File.ReadAllText(Path.Combine(root, "docs", "inference.md")));
        Assert.Contains("(docs/models-from-keras.md)", File.ReadAllText(Path.Combine(root, "README.md")));
    }

    [Fact]
    public void The_resume_example_gives_the_weights_of_a_run_that_never_stopped()
    {
        var x = Tensor.FromArray([.. Enumerable.Range(0, 10 * 4).Select(i => (float)Math.Sin(0.7 * i))], [10, 4]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 10 * 2).Select(i => (float)((i / 2 + i) % 2))], [10, 2]);
        Keras.Model Compiled()
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(3);
            var model = new Sequential([DeepGraph.Keras.Layers.Input(shape: [4]), DeepGraph.Keras.Layers.Dense(6, activation: "relu"), DeepGraph.Keras.Layers.Dropout(0.2), DeepGraph.Keras.Layers.Dense(2, activation: "softmax")]);
            model.Compile(Optimizers.Adam(0.01), "categorical_crossentropy");
            return model;
        }
        var straight = Compiled();
        straight.Fit(x, y, batchSize: 4, epochs: 4, verbose: 0);
        var resumed = ModelsFromKeras.Resume(Compiled(), dir, x, y, seed: 3);
        Assert.Empty(resumed.LoadWarnings);
        Assert.Equal(straight.GetWeights().Select(w => w.ToArray()), resumed.GetWeights().Select(w => w.ToArray()));
    }

    [Fact]
    public void The_refusal_example_names_a_file_that_is_no_model()
    {
        var path = Path.Combine(dir, "notes.h5");
        File.WriteAllText(path, "not a model");
        Assert.Contains("neither a zip", ModelsFromKeras.Refused(path));
    }

    [Fact]
    [Trait("Needs", "KerasContainers")]
    public void The_programs_run_on_the_keras_3_file_and_what_they_save_loads_back_identically()
    {
        Backend.ClearSession();
        File.Copy(Path.Combine(Fixtures.KerasFiles, "keras-team-keras@22ad5fdb32", "model.keras"), Path.Combine(dir, "m.keras"));
        var x = Tensor.FromArray([.. Enumerable.Range(0, 2 * 3 * 2).Select(i => (float)Math.Cos(i))], [2, 3, 2]);
        var (model, outputs, printed) = ModelsFromKeras.LoadAndPredict(dir, x);
        Assert.Single(outputs);
        Assert.Empty(printed);
        ModelsFromKeras.SaveBack(model, dir);
        foreach (var name in new[] { "copy.keras", "copy.h5", "copy.json", "copy.bin" })
            Assert.Equal(outputs[0].ToArray(), Models.LoadModel(Path.Combine(dir, name)).Predict(x)[0].ToArray());
        var same = ModelsFromKeras.SaveAndVerify(model, dir, x);
        Assert.Equal(outputs[0].ToArray(), same.Predict(x)[0].ToArray());
        Assert.Null(ModelsFromKeras.Refused(Path.Combine(dir, "checked.keras")));

        // Keras JSON (the topology alone, as to_json() gives it) and a weights file beside it.
        var topology = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "copy.json")))!["modelTopology"]!;
        File.WriteAllText(Path.Combine(dir, "model.json"), topology.ToJsonString());
        File.Copy(Path.Combine(dir, "copy.h5"), Path.Combine(dir, "model.weights.h5"));
        Assert.Equal(outputs[0].ToArray(), ModelsFromKeras.LoadJsonAndWeights(dir).Predict(x)[0].ToArray());
    }
}
