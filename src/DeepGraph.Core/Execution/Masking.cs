namespace DeepGraph.Core;

/// <summary>
/// How the walkers carry masks (Keras's <c>_keras_mask</c>) beside the tensors of a plan: per slot, the bool
/// mask its tensor carries or null. A step's input masks go into its context
/// (<see cref="ForwardContext.InputMasks"/>); after the step, its layer's <see cref="Layer.ComputeMask"/>
/// gives its outputs' masks.
/// </summary>
internal static class Masking
{
    /// <summary><paramref name="context"/> with the masks of <paramref name="step"/>'s inputs, or as it is when none carries one.</summary>
    public static ForwardContext Into(ForwardContext context, PlanStep step, Tensor?[] masks)
    {
        Tensor?[]? given = null;
        for (int k = 0; k < step.Inputs.Length; k++)
            if (masks[step.Inputs[k]] is { } mask)
            {
                given ??= new Tensor?[step.Inputs.Length];
                given[k] = mask;
            }
        return given is null ? (context.InputMasks.Count == 0 ? context : context with { InputMasks = [] }) : context with { InputMasks = given };
    }

    /// <summary>Records the masks <paramref name="layer"/> gives its outputs, after checking that each fits its output's leading axes.</summary>
    /// <exception cref="InvalidOperationException">The layer gave more masks than outputs, or a mask whose shape is not a prefix of its output's.</exception>
    public static void Out(Layer layer, ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, PlanStep step, Tensor?[] masks)
    {
        var computed = layer.ComputeMask(context, inputs, outputs);
        if (computed.Count > outputs.Count)
            throw new InvalidOperationException($"Layer \"{layer.Name}\" ({layer.ClassName}) computed {computed.Count} masks for {outputs.Count} outputs.");
        for (int k = 0; k < computed.Count; k++)
        {
            if (computed[k] is { } mask && !IsPrefix(mask.Shape, outputs[k].Shape))
                throw new InvalidOperationException($"Layer \"{layer.Name}\" ({layer.ClassName}) computed a mask of shape {mask.Shape} for output {k} of shape {outputs[k].Shape}; a mask covers the output's leading axes.");
            masks[step.Outputs[k]] = computed[k];
        }
    }

    private static bool IsPrefix(Shape mask, Shape output)
    {
        if (mask.Rank > output.Rank) return false;
        for (int a = 0; a < mask.Rank; a++)
            if (mask[a] != output[a]) return false;
        return true;
    }
}
