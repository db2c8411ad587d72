namespace DeepGraph.Core;

/// <summary>
/// A call run by another layer on views of its tensors (TimeDistributed's (batch · steps, …), the 1-D poolings'
/// (batch, 1, steps, features)): the same buffers under other shapes.
/// </summary>
internal static class ViewedCall
{
    /// <summary><paramref name="args"/> with every tensor seen through <paramref name="view"/>; the saved tensors and weight gradients as they are.</summary>
    public static BackwardArgs Of(BackwardArgs args, Func<Tensor, Tensor> view) => new()
    {
        Inputs = [.. args.Inputs.Select(view)],
        Outputs = [.. args.Outputs.Select(view)],
        Saved = args.Saved,
        OutputGrads = [.. args.OutputGrads.Select(view)],
        InputGrads = [.. args.InputGrads.Select(g => g is null ? null : view(g))],
        InputGradsUnset = args.InputGradsUnset,
        ParamGrads = args.ParamGrads,
    };
}
