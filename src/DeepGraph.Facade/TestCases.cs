using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace DeepGraph.Keras;

/// <summary>
/// A model's test case stored beside its file, as frugally-deep keeps one in its models and as the keras-files test
/// data does: <c>&lt;model file&gt;.io.json</c> lists the tensors (<c>input_0</c>, <c>input_1</c> … in the model's input
/// order, then <c>output_0</c> …, each with <c>name</c>, <c>shape</c>, <c>dtype</c> float32, <c>offset</c> and <c>bytes</c>)
/// and <c>&lt;model file&gt;.io.bin</c> holds their values, little-endian float32, row-major, no header.
/// </summary>
internal static class TestCases
{
    /// <summary>The description file of the test case beside <paramref name="modelPath"/>.</summary>
    public static string JsonPath(string modelPath) => modelPath + ".io.json";

    /// <summary>The values file of the test case beside <paramref name="modelPath"/>.</summary>
    public static string BinPath(string modelPath) => modelPath + ".io.bin";

    /// <summary>Runs the test case beside <paramref name="path"/> through <paramref name="model"/>.</summary>
    /// <exception cref="ModelFormatError">No test case, or one that cannot be read or does not fit the model.</exception>
    /// <exception cref="ModelVerificationError">An output differs.</exception>
    public static void Verify(Model model, string path)
    {
        var (inputs, outputs) = Read(path, model.Inputs.Count, model.Outputs.Count);
        Tensor[] got;
        try
        {
            got = model.Predict(inputs, batchSize: Math.Max(1, inputs[0].Shape[0] ?? 1));
        }
        catch (Exception e) when (e is ShapeError or ArgumentException or InvalidOperationException)
        {
            throw new ModelFormatError($"{path}: verification failed: the model cannot run the inputs of its test case {JsonPath(path)}: {e.Message}", e);
        }
        for (int o = 0; o < outputs.Length; o++)
        {
            if (got[o].Shape != outputs[o].Shape)
                throw new ModelFormatError($"{path}: verification failed: output {o} has shape {got[o].Shape}, but the test case {JsonPath(path)} stores shape {outputs[o].Shape}.");
            var g = got[o].ToArray();
            var w = outputs[o].ToArray();
            for (int i = 0; i < w.Length; i++)
            {
                double difference = Math.Abs((double)g[i] - w[i]);
                if (difference <= ModelVerificationError.ToleranceOf(w[i]) || (float.IsNaN(g[i]) && float.IsNaN(w[i]))) continue;
                throw new ModelVerificationError(path, o, i, g[i], w[i], Coordinates(outputs[o].Shape, i));
            }
        }
    }

    private static int[] Coordinates(Shape shape, long index)
    {
        var result = new int[shape.Rank];
        for (int axis = shape.Rank - 1; axis >= 0; axis--)
        {
            int size = shape[axis] ?? 1;
            result[axis] = (int)(index % size);
            index /= size;
        }
        return result;
    }

