using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// A reference to output <see cref="Index"/> of node <see cref="Node"/> of the graph with scope
/// <see cref="Scope"/>. Graph values derived from one another share a scope; a reference from
/// another scope is refused, so tensors of two graphs cannot be mixed by accident.
/// </summary>
public readonly record struct TensorRef(int Scope, int Node, int Index)
{
    /// <summary>Keras's <c>node[tensor]</c> notation with the scope, for debugging.</summary>
    public override string ToString() => $"%{Scope}:{Node}[{Index}]";
}

/// <summary>One call of a layer: which layer, on which tensors, giving tensors of which shapes.</summary>
/// <param name="Id">The node's position in its graph (creation order, so every input is an earlier node).</param>
/// <param name="Layer">The layer called.</param>
/// <param name="Inputs">The tensors it was called on, in order (empty for an input layer).</param>
/// <param name="OutputShapes">The shapes of the tensors it produced.</param>
public sealed record Node(int Id, LayerId Layer, EquatableArray<TensorRef> Inputs, EquatableArray<Shape> OutputShapes)
{
    /// <summary>The dtypes of the tensors it produced; empty when all are float32 (so nodes made without dtypes stay equal).</summary>
    public EquatableArray<DType> OutputDTypes { get; init; }

    /// <summary>The dtype of output <paramref name="index"/>.</summary>
    public DType DTypeOf(int index) => index < OutputDTypes.Count ? OutputDTypes[index] : DType.Float32;

    /// <summary>
    /// The training mode fixed for this call (Keras's <c>layer(x, training=False)</c>), or null to
    /// follow the pass it runs in. A fixed mode holds in every pass, training or inference, and for
    /// a nested model it holds for every layer inside (except calls there with a mode of their own):
    /// with <c>false</c>, BatchNormalization normalises with its moving statistics and does not
    /// update them, and Dropout passes its input through.
    /// </summary>
    public bool? Training { get; init; }
}

/// <summary>
/// A persistent directed acyclic graph of layer calls. Layers are stored once by identity;
/// nodes are calls of a layer on the outputs of earlier nodes, so a shared layer is one layer
/// with several nodes and every graph is acyclic by construction. Adding a node returns a new
/// graph and leaves this one as it was (structural sharing through System.Collections.Immutable).
/// Equality is by value: scope, nodes and layer records.
/// </summary>
public sealed class Graph : IEquatable<Graph>
{
    private Graph(int scope, ImmutableList<Node> nodes, ImmutableDictionary<LayerId, Layer> layers)
    {
        Scope = scope;
        Nodes = nodes;
        Layers = layers;
    }

    /// <summary>An empty graph whose tensors carry <paramref name="scope"/>.</summary>
    public static Graph Empty(int scope) => new(scope, [], ImmutableDictionary<LayerId, Layer>.Empty);

    /// <summary>The scope stamped on every tensor of this graph.</summary>
    public int Scope { get; }

    /// <summary>The nodes in creation order; <c>Nodes[i].Id == i</c>.</summary>
    public ImmutableList<Node> Nodes { get; }

    /// <summary>The layer records by identity (the latest record given for each).</summary>
    public ImmutableDictionary<LayerId, Layer> Layers { get; }

    /// <summary>The record of the layer that produced <paramref name="tensor"/>.</summary>
    public Layer LayerOf(TensorRef tensor) => Layers[NodeOf(tensor).Layer];

    /// <summary>The node that produced <paramref name="tensor"/>.</summary>
    /// <exception cref="GraphError">The tensor belongs to another graph.</exception>
    public Node NodeOf(TensorRef tensor)
    {
        if (tensor.Scope != Scope || tensor.Node < 0 || tensor.Node >= Nodes.Count || tensor.Index < 0 ||
            tensor.Index >= Nodes[tensor.Node].OutputShapes.Count)
            throw new GraphError($"Tensor {tensor} does not belong to this graph (scope {Scope}, {Nodes.Count} nodes): it was made in another graph or session.");
        return Nodes[tensor.Node];
    }

    /// <summary>
    /// The number Keras gives <paramref name="node"/> among its layer's calls in this graph:
    /// 0, 1, … in creation order, or 1, 2, … for a model called as a layer (whose node 0 is its
    /// own, internal one).
    /// </summary>
    public int CallIndex(int node)
    {
        var layer = Nodes[node].Layer;
        int index = Nodes.Take(node).Count(n => n.Layer == layer);
        return Layers[layer] is Model ? index + 1 : index;
    }

    /// <summary>The shape of <paramref name="tensor"/>.</summary>
    public Shape ShapeOf(TensorRef tensor) => NodeOf(tensor).OutputShapes[tensor.Index];

    /// <summary>The dtype of <paramref name="tensor"/>.</summary>
    public DType DTypeOf(TensorRef tensor) => NodeOf(tensor).DTypeOf(tensor.Index);

    /// <summary>True when <paramref name="tensor"/> is an output of an <see cref="InputLayer"/>.</summary>
    public bool IsInput(TensorRef tensor) => LayerOf(tensor) is InputLayer;

    /// <summary>The graph with a new input tensor made by <paramref name="input"/>, and that tensor.</summary>
    public (Graph Graph, TensorRef Output) AddInput(InputLayer input)
    {
        var (graph, outputs) = Call(input, [], seed: 0);
        return (graph, outputs[0]);
    }

