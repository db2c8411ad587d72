using System.Text.Json.Nodes;
using DeepGraph.Keras;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// A weights manifest and weight files are untrusted (issue 11): the manifest and the files' lengths
/// are checked before anything is read, and nothing larger than the model's weights is allocated.
/// </summary>
public sealed class UntrustedWeightsTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "deepgraph-untrusted-" + Guid.NewGuid().ToString("N"));

    public UntrustedWeightsTests() => Directory.CreateDirectory(folder);

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private static readonly string Source = Path.Combine(Fixtures.Models, "000");

    /// <summary>Fixture 000's model.json, edited by <paramref name="edit"/>, written with its weights into the test folder.</summary>
    private string Write(Action<JsonNode> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(Source, "model.json")))!;
        edit(root);
        var path = Path.Combine(folder, "model.json");
        File.WriteAllText(path, root.ToJsonString());
        File.Copy(Path.Combine(Source, "weights.bin"), Path.Combine(folder, "weights.bin"), overwrite: true);
        return path;
    }

    private static long Allocated(Action work)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        work();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    private static long WeightBytes => new FileInfo(Path.Combine(Source, "weights.bin")).Length;

    [Fact]
    public void A_shard_named_ten_thousand_times_is_refused_before_reading_it()
    {
        var path = Write(root => root["weightsManifest"]![0]!["paths"] = new JsonArray([.. Enumerable.Range(0, 10_000).Select(_ => (JsonNode?)JsonValue.Create("weights.bin"))]));
        ModelFormatError? e = null;
        long bytes = Allocated(() => e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path)));
        Assert.Contains("named twice", e!.Message);
        Assert.Contains("weights.bin", e.Message);
        // Parsing the 138 KB JSON costs a few MB; 10,000 copies of the file would be 10,000 × its size.
        Assert.True(bytes < 20_000_000 + 100 * WeightBytes, $"{bytes:N0} bytes allocated to refuse the manifest.");
    }

    [Fact]
    public void A_huge_weight_file_is_refused_by_its_length_without_being_read()
    {
        var path = Write(_ => { });
        using (var stream = new FileStream(Path.Combine(folder, "weights.bin"), FileMode.Open)) stream.SetLength(400L << 20); // sparse: nothing written
        ModelFormatError? e = null;
        long bytes = Allocated(() => e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path)));
        Assert.Contains($"holds {400L << 20} bytes", e!.Message);
        Assert.Contains("longer than the manifest", e.Message);
        Assert.True(bytes < 50_000_000, $"{bytes:N0} bytes allocated to refuse a 400 MB file.");
    }

    [Fact]
    public void A_manifest_declaring_more_weights_than_the_files_hold_allocates_nothing_for_them()
    {
        // A weight of 2^30 values (4 GB) that no layer has, in a manifest whose file is small: refused on the file's length.
        var path = Write(root => root["weightsManifest"]![0]!["weights"]!.AsArray().Add(
            new JsonObject { ["name"] = "ghost/kernel", ["shape"] = new JsonArray(32768, 32768), ["dtype"] = "float32" }));
        ModelFormatError? e = null;
        long bytes = Allocated(() => e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path)));
        Assert.Contains("truncated", e!.Message);
        Assert.True(bytes < 50_000_000, $"{bytes:N0} bytes allocated.");
    }

    [Theory]
    [InlineData(2147483647L)]
    [InlineData(4611686018427387904L)]
    [InlineData(-4L)]
    public void A_weight_shape_with_a_huge_or_negative_dimension_is_refused_naming_the_weight(long dim)
    {
        var path = Write(root => root["weightsManifest"]![0]!["weights"]![0]!["shape"] = new JsonArray(dim, dim));
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path));
        var name = (string)JsonNode.Parse(File.ReadAllText(path))!["weightsManifest"]![0]!["weights"]![0]!["name"]!;
        Assert.Contains(name, e.Message);
        Assert.Contains("shape", e.Message);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("sub/../../weights.bin")]
    [InlineData("..")]
    public void A_weight_path_outside_the_folder_is_refused(string weightPath)
    {
        var path = Write(root => root["weightsManifest"]![0]!["paths"] = new JsonArray(weightPath));
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(path));
        Assert.Contains("outside the model's folder", e.Message);
    }

    [Fact]
    public void A_symbolic_link_leading_out_of_the_folder_is_refused()
    {
        var outside = Path.Combine(folder, "outside");
        var inside = Path.Combine(folder, "model");
        Directory.CreateDirectory(outside);
        Directory.CreateDirectory(inside);
        File.Copy(Path.Combine(Source, "weights.bin"), Path.Combine(outside, "weights.bin"));
        File.Copy(Path.Combine(Source, "model.json"), Path.Combine(inside, "model.json"));
        File.CreateSymbolicLink(Path.Combine(inside, "weights.bin"), Path.Combine(outside, "weights.bin"));
        var e = Assert.Throws<ModelFormatError>(() => Models.LoadModel(Path.Combine(inside, "model.json")));
        Assert.Contains("symbolic link", e.Message);

        // A link that stays inside the folder is fine.
        File.Delete(Path.Combine(inside, "weights.bin"));
        File.Copy(Path.Combine(Source, "weights.bin"), Path.Combine(inside, "real.bin"));
        File.CreateSymbolicLink(Path.Combine(inside, "weights.bin"), Path.Combine(inside, "real.bin"));
        Assert.NotNull(Models.LoadModel(Path.Combine(inside, "model.json")));
    }

    /// <summary>A stream that cannot seek: its length is found only by reading.</summary>
    private sealed class Unseekable(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(-4)]
    [InlineData(0)]
    [InlineData(4)]
    public void Streams_that_cannot_seek_are_checked_while_reading(int delta)
    {
        var json = Fixtures.Json(Source);
        var bytes = File.ReadAllBytes(Path.Combine(Source, "weights.bin"));
        var data = delta < 0 ? bytes[..^4] : [.. bytes, .. new byte[delta]];
        if (delta == 0)
        {
            Assert.Equal(Fixtures.Read(Source), TfjsModel.ReadStreams(json, _ => new Unseekable(data)));
            return;
        }
        var e = Assert.Throws<ModelFormatError>(() => TfjsModel.ReadStreams(json, _ => new Unseekable(data)));
        Assert.Contains(delta < 0 ? "truncated" : "longer than the manifest", e.Message);
    }

    [Fact]
    public void Streams_are_disposed_whether_reading_succeeds_or_fails()
    {
        var json = Fixtures.Json(Source);
        var bytes = File.ReadAllBytes(Path.Combine(Source, "weights.bin"));
        var opened = new List<MemoryStream>();
        TfjsModel.ReadStreams(json, _ => { var s = new MemoryStream(bytes); opened.Add(s); return s; });
        Assert.All(opened, s => Assert.False(s.CanRead));
        opened.Clear();
        Assert.Throws<ModelFormatError>(() => TfjsModel.ReadStreams(json, _ => { var s = new MemoryStream(bytes[..^1]); opened.Add(s); return s; }));
        Assert.All(opened, s => Assert.False(s.CanRead));
    }
}
