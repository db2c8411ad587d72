using DeepGraph.Numerics;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// The record of one training forward pass over a model: every call's outputs and what its
/// layer saved, nested models' own tapes, and the buffers to give back. <see cref="Backprop.Backward"/>
/// walks it in reverse. Disposing it returns every buffer to the pool.
/// </summary>
public sealed class Tape : IDisposable
{
    internal Tape(Model model, ForwardContext context)
    {
        Model = model;
        Context = context;
        Values = new Tensor[model.Graph.Nodes.Count][];
        Saved = new IReadOnlyList<Tensor>[model.Graph.Nodes.Count];
        Inner = new Tape?[model.Graph.Nodes.Count];
        Fused = new bool[model.Graph.Nodes.Count];
    }

    /// <summary>The model that ran.</summary>
    public Model Model { get; }

    /// <summary>The context it ran in (nested models run in one with <see cref="ForwardContext.Frozen"/> set when frozen).</summary>
    public ForwardContext Context { get; }

    internal Tensor[][] Values { get; }
    internal IReadOnlyList<Tensor>[] Saved { get; }
    internal Tape?[] Inner { get; }

    /// <summary>Per node, true for a convolution that ran inside the max pooling reading it: its value is <see cref="Tensor.Unwritten"/>.</summary>
    internal bool[] Fused { get; }
    internal HashSet<float[]> Rented { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The model's outputs, in output order (owned by the tape: copy what must outlive it).</summary>
    public IReadOnlyList<Tensor> Outputs => [.. Model.Outputs.Select(t => Values[t.Node][t.Index])];

    /// <summary>
    /// Every stateful layer's record after this pass (BatchNormalization with its moving statistics
    /// moved toward the batch's), nested models included, by layer id; calls in order, so a layer
    /// called twice has seen both batches.
    /// </summary>
    public IReadOnlyDictionary<LayerId, Layer> StateUpdates()
    {
        var updates = new Dictionary<LayerId, Layer>();
        Collect(updates);
        return updates;
    }

    private void Collect(Dictionary<LayerId, Layer> updates)
    {
        foreach (var node in Model.Graph.Nodes)
        {
            if (Inner[node.Id] is { } inner)
            {
                inner.Collect(updates);
                continue;
            }
            if (Model.Graph.Layers[node.Layer] is BatchNormalization bn)
            {
                var current = updates.TryGetValue(bn.Id, out var seen) ? (BatchNormalization)seen : bn;
                var next = current.WithMovingStatistics(Saved[node.Id]);
                if (!ReferenceEquals(next, current)) updates[bn.Id] = next;
            }
        }
    }

    /// <summary>Gives every buffer of the pass back to the pool.</summary>
    public void Dispose()
    {
        foreach (var inner in Inner) inner?.Dispose();
        foreach (var array in Rented) Context.Pool.Return(array);
        Rented.Clear();
    }
}

/// <summary>
/// Gradients of the loss with respect to every trainable weight of a model, by layer id and
/// weight index (a shared layer's calls summed into one entry). Null entries are weights that
/// are not trained (frozen layers, moving statistics).
/// </summary>
public sealed class Gradients : IDisposable
{
    private readonly TensorPool pool;
    private readonly Dictionary<LayerId, Tensor?[]> byLayer = [];

    /// <summary>An empty set of gradients whose buffers come from <paramref name="pool"/>.</summary>
    public Gradients(TensorPool pool) => this.pool = pool;

    /// <summary>The layers that have gradients.</summary>
    public IReadOnlyCollection<LayerId> Layers => byLayer.Keys;

    /// <summary>The gradients of <paramref name="layer"/>'s weights in weight order (null: not trained), or null when it has none.</summary>
    public IReadOnlyList<Tensor?>? Of(LayerId layer) => byLayer.GetValueOrDefault(layer);

