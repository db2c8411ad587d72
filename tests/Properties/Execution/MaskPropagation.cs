using DeepGraph.Core;
using DeepGraph.Keras;
using DeepGraph.Properties.Numerics;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// Masks travel beside tensors as Keras's <c>_keras_mask</c> does: an Embedding with <c>mask_zero</c> makes one,
/// layers that support masking pass it on, merges combine theirs, a layer that does not support masking drops it,
/// and a nested model passes masks in and out — in inference and in a training pass alike.
/// </summary>
public sealed class MaskPropagation
{
    private static readonly Tensor Ids = Tensor.FromInts([3, 1, 0, 0, 2, 2, 5, 0], [2, 4]);
    private static readonly bool[] Expected = [true, true, false, false, true, true, true, false];

    private static Tensor?[] OutputMasks(Keras.Model model, Tensor x)
    {
        var context = new ForwardContext(Harness.Managed, new TensorPool());
        var outputs = Executor.Run(ExecutionPlan.Of(model.CoreModel), [x], context, out var masks);
        foreach (var t in outputs) t.Dispose();
        using (var tape = Backprop.Forward(model.CoreModel, [x], context))
        {
            var trained = tape.OutputMasks;
            Assert.Equal(masks.Select(m => m?.Ints.ToArray()), trained.Select(m => m?.Ints.ToArray()));
        }
        return masks;
    }

    private static bool[]? Bits(Tensor? mask) => mask is null ? null : [.. mask.Ints.ToArray().Select(b => b != 0)];

    [Fact]
    public void An_embedding_mask_passes_through_layers_that_support_masking()
    {
        Backend.ClearSession();
        var ids = Input(shape: [4], dtype: "int32");
        var x = Embedding(6, 3, maskZero: true).Call(ids);
        x = Dense(5, activation: "relu").Call(x);
        x = Dropout(0.5).Call(x);
        x = LayerNormalization().Call(x);
        var masks = OutputMasks(new Keras.Model(ids, x), Ids);
        Assert.Equal(DType.Bool, masks[0]!.DType);
        Assert.Equal(Shape.Of(2, 4), masks[0]!.Shape);
        Assert.Equal(Expected, Bits(masks[0]));
    }

    [Fact]
    public void Without_mask_zero_and_after_a_layer_without_masking_there_is_no_mask()
    {
        Backend.ClearSession();
        var ids = Input(shape: [4], dtype: "int32");
        var plain = Embedding(6, 3).Call(ids);
        Assert.Null(OutputMasks(new Keras.Model(ids, plain), Ids)[0]);
        var flat = Flatten().Call(Embedding(6, 3, maskZero: true).Call(ids));
        Assert.Null(OutputMasks(new Keras.Model(ids, flat), Ids)[0]);
    }

    [Fact]
    public void A_merge_keeps_the_steps_every_masked_input_keeps()
    {
        Backend.ClearSession();
        var ids = Input(shape: [4], dtype: "int32");
        var a = Embedding(6, 3, maskZero: true).Call(ids);
        var shifted = Embedding(6, 3).Call(ids); // no mask: keeps every step
        var sum = Add().Call(a, shifted);
        var max = Maximum().Call(a, Dense(3).Call(a));
        var model = new Keras.Model(ids, [sum, max]);
        var masks = OutputMasks(model, Ids);
        Assert.Equal(Expected, Bits(masks[0]));
        Assert.Equal(Expected, Bits(masks[1]));
    }

    [Fact]
    public void A_nested_model_passes_masks_in_and_out()
    {
        Backend.ClearSession();
        var inner = Input(shape: [4], dtype: "int32");
        var encoder = new Keras.Model(inner, Dense(2).Call(Embedding(6, 3, maskZero: true).Call(inner)), name: "encoder");
        var ids = Input(shape: [4], dtype: "int32");
        var model = new Keras.Model(ids, Dense(1).Call(encoder.Call(ids)));
        Assert.Equal(Expected, Bits(OutputMasks(model, Ids)[0]));
    }

    // ---- the sequence layers (issue 13) --------------------------------------------------------

    /// <summary>Two samples of four steps of two features; steps of zeros are padding.</summary>
    private static readonly Tensor Padded = Tensor.FromArray([1, 2, 0, 0, 0, 0, 3, 0, /**/ 0, 0, 5, 6, 7, 8, 0, 0], [2, 4, 2]);
    private static readonly bool[] PaddedKept = [true, false, false, true, false, true, true, false];

