using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Load → save → load gives an equal model value for every pair of formats DeepGraph writes (TF.js, Keras 3
/// <c>.keras</c>, legacy <c>.h5</c>): a model read from one format, written in another and read back, equals
/// itself — same layers, configs, connections, ids and weights.
/// </summary>
public sealed class FormatPairRoundTrips
{
    private static readonly string[] Formats = ["tfjs", "keras", "h5"];

    private static Model Write_then_read(Model model, string format)
    {
        switch (format)
        {
            case "tfjs":
                var (json, weights) = TfjsModel.Write(model, "w.bin");
                return TfjsModel.Read(json, _ => weights);
            case "keras":
            {
                using var stream = new MemoryStream();
                KerasArchive.Write(model, stream);
                stream.Position = 0;
                return KerasArchive.Read(stream).Model;
            }
            default:
            {
                using var stream = new MemoryStream();
                KerasH5.Write(model, stream);
                stream.Position = 0;
                return KerasH5.Read(stream).Model;
            }
        }
    }

    /// <summary>The TF.js fixtures, and a sample of Keras-written files (Sequential and Functional, recurrent, merges).</summary>
    public static TheoryData<string> Sources
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var name in Directory.EnumerateDirectories(Fixtures.Models).Select(Path.GetFileName).Order(StringComparer.Ordinal)) data.Add("tfjs:" + name);
            int k = 0;
            foreach (var row in Fixtures.KerasFileCases)
                if (k++ % 8 == 0) data.Add("keras-files:" + row);
            return data;
        }
    }

    private static Model Source(string source)
    {
        if (source.StartsWith("tfjs:", StringComparison.Ordinal)) return Fixtures.Read(Path.Combine(Fixtures.Models, source[5..]));
        var (path, _, _) = KerasFilesTests.Case(source["keras-files:".Length..]);
        using var stream = File.OpenRead(path);
        return path.EndsWith(".keras", StringComparison.Ordinal) ? KerasArchive.Read(stream).Model : KerasH5.Read(stream).Model;
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void A_model_loaded_from_one_format_and_saved_in_another_loads_equal(string source)
    {
        var original = Source(source);
        foreach (var first in Formats)
        {
            var once = Write_then_read(original, first);
            foreach (var second in Formats)
            {
                var twice = Write_then_read(once, second);
                Assert.True(once.Equals(twice), $"{source}: {first} → {second} reads back another model value");
            }
        }
    }
}
