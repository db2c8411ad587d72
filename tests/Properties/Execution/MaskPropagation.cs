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
}
