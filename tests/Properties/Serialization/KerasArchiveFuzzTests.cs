using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// A <c>.keras</c> file is untrusted: malformed archives, configs and weights are refused with typed errors naming what is
/// wrong, and damaged bytes — in the zip, in config.json or in model.weights.h5 — give a model or a
/// <see cref="ModelFormatError"/>, nothing else.
/// </summary>
public sealed class KerasArchiveFuzzTests
{
    private static byte[] Zip(params (string Name, byte[] Bytes, CompressionLevel Level)[] members)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes, level) in members)
            {
                using var s = archive.CreateEntry(name, level).Open();
                s.Write(bytes);
            }
        return zip.ToArray();
    }

    /// <summary>The members of a zip, in order.</summary>
    private static List<(string Name, byte[] Bytes)> Unzip(byte[] bytes)
    {
        using var archive = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
        return [.. archive.Entries.Select(e =>
        {
            using var s = e.Open();
            using var m = new MemoryStream();
            s.CopyTo(m);
            return (e.FullName, m.ToArray());
        })];
    }

    private static byte[] Rezip(List<(string Name, byte[] Bytes)> members) =>
        Zip([.. members.Select(m => (m.Name, m.Bytes, CompressionLevel.NoCompression))]);

    private static ModelFormatError Refused(byte[] file) => Assert.ThrowsAny<ModelFormatError>(() => KerasArchiveTests.ReadBytes(file));

    [Fact]
    public void The_small_file_of_these_tests_reads()
    {
        var model = KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small()).Model;
        Assert.Equal(["x", "hidden", "out"], model.Layers.Select(l => l.Name));
    }

    [Theory]
    [InlineData("config.json", "two members named \"config.json\"")]
    [InlineData("model.weights.h5", "two members named \"model.weights.h5\"")]
    [InlineData("notes.txt", "unexpected member \"notes.txt\"")]
    [InlineData("model.weights.npz", "weights_format=\"npz\"")]
    [InlineData("../evil.json", "escapes the archive")]
    [InlineData("assets/../../evil", "escapes the archive")]
    [InlineData("/etc/passwd", "escapes the archive")]
    [InlineData("C:/evil", "escapes the archive")]
    [InlineData("assets\\evil", "escapes the archive")]
    public void Duplicated_unexpected_or_escaping_members_are_refused(string member, string message)
    {
        var e = Refused(KerasArchiveHandMadeTests.Small(extraMembers: [(member, Encoding.UTF8.GetBytes("{}"))]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Assets_members_are_allowed_and_not_read()
    {
        var model = KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small(extraMembers: [("assets/", []), ("assets/vocab.txt", Encoding.UTF8.GetBytes("a\nb"))])).Model;
        Assert.Equal(3, model.Layers.Count);
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("metadata.json")]
    [InlineData("model.weights.h5")]
    public void A_missing_member_is_refused_naming_it(string member)
    {
        var members = Unzip(KerasArchiveHandMadeTests.Small()).Where(m => m.Name != member).ToList();
        var e = Refused(Rezip(members));
        Assert.Contains($"has no {member}", e.Message);
    }

    [Fact]
    public void Missing_extra_or_misshapen_weights_are_refused_naming_the_dataset()
    {
        var missing = Refused(KerasArchiveHandMadeTests.Small(editWeights: w => w.Remove("layers/dense_1/vars/1")));
        Assert.Contains("\"layers/dense_1/vars/1\"", missing.Message);
        Assert.Contains("layer \"out\" (Dense)", missing.Message);

        var extra = Refused(KerasArchiveHandMadeTests.Small(editWeights: w => w["layers/dense_1/vars/2"] = ([1f], [1])));
        Assert.Contains("belongs to no layer", extra.Message);
        Assert.Contains("\"layers/dense_1/vars/2\"", extra.Message);

        var shape = Refused(KerasArchiveHandMadeTests.Small(editWeights: w => w["layers/dense/vars/0"] = (new float[6], [2, 3])));
        Assert.Contains("\"layers/dense/vars/0\" has shape [2, 3]", shape.Message);
        Assert.Contains("[3, 2]", shape.Message);

        var big = Refused(KerasArchiveHandMadeTests.Small(editWeights: w => w["layers/dense/vars/1"] = (new float[4], [4])));
        Assert.Contains("has shape [4]", big.Message);

        var type = Refused(TypedWeights());
        Assert.Contains("float32", type.Message);
    }

    /// <summary>The small file with a bias stored as int32.</summary>
    private static byte[] TypedWeights()
    {
        var members = Unzip(KerasArchiveHandMadeTests.Small());
        var h5 = new PureHDF.H5File();
        // Rebuild the weights with an int32 bias for layers/dense.
        using (var read = PureHDF.H5File.Open(new MemoryStream(members.Single(m => m.Name == "model.weights.h5").Bytes), leaveOpen: false))
        {
            PureHDF.H5Group Group(string path)
            {
                PureHDF.H5Group g = h5;
                foreach (var part in path.Split('/'))
                {
                    if (!g.TryGetValue(part, out var c)) g[part] = c = new PureHDF.H5Group();
                    g = (PureHDF.H5Group)c;
                }
                return g;
            }
            foreach (var layer in (string[])["dense", "dense_1"])
                for (int i = 0; i < 2; i++)
                {
                    var path = $"layers/{layer}/vars/{i}";
                    var d = (PureHDF.IH5Dataset)read.Get(path);
                    var values = d.Read<float[]>();
                    Group($"layers/{layer}/vars")[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = layer == "dense" && i == 1
                        ? new PureHDF.H5Dataset(values.Select(v => (int)v).ToArray(), fileDims: d.Space.Dimensions)
                        : new PureHDF.H5Dataset(values, fileDims: d.Space.Dimensions);
                }
        }
        using var bytes = new MemoryStream();
        h5.Write(bytes);
        return Rezip([.. members.Select(m => m.Name == "model.weights.h5" ? (m.Name, bytes.ToArray()) : m)]);
    }

    [Fact]
    public void A_weight_that_is_an_external_link_to_another_file_is_refused()
    {
        // tests/fixtures/keras-h5/external-link.keras is the Keras 3.8 file with its LSTM kernel made an HDF5 external
        // link to an absolute path (see the README there); PureHDF follows such links, so the target exists here
        // and only the reader's own check stops it.
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // the link names a Unix path
        var file = File.ReadAllBytes(Path.Combine(Fixtures.Root, "tests", "fixtures", "keras-h5", "external-link.keras"));
        var target = ExternalLinkFixture.Target(file, "deepgraph-keras-external-link-target.h5");
        ExternalLinkFixture.Create(target, path => new PureHDF.H5File { ["kernel"] = new PureHDF.H5Dataset(new float[8], fileDims: [2, 4]) }.Write(path));
        // Refused naming the dataset: as an external link when PureHDF resolves it, else as a dataset the file lacks.
        var e = Refused(file);
        Assert.True(e.Message.Contains("layers/lstm/cell/vars/0", StringComparison.Ordinal)
            && (e.Message.Contains("external link", StringComparison.Ordinal) || e.Message.Contains("no such dataset", StringComparison.Ordinal)), e.Message);
    }

    [Fact]
    public void Weights_declaring_more_data_than_the_file_holds_are_refused_before_anything_is_allocated()
    {
        // tests/fixtures/keras-h5/huge-declared.keras: the Keras 3.8 file with an LSTM of 10,000 units (a 1.6 GB
        // recurrent kernel) whose datasets declare those shapes with no data stored, in a file of 16 kB: refused
        // from the declared sizes alone.
        var e = Refused(File.ReadAllBytes(Path.Combine(Fixtures.Root, "tests", "fixtures", "keras-h5", "huge-declared.keras")));
        Assert.Contains("declare", e.Message);
        Assert.Contains("file holds only", e.Message);
    }

    [Fact]
    public void Optimizer_state_and_random_generator_state_are_not_weights_and_are_not_read()
    {
        var model = KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small(editWeights: w =>
        {
            w["optimizer/vars/0"] = ([3f], [1]);
            w["optimizer/vars/1"] = (new float[6], [3, 2]);
            w["layers/dense/seed_generator/vars/0"] = ([1f, 2f], [2]);
        })).Model;
        Assert.Equal(3, model.Layers.Count);
    }

    [Fact]
    public void Unknown_classes_are_refused_with_the_layer_its_class_and_the_version()
    {
        var e = Assert.Throws<UnsupportedLayerError>(() => KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small(
            editConfig: c => c.Replace("\"class_name\": \"Dense\", \"config\": {\"name\": \"out\"", "\"class_name\": \"MyDense\", \"config\": {\"name\": \"out\"", StringComparison.Ordinal))));
        Assert.Equal("out", e.LayerName);
        Assert.Equal("MyDense", e.ClassName);
        Assert.Equal("3.8.0", e.KerasVersion);

        var root = Assert.Throws<UnsupportedLayerError>(() => KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small(
            editConfig: c => c.Replace("\"class_name\": \"Functional\"", "\"class_name\": \"MyModel\"", StringComparison.Ordinal))));
        Assert.Equal("MyModel", root.ClassName);
        Assert.Equal("small", root.LayerName);
    }

    [Theory]
    [InlineData("Lambda", "\"function\": {\"class_name\": \"__lambda__\", \"config\": {\"code\": \"4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7pAgAAAKkAKQHaAXhyAgAAAHICAAAA\", \"defaults\": null, \"closure\": null}}, \"arguments\": {}, ", "Python bytecode")]
    [InlineData("TFOpLambda", "\"function\": \"math.multiply\", ", "TFOpLambda")]
    [InlineData("TensorFlowOpLayer", "\"node_def\": {\"op\": \"Mul\"}, \"constants\": {}, ", "TensorFlowOpLayer")]
    public void Python_code_and_TensorFlow_op_layers_are_refused_naming_the_layer_its_class_and_the_version(string className, string config, string said)
    {
        // The model's last layer becomes one whose computation is Python or TensorFlow code (as Keras writes them).
        // Lambda is read when functions are registered (the facade registers its table): give it an empty one.
        var registry = DeepGraph.Core.LayerRegistry.Default.With(DeepGraph.Core.Lambda.KindFor(new Dictionary<string, Delegate>()));
        var e = Assert.Throws<UnsupportedLayerError>(() => KerasArchiveTests.ReadBytes(KerasArchiveHandMadeTests.Small(
            editConfig: c => c.Replace("\"class_name\": \"Dense\", \"config\": {\"name\": \"out\"", $"\"class_name\": \"{className}\", \"config\": {{{config}\"name\": \"out\"", StringComparison.Ordinal)), registry));
        Assert.Equal(("out", className, "3.8.0"), (e.LayerName, e.ClassName, e.KerasVersion));
        Assert.True(e.Message.Contains(said, StringComparison.Ordinal) && e.Message.Contains("\"out\"", StringComparison.Ordinal), e.Message);
    }

    [Fact]
    public void Not_a_zip_not_json_and_not_hdf5_are_refused()
    {
        Assert.Contains("not a readable zip", Refused(Encoding.UTF8.GetBytes("{\"class_name\": \"Sequential\"}")).Message);
        var members = Unzip(KerasArchiveHandMadeTests.Small());
        Assert.Contains("config.json is not valid JSON", Refused(Rezip([.. members.Select(m => m.Name == "config.json" ? (m.Name, Encoding.UTF8.GetBytes("{\"module\": ")) : m)])).Message);
        Assert.Contains("model.weights.h5", Refused(Rezip([.. members.Select(m => m.Name == "model.weights.h5" ? (m.Name, Encoding.UTF8.GetBytes("not hdf5")) : m)])).Message);
    }

    /// <summary>Sets the uncompressed size a zip declares for <paramref name="member"/> (local header and central directory).</summary>
    private static byte[] DeclareSize(byte[] zip, string member, uint size)
    {
        var bytes = (byte[])zip.Clone();
        var name = Encoding.UTF8.GetBytes(member);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (signature == 0x04034b50 && bytes.AsSpan(i + 30, name.Length).SequenceEqual(name) && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 26)) == name.Length)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), size);
            if (signature == 0x02014b50 && bytes.AsSpan(i + 46, name.Length).SequenceEqual(name) && BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28)) == name.Length)
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
        }
        return bytes;
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("metadata.json")]
    [InlineData("model.weights.h5")]
    public void A_member_declaring_more_than_is_read_is_refused_before_reading(string member)
    {
        var e = Refused(DeclareSize(KerasArchiveHandMadeTests.Small(), member, 0xFFFF_FFF0));
        Assert.Contains($"\"{member}\" declares", e.Message);
    }

    [Fact]
    public void A_compressed_member_that_inflates_past_its_declared_size_is_refused()
    {
        var members = Unzip(KerasArchiveHandMadeTests.Small());
        // 4 MB of spaces after the config: a zip bomb in small, compressing to a few kB.
        var bomb = members.Select(m => m.Name == "config.json" ? (m.Name, [.. m.Bytes, .. new byte[4 << 20].Select(_ => (byte)' ')], CompressionLevel.Optimal) : (m.Name, m.Bytes, CompressionLevel.NoCompression)).ToArray();
        var zip = Zip(bomb);
        Assert.True(zip.Length < 64 << 10);
        Assert.ThrowsAny<ModelFormatError>(() => KerasArchiveTests.ReadBytes(DeclareSize(zip, "config.json", 1000)));
    }

    private enum Damage { ZipBytes, ConfigBytes, WeightBytes, Truncate }

    /// <summary>
    /// Damaged files, case <c>i</c> from <c>new Random(20261206 + i)</c>: bytes of the zip, of config.json or of
    /// model.weights.h5 (re-zipped, so that the damage reaches the readers behind the zip) flipped or overwritten, or the
    /// file truncated. Each reads or is refused with a <see cref="ModelFormatError"/>; nothing else escapes.
    /// </summary>
    [Fact]
    public void Damaged_files_read_or_are_refused_with_ModelFormatError_only()
    {
        var good = KerasArchiveHandMadeTests.Small();
        var members = Unzip(good);
        var failures = new List<string>();
        int refused = 0, read = 0;
        for (int i = 0; i < 400; i++)
        {
            var random = new Random(20_261_206 + i);
            var damage = (Damage)(i % 4);
            byte[] file;
            switch (damage)
            {
                case Damage.Truncate:
                    file = good[..random.Next(good.Length)];
                    break;
                case Damage.ZipBytes:
                    file = Flip((byte[])good.Clone(), random);
                    break;
                default:
                    var name = damage == Damage.ConfigBytes ? "config.json" : "model.weights.h5";
                    file = Rezip([.. members.Select(m => m.Name == name ? (m.Name, Flip((byte[])m.Bytes.Clone(), random)) : m)]);
                    break;
            }
            try
            {
                KerasArchiveTests.ReadBytes(file);
                read++;
            }
            catch (ModelFormatError)
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add($"case {i} ({damage}): {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(refused > 100, $"only {refused} of 400 damaged files were refused ({read} read)");
    }

    /// <summary>1–8 bytes set to random values, or one run of up to 16 bytes overwritten.</summary>
    private static byte[] Flip(byte[] bytes, Random random)
    {
        if (random.Next(2) == 0)
        {
            for (int k = random.Next(1, 9); k > 0; k--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
        }
        else
        {
            int at = random.Next(bytes.Length), n = Math.Min(random.Next(1, 17), bytes.Length - at);
            byte fill = (byte)(random.Next(2) == 0 ? 0xFF : random.Next(256));
            bytes.AsSpan(at, n).Fill(fill);
        }
        return bytes;
    }
}
