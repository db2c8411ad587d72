using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Docs;

/// <summary>
/// docs/layers-attention.md shows compiled code: its C# block is the body of <see cref="Sample"/> (line by line,
/// indentation aside), which runs here; and the attention handles' call arguments through the facade.
/// </summary>
public sealed class AttentionLayersDoc
{
    /// <summary>The page's sample: a decoder-style block and a masked cross-attention, trained one step and run.</summary>
    private static (Model Model, Tensor[] Outputs) Sample()
    {
        var tokens = Input(shape: [10, 32], name: "tokens");        // (batch, 10 steps, 32 features)
        var memory = Input(shape: [7, 32], name: "memory");         // what the decoder attends to
        var memoryMask = Input(shape: [7], name: "memory_mask");    // 1 for real steps, 0 for padding

        // Causal self-attention, with the attention scores (batch, heads, 10, 10) as a second output.
        var (attended, scores) = MultiHeadAttention(numHeads: 4, keyDim: 8).CallWithScores(tokens, tokens, useCausalMask: true);
        var x = LayerNormalization().Call(Add().Call(tokens, attended));

        // Luong-style attention over the memory; padded memory steps get no attention.
        var context = Attention(useScale: true).Call(x, memory, valueMask: memoryMask);
        var y = GroupNormalization(groups: 4).Call(Concatenate().Call(x, context));   // (batch, 10, 64)
        y = UnitNormalization().Call(Dense(16).Call(y));                              // rows of L2 norm 1

        var model = new Model(inputs: [tokens, memory, memoryMask], outputs: [y, scores]);
        model.Summary();

        var rng = new Random(1);
        Tensor Random(params int[] shape) => Tensor.FromArray([.. Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => (float)rng.NextDouble())], shape);
        var mask = Tensor.FromArray([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1], [2, 7]);
        var outputs = model.Predict(Random(2, 10, 32), Random(2, 7, 32), mask);
        Console.WriteLine($"{outputs[0].Shape} {outputs[1].Shape}");                 // (2, 10, 16) (2, 4, 10, 10)
        return (model, outputs);
    }

    [Fact]
    public void The_pages_sample_runs_and_gives_what_it_says()
    {
        Backend.ClearSession();
        var (model, outputs) = Sample();
        Assert.Equal(Shape.Known(2, 10, 16), outputs[0].Shape);
        Assert.Equal(Shape.Known(2, 4, 10, 10), outputs[1].Shape);
        // Unit rows, and causal scores: nothing above the diagonal, each row a distribution.
        var y = outputs[0].ToArray();
        for (int r = 0; r < 20; r++) Assert.Equal(1.0, Math.Sqrt(y.Skip(r * 16).Take(16).Sum(v => (double)v * v)), 4);
        var s = outputs[1].ToArray();
        for (int row = 0; row < 2 * 4 * 10; row++)
        {
            int i = row % 10;
            Assert.Equal(1.0, s.Skip(row * 10).Take(10).Sum(v => (double)v), 4);
            for (int j = i + 1; j < 10; j++) Assert.Equal(0f, s[row * 10 + j]);
        }
        Assert.Equal(["InputLayer", "MultiHeadAttention", "Add", "LayerNormalization", "InputLayer", "InputLayer", "Attention", "Concatenate", "GroupNormalization", "Dense", "UnitNormalization"],
            model.Layers.Select(l => l.ClassName));
    }

    [Fact]
    public void The_page_shows_the_sample_verbatim()
    {
        var root = DocsAreCompiled.RepoRoot();
        var page = File.ReadAllText(Path.Combine(root, "docs", "layers-attention.md")).ReplaceLineEndings("\n");
        var block = DocBlocks.CSharp(page).First();
        var source = DocBlocks.Trimmed(File.ReadAllText(Path.Combine(root, "tests", "Properties", "Docs", "AttentionLayersDoc.cs")));
        Assert.Contains(DocBlocks.Trimmed(block).Trim('\n'), source, StringComparison.Ordinal);
    }

    [Fact]
    public void A_layers_call_arguments_are_fixed_by_its_first_call_and_a_failed_call_changes_nothing()
    {
        Backend.ClearSession();
        var q = Input(shape: [3, 4]);
        var v = Input(shape: [5, 4]);
        var mask = Input(shape: [5]);
        var attention = AdditiveAttention();
        var first = attention.Call(q, v, valueMask: mask);
        Assert.Equal(Shape.Batched(3, 4), first.Shape);
        var e = Assert.Throws<InvalidOperationException>(() => attention.Call(q, v));
        Assert.Contains(attention.Name, e.Message);
        Assert.Equal(Shape.Batched(3, 4), attention.Call(q, v, valueMask: mask).Shape);

        var mha = MultiHeadAttention(2, 3);
        Assert.Throws<ShapeError>(() => mha.Call(q, v, queryMask: mask));   // a query mask of the value's steps
        // Self-, cross- and masked calls (attention mask or none) share one layer, as they did before the masks came.
        mha.Call(q, v);
        mha.Call(q, v, v);
        var (y, scores) = MultiHeadAttention(2, 3).CallWithScores(q, v, queryMask: Input(shape: [3]), valueMask: mask);
        Assert.Equal(Shape.Batched(3, 4), y.Shape);
        Assert.Equal(Shape.Batched(2, 3, 5), scores.Shape);
        Assert.Throws<InvalidOperationException>(() => mha.Call(q, v, useCausalMask: true));
    }

    [Fact]
    public void Attention_layers_train_through_fit()
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(3);
        var q = Input(shape: [4, 6]);
        var h = Attention(useScale: true, scoreMode: "concat").Call(q, q);
        h = AdditiveAttention().Call(h, q, useCausalMask: true);
        h = GroupNormalization(groups: 2).Call(h);
        var p = Dense(1).Call(GlobalAveragePooling1D().Call(UnitNormalization().Call(h)));
        var model = new Model(q, p);
        model.Compile(optimizer: "adam", loss: "mse");
        var rng = new Random(2);
        var x = Tensor.FromArray([.. Enumerable.Range(0, 32 * 24).Select(_ => (float)rng.NextDouble())], [32, 4, 6]);
        var t = Tensor.FromArray([.. Enumerable.Range(0, 32).Select(i => (float)(i % 2))], [32, 1]);
        var losses = model.Fit(x, t, batchSize: 8, epochs: 3, verbose: 0)["loss"];
        Assert.True(losses[^1] < losses[0], string.Join(", ", losses));
    }
}
