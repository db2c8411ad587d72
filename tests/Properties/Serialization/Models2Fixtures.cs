using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Execution;
using DeepGraph.Properties.Numerics;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The second-generation TensorFlow.js fixtures copied to tests/fixtures/models2 (the layers written over ops:
/// Embedding, LayerNormalization, GlobalMaxPooling1D, Maximum, Average): each loads with TF.js's parameter
/// count, predicts what TF.js predicted within the fixture's tolerance on the managed GEMM and on every
/// native BLAS, and survives a write and a read unchanged. Token ids are written as float32 in these files.
/// </summary>
public sealed class Models2Fixtures
{
    public static TheoryData<string> Names => Fixtures.Model2Names;

    private static (Model Model, Tensor[] Inputs, Tensor[] Outputs, double Tolerance) Load(string name)
    {
        var folder = Path.Combine(Fixtures.Models2, name);
        var io = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "io.json")))!;
        return (Fixtures.Read(folder),
            FixturePredictions.ReadBundle(Path.Combine(folder, "inputs.bin"), io["inputs"]!.AsArray()),
            FixturePredictions.ReadBundle(Path.Combine(folder, "outputs.bin"), io["outputs"]!.AsArray()),
            io["tolerance"]!.GetValue<double>());
    }

    /// <summary>The worst |got − want| / max(1, |want|) over every output.</summary>
    internal static double Worst(Tensor[] got, Tensor[] want)
    {
        Assert.Equal(want.Length, got.Length);
        double worst = 0;
        for (int o = 0; o < want.Length; o++)
        {
            Assert.Equal(want[o].Shape, got[o].Shape);
            var w = want[o].Span;
            var g = got[o].Span;
            for (int i = 0; i < w.Length; i++) worst = Math.Max(worst, Math.Abs(g[i] - w[i]) / Math.Max(1.0, Math.Abs(w[i])));
        }
        return worst;
    }

    private static void Predicts(string name, IGemm gemm)
    {
        var (model, inputs, outputs, tolerance) = Load(name);
        var got = Executor.Run(model, inputs, new ForwardContext(gemm, new TensorPool()));
        double worst = Worst(got, outputs);
        Assert.True(worst <= tolerance, $"{name}: worst relative difference {worst:G3} > {tolerance} ({gemm})");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Fixture_predicts_the_outputs_tfjs_recorded(string name) => Predicts(name, Harness.Managed);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [MemberData(nameof(Names))]
    public void Fixture_predicts_the_outputs_tfjs_recorded_on_native_BLAS(string name)
    {
        foreach (var gemm in Harness.NativeOrFail) Predicts(name, gemm);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Fixture_loads_with_the_parameter_count_TFjs_recorded(string name)
    {
        var (model, _, _, _) = Load(name);
        long parameters = (long)Fixtures.IndexEntry(Fixtures.Models2, name)["params"]!;
        Assert.Equal(parameters, model.ParamCount);
        Assert.Equal(parameters, Fixtures.TotalParams(Core.Summary.Lines(model)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Fixture_written_then_read_is_the_same_model_with_the_same_weight_bytes(string name)
    {
        var folder = Path.Combine(Fixtures.Models2, name);
        var (model, inputs, outputs, tolerance) = Load(name);
        var (json, weights) = TfjsModel.Write(model, "weights.bin");
        var reread = Fixtures.Read(json, weights);
        Assert.Equal(model, reread);
        Assert.Equal(json, TfjsModel.Write(reread, "weights.bin").ModelJson);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "weights.bin")), weights);
        Assert.True(Worst(Executor.Run(reread, inputs, new ForwardContext(Harness.Managed, new TensorPool())), outputs) <= tolerance);
    }
}