    /// <summary>The zeroed buffers a call of <paramref name="layer"/> adds its weight gradients into (created on first use).</summary>
    internal Tensor?[] For(Layer layer, bool frozen)
    {
        if (byLayer.TryGetValue(layer.Id, out var existing)) return existing;
        var weights = layer.Weights;
        var grads = new Tensor?[weights.Count];
        for (int i = 0; i < grads.Length; i++)
        {
            if (frozen || !weights[i].Trainable) continue;
            var g = pool.RentTensor(weights[i].Value.Shape);
            g.Data.AsSpan().Clear();
            grads[i] = g;
        }
        byLayer[layer.Id] = grads;
        return grads;
    }

    /// <summary>True when every gradient is finite.</summary>
    public bool AllFinite() => byLayer.Values.SelectMany(x => x).All(g => g is null || IsFinite(g.Span));

    private static bool IsFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>Gives the buffers back to the pool.</summary>
    public void Dispose()
    {
        foreach (var g in byLayer.Values.SelectMany(x => x))
            if (g is not null) pool.Return(g.Data);
        byLayer.Clear();
    }
}

/// <summary>
/// Reverse-mode differentiation over a model's graph: a training forward pass that keeps what
/// the backward pass needs (<see cref="Forward"/>), then each call's vector-Jacobian product in
/// reverse creation order (<see cref="Backward"/>), summing the gradients of tensors read
/// several times and of shared layers. Nested models are differentiated through their own graphs.
/// </summary>
public static class Backprop
{
    /// <summary>Runs <paramref name="model"/> forward in training mode on <paramref name="inputs"/>, keeping every activation.</summary>
    /// <exception cref="ShapeError">Wrong number of inputs or a shape the model cannot take.</exception>
    public static Tape Forward(Model model, IReadOnlyList<Tensor> inputs, ForwardContext context)
    {
        Executor.CheckInputs(model, inputs);
        var tape = new Tape(model, context.Training ? context : context with { Training = true });
        try
        {
            Run(tape, inputs);
            return tape;
        }
        catch
        {
            tape.Dispose();
            throw;
        }
    }

