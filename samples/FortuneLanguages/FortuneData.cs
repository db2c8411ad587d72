using System.Globalization;
using System.Text;

namespace DeepGraph.Samples.FortuneLanguages;

/// <summary>One language's name and the fortune files that hold it.</summary>
/// <param name="Code">The language's ISO 639-1 code (en, de, es, it, pt).</param>
/// <param name="Files">The files, each a list of fortunes separated by lines holding only <c>%</c>.</param>
public sealed record LanguageFiles(string Code, IReadOnlyList<string> Files);

/// <summary>Token ids (one row of <see cref="Length"/> per text, 0 = padding after the text) and a class per text.</summary>
/// <param name="Ids">Row-major ids, <see cref="Count"/> × <see cref="Length"/>.</param>
/// <param name="Labels">The language index of each text.</param>
/// <param name="Count">The number of texts.</param>
/// <param name="Length">The number of characters kept per text.</param>
public sealed record EncodedTexts(int[] Ids, float[] Labels, int Count, int Length);

/// <summary>
/// Texts in five languages from Debian's fortune packages (<c>fortunes</c>, <c>fortunes-de</c>,
/// <c>fortunes-es</c>, <c>fortunes-it</c>, <c>fortunes-br</c>), for a language-identification task:
/// which language is this fortune written in? Characters become ids through a vocabulary made from the
/// training texts.
/// </summary>
public static class FortuneData
{
    /// <summary>Where Debian installs the fortune files.</summary>
    public const string DefaultRoot = "/usr/share/games/fortunes";

    /// <summary>The Debian packages the sample reads.</summary>
    public const string Packages = "fortunes fortunes-de fortunes-es fortunes-it fortunes-br";

    /// <summary>
    /// The languages found under <paramref name="root"/>: English from the files at the top (except
    /// <c>brasil</c>, which is Portuguese), German, Spanish and Italian from their folders. Links are skipped
    /// (Debian links some Italian files into the top folder), and so are the index files (<c>.dat</c>) and the
    /// UTF-8 copies (<c>.u8</c>). Null when a language is missing: install the packages.
    /// </summary>
    public static IReadOnlyList<LanguageFiles>? Find(string root = DefaultRoot)
    {
        if (!Directory.Exists(root)) return null;
        static bool IsText(string path) =>
            !path.EndsWith(".dat", StringComparison.Ordinal) && !path.EndsWith(".u8", StringComparison.Ordinal)
            && new FileInfo(path).LinkTarget is null;
        string[] In(string folder) => Directory.Exists(folder) ? [.. Directory.GetFiles(folder).Where(IsText).Order(StringComparer.Ordinal)] : [];
        var brasil = Path.Combine(root, "brasil");
        var languages = new[]
        {
            new LanguageFiles("en", [.. In(root).Where(p => p != brasil)]),
            new LanguageFiles("de", In(Path.Combine(root, "de"))),
            new LanguageFiles("es", In(Path.Combine(root, "es"))),
            new LanguageFiles("it", In(Path.Combine(root, "it"))),
            new LanguageFiles("pt", File.Exists(brasil) ? [brasil] : []),
        };
        return languages.All(l => l.Files.Count > 0) ? languages : null;
    }

    /// <summary>
    /// The fortunes of <paramref name="text"/>: the pieces between lines holding only <c>%</c>, with runs of
    /// white space made one space, keeping those of at least <paramref name="minLength"/> characters that are
    /// mostly letters (drawings made of characters are left out).
    /// </summary>
    public static IEnumerable<string> Split(string text, int minLength = 20)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var piece in text.ReplaceLineEndings("\n").Split("\n%\n"))
        {
            var clean = string.Join(' ', piece.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Trim('%', ' ');
            if (clean.Length < minLength) continue;
            int letters = clean.Count(c => char.IsLetter(c) || c == ' ');
            if (letters >= 0.8 * clean.Length) yield return clean;
        }
    }

    /// <summary>
    /// Up to <paramref name="perLanguage"/> fortunes of each language (all of them when fewer), drawn with
    /// <paramref name="seed"/>, as (text, language index) pairs in a seeded random order.
    /// </summary>
    public static List<(string Text, int Language)> Sample(IReadOnlyList<LanguageFiles> languages, int perLanguage, int seed)
    {
        ArgumentNullException.ThrowIfNull(languages);
        var rng = new Random(seed);
        var all = new List<(string, int)>();
        for (int l = 0; l < languages.Count; l++)
        {
            var texts = languages[l].Files.SelectMany(f => Split(File.ReadAllText(f, Encoding.UTF8))).Distinct().ToArray();
            rng.Shuffle(texts);
            all.AddRange(texts.Take(perLanguage).Select(t => (t, l)));
        }
        var shuffled = all.ToArray();
        rng.Shuffle(shuffled);
        return [.. shuffled];
    }

    /// <summary>
    /// The characters seen at least <paramref name="minCount"/> times in <paramref name="texts"/> (lower-cased),
    /// most frequent first; a character's id is its position + 2 (0 is padding, 1 any other character).
    /// </summary>
    public static string Vocabulary(IEnumerable<string> texts, int minCount = 5)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var counts = new Dictionary<char, int>();
        foreach (var text in texts)
            foreach (var c in text.ToLower(CultureInfo.InvariantCulture))
                counts[c] = counts.GetValueOrDefault(c) + 1;
        return string.Concat(counts.Where(kv => kv.Value >= minCount).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key).Select(kv => kv.Key));
    }

    /// <summary>The first <paramref name="length"/> characters of each text as ids of <paramref name="vocabulary"/>, padded with 0 after the text.</summary>
    public static EncodedTexts Encode(IReadOnlyList<(string Text, int Language)> texts, string vocabulary, int length)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var index = new Dictionary<char, int>();
        for (int i = 0; i < vocabulary.Length; i++) index[vocabulary[i]] = i + 2;
        var ids = new int[texts.Count * length];
        var labels = new float[texts.Count];
        for (int n = 0; n < texts.Count; n++)
        {
            var text = texts[n].Text.ToLower(CultureInfo.InvariantCulture);
            for (int t = 0; t < Math.Min(length, text.Length); t++) ids[n * length + t] = index.GetValueOrDefault(text[t], 1);
            labels[n] = texts[n].Language;
        }
        return new EncodedTexts(ids, labels, texts.Count, length);
    }
}