    /// <summary>The inputs and expected outputs of the test case beside <paramref name="path"/>, checked against the file's length before anything is read.</summary>
    private static (Tensor[] Inputs, Tensor[] Outputs) Read(string path, int inputCount, int outputCount)
    {
        string jsonPath = JsonPath(path), binPath = BinPath(path);
        if (!File.Exists(jsonPath) || !File.Exists(binPath))
            throw new ModelFormatError($"{path}: verify: true, but there is no test case beside the model (expected {Path.GetFileName(jsonPath)} and {Path.GetFileName(binPath)}); " +
                "write one with model.Save(path, testCase: inputs).");
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(jsonPath)) as JsonObject ?? throw new ModelFormatError($"{jsonPath}: not a JSON object.");
            var tensors = root["tensors"] as JsonArray ?? throw new ModelFormatError($"{jsonPath}: no \"tensors\" list.");
            long length = new FileInfo(binPath).Length;
            var entries = new Dictionary<string, (int[] Shape, long Offset)>(StringComparer.Ordinal);
            foreach (var node in tensors)
            {
                var entry = node as JsonObject ?? throw new ModelFormatError($"{jsonPath}: a tensor entry is not an object.");
                var name = (string?)entry["name"] ?? throw new ModelFormatError($"{jsonPath}: a tensor entry has no name.");
                var dtype = (string?)entry["dtype"] ?? "float32";
                if (dtype != "float32") throw new ModelFormatError($"{jsonPath}: tensor \"{name}\" has dtype \"{dtype}\"; test cases store float32.");
                var shape = (entry["shape"] as JsonArray ?? throw new ModelFormatError($"{jsonPath}: tensor \"{name}\" has no shape."))
                    .Select(d => (int)d!).ToArray();
                long count = 1;
                foreach (var d in shape)
                {
                    if (d <= 0) throw new ModelFormatError($"{jsonPath}: tensor \"{name}\" has a dimension {d}.");
                    count = checked(count * d);
                    if (count * 4 > length) throw new ModelFormatError($"{jsonPath}: tensor \"{name}\" of shape [{string.Join(", ", shape)}] does not fit in {binPath} ({length} bytes).");
                }
                long offset = (long)entry["offset"]!, bytes = (long)entry["bytes"]!;
                if (bytes != count * 4 || offset < 0 || offset + bytes > length)
                    throw new ModelFormatError($"{jsonPath}: tensor \"{name}\": offset {offset} and {bytes} bytes do not fit its shape [{string.Join(", ", shape)}] (float32) within {binPath} ({length} bytes).");
                if (!entries.TryAdd(name, (shape, offset))) throw new ModelFormatError($"{jsonPath}: tensor \"{name}\" is listed twice.");
            }
            var data = File.ReadAllBytes(binPath);
            Tensor Take(string name)
            {
                if (!entries.TryGetValue(name, out var e))
                    throw new ModelFormatError($"{jsonPath}: no tensor \"{name}\"; the model has {inputCount} input(s) and {outputCount} output(s).");
                var values = new float[e.Shape.Aggregate(1L, (a, d) => a * d)];
                for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan((int)(e.Offset + 4L * i), 4));
                return Tensor.FromArray(values, e.Shape);
            }
            var inputs = Enumerable.Range(0, inputCount).Select(k => Take($"input_{k}")).ToArray();
            var outputs = Enumerable.Range(0, outputCount).Select(k => Take($"output_{k}")).ToArray();
            if (entries.Count != inputCount + outputCount)
                throw new ModelFormatError($"{jsonPath}: {entries.Count} tensors, but the model has {inputCount} input(s) and {outputCount} output(s).");
            return (inputs, outputs);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException or OverflowException or NullReferenceException or ArgumentException)
        {
            throw new ModelFormatError($"{jsonPath}: the test case cannot be read: {e.Message}", e);
        }
    }

    /// <summary>The test case's two files for <paramref name="inputs"/> and the outputs <paramref name="model"/> gives for them.</summary>
    /// <exception cref="ArgumentException">The inputs do not fit the model.</exception>
    public static (byte[] Json, byte[] Bin) Make(Model model, IReadOnlyList<Tensor> inputs, string modelFileName, string format)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count != model.Inputs.Count)
            throw new ArgumentException($"testCase: model \"{model.Name}\" has {model.Inputs.Count} input(s), but {inputs.Count} tensor(s) were given.", "testCase");
        var outputs = model.Predict(inputs, batchSize: Math.Max(1, inputs[0].Shape[0] ?? 1));
        var list = new JsonArray();
        using var bin = new MemoryStream();
        void Add(string name, Tensor t)
        {
            var values = t.ToArray();
            long offset = bin.Length;
            Span<byte> four = stackalloc byte[4];
            foreach (var v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(four, v);
                bin.Write(four);
            }
            list.Add(new JsonObject
            {
                ["name"] = name,
                ["shape"] = new JsonArray([.. t.Shape.Select(d => (JsonNode)JsonValue.Create(d ?? 0))]),
                ["dtype"] = "float32",
                ["offset"] = offset,
                ["bytes"] = bin.Length - offset,
            });
        }
        for (int k = 0; k < inputs.Count; k++) Add($"input_{k}", inputs[k]);
        for (int k = 0; k < outputs.Length; k++) Add($"output_{k}", outputs[k]);
        var root = new JsonObject
        {
            ["model"] = modelFileName,
            ["weights"] = null,
            ["keras_version"] = null,
            ["format"] = format,
            ["seed"] = null,
            ["tensors"] = list,
            ["note"] = string.Create(CultureInfo.InvariantCulture, $"written by DeepGraph's Model.Save(testCase:); compare with |got - want| <= 1e-4 * max(1, |want|)"),
        };
        return (Encoding.UTF8.GetBytes(root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true })), bin.ToArray());
    }
}