    [Fact]
    public void Masking_makes_a_mask_that_TimeDistributed_passes_on_and_reshaping_layers_drop()
    {
        Backend.ClearSession();
        var x = Input(shape: [4, 2]);
        var masked = Masking().Call(x);
        var distributed = TimeDistributed(Dense(3)).Call(masked);
        var dropped = new[]
        {
            Flatten().Call(masked), Reshape([8]).Call(masked), Permute([2, 1]).Call(masked), UpSampling1D().Call(masked),
            MaxPooling1D().Call(masked), AveragePooling1D().Call(masked), Cropping1D().Call(masked), ZeroPadding1D().Call(masked),
            GlobalMaxPooling1D().Call(masked), GlobalAveragePooling1D().Call(masked), RepeatVector(2).Call(GlobalAveragePooling1D().Call(masked)),
        };
        var masks = OutputMasks(new Keras.Model(x, [masked, distributed, .. dropped]), Padded);
        Assert.Equal(PaddedKept, Bits(masks[0]));
        Assert.Equal(PaddedKept, Bits(masks[1]));
        Assert.All(masks.Skip(2), Assert.Null);
    }

    [Fact]
    public void GlobalAveragePooling1D_after_a_mask_averages_the_unmasked_steps_in_a_model()
    {
        Backend.ClearSession();
        var x = Input(shape: [4, 2]);
        var model = new Keras.Model(x, GlobalAveragePooling1D().Call(Masking().Call(x)));
        var y = model.Predict(Padded)[0];
        // Sample 0 keeps steps 0 and 3: ((1, 2) + (3, 0)) / 2; sample 1 keeps steps 1 and 2: ((5, 6) + (7, 8)) / 2.
        Assert.Equal([2f, 1f, 6f, 7f], y.ToArray());
    }

    [Fact]
    public void Concatenate_joins_masks_along_steps_and_ors_them_along_features_as_Keras_3_does()
    {
        Backend.ClearSession();
        var x = Input(shape: [4, 2]);
        var z = Input(shape: [4, 2]);
        var a = Masking().Call(x);
        var b = Masking().Call(z);
        var steps = Concatenate(axis: 1).Call(a, z);
        var features = Concatenate().Call(a, b);
        var withUnmasked = Concatenate().Call(a, z);
        var model = new Keras.Model([x, z], [steps, features, withUnmasked]);
        var reversed = Tensor.FromArray([.. Padded.ToArray().Chunk(8).SelectMany(sample => sample.Chunk(2).Reverse().SelectMany(step => step))], [2, 4, 2]);
        var context = new ForwardContext(Harness.Managed, new TensorPool());
        var outputs = Executor.Run(ExecutionPlan.Of(model.CoreModel), [Padded, reversed], context, out var masks);
        foreach (var t in outputs) t.Dispose();
        bool[] reversedKept = [.. PaddedKept.Chunk(4).SelectMany(sample => sample.Reverse())];
        // Along the steps: the first input's mask, then all true for the unmasked second input.
        Assert.Equal<bool>([.. PaddedKept[..4], true, true, true, true, .. PaddedKept[4..], true, true, true, true], Bits(masks[0])!);
        Assert.Equal(PaddedKept.Zip(reversedKept, (p, q) => p || q), Bits(masks[1])!);
        Assert.Equal(Enumerable.Repeat(true, 8), Bits(masks[2]));
    }

    [Fact]
    public void TimeDistributed_takes_its_inner_layer_s_mask_or_keeps_the_steps_with_any_kept_entry()
    {
        Backend.ClearSession();
        // Two samples, two sentences each, three words of two features: zero words are padding; sentence 1 of sample 1 is all padding.
        var words = Tensor.FromArray([1, 2, 0, 0, 3, 4, /**/ 0, 0, 5, 0, 0, 0, /**/ 2, 2, 2, 2, 0, 0, /**/ 0, 0, 0, 0, 0, 0], [2, 2, 3, 2]);
        var x = Input(shape: [2, 3, 2]);
        var masked = TimeDistributed(Masking()).Call(x);                       // mask (batch, 2, 3) from the inner Masking
        var dense = TimeDistributed(Dense(4)).Call(masked);                     // the inner Dense passes it: (batch, 2, 3)
        var pooled = TimeDistributed(GlobalAveragePooling1D()).Call(masked);   // inner drops it: sentences with any word kept
        var model = new Keras.Model(x, [masked, dense, pooled]);
        var masks = OutputMasks(model, words);
        bool[] wordKept = [true, false, true, false, true, false, true, true, false, false, false, false];
        Assert.Equal(Shape.Of(2, 2, 3), masks[0]!.Shape);
        Assert.Equal(wordKept, Bits(masks[0]));
        Assert.Equal(wordKept, Bits(masks[1]));
        Assert.Equal([true, true, true, false], Bits(masks[2])!);
        // Each sentence's average is over its kept words only (the all-padding sentence averages nothing: NaN, as in Keras).
        var y = model.Predict(words)[2].ToArray();
        Assert.Equal([2f, 3f, 5f, 0f, 2f, 2f], y[..6]);
        Assert.All(y[6..], v => Assert.True(float.IsNaN(v)));
    }
}
