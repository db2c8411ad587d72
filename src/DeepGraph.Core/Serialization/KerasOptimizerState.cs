using System.Text.RegularExpressions;
using DeepGraph.Core;
using PureHDF;
using PureHDF.VOL.Native;

namespace DeepGraph.Serialization;

/// <summary>One dataset of a file's optimizer state: its path in the HDF5 file, its dimensions and whether it holds integers. Its data is not read.</summary>
/// <param name="Name">The variable's name: its index in Keras 3's <c>optimizer/vars</c>, or its entry of a legacy <c>.h5</c>'s <c>weight_names</c>.</param>
/// <param name="Path">The dataset's path from the file's root.</param>
/// <param name="Dims">Its dimensions (none for a scalar).</param>
/// <param name="Integer">True for integers (Keras's iteration count), false for floats.</param>
public sealed record SavedOptimizerVariable(string Name, string Path, ulong[] Dims, bool Integer);

/// <summary>
/// What a Keras file holds of an optimizer's state, described but not read: a Keras 3 <c>.keras</c> file's
/// <c>optimizer/vars/0…N−1</c> or a legacy <c>.h5</c>'s <c>optimizer_weights</c> (datasets listed by its
/// <c>weight_names</c>). <see cref="KerasOptimizerState.Read"/> reads the data only after the variables are checked
/// against the optimizer the model is compiled with and the model's trainable weights.
/// </summary>
public sealed class SavedOptimizerState
{
    private readonly Func<NativeFile> open;

    internal SavedOptimizerState(string format, IReadOnlyList<SavedOptimizerVariable> variables, string? problem, Func<NativeFile> open)
    {
        Format = format;
        Variables = variables;
        Problem = problem;
        this.open = open;
    }

    /// <summary><c>keras</c> (Keras 3's layout) or <c>h5</c> (the legacy layout).</summary>
    public string Format { get; }

    /// <summary>The variables, in the file's order.</summary>
    public IReadOnlyList<SavedOptimizerVariable> Variables { get; }

    /// <summary>Why the state cannot be read at all (its group is not laid out as Keras lays it out), or null.</summary>
    public string? Problem { get; }

    /// <summary>Reads the data of the variables <paramref name="which"/> (integers as <see cref="long"/>, floats as <see cref="float"/>[]).</summary>
    internal object[] ReadData(IReadOnlyList<int> which)
    {
        using var file = open();
        var result = new object[which.Count];
        for (int i = 0; i < which.Count; i++)
        {
            var v = Variables[which[i]];
            var dataset = file.Dataset(v.Path);
            if (v.Integer)
            {
                result[i] = dataset.Type.Size == 8 ? dataset.Read<long>() : dataset.Read<int>();
            }
            else if (dataset.Type.Size == 8)
            {
                var d = new double[Length(v.Dims)];
                dataset.Read<double[]>(d);
                result[i] = Array.ConvertAll(d, x => (float)x);
            }
            else
            {
                var f = new float[Length(v.Dims)];
                dataset.Read<float[]>(f);
                result[i] = f;
            }
        }
        return result;
    }

    /// <summary>The number of values of <paramref name="dims"/>, in checked arithmetic (the plan has matched them to a weight's shape first).</summary>
    private static int Length(ulong[] dims)
    {
        ulong count = 1;
        foreach (var d in dims) count = checked(count * d);
        return checked((int)count);
    }

