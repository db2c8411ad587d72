using DeepGraph.Keras;

namespace DeepGraph.Properties.Docs;

/// <summary>
/// docs/functional-api-guide.md shows compiled code (each C# block appears in FunctionalApiGuideSamples.cs, line
/// by line, indentation aside), and the programs run: the parameter counts are the ones Keras prints for the same
/// models, the models train, and the frozen base keeps its weights and moving statistics.
/// </summary>
public sealed class FunctionalApiGuideIsCompiled
{
    [Fact]
    public void Every_code_block_of_the_page_is_in_the_compiled_samples_and_the_index_links_the_page()
    {
        var root = DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "functional-api-guide.md")).ReplaceLineEndings("\n");
        var source = DocBlocks.Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Docs", "FunctionalApiGuideSamples.cs")));
        var blocks = DocBlocks.CSharp(page).ToList();
        Assert.Equal(11, blocks.Count);
        foreach (var block in blocks)
            Assert.True(source.Contains(DocBlocks.Trimmed(block).Trim('\n'), StringComparison.Ordinal), $"This block of docs/functional-api-guide.md is not in FunctionalApiGuideSamples.cs:\n{block}");
        Assert.Contains("(functional-api-guide.md)", File.ReadAllText(Path.Combine(root, "docs", "index.md")));
    }

    [Fact]
    public void The_index_layers_example_is_compiled_and_runs()
    {
        var root = DocsAreCompiled.RepoRoot();
        var index = File.ReadAllText(Path.Combine(root, "docs", "index.md")).ReplaceLineEndings("\n");
        var block = DocBlocks.CSharp(index[index.IndexOf("## Layers", StringComparison.Ordinal)..]).First();
        var source = DocBlocks.Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Docs", "FunctionalApiGuideSamples.cs")));
        Assert.Contains(DocBlocks.Trimmed(block).Trim('\n'), source, StringComparison.Ordinal);

        Backend.ClearSession();
        var model = FunctionalApiGuide.IndexExample();
        var ids = new int[2 * 64];
        for (int t = 0; t < 10; t++) ids[t] = ids[64 + t] = 1 + t;
        ids[64 + 20] = 5; // the second sample has one more real token, after the padding: it counts
        var p = model.Predict(Tensor.FromInts(ids, [2, 64]))[0];
        Assert.InRange(p[0, 0], 0f, 1f);
        Assert.NotEqual(p[0, 0], p[1, 0]);
    }

    [Fact]
    public void The_autoencoders_have_Keras_parameter_counts_and_shapes_and_the_composed_one_trains()
    {
        Backend.ClearSession();
        var (encoder, autoencoder, decoder, composed) = FunctionalApiGuide.Autoencoders();
        Assert.Equal(18_672, encoder.CountParams());
        Assert.Equal(28_241, autoencoder.CountParams());
        Assert.Equal(9_569, decoder.CountParams());
        Assert.Equal(28_241, composed.CountParams());
        Assert.Equal(Shape.Of(null, 28, 28, 1), autoencoder.Outputs[0].Shape);
        Assert.Equal(Shape.Of(null, 16), encoder.Outputs[0].Shape);

        var rng = new Random(1);
        var images = Tensor.FromArray([.. Enumerable.Range(0, 16 * 28 * 28).Select(_ => (float)rng.NextDouble())], [16, 28, 28, 1]);
        composed.Compile("adam", "mse");
        double before = composed.Evaluate(images, images)["loss"];
        var encoderBefore = encoder.GetWeights();
        composed.Fit(images, images, epochs: 3, batchSize: 8, verbose: 0);
        Assert.True(composed.Evaluate(images, images)["loss"] < before);
        // The composed model's encoder is the encoder model itself: training one trained the other.
        Assert.Same(encoder, composed.Layers[1]);
        Assert.NotEqual(encoderBefore[0], encoder.GetWeights()[0]);
    }

    [Fact]
    public void The_ensemble_averages_its_three_models()
    {
        Backend.ClearSession();
        var ensemble = FunctionalApiGuide.Ensemble();
        Assert.Equal(3 * 129, ensemble.CountParams());
        var rng = new Random(2);
        var x = Tensor.FromArray([.. Enumerable.Range(0, 4 * 128).Select(_ => (float)rng.NextDouble())], [4, 128]);
        var members = ensemble.Layers.OfType<Model>().Select(m => m.Predict(x)[0]).ToList();
        Assert.Equal(3, members.Count);
        var averaged = ensemble.Predict(x)[0];
        for (int n = 0; n < 4; n++) Assert.Equal((members[0][n, 0] + members[1][n, 0] + members[2][n, 0]) / 3, averaged[n, 0], 5);
    }

    [Fact]
    public void The_ticket_model_has_Keras_parameter_count_and_trains_with_a_loss_and_weight_per_output_by_name()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(3);
        var model = FunctionalApiGuide.TicketModel();
        Assert.Equal(1_392_097, model.CountParams());
        Assert.Equal(["priority", "department"], model.Outputs.Select(t => t.Layer.Name));
        var history = FunctionalApiGuide.TrainTicketModel(model, samples: 64, seed: 5);
        var losses = history["loss"];
        Assert.Equal(2, losses.Count);
        Assert.True(losses[1] < losses[0], $"loss {losses[0]} → {losses[1]}");
    }

    [Fact]
    public void The_toy_resnet_has_Keras_parameter_count()
    {
        Backend.ClearSession();
        Assert.Equal(223_242, FunctionalApiGuide.ToyResNet().CountParams());
    }

    [Fact]
    public void The_shared_embedding_is_one_set_of_weights_called_twice()
    {
        Backend.ClearSession();
        var (model, shared) = FunctionalApiGuide.SharedEmbedding();
        Assert.Equal(128_000, model.CountParams());
        var a = Tensor.FromInts([1, 2, 3], [1, 3]);
        var b = Tensor.FromInts([3, 2, 1, 7], [1, 4]);
        var outputs = model.Predict(a, b);
        var table = shared.GetWeights()[0];
        for (int f = 0; f < 128; f++)
        {
            Assert.Equal(table[1, f], outputs[0][0, 0, f]);
            Assert.Equal(table[1, f], outputs[1][0, 2, f]);
        }
    }

    [Fact]
    public void Feature_extraction_gives_every_layer_output_of_the_trained_model()
    {
        Backend.ClearSession();
        var (encoder, _, _, _) = FunctionalApiGuide.Autoencoders();
        var extractor = FunctionalApiGuide.FeatureExtraction(encoder);
        Assert.Equal(encoder.Layers.Count - 1, extractor.Outputs.Count);
        var x = Tensor.FromArray([.. Enumerable.Range(0, 2 * 28 * 28).Select(i => (float)Math.Sin(i))], [2, 28, 28, 1]);
        Assert.Equal(encoder.Predict(x)[0].ToArray(), extractor.Predict(x)[^1].ToArray());
    }

    [Fact]
    public void Transfer_learning_keeps_the_frozen_base_then_fine_tunes_it_in_inference_mode()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(6);
        var baseInput = Keras.Layers.Input(shape: [32, 32, 3]);
        var features = Keras.Layers.BatchNormalization().Call(Keras.Layers.Conv2D(8, 3, activation: "relu").Call(baseInput));
        var baseModel = new Model(baseInput, features, name: "base");
        var (model, frozenBase) = FunctionalApiGuide.TransferLearning(baseModel);
        var rng = new Random(7);
        var x = Tensor.FromArray([.. Enumerable.Range(0, 16 * 32 * 32 * 3).Select(_ => (float)rng.NextDouble())], [16, 32, 32, 3]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => (float)(i % 2))], [16, 1]);

        var before = frozenBase.GetWeights();
        model.Fit(x, y, epochs: 2, batchSize: 8, verbose: 0);
        Assert.Equal(before, frozenBase.GetWeights()); // frozen: kernel, bias and moving statistics unchanged

        FunctionalApiGuide.FineTune(model, frozenBase);
        model.Fit(x, y, epochs: 1, batchSize: 8, verbose: 0);
        var after = frozenBase.GetWeights();
        Assert.NotEqual(before[0], after[0]);            // the kernel is trained now
        Assert.Equal(before[^2], after[^2]);             // but BatchNormalization ran in inference mode:
        Assert.Equal(before[^1], after[^1]);             // its moving mean and variance are unchanged
    }
}
