using DeepGraph.Keras;

namespace DeepGraph.Properties.Docs;

/// <summary>
/// docs/training.md's "Training conveniences" section shows compiled code: each of its C# blocks
/// appears in TrainingDocsSamples.cs (line by line, indentation aside), and the samples run.
/// </summary>
public sealed class TrainingDocsAreCompiled
{
    private const string Section = "## Training conveniences";

    private static string Trimmed(string code) => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()));

    [Fact]
    public void Every_code_block_of_the_section_is_in_the_compiled_samples()
    {
        var root = DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "training.md")).ReplaceLineEndings("\n");
        int start = page.IndexOf(Section, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/training.md has no \"{Section}\" section.");
        int end = page.IndexOf("\n## ", start + Section.Length, StringComparison.Ordinal);
        var section = page[start..(end < 0 ? page.Length : end)];
        var source = Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Docs", "TrainingDocsSamples.cs")));
        var blocks = new List<string>();
        for (int at = section.IndexOf("```csharp\n", StringComparison.Ordinal); at >= 0; at = section.IndexOf("```csharp\n", at, StringComparison.Ordinal))
        {
            at += "```csharp\n".Length;
            int close = section.IndexOf("```", at, StringComparison.Ordinal);
            blocks.Add(section[at..close]);
            at = close + 3;
        }
        Assert.Equal(8, blocks.Count);
        foreach (var block in blocks)
            Assert.True(source.Contains(Trimmed(block).Trim('\n'), StringComparison.Ordinal), $"This C# block of docs/training.md is not in TrainingDocsSamples.cs:\n{block}");
    }

    [Fact]
    public void The_sections_samples_run()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(5);
        var rng = new Random(5);
        int n = 60;
        var x = Tensor.FromArray([.. Enumerable.Range(0, 4 * n).Select(_ => (float)(rng.NextDouble() * 2 - 1))], [n, 4]);
        var v = x.ToArray();
        float[] classes = [.. Enumerable.Range(0, n).Select(i => v[4 * i] > 0.3f ? 2f : v[4 * i + 1] > 0 ? 1f : 0f)];
        var labels = Tensor.FromArray(classes, [n]);
        var weights = Tensor.FromArray([.. classes.Select(c => c == 2 ? 5f : 1f)], [n]);

        var history = TrainingDocs.Schedule(TrainingDocs.Classifier(), x, labels);
        Assert.Equal(5, history["loss"].Count);

        var rates = TrainingDocs.Callbacks(TrainingDocs.Classifier(), x, labels);
        Assert.Equal(6, rates.Count);
        Assert.Equal((double)0.01f, rates[0]);
        Assert.True(rates[3] < rates[2], $"the scheduler lowers the rate from epoch 3: {string.Join(", ", rates)}");

        var scores = TrainingDocs.Weighted(TrainingDocs.Classifier(), x, labels, weights);
        Assert.True(double.IsFinite(scores["loss"]) && scores["accuracy"] is >= 0 and <= 1);

        var oneHot = Utils.ToCategorical(labels, 3);
        var objects = TrainingDocs.Objects(TrainingDocs.Classifier(), x, oneHot);
        Assert.Equal(["loss", "categorical_accuracy", "precision", "recall", "mse"], objects.HistoryData.Keys);

        var two = TrainingDocs.TwoHeads(x, labels, Tensor.FromArray([.. Enumerable.Range(0, n).Select(i => v[4 * i + 2])], [n, 1]));
        Assert.Equal(two["kind_loss"] + 0.2 * two["size_loss"], two["loss"], 5);

        var counter = TrainingDocs.Classifier();
        var counts = TrainingDocs.CustomMetric(counter, x, labels);
        Assert.Equal(2, counts.Count);
        Assert.All(counts, c => Assert.InRange(c, 0, n));
        var scores2 = counter.Predict(x)[0].ToArray();
        int right = Enumerable.Range(0, n).Count(i => Array.IndexOf(scores2, scores2.Skip(3 * i).Take(3).Max(), 3 * i, 3) - 3 * i == (int)classes[i]);
        Assert.Equal(right, counter.Evaluate(x, labels)["categorical_true_positives"]);

        var (encoded, parameters, trainable) = TrainingDocs.Utilities(labels, x);
        Assert.Equal(Shape.Of(n, 3), encoded.Shape);
        Assert.Equal(2, trainable);
        Assert.Equal(new Dictionary<string, int> { ["verbose"] = 0, ["epochs"] = 2, ["steps"] = 2 }, parameters);
    }
}
