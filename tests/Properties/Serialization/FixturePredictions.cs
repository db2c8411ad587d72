using System.Text.Json.Nodes;
using DeepGraph.Keras;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Every TensorFlow.js fixture, loaded as a user loads it, predicts what TF.js predicted:
/// |got − want| / max(1, |want|) ≤ the fixture's tolerance (1e-4) for every value. Runs on the
/// BLAS the environment chooses (CI runs the suite once on OpenBLAS and once on the managed kernel).
/// </summary>
public sealed class FixturePredictions
{
    public static TheoryData<string> ModelNames => Fixtures.ModelNames;

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Fixture_predicts_the_outputs_tfjs_recorded(string name)
    {
        var folder = Path.Combine(Fixtures.Models, name);
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "io.json")))!;
        double tolerance = io["tolerance"]!.GetValue<double>();
        var inputs = ReadBundle(Path.Combine(folder, "inputs.bin"), io["inputs"]!.AsArray());
        var expected = ReadBundle(Path.Combine(folder, "outputs.bin"), io["outputs"]!.AsArray());

        var model = Models.LoadModel(Path.Combine(folder, "model.json"));
        var got = model.Predict(inputs);

        Assert.Equal(expected.Length, got.Length);
        for (int o = 0; o < expected.Length; o++)
        {
            Assert.Equal(expected[o].Shape, got[o].Shape);
            var want = expected[o].Span;
            var have = got[o].Span;
            double worst = 0;
            for (int i = 0; i < want.Length; i++)
                worst = Math.Max(worst, Math.Abs(have[i] - want[i]) / Math.Max(1.0, Math.Abs(want[i])));
            Assert.True(worst <= tolerance, $"{name} output {o}: worst relative difference {worst:G3} > {tolerance} ({Backend.BlasReport})");
        }
    }

    /// <summary>A tensor bundle: little-endian float32 values at each manifest entry's offset.</summary>
    internal static Tensor[] ReadBundle(string path, JsonArray manifest)
    {
        var bytes = File.ReadAllBytes(path);
        return [.. manifest.Select(entry =>
        {
            int offset = entry!["offset"]!.GetValue<int>(), count = entry["bytes"]!.GetValue<int>() / 4;
            var values = new float[count];
            Buffer.BlockCopy(bytes, offset, values, 0, count * 4);
            return Tensor.FromArray(values, [.. entry["shape"]!.AsArray().Select(d => d!.GetValue<int>())]);
        })];
    }
}
