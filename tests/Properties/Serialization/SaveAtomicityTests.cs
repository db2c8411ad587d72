using System.Diagnostics;
using DeepGraph.Keras;
using DeepGraph.SaveChild;
using DeepGraph.Serialization;
using Xunit.Abstractions;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// <c>Model.Save</c> replaces a saved model as one step: a kill at any moment, a full disk, an exception
/// between its steps or another saver of the same path leaves the old model or the new one, both loadable,
/// and no temporary file behind; the formats it does not write are refused by name.
/// </summary>
public sealed class SaveAtomicityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("deepgraph-save-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly Tensor Probe = Tensor.FromArray([.. Enumerable.Range(0, 3 * 64).Select(i => (float)Math.Cos(i))], [3, 64]);

    /// <summary>A small model whose last bias is <paramref name="generation"/> and whose other weights depend on it; odd generations are narrower.</summary>
    private static Model Small(int generation)
    {
        var model = new Sequential([Input(shape: [64], name: "x"), Dense(generation % 2 == 0 ? 256 : 200, activation: "tanh", name: "hidden"), Dense(1, name: "generation")]);
        model.SetWeights(Generations.Weights(model, generation));
        return model;
    }

    /// <summary>The generation saved at <paramref name="path"/>, after checking that the file is that generation's model, whole.</summary>
    private static int LoadGeneration(string path, Func<int, Model> build)
    {
        var loaded = Models.LoadModel(path);
        var weights = loaded.GetWeights();
        int generation = (int)weights[^1].ToArray()[^1];
        var expected = build(generation);
        Assert.Equal(Generations.Weights(expected, generation), weights);
        Assert.Equal(expected.Predict(Probe)[0].ToArray(), loaded.Predict(Probe)[0].ToArray());
        return generation;
    }

    private string[] Files() => [.. Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    private static string[] SavedPair(string path) => [.. new[] { Path.GetFileName(path), Models.WeightsFileName(path) }.Order(StringComparer.Ordinal)];

    [Fact]
    public void A_save_writes_the_json_and_one_content_named_weight_file_and_saving_again_replaces_the_pair()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        var first = Small(1);
        first.Save(path);
        var weightsName = Models.WeightsFileName(path);
        Assert.Matches("^m\\.weights\\.[0-9a-f]{16}\\.bin$", weightsName);
        Assert.Equal(["m.json", weightsName], Files());
        Assert.Equal(1, LoadGeneration(path, Small));

        // The same model gives the same bytes (the name follows the content), wherever it is saved.
        var twin = Path.Combine(folder, "twin", "m.json");
        first.Save(twin);
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(twin));
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, weightsName)), File.ReadAllBytes(Path.Combine(folder, "twin", weightsName)));

        Small(2).Save(path);
        Assert.NotEqual(weightsName, Models.WeightsFileName(path));
        Assert.Equal(SavedPair(path), Files()); // the replaced weight file is gone
        Assert.Equal(2, LoadGeneration(path, Small));
        first.Save(path);
        Assert.Equal(["m.json", weightsName], Files());
    }

    [Fact]
    public void What_a_killed_save_leaves_is_removed_by_the_next_save_and_other_models_files_are_kept()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        Small(1).Save(path);
        var other = Path.Combine(folder, "m.weights.json"); // another model whose stem starts like this one's weight files
        Small(7).Save(other);
        string[] leftovers = ["m.json.4242-0123abcd.tmp", "m.weights.0123456789abcdef.bin", "m.weights.0123456789abcdef.bin.4242-89abcdef.tmp"];
        string[] unrelated = ["other.weights.0123456789abcdef.bin", "m.notes.txt", "m.json.bak"];
        foreach (var name in leftovers.Concat(unrelated)) File.WriteAllText(Path.Combine(folder, name), "left");

        Small(2).Save(path);
        Assert.Equal([.. SavedPair(path).Concat(SavedPair(other)).Concat(unrelated).Order(StringComparer.Ordinal)], Files());
        Assert.Equal(2, LoadGeneration(path, Small));
        Assert.Equal(7, LoadGeneration(other, Small));
    }

    [Fact]
    public void The_weight_file_an_older_DeepGraph_wrote_is_deleted_when_its_json_is_replaced()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        var (json, weights) = TfjsModel.Write(Small(1).CoreModel, "m.weights.bin");
        File.WriteAllText(path, json);
        File.WriteAllBytes(Path.Combine(folder, "m.weights.bin"), weights);
        Assert.Equal(1, LoadGeneration(path, Small));

        Small(2).Save(path);
        Assert.Equal(SavedPair(path), Files());
        Assert.Equal(2, LoadGeneration(path, Small));
    }

    [Theory]
    [InlineData("weights written")]
    [InlineData("weights renamed")]
    [InlineData("json written")]
    public void An_exception_between_the_steps_leaves_the_old_model_and_no_temporary_file(string failingStep)
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        Small(1).Save(path);
        var before = Files();
        var steps = new List<string>();
        var e = Assert.Throws<IOException>(() => ModelFile.Save(Small(2).CoreModel, path, step =>
        {
            steps.Add(step);
            if (step == failingStep) throw new IOException("injected failure");
        }));
        Assert.Equal("injected failure", e.Message);
        Assert.Equal(failingStep, steps[^1]);
        Assert.Equal(before, Files());
        Assert.Equal(1, LoadGeneration(path, Small));

        // The same model again: its weight file is there already, so it is not written again, and a failure
        // later must not delete the file the old json names.
        steps.Clear();
        void SaveAgain() => ModelFile.Save(Small(1).CoreModel, path, step =>
        {
            steps.Add(step);
            if (step == failingStep) throw new IOException("injected failure");
        });
        if (failingStep == "weights written") SaveAgain();
        else Assert.Throws<IOException>(SaveAgain);
        Assert.DoesNotContain("weights written", steps);
        Assert.Equal(before, Files());
        Assert.Equal(1, LoadGeneration(path, Small));
    }

    [Fact]
    public void Saves_from_several_threads_to_one_path_all_complete_and_leave_one_whole_model()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        var models = Enumerable.Range(1, 6).Select(Small).ToArray();
        var saved = new int[models.Length];
        Parallel.For(0, models.Length, new ParallelOptions { MaxDegreeOfParallelism = models.Length }, t =>
        {
            for (int k = 0; k < 8; k++)
            {
                models[t].Save(path);
                Interlocked.Increment(ref saved[t]);
            }
        });
        Assert.All(saved, count => Assert.Equal(8, count));
        Assert.InRange(LoadGeneration(path, Small), 1, models.Length);
        Assert.Equal(SavedPair(path), Files());
    }

    private static string ChildDll => Path.Combine(AppContext.BaseDirectory, "SaveChild.dll");

    private static Process StartChild(string path, int generation)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { ChildDll, path, generation.ToString(System.Globalization.CultureInfo.InvariantCulture) }) start.ArgumentList.Add(arg);
        return Process.Start(start) ?? throw new InvalidOperationException("could not start SaveChild");
    }

    /// <summary>Waits for the child's "saving" line (its first save is done), failing with its error output if it ends instead.</summary>
    private static void AwaitFirstSave(Process child)
    {
        var line = child.StandardOutput.ReadLine();
        if (line != "saving") Assert.Fail($"SaveChild did not start saving: {line} {child.StandardError.ReadToEnd()}");
    }

    private static void Kill(Process child)
    {
        child.Kill();
        child.WaitForExit();
    }

    /// <summary>Kills in the loop: each costs a child's start (about half a second here).</summary>
    private const int Rounds = 24;

    [Fact]
    public void A_process_killed_mid_save_leaves_the_old_model_or_the_new_one()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        var random = new Random(11);
        int previous = -1, untidy = 0, advanced = 0;
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < Rounds; round++)
        {
            int start = 1000 * (round + 1);
            using var child = StartChild(path, start);
            try
            {
                AwaitFirstSave(child);
                Thread.Sleep(random.Next(0, 100));
            }
            finally
            {
                Kill(child);
            }
            int generation = LoadGeneration(path, Generations.Build);
            Assert.True(generation >= start, $"round {round}: generation {generation} is older than the child's first save ({start})");
            Assert.True(generation > previous);
            if (generation > start) advanced++;
            if (Files().Length > 2) untidy++;
            previous = generation;
        }
        output.WriteLine($"{Rounds} kills in {clock.ElapsedMilliseconds} ms; {advanced} after more than one save, {untidy} left a temporary or unnamed weight file");

        Generations.Build(1).Save(path);
        Assert.Equal(SavedPair(path), Files());
        Assert.Equal(1, LoadGeneration(path, Generations.Build));
    }

    [Fact]
    public void Processes_saving_to_one_path_at_once_take_turns_and_leave_one_whole_model()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "m.json");
        var children = new[] { StartChild(path, 1000), StartChild(path, 2000), StartChild(path, 3000) };
        try
        {
            foreach (var child in children) AwaitFirstSave(child);
            Thread.Sleep(500);
            // A saver that collided with another would have died of it.
            foreach (var child in children)
                if (child.HasExited) Assert.Fail($"SaveChild ended with {child.ExitCode}: {child.StandardError.ReadToEnd()}");
        }
        finally
        {
            foreach (var child in children)
            {
                Kill(child);
                child.Dispose();
            }
        }
        int generation = LoadGeneration(path, Generations.Build);
        Assert.True(generation >= 1000, $"generation {generation}");
        Generations.Build(1).Save(path);
        Assert.Equal(SavedPair(path), Files());
    }

    [TmpfsFact]
    public void A_full_disk_leaves_the_old_model_and_no_temporary_file()
    {
        Backend.ClearSession();
        var mount = Path.Combine(folder, "small-disk");
        Directory.CreateDirectory(mount);
        Tmpfs.Mount(mount, "8m");
        try
        {
            var path = Path.Combine(mount, "m.json");
            Small(1).Save(path);
            var before = Directory.GetFiles(mount).Order(StringComparer.Ordinal).ToArray();
            var big = Generations.Build(5); // 4.2 MB of weights

            // The weights do not fit.
            var filler = Path.Combine(mount, "filler");
            File.WriteAllBytes(filler, new byte[5 << 20]);
            Assert.ThrowsAny<IOException>(() => big.Save(path));
            Assert.Equal(before.Append(filler).Order(StringComparer.Ordinal), Directory.GetFiles(mount).Order(StringComparer.Ordinal));
            Assert.Equal(1, LoadGeneration(path, Small));

            // The weights fit to the page, the json does not: the weight file written for it goes again.
            File.Delete(filler);
            long weightBytes = TfjsModel.Write(big.CoreModel, "w.bin").Weights.Length;
            long free = new DriveInfo(mount).AvailableFreeSpace;
            File.WriteAllBytes(filler, new byte[free - (weightBytes + 4095) / 4096 * 4096]);
            Assert.ThrowsAny<IOException>(() => big.Save(path));
            Assert.Equal(before.Append(filler).Order(StringComparer.Ordinal), Directory.GetFiles(mount).Order(StringComparer.Ordinal));
            Assert.Equal(1, LoadGeneration(path, Small));

            File.Delete(filler);
            big.Save(path);
            Assert.Equal(5, LoadGeneration(path, Generations.Build));
            Assert.Equal(2, Directory.GetFiles(mount).Length);
        }
        finally
        {
            Tmpfs.Unmount(mount);
        }
    }

    [Theory]
    [InlineData("m.txt", "\".txt\" is not a format")]
    [InlineData("m", "no extension")]
    [InlineData("saved_model/", "no extension")]
    public void Paths_in_formats_Save_does_not_write_are_refused_naming_the_supported_ones(string name, string reason)
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, name);
        var e = Assert.Throws<ArgumentException>(() => Small(1).Save(path));
        Assert.Equal("path", e.ParamName);
        Assert.Contains(reason, e.Message);
        Assert.Contains("TensorFlow.js layers format", e.Message);
        foreach (var extension in new[] { "\".json\"", "\".keras\"", "\".h5\"" }) Assert.Contains(extension, e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder));

        var c = Assert.Throws<ArgumentException>(() => new ModelCheckpoint(Path.Combine(folder, "ckpt", "e{epoch:02d}-" + name)));
        Assert.Equal("filepath", c.ParamName);
        Assert.Contains(reason, c.Message);
        Assert.StartsWith("ModelCheckpoint:", c.Message);
    }

    [Fact]
    public void A_json_extension_in_any_case_is_accepted()
    {
        Backend.ClearSession();
        var path = Path.Combine(folder, "M.JSON");
        Small(3).Save(path);
        Assert.Equal(3, LoadGeneration(path, Small));
        Assert.Equal(SavedPair(path), Files());
    }
}

