using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// One call in an <see cref="ExecutionPlan"/>: a layer (a graph node's, or a fused record standing
/// for several nodes) run on tensor slots into tensor slots.
/// </summary>
/// <param name="Layer">The layer run: the node's record, or the <see cref="FusedLayer"/> a fusion rule made.</param>
/// <param name="Inputs">The slots it reads, in argument order.</param>
/// <param name="Outputs">The slots it writes, in output order.</param>
/// <param name="Training">The training mode fixed for the call (<see cref="Node.Training"/>), or null to follow the pass.</param>
/// <param name="Inner">For a nested model, its own plan (the training walker runs it with a tape of its own).</param>
/// <param name="Nodes">The graph nodes the step computes (one, or a fusion group's, in graph order).</param>
public sealed record PlanStep(Layer Layer, ImmutableArray<int> Inputs, ImmutableArray<int> Outputs, bool? Training, ExecutionPlan? Inner, ImmutableArray<int> Nodes)
{
    /// <summary>
    /// The context the step's layer runs in within a pass in <paramref name="context"/>: its fixed
    /// training mode applied, if it has one.
    /// </summary>
    public ForwardContext ContextIn(ForwardContext context) =>
        Training is bool training && training != context.Training ? context with { Training = training } : context;
}
