namespace DeepGraph.Core;

/// <summary>
/// Fuses a <see cref="Conv2D"/> call with the <see cref="MaxPooling2D"/> call that alone reads its
/// output (once, the output not being a model output, both calls in the same training mode) into a
/// <see cref="Conv2DMaxPool"/>. Whether the pair then runs in one pass is decided per batch by the
/// fused layer (<see cref="Conv2D.FusesWith"/>); otherwise it runs the two apart.
/// </summary>
public sealed class Conv2DMaxPoolRule : IFusionRule
{
    /// <inheritdoc/>
    public FusionGroup? TryFuse(FusionSite graph, int node)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.LayerAt(node) is not Conv2D conv) return null;
        var z = new TensorRef(Model.ModelScope, node, 0);
        if (graph.IsModelOutput(z) || graph.ReadersOf(z) is not [int reader]) return null;
        if (graph.IsClaimed(reader) || graph.LayerAt(reader) is not MaxPooling2D pool || graph.Node(reader).Training != graph.Node(node).Training)
            return null;
        var fused = new Conv2DMaxPool(conv, pool);
        return new FusionGroup(fused, [node, reader], [.. graph.Node(node).Inputs], [new TensorRef(Model.ModelScope, reader, 0)]);
    }
}
