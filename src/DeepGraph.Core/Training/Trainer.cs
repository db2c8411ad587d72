using System.Collections.Immutable;

namespace DeepGraph.Core;

/// <summary>
/// What a model trains with (Keras's <c>compile</c>): the optimizer, one loss per output with its
/// weight in the total, and the metrics of each output.
/// </summary>
/// <param name="Optimizer">The update rule.</param>
/// <param name="Losses">One loss per model output, in output order.</param>
/// <param name="LossWeights">The weight of each output's loss in the total (Keras's <c>loss_weights</c>; 1 each by default).</param>
/// <param name="Metrics">The metrics of each output, in output order.</param>
public sealed record TrainingConfig(Optimizer Optimizer, EquatableArray<Loss> Losses, EquatableArray<double> LossWeights, EquatableArray<EquatableArray<Metric>> Metrics)
{
    /// <summary>A configuration with loss weights 1 and no metrics.</summary>
    public static TrainingConfig Of(Optimizer optimizer, params Loss[] losses) =>
        new(optimizer, EquatableArray.Of(losses), EquatableArray.Of(losses.Select(_ => 1.0)),
            EquatableArray.Of(losses.Select(_ => EquatableArray<Metric>.Empty)));
}

/// <summary>What one batch gave: the total loss, each output's (unweighted) loss, and each output's metric sums.</summary>
/// <param name="Loss">The weighted total of the output losses.</param>
/// <param name="OutputLosses">Each output's loss, in output order.</param>
/// <param name="Metrics">Each output's metrics in configuration order: the batch's state (<see cref="Metric.Accumulate"/>; for a mean, its weighted sum and count). An epoch's value is <see cref="Metric.Result(ReadOnlySpan{double})"/> of the element-wise sum of its batches' states.</param>
/// <param name="BatchSize">Samples in the batch.</param>
/// <param name="Updated">False when the loss or a gradient was not finite and the weights were left unchanged.</param>
public sealed record StepLogs(double Loss, IReadOnlyList<double> OutputLosses, IReadOnlyList<IReadOnlyList<double[]>> Metrics, int BatchSize, bool Updated);

/// <summary>
/// Training as pure functions: a step maps (model, optimizer state, batch) to (model′, state′, logs).
/// With <c>donate</c> set, the caller gives up the old model and state, and their weight and slot
/// buffers are updated in place instead of copied (what <c>Fit</c> does on its private copy).
/// </summary>
public static class Trainer
{
    /// <summary>One step of training on the batch (<paramref name="x"/>, <paramref name="y"/>): forward, losses, backward, optimizer update.</summary>
    /// <param name="model">The model before the step.</param>
    /// <param name="state">The optimizer's state before the step.</param>
    /// <param name="x">One tensor per model input.</param>
    /// <param name="y">One target tensor per model output.</param>
    /// <param name="config">Optimizer, losses and metrics.</param>
    /// <param name="context">GEMM, pool and the step's seed (Dropout masks).</param>
    /// <param name="donate">Update the weights and slots of <paramref name="model"/> and <paramref name="state"/> in place.</param>
    /// <param name="sampleWeights">Per output, the samples' weights (Keras's <c>sample_weight</c>: one per sample, or one per position of the loss), or null for weights of 1; see <see cref="Loss.Compute(Tensor, Tensor, Span{float}, float, ReadOnlySpan{float})"/> for the reduction.</param>
    /// <param name="donateState">Update the slots of <paramref name="state"/> in place even when the weights are not donated, for a
    /// caller that keeps only the returned state (the facade's <c>TrainOnBatch</c>: the weights it publishes stay values).</param>
    /// <returns>The model and state after the step; when the loss or a gradient is not finite, the inputs unchanged and <see cref="StepLogs.Updated"/> false.</returns>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or the losses.</exception>
    /// <exception cref="ArgumentException">A target invalid for its loss (a label out of range).</exception>
    public static (Model Model, OptimizerState State, StepLogs Logs) Step(Model model, OptimizerState state, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y,
        TrainingConfig config, ForwardContext context, bool donate = false, IReadOnlyList<Tensor?>? sampleWeights = null, bool donateState = false)
    {
        CheckTargets(model, x, y, config);
        (x, y) = (InputCheck.Conform(model, x), InputCheck.FloatTargets(y));
        using var tape = Backprop.Forward(model, x, context with { Training = true });
        var outputGrads = new Tensor[model.Outputs.Count];
        try
        {
            var logs = Losses(model, tape.Outputs, y, config, context.Pool, outputGrads, sampleWeights, tape.OutputMasks);
            if (!double.IsFinite(logs.Loss)) return (model, state, logs with { Updated = false });
            using var gradients = new Gradients(context.Pool);
            Backprop.Backward(tape, outputGrads, gradients);
            if (!gradients.AllFinite()) return (model, state, logs with { Updated = false });
            var (next, nextState) = Apply(model, state, gradients, tape.StateUpdates(), config.Optimizer, donate, donate || donateState);
            return (next, nextState, logs);
        }
        finally
        {
            foreach (var g in outputGrads)
                if (g is not null) context.Pool.Return(g.Data);
        }
    }

