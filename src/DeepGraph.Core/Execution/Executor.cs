using System.Runtime.InteropServices;

namespace DeepGraph.Core;

/// <summary>
/// Runs a model forward on real tensors: walks the model's <see cref="ExecutionPlan"/>, gives each
/// step its inputs and preallocated outputs, and returns each intermediate buffer to the pool once
/// its last reader has run.
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
        ArgumentNullException.ThrowIfNull(model);
        return Run(ExecutionPlan.Of(model), inputs, context);
    }

    /// <summary>
    /// <see cref="Run(Model, IReadOnlyList{Tensor}, ForwardContext)"/> on a given plan of the model
    /// (<see cref="ExecutionPlan.Compile"/>, e.g. without fusion rules). A step whose context is in
    /// training mode runs its layer's <see cref="Layer.ForwardTrain"/> and gives back what it saved.
    /// </summary>
    /// <exception cref="ShapeError">Wrong number of inputs, or an input whose shape the model cannot take.</exception>
    public static Tensor[] Run(ExecutionPlan plan, IReadOnlyList<Tensor> inputs, ForwardContext context) => Run(plan, inputs, context, out _);

    /// <summary>
    /// <see cref="Run(ExecutionPlan, IReadOnlyList{Tensor}, ForwardContext)"/> that also gives the masks the
    /// outputs carry (null where none; see <see cref="Layer.ComputeMask"/>). The inputs' masks are
    /// <paramref name="context"/>'s <see cref="ForwardContext.InputMasks"/> (a nested model's call passes its own).
    /// </summary>
    /// <exception cref="ShapeError">Wrong number of inputs, or an input whose shape the model cannot take.</exception>
    public static Tensor[] Run(ExecutionPlan plan, IReadOnlyList<Tensor> inputs, ForwardContext context, out Tensor?[] outputMasks)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(context);
        var model = plan.Model;
        inputs = InputCheck.Conform(model, inputs);
        var values = new Tensor[plan.SlotCount];
        var masks = new Tensor?[plan.SlotCount];
        var reads = plan.Reads;
        for (int i = 0; i < inputs.Count; i++) masks[plan.InputSlots[i]] = context.MaskOf(i);
        context = context.InputMasks.Count == 0 ? context : context with { InputMasks = [] };

        // How many pending reads each buffer has: the reads of every slot over it (views share buffers).
        var pending = new Dictionary<float[], int>(ReferenceEqualityComparer.Instance);
        var pooled = new HashSet<float[]>(ReferenceEqualityComparer.Instance);

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

        for (int i = 0; i < inputs.Count; i++)
        {
            values[plan.InputSlots[i]] = inputs[i];
            Hold(inputs[i], reads[plan.InputSlots[i]]);
        }
        try
        {
            foreach (var step in plan.Steps)
            {
                var layer = step.Layer;
                var stepContext = Masking.Into(step.ContextIn(context), step, masks);
                var args = new Tensor[step.Inputs.Length];
                for (int k = 0; k < args.Length; k++) args[k] = values[step.Inputs[k]];
                var shapes = layer.OutputShapes(Array.ConvertAll(args, a => a.Shape));
                // The tensors the layer computes on, each in its input's dtype (args stay the buffers held).
                var callArgs = InputCheck.ForLayer(layer, args);
                context.CheckOutputs(layer, shapes);
                Tensor[] outs;
                if (layer.ForwardIsView(stepContext))
                {
                    // A view keeps its input's dtype; a layer that says otherwise (a linear Activation on int32) gets a converted copy.
                    outs = [args[0].View(shapes[0])];
                    if (outs[0].DType != plan.SlotDTypes[step.Outputs[0]]) outs = [DTypeConversion.Convert(outs[0], plan.SlotDTypes[step.Outputs[0]], () => $"layer \"{layer.Name}\" ({layer.ClassName})")];
                }
                else
                {
                    outs = new Tensor[shapes.Count];
                    for (int k = 0; k < outs.Length; k++)
                    {
                        outs[k] = context.Pool.RentTensor(shapes[k], plan.SlotDTypes[step.Outputs[k]]);
                        pooled.Add(outs[k].Data);
                    }
                    // Outputs without values (a batch of 0 samples) need no computing, and kernels are never called with empty sizes.
                    if (Array.Exists(outs, o => o.Length > 0))
                    {
                        if (step.Inner is { } inner)
                        {
                            // A nested model runs its own plan here (as Model.Forward does), so that masks go in and come out.
                            var innerResults = Run(inner, callArgs, stepContext, out var innerMasks);
                            for (int k = 0; k < innerResults.Length; k++)
                            {
                                innerResults[k].Data.AsSpan(0, outs[k].Length).CopyTo(outs[k].Data);
                                innerResults[k].Dispose();
                                masks[step.Outputs[k]] = innerMasks[k];
                            }
                        }
                        else if (stepContext.Training)
                            foreach (var saved in layer.ForwardTrain(stepContext, callArgs, outs)) context.Pool.Return(saved.Data);
                        else
                            layer.Forward(stepContext, callArgs, outs);
                    }
                }
                if (step.Inner is null) Masking.Out(layer, stepContext, callArgs, outs, step, masks);
                for (int k = 0; k < outs.Length; k++)
                {
                    values[step.Outputs[k]] = outs[k];
                    Hold(outs[k], reads[step.Outputs[k]]);
                }
                foreach (var o in outs)
                    if (pending[o.Data] == 0 && pooled.Remove(o.Data)) context.Pool.Return(o.Data); // an output no one reads
                foreach (var a in args) Release(a);
            }

            outputMasks = [.. plan.OutputSlots.Select(s => masks[s])];
            var results = new Tensor[plan.OutputSlots.Length];
            for (int i = 0; i < results.Length; i++)
            {
                var value = values[plan.OutputSlots[i]];
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
    /// <see cref="Run(Model, IReadOnlyList{Tensor}, ForwardContext)"/> over slices of at most <paramref name="batchSize"/> samples, concatenated
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
