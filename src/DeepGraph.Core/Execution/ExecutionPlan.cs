using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace DeepGraph.Core;

/// <summary>
/// How a model runs, compiled once per model value and shared by inference (<see cref="Executor"/>)
/// and training (<see cref="Backprop"/>, which runs the same plan with a <see cref="Tape"/>): the
/// steps in a topological order, the tensor slots they read and write, how many times each slot is
/// read (when its buffer can go back to the pool), the model's input and output slots, and the fusion
/// groups the rewrite rules made. The walkers know layers only through <see cref="Layer"/>'s members
/// and the plan: input layers are bound slots, not steps, and fused calls are one step.
/// </summary>
/// <remarks>
/// Slots are numbered per graph tensor: node n's output k is slot <c>SlotOf(n, k)</c>. A tensor
/// inside a fusion group (the convolution's output under its pooling) keeps its slot, which no step
/// reads or writes.
/// </remarks>
public sealed class ExecutionPlan
{
    private static readonly ConditionalWeakTable<Model, ExecutionPlan> Cache = [];
    private readonly int[] firstSlot;

    private ExecutionPlan(Model model, int[] firstSlot, ImmutableArray<PlanStep> steps, ImmutableArray<FusionGroup> fusions)
    {
        Model = model;
        this.firstSlot = firstSlot;
        Steps = steps;
        Fusions = fusions;
        var nodes = model.Graph.Nodes;
        SlotCount = firstSlot[^1];
        SlotShapes = [.. nodes.SelectMany(n => n.OutputShapes)];
        SlotDTypes = [.. nodes.SelectMany(n => Enumerable.Range(0, n.OutputShapes.Count).Select(n.DTypeOf))];
        InputSlots = [.. model.Inputs.Select(SlotOf)];
        OutputSlots = [.. model.Outputs.Select(SlotOf)];
        var readers = new int[SlotCount];
        foreach (var step in steps)
            foreach (var s in step.Inputs) readers[s]++;
        Readers = [.. readers];
        foreach (var s in OutputSlots) readers[s]++;
        Reads = [.. readers];
    }

    /// <summary>The default rewrite rules: a Conv2D run inside the MaxPooling2D that alone reads it.</summary>
    public static ImmutableArray<IFusionRule> DefaultRules { get; } = [new Conv2DMaxPoolRule()];

    /// <summary>The model the plan runs.</summary>
    public Model Model { get; }

    /// <summary>The calls in the order they run (a topological order: every slot is written before it is read).</summary>
    public ImmutableArray<PlanStep> Steps { get; }

    /// <summary>The fusion groups the rules made, in graph order.</summary>
    public ImmutableArray<FusionGroup> Fusions { get; }

    /// <summary>The number of tensor slots.</summary>
    public int SlotCount { get; }

    /// <summary>Each slot's shape as the graph knows it (the batch unknown).</summary>
    public ImmutableArray<Shape> SlotShapes { get; }

    /// <summary>Each slot's dtype.</summary>
    public ImmutableArray<DType> SlotDTypes { get; }

    /// <summary>The slot bound to each model input, in input order.</summary>
    public ImmutableArray<int> InputSlots { get; }

    /// <summary>The slot of each model output, in output order.</summary>
    public ImmutableArray<int> OutputSlots { get; }

    /// <summary>
    /// Per slot, how many times it is read: once per step argument over it, plus once per model
    /// output it is. A buffer goes back to the pool when the reads of every slot over it are done.
    /// </summary>
    public ImmutableArray<int> Reads { get; }

    /// <summary>Per slot, how many step arguments read it (model outputs not counted): a slot read once may take its reader's unzeroed gradient buffer.</summary>
    public ImmutableArray<int> Readers { get; }

    /// <summary>The slot of <paramref name="tensor"/>, an output of one of the model's nodes.</summary>
    public int SlotOf(TensorRef tensor) => firstSlot[tensor.Node] + tensor.Index;