    /// <summary>
    /// The graph with one more node, <paramref name="layer"/> called on <paramref name="inputs"/>,
    /// and the tensors it produces. An unbuilt layer is built from <paramref name="seed"/>; the
    /// built record replaces any earlier record of the same layer id, so it must still fit that
    /// layer's earlier calls.
    /// </summary>
    /// <param name="layer">The layer called.</param>
    /// <param name="inputs">The tensors it is called on.</param>
    /// <param name="seed">The seed an unbuilt layer is built from.</param>
    /// <param name="training">The call's fixed training mode (<see cref="Node.Training"/>); null follows the pass.</param>
    /// <exception cref="GraphError">An input belongs to another graph.</exception>
    /// <exception cref="ShapeError">The layer cannot take the inputs' shapes, or the record no longer fits an earlier call of the same layer.</exception>
    public (Graph Graph, ImmutableArray<TensorRef> Outputs) Call(Layer layer, IReadOnlyList<TensorRef> inputs, int seed, bool? training = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var shapes = inputs.Select(ShapeOf).ToArray();
        var built = layer.Build(shapes, seed);
        var outputShapes = built.OutputShapes(shapes);
        if (Layers.ContainsKey(layer.Id)) CheckEarlierCalls(built, shapes);
        var node = new Node(Nodes.Count, layer.Id, EquatableArray.Of(inputs), EquatableArray.Of(outputShapes))
        {
            Training = training,
            OutputDTypes = DTypesOf(built, [.. inputs.Select(DTypeOf)], outputShapes.Count),
        };
        var graph = new Graph(Scope, Nodes.Add(node), Layers.Remove(layer.Id).Add(layer.Id, built));
        return (graph, [.. Enumerable.Range(0, outputShapes.Count).Select(i => new TensorRef(Scope, node.Id, i))]);
    }

    /// <summary>
    /// The output dtypes of a call of <paramref name="layer"/> (<see cref="Layer.OutputDTypes"/>, a
    /// single dtype standing for every output), empty when all are float32.
    /// </summary>
    private static EquatableArray<DType> DTypesOf(Layer layer, DType[] inputs, int outputs)
    {
        var dtypes = layer.OutputDTypes(inputs);
        if (dtypes.Count != outputs && dtypes.Count != 1)
            throw new InvalidOperationException($"Layer \"{layer.Name}\" ({layer.ClassName}) gives {dtypes.Count} output dtypes for {outputs} outputs.");
        var all = Enumerable.Range(0, outputs).Select(k => dtypes[dtypes.Count == 1 ? 0 : k]).ToArray();
        return all.All(d => d == DType.Float32) ? EquatableArray<DType>.Empty : EquatableArray.Of(all);
    }

    /// <summary>
    /// Refuses a record that would replace its layer's record but no longer fits the layer's
    /// earlier calls — an unbuilt copy of a shared layer, built afresh for other shapes — since the
    /// graph would then hold nodes its layer cannot compute.
    /// </summary>
    private void CheckEarlierCalls(Layer record, Shape[] shapes)
    {
        foreach (var node in Nodes)
        {
            if (node.Layer != record.Id) continue;
            var earlier = node.Inputs.Select(ShapeOf).ToArray();
            bool fits;
            try
            {
                fits = record.OutputShapes(earlier).SequenceEqual(node.OutputShapes);
            }
            catch (ShapeError)
            {
                fits = false;
            }
            if (!fits)
                throw new ShapeError(record.Name,
                    $"Layer \"{record.Name}\" ({record.ClassName}) was called on {string.Join(", ", shapes)}, but this graph already calls it on {string.Join(", ", earlier)} " +
                    $"and the record given, built for the new call, does not fit that one. To share the layer, call the graph's record (graph.Layers[id]), which keeps its weights.");
        }
    }

    /// <summary>The graph with the records of layers already in it replaced (same ids), e.g. after training.</summary>
    /// <exception cref="GraphError">A record's id is not in the graph.</exception>
    public Graph WithLayers(IEnumerable<Layer> records)
    {
        var builder = Layers.ToBuilder();
        foreach (var r in records)
        {
            // Remove, then add: the indexer keeps the old record when the new one is equal by value, and
            // a record with equal values but other tensors (a copy to train in place) must replace it.
            if (!builder.Remove(r.Id)) throw new GraphError($"Layer \"{r.Name}\" ({r.Id}) is not in this graph.");
            builder.Add(r.Id, r);
        }
        return new Graph(Scope, Nodes, builder.ToImmutable());
    }

    /// <summary>Reconstructs a graph from its parts (for code that renumbers nodes); validates that every input is an earlier node.</summary>
    /// <exception cref="GraphError">A node refers to a later node, another scope, or an unknown layer.</exception>
    public static Graph FromParts(int scope, IEnumerable<Node> nodes, IEnumerable<Layer> layers)
    {
        var list = nodes.ToImmutableList();
        var map = layers.ToImmutableDictionary(l => l.Id);
        for (int i = 0; i < list.Count; i++)
        {
            var n = list[i];
            if (n.Id != i) throw new GraphError($"Node {i} has id {n.Id}.");
            if (!map.ContainsKey(n.Layer)) throw new GraphError($"Node {i} calls unknown layer {n.Layer}.");
            foreach (var t in n.Inputs)
                if (t.Scope != scope || t.Node >= i || t.Index >= list[t.Node].OutputShapes.Count)
                    throw new GraphError($"Node {i} takes tensor {t}, which is not an earlier node of scope {scope}.");
        }
        return new Graph(scope, list, map);
    }

    /// <inheritdoc/>
    public bool Equals(Graph? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            Scope == other.Scope && Nodes.SequenceEqual(other.Nodes) && Layers.Count == other.Layers.Count &&
            Layers.All(kv => other.Layers.TryGetValue(kv.Key, out var o) && kv.Value.Equals(o)));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Graph);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Scope, Nodes.Count, Layers.Count);
}
