using DeepGraph.Keras;
using Xunit.Abstractions;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The layers written over ops, end to end as a Keras user meets them: a small transformer-like text classifier
/// (Embedding → MultiHeadAttention self-attention + residual → LayerNormalization → GlobalAveragePooling1D → Dense)
/// built from int32 token ids, summarised with Keras's parameter counts, trained with Fit (gradients from the
/// tape), saved and loaded with the same predictions.
/// </summary>
public sealed class TransformerModel(ITestOutputHelper output)
{
    private const int Vocabulary = 12, Steps = 6, Width = 8;

    /// <summary>Sequences of ids; the label is 1 when id 3 occurs in the sequence.</summary>
    private static (Tensor Ids, Tensor Labels) Data(int n, int seed)
    {
        var rng = new Random(seed);
        var ids = new int[n * Steps];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            for (int t = 0; t < Steps; t++) ids[i * Steps + t] = rng.Next(Vocabulary);
            if (i % 2 == 0) ids[i * Steps + rng.Next(Steps)] = 3;
            labels[i] = ids.Skip(i * Steps).Take(Steps).Contains(3) ? 1 : 0;
        }
        return (Tensor.FromInts(ids, [n, Steps]), Tensor.FromArray(labels, [n, 1]));
    }

    private static Model Build()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(11);
        var tokens = Input(shape: [Steps], dtype: "int32", name: "tokens");
        var x = Embedding(Vocabulary, Width, name: "embedding").Call(tokens);
        var attended = MultiHeadAttention(numHeads: 2, keyDim: 4, name: "attention").Call(x, x);
        var y = Add(name: "residual").Call(x, attended);
        y = LayerNormalization(name: "norm").Call(y);
        y = GlobalAveragePooling1D(name: "pool").Call(y);
        var p = Dense(1, activation: "sigmoid", name: "p").Call(y);
        return new Model(inputs: tokens, outputs: p, name: "tiny_transformer");
    }

    [Fact]
    public void A_small_transformer_builds_summarises_trains_saves_and_loads()
    {
        var model = Build();
        var lines = new List<string>();
        model.Summary(lines.Add);
        foreach (var line in lines) output.WriteLine(line);

        // Keras's counts: Embedding 12·8; attention h·k·(D+1) three times + h·v·D + D; LayerNormalization 2·8; Dense 8 + 1.
        int attention = 3 * (2 * 4 * (Width + 1)) + 2 * 4 * Width + Width;
        Assert.Equal(Vocabulary * Width, model.GetLayer("embedding").CountParams());
        Assert.Equal(attention, model.GetLayer("attention").CountParams());
        Assert.Equal(2 * Width, model.GetLayer("norm").CountParams());
        long total = Vocabulary * Width + attention + 2 * Width + Width + 1;
        Assert.Equal(total, model.CountParams());
        Assert.Contains(lines, l => l.StartsWith("Total params: " + total.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("attention (MultiHeadAttention)", StringComparison.Ordinal) && l.Contains("(None, 6, 8)", StringComparison.Ordinal)
            && l.Contains(attention.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("embedding (Embedding)", StringComparison.Ordinal) && l.Contains("(None, 6, 8)", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("pool (GlobalAveragePooling1D)", StringComparison.Ordinal) && l.Contains("(None, 8)", StringComparison.Ordinal));

        var (ids, labels) = Data(96, seed: 1);
        model.Compile(optimizer: "adam", loss: "binary_crossentropy");
        var before = model.Evaluate(ids, labels)["loss"];
        var history = model.Fit(ids, labels, batchSize: 16, epochs: 2, verbose: 0);
        var losses = history["loss"];
        output.WriteLine($"loss before {before:F4}, epochs {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.Equal(2, losses.Count);
        Assert.True(losses[1] < losses[0], $"loss did not fall: {string.Join(", ", losses)}");
        Assert.True(model.Evaluate(ids, labels)["loss"] < before);

        // Float ids are accepted too (Keras casts them): the same predictions.
        var predicted = model.Predict(ids)[0];
        var asFloat = Tensor.FromArray([.. ids.Ints.ToArray().Select(i => (float)i)], [96, Steps]);
        Assert.Equal(predicted.ToArray(), model.Predict(asFloat)[0].ToArray());

        var folder = Directory.CreateTempSubdirectory("deepgraph-transformer-");
        try
        {
            var path = Path.Combine(folder.FullName, "model.json");
            model.Save(path);
            var loaded = Models.LoadModel(path);
            Assert.Equal(["InputLayer", "Embedding", "MultiHeadAttention", "Add", "LayerNormalization", "GlobalAveragePooling1D", "Dense"],
                loaded.Layers.Select(l => l.ClassName));
            Assert.Equal(total, loaded.CountParams());
            Assert.Equal(predicted.ToArray(), loaded.Predict(ids)[0].ToArray());
            // A loaded model trains on as the original does.
            loaded.Compile(optimizer: "adam", loss: "binary_crossentropy");
            Assert.True(double.IsFinite(loaded.Fit(ids, labels, batchSize: 16, epochs: 1, verbose: 0)["loss"][0]));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Cross_attention_takes_a_key_and_a_mask_through_the_facade()
    {
        Backend.ClearSession();
        var query = Input(shape: [3, 4], name: "query");
        var value = Input(shape: [5, 6], name: "value");
        var key = Input(shape: [5, 2], name: "key");
        var mask = Input(shape: [3, 5], name: "mask");
        var mha = MultiHeadAttention(numHeads: 3, keyDim: 2, valueDim: 5, outputShape: [7]);
        Assert.Equal("multi_head_attention", mha.Name);
        var y = mha.Call(query, value, key, attentionMask: mask);
        Assert.Equal(Shape.Batched(3, 7), y.Shape);
        var model = new Model(inputs: [query, value, key, mask], outputs: y);
        var rng = new Random(3);
        Tensor R(params int[] shape) => Tensor.FromArray([.. Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)rng.NextDouble())], shape);
        var open = model.Predict(R(2, 3, 4), R(2, 5, 6), R(2, 5, 2), Tensor.Filled(1, 2, 3, 5))[0];
        Assert.Equal([2, 3, 7], open.Shape.Select(d => d!.Value));
        // Without the mask the key alone decides: the same as a call without it.
        var unmasked = new Model(inputs: [query, value, key], outputs: mha.Call(query, value, key));
        rng = new Random(3);
        Assert.Equal(open.ToArray(), unmasked.Predict(R(2, 3, 4), R(2, 5, 6), R(2, 5, 2))[0].ToArray());
        Assert.Throws<ShapeError>(() => mha.Call(query));
    }
}