/// <summary>Mounting a small tmpfs for the full-disk test: Linux, with the right to mount (root, as the tests run here and in CI).</summary>
public static class Tmpfs
{
    private static readonly Lazy<string?> Reason = new(Probe);

    /// <summary>Why a tmpfs cannot be mounted here, or null when it can.</summary>
    public static string? SkipReason => Reason.Value;

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: "8m") at <paramref name="folder"/>.</summary>
    public static void Mount(string folder, string size) => Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", folder);

    /// <summary>Unmounts <paramref name="folder"/>.</summary>
    public static void Unmount(string folder) => Run("umount", folder);

    private static void Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in command[1..]) start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command[0]} did not start");
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new IOException($"{string.Join(' ', command)} failed ({process.ExitCode}): {error.Trim()}");
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "a small tmpfs for the full-disk test needs Linux";
        var folder = Directory.CreateTempSubdirectory("deepgraph-tmpfs-probe-").FullName;
        try
        {
            Mount(folder, "64k");
            Unmount(folder);
            return null;
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return $"cannot mount a tmpfs here (the full-disk test needs root or CAP_SYS_ADMIN): {e.Message}";
        }
        finally
        {
            Directory.Delete(folder);
        }
    }
}

/// <summary>A fact that is skipped, saying why, when a tmpfs cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    /// <summary>Skips the fact when <see cref="Tmpfs.SkipReason"/> is set.</summary>
    public TmpfsFactAttribute()
    {
        if (Tmpfs.SkipReason is { } reason) Skip = reason;
    }
}
