using DeepGraph.Keras;

namespace DeepGraph.Properties.Docs;

/// <summary>
/// docs/writing-a-layer.md shows compiled code: each C# block appears in WritingALayerSamples.cs and
/// each F# block in tests/FSharp/CustomLayerTests.fs (line by line, indentation aside), and the
/// samples run.
/// </summary>
public sealed class WritingALayerIsCompiled
{
    private static IEnumerable<string> Blocks(string text, string language)
    {
        var fence = $"```{language}\n";
        for (int start = text.IndexOf(fence, StringComparison.Ordinal); start >= 0; start = text.IndexOf(fence, start, StringComparison.Ordinal))
        {
            start += fence.Length;
            int end = text.IndexOf("```", start, StringComparison.Ordinal);
            yield return text[start..end];
            start = end + 3;
        }
    }

    /// <summary>Lines without their indentation, so a block shown at the left margin matches code inside a method.</summary>
    private static string Trimmed(string code) => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()));

    [Theory]
    [InlineData("csharp", "tests/Properties/Docs/WritingALayerSamples.cs", 7)]
    [InlineData("fsharp", "tests/FSharp/CustomLayerTests.fs", 2)]
    public void Every_code_block_of_the_page_is_in_a_compiled_file(string language, string file, int expectedBlocks)
    {
        var root = DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "writing-a-layer.md")).ReplaceLineEndings("\n");
        var source = Trimmed(File.ReadAllText(Path.Combine(root, file)));
        var blocks = Blocks(page, language).ToList();
        Assert.Equal(expectedBlocks, blocks.Count);
        foreach (var block in blocks)
            Assert.True(source.Contains(Trimmed(block).Trim('\n'), StringComparison.Ordinal), $"This {language} block of docs/writing-a-layer.md is not in {file}:\n{block}");
    }

    [Fact]
    public void The_index_links_the_page() =>
        Assert.Contains("(writing-a-layer.md)", File.ReadAllText(Path.Combine(DocsAreCompiled.RepoRoot(), "docs", "index.md")));

    [Fact]
    public void The_pages_samples_run()
    {
        Backend.ClearSession();
        var rng = new Random(3);
        var x = Tensor.FromArray([.. Enumerable.Range(0, 128).Select(_ => (float)(rng.NextDouble() * 2 - 1))], [32, 4]);
        var v = x.ToArray();
        var y = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => v[4 * i] - 0.5f * v[4 * i + 3])], [32, 1]);
        var (first, last) = WritingALayer.Train(x, y);
        Assert.True(last < first, $"loss {first} → {last}");
        Assert.Equal(Shape.Of(null, 8), WritingALayer.GateShape());

        var folder = Path.Combine(Path.GetTempPath(), "deepgraph-writing-a-layer-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (saved, loaded) = WritingALayer.SaveAndLoad(Path.Combine(folder, "model.json"));
            Assert.IsType<MyDense>(loaded.Layers[1]);
            Assert.Equal(saved.CoreModel.Layers, loaded.CoreModel.Layers);
            Assert.Equal(saved.Predict(x)[0].ToArray(), loaded.Predict(x)[0].ToArray());
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }

        var model = WritingALayer.CompileWithFunctions();
        var y2 = Tensor.FromArray([.. Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i))], [32, 2]);
        var history = model.Fit(x, y2, epochs: 3, verbose: 0);
        Assert.Equal(3, history["max_error"].Count);
        Assert.All(history["max_error"].Zip(history["mae"]), p => Assert.True(p.First >= p.Second - 1e-6, $"max {p.First} < mean {p.Second}"));
    }
}
