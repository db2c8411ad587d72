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
    public void The_tutorial_page_shows_the_tutorial_sample_verbatim()
    {
        var root = RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "tutorial.md")).ReplaceLineEndings("\n");
        var program = File.ReadAllText(Path.Combine(root, "samples", "Tutorial", "Program.cs")).ReplaceLineEndings("\n");
        int start = page.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        int end = page.IndexOf("```", start, StringComparison.Ordinal);
        Assert.Equal(program, page[start..end]);
    }
}
