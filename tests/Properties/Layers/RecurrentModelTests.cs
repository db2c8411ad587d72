using DeepGraph.Core;
using DeepGraph.Keras;
using DeepGraph.Properties.Execution;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;
using Model = DeepGraph.Keras.Model;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// The recurrent layers in models, as a Keras user meets them: with <c>Embedding(mask_zero)</c> a padded sequence gives
/// what the unpadded one gives (prediction and gradients), pre- or post-padded; <c>return_state</c> and a Bidirectional
/// without merge give several outputs; a GRU in Keras's default form saves and loads; stateful layers are refused and
/// recurrent dropout trains only once supported.
/// </summary>
public sealed class RecurrentModelTests
{
    private static Keras.Layer Recurrent(string kind, int units) => kind switch
    {
        "simple" => SimpleRNN(units),
        "lstm" => LSTM(units),
        "gru" => GRU(units),
        "gru_before" => GRU(units, resetAfter: false),
        _ => Bidirectional(LSTM(units), mergeMode: "concat"),
    };

    private static Keras.Model Classifier(string kind, int seed)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(seed);
        var ids = Input(shape: [(int?)null], dtype: "int32");
        var h = Embedding(9, 4, maskZero: true).Call(ids);
        h = Recurrent(kind, 3).Call(h);
        return new Keras.Model(ids, Dense(2).Call(h));
    }

    private static Tensor[] Predict(Keras.Model model, int[] ids) =>
        Executor.Run(model.CoreModel, [Tensor.FromInts(ids, [1, ids.Length])], new ForwardContext(Harness.Managed, new TensorPool()));

    private static Gen<int[]> Tokens => Gen.Choose(1, 8).ArrayOf().Where(a => a.Length is > 0 and < 7);

    [Property(MaxTest = 40)]
    public Property Padding_masked_by_Embedding_mask_zero_changes_no_prediction() =>
        Prop.ForAll((from kind in Gen.Elements("simple", "lstm", "gru", "gru_before", "bidirectional")
                     from tokens in Tokens
                     from pad in Gen.Choose(1, 3)
                     from pre in ArbMap.Default.GeneratorFor<bool>()
                     select (kind, tokens, pad, pre)).ToArbitrary(),
            c =>
            {
                var (kind, tokens, pad, pre) = c;
                var model = Classifier(kind, tokens.Length);
                var padded = pre ? [.. new int[pad], .. tokens] : tokens.Concat(new int[pad]).ToArray();
                var want = Predict(model, tokens)[0].ToArray();
                var got = Predict(model, padded)[0].ToArray();
                return want.Zip(got).All(p => Math.Abs(p.First - p.Second) <= 1e-5f).Label($"{kind} {string.Join(",", padded)}: {string.Join(",", got)} vs {string.Join(",", want)}");
            });

    [Theory]
    [InlineData("lstm")]
    [InlineData("gru")]
    [InlineData("simple")]
    [InlineData("bidirectional")]
    public void Padding_masked_by_Embedding_mask_zero_changes_no_gradient(string kind)
    {
        var model = Classifier(kind, 3).CoreModel;
        var config = TrainingConfig.Of(new Sgd(), new MeanSquaredError());
        var y = Tensor.FromArray([0.5f, -1f], [1, 2]);
        Gradients Of(int[] ids) =>
            Trainer.ComputeGradients(model, [Tensor.FromInts(ids, [1, ids.Length])], [y], config, new ForwardContext(Harness.Managed, new TensorPool(), Training: true)).Gradients;
        using var trimmed = Of([4, 2, 7]);
        using var padded = Of([0, 4, 2, 7, 0, 0]);
        foreach (var layer in Trainer.AllLayers(model).Values.Where(l => l.Weights.Count > 0))
        {
            var a = trimmed.Of(layer.Id)!;
            var b = padded.Of(layer.Id)!;
            for (int i = 0; i < a.Count; i++)
            {
                var (x, z) = (a[i]!.ToArray(), b[i]!.ToArray());
                for (int k = 0; k < x.Length; k++)
                    Assert.True(Math.Abs(x[k] - z[k]) <= 1e-5, $"{layer.Name} weight {i}[{k}]: {z[k]} padded vs {x[k]} trimmed");
            }
        }
    }

    [Fact]
    public void Return_state_and_merge_None_give_several_outputs_with_Keras_shapes()
    {
        Backend.ClearSession();
        var x = Input(shape: [5, 3]);
        var lstm = LSTM(4, returnSequences: true, returnState: true).CallMany(x);
        Assert.Equal(["(None, 5, 4)", "(None, 4)", "(None, 4)"], lstm.Select(t => t.Shape.ToString()));
        var gru = GRU(2, returnState: true).CallMany(x);
        Assert.Equal(["(None, 2)", "(None, 2)"], gru.Select(t => t.Shape.ToString()));
        var bi = Bidirectional(LSTM(2, returnState: true), mergeMode: null).CallMany(x);
        Assert.Equal(["(None, 2)", "(None, 2)", "(None, 2)", "(None, 2)", "(None, 2)", "(None, 2)"], bi.Select(t => t.Shape.ToString()));
        var model = new Keras.Model(x, [lstm[0], lstm[1], lstm[2], gru[0], gru[1]]);
        var outputs = model.Predict(Tensor.FromArray(Harness.Uniform(new Random(1), 2 * 5 * 3), [2, 5, 3]));
        // The last step of the sequence is h; GRU's output without sequences is its state.
        var seq = outputs[0].ToArray();
        var h = outputs[1].ToArray();
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 4; k++) Assert.Equal(seq[(n * 5 + 4) * 4 + k], h[n * 4 + k]);
        Assert.Equal(outputs[3].ToArray(), outputs[4].ToArray());
    }

    [Fact]
    public void A_GRU_in_Keras_default_form_saves_and_loads_with_its_two_row_bias()
    {
        Backend.ClearSession();
        var x = Input(shape: [4, 3]);
        var y = Dense(1).Call(GRU(5, returnSequences: true).Call(x));
        var model = new Keras.Model(x, y);
        var gru = (Core.GRU)model.CoreModel.Graph.Layers.Values.Single(l => l is Core.GRU);
        Assert.True(gru.ResetAfter);
        Assert.Equal(Shape.Known(2, 15), gru.Weights[2].Value.Shape);
        Assert.Equal(3 * 15 + 5 * 15 + 2 * 15, gru.ParamCount);
        var (json, weights) = TfjsModel.Write(model.CoreModel, "w.bin");
        Assert.Contains("\"reset_after\":true", json);
        var back = TfjsModel.Read(json, _ => weights);
        var input = Tensor.FromArray(Harness.Uniform(new Random(2), 2 * 4 * 3), [2, 4, 3]);
        var context = new ForwardContext(Harness.Managed, new TensorPool());
        Assert.Equal(Executor.Run(model.CoreModel, [input], context)[0].ToArray(), Executor.Run(back, [input], context)[0].ToArray());
    }

    [Fact]
    public void Stateful_is_refused_and_recurrent_dropout_trains_only_when_supported()
    {
        var e = Assert.Throws<ArgumentException>(() => LSTM(3, stateful: true));
        Assert.Contains("stateful=True is not supported", e.Message);
        Backend.ClearSession();
        var x = Input(shape: [4, 3]);
        var model = new Keras.Model(x, Dense(1).Call(LSTM(3, recurrentDropout: 0.2).Call(x)));
        var input = Tensor.FromArray(Harness.Uniform(new Random(3), 2 * 4 * 3), [2, 4, 3]);
        Assert.Equal([2, 1], model.Predict(input)[0].Shape.ToArray());
        model.Compile(optimizer: "sgd", loss: "mse");
        var error = Assert.Throws<NotSupportedException>(() => model.TrainOnBatch(input, Tensor.Zeros(2, 1)));
        Assert.Contains("\"lstm\"", error.Message);
        Assert.Contains("recurrent_dropout", error.Message);
    }

    [Fact]
    public void Input_dropout_trains_and_leaves_inference_alone()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(6);
        var x = Input(shape: [4, 3]);
        var model = new Keras.Model(x, Dense(1).Call(GRU(3, dropout: 0.3).Call(x)));
        var input = Tensor.FromArray(Harness.Uniform(new Random(5), 8 * 4 * 3), [8, 4, 3]);
        var before = model.Predict(input)[0].ToArray();
        Assert.Equal(before, model.Predict(input)[0].ToArray());
        model.Compile(optimizer: "adam", loss: "mse");
        var target = Tensor.FromArray(Harness.Uniform(new Random(6), 8), [8, 1]);
        // Trained is judged at inference: each training step's loss is taken under its own dropout mask, so the first
        // and the last differ by their masks as much as by the training (the 21st above the 1st for some seeds).
        double first = model.Evaluate(input, target)["loss"];
        for (int i = 0; i < 20; i++) model.TrainOnBatch(input, target);
        double last = model.Evaluate(input, target)["loss"];
        Assert.True(last < first, $"loss at inference {first} → {last}");
        Assert.Equal(0.3, ((Core.GRU)model.CoreModel.Graph.Layers.Values.Single(l => l is Core.GRU)).Dropout);
    }

    /// <summary>The example of docs/layers-recurrent.md, verbatim: it builds, predicts and trains on padded batches.</summary>
    private static Keras.Model DocsExample()
    {
        Backend.ClearSession();
        var ids = Input(shape: [(int?)null], dtype: "int32");            // token ids, any length
        var x = Embedding(20000, 128, maskZero: true).Call(ids);          // id 0 is padding: a mask follows x
        x = Bidirectional(LSTM(64, returnSequences: true)).Call(x);       // (None, None, 128)
        x = GRU(32).Call(x);                                              // (None, 32): the last real step's state
        var output = Dense(1, activation: "sigmoid").Call(x);
        var model = new Model(ids, output);
        model.Compile(optimizer: "adam", loss: "binary_crossentropy", metrics: ["accuracy"]);
        return model;
    }

    [Fact]
    public void The_docs_example_is_this_code_and_trains()
    {
        var root = Docs.DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "layers-recurrent.md")).ReplaceLineEndings("\n");
        int start = page.IndexOf("```csharp\n", StringComparison.Ordinal) + "```csharp\n".Length;
        var block = page[start..page.IndexOf("```", start, StringComparison.Ordinal)];
        static string Trimmed(string code) => string.Join("\n", code.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using", StringComparison.Ordinal)));
        var source = Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Layers", "RecurrentModelTests.cs")));
        Assert.Contains(Trimmed(block), source, StringComparison.Ordinal);

        var model = DocsExample();
        var rng = new Random(4);
        var batch = Tensor.FromArray([.. Enumerable.Range(0, 8 * 12).Select(i => i % 12 < 3 + i / 12 ? (float)rng.Next(1, 20000) : 0f)], [8, 12]);
        var labels = Tensor.FromArray([.. Enumerable.Range(0, 8).Select(i => (float)(i % 2))], [8, 1]);
        double first = model.TrainOnBatch(batch, labels), last = first;
        for (int i = 0; i < 10; i++) last = model.TrainOnBatch(batch, labels);
        Assert.True(last < first, $"loss {first} → {last}");
    }

    [Fact]
    public void Weights_named_with_tf_keras_cell_scope_load_as_TFjs_names()
    {
        // models2/008: two Bidirectional(LSTM); tf.keras 2 names the weights bidirectional/forward_lstm/lstm_cell/kernel:0.
        var folder = Path.Combine(Serialization.Fixtures.Models2, "008");
        var json = File.ReadAllText(Path.Combine(folder, "model.json"));
        var scoped = System.Text.RegularExpressions.Regex.Replace(json, "\"name\": ?\"([^\"]*_lstm(_1)?)/(kernel|recurrent_kernel|bias)\"", "\"name\":\"$1/lstm_cell/$3:0\"");
        Assert.Contains("forward_lstm/lstm_cell/kernel:0", scoped);
        var weights = File.ReadAllBytes(Path.Combine(folder, "weights.bin"));
        Assert.Equal(TfjsModel.Read(json, _ => weights), TfjsModel.Read(scoped, _ => weights));
    }

    [Fact]
    public void An_encoder_state_starts_a_decoder_as_Keras_seq2seq_does()
    {
        // keras.io's sequence-to-sequence example: encoder states as the decoder's initial state (a list [x, h, c]).
        Backend.ClearSession();
        var encoderInputs = Input(shape: [(int?)null, 3]);
        var encoder = LSTM(4, returnState: true).CallMany(encoderInputs);
        var decoderInputs = Input(shape: [(int?)null, 2]);
        var decoded = LSTM(4, returnSequences: true).Call([decoderInputs, encoder[1], encoder[2]]);
        var model = new Model([encoderInputs, decoderInputs], Dense(2).Call(decoded));
        Assert.Equal("(None, None, 2)", model.Outputs[0].Shape.ToString());
        var a = Tensor.FromArray(Harness.Uniform(new Random(1), 4 * 5 * 3), [4, 5, 3]);
        var b = Tensor.FromArray(Harness.Uniform(new Random(2), 4 * 6 * 2), [4, 6, 2]);
        model.Compile(optimizer: "adam", loss: "mse");
        Core.LSTM EncoderLayer() => model.CoreModel.Graph.Layers.Values.OfType<Core.LSTM>().Single(l => l.ReturnState);
        var encoderKernel = EncoderLayer().Params[0].ToArray();
        var target = Tensor.FromArray(Harness.Uniform(new Random(3), 4 * 6 * 2), [4, 6, 2]);
        double first = model.TrainOnBatch([a, b], [target]), last = first;
        for (int i = 0; i < 20; i++) last = model.TrainOnBatch([a, b], [target]);
        Assert.True(last < first, $"loss {first} → {last}");
        // The encoder trains only through the decoder's initial state.
        Assert.NotEqual(encoderKernel, EncoderLayer().Params[0].ToArray());
        var e = Assert.ThrowsAny<Exception>(() => LSTM(4).Call([decoderInputs, encoder[1]]));
        Assert.Contains("initial state", e.Message);
    }
}