    /// <summary>The losses and metrics of the model on a batch, at inference (Keras's <c>test_on_batch</c>), with optional per-output sample weights.</summary>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or the losses.</exception>
    public static StepLogs Evaluate(Model model, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, TrainingConfig config, ForwardContext context,
        IReadOnlyList<Tensor?>? sampleWeights = null)
    {
        CheckTargets(model, x, y, config);
        y = InputCheck.FloatTargets(y);
        var outputs = Executor.Run(ExecutionPlan.Of(model), x, context with { Training = false }, out var masks);
        var grads = new Tensor[outputs.Length];
        try
        {
            return Losses(model, outputs, y, config, context.Pool, grads, sampleWeights, masks);
        }
        finally
        {
            foreach (var o in outputs) o.Dispose();
            foreach (var g in grads)
                if (g is not null) context.Pool.Return(g.Data);
        }
    }

    /// <summary>
    /// The gradient of the total loss with respect to every trainable weight at the current
    /// weights (what <c>tf.variableGrads</c> gives), and the loss logs. The caller disposes the gradients.
    /// </summary>
    public static (Gradients Gradients, StepLogs Logs) ComputeGradients(Model model, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, TrainingConfig config, ForwardContext context,
        IReadOnlyList<Tensor?>? sampleWeights = null)
    {
        CheckTargets(model, x, y, config);
        (x, y) = (InputCheck.Conform(model, x), InputCheck.FloatTargets(y));
        using var tape = Backprop.Forward(model, x, context with { Training = true });
        var outputGrads = new Tensor[model.Outputs.Count];
        try
        {
            var logs = Losses(model, tape.Outputs, y, config, context.Pool, outputGrads, sampleWeights, tape.OutputMasks);
            var gradients = new Gradients(context.Pool);
            Backprop.Backward(tape, outputGrads, gradients);
            return (gradients, logs);
        }
        finally
        {
            foreach (var g in outputGrads)
                if (g is not null) context.Pool.Return(g.Data);
        }
    }

    /// <summary>Checks the batch: inputs against the model, one target per output fitting its loss, one batch size for all.</summary>
    /// <exception cref="ShapeError">In words that name the output, the loss and the shapes.</exception>
    public static void CheckTargets(Model model, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, TrainingConfig config)
    {
        InputCheck.CheckInputs(model, x);
        y = InputCheck.FloatTargets(y);
        int outputs = model.Outputs.Count;
        if (config.Losses.Count != outputs)
            throw new ArgumentException($"Model \"{model.Name}\" has {outputs} output(s) but {config.Losses.Count} loss(es) were given; give one per output.");
        if (y.Count != outputs)
            throw new ShapeError(model.Name, $"Model \"{model.Name}\" has {outputs} output(s) ({string.Join(", ", OutputNames(model))}) but {y.Count} target tensor(s) were given.");
        int batch = x[0].Shape[0]!.Value;
        var shapes = model.OutputShapes(x.Select(t => t.Shape).ToArray());
        var names = OutputNames(model);
        for (int o = 0; o < outputs; o++)
        {
            ArgumentNullException.ThrowIfNull(y[o]);
            if (y[o].Shape[0] != batch)
                throw new ShapeError(names[o], $"Target for output \"{names[o]}\" has {y[o].Shape[0]} samples but the inputs have {batch}: shapes {y[o].Shape} and {x[0].Shape}.");
            config.Losses[o].CheckShapes(shapes[o], y[o].Shape, names[o]);
            config.Losses[o].CheckValues(y[o].Span, shapes[o]);
        }
    }