    /// <summary>
    /// The plan of <paramref name="model"/> with the <see cref="DefaultRules"/>, compiled on first use
    /// and kept as long as the model value lives (a cache keyed by the record's identity: a model
    /// derived with new weights is a new value and gets its own plan).
    /// </summary>
    public static ExecutionPlan Of(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Cache.GetValue(model, m => Compile(m, DefaultRules));
    }

    /// <summary>
    /// Compiles the plan of <paramref name="model"/>, applying <paramref name="rules"/> at every node
    /// in graph order (the first rule that fuses wins); nested models get their cached default plans.
    /// </summary>
    /// <exception cref="InvalidOperationException">A rule returned a group that would hide a tensor read outside it.</exception>
    public static ExecutionPlan Compile(Model model, IReadOnlyList<IFusionRule> rules)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rules);
        var nodes = model.Graph.Nodes;
        var firstSlot = new int[nodes.Count + 1];
        for (int i = 0; i < nodes.Count; i++) firstSlot[i + 1] = firstSlot[i] + nodes[i].OutputShapes.Count;
        int Slot(TensorRef t) => firstSlot[t.Node] + t.Index;

        var site = new FusionSite(model);
        var groupEndingAt = new Dictionary<int, FusionGroup>();
        var fusions = ImmutableArray.CreateBuilder<FusionGroup>();
        foreach (var node in nodes)
        {
            if (site.IsModelInput(node.Id) || site.Claimed[node.Id]) continue;
            foreach (var rule in rules)
            {
                if (rule.TryFuse(site, node.Id) is not { } group) continue;
                Check(site, group);
                foreach (var n in group.Nodes) site.Claimed[n] = true;
                groupEndingAt[group.Nodes[^1]] = group;
                fusions.Add(group);
                break;
            }
        }

        var steps = ImmutableArray.CreateBuilder<PlanStep>();
        foreach (var node in nodes)
        {
            if (site.IsModelInput(node.Id)) continue;
            if (groupEndingAt.TryGetValue(node.Id, out var group))
            {
                steps.Add(new PlanStep(group.Layer, [.. group.Inputs.Select(Slot)], [.. group.Outputs.Select(Slot)],
                    model.Graph.Nodes[group.Nodes[0]].Training, null, group.Nodes));
                continue;
            }
            if (site.Claimed[node.Id]) continue;
            var layer = model.Graph.Layers[node.Layer];
            steps.Add(new PlanStep(layer, [.. node.Inputs.Select(Slot)], [.. Enumerable.Range(firstSlot[node.Id], node.OutputShapes.Count)],
                node.Training, layer is Model inner ? Of(inner) : null, [node.Id]));
        }
        return new ExecutionPlan(model, firstSlot, steps.ToImmutable(), fusions.ToImmutable());
    }

    /// <summary>Refuses a group whose hidden tensors are read outside it or are model outputs, or whose nodes are taken.</summary>
    private static void Check(FusionSite site, FusionGroup group)
    {
        string Describe() => $"Fusion group [{string.Join(", ", group.Nodes.Select(n => $"\"{site.LayerAt(n).Name}\""))}] ({group.Layer.ClassName})";
        if (group.Nodes.IsDefaultOrEmpty || group.Nodes.Any(n => n < 0 || n >= site.Model.Graph.Nodes.Count || site.Claimed[n] || site.IsModelInput(n))
            || !group.Nodes.SequenceEqual(group.Nodes.Order().Distinct()))
            throw new InvalidOperationException($"{Describe()} names nodes that are not free calls of the model, in graph order.");
        var members = group.Nodes.ToHashSet();
        foreach (var n in group.Nodes)
            for (int k = 0; k < site.Node(n).OutputShapes.Count; k++)
            {
                var t = new TensorRef(Model.ModelScope, n, k);
                if (group.Outputs.Contains(t)) continue;
                if (site.IsModelOutput(t) || site.ReadersOf(t).Any(r => !members.Contains(r)))
                    throw new InvalidOperationException($"{Describe()} hides tensor {t}, which is read outside the group.");
            }
        foreach (var t in group.Inputs)
            if (members.Contains(t.Node))
                throw new InvalidOperationException($"{Describe()} takes its own tensor {t} as an input.");
    }
}
