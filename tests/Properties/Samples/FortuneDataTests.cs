using System.Runtime.CompilerServices;
using DeepGraph.Keras;
using DeepGraph.Samples.FortuneLanguages;

namespace DeepGraph.Properties.Samples;

/// <summary>
/// A fact that needs Debian's fortune packages (the text sample's data): skipped, saying why, when they are
/// absent, unless <c>DEEPGRAPH_REQUIRE_FORTUNES=1</c> (CI installs them and sets it, so no coverage is lost).
/// </summary>
public sealed class FortuneFactAttribute : FactAttribute
{
    /// <summary>Skips the fact when the fortune files are missing and not required.</summary>
    public FortuneFactAttribute([CallerMemberName] string test = "")
    {
        if (FortuneData.Find() is null && Environment.GetEnvironmentVariable("DEEPGRAPH_REQUIRE_FORTUNES") != "1")
        {
            Skip = $"the fortune files are not installed: apt-get install {FortuneData.Packages}";
            DisplayName = $"{test} [skipped: no fortune packages; apt-get install {FortuneData.Packages}]";
        }
    }
}

/// <summary>The text sample's data: fortunes split, filtered, sampled per language and encoded as character ids.</summary>
public sealed class FortuneDataTests
{
    [Fact]
    public void Split_takes_the_pieces_between_percent_lines_and_leaves_out_short_ones_and_drawings()
    {
        var text = "A first   fortune,\nwritten on two lines.\n%\nshort\n%\n/\\_/\\ ( o.o ) > ^ < /\\_/\\ ( o.o ) > ^ <\n%\nThe last fortune of the file, long enough.\n";
        Assert.Equal(["A first fortune, written on two lines.", "The last fortune of the file, long enough."], FortuneData.Split(text));
    }

    [Fact]
    public void The_vocabulary_orders_characters_by_frequency_and_ids_pad_with_zero_after_the_text()
    {
        var vocabulary = FortuneData.Vocabulary(["aab", "Aac"], minCount: 2);
        Assert.Equal("a", vocabulary); // 'a' four times (case folded); b and c once
        var encoded = FortuneData.Encode([("ab", 1), ("aaaa", 0)], vocabulary, 3);
        Assert.Equal([2, 1, 0, 2, 2, 2], encoded.Ids); // a = 2, b unknown = 1, padding 0, truncated to 3
        Assert.Equal([1f, 0f], encoded.Labels);
    }

    [Fact]
    public void Find_reads_each_language_from_its_folder_and_skips_links_and_index_files()
    {
        var root = Path.Combine(Path.GetTempPath(), "deepgraph-fortunes-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var sub in new[] { "de", "es", "it" }) Directory.CreateDirectory(Path.Combine(root, sub));
            File.WriteAllText(Path.Combine(root, "computers"), "x");
            File.WriteAllText(Path.Combine(root, "computers.dat"), "x");
            File.WriteAllText(Path.Combine(root, "de", "computer"), "x");
            File.WriteAllText(Path.Combine(root, "es", "ciencia.fortunes"), "x");
            File.WriteAllText(Path.Combine(root, "it", "italia"), "x");
            File.CreateSymbolicLink(Path.Combine(root, "italia"), Path.Combine(root, "it", "italia"));
            Assert.Null(FortuneData.Find(root)); // no Portuguese yet
            File.WriteAllText(Path.Combine(root, "brasil"), "x");
            var found = FortuneData.Find(root)!;
            Assert.Equal(["en", "de", "es", "it", "pt"], found.Select(l => l.Code));
            Assert.Equal([Path.Combine(root, "computers")], found[0].Files);
            Assert.Equal([Path.Combine(root, "brasil")], found[4].Files);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [FortuneFact]
    public void The_installed_fortunes_give_a_balanced_seeded_sample_of_five_languages()
    {
        var languages = FortuneData.Find()!;
        var sample = FortuneData.Sample(languages, 300, seed: 7);
        Assert.Equal(1500, sample.Count);
        Assert.All(Enumerable.Range(0, 5), l => Assert.Equal(300, sample.Count(s => s.Language == l)));
        Assert.Equal(sample, FortuneData.Sample(languages, 300, seed: 7));
        Assert.NotEqual(sample, FortuneData.Sample(languages, 300, seed: 8));
    }

    [FortuneFact]
    public void The_sample_model_learns_to_tell_the_languages_apart_on_held_out_fortunes()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var texts = FortuneData.Sample(FortuneData.Find()!, 400, seed: 3);
        int split = texts.Count * 4 / 5;
        var vocabulary = FortuneData.Vocabulary(texts.Take(split).Select(t => t.Text));
        const int length = 60;
        var train = FortuneData.Encode(texts[..split], vocabulary, length);
        var test = FortuneData.Encode(texts[split..], vocabulary, length);
        var model = FortuneModel.Build(vocabulary.Length + 2, 5, length, embedding: 16, units: 32);
        model.Fit(Tensor.FromInts(train.Ids, [train.Count, length]), Tensor.FromArray(train.Labels, [train.Count, 1]), batchSize: 32, epochs: 10, verbose: 0);
        double accuracy = model.Evaluate(Tensor.FromInts(test.Ids, [test.Count, length]), Tensor.FromArray(test.Labels, [test.Count, 1]))["accuracy"];
        // Chance is 0.2; a small model on 320 fortunes per language and 10 epochs is well above it.
        Assert.True(accuracy > 0.6, $"held-out accuracy {accuracy}");
    }
}