    /// <summary>
    /// The outputs' names, in output order (Keras's <c>output_names</c>): each output layer's name,
    /// made unique as Keras makes it — a name already taken by an earlier output gets <c>_1</c>,
    /// <c>_2</c> … (the first suffix not taken), so a layer whose two calls are both outputs gives
    /// <c>score</c> and <c>score_1</c>. Logs, History and the keys of Compile's dictionaries use them.
    /// </summary>
    public static IReadOnlyList<string> OutputNames(Model model)
    {
        var taken = new HashSet<string>(StringComparer.Ordinal);
        var next = new Dictionary<string, int>(StringComparer.Ordinal);
        var names = new List<string>(model.Outputs.Count);
        foreach (var t in model.Outputs)
        {
            string layer = model.Graph.LayerOf(t).Name, proposal = layer;
            while (taken.Contains(proposal))
            {
                int n = next.GetValueOrDefault(layer, 1);
                proposal = $"{layer}_{n}";
                next[layer] = n + 1;
            }
            taken.Add(proposal);
            names.Add(proposal);
        }
        return names;
    }

    /// <summary>The outputs' losses and metrics, weighted by the sample weights and by the outputs' masks (<see cref="LossMasks"/>).</summary>
    private static StepLogs Losses(Model model, IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> y, TrainingConfig config, TensorPool pool, Tensor[] grads,
        IReadOnlyList<Tensor?>? sampleWeights, IReadOnlyList<Tensor?> masks)
    {
        if (sampleWeights is not null && sampleWeights.Count != outputs.Count)
            throw new ArgumentException($"Model \"{model.Name}\" has {outputs.Count} output(s) but {sampleWeights.Count} sample weight arrays were given; give one per output (null for none).", nameof(sampleWeights));
        double total = 0;
        var perOutput = new double[outputs.Count];
        var metrics = new IReadOnlyList<double[]>[outputs.Count];
        var names = sampleWeights is null ? null : OutputNames(model);
        for (int o = 0; o < outputs.Count; o++)
        {
            var p = outputs[o];
            var weights = sampleWeights?[o] is { } sw ? RowWeights(sw, p, names![o]) : default;
            grads[o] = pool.RentTensor(p.Shape);
            var (lossWeights, metricWeights) = LossMasks.Apply(o < masks.Count ? masks[o] : null, p, weights);
            perOutput[o] = config.Losses[o].Compute(p, y[o], grads[o].Data, (float)config.LossWeights[o], lossWeights);
            total += config.LossWeights[o] * perOutput[o];
            var states = new double[config.Metrics[o].Count][];
            for (int m = 0; m < states.Length; m++)
            {
                states[m] = new double[config.Metrics[o][m].StateSize];
                config.Metrics[o][m].Accumulate(p, y[o], metricWeights, states[m]);
            }
            metrics[o] = states;
        }
        return new StepLogs(total, perOutput, metrics, outputs[0].Shape[0]!.Value, Updated: true);
    }

    /// <summary>
    /// One weight per position of <paramref name="prediction"/> (its rows of the last axis) from
    /// <paramref name="sampleWeight"/>: one weight per sample, repeated over the sample's positions, or
    /// one per position (Keras's temporal weights, shape [batch, steps] for an output [batch, steps, units]).
    /// </summary>
    /// <exception cref="ShapeError">The weights have neither shape.</exception>
    public static float[] RowWeights(Tensor sampleWeight, Tensor prediction, string output)
    {
        ArgumentNullException.ThrowIfNull(sampleWeight);
        ArgumentNullException.ThrowIfNull(prediction);
        int batch = prediction.Shape[0]!.Value, rows = prediction.Length / prediction.Shape[-1]!.Value;
        var w = sampleWeight.ToArray();
        if (w.Length == rows) return w;
        if (w.Length == batch && (sampleWeight.Shape.Rank == 1 || sampleWeight.Shape[-1] == 1))
        {
            int per = batch == 0 ? 0 : rows / batch;
            var expanded = new float[rows];
            for (int i = 0; i < rows; i++) expanded[i] = w[i / per];
            return expanded;
        }
        throw new ShapeError(output, $"Sample weights for output \"{output}\" have shape {sampleWeight.Shape}, but the output has shape {prediction.Shape}: give one weight per sample (shape ({batch},)) or one per position of the loss ({rows} values: the output's shape without its last axis).");
    }