    private static void Run(Tape tape, IReadOnlyList<Tensor> inputs)
    {
        var model = tape.Model;
        var context = tape.Context;
        var graph = model.Graph;
        var nodes = graph.Nodes;
        for (int i = 0; i < model.Inputs.Count; i++) tape.Values[model.Inputs[i].Node] = [inputs[i]];
        // The backward pass then always goes through ThroughMaxPool, whose conditions these include, so the unwritten output is never read.
        var pooledConvolution = Executor.PooledConvolutions(model);
        foreach (var node in graph.Nodes)
        {
            var layer = graph.Layers[node.Layer];
            if (layer is InputLayer) continue;
            var args = new Tensor[node.Inputs.Count];
            for (int k = 0; k < args.Length; k++) args[k] = tape.Values[node.Inputs[k].Node][node.Inputs[k].Index];
            args = InputCheck.ForLayer(layer, args); // as the executor does: float ids into an Embedding, int32 values into a Dense
            tape.Saved[node.Id] = [];
            if (pooledConvolution[node.Id] && ((Conv2D)layer).FusesWith(args[0].Shape, context))
            {
                // A convolution that runs inside the max pooling reading it: its output is never written.
                var convShape = layer.OutputShapes([args[0].Shape])[0];
                tape.Values[node.Id] = [Tensor.Unwritten(convShape)];
                tape.Fused[node.Id] = true;
                continue;
            }
            if (layer is MaxPooling2D maxPool && tape.Fused[node.Inputs[0].Node])
            {
                var below = nodes[node.Inputs[0].Node];
                var conv = (Conv2D)graph.Layers[below.Layer];
                var x = tape.Values[below.Inputs[0].Node][below.Inputs[0].Index];
                var shape = maxPool.OutputShapes([args[0].Shape])[0];
                var pooled = context.Pool.RentTensor(shape);
                var argmax = context.Pool.RentTensor(shape);
                tape.Rented.Add(pooled.Data);
                tape.Rented.Add(argmax.Data);
                long fusedStart = System.Diagnostics.Stopwatch.GetTimestamp();
                conv.ForwardThroughMaxPool(context, x, maxPool, pooled, argmax);
                context.Profiler?.Record(conv, "forward", System.Diagnostics.Stopwatch.GetElapsedTime(fusedStart).TotalSeconds);
                tape.Values[node.Id] = [pooled];
                tape.Saved[node.Id] = [argmax];
                continue;
            }
            if (layer is Model inner)
            {
                var innerContext = inner.Trainable || context.Frozen ? context : context with { Frozen = true };
                var innerTape = new Tape(inner, innerContext);
                tape.Inner[node.Id] = innerTape;
                Executor.CheckInputs(inner, args);
                Run(innerTape, args);
                tape.Values[node.Id] = [.. innerTape.Outputs];
                continue;
            }
            var shapes = layer.OutputShapes(Array.ConvertAll(args, a => a.Shape));
            context.CheckOutputs(layer, shapes);
            if (layer.ForwardIsView(context))
            {
                tape.Values[node.Id] = [args[0].View(shapes[0])];
                continue;
            }
            var outs = new Tensor[shapes.Count];
            for (int k = 0; k < outs.Length; k++)
            {
                outs[k] = context.Pool.RentTensor(shapes[k]);
                tape.Rented.Add(outs[k].Data);
            }
            tape.Values[node.Id] = outs;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var saved = layer.ForwardTrain(context, args, outs);
            context.Profiler?.Record(layer, "forward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            foreach (var s in saved) tape.Rented.Add(s.Data);
            tape.Saved[node.Id] = saved;
        }
    }

    /// <summary>
    /// The backward pass over <paramref name="tape"/>: from d(loss)/d(output i) for each model
    /// output (null for an output the loss does not read), adds every trainable weight's gradient
    /// into <paramref name="gradients"/> and returns d(loss)/d(input i) for the inputs
    /// <paramref name="inputsNeedGrad"/> asks for (null for the others). Returned tensors are the
    /// caller's, over buffers of the tape's pool.
    /// </summary>
    public static Tensor?[] Backward(Tape tape, IReadOnlyList<Tensor?> outputGrads, Gradients gradients, IReadOnlyList<bool>? inputsNeedGrad = null)
    {
        var model = tape.Model;
        var context = tape.Context;
        var graph = model.Graph;
        var nodes = graph.Nodes;
        var pool = context.Pool;
        if (outputGrads.Count != model.Outputs.Count)
            throw new ArgumentException($"Model \"{model.Name}\" has {model.Outputs.Count} outputs but {outputGrads.Count} output gradients were given.", nameof(outputGrads));

        // Which tensors need a gradient: those on a path from a trainable weight or a model input that asks for one.
        var needs = new bool[nodes.Count];
        for (int i = 0; i < model.Inputs.Count; i++)
            needs[model.Inputs[i].Node] |= inputsNeedGrad is not null && inputsNeedGrad[i];
        foreach (var node in nodes)
        {
            var layer = graph.Layers[node.Layer];
            if (layer is InputLayer) continue;
            needs[node.Id] = HasTrainable(layer, context.Frozen) || node.Inputs.Any(t => needs[t.Node]);
        }

        var grads = new Tensor?[nodes.Count][];
        var owned = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        // How many call inputs read each tensor: a tensor read once may take an unzeroed buffer its reader writes.
        var readers = new Dictionary<TensorRef, int>();
        foreach (var node in nodes)
            foreach (var t in node.Inputs) readers[t] = readers.GetValueOrDefault(t) + 1;
        for (int i = 0; i < nodes.Count; i++) grads[i] = new Tensor?[tape.Values[i]?.Length ?? 1];
        // Calls whose output gradient already has their activation's derivative applied (see ThroughMaxPool).
        var activationApplied = new bool[nodes.Count];

        Tensor Accumulator(TensorRef t)
        {
            ref var slot = ref grads[t.Node][t.Index];
            if (slot is null)
            {
                slot = pool.RentTensor(tape.Values[t.Node][t.Index].Shape);
                slot.Data.AsSpan().Clear();
                owned.Add(slot.Data);
            }
            return slot;
        }

        void AddInto(TensorRef t, Tensor value)
        {
            ref var slot = ref grads[t.Node][t.Index];
            if (slot is null)
            {
                // First gradient for this tensor: take a copy the accumulator owns.
                slot = pool.RentTensor(tape.Values[t.Node][t.Index].Shape);
                value.Span.CopyTo(slot.Data);
                owned.Add(slot.Data);
            }
            else
            {
                TensorPrimitives.Add(slot.Span, value.Span, slot.Data);
            }
        }

        // A max pooling (with its argmax saved) that alone reads a convolution's output takes over
        // the convolution's activation derivative, which at each window's maximum is the derivative
        // at the pooled value. For a first layer with a small patch it then computes the weight
        // gradients itself, so the convolution's output gradient (the step's largest tensor) is never
        // written; otherwise it writes that gradient already through the activation, and the
        // convolution's backward pass does not read its output again.
        bool ThroughMaxPool(Node node, Layer layer, Tensor pooledGrad)
        {
            if (layer is not MaxPooling2D maxPool || tape.Saved[node.Id].Count != 1) return false;
            var t = node.Inputs[0];
            if (graph.Layers[nodes[t.Node].Layer] is not Conv2D conv || tape.Inner[t.Node] is not null || readers[t] != 1
                || grads[t.Node][t.Index] is not null || !needs[t.Node]
                || conv.Activation == ActivationFunction.Softmax || ActivationGrad.NeedsInput(conv.Activation))
                return false;
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var convOut = tape.Values[t.Node][t.Index];
            var window = maxPool.WindowOf(convOut.Shape);
            if (conv.Activation != ActivationFunction.Linear)
                ActivationGrad.Backward(conv.Activation, default, tape.Values[node.Id][0].Span, pooledGrad.Span, pooledGrad.Data, conv.Filters);
            var below = nodes[t.Node].Inputs[0];
            if (!needs[below.Node] && HasTrainable(conv, context.Frozen)
                && conv.WeightGradientsThroughMaxPool(context, tape.Values[below.Node][below.Index], window, pooledGrad, tape.Saved[node.Id][0], gradients.For(conv, context.Frozen)))
            {
                // The convolution's backward pass is done: its output gradient stays unset, so its node is skipped.
                context.Profiler?.Record(conv, "backward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                return true;
            }
            var dz = pool.RentTensor(convOut.Shape);
            owned.Add(dz.Data);
            MaxPoolArgmax.Backward(pooledGrad.Data, tape.Saved[node.Id][0].Data, window, dz.Data, context.Threads, overwrite: true);
            grads[t.Node][t.Index] = dz;
            activationApplied[t.Node] = true;
            context.Profiler?.Record(layer, "backward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            return true;
        }

        try
        {
            for (int i = 0; i < outputGrads.Count; i++)
            {
                if (outputGrads[i] is not { } g) continue;
                var expected = tape.Values[model.Outputs[i].Node][model.Outputs[i].Index].Shape;
                if (g.Shape != expected)
                    throw new ArgumentException($"The gradient for output {i} of model \"{model.Name}\" has shape {g.Shape}, but the output has shape {expected}.", nameof(outputGrads));
                AddInto(model.Outputs[i], g);
            }

            for (int n = nodes.Count - 1; n >= 0; n--)
            {
                var node = nodes[n];
                var layer = graph.Layers[node.Layer];
                if (layer is InputLayer || !needs[n] || Array.TrueForAll(grads[n], g => g is null)) continue;

                var outGrads = new Tensor[grads[n].Length];
                for (int k = 0; k < outGrads.Length; k++) outGrads[k] = grads[n][k] ?? Accumulator(new TensorRef(Model.ModelScope, n, k));
                var inputs = InputCheck.ForLayer(layer, [.. node.Inputs.Select(t => tape.Values[t.Node][t.Index])]); // what the forward pass was given

                if (tape.Inner[n] is { } inner)
                {
                    var innerGrads = Backward(inner, outGrads, gradients, [.. node.Inputs.Select(t => needs[t.Node])]);
                    for (int k = 0; k < innerGrads.Length; k++)
                    {
                        if (innerGrads[k] is not { } g) continue;
                        AddInto(node.Inputs[k], g);
                        pool.Return(g.Data);
                    }
                }
                else if (layer.ForwardIsView(context) && inputs.Length == 1 && grads[node.Inputs[0].Node][node.Inputs[0].Index] is null)
                {
                    // The output was a view of the input: so is the gradient. This node's gradient is
                    // not read again (its consumers have all run), so the input may take the buffer.
                    if (needs[node.Inputs[0].Node])
                        grads[node.Inputs[0].Node][node.Inputs[0].Index] = outGrads[0].View(inputs[0].Shape);
                }
                else if (!ThroughMaxPool(node, layer, outGrads[0]))
                {
                    var inputGrads = new Tensor?[node.Inputs.Count];
                    var unset = new bool[node.Inputs.Count];
                    for (int k = 0; k < inputGrads.Length; k++)
                    {
                        var t = node.Inputs[k];
                        if (!needs[t.Node]) continue;
                        if (layer.WritesInputGradients && grads[t.Node][t.Index] is null && readers[t] == 1)
                        {
                            var fresh = pool.RentTensor(tape.Values[t.Node][t.Index].Shape);
                            owned.Add(fresh.Data);
                            grads[t.Node][t.Index] = inputGrads[k] = fresh;
                            unset[k] = true;
                        }
                        else
                        {
                            inputGrads[k] = Accumulator(t);
                        }
                    }
                    if (tape.Fused[n] && !activationApplied[n])
                        throw new InvalidOperationException($"Layer \"{layer.Name}\" ran fused into the max pooling after it, but that pooling's backward pass did not take it over.");
                    var paramGrads = layer.Weights.Count > 0 ? gradients.For(layer, context.Frozen) : [];
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    layer.Backward(context, new BackwardArgs
                    {
                        Inputs = inputs,
                        Outputs = tape.Values[n],
                        Saved = tape.Saved[n],
                        OutputGrads = outGrads,
                        InputGrads = inputGrads,
                        InputGradsUnset = unset,
                        ParamGrads = paramGrads,
                        ActivationApplied = activationApplied[n],
                    });
                    context.Profiler?.Record(layer, "backward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                // This node's output gradients are spent: give back those no view still shares.
                for (int k = 0; k < grads[n].Length; k++)
                {
                    var g = grads[n][k];
                    grads[n][k] = null;
                    if (g is not null && owned.Contains(g.Data) && !IsShared(grads, g.Data))
                    {
                        owned.Remove(g.Data);
                        pool.Return(g.Data);
                    }
                }
            }

            var result = new Tensor?[model.Inputs.Count];
            for (int i = 0; i < result.Length; i++)
            {
                if (inputsNeedGrad is null || !inputsNeedGrad[i]) continue;
                var t = model.Inputs[i];
                var g = grads[t.Node][t.Index];
                if (g is null)
                {
                    g = pool.RentTensor(tape.Values[t.Node][t.Index].Shape);
                    g.Data.AsSpan().Clear();
                }
                else
                {
                    owned.Remove(g.Data);
                    grads[t.Node][t.Index] = null;
                }
                result[i] = g;
            }
            foreach (var array in owned) pool.Return(array);
            return result;
        }
        catch
        {
            foreach (var array in owned) pool.Return(array);
            throw;
        }
    }

    private static bool IsShared(Tensor?[][] grads, float[] data)
    {
        foreach (var row in grads)
            foreach (var g in row)
                if (g is not null && ReferenceEquals(g.Data, data)) return true;
        return false;
    }

    /// <summary>Whether a call of <paramref name="layer"/> has weights to train in this context.</summary>
    internal static bool HasTrainable(Layer layer, bool frozen) => !frozen && layer.Weights.Any(w => w.Trainable);
}
