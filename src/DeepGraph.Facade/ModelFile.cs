using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DeepGraph.Serialization;

namespace DeepGraph.Keras;

/// <summary>
/// <see cref="Model.Save"/>'s files: a model saved at <c>dir/m.json</c> is that JSON file and one weight
/// file beside it, <c>dir/m.weights.&lt;first 16 hex digits of the weights' SHA-256&gt;.bin</c>, which the
/// JSON's manifest names. A save replaces the pair as one step: whatever fails or whenever the process
/// dies, the path holds the old model or the new one, each whole.
/// </summary>
/// <remarks>
/// <para>Why the weight file's name changes with its content. The JSON names its weight file, and only
/// one file can be replaced atomically (a rename). Writing the weights under a new name first and
/// renaming the JSON over the old one last makes the rename of the JSON the one moment the model
/// changes: before it the old JSON names the old weights, which are untouched; after it the new JSON
/// names new weights that are already on disk. Naming the file after its content (rather than a
/// random name) keeps saves reproducible — the same model gives byte-identical files, and saving it
/// again writes no new weight file.</para>
/// <para>Steps, under a lock on the path (a named system mutex, so threads and processes on this
/// machine that save to one path take turns; a saver killed while holding it releases it): remove
/// what a killed save left (temporary files and weight files no JSON names); write the weights to a
/// uniquely named temporary file, flush it to disk and rename it to its content name (skipped if a
/// file of that name already holds those bytes); write the JSON the same way and rename it over the
/// path; flush the folder; only then delete the weight files the path no longer names. An exception
/// removes the temporary file and any weight file this save created, then propagates. If the
/// system mutex cannot be had, saves in this process still take turns (a lock per path) but no old
/// weight file is deleted, since another process might be saving the same content.</para>
/// <para>Files of the form <c>m.weights.&lt;16 hex&gt;.bin</c> belong to <c>m.json</c>: a save deletes the
/// ones its JSON no longer names, so copy the pair together (<see cref="Models.WeightsFileName"/>) rather
/// than keeping another JSON that names them. A <see cref="Models.LoadModel(string, IEnumerable{Core.LayerKind}?, bool, bool)"/> that runs while another
/// thread or process saves to the same path can read the old JSON and then miss its deleted weights
/// (a <see cref="FileNotFoundException"/> or <see cref="ModelFormatError"/>): load again.</para>
/// </remarks>
internal static class ModelFile
{
    /// <summary>The extension of the TF.js format's JSON file.</summary>
    public const string Extension = ".json";

    /// <summary>Locks per path within the process (64 stripes): the fallback when the system mutex is unavailable.</summary>
    private static readonly object[] Stripes = [.. Enumerable.Range(0, 64).Select(_ => new object())];

    /// <summary>The formats <see cref="Model.Save(string, string?, IReadOnlyList{Tensor}?)"/> writes, by the names its <c>format:</c> takes.</summary>
    public static readonly IReadOnlyList<string> Formats = ["keras", "h5", "tfjs"];

    /// <summary>
    /// The format <see cref="Model.Save(string, string?, IReadOnlyList{Tensor}?)"/> writes to <paramref name="path"/>: <paramref name="format"/>
    /// when given (<c>keras</c>, <c>h5</c>, <c>tfjs</c>; a path whose extension names another format is refused), otherwise
    /// by extension: <c>.keras</c> Keras 3's zip, <c>.h5</c>/<c>.hdf5</c> the legacy HDF5 full model, <c>.json</c> TensorFlow.js.
    /// </summary>
    /// <exception cref="ArgumentException">The extension names no format and none is given, the format is unknown, or they disagree.</exception>
    public static string CheckPath(string path, string caller, string paramName, string? format = null)
    {
        var extension = Path.GetExtension(path);
        var lower = extension.ToLowerInvariant();
        string? byExtension = lower switch
        {
            ".keras" => "keras",
            ".h5" or ".hdf5" => "h5",
            Extension => "tfjs",
            _ => null,
        };
        const string supported = "DeepGraph saves Keras 3's .keras, the legacy Keras .h5 and the TensorFlow.js layers format: give a path ending in \".keras\", \".h5\" or \".json\" " +
            "(TF.js: the weights are written beside it), or name the format with format: \"keras\", \"h5\" or \"tfjs\".";
        if (format is not null)
        {
            var wanted = format.ToLowerInvariant() switch
            {
                "keras" or ".keras" => "keras",
                "h5" or ".h5" or "hdf5" => "h5",
                "tfjs" or "tf.js" or "json" => "tfjs",
                _ => throw new ArgumentException($"{caller}: unknown format \"{format}\". {supported}", "format"),
            };
            if (byExtension is not null && byExtension != wanted)
                throw new ArgumentException($"{caller}: cannot save to \"{path}\" in format \"{wanted}\": its extension \"{extension}\" is the {byExtension} format's. Give a path that agrees with the format.", paramName);
            if (wanted == "tfjs" && byExtension is null)
                throw new ArgumentException($"{caller}: cannot save to \"{path}\" in format \"tfjs\": a TensorFlow.js model is a \".json\" file (its weights are written beside it).", paramName);
            return wanted;
        }
        if (byExtension is not null) return byExtension;
        var reason = extension.Length == 0
            ? "the path has no extension (Keras 2 would write a TensorFlow SavedModel folder there, a format DeepGraph does not write)"
            : $"\"{extension}\" is not a format DeepGraph writes";
        throw new ArgumentException($"{caller}: cannot save to \"{path}\": {reason}. {supported}", paramName);
    }

