namespace DeepGraph.Core;

/// <summary>A trainable weight of a model, as Keras lists it in <c>model.trainable_variables</c>.</summary>
/// <param name="Key">The weight: its layer and its index among the layer's weights (what <see cref="OptimizerState"/> keys slots by).</param>
/// <param name="Layer">The layer record that holds it.</param>
/// <param name="Role">The weight's role (<c>kernel</c>, <c>bias</c>, <c>forward_lstm/kernel</c> …).</param>
/// <param name="Shape">The weight's shape.</param>
public sealed record TrainableWeight(WeightKey Key, Layer Layer, string Role, int[] Shape);

/// <summary>
/// An optimizer's state in the form files hold it: the steps taken, the learning rate, and for each trainable weight (in
/// <see cref="OptimizerVariables.TrainableOrder"/>) the optimizer's slots in <see cref="Optimizer"/>'s order (Adam: first
/// moment, second moment; SGD: momentum; RMSprop: mean square, then momentum; Adagrad: accumulator).
/// </summary>
/// <param name="Iterations">Updates done (Keras's <c>optimizer.iterations</c>), 0 or more.</param>
/// <param name="LearningRate">The learning rate the optimizer holds (Keras keeps it as a variable when there is no schedule).</param>
/// <param name="Slots">Per trainable weight, its <see cref="Optimizer.SlotCount"/> slots, each of the weight's length.</param>
public sealed record OptimizerSnapshot(long Iterations, float LearningRate, IReadOnlyList<IReadOnlyList<float[]>> Slots);

/// <summary>
/// Keras's view of an optimizer's state, so that it can be saved and read back: the order of a model's trainable weights
/// (Keras 3's <c>model.trainable_variables</c>: the model's layers in order, nested models' layers in their place, each
/// layer's trainable weights in declaration order; a frozen layer or model has none), and conversions between
/// <see cref="OptimizerState"/> and <see cref="OptimizerSnapshot"/>.
/// </summary>
public static class OptimizerVariables
{
    /// <summary>The model's trainable weights in Keras's order (a layer used twice counts once, where it is first met).</summary>
    public static IReadOnlyList<TrainableWeight> TrainableOrder(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = new List<TrainableWeight>();
        var seen = new HashSet<LayerId>();
        void Walk(Model m, bool trainable)
        {
            foreach (var id in m.LayerOrder)
            {
                var layer = m.Graph.Layers[id];
                if (!seen.Add(layer.Id)) continue;
                if (layer is Model inner)
                {
                    Walk(inner, trainable && inner.Trainable);
                    continue;
                }
                if (layer is not WeightedLayer || !trainable) continue;
                var weights = layer.Weights;
                for (int k = 0; k < weights.Count; k++)
                    if (weights[k].Trainable)
                        result.Add(new TrainableWeight(new WeightKey(layer.Id, k), layer, weights[k].Role,
                            [.. weights[k].Value.Shape.Select(d => d ?? 0)]));
            }
        }
        Walk(model, model.Trainable);
        return result;
    }

    /// <summary>
    /// The names Keras gives <paramref name="optimizer"/>'s slots (Keras 3 and tf.keras 2.11+): Adam <c>momentum</c>,
    /// <c>velocity</c>; SGD with momentum <c>momentum</c>; RMSprop <c>velocity</c> and, with momentum, <c>momentum</c>;
    /// Adagrad <c>accumulator</c> — in the order of <see cref="Optimizer.SlotCount"/>'s slots.
    /// </summary>
    public static IReadOnlyList<string> SlotNames(Optimizer optimizer) => optimizer switch
    {
        Adam => ["momentum", "velocity"],
        Sgd s => s.SlotCount == 0 ? [] : ["momentum"],
        RmsProp r => r.SlotCount == 1 ? ["velocity"] : ["velocity", "momentum"],
        Adagrad => ["accumulator"],
        _ => throw new ArgumentException($"Optimizer {optimizer?.Name} has no Keras slot names.", nameof(optimizer)),
    };

