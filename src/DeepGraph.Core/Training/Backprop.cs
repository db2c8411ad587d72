using DeepGraph.Numerics;
using System.Numerics.Tensors;

namespace DeepGraph.Core;

/// <summary>
/// The record of one training forward pass over a model's <see cref="ExecutionPlan"/>: every slot's
/// value, what each step's layer saved and the context it ran in, nested models' own tapes, and the
/// buffers to give back. <see cref="Backprop.Backward"/> walks it in reverse. Disposing it returns
/// every buffer to the pool.
/// </summary>
public sealed class Tape : IDisposable
{
    internal Tape(ExecutionPlan plan, ForwardContext context)
    {
        Plan = plan;
        Context = context;
        Values = new Tensor[plan.SlotCount];
        Saved = new IReadOnlyList<Tensor>[plan.Steps.Length];
        Contexts = new ForwardContext[plan.Steps.Length];
        Inner = new Tape?[plan.Steps.Length];
        Masks = new Tensor?[plan.SlotCount];
    }

    /// <summary>The model that ran.</summary>
    public Model Model => Plan.Model;

    /// <summary>The plan that ran.</summary>
    public ExecutionPlan Plan { get; }

    /// <summary>The context it ran in (nested models run in one with <see cref="ForwardContext.Frozen"/> set when frozen).</summary>
    public ForwardContext Context { get; }

    /// <summary>Per slot, its value (null for a slot hidden in a fusion group).</summary>
    internal Tensor[] Values { get; }

    /// <summary>Per step, what its layer's <see cref="Layer.ForwardTrain"/> returned.</summary>
    internal IReadOnlyList<Tensor>[] Saved { get; }

    /// <summary>Per step, the context its layer ran in (its fixed training mode applied).</summary>
    internal ForwardContext[] Contexts { get; }

    /// <summary>Per step, a nested model's tape.</summary>
    internal Tape?[] Inner { get; }

    /// <summary>Per slot, the mask its tensor carries, or null (see <see cref="Layer.ComputeMask"/>).</summary>
    internal Tensor?[] Masks { get; }

