using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Execution;
using DeepGraph.Serialization;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// Every legacy <c>.h5</c> that Keras itself wrote (tests/fixtures/keras-files, its README) loads through
/// <see cref="KerasH5.Read"/> and predicts the expected outputs within 1e-4·max(1, |want|), survives a write
/// and a read with the same predictions. Every file uses only layers DeepGraph has, so none may be refused (the 16
/// <c>_cf_</c> files need Conv1D's <c>data_format: channels_first</c>).
/// </summary>
/// <remarks>
/// <para>The four files simple_lstm, simple_rnn, simple_flatten_lstm and simple_flatten_rnn declare a fixed batch
/// of 25 while the expected inputs have batch 2; as Keras 3 (whose input specs leave the batch out), they run on
/// the batch they are given.</para>
/// </remarks>
public sealed class KerasFilesTests
{
    /// <summary>The legacy-h5 cases of <see cref="Fixtures.KerasFileCases"/>.</summary>
    public static TheoryData<string> H5Cases
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var row in Fixtures.KerasFileCases)
            {
                var path = row;
                if (Io(path)["format"]!.GetValue<string>() == "legacy-h5") data.Add(path);
            }
            return data;
        }
    }

    internal static JsonNode Io(string relative) => JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.KerasFiles, "expected", relative)))!;

    /// <summary>The inputs and expected outputs of a case.</summary>
    internal static (string Model, Tensor[] Inputs, Tensor[] Outputs) Case(string relative)
    {
        var io = Io(relative);
        var tensors = io["tensors"]!.AsArray();
        var bin = Path.Combine(Fixtures.KerasFiles, "expected", relative[..^".io.json".Length] + ".io.bin");
        var all = FixturePredictions.ReadBundle(bin, tensors);
        var names = tensors.Select(t => t!["name"]!.GetValue<string>()).ToList();
        return (Path.Combine(Fixtures.KerasFiles, io["model"]!.GetValue<string>()),
            [.. all.Where((_, i) => names[i].StartsWith("input_", StringComparison.Ordinal))],
            [.. all.Where((_, i) => names[i].StartsWith("output_", StringComparison.Ordinal))]);
    }

    internal static KerasFileContents Load(string modelPath)
    {
        using var stream = File.OpenRead(modelPath);
        return KerasH5.Read(stream);
    }

    /// <summary>The model's outputs for <paramref name="inputs"/> (a model declaring a fixed batch runs on the inputs' batch, as in Keras 3).</summary>
    internal static Tensor[] Predict(Model model, Tensor[] inputs)
    {
        return Executor.Run(model, inputs, new ForwardContext(Harness.Managed, new TensorPool()));
    }

    [Theory]
    [MemberData(nameof(H5Cases))]
    public void Keras_written_h5_predicts_what_Keras_computes_or_is_refused_naming_the_layer(string relative)
    {
        var (modelPath, inputs, outputs) = Case(relative);
        var contents = Load(modelPath);
        Assert.Equal("h5", contents.Format);
        Assert.Equal(Io(relative)["keras_version"]!.GetValue<string>(), contents.KerasVersion);
        Assert.True(contents.Model.Graph.Layers.Values.All(l => l.IsBuilt));
        double worst = Models2Fixtures.Worst(Predict(contents.Model, inputs), outputs);
        Assert.True(worst <= 1e-4, $"{relative}: worst relative difference {worst:G3} > 1e-4");
    }

    [Theory]
    [MemberData(nameof(H5Cases))]
    public void Keras_written_h5_written_and_read_again_predicts_the_same(string relative)
    {
        var (modelPath, inputs, _) = Case(relative);
        var contents = Load(modelPath);
        var model = contents.Model;
        var reread = RoundTrip(model, contents.TrainingConfig);
        // Load → save → load gives an equal model value (Keras 2.0's Sequential form, the input shape on the first
        // layer, reads as the same model as the InputLayer-first form that is written).
        Assert.Equal(model, reread.Model);
        Assert.Equal(contents.TrainingConfig?.ToJsonString(), reread.TrainingConfig?.ToJsonString());
        var want = Predict(model, inputs);
        var got = Predict(reread.Model, inputs);
        Assert.Equal(want.Length, got.Length);
        for (int o = 0; o < want.Length; o++) Assert.Equal(want[o].Span.ToArray(), got[o].Span.ToArray());
    }

    internal static KerasFileContents RoundTrip(Model model, JsonObject? trainingConfig = null)
    {
        using var written = new MemoryStream();
        KerasH5.Write(model, written, trainingConfig);
        written.Position = 0;
        return KerasH5.Read(written);
    }
}