    /// <summary>
    /// Writes one file, <paramref name="path"/>, as one step: <paramref name="write"/> fills a uniquely named temporary file
    /// beside it, which is flushed to disk and renamed over the path (under the same lock as TF.js saves); on any
    /// exception the temporary file is removed and the path keeps what it held.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="write">Writes the file's content to the stream.</param>
    /// <param name="step">Called with <c>file written</c> before the rename, for tests that make a step fail.</param>
    public static void SaveFile(string path, Action<Stream> write, Action<string>? step = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        var file = Path.GetFullPath(path);
        if (Directory.Exists(file))
            throw new IOException($"Model.Save: cannot save to \"{path}\": it is an existing folder; give the path of the model file.");
        var folder = Path.GetDirectoryName(file)!;
        Directory.CreateDirectory(folder);
        var stripe = Stripes[(int)((uint)LockKey(file).GetHashCode() % (uint)Stripes.Length)];
        lock (stripe)
        {
            using var mutex = TakeSystemLock(file);
            try
            {
                var temporary = $"{file}.{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}.tmp";
                try
                {
                    using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
                    {
                        write(stream);
                        stream.Flush(flushToDisk: true);
                    }
                    step?.Invoke("file written");
                    File.Move(temporary, file, overwrite: true);
                }
                catch
                {
                    TryDelete(temporary);
                    throw;
                }
                FlushFolder(folder);
            }
            finally
            {
                mutex?.ReleaseMutex();
            }
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> as one step (<see cref="SaveFile(string, Action{Stream}, Action{string}?)"/>).</summary>
    public static void SaveFile(string path, byte[] bytes) => SaveFile(path, s => s.Write(bytes));

    /// <summary>Removes a file if it is there (best effort).</summary>
    public static void Remove(string path) => TryDelete(path);

    /// <summary>The weight file's name for a model saved as <paramref name="stem"/><c>.json</c>: <c>stem.weights.&lt;16 hex of SHA-256&gt;.bin</c>.</summary>
    public static string WeightsFileName(string stem, ReadOnlySpan<byte> weights) =>
        $"{stem}.weights.{Convert.ToHexStringLower(SHA256.HashData(weights)[..8])}.bin";

    /// <summary>The weight file the model JSON at <paramref name="path"/> names (the first, if its manifest names several).</summary>
    /// <exception cref="FileNotFoundException">There is no file at the path.</exception>
    /// <exception cref="ModelFormatError">The file is not a model JSON or names no weight file.</exception>
    public static string NamedWeightsFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var text = File.ReadAllText(path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ModelFormatError($"{path} is not valid JSON (corrupt or truncated): {e.Message}", e);
        }
        return WeightPaths(root).FirstOrDefault()
            ?? throw new ModelFormatError($"{path}: its weightsManifest names no weight file.");
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> and its weights beside it; the path holds the old model or the new one at every moment.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">A path ending in <c>.json</c>.</param>
    /// <param name="step">Called at each step before the JSON is renamed over the path (<c>weights written</c>, <c>weights renamed</c>, <c>json written</c>), for tests that make a step fail.</param>
    public static void Save(Core.Model model, string path, Action<string>? step = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (CheckPath(path, "Model.Save", nameof(path)) != "tfjs")
            throw new ArgumentException($"Model.Save: \"{path}\" is not a TensorFlow.js path (.json).", nameof(path));
        var file = Path.GetFullPath(path);
        if (Directory.Exists(file))
            throw new IOException($"Model.Save: cannot save to \"{path}\": it is an existing folder; give the path of the model's .json file.");
        var folder = Path.GetDirectoryName(file)!;
        var stem = Path.GetFileNameWithoutExtension(file);
        var (json, weights) = TfjsModel.Write(model, bytes => WeightsFileName(stem, bytes), Saving.Registry);
        var weightsPath = Path.Combine(folder, WeightsFileName(stem, weights));
        Directory.CreateDirectory(folder);

        var stripe = Stripes[(int)((uint)LockKey(file).GetHashCode() % (uint)Stripes.Length)];
        lock (stripe)
        {
            using var mutex = TakeSystemLock(file);
            bool systemLock = mutex is not null;
            try
            {
                if (systemLock) RemoveLeftovers(folder, file, keep: null);
                var replaced = systemLock ? ReplacedWeightFiles(file) ?? [] : [];
                bool created = !File.Exists(weightsPath);
                try
                {
                    if (!Holds(weightsPath, weights))
                    {
                        Replace(weightsPath, weights, step, "weights");
                        FlushFolder(folder); // the weight file's name reaches the disk before a JSON naming it can
                    }
                    step?.Invoke("weights renamed");
                    Replace(file, Encoding.UTF8.GetBytes(json), step, "json");
                }
                catch when (created && systemLock)
                {
                    // The path still names the old weights; the file this save created is no one's.
                    TryDelete(weightsPath);
                    throw;
                }
                FlushFolder(folder);
                if (!systemLock) return;
                // The path now names weightsPath; the weight files it named before and any a killed save left go.
                foreach (var name in replaced)
                    if (IsLegacyWeightsFile(stem, name)) TryDelete(Path.Combine(folder, name));
                RemoveLeftovers(folder, file, keep: Path.GetFileName(weightsPath));
            }
            finally
            {
                mutex?.ReleaseMutex();
            }
        }
    }

    /// <summary>Writes <paramref name="bytes"/> to a new, uniquely named file beside <paramref name="target"/>, flushes it to disk and renames it over the target.</summary>
    private static void Replace(string target, byte[] bytes, Action<string>? step, string what)
    {
        var temporary = $"{target}.{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(8, lowercase: true)}.tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, PreallocationSize = bytes.Length };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            step?.Invoke(what + " written");
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> already holds exactly <paramref name="bytes"/> (a content-named file saved before).</summary>
    private static bool Holds(string path, byte[] bytes)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists && info.Length == bytes.Length && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes, in the model's folder, what a save to <paramref name="file"/> that was killed could leave:
    /// its temporary files, and content-named weight files other than <paramref name="keep"/> that the
    /// JSON at the path does not name. Only under the system lock, when no other saver of this path runs.
    /// </summary>
    private static void RemoveLeftovers(string folder, string file, string? keep)
    {
        var name = Path.GetFileName(file);
        var stem = Path.GetFileNameWithoutExtension(file);
        var weightsPattern = Regex.Escape(stem) + @"\.weights\.[0-9a-f]{16}\.bin";
        var temporary = new Regex($@"^(?:{Regex.Escape(name)}|{weightsPattern})\.[0-9]+-[0-9a-f]{{8}}\.tmp$", RegexOptions.CultureInvariant);
        var weights = new Regex($"^{weightsPattern}$", RegexOptions.CultureInvariant);
        // With no keep given, the JSON at the path says what stays; if it cannot be read now, no weight file goes.
        var named = keep is null ? ReplacedWeightFiles(file) : [keep];
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFiles(folder, stem + ".*").Select(Path.GetFileName).ToList()!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        foreach (var entry in entries)
            if (temporary.IsMatch(entry) || (named is not null && weights.IsMatch(entry) && !named.Contains(entry, StringComparer.Ordinal)))
                TryDelete(Path.Combine(folder, entry));
    }

    /// <summary>The weight files the JSON now at <paramref name="file"/> names: none if there is no file, null if it cannot be read or parsed.</summary>
    private static string[]? ReplacedWeightFiles(string file)
    {
        try
        {
            if (!File.Exists(file)) return [];
            return [.. WeightPaths(JsonNode.Parse(File.ReadAllText(file)))];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static IEnumerable<string> WeightPaths(JsonNode? root) =>
        (root as JsonObject)?["weightsManifest"] is JsonArray groups
            ? groups.OfType<JsonObject>().Select(g => g["paths"]).OfType<JsonArray>().SelectMany(p => p)
                .Select(p => p is JsonValue v && v.TryGetValue(out string? s) ? s : null).OfType<string>()
            : [];

    /// <summary>The weight file name DeepGraph wrote before saves were atomic (<c>stem.weights.bin</c>), still deleted when the JSON that named it is replaced.</summary>
    private static bool IsLegacyWeightsFile(string stem, string name) => name == stem + ".weights.bin";

    /// <summary>The system-wide mutex for saves to <paramref name="file"/>, taken; null if the system offers none.</summary>
    private static Mutex? TakeSystemLock(string file)
    {
        Mutex? mutex = null;
        try
        {
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(LockKey(file))))[..32];
            mutex = new Mutex(false, @"Global\DeepGraph.Save." + key);
            try
            {
                mutex.WaitOne();
            }
            catch (AbandonedMutexException)
            {
                // A saver died holding it: the lock is ours now, and RemoveLeftovers clears what it left.
            }
            return mutex;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WaitHandleCannotBeOpenedException or PlatformNotSupportedException)
        {
            mutex?.Dispose();
            return null;
        }
    }

    /// <summary>The path as the file system compares it.</summary>
    private static string LockKey(string file) =>
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? file.ToUpperInvariant() : file;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a file that cannot be deleted now is removed by the next save.
        }
    }

    /// <summary>Flushes the folder's entries (the renames) to disk where the system allows it (Linux, macOS); best effort.</summary>
    private static void FlushFolder(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            int fd = Open(folder, 0);
            if (fd < 0) return;
            FSync(fd);
            Close(fd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No libc to call: the renames still happened, only their durability across a power loss is left to the system.
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
