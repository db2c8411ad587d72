using System.Runtime.InteropServices;

namespace DeepGraph.Core;

/// <summary>
/// Runs a model forward on real tensors: walks the compact graph in creation order (a
/// topological order), gives each layer call its inputs and preallocated outputs, and returns
/// each intermediate buffer to the pool once its last consumer has run.
/// </summary>
public static class Executor
{
    /// <summary>
    /// The model's outputs for <paramref name="inputs"/> (one per model input, batch first), in
    /// output order. The results are the caller's; their buffers come from the context's pool,
    /// and disposing them gives the buffers back.
    /// </summary>
    /// <exception cref="ShapeError">Wrong number of inputs, or an input whose shape the model cannot take.</exception>
    public static Tensor[] Run(Model model, IReadOnlyList<Tensor> inputs, ForwardContext context)
    {
        inputs = InputCheck.Conform(model, inputs);
        var graph = model.Graph;
        var nodes = graph.Nodes;
        var values = new Tensor[nodes.Count][];

        // How many pending reads each buffer has: consumers of every tensor over it, plus one per model output.
        var pending = new Dictionary<float[], int>(ReferenceEqualityComparer.Instance);
        var pooled = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        var reads = new int[nodes.Count][];
        for (int i = 0; i < nodes.Count; i++) reads[i] = new int[nodes[i].OutputShapes.Count];
        foreach (var n in nodes)
            foreach (var t in n.Inputs) reads[t.Node][t.Index]++;
        foreach (var t in model.Outputs) reads[t.Node][t.Index]++;

        void Hold(Tensor tensor, int count)
        {
            ref int p = ref CollectionsMarshal.GetValueRefOrAddDefault(pending, tensor.Data, out _);
            p += count;
        }
        void Release(Tensor tensor)
        {
            ref int p = ref CollectionsMarshal.GetValueRefOrNullRef(pending, tensor.Data);
            if (--p == 0 && pooled.Remove(tensor.Data)) context.Pool.Return(tensor.Data);
        }

        int inputIndex = 0;
        var inputOf = model.Inputs.ToDictionary(t => t.Node, _ => inputIndex++);
        // A convolution whose only reader is a max pooling runs inside it (Conv2D.ForwardThroughMaxPool).
        var pooledConvolution = PooledConvolutions(model);
        var fused = new bool[nodes.Count];
        try
        {
            foreach (var node in nodes)
            {
                var layer = graph.Layers[node.Layer];
                if (layer is InputLayer)
                {
                    values[node.Id] = [inputs[inputOf[node.Id]]];
                    Hold(values[node.Id][0], reads[node.Id][0]);
                    continue;
                }
                var args = new Tensor[node.Inputs.Count];
                for (int k = 0; k < args.Length; k++) args[k] = values[node.Inputs[k].Node][node.Inputs[k].Index];
                var shapes = layer.OutputShapes(Array.ConvertAll(args, a => a.Shape));
                // The tensors the layer computes on, each in its input's dtype (args stay the buffers held).
                var callArgs = InputCheck.ForLayer(layer, args);
                context.CheckOutputs(layer, shapes);
                if (pooledConvolution[node.Id] && ((Conv2D)layer).FusesWith(args[0].Shape, context))
                {
                    // Its input stays held until the pooling has run the two.
                    values[node.Id] = [Tensor.Unwritten(shapes[0])];
                    fused[node.Id] = true;
                    continue;
                }
                Tensor[] outs;
                if (layer is MaxPooling2D maxPool && fused[node.Inputs[0].Node])
                {
                    var below = nodes[node.Inputs[0].Node];
                    outs = [context.Pool.RentTensor(shapes[0])];
                    pooled.Add(outs[0].Data);
                    var x = values[below.Inputs[0].Node][below.Inputs[0].Index];
                    var convolution = (Conv2D)graph.Layers[below.Layer];
                    convolution.ForwardThroughMaxPool(context, InputCheck.ForLayer(convolution, [x])[0], maxPool, outs[0], null);
                    values[node.Id] = outs;
                    Hold(outs[0], reads[node.Id][0]);
                    if (pending[outs[0].Data] == 0 && pooled.Remove(outs[0].Data)) context.Pool.Return(outs[0].Data);
                    Release(x);
                    continue;
                }
                if (layer.ForwardIsView(context))
                {
                    // A view keeps its input's dtype; a layer that says otherwise (a linear Activation on int32) gets a converted copy.
                    outs = [args[0].View(shapes[0])];
                    if (outs[0].DType != node.DTypeOf(0)) outs = [DTypeConversion.Convert(outs[0], node.DTypeOf(0), () => $"layer \"{layer.Name}\" ({layer.ClassName})")];
                }
                else
                {
                    outs = new Tensor[shapes.Count];
                    for (int k = 0; k < outs.Length; k++)
                    {
                        outs[k] = context.Pool.RentTensor(shapes[k], node.DTypeOf(k));
                        pooled.Add(outs[k].Data);
                    }
                    // Outputs without values (a batch of 0 samples) need no computing, and kernels are never called with empty sizes.
                    if (Array.Exists(outs, o => o.Length > 0)) layer.Forward(context, callArgs, outs);
                }
                values[node.Id] = outs;
                for (int k = 0; k < outs.Length; k++) Hold(outs[k], reads[node.Id][k]);
                foreach (var o in outs)
                    if (pending[o.Data] == 0 && pooled.Remove(o.Data)) context.Pool.Return(o.Data); // an output no one reads
                foreach (var a in args) Release(a);
            }

            var results = new Tensor[model.Outputs.Count];
            for (int i = 0; i < results.Length; i++)
            {
                var t = model.Outputs[i];
                var value = values[t.Node][t.Index];
                ref int p = ref CollectionsMarshal.GetValueRefOrNullRef(pending, value.Data);
                if (p == 1 && pooled.Remove(value.Data))
                {
                    // Nothing else reads this buffer: hand it to the caller instead of copying it.
                    p = 0;
                    results[i] = Tensor.Pooled(value.Data, value.Shape, context.Pool, value.DType);
                }
                else
                {
                    var copy = context.Pool.Rent(value.Length);
                    value.Data.AsSpan().CopyTo(copy);
                    results[i] = Tensor.Pooled(copy, value.Shape, context.Pool, value.DType);
                    Release(value);
                }
            }
            return results;
        }
        catch
        {
            foreach (var array in pooled) context.Pool.Return(array);
            throw;
        }
    }

