namespace DeepGraph.Core;

/// <summary>Sequential ↔ Functional, as pure functions of model values.</summary>
public static class Conversions
{
    /// <summary>
    /// The functional twin of a Sequential <paramref name="model"/>: its layers (same records,
    /// same ids, so the same weights) called in order on the tensor of <paramref name="input"/>,
    /// by default the model's own input layer.
    /// </summary>
    /// <exception cref="GraphError"><paramref name="model"/> is not linear (see <see cref="LinearChain"/>).</exception>
    public static Model ToFunctional(Model model, string name, LayerId id, InputLayer? input = null)
    {
        var chain = LinearChain(model);
        var (graph, source) = Graph.Empty(Model.ModelScope).AddInput(input ?? model.InputLayers[0]);
        var x = source;
        foreach (var layer in chain)
        {
            var (next, outs) = graph.Call(layer, [x], seed: 0);
            (graph, x) = (next, outs[0]);
        }
        return Model.Functional(graph, [source], [x], name, id);
    }

    /// <summary>
    /// The Sequential twin of a linear <paramref name="model"/>: its input layer becomes the
    /// Sequential's (hidden) input, and its other layers, in order, the Sequential's layers.
    /// </summary>
    /// <exception cref="GraphError">The model is not linear; the message names the layer that branches or merges.</exception>
    public static Model ToSequential(Model model, string name, LayerId id) =>
        Model.Sequential(model.InputLayers[0], LinearChain(model), name, id, seed: 0);

    /// <summary>
    /// The layers of a linear model, input layer excluded, in call order. A model is linear when
    /// it has one input and one output, every layer is called once on one tensor and gives one
    /// tensor, and every tensor but the output feeds exactly one layer.
    /// </summary>
    /// <exception cref="GraphError">The model is not linear; the message names the first layer (in call order) that branches or merges.</exception>
    public static IReadOnlyList<Layer> LinearChain(Model model)
    {
        var graph = model.Graph;
        string Names(IEnumerable<TensorRef> ts) => string.Join(", ", ts.Select(t => $"\"{graph.LayerOf(t).Name}\""));
        string prefix = $"Model \"{model.Name}\" is not linear and cannot become a Sequential model: ";
        if (model.Inputs.Count != 1)
            throw new GraphError(prefix + $"it has {model.Inputs.Count} inputs ({Names(model.Inputs)}); a Sequential model has one.");
        if (model.Outputs.Count != 1)
            throw new GraphError(prefix + $"it has {model.Outputs.Count} outputs ({Names(model.Outputs)}); a Sequential model has one.");

        var chain = new List<Layer>();
        foreach (var node in graph.Nodes)
        {
            var layer = graph.Layers[node.Layer];
            if (node.Inputs.Count > 1)
                throw new GraphError(prefix + $"layer \"{layer.Name}\" ({layer.ClassName}) merges {node.Inputs.Count} tensors (from {Names(node.Inputs)}).");
            var calls = graph.Nodes.Count(n => n.Layer == node.Layer);
            if (calls > 1)
                throw new GraphError(prefix + $"layer \"{layer.Name}\" ({layer.ClassName}) is called {calls} times; a Sequential model calls each layer once.");
            if (node.OutputShapes.Count != 1)
                throw new GraphError(prefix + $"layer \"{layer.Name}\" ({layer.ClassName}) gives {node.OutputShapes.Count} tensors.");
            var consumers = graph.Nodes.Where(n => n.Inputs.Any(t => t.Node == node.Id)).Select(n => graph.Layers[n.Layer].Name).ToList();
            if (consumers.Count > 1)
                throw new GraphError(prefix + $"layer \"{layer.Name}\" ({layer.ClassName}) branches: its output feeds {string.Join(", ", consumers.Select(c => $"\"{c}\""))}.");
            if (layer is not InputLayer) chain.Add(layer);
        }
        return chain;
    }
}