    /// <summary>The variables of the group at <paramref name="groupPath"/>, in <paramref name="names"/>' order, each checked to be an integer or float dataset inside the file.</summary>
    internal static SavedOptimizerState Describe(string format, NativeFile file, string groupPath, IReadOnlyList<string> names, Func<NativeFile> open)
    {
        var variables = new List<SavedOptimizerVariable>();
        foreach (var name in names)
        {
            var path = groupPath + "/" + name;
            IH5Group group = file;
            IH5Object? found = null;
            var parts = path.Split('/');
            for (int i = 0; i < parts.Length; i++)
            {
                if (parts[i] is "" or "." or ".." || parts[i].Contains('\0') || !group.LinkExists(parts[i]))
                    return new SavedOptimizerState(format, [], $"the file names optimizer variable \"{name}\" but holds no dataset at \"{path}\"", open);
                var child = group.Get(parts[i]);
                KerasH5.CheckInFile(child, group, $"\"{path}\"");
                if (i == parts.Length - 1) found = child;
                else if (child is IH5Group g) group = g;
                else return new SavedOptimizerState(format, [], $"\"{string.Join('/', parts[..(i + 1)])}\" is not a group", open);
            }
            if (found is not IH5Dataset dataset)
                return new SavedOptimizerState(format, [], $"\"{path}\" is not a dataset", open);
            var type = dataset.Type;
            bool integer = type.Class == H5DataTypeClass.FixedPoint && type.Size is 4 or 8;
            if (!integer && !(type.Class == H5DataTypeClass.FloatingPoint && type.Size is 4 or 8))
                return new SavedOptimizerState(format, [], $"optimizer variable \"{name}\" holds {type.Class} values of {type.Size} bytes", open);
            var space = dataset.Space;
            ulong[] dims = space.Type switch
            {
                H5DataspaceType.Scalar => [],
                H5DataspaceType.Simple => space.Dimensions,
                _ => [ulong.MaxValue],
            };
            if (dims.Contains(ulong.MaxValue))
                return new SavedOptimizerState(format, [], $"optimizer variable \"{name}\" has no data", open);
            // Its data is read only if its shape is a weight's, but the reader allocates by the storage the file declares.
            if (dataset.Layout.Class == H5DataLayoutClass.VirtualStorage)
                return new SavedOptimizerState(format, [], $"optimizer variable \"{name}\": {H5Weights.VirtualProblem}", open);
            double count = dims.Aggregate(1.0, (a, d) => a * d);
            if (H5Weights.ChunkProblem(dataset, count > Array.MaxLength ? Array.MaxLength : (long)count) is { } chunks)
                return new SavedOptimizerState(format, [], $"optimizer variable \"{name}\": {chunks}", open);
            variables.Add(new SavedOptimizerVariable(name, path, dims, integer));
        }
        return new SavedOptimizerState(format, variables, null, open);
    }
}

/// <summary>
/// An optimizer's state in Keras's files, both ways. Keras 3 (<c>.keras</c>) keeps <c>optimizer.variables</c> in
/// <c>model.weights.h5</c> at <c>optimizer/vars/0…N−1</c>: the iteration count (an integer scalar), the learning rate (a
/// float scalar; absent with a schedule), then the slots of the trainable weights (in <c>model.trainable_variables</c>
/// order) — weight by weight for Adam (each weight's momentum, then its velocity), slot by slot for the others (RMSprop:
/// every velocity, then every momentum). tf.keras 2.0–2.10 (<c>.h5</c>) keeps the OptimizerV2 weights in
/// <c>optimizer_weights</c>, named <c>[training/]Adam/iter:0</c> and <c>[training/]Adam/dense/kernel/m:0</c> (slot by
/// slot: every <c>m</c>, then every <c>v</c>); Keras 2.0–2.2 named them <c>Variable:0</c>, <c>Variable_1:0</c> … by
/// position (an optional iteration count, then slot by slot).
/// </summary>
public static class KerasOptimizerState
{
    /// <summary>The OptimizerV2 (tf.keras 2.0–2.10) names of the optimizer's slots, in <see cref="Optimizer"/>'s slot order.</summary>
    private static IReadOnlyList<string> V2SlotNames(Optimizer optimizer) => optimizer switch
    {
        Adam => ["m", "v"],
        Sgd s => s.SlotCount == 0 ? [] : ["momentum"],
        RmsProp r => r.SlotCount == 1 ? ["rms"] : ["rms", "momentum"],
        Adagrad => ["accumulator"],
        _ => [],
    };

    /// <summary>A variable Keras 3 keeps: its role, and for a slot the trainable weight's index and the slot's.</summary>
    private readonly record struct Entry(string Name, int[] Shape, bool Integer, int Weight, int Slot);