    /// <summary>
    /// The samples <paramref name="indices"/> of <paramref name="source"/> (rows along the batch
    /// axis) as one tensor over a buffer of <paramref name="pool"/>, which disposing it gives back.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the batch.</exception>
    public static Tensor Gather(Tensor source, ReadOnlySpan<int> indices, TensorPool pool)
    {
        int n = source.Shape[0]!.Value, row = n == 0 ? 0 : source.Length / n;
        var data = pool.Rent(indices.Length * row);
        var from = source.Data.AsSpan();
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)n) throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"Sample index outside the batch of {n}.");
            from.Slice(indices[i] * row, row).CopyTo(data.AsSpan(i * row, row));
        }
        return Tensor.Pooled(data, source.Shape.WithBatch(indices.Length), pool, source.DType);
    }

    /// <summary>A copy of <paramref name="model"/> whose weights are new buffers, for a trainer that will update them in place.</summary>
    public static Model CopyWeights(Model model) =>
        Replace(model, AllLayers(model).Values.OfType<WeightedLayer>().Where(l => l.IsBuilt)
            .ToDictionary(l => l.Id, l => (Layer)(l with { Params = EquatableArray.Of(l.Params.Select(p => Tensor.Own(p.ToArray(), p.Shape))) })));

    /// <summary>Every layer of <paramref name="model"/> by id, nested models' layers included.</summary>
    public static IReadOnlyDictionary<LayerId, Layer> AllLayers(Model model)
    {
        var all = new Dictionary<LayerId, Layer>();
        void Walk(Model m)
        {
            foreach (var layer in m.Graph.Layers.Values)
            {
                all.TryAdd(layer.Id, layer);
                if (layer is Model inner) Walk(inner);
            }
        }
        Walk(model);
        return all;
    }

    /// <summary><paramref name="model"/> with the records of <paramref name="updated"/> in place of the layers with their ids, at any depth.</summary>
    public static Model Replace(Model model, IReadOnlyDictionary<LayerId, Layer> updated)
    {
        var changed = new List<Layer>();
        foreach (var layer in model.Graph.Layers.Values)
        {
            if (layer is Model inner)
            {
                var next = Replace(inner, updated);
                if (!ReferenceEquals(next, inner)) changed.Add(next);
            }
            else if (updated.TryGetValue(layer.Id, out var record))
            {
                changed.Add(record);
            }
        }
        return changed.Count == 0 ? model : model.WithLayers(changed);
    }

    private static (Model, OptimizerState) Apply(Model model, OptimizerState state, Gradients gradients, IReadOnlyDictionary<LayerId, Layer> stateUpdates,
        Optimizer optimizer, bool donate, bool donateSlots)
    {
        var layers = AllLayers(model);
        // A schedule's rate for this update: Keras evaluates it at the iterations done before it.
        if (optimizer.Schedule is not null) optimizer = optimizer with { LearningRate = optimizer.LearningRateAt(state.Iterations) };
        var updated = new Dictionary<LayerId, Layer>(stateUpdates);
        var slots = state.Slots.ToBuilder();
        long step = state.Iterations + 1;
        foreach (var id in gradients.Layers)
        {
            var grads = gradients.Of(id)!;
            if (grads.All(g => g is null)) continue;
            var record = (WeightedLayer)(updated.GetValueOrDefault(id) ?? layers[id]);
            var values = record.Params.ToArray();
            for (int i = 0; i < grads.Count; i++)
            {
                if (grads[i] is not { } g) continue;
                var key = new WeightKey(id, i);
                bool had = slots.TryGetValue(key, out var existing);
                var s = had ? existing! : NewSlots(optimizer, g.Length);
                // Without donation the update reads the old weight and slots and writes new buffers in the same pass
                // (slots made for this step are the step's own and are updated in place).
                var sNew = donateSlots || !had ? s : UninitializedSlots(s);
                slots[key] = sNew;
                var w = donate ? values[i] : Tensor.Own(GC.AllocateUninitializedArray<float>(values[i].Length), values[i].Shape);
                optimizer.Update(values[i].Span, g.Span, s, w.Data, sNew, step);
                w.Changed();
                values[i] = w;
            }
            updated[id] = record with { Params = EquatableArray.Of(values) };
        }
        return (Replace(model, updated), new OptimizerState(step, slots.ToImmutable()));
    }

    private static float[][] UninitializedSlots(float[][] like)
    {
        var slots = new float[like.Length][];
        for (int k = 0; k < slots.Length; k++) slots[k] = GC.AllocateUninitializedArray<float>(like[k].Length);
        return slots;
    }

    private static float[][] NewSlots(Optimizer optimizer, int length)
    {
        var slots = new float[optimizer.SlotCount][];
        for (int k = 0; k < slots.Length; k++)
        {
            slots[k] = new float[length];
            if (optimizer.SlotInitialValue != 0) Array.Fill(slots[k], optimizer.SlotInitialValue);
        }
        return slots;
    }
}
