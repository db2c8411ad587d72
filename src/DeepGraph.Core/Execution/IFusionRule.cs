using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// A graph rewrite applied when an <see cref="ExecutionPlan"/> is compiled: given a node, it either
/// declines or returns a <see cref="FusionGroup"/>, a layer record that computes several calls as one
/// (the convolution and the max pooling that alone reads it, <see cref="Conv2DMaxPoolRule"/>).
/// Rules see the graph through a <see cref="FusionSite"/> and must not change what the model computes.
/// </summary>
public interface IFusionRule
{
    /// <summary>The group starting at <paramref name="node"/>, or null when the rule does not apply there.</summary>
    FusionGroup? TryFuse(FusionSite graph, int node);
}

/// <summary>
/// Calls the plan runs as one step: <see cref="Layer"/> on <see cref="Inputs"/> gives <see cref="Outputs"/>.
/// Every tensor the group's nodes produce that is not among <see cref="Outputs"/> is read only inside
/// the group and is no model output (the compiler checks it), so the fused layer need not write it.
/// </summary>
/// <param name="Layer">The fused record.</param>
/// <param name="Nodes">The nodes it replaces, in graph order; the step runs where the last one ran.</param>
/// <param name="Inputs">The tensors it reads from outside the group, in argument order.</param>
/// <param name="Outputs">The tensors it gives, in output order.</param>
public sealed record FusionGroup(FusedLayer Layer, ImmutableArray<int> Nodes, ImmutableArray<TensorRef> Inputs, ImmutableArray<TensorRef> Outputs);

/// <summary>The model's graph as a fusion rule sees it: nodes, layers, who reads what, and what is already fused.</summary>
public sealed class FusionSite
{
    private readonly List<int>[] readers;
    private readonly HashSet<TensorRef> outputs;
    private readonly HashSet<int> inputs;

    internal FusionSite(Model model)
    {
        Model = model;
        var nodes = model.Graph.Nodes;
        readers = new List<int>[nodes.Count];
        for (int i = 0; i < readers.Length; i++) readers[i] = [];
        foreach (var n in nodes)
            foreach (var t in n.Inputs) readers[t.Node].Add(n.Id);
        outputs = [.. model.Outputs];
        inputs = [.. model.Inputs.Select(t => t.Node)];
        Claimed = new bool[nodes.Count];
    }

    /// <summary>The model being compiled.</summary>
    public Model Model { get; }

    /// <summary>The node with id <paramref name="node"/>.</summary>
    public Node Node(int node) => Model.Graph.Nodes[node];

    /// <summary>The record of the layer node <paramref name="node"/> calls.</summary>
    public Layer LayerAt(int node) => Model.Graph.Layers[Model.Graph.Nodes[node].Layer];

    /// <summary>The nodes that read <paramref name="tensor"/>, one entry per read (a node reading it twice appears twice), in graph order.</summary>
    public IReadOnlyList<int> ReadersOf(TensorRef tensor) =>
        [.. readers[tensor.Node].Distinct().SelectMany(r => Node(r).Inputs.Where(t => t == tensor).Select(_ => r))];

    /// <summary>True when <paramref name="tensor"/> is one of the model's outputs.</summary>
    public bool IsModelOutput(TensorRef tensor) => outputs.Contains(tensor);

    /// <summary>True when node <paramref name="node"/> is bound to a model input (it is not run).</summary>
    public bool IsModelInput(int node) => inputs.Contains(node);

    /// <summary>True when node <paramref name="node"/> already belongs to a fusion group.</summary>
    public bool IsClaimed(int node) => Claimed[node];

    internal bool[] Claimed { get; }
}