    /// <summary>Keras 3's <c>optimizer.variables</c> of <paramref name="optimizer"/> over <paramref name="order"/>: -1/-1 the iteration count, -1/-2 the learning rate.</summary>
    private static List<Entry> Keras3Layout(Optimizer optimizer, IReadOnlyList<TrainableWeight> order)
    {
        var names = OptimizerVariables.SlotNames(optimizer);
        var layout = new List<Entry> { new("iteration", [], true, -1, -1) };
        if (optimizer.Schedule is null) layout.Add(new("learning_rate", [], false, -1, -2));
        if (OptimizerVariables.Interleaved(optimizer))
        {
            for (int i = 0; i < order.Count; i++)
                for (int k = 0; k < names.Count; k++) layout.Add(new(names[k], order[i].Shape, false, i, k));
        }
        else
        {
            for (int k = 0; k < names.Count; k++)
                for (int i = 0; i < order.Count; i++) layout.Add(new(names[k], order[i].Shape, false, i, k));
        }
        return layout;
    }

    /// <summary>The datasets of <c>optimizer/vars</c> as Keras 3 writes them: its name, shape and values (a <see cref="long"/> for the iteration count, else <see cref="float"/>[]).</summary>
    internal static IReadOnlyList<(string Name, int[] Shape, object Values)> Keras3Variables(Optimizer optimizer, Model model, OptimizerSnapshot snapshot)
    {
        var layout = Keras3Layout(optimizer, OptimizerVariables.TrainableOrder(model));
        return [.. layout.Select((e, i) => (i.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Shape,
            e.Slot == -1 ? snapshot.Iterations : e.Slot == -2 ? new[] { snapshot.LearningRate } : (object)snapshot.Slots[e.Weight][e.Slot]))];
    }

    /// <summary>The <c>optimizer_weights</c> of a legacy <c>.h5</c>, OptimizerV2's names and order: <c>Adam/iter:0</c>, then slot by slot <c>Adam/dense/kernel/m:0</c> ….</summary>
    /// <param name="optimizer">The optimizer.</param>
    /// <param name="model">The model.</param>
    /// <param name="snapshot">The state.</param>
    /// <param name="weightName">A trainable weight's name in <c>model_weights</c>, without <c>:0</c>.</param>
    internal static IReadOnlyList<(string Name, int[] Shape, object Values)> H5Variables(Optimizer optimizer, Model model, OptimizerSnapshot snapshot, Func<TrainableWeight, string> weightName)
    {
        var order = OptimizerVariables.TrainableOrder(model);
        var names = V2SlotNames(optimizer);
        var result = new List<(string, int[], object)> { ($"{optimizer.Name}/iter:0", [], snapshot.Iterations) };
        for (int k = 0; k < names.Count; k++)
            for (int i = 0; i < order.Count; i++)
                result.Add(($"{optimizer.Name}/{weightName(order[i])}/{names[k]}:0", order[i].Shape, snapshot.Slots[i][k]));
        return result;
    }

