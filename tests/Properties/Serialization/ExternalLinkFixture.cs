using System.Text;

namespace DeepGraph.Properties.Serialization;

/// <summary>The hand-made fixtures of tests/fixtures/keras-h5 whose weight is an HDF5 external link (see the README there).</summary>
internal static class ExternalLinkFixture
{
    /// <summary>
    /// The file an external link in <paramref name="file"/> names, read from the link itself: the NUL-delimited path
    /// that ends in <paramref name="fileName"/>. The tests create that file, so the link resolves and only the
    /// reader's own check can stop it; the path lives in the fixture, not in the tests.
    /// </summary>
    public static string Target(byte[] file, string fileName)
    {
        var name = Encoding.ASCII.GetBytes(fileName + "\0");
        int end = file.AsSpan().IndexOf(name);
        Assert.True(end > 0, $"the fixture has no external link to a file named {fileName}");
        int start = file.AsSpan(0, end).LastIndexOf((byte)0) + 1;
        return Encoding.ASCII.GetString(file, start, end + fileName.Length - start);
    }

    /// <summary>
    /// Writes the link's target through <paramref name="write"/> to a file of its own beside <paramref name="target"/>, then
    /// renames it over the target. The target's path is fixed by the fixture and shared by every test run on the machine
    /// (two runs at once: CI's two BLAS runs side by side, a developer's run beside a loop's): written in place, they could
    /// collide on the open file; a rename is atomic, and every run writes the same content.
    /// </summary>
    public static void Create(string target, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var own = $"{target}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            write(own);
            File.Move(own, target, overwrite: true);
        }
        finally
        {
            if (File.Exists(own)) File.Delete(own);
        }
    }
}
