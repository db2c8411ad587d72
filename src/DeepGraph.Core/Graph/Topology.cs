using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// What Keras derives from a graph when it makes a model: the nodes the outputs depend on,
/// each node's depth, and the order of the model's layers.
/// </summary>
/// <param name="NodesByDepth">Node ids grouped by depth, deepest (inputs) first.</param>
/// <param name="Layers">The layers in Keras's <c>model.layers</c> order: by decreasing depth, and within a depth in the order a depth-first walk from the outputs first meets them.</param>
/// <param name="LayerDepths">Each layer's depth (the largest depth of its nodes, Keras's rule).</param>
public sealed record Topology(
    ImmutableArray<(int Depth, ImmutableArray<int> Nodes)> NodesByDepth,
    ImmutableArray<LayerId> Layers,
    ImmutableDictionary<LayerId, int> LayerDepths)
{
    /// <summary>Every node of the model, by increasing id.</summary>
    public ImmutableArray<int> Nodes => [.. NodesByDepth.SelectMany(d => d.Nodes).Order()];

    /// <summary>
    /// Keras's <c>_map_graph_network</c>: walks back from <paramref name="outputs"/>, computes
    /// depths (a layer's depth is the largest of its nodes', and a node's parents sit at least
    /// one deeper), orders the layers, and checks that every tensor needed is computable from
    /// <paramref name="inputs"/> and that layer names are unique.
    /// </summary>
    /// <exception cref="GraphError">The graph is disconnected or a name is used twice.</exception>
    public static Topology Of(Graph graph, IReadOnlyList<TensorRef> inputs, IReadOnlyList<TensorRef> outputs, Func<TensorRef, string> describe)
    {
        var finished = new HashSet<int>();
        var inProgress = new HashSet<int>();
        var postOrder = new List<int>();
        var layerIndices = new Dictionary<LayerId, int>();

        // A depth-first walk with an explicit stack (node, next input to visit): a chain of 10,000
        // layers is 10,000 levels deep, more than a thread's stack holds as recursion.
        var stack = new Stack<(Node Node, int Next)>();
        void Visit(TensorRef tensor)
        {
            void Enter(TensorRef t)
            {
                var node = graph.NodeOf(t);
                if (finished.Contains(node.Id)) return;
                if (!inProgress.Add(node.Id)) throw new GraphError($"The graph has a cycle at node {node.Id}.");
                layerIndices.TryAdd(node.Layer, layerIndices.Count);
                stack.Push((node, 0));
            }

            Enter(tensor);
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                if (next < node.Inputs.Count)
                {
                    stack.Push((node, next + 1));
                    Enter(node.Inputs[next]);
                    continue;
                }
                finished.Add(node.Id);
                inProgress.Remove(node.Id);
                postOrder.Add(node.Id);
            }
        }

        foreach (var o in outputs) Visit(o);

        // Depths, visiting consumers before producers (reverse post-order), exactly as Keras does:
        // a shared layer's node is pushed to the layer's largest depth, and parents one deeper.
        var nodeDepths = new Dictionary<int, int>();
        var nodeOrder = new List<int>(); // insertion order of nodeDepths, as Python's dict keeps it
        var layerDepths = new Dictionary<LayerId, int>();
        void SetDepth(int node, int depth)
        {
            if (!nodeDepths.ContainsKey(node)) nodeOrder.Add(node);
            nodeDepths[node] = depth;
        }
        for (int i = postOrder.Count - 1; i >= 0; i--)
        {
            var node = graph.Nodes[postOrder[i]];
            int depth = nodeDepths.TryGetValue(node.Id, out var d) ? d : 0;
            depth = Math.Max(depth, layerDepths.GetValueOrDefault(node.Layer, 0));
            layerDepths[node.Layer] = depth;
            SetDepth(node.Id, depth);
            foreach (var t in node.Inputs)
                SetDepth(t.Node, Math.Max(depth + 1, nodeDepths.GetValueOrDefault(t.Node, 0)));
        }
        foreach (var input in inputs)
        {
            var node = graph.NodeOf(input);
            if (layerDepths.TryAdd(node.Layer, 0))
            {
                layerIndices[node.Layer] = -1;
                SetDepth(node.Id, 0);
            }
        }

        var nodesByDepth = nodeOrder.GroupBy(n => nodeDepths[n]).OrderByDescending(g => g.Key)
            .Select(g => (g.Key, g.ToImmutableArray())).ToImmutableArray();
        var layers = layerDepths.Keys.OrderByDescending(l => layerDepths[l]).ThenBy(l => layerIndices[l]).ToImmutableArray();

        // Every tensor a node consumes must be computable from the inputs.
        var computable = new HashSet<TensorRef>(inputs);
        var accessed = new List<string>();
        foreach (var (_, nodes) in nodesByDepth)
        {
            foreach (var id in nodes)
            {
                var node = graph.Nodes[id];
                var layer = graph.Layers[node.Layer];
                if (layer is InputLayer) continue;
                foreach (var t in node.Inputs)
                    if (!computable.Contains(t))
                        throw new GraphError($"Graph disconnected: cannot obtain value for tensor {describe(t)} at layer \"{layer.Name}\". " +
                            $"The following previous layers were accessed without issue: [{string.Join(", ", accessed.Select(a => $"'{a}'"))}]");
                for (int k = 0; k < node.OutputShapes.Count; k++) computable.Add(new TensorRef(graph.Scope, id, k));
                accessed.Add(layer.Name);
            }
        }

        foreach (var group in layers.GroupBy(l => graph.Layers[l].Name).Where(g => g.Count() > 1))
            throw new GraphError($"The name \"{group.Key}\" is used {group.Count()} times in the model. All layer names should be unique.");

        return new Topology(nodesByDepth, layers, layerDepths.ToImmutableDictionary());
    }
}
