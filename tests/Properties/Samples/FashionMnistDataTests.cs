using System.IO.Compression;
using DeepGraph.Samples.FashionMnist;

namespace DeepGraph.Properties.Samples;

/// <summary>The Fashion-MNIST sample's data: the embedded sample, and the IDX reader's errors.</summary>
public sealed class FashionMnistDataTests
{
    private static string Sample(string name) => Path.Combine(FashionMnistData.SampleDirectory, name);

    private static void AssertSplit(FashionMnistData.Dataset set, int count)
    {
        Assert.Equal(count, set.Count);
        Assert.Equal(count * 28 * 28, set.Images.Length);
        Assert.Equal(count, set.Labels.Length);
        Assert.All(set.Images, p => Assert.InRange(p, 0f, 1f));
        Assert.Contains(set.Images, p => p == 1f); // scaled by 255, not by the largest pixel of an image
        Assert.All(set.Labels, l => Assert.True(l == MathF.Floor(l) && l >= 0 && l <= 9, $"label {l}"));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (float)i), set.Labels.Distinct().Order());
    }

    [Fact]
    public void The_embedded_sample_has_2000_train_and_500_test_images_in_0_1_with_every_class()
    {
        var (train, test, source) = FashionMnistData.Load(Path.Combine(Path.GetTempPath(), "no-fashion-mnist-here"));
        Assert.StartsWith("the embedded sample of Fashion-MNIST (2,000 train, 500 test images;", source);
        AssertSplit(train, 2000);
        AssertSplit(test, 500);
        Assert.Equal(9f, train.Labels[0]); // the first training image is an ankle boot
        Assert.Equal("Ankle boot", FashionMnistData.ClassNames[9]);
    }

    [Fact]
    public void The_embedded_sample_is_the_first_items_of_the_full_set_when_that_is_installed()
    {
        if (!File.Exists(Path.Combine(FashionMnistData.DefaultDirectory, "t10k-labels-idx1-ubyte.gz")))
            return; // apt-get install dataset-fashion-mnist to check this
        var (fullTrain, fullTest, source) = FashionMnistData.Load();
        Assert.StartsWith("full Fashion-MNIST from /usr/share/datasets/fashion-mnist (60,000 train, 10,000 test)", source);
        var (train, test, _) = FashionMnistData.Load(Path.Combine(Path.GetTempPath(), "no-fashion-mnist-here"));
        Assert.True(fullTrain.Images.AsSpan(0, train.Images.Length).SequenceEqual(train.Images));
        Assert.True(fullTrain.Labels.AsSpan(0, train.Count).SequenceEqual(train.Labels));
        Assert.True(fullTest.Images.AsSpan(0, test.Images.Length).SequenceEqual(test.Images));
        Assert.True(fullTest.Labels.AsSpan(0, test.Count).SequenceEqual(test.Labels));
    }

    private static string WriteGzip(byte[] content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fashion-mnist-test-{Guid.NewGuid():N}.gz");
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(content);
        return path;
    }

    private static byte[] Unzipped(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    private static void AssertRefused(string path, string expected, Action<string> read)
    {
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => read(path));
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_truncated_file_is_refused_naming_the_file()
    {
        var labels = Unzipped(Sample("t10k-labels-idx1-ubyte.gz"));
        AssertRefused(WriteGzip(labels[..^1]), "truncated", p => FashionMnistData.ReadIdx(p));
        AssertRefused(WriteGzip(labels[..6]), "truncated", p => FashionMnistData.ReadIdx(p));
        var images = Unzipped(Sample("t10k-images-idx3-ubyte.gz"));
        AssertRefused(WriteGzip(images[..^100]), "truncated",
            p => FashionMnistData.Read(p, Sample("t10k-labels-idx1-ubyte.gz")));
    }

    [Fact]
    public void A_wrong_magic_number_is_refused_naming_the_file()
    {
        var labels = Unzipped(Sample("t10k-labels-idx1-ubyte.gz"));
        labels[2] = 0x0D; // IDX float data, not unsigned bytes
        AssertRefused(WriteGzip(labels), "wrong magic number 0x00000d01", p => FashionMnistData.ReadIdx(p));
        // a valid IDX file of the other kind: labels given as images
        var images = Sample("t10k-images-idx3-ubyte.gz");
        var e = Assert.Throws<InvalidDataException>(() => FashionMnistData.Read(Sample("t10k-labels-idx1-ubyte.gz"), images));
        Assert.Contains(Sample("t10k-labels-idx1-ubyte.gz"), e.Message);
        Assert.Contains("magic 0x00000801", e.Message);
        // not gzip at all
        var raw = Path.Combine(Path.GetTempPath(), $"fashion-mnist-test-{Guid.NewGuid():N}.gz");
        File.WriteAllBytes(raw, Unzipped(images));
        AssertRefused(raw, "gzip", p => FashionMnistData.ReadIdx(p));
    }

    [Fact]
    public void Image_and_label_counts_that_differ_are_refused_naming_both_files()
    {
        var images = Sample("train-images-idx3-ubyte.gz");
        var labels = Sample("t10k-labels-idx1-ubyte.gz");
        var e = Assert.Throws<InvalidDataException>(() => FashionMnistData.Read(images, labels));
        Assert.Contains(images, e.Message);
        Assert.Contains(labels, e.Message);
        Assert.Contains("2000 images", e.Message);
        Assert.Contains("500 labels", e.Message);
    }
}
