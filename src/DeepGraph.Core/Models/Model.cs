using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// A model: a graph of layer calls with its input and output tensors and a name. The graph is
/// compact — only the nodes the outputs depend on (and the inputs), renumbered in creation
/// order — so two models built the same way from the same layer records are equal whatever
/// else their source graphs held. A model is itself a layer and can be called inside another
/// model. <see cref="IsSequential"/> marks Keras's <c>Sequential</c>, the linear special case.
/// </summary>
public sealed record Model : Layer
{
    /// <summary>The scope of every model's compact graph.</summary>
    public const int ModelScope = 0;

    private Model(Graph graph, EquatableArray<TensorRef> inputs, EquatableArray<TensorRef> outputs, EquatableArray<LayerId> layerOrder, bool isSequential)
    {
        Graph = graph;
        Inputs = inputs;
        Outputs = outputs;
        LayerOrder = layerOrder;
        IsSequential = isSequential;
    }

    /// <summary>The compact graph (scope <see cref="ModelScope"/>).</summary>
    public Graph Graph { get; }

    /// <summary>The input tensors, each made by an <see cref="InputLayer"/>.</summary>
    public EquatableArray<TensorRef> Inputs { get; }

    /// <summary>The output tensors.</summary>
    public EquatableArray<TensorRef> Outputs { get; }

    /// <summary>Every layer's id in Keras's <c>model.layers</c> order, input layers included.</summary>
    public EquatableArray<LayerId> LayerOrder { get; }

    /// <summary>True for a Keras <c>Sequential</c> model.</summary>
    public bool IsSequential { get; }

    /// <inheritdoc/>
    public override string ClassName => IsSequential ? "Sequential" : "Functional";

    /// <summary>Keras's <c>model.layers</c>: every layer in order; a Sequential model hides its input layer.</summary>
    public IReadOnlyList<Layer> Layers =>
        [.. LayerOrder.Select(id => Graph.Layers[id]).Where(l => !(IsSequential && l is InputLayer))];

    /// <summary>The input layers, in input order.</summary>
    public IReadOnlyList<InputLayer> InputLayers => [.. Inputs.Select(t => (InputLayer)Graph.LayerOf(t))];

    /// <summary>The shapes of the outputs.</summary>
    public IReadOnlyList<Shape> OutputShapesOfModel => [.. Outputs.Select(Graph.ShapeOf)];

    /// <summary>The model's depth map and layer order, recomputed from the compact graph.</summary>
    public Topology Topology => Topology.Of(Graph, Inputs, Outputs, t => t.ToString());

    /// <summary>
    /// The functional model from <paramref name="inputs"/> to <paramref name="outputs"/> of
    /// <paramref name="graph"/> (Keras's <c>keras.Model(inputs=…, outputs=…)</c>).
    /// </summary>
    /// <param name="graph">The graph holding the tensors.</param>
    /// <param name="inputs">Input tensors; each must come from an <see cref="InputLayer"/>.</param>
    /// <param name="outputs">Output tensors.</param>
    /// <param name="name">The model's name.</param>
    /// <param name="id">The model's identity as a layer.</param>
    /// <param name="describe">How errors print a tensor (the facade passes Keras's notation).</param>
    /// <exception cref="GraphError">An input is not an input tensor, a tensor is from another graph, the outputs do not depend on the inputs, or two layers share a name.</exception>
    public static Model Functional(Graph graph, IReadOnlyList<TensorRef> inputs, IReadOnlyList<TensorRef> outputs, string name, LayerId id,
        Func<TensorRef, string>? describe = null) =>
        Create(graph, inputs, outputs, name, id, isSequential: false, describe ?? (t => t.ToString()));

    /// <summary>
    /// A Sequential model: <paramref name="layers"/> called one after another on the tensor of
    /// <paramref name="input"/>; unbuilt layers are built from seeds derived from <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ShapeError">A layer cannot take the previous layer's output.</exception>
    /// <exception cref="GraphError">A layer has several outputs or is an input layer.</exception>
    public static Model Sequential(InputLayer input, IEnumerable<Layer> layers, string name, LayerId id, int seed)
    {
        var (graph, source) = Graph.Empty(ModelScope).AddInput(input);
        var x = source;
        int i = 0;
        foreach (var layer in layers)
        {
            if (layer is InputLayer)
                throw new GraphError($"Sequential model \"{name}\": input layer \"{layer.Name}\" can only be the first layer.");
            var (next, outs) = graph.Call(layer, [x], Seeds.Derive(seed, i++));
            if (outs.Length != 1)
                throw new GraphError($"All layers in a Sequential model should have a single output tensor. Layer \"{layer.Name}\" has {outs.Length}. For multi-output layers, use the functional API.");
            (graph, x) = (next, outs[0]);
        }
        return Create(graph, [source], [x], name, id, isSequential: true, t => t.ToString());
    }

