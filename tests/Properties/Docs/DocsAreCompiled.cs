namespace DeepGraph.Properties.Docs;

/// <summary>The code the docs show is the code that is compiled and run.</summary>
public sealed class DocsAreCompiled
{
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepGraph.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("DeepGraph.sln not found above the test binaries.");
    }

    [Fact]
    public void The_tutorial_page_shows_the_tutorial_sample_verbatim() => AssertFirstCodeBlockIs("tutorial.md", "Tutorial");

    [Fact]
    public void The_training_page_shows_the_fashion_mnist_sample_verbatim() => AssertFirstCodeBlockIs("training.md", "FashionMnist");

    private static void AssertFirstCodeBlockIs(string page, string sample)
    {
        var root = RepoRoot();
        var text = File.ReadAllText(Path.Combine(root, "docs", page)).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", sample, "Program.cs")).ReplaceLineEndings("\n");
        int start = text.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        int end = text.IndexOf("```", start, StringComparison.Ordinal);
        Assert.Equal(program, text[start..end]);
    }
}
