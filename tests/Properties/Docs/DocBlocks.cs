namespace DeepGraph.Properties.Docs;

/// <summary>The C# blocks of a docs page, and code compared line by line with indentation aside.</summary>
internal static class DocBlocks
{
    /// <summary><paramref name="code"/> with every line trimmed and "\n" line ends.</summary>
    public static string Trimmed(string code) => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()));

    /// <summary>The text of each ```csharp block of <paramref name="text"/> (with "\n" line ends), in order.</summary>
    public static IEnumerable<string> CSharp(string text)
    {
        const string fence = "```csharp\n";
        for (int start = text.IndexOf(fence, StringComparison.Ordinal); start >= 0; start = text.IndexOf(fence, start, StringComparison.Ordinal))
        {
            start += fence.Length;
            int end = text.IndexOf("```", start, StringComparison.Ordinal);
            yield return text[start..end];
            start = end + 3;
        }
    }
}
