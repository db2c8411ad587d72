using System.IO.Compression;
using DeepGraph.Keras;
using Xunit.Abstractions;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Damaged files that hold an optimizer's state (a trained model saved as <c>.keras</c> and as <c>.h5</c>, and tf.keras's
/// <c>issue_9560.h5</c>), loaded whole through <c>Models.LoadModel</c>. Law: the load gives a model — its optimizer state
/// restored, or fresh with a load warning saying why — or throws a <see cref="ModelFormatError"/> that wraps no reader bug
/// (or <see cref="InsufficientMemoryException"/>); a restored state holds only finite slots. Each case <c>i</c> draws from
/// <c>new Random(Seed + i)</c>, and a failure names it.
/// </summary>
public sealed class OptimizerStateFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Seed = 20_261_207;
    private const int Cases = 400;

    private readonly string folder = Directory.CreateTempSubdirectory("deepgraph-optfuzz-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly Lazy<(string Name, byte[] Bytes)[]> Sources = new(() =>
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(4);
        var model = new Sequential([Input(shape: [3]), Dense(4, activation: "relu"), Dense(2, activation: "softmax")]);
        model.Compile(Optimizers.Adam(0.01), "categorical_crossentropy");
        var x = Tensor.FromArray([.. Enumerable.Range(0, 8 * 3).Select(i => (float)Math.Sin(i))], [8, 3]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 8 * 2).Select(i => (float)((i + i / 2) % 2))], [8, 2]);
        model.Fit(x, y, batchSize: 4, epochs: 2, verbose: 0);
        var dir = Directory.CreateTempSubdirectory("deepgraph-optfuzz-src-").FullName;
        try
        {
            model.Save(Path.Combine(dir, "m.keras"));
            model.Save(Path.Combine(dir, "m.h5"));
            return
            [
                ("trained.keras", File.ReadAllBytes(Path.Combine(dir, "m.keras"))),
                ("trained.h5", File.ReadAllBytes(Path.Combine(dir, "m.h5"))),
                ("issue_9560.h5", File.ReadAllBytes(Path.Combine(Fixtures.KerasFiles, "dl4j-test-resources/src/main/resources/modelimport/keras/weights/issue_9560.h5"))),
            ];
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    });

    /// <summary>The bytes damaged: flipped bits, a cut, or a run set to one value — in a <c>.keras</c> file, in its weights member (rezipped).</summary>
    private static (string, byte[]) Damage(Random random)
    {
        var (name, original) = Sources.Value[random.Next(Sources.Value.Length)];
        if (!name.EndsWith(".keras", StringComparison.Ordinal))
        {
            var (what, bytes) = DamageBytes((byte[])original.Clone(), random);
            return ($"{name}: {what}", bytes);
        }
        var members = new List<(string Name, byte[] Bytes)>();
        using (var zip = new ZipArchive(new MemoryStream(original), ZipArchiveMode.Read))
            foreach (var entry in zip.Entries)
            {
                using var s = entry.Open();
                using var m = new MemoryStream();
                s.CopyTo(m);
                members.Add((entry.FullName, m.ToArray()));
            }
        int w = members.FindIndex(m => m.Name == "model.weights.h5");
        var (description, damaged) = DamageBytes(members[w].Bytes, random);
        members[w] = (members[w].Name, damaged);
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (memberName, bytes) in members)
            {
                using var s = zip.CreateEntry(memberName, CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
        return ($"{name} (model.weights.h5): {description}", output.ToArray());
    }

    private static (string, byte[]) DamageBytes(byte[] bytes, Random random) => ByteDamage.Apply(random.Next(ByteDamage.Kinds), bytes, random);

    private enum Outcome { Restored, Warned, Loaded, Refused }

    private (Outcome, string?) Check(string path)
    {
        Model model;
        try
        {
            model = Models.LoadModel(path);
        }
        catch (Exception e) when (e is ModelFormatError or InsufficientMemoryException)
        {
            for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
                if (inner is NullReferenceException or IndexOutOfRangeException or InvalidCastException or KeyNotFoundException or OverflowException
                    && inner.TargetSite?.DeclaringType?.Namespace?.StartsWith("DeepGraph", StringComparison.Ordinal) == true)
                    return (Outcome.Refused, $"ModelFormatError wrapping a reader bug: {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
            return (Outcome.Refused, null);
        }
        catch (Exception e)
        {
            return (Outcome.Refused, $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
        }
        if (model.LoadWarnings.Any(w => w.Contains("optimizer state was not restored", StringComparison.Ordinal))) return (Outcome.Warned, null);
        if (model.OptimizerAndState is not var (_, state) || state.Iterations == 0) return (Outcome.Loaded, null);
        foreach (var weight in Core.OptimizerVariables.TrainableOrder(model.CoreModel))
            foreach (var slot in state.SlotsOf(weight.Key))
                if (!slot.All(float.IsFinite)) return (Outcome.Restored, "a restored slot holds a value that is not finite");
        return (Outcome.Restored, null);
    }

    [Fact]
    public void Damaged_files_with_an_optimizer_state_load_with_it_or_a_warning_or_are_refused_with_a_ModelFormatError()
    {
        var failures = new List<string>();
        var counts = new Dictionary<Outcome, int>();
        for (int i = 0; i < Cases; i++)
        {
            var (description, bytes) = Damage(new Random(Seed + i));
            var path = Path.Combine(folder, i + (description.Contains(".keras", StringComparison.Ordinal) ? ".keras" : ".h5"));
            File.WriteAllBytes(path, bytes);
            Backend.ClearSession();
            var (outcome, error) = Check(path);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (error is not null) failures.Add($"case {i} (seed {Seed}+{i}): {description}: {error}");
            File.Delete(path);
        }
        output.WriteLine(string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(failures.Count == 0, $"{failures.Count} of {Cases} damaged files broke the law:\n" + string.Join("\n", failures.Take(20)));
        // Every side of the law is exercised.
        foreach (var outcome in new[] { Outcome.Restored, Outcome.Warned, Outcome.Refused })
            Assert.True(counts.GetValueOrDefault(outcome) > 0, $"No damaged file ended {outcome}.");
    }
}