    /// <summary>
    /// Whether Keras creates <paramref name="optimizer"/>'s slots weight by weight (Adam: each weight's momentum then its
    /// velocity) rather than slot by slot (RMSprop: every velocity, then every momentum): Keras 3's variable order.
    /// </summary>
    public static bool Interleaved(Optimizer optimizer) => optimizer is Adam;

    /// <summary>
    /// <paramref name="state"/> as a snapshot over <paramref name="model"/>'s trainable weights: a weight never updated
    /// yet has slots at the optimizer's initial value, as Keras's are when it builds the optimizer. The arrays are copies.
    /// </summary>
    public static OptimizerSnapshot Snapshot(Optimizer optimizer, OptimizerState state, Model model)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var order = TrainableOrder(model);
        var slots = new IReadOnlyList<float[]>[order.Count];
        for (int i = 0; i < order.Count; i++)
        {
            int length = order[i].Shape.Aggregate(1, (a, d) => a * d);
            slots[i] = state.Slots.TryGetValue(order[i].Key, out var s) && s.Length == optimizer.SlotCount && s.All(a => a.Length == length)
                ? [.. s.Select(a => (float[])a.Clone())]
                : [.. Enumerable.Range(0, optimizer.SlotCount).Select(_ => Initial(optimizer, length))];
        }
        return new OptimizerSnapshot(state.Iterations, optimizer.LearningRateAt(state.Iterations), slots);
    }

    private static float[] Initial(Optimizer optimizer, int length)
    {
        var a = new float[length];
        if (optimizer.SlotInitialValue != 0) Array.Fill(a, optimizer.SlotInitialValue);
        return a;
    }

    /// <summary>The largest iteration count restored: 2^53, the last a double counts exactly (no training run comes near it).</summary>
    private const long MaxIterations = 1L << 53;

    /// <summary>
    /// The optimizer state <paramref name="snapshot"/> describes over <paramref name="model"/>'s trainable weights, or
    /// the reason it cannot be one: another number of weights or slots, a slot of another length, an iteration count
    /// below 0 or above 2^53, a value that is not finite, or a negative second moment, mean square or accumulator (whose root the update takes).
    /// </summary>
    public static (OptimizerState? State, string? Why) Restore(Optimizer optimizer, Model model, OptimizerSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(snapshot);
        var order = TrainableOrder(model);
        if (snapshot.Iterations < 0) return (null, $"the iteration count is {snapshot.Iterations}");
        // The next steps count on from it (step = iterations + 1, β^step in double precision): a count past 2^53 is no longer
        // exact there, and at long.MaxValue the next count overflows and the bias corrections turn the weights NaN.
        if (snapshot.Iterations > MaxIterations) return (null, $"the iteration count is {snapshot.Iterations}, more than 2^53");
        if (snapshot.Slots.Count != order.Count)
            return (null, $"it holds slots for {snapshot.Slots.Count} weights, but the model has {order.Count} trainable weights");
        // Slots whose root the update takes: Adam's second moment, RMSprop's mean square, Adagrad's accumulator.
        int? rooted = optimizer switch { Adam => 1, RmsProp or Adagrad => 0, _ => null };
        var builder = System.Collections.Immutable.ImmutableDictionary.CreateBuilder<WeightKey, float[][]>();
        for (int i = 0; i < order.Count; i++)
        {
            var slots = snapshot.Slots[i];
            int length = order[i].Shape.Aggregate(1, (a, d) => a * d);
            string weight = $"{order[i].Layer.Name}/{order[i].Role}";
            if (slots.Count != optimizer.SlotCount)
                return (null, $"weight {weight} has {slots.Count} slots, but {optimizer.Name} keeps {optimizer.SlotCount}");
            for (int k = 0; k < slots.Count; k++)
            {
                if (slots[k].Length != length)
                    return (null, $"slot {k} of weight {weight} holds {slots[k].Length} values, but the weight has {length}");
                foreach (var v in slots[k])
                    if (!float.IsFinite(v) || (k == rooted && v < 0))
                        return (null, $"slot {k} of weight {weight} holds {v}");
            }
            builder[order[i].Key] = [.. slots.Select(a => (float[])a.Clone())];
        }
        return (new OptimizerState(snapshot.Iterations, builder.ToImmutable()), null);
    }
}
