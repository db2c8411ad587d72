namespace DeepGraph.Core;

/// <summary>
/// A layer record that a fusion rule (<see cref="IFusionRule"/>) makes to stand for several graph
/// calls run as one (<see cref="Conv2DMaxPool"/>). It lives only in an <see cref="ExecutionPlan"/>,
/// never in a graph. Its weights are its parts' (in the order of <see cref="Parts"/>): the walkers
/// give its <see cref="BackwardArgs.ParamGrads"/> as the gradient buffers of each part's weights in
/// turn, kept under each part's <see cref="Layer.Id"/>, so training updates the layers of the graph.
/// It reports its parts' times to <see cref="ForwardContext.Profiler"/> itself. Its parts carry no
/// state that training updates (<see cref="Layer.WithState"/>): a rule fuses only such calls.
/// </summary>
public abstract record FusedLayer : Layer
{
    /// <summary>The graph's layer records it runs, in graph order.</summary>
    public abstract IReadOnlyList<Layer> Parts { get; }

    /// <summary>The parts' weights, in the order of <see cref="Parts"/>.</summary>
    public override IReadOnlyList<Weight> Weights => [.. Parts.SelectMany(p => p.Weights)];

    /// <summary>
    /// The layers whose weights a call of <paramref name="layer"/> gives gradients of, in the order of
    /// its <see cref="BackwardArgs.ParamGrads"/>: a fused layer's parts with weights, else the layer itself.
    /// </summary>
    public static IReadOnlyList<Layer> WeightOwners(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return layer is FusedLayer fused ? [.. fused.Parts.Where(p => p.Weights.Count > 0)] : layer.Weights.Count > 0 ? [layer] : [];
    }
}