    private static Model Create(Graph graph, IReadOnlyList<TensorRef> inputs, IReadOnlyList<TensorRef> outputs, string name, LayerId id,
        bool isSequential, Func<TensorRef, string> describe)
    {
        if (inputs.Count == 0) throw new GraphError($"Model \"{name}\" needs at least one input.");
        if (outputs.Count == 0) throw new GraphError($"Model \"{name}\" needs at least one output.");
        for (int i = 0; i < inputs.Count; i++)
        {
            var producer = graph.LayerOf(inputs[i]);
            if (producer is not InputLayer)
                throw new GraphError($"Input {i} of model \"{name}\" is {describe(inputs[i])}, made by layer \"{producer.Name}\" ({producer.ClassName}); model inputs must come from `Input`.");
        }
        var repeated = inputs.GroupBy(t => t).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new GraphError($"The list of inputs passed to model \"{name}\" contains the same input {describe(repeated.Key)} {repeated.Count()} times.");
        foreach (var o in outputs) graph.NodeOf(o);

        var topology = Topology.Of(graph, inputs, outputs, describe);
        var kept = topology.Nodes;
        var newId = new Dictionary<int, int>();
        for (int i = 0; i < kept.Length; i++) newId[kept[i]] = i;
        TensorRef Map(TensorRef t) => new(ModelScope, newId[t.Node], t.Index);
        var nodes = kept.Select((old, i) =>
        {
            var n = graph.Nodes[old];
            return n with { Id = i, Inputs = EquatableArray.Of(n.Inputs.Select(Map)) };
        });
        var compact = Graph.FromParts(ModelScope, nodes, topology.Layers.Select(l => graph.Layers[l]));
        return new Model(compact, EquatableArray.Of(inputs.Select(Map)), EquatableArray.Of(outputs.Select(Map)),
            EquatableArray.Of(topology.Layers), isSequential) { Id = id, Name = name };
    }

    /// <summary>
    /// The number Keras gives <paramref name="node"/> among its layer's calls in this model:
    /// 0, 1, … in creation order, or 1, 2, … for a nested model (whose node 0 is its own, internal one).
    /// </summary>
    public int NodeIndex(int node) => Graph.CallIndex(node);

    /// <summary>This model with some of its layers' records replaced (same ids), e.g. after training or freezing.</summary>
    public Model WithLayers(IEnumerable<Layer> records) =>
        new Model(Graph.WithLayers(records), Inputs, Outputs, LayerOrder, IsSequential) { Id = Id, Name = Name, Trainable = Trainable };

    /// <summary>The weights of every layer in layer order, named <c>layer/role</c>; none is trainable when the model is not.</summary>
    public override IReadOnlyList<Weight> Weights =>
        [.. LayerOrder.Select(id => Graph.Layers[id]).SelectMany(l => l.Weights.Select(w =>
            new Weight(l is Model ? w.Role : $"{l.Name}/{w.Role}", w.Value, w.Trainable && Trainable)))];

    /// <summary>Runs the nested model's graph on the inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var results = Executor.Run(this, inputs, context);
        for (int i = 0; i < results.Length; i++)
        {
            results[i].Data.AsSpan().CopyTo(outputs[i].Data);
            results[i].Dispose();
        }
    }

    /// <summary>The dtypes of the outputs, as the graph inferred them from the input layers' dtypes.</summary>
    public override IReadOnlyList<DType> OutputDTypes(IReadOnlyList<DType> inputs) => [.. Outputs.Select(Graph.DTypeOf)];

    /// <summary>The dtype of input <paramref name="index"/>: its input layer's.</summary>
    public override DType InputDType(int index) => index < Inputs.Count ? Graph.DTypeOf(Inputs[index]) : DType.Float32;

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != Inputs.Count)
            throw Error($"Layer \"{Name}\" expects {Inputs.Count} input(s), but it received {inputs.Count} input tensors. Inputs received: [{string.Join(", ", inputs)}]");
        var shapes = new Dictionary<TensorRef, Shape>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var expected = Graph.ShapeOf(Inputs[i]);
            var got = inputs[i];
            if (!expected.AdmitsTensorOf(got))
                throw Error($"Input {i} of layer \"{Name}\" is incompatible with the layer: expected shape={expected}, found shape={got}");
            shapes[Inputs[i]] = got;
        }
        foreach (var node in Graph.Nodes)
        {
            if (node.Inputs.Count == 0) continue; // an input layer: its tensor is one of the inputs above
            var outs = Graph.Layers[node.Layer].OutputShapes([.. node.Inputs.Select(t => shapes[t])]);
            for (int k = 0; k < outs.Count; k++) shapes[new TensorRef(ModelScope, node.Id, k)] = outs[k];
        }
        return [.. Outputs.Select(t => shapes[t])];
    }
}
