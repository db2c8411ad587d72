using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>The TensorFlow.js fixtures under <c>tests/fixtures</c> (see its README) and helpers to read them.</summary>
public static class Fixtures
{
    /// <summary>The repository root: the folder above the test binaries that holds DeepGraph.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary><c>tests/fixtures/models</c>: the 60 inference fixtures.</summary>
    public static string Models => Path.Combine(Root, "tests", "fixtures", "models");

    /// <summary><c>tests/fixtures/train</c>: the 5 training fixtures.</summary>
    public static string Train => Path.Combine(Root, "tests", "fixtures", "train");

    /// <summary><c>tests/fixtures/models2</c>: the second-generation inference fixtures copied so far (see the README there).</summary>
    public static string Models2 => Path.Combine(Root, "tests", "fixtures", "models2");

    /// <summary><c>tests/fixtures/train2</c>: the second-generation training fixtures copied so far.</summary>
    public static string Train2 => Path.Combine(Root, "tests", "fixtures", "train2");

    /// <summary><c>tests/fixtures/keras-files</c>: models written by Keras itself, with inputs and expected outputs (its README).</summary>
    public static string KerasFiles => Path.Combine(Root, "tests", "fixtures", "keras-files");

    /// <summary>Every expected-output case of <see cref="KerasFiles"/>: the path of its <c>.io.json</c> relative to <c>expected/</c>, for [MemberData].</summary>
    public static TheoryData<string> KerasFileCases => Data(
        Directory.EnumerateFiles(Path.Combine(KerasFiles, "expected"), "*.io.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(KerasFiles, "expected"), f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal));

    /// <summary>Every second-generation inference fixture folder name, for [MemberData].</summary>
    public static TheoryData<string> Model2Names => Data(Folders(Models2));

    /// <summary>Every inference fixture folder name (000 … 059), for [MemberData].</summary>
    public static TheoryData<string> ModelNames => Data(Folders(Models));

    /// <summary>Every training fixture folder name, for [MemberData].</summary>
    public static TheoryData<string> TrainNames => Data(Folders(Train));

    private static TheoryData<string> Data(IEnumerable<string> items)
    {
        var data = new TheoryData<string>();
        foreach (var item in items) data.Add(item);
        return data;
    }

    private static IEnumerable<string> Folders(string parent) =>
        Directory.GetDirectories(parent).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DeepGraph.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("DeepGraph.sln not found above the test binaries.");
    }

    /// <summary>The model.json text of a fixture folder.</summary>
    public static string Json(string folder) => File.ReadAllText(Path.Combine(folder, "model.json"));

    /// <summary>Reads the model in <paramref name="folder"/> with Core's reader, weight files from the same folder.</summary>
    public static Model Read(string folder) => TfjsModel.Read(Json(folder), p => File.ReadAllBytes(Path.Combine(folder, p)));

    /// <summary>Reads <paramref name="json"/> whose only weight file is <paramref name="weights"/>.</summary>
    public static Model Read(string json, byte[] weights) => TfjsModel.Read(json, _ => weights);

    /// <summary>The entry of fixture <paramref name="name"/> in the index.json of <paramref name="parent"/>.</summary>
    public static JsonNode IndexEntry(string parent, string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(parent, "index.json")))!["fixtures"]!.AsArray().Single(f => (string)f!["dir"]! == name)!;

    /// <summary>The "Total params:" figure of a summary, separators removed.</summary>
    public static long TotalParams(IEnumerable<string> summary) =>
        long.Parse(summary.Single(l => l.StartsWith("Total params:", StringComparison.Ordinal))["Total params:".Length..].Replace(",", "").Trim());
}