    internal HashSet<float[]> Rented { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>The model's outputs, in output order (owned by the tape: copy what must outlive it).</summary>
    public IReadOnlyList<Tensor> Outputs => [.. Plan.OutputSlots.Select(s => Values[s])];

    /// <summary>The masks the model's outputs carry (null where none), in output order.</summary>
    public IReadOnlyList<Tensor?> OutputMasks => [.. Plan.OutputSlots.Select(s => Masks[s])];

    /// <summary>
    /// Every stateful layer's record after this pass (BatchNormalization with its moving statistics
    /// moved toward the batch's, through <see cref="Layer.WithState"/>), nested models included, by
    /// layer id; calls in order, so a layer called twice has seen both batches.
    /// </summary>
    public IReadOnlyDictionary<LayerId, Layer> StateUpdates()
    {
        var updates = new Dictionary<LayerId, Layer>();
        Collect(updates);
        return updates;
    }

    private void Collect(Dictionary<LayerId, Layer> updates)
    {
        for (int s = 0; s < Plan.Steps.Length; s++)
        {
            if (Inner[s] is { } inner)
            {
                inner.Collect(updates);
                continue;
            }
            if (Saved[s] is not { } saved) continue;
            var layer = Plan.Steps[s].Layer;
            var current = updates.GetValueOrDefault(layer.Id) ?? layer;
            var next = current.WithState(saved);
            if (!ReferenceEquals(next, current)) updates[layer.Id] = next;
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
        // x·0 is ±0 for a finite x and NaN for NaN or ±∞, so the sum of the products stays 0 only when every value is finite.
        int i = 0;
        if (System.Numerics.Vector.IsHardwareAccelerated && values.Length >= System.Numerics.Vector<float>.Count)
        {
            var zero = System.Numerics.Vector<float>.Zero;
            var acc = zero;
            for (; i <= values.Length - System.Numerics.Vector<float>.Count; i += System.Numerics.Vector<float>.Count)
                acc += new System.Numerics.Vector<float>(values[i..]) * zero;
            if (!System.Numerics.Vector.EqualsAll(acc, zero)) return false;
        }
        for (; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return false;
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
/// the backward pass needs (<see cref="Forward(Model, IReadOnlyList{Tensor}, ForwardContext)"/>), then each call's vector-Jacobian product in
/// reverse creation order (<see cref="Backward"/>), summing the gradients of tensors read
/// several times and of shared layers. Nested models are differentiated through their own graphs.
/// </summary>
public static class Backprop
{
    /// <summary>Runs <paramref name="model"/> forward in training mode on <paramref name="inputs"/>, keeping every activation.</summary>
    /// <exception cref="ShapeError">Wrong number of inputs or a shape the model cannot take.</exception>
    public static Tape Forward(Model model, IReadOnlyList<Tensor> inputs, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Forward(ExecutionPlan.Of(model), inputs, context);
    }

    /// <summary>
    /// <see cref="Forward(Model, IReadOnlyList{Tensor}, ForwardContext)"/> on a given plan of the model
    /// (<see cref="ExecutionPlan.Compile"/>, e.g. without fusion rules).
    /// </summary>
    /// <exception cref="ShapeError">Wrong number of inputs or a shape the model cannot take.</exception>
    public static Tape Forward(ExecutionPlan plan, IReadOnlyList<Tensor> inputs, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        Executor.CheckInputs(plan.Model, inputs);
        var tape = new Tape(plan, context.Training ? context : context with { Training = true });
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
        var plan = tape.Plan;
        var context = tape.Context;
        for (int i = 0; i < plan.InputSlots.Length; i++)
        {
            tape.Values[plan.InputSlots[i]] = inputs[i];
            tape.Masks[plan.InputSlots[i]] = context.MaskOf(i);
        }
        if (context.InputMasks.Count > 0) context = context with { InputMasks = [] };
        for (int s = 0; s < plan.Steps.Length; s++)
        {
            var step = plan.Steps[s];
            var layer = step.Layer;
            var stepContext = tape.Contexts[s] = MaskFlow.Into(step.ContextIn(context), step, tape.Masks);
            var args = new Tensor[step.Inputs.Length];
            for (int k = 0; k < args.Length; k++) args[k] = tape.Values[step.Inputs[k]];
            args = InputCheck.ForLayer(layer, args); // as the executor does: float ids into an Embedding, int32 values into a Dense
            tape.Saved[s] = [];
            if (step.Inner is { } innerPlan)
            {
                var innerContext = layer.Trainable || stepContext.Frozen ? stepContext : stepContext with { Frozen = true };
                var innerTape = new Tape(innerPlan, innerContext);
                tape.Inner[s] = innerTape;
                Executor.CheckInputs(innerPlan.Model, args);
                Run(innerTape, args);
                var results = innerTape.Outputs;
                for (int k = 0; k < step.Outputs.Length; k++)
                {
                    tape.Values[step.Outputs[k]] = results[k];
                    tape.Masks[step.Outputs[k]] = innerTape.Masks[innerPlan.OutputSlots[k]];
                }
                continue;
            }
            var shapes = layer.OutputShapes(Array.ConvertAll(args, a => a.Shape));
            context.CheckOutputs(layer, shapes);
            if (layer.ForwardIsView(stepContext))
            {
                tape.Values[step.Outputs[0]] = args[0].View(shapes[0]);
                MaskFlow.Out(layer, stepContext, args, [tape.Values[step.Outputs[0]]], step, tape.Masks);
                continue;
            }
            var outs = new Tensor[shapes.Count];
            for (int k = 0; k < outs.Length; k++)
            {
                outs[k] = context.Pool.RentTensor(shapes[k]);
                tape.Rented.Add(outs[k].Data);
                tape.Values[step.Outputs[k]] = outs[k];
            }
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var saved = layer.ForwardTrain(stepContext, args, outs);
            // A fused layer reports its parts' times itself.
            if (layer is not FusedLayer) context.Profiler?.Record(layer, "forward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            foreach (var t in saved) tape.Rented.Add(t.Data);
            tape.Saved[s] = saved;
            MaskFlow.Out(layer, stepContext, args, outs, step, tape.Masks);
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
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(outputGrads);
        ArgumentNullException.ThrowIfNull(gradients);
        var plan = tape.Plan;
        var model = plan.Model;
        var steps = plan.Steps;
        var pool = tape.Context.Pool;
        if (outputGrads.Count != plan.OutputSlots.Length)
            throw new ArgumentException($"Model \"{model.Name}\" has {plan.OutputSlots.Length} outputs but {outputGrads.Count} output gradients were given.", nameof(outputGrads));

        // Which slots need a gradient: those on a path from a trainable weight or a model input that asks for one.
        var needs = new bool[plan.SlotCount];
        var stepNeeds = new bool[steps.Length];
        for (int i = 0; i < plan.InputSlots.Length; i++)
            needs[plan.InputSlots[i]] |= inputsNeedGrad is not null && inputsNeedGrad[i];
        for (int s = 0; s < steps.Length; s++)
        {
            var step = steps[s];
            bool need = HasTrainable(step.Layer, tape.Context.Frozen);
            foreach (var i in step.Inputs) need |= needs[i];
            stepNeeds[s] = need;
            foreach (var o in step.Outputs) needs[o] = need;
        }

        var grads = new Tensor?[plan.SlotCount];
        var owned = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        var readers = plan.Readers;

        Tensor Accumulator(int slot)
        {
            ref var g = ref grads[slot];
            if (g is null)
            {
                g = pool.RentTensor(tape.Values[slot].Shape);
                g.Data.AsSpan().Clear();
                owned.Add(g.Data);
            }
            return g;
        }

        void AddInto(int slot, Tensor value)
        {
            ref var g = ref grads[slot];
            if (g is null)
            {
                // First gradient for this tensor: take a copy the accumulator owns.
                g = pool.RentTensor(tape.Values[slot].Shape);
                value.Span.CopyTo(g.Data);
                owned.Add(g.Data);
            }
            else
            {
                TensorPrimitives.Add(g.Span, value.Span, g.Data);
            }
        }

        try
        {
            for (int i = 0; i < outputGrads.Count; i++)
            {
                if (outputGrads[i] is not { } g) continue;
                var expected = tape.Values[plan.OutputSlots[i]].Shape;
                if (g.Shape != expected)
                    throw new ArgumentException($"The gradient for output {i} of model \"{model.Name}\" has shape {g.Shape}, but the output has shape {expected}.", nameof(outputGrads));
                AddInto(plan.OutputSlots[i], g);
            }

            for (int s = steps.Length - 1; s >= 0; s--)
            {
                var step = steps[s];
                var layer = step.Layer;
                var stepContext = tape.Contexts[s];
                if (!stepNeeds[s] || step.Outputs.All(o => grads[o] is null)) continue;

                var outGrads = new Tensor[step.Outputs.Length];
                for (int k = 0; k < outGrads.Length; k++) outGrads[k] = grads[step.Outputs[k]] ?? Accumulator(step.Outputs[k]);
                var inputs = new Tensor[step.Inputs.Length];
                for (int k = 0; k < inputs.Length; k++) inputs[k] = tape.Values[step.Inputs[k]];
                inputs = InputCheck.ForLayer(layer, inputs); // what the forward pass was given

                if (tape.Inner[s] is { } inner)
                {
                    var innerGrads = Backward(inner, outGrads, gradients, [.. step.Inputs.Select(i => needs[i])]);
                    for (int k = 0; k < innerGrads.Length; k++)
                    {
                        if (innerGrads[k] is not { } g) continue;
                        AddInto(step.Inputs[k], g);
                        pool.Return(g.Data);
                    }
                }
                else if (layer.ForwardIsView(stepContext) && inputs.Length == 1 && grads[step.Inputs[0]] is null)
                {
                    // The output was a view of the input: so is the gradient. This step's gradient is
                    // not read again (its readers have all run), so the input may take the buffer.
                    if (needs[step.Inputs[0]])
                        grads[step.Inputs[0]] = outGrads[0].View(inputs[0].Shape);
                }
                else
                {
                    var inputGrads = new Tensor?[inputs.Length];
                    var unset = new bool[inputs.Length];
                    for (int k = 0; k < inputGrads.Length; k++)
                    {
                        int slot = step.Inputs[k];
                        if (!needs[slot]) continue;
                        if (layer.WritesInputGradients && grads[slot] is null && readers[slot] == 1)
                        {
                            var fresh = pool.RentTensor(tape.Values[slot].Shape);
                            owned.Add(fresh.Data);
                            grads[slot] = inputGrads[k] = fresh;
                            unset[k] = true;
                        }
                        else
                        {
                            inputGrads[k] = Accumulator(slot);
                        }
                    }
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    layer.Backward(stepContext, new BackwardArgs
                    {
                        Inputs = inputs,
                        Outputs = [.. step.Outputs.Select(o => tape.Values[o])],
                        Saved = tape.Saved[s],
                        OutputGrads = outGrads,
                        InputGrads = inputGrads,
                        InputGradsUnset = unset,
                        ParamGrads = ParamGrads(layer, gradients, tape.Context.Frozen),
                    });
                    // A fused layer reports its parts' times itself.
                    if (layer is not FusedLayer) tape.Context.Profiler?.Record(layer, "backward", System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
                }
                // This step's output gradients are spent: give back those no view still shares.
                foreach (var o in step.Outputs)
                {
                    var g = grads[o];
                    grads[o] = null;
                    if (g is not null && owned.Contains(g.Data) && !IsShared(grads, g.Data))
                    {
                        owned.Remove(g.Data);
                        pool.Return(g.Data);
                    }
                }
            }

            var result = new Tensor?[plan.InputSlots.Length];
            for (int i = 0; i < result.Length; i++)
            {
                if (inputsNeedGrad is null || !inputsNeedGrad[i]) continue;
                int slot = plan.InputSlots[i];
                var g = grads[slot];
                if (g is null)
                {
                    g = pool.RentTensor(tape.Values[slot].Shape);
                    g.Data.AsSpan().Clear();
                }
                else
                {
                    owned.Remove(g.Data);
                    grads[slot] = null;
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

    /// <summary>
    /// The buffers a call of <paramref name="layer"/> adds its weight gradients into, in the order of
    /// its weights: those of each layer whose weights it has (<see cref="FusedLayer.WeightOwners"/>), kept by that layer's id.
    /// </summary>
    private static IReadOnlyList<Tensor?> ParamGrads(Layer layer, Gradients gradients, bool frozen)
    {
        var owners = FusedLayer.WeightOwners(layer);
        if (owners.Count == 0) return [];
        if (owners.Count == 1) return gradients.For(owners[0], frozen);
        return [.. owners.SelectMany(o => gradients.For(o, frozen))];
    }

    private static bool IsShared(Tensor?[] grads, float[] data)
    {
        foreach (var g in grads)
            if (g is not null && ReferenceEquals(g.Data, data)) return true;
        return false;
    }

    /// <summary>Whether a call of <paramref name="layer"/> has weights to train in this context.</summary>
    internal static bool HasTrainable(Layer layer, bool frozen) => !frozen && layer.Weights.Any(w => w.Trainable);
}