    /// <summary>
    /// Per node, whether it is a Conv2D whose only reader is a MaxPooling2D and whose output is not
    /// a model output: a call that may run inside that pooling (<see cref="Conv2D.ForwardThroughMaxPool"/>,
    /// when <see cref="Conv2D.FusesWith"/> allows it for the batch at hand), its own output never written.
    /// </summary>
    internal static bool[] PooledConvolutions(Model model)
    {
        var nodes = model.Graph.Nodes;
        var readers = new int[nodes.Count];
        var reader = new int[nodes.Count];
        foreach (var node in nodes)
            foreach (var t in node.Inputs)
            {
                readers[t.Node]++;
                reader[t.Node] = node.Id;
            }
        foreach (var t in model.Outputs) readers[t.Node] += 2;
        return [.. nodes.Select(node => model.Graph.Layers[node.Layer] is Conv2D && readers[node.Id] == 1
            && model.Graph.Layers[nodes[reader[node.Id]].Layer] is MaxPooling2D)];
    }

    /// <summary>
    /// <see cref="Run"/> over slices of at most <paramref name="batchSize"/> samples, concatenated
    /// again along the batch axis (Keras's <c>predict(batch_size=…)</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public static Tensor[] Predict(Model model, IReadOnlyList<Tensor> inputs, int batchSize, ForwardContext context)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        inputs = InputCheck.Conform(model, inputs);
        int total = inputs[0].Shape[0]!.Value;
        if (total <= batchSize) return Run(model, inputs, context);

        // The results for every sample, refused before any batch runs when they cannot be held.
        var final = model.OutputShapes([.. inputs.Select(x => x.Shape)]);
        for (int o = 0; o < final.Count; o++)
            TensorLimits.CheckAllocation($"Output {o} of model \"{model.Name}\" (layer \"{model.Graph.LayerOf(model.Outputs[o]).Name}\") for {total} samples", final[o], context.MemoryBudget);

        var parts = new List<Tensor[]>();
        for (int start = 0; start < total; start += batchSize)
        {
            int count = Math.Min(batchSize, total - start);
            parts.Add(Run(model, [.. inputs.Select(x => Slice(x, start, count))], context));
        }
        var results = Enumerable.Range(0, model.Outputs.Count).Select(o => ConcatBatch(parts.Select(p => p[o]).ToList(), context.Pool)).ToArray();
        foreach (var part in parts.SelectMany(p => p)) part.Dispose();
        return results;
    }

    private static Tensor Slice(Tensor x, int start, int count)
    {
        int row = x.Length / x.Shape[0]!.Value;
        return Tensor.Own(x.Data.AsSpan(start * row, count * row).ToArray(), x.Shape.WithBatch(count), x.DType);
    }

    private static Tensor ConcatBatch(IReadOnlyList<Tensor> parts, TensorPool pool)
    {
        int total = parts.Sum(p => p.Shape[0]!.Value);
        var data = pool.Rent(parts.Sum(p => p.Length));
        int offset = 0;
        foreach (var p in parts)
        {
            p.Data.AsSpan().CopyTo(data.AsSpan(offset));
            offset += p.Length;
        }
        return Tensor.Pooled(data, parts[0].Shape.WithBatch(total), pool, parts[0].DType);
    }

    /// <summary>Forwards to <see cref="InputCheck.CheckInputs"/> (kept for existing callers).</summary>
    /// <exception cref="ShapeError">In Keras's words, naming the model and the shapes.</exception>
    public static void CheckInputs(Model model, IReadOnlyList<Tensor> inputs) => InputCheck.CheckInputs(model, inputs);
}