    /// <summary>
    /// The optimizer state <paramref name="saved"/> holds for <paramref name="optimizer"/> over <paramref name="model"/>'s
    /// trainable weights, or why it does not fit: another number of variables, a variable of another shape or type, a
    /// name of another optimizer or weight. Everything is checked before any data is read; the data read is then checked
    /// too (<see cref="OptimizerVariables.Restore"/>). The learning rate is the file's when it holds one, else the optimizer's.
    /// </summary>
    /// <param name="saved">The file's optimizer variables.</param>
    /// <param name="optimizer">The optimizer the loaded model is compiled with.</param>
    /// <param name="model">The loaded model.</param>
    /// <param name="registry">The layer classes (default <see cref="LayerRegistry.Default"/>): a legacy <c>.h5</c> names a recurrent
    /// wrapper's weights after its wrapped layer's cell.</param>
    public static (OptimizerSnapshot? Snapshot, string? Why) Read(SavedOptimizerState saved, Optimizer optimizer, Model model, LayerRegistry? registry = null)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(model);
        if (saved.Problem is { } problem) return (null, problem);
        var order = OptimizerVariables.TrainableOrder(model);
        // Per variable of the file: -1 the iteration count, -2 the learning rate, -3 skipped; else (weight, slot).
        var plan = saved.Format == "keras" ? PlanKeras3(saved, optimizer, order, out var why) : PlanH5(saved, optimizer, order, registry ?? LayerRegistry.Default, out why);
        if (plan is null) return (null, why);
        var which = Enumerable.Range(0, plan.Count).Where(i => plan[i].Slot != -3).ToList();
        object[] data;
        try
        {
            data = saved.ReadData(which);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not InsufficientMemoryException)
        {
            return (null, $"its data could not be read ({e.Message})");
        }
        long iterations = 0;
        float rate = optimizer.LearningRate;
        var slots = order.Select(_ => new float[optimizer.SlotCount][]).ToArray();
        for (int j = 0; j < which.Count; j++)
        {
            var (weight, slot) = plan[which[j]];
            switch (slot)
            {
                case -1:
                    // An integer; Keras 2's positional files may keep it as a float holding a whole number.
                    iterations = data[j] switch
                    {
                        long l => l,
                        int n => n,
                        float[] and [var f] when f >= 0 && f < 1e15f && f == MathF.Floor(f) => (long)f,
                        _ => -1,
                    };
                    break;
                case -2:
                    rate = ((float[])data[j])[0];
                    break;
                default:
                    if (slot < optimizer.SlotCount) slots[weight][slot] = (float[])data[j];
                    break;
            }
        }
        if (!float.IsFinite(rate) || rate < 0) return (null, $"its learning rate is {rate}");
        if (iterations < 0) return (null, "its iteration count is not a whole number, 0 or more");
        return (new OptimizerSnapshot(iterations, rate, [.. slots.Select(s => (IReadOnlyList<float[]>)s)]), null);
    }

    private static bool SameShape(ulong[] dims, int[] shape) => dims.Length == shape.Length && dims.Zip(shape).All(p => p.First == (ulong)p.Second);

    private static string Text(IEnumerable<ulong> dims) => "[" + string.Join(", ", dims) + "]";

    private static List<(int Weight, int Slot)>? PlanKeras3(SavedOptimizerState saved, Optimizer optimizer, IReadOnlyList<TrainableWeight> order, out string? why)
    {
        var layout = Keras3Layout(optimizer, order);
        why = null;
        if (saved.Variables.Count != layout.Count)
        {
            why = $"the file holds {saved.Variables.Count} optimizer variables, but {optimizer.Name} over this model's {order.Count} trainable weights keeps {layout.Count} " +
                $"(the iteration count{(optimizer.Schedule is null ? ", the learning rate" : "")} and {optimizer.SlotCount} slot(s) per weight)";
            return null;
        }
        for (int i = 0; i < layout.Count; i++)
        {
            var (v, e) = (saved.Variables[i], layout[i]);
            if (v.Integer != e.Integer || !SameShape(v.Dims, e.Shape))
            {
                why = $"optimizer variable {i} has shape {Text(v.Dims)} ({(v.Integer ? "integers" : "floats")}), but {optimizer.Name}'s variable {i} ({e.Name}" +
                    $"{(e.Weight >= 0 ? $" of {order[e.Weight].Layer.Name}/{order[e.Weight].Role}" : "")}) is {Text(e.Shape.Select(d => (ulong)d))} ({(e.Integer ? "an integer" : "floats")})";
                return null;
            }
        }
        return [.. layout.Select(e => e.Weight >= 0 ? (e.Weight, e.Slot) : (-1, e.Slot))];
    }

    private static readonly Regex Positional = new(@"^(training/[^/]+/)?Variable(_[0-9]+)?:0$", RegexOptions.CultureInvariant);

    private static List<(int Weight, int Slot)>? PlanH5(SavedOptimizerState saved, Optimizer optimizer, IReadOnlyList<TrainableWeight> order,
        LayerRegistry registry, out string? why)
    {
        why = null;
        var vars = saved.Variables;
        if (vars.Count > 0 && vars.All(v => Positional.IsMatch(v.Name)))
            return PlanPositional(saved, optimizer, order, out why);
        // OptimizerV2's names: [training/]<Class>/iter:0, [training/]<Class>/<weight name>/<slot>:0.
        var slotNames = V2SlotNames(optimizer);
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < order.Count; i++)
            foreach (var n in (string[])[KerasH5.WeightName(order[i], registry), $"{order[i].Layer.Name}/{order[i].Role}"])
                byName.TryAdd(n, i);
        var plan = new List<(int, int)>();
        var filled = new HashSet<(int, int)>();
        foreach (var v in vars)
        {
            var name = v.Name.EndsWith(":0", StringComparison.Ordinal) ? v.Name[..^2] : v.Name;
            var parts = name.Split('/');
            int c = Array.FindIndex(parts, p => string.Equals(p, optimizer.Name, StringComparison.OrdinalIgnoreCase));
            if (c < 0 || c > 1 || (c == 1 && parts[0] != "training"))
            {
                why = $"optimizer variable \"{v.Name}\" is not one of {optimizer.Name}'s (tf.keras names them {optimizer.Name}/iter:0, {optimizer.Name}/<weight>/<slot>:0)";
                return null;
            }
            var rest = parts[(c + 1)..];
            if (rest is ["iter"] or ["iterations"])
            {
                if (v.Dims.Length != 0) { why = $"optimizer variable \"{v.Name}\" has shape {Text(v.Dims)}, not a scalar"; return null; }
                plan.Add((-1, -1));
                continue;
            }
            if (rest.Length == 1)
            {
                // A hyper-parameter kept as a variable (learning_rate, decay, beta_1 …): the config already gave it.
                plan.Add((-1, -3));
                continue;
            }
            int slot = slotNames.Count == 0 ? -1 : Enumerable.Range(0, slotNames.Count).FirstOrDefault(k => slotNames[k] == rest[^1], -1);
            var weightPath = string.Join('/', rest[..^1]);
            if (slot < 0 || !byName.TryGetValue(weightPath, out int w))
            {
                why = $"optimizer variable \"{v.Name}\" names no slot of {optimizer.Name} for a trainable weight of this model";
                return null;
            }
            if (v.Integer || !SameShape(v.Dims, order[w].Shape))
            {
                why = $"optimizer variable \"{v.Name}\" has shape {Text(v.Dims)}, but weight {weightPath} is {Text(order[w].Shape.Select(d => (ulong)d))}";
                return null;
            }
            if (!filled.Add((w, slot))) { why = $"optimizer variable \"{v.Name}\" is given twice"; return null; }
            plan.Add((w, slot));
        }
        if (filled.Count != order.Count * slotNames.Count)
        {
            why = $"the file holds {filled.Count} of the {order.Count * slotNames.Count} slots {optimizer.Name} keeps for this model's {order.Count} trainable weights";
            return null;
        }
        return plan;
    }

    /// <summary>Keras 2.0–2.2's unnamed variables: an optional iteration count, then the slots slot by slot (SGD keeps momentums even without momentum; RMSprop and Adagrad one accumulator).</summary>
    private static List<(int Weight, int Slot)>? PlanPositional(SavedOptimizerState saved, Optimizer optimizer, IReadOnlyList<TrainableWeight> order, out string? why)
    {
        why = null;
        int fileSlots = optimizer switch { Adam => 2, Sgd => 1, RmsProp or Adagrad => 1, _ => 0 };
        var vars = saved.Variables;
        int head = vars.Count - fileSlots * order.Count;
        if (head is not (0 or 1) || optimizer.SlotCount > fileSlots)
        {
            why = $"the file holds {vars.Count} unnamed optimizer variables; {optimizer.Name} over this model's {order.Count} trainable weights would keep {fileSlots * order.Count} (and perhaps an iteration count)";
            return null;
        }
        var plan = new List<(int, int)>();
        if (head == 1)
        {
            if (vars[0].Dims.Length != 0) { why = $"optimizer variable \"{vars[0].Name}\" is not a scalar iteration count"; return null; }
            plan.Add((-1, -1));
        }
        for (int k = 0; k < fileSlots; k++)
            for (int i = 0; i < order.Count; i++)
            {
                var v = vars[head + k * order.Count + i];
                if (v.Integer || !SameShape(v.Dims, order[i].Shape))
                {
                    why = $"optimizer variable \"{v.Name}\" has shape {Text(v.Dims)}, but in Keras 2's order it is the slot of {order[i].Layer.Name}/{order[i].Role}, {Text(order[i].Shape.Select(d => (ulong)d))}";
                    return null;
                }
                plan.Add(k < optimizer.SlotCount ? (i, k) : (-1, -3));
            }
        return plan;
    }
}
