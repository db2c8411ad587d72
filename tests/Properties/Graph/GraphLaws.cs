using System.Collections.Immutable;
using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Graph;

using Graph = DeepGraph.Core.Graph;
using Summary = DeepGraph.Core.Summary;
using Model = DeepGraph.Core.Model;
using static Generators;

/// <summary>
/// Laws of the pure graph and model layer over generated layer stacks and DAGs (see
/// <see cref="Generators"/>): summary totals, Sequential ↔ Functional round trips, refusal of
/// non-linear models, persistence, topology and shape errors at call time.
/// </summary>
public class GraphLaws
{
    // ---- Summary totals -------------------------------------------------------------------

    /// <summary>The summary's totals read back against the rows, the layers' parameter counts and the frozen layers.</summary>
    private static Checks SummaryTotals(Model model, Checks checks)
    {
        var table = SummaryTable.Parse(Summary.Lines(model));
        long rows = table.ParamColumn.Sum();
        long layers = model.Layers.Sum(l => l.ParamCount);
        long nonTrainable = model.Layers.Sum(l => ExpectedNonTrainable(l));
        return checks
            .Equal(model.Layers.Count, table.ParamColumn.Length, "one Param # per layer row")
            .Equal(rows, table.Total, "Total params = sum of the Param # column")
            .Equal(table.Total, table.Trainable + table.NonTrainable, "Total = Trainable + Non-trainable")
            .Equal(layers, table.Total, "Total params = sum of ParamCount over model.Layers")
            .Equal(nonTrainable, table.NonTrainable, "Non-trainable = frozen layers' params + BatchNormalization moving statistics");
    }

    [Property]
    public Property Summary_total_params_is_the_Param_column_sum_and_trainable_plus_non_trainable_for_stacks() =>
        Prop.ForAll(Stacks, plan =>
        {
            var stack = Stack.Of(plan);
            var checks = new Checks();
            SummaryTotals(stack.Sequential(), checks);
            SummaryTotals(stack.Functional(), checks);
            return checks.ToProperty();
        });

    [Property]
    public Property Summary_total_params_is_the_Param_column_sum_and_trainable_plus_non_trainable_for_dags() =>
        Prop.ForAll(Dags, plan => SummaryTotals(Dag.Of(plan).Model, new Checks()).ToProperty());

    [Property]
    public Property Summary_non_trainable_params_are_the_frozen_layers_params_plus_moving_statistics() =>
        Prop.ForAll(Stacks, Arb.From(Gen.Elements(false, true).ArrayOf(8)), (plan, freeze) =>
        {
            // Freeze more layers than the plan did: those the mask marks (records changed before the model is built).
            var stack = Stack.Of(plan);
            stack = stack with { Layers = [.. stack.Layers.Select((l, i) => freeze[i] ? l with { Trainable = false } : l)] };
            var model = stack.Sequential();
            var table = SummaryTable.Parse(Summary.Lines(model));
            long frozen = model.Layers.Where(l => !l.Trainable).Sum(l => l.ParamCount);
            long movingStats = model.Layers.Where(l => l.Trainable).OfType<BatchNormalization>().Sum(bn => 2L * bn.Features!.Value);
            return new Checks()
                .Equal(frozen + movingStats, table.NonTrainable, "Non-trainable = frozen layers' params + moving mean and variance of the others")
                .Equal(table.Total - frozen - movingStats, table.Trainable, "Trainable = the rest")
                .That(model.Layers.Select(l => l.Trainable).SequenceEqual(stack.Layers.Select(l => l.Trainable)), "the model keeps each record's trainability")
                .ToProperty()
                .Classify(frozen > 0, "some frozen params")
                .Classify(movingStats > 0, "batch normalization");
        });

    // ---- Sequential ↔ Functional ----------------------------------------------------------

    [Property]
    public Property Sequential_to_Functional_to_Sequential_gives_an_equal_model() =>
        Prop.ForAll(Stacks, plan =>
        {
            var s = Stack.Of(plan).Sequential();
            var f = Conversions.ToFunctional(s, "functional", new LayerId(3_000_000));
            var back = Conversions.ToSequential(f, s.Name, s.Id);
            return new Checks()
                .That(back == s, "ToSequential(ToFunctional(s)) == s")
                .Equal(s.GetHashCode(), back.GetHashCode(), "equal models hash alike")
                .That(back.Layers.SequenceEqual(s.Layers), "same Layers")
                .That(back.Layers.Select(l => l.Id).SequenceEqual(s.Layers.Select(l => l.Id)), "same layer ids")
                .That(back.Weights.SequenceEqual(s.Weights), "same Weights")
                .That(Summary.Lines(back).SequenceEqual(Summary.Lines(s)), "same summary lines")
                .That(f.Layers.Skip(1).SequenceEqual(s.Layers), "the functional twin has the same layers after its input layer")
                .ToProperty();
        });

    [Property]
    public Property Functional_built_from_a_stack_equals_ToFunctional_of_its_Sequential() =>
        Prop.ForAll(Stacks, plan =>
        {
            var stack = Stack.Of(plan);
            var direct = stack.Functional("twin");
            var converted = Conversions.ToFunctional(stack.Sequential(), "twin", new LayerId(7));
            return (direct == converted).Label($"direct: {string.Join(" | ", Summary.Lines(direct))}\nconverted: {string.Join(" | ", Summary.Lines(converted))}");
        });

    [Property]
    public Property Linear_Functional_to_Sequential_to_Functional_gives_an_equal_model() =>
        Prop.ForAll(Stacks, plan =>
        {
            var f = Stack.Of(plan).Functional();
            var s = Conversions.ToSequential(f, "sequential", new LayerId(3_000_000));
            var back = Conversions.ToFunctional(s, f.Name, f.Id);
            return new Checks()
                .That(back == f, "ToFunctional(ToSequential(f)) == f")
                .That(back.Layers.SequenceEqual(f.Layers), "same Layers")
                .That(back.Weights.SequenceEqual(f.Weights), "same Weights")
                .That(Summary.Lines(back).SequenceEqual(Summary.Lines(f)), "same summary lines")
                .ToProperty();
        });

    // ---- Non-linear models ----------------------------------------------------------------

    /// <summary>What makes a model non-linear, read off its compact graph.</summary>
    private static (bool Merge, bool Branch, bool Shared, bool SeveralInputs, bool SeveralOutputs) Linearity(Model m)
    {
        var nodes = m.Graph.Nodes;
        return (nodes.Any(n => n.Inputs.Count > 1),
            nodes.SelectMany(n => n.Inputs.Distinct()).GroupBy(t => t).Any(g => g.Count() > 1),
            nodes.GroupBy(n => n.Layer).Any(g => g.Count() > 1),
            m.Inputs.Count > 1,
            m.Outputs.Count > 1);
    }

    [Property]
    public Property Non_linear_dags_refuse_ToSequential_with_a_GraphError_naming_a_layer() =>
        Prop.ForAll(Dags, plan =>
        {
            var m = Dag.Of(plan).Model;
            var (merge, branch, shared, inputs, outputs) = Linearity(m);
            bool nonLinear = merge || branch || shared || inputs || outputs;
            var error = Thrown(() => Conversions.ToSequential(m, "s", new LayerId(3_000_000)));
            var checks = new Checks();
            if (nonLinear)
            {
                checks.That(error is GraphError, $"non-linear (merge={merge} branch={branch} shared={shared} inputs={inputs} outputs={outputs}) throws GraphError, got {error?.GetType().Name ?? "none"}")
                    .That(error is not null && m.Layers.Any(l => error.Message.Contains($"\"{l.Name}\"")), $"the message names a layer of the model: {error?.Message}");
            }
            else
            {
                // A DAG that pruning left linear converts, and back.
                checks.That(error is null, $"linear model converts: {error?.Message}");
                if (error is null)
                    checks.That(Conversions.ToFunctional(Conversions.ToSequential(m, "s", new LayerId(3_000_000)), m.Name, m.Id) == m, "and converts back to an equal model");
            }
            return checks.ToProperty()
                .Classify(merge, "merge").Classify(branch, "branch").Classify(shared, "shared layer")
                .Classify(inputs, "several inputs").Classify(outputs, "several outputs").Classify(!nonLinear, "linear")
                .Classify(m.Layers.Any(l => l is Model), "nested model");
        });

    [Property]
    public Property Summary_is_sequential_like_exactly_when_the_dag_has_no_merge_branch_shared_layer_or_second_input() =>
        Prop.ForAll(Dags, plan =>
        {
            var m = Dag.Of(plan).Model;
            var (merge, branch, shared, inputs, _) = Linearity(m);
            bool expected = !(merge || branch || shared || inputs);
            var lines = Summary.Lines(m);
            var table = SummaryTable.Parse(lines);
            return new Checks()
                .Equal(expected, Summary.IsSequentialLike(m), "IsSequentialLike")
                .Equal(!expected, table.HasConnectedTo, "the table has a Connected to column")
                .Equal(expected ? 65 : 98, table.Width, "table width")
                .That(lines.All(l => l.Length <= table.Width), "no line is wider than the table")
                .ToProperty();
        });

    [Property]
    public Property Summary_of_a_stack_is_sequential_like_without_a_Connected_to_column() =>
        Prop.ForAll(Stacks, plan =>
        {
            var stack = Stack.Of(plan);
            var checks = new Checks();
            foreach (var m in new[] { stack.Sequential(), stack.Functional() })
            {
                var table = SummaryTable.Parse(Summary.Lines(m));
                checks.That(Summary.IsSequentialLike(m), $"{m.ClassName} is sequential-like")
                    .That(!table.HasConnectedTo, $"{m.ClassName} has no Connected to column")
                    .Equal(65, table.Width, $"{m.ClassName} table width");
            }
            return checks.ToProperty();
        });

    // ---- Persistence ----------------------------------------------------------------------

    private static Graph Rebuild(int scope, ImmutableArray<Node> nodes, ImmutableArray<KeyValuePair<LayerId, Layer>> layers) =>
        Graph.FromParts(scope, nodes, layers.Select(kv => kv.Value));

    [Property]
    public Property Deriving_a_graph_leaves_the_old_graph_equal_to_its_captured_value() =>
        Prop.ForAll(Dags, plan =>
        {
            var dag = Dag.Of(plan);
            var checks = new Checks();
            for (int i = 0; i < dag.History.Length; i++)
            {
                var g = dag.History[i];
                var (nodes, layers) = dag.Snapshots[i];
                checks.Equal(i + 1, g.Nodes.Count, $"graph {i}: node count")
                    .That(g.Nodes.SequenceEqual(nodes), $"graph {i}: node list as captured")
                    .That(g.Layers.Count == layers.Length && layers.All(kv => g.Layers.TryGetValue(kv.Key, out var l) && ReferenceEquals(l, kv.Value) && l.Equals(kv.Value)),
                        $"graph {i}: layers as captured")
                    .That(g.Equals(Rebuild(Dag.Scope, nodes, layers)), $"graph {i}: equals the graph rebuilt from its captured parts");
                if (i + 1 < dag.History.Length)
                {
                    var next = dag.History[i + 1];
                    checks.That(next.Nodes.Take(g.Nodes.Count).SequenceEqual(g.Nodes), $"graph {i + 1} extends graph {i}")
                        .That(g.Layers.Keys.All(next.Layers.ContainsKey), $"graph {i + 1} keeps graph {i}'s layers")
                        .That(!next.Equals(g), $"graph {i + 1} differs from graph {i}");
                }
            }
            return checks.ToProperty();
        });

    /// <summary>
    /// WithLayers puts the very records it is given in place, even records equal by value to the ones
    /// they replace: a copy with the same values over new tensors (what Fit trains in place) must not
    /// be dropped for the original, whose tensors a user may hold.
    /// </summary>
    [Property]
    public Property With_layers_puts_in_the_records_it_is_given_even_equal_ones() =>
        Prop.ForAll(Dags, plan =>
        {
            var g = Dag.Of(plan).History[^1];
            var copies = g.Layers.Values.OfType<WeightedLayer>().Where(l => l.IsBuilt)
                .Select(l => (Layer)(l with { Params = EquatableArray.Of(l.Params.Select(p => Tensor.FromArray(p.ToArray(), p.Shape.ToArray()))) }))
                .ToList();
            var next = g.WithLayers(copies);
            return (copies.All(c => ReferenceEquals(next.Layers[c.Id], c)) && next.Equals(g)).ToProperty();
        });

    [Property]
    public Property An_old_graph_can_be_extended_independently_and_both_descendants_are_valid() =>
        Prop.ForAll(Dags, Arb.From(Gen.Choose(0, 9999)), (plan, pick) =>
        {
            var dag = Dag.Of(plan);
            int at = pick % dag.History.Length;
            var old = dag.History[at];
            var (nodes, layers) = dag.Snapshots[at];
            var usable = dag.Tensors.Where(t => t.Node < old.Nodes.Count).ToList();
            var t1 = usable[pick % usable.Count];
            var t2 = usable[pick / 7 % usable.Count];
            var dense = new Dense(3) { Id = new LayerId(dag.NextId), Name = "branch_a" };
            var act = new Activation("relu") { Id = new LayerId(dag.NextId + 1), Name = "branch_b" };
            var (a, aOut) = old.Call(dense, [t1], seed: pick);
            var (b, bOut) = old.Call(act, [t2], seed: pick);

            Model ModelOf(Graph g, TensorRef output)
            {
                var reached = Dag.Ancestors(g, [output]);
                var inputs = g.Nodes.Where(n => n.Inputs.Count == 0 && reached.Contains(n.Id)).Select(n => new TensorRef(g.Scope, n.Id, 0)).ToList();
                return Model.Functional(g, inputs, [output], "descendant", new LayerId(4_000_000));
            }

            return new Checks()
                .That(old.Nodes.SequenceEqual(nodes) && old.Equals(Rebuild(Dag.Scope, nodes, layers)), "the old graph is unchanged")
                .That(dag.Graph.Equals(Rebuild(Dag.Scope, dag.Snapshots[^1].Nodes, dag.Snapshots[^1].Layers)), "the newest graph is unchanged")
                .Equal(old.Nodes.Count + 1, a.Nodes.Count, "descendant A has one more node")
                .Equal(old.Nodes.Count + 1, b.Nodes.Count, "descendant B has one more node")
                .That(a.Nodes.Take(old.Nodes.Count).SequenceEqual(old.Nodes) && b.Nodes.Take(old.Nodes.Count).SequenceEqual(old.Nodes), "both extend the old graph")
                .That(!a.Layers.ContainsKey(act.Id) && !b.Layers.ContainsKey(dense.Id), "neither sees the other's layer")
                .That(!a.Equals(b), "the descendants differ")
                .That(a.Equals(Graph.FromParts(a.Scope, a.Nodes, a.Layers.Values)) && b.Equals(Graph.FromParts(b.Scope, b.Nodes, b.Layers.Values)), "both are valid graphs")
                .Equal(Shape.Batched(3), a.ShapeOf(aOut[0]), "descendant A's new tensor")
                .Equal(old.ShapeOf(t2), b.ShapeOf(bOut[0]), "descendant B's new tensor")
                .That(ModelOf(a, aOut[0]).Layers.Any(l => l.Id == dense.Id) && ModelOf(b, bOut[0]).Layers.Any(l => l.Id == act.Id), "both make models")
                .ToProperty();
        });

    // ---- Topology -------------------------------------------------------------------------

    private static Checks TopologyChecks(Model m, Checks checks)
    {
        var topology = m.Topology;
        var depthOf = topology.NodesByDepth.SelectMany(d => d.Nodes.Select(n => (Node: n, d.Depth))).ToList();
        var depth = depthOf.ToDictionary(x => x.Node, x => x.Depth);
        var order = m.LayerOrder.Items;
        checks.That(order.Distinct().Count() == order.Length, "no layer twice in LayerOrder")
            .That(order.ToHashSet().SetEquals(m.Graph.Nodes.Select(n => n.Layer)), "LayerOrder holds exactly the layers of the model's nodes")
            .That(order.ToHashSet().SetEquals(m.Graph.Layers.Keys), "LayerOrder holds exactly the graph's layers")
            .That(topology.Layers.SequenceEqual(order), "the topology recomputed on the compact graph gives the same LayerOrder")
            .Equal(m.Graph.Nodes.Count, depthOf.Count, "every node has one depth")
            .That(depth.Count == m.Graph.Nodes.Count, "no node listed twice by depth");
        for (int i = 0; i + 1 < order.Length; i++)
            checks.That(topology.LayerDepths[order[i]] >= topology.LayerDepths[order[i + 1]],
                $"layers by non-increasing depth: {m.Graph.Layers[order[i]].Name} at {topology.LayerDepths[order[i]]} before {m.Graph.Layers[order[i + 1]].Name} at {topology.LayerDepths[order[i + 1]]}");
        foreach (var node in m.Graph.Nodes)
        {
            foreach (var t in node.Inputs)
                checks.That(depth[t.Node] > depth[node.Id], $"node {node.Id} (depth {depth[node.Id]}) takes node {t.Node} at depth {depth[t.Node]}");
        }
        foreach (var group in m.Graph.Nodes.GroupBy(n => n.Layer))
            checks.Equal(group.Max(n => depth[n.Id]), topology.LayerDepths[group.Key], $"depth of layer {m.Graph.Layers[group.Key].Name} is its deepest node's");
        return checks;
    }

    [Property]
    public Property Topology_lists_every_layer_once_by_non_increasing_depth_with_inputs_deeper_than_their_nodes() =>
        Prop.ForAll(Dags, Stacks, (dagPlan, stackPlan) =>
        {
            var checks = new Checks();
            TopologyChecks(Dag.Of(dagPlan).Model, checks);
            TopologyChecks(Stack.Of(stackPlan).Sequential(), checks);
            TopologyChecks(Stack.Of(stackPlan).Functional(), checks);
            return checks.ToProperty();
        });

    [Property]
    public Property Summary_Connected_to_entries_refer_to_layers_and_calls_of_the_model() =>
        Prop.ForAll(Dags, plan =>
        {
            var m = Dag.Of(plan).Model;
            var table = SummaryTable.Parse(Summary.Lines(m));
            if (!table.HasConnectedTo) return true.ToProperty().Classify(true, "sequential-like (no column)");
            var checks = new Checks()
                .Equal(m.Graph.Nodes.Sum(n => n.Inputs.Count), table.ConnectedTo.Length, "one entry per tensor a call takes");
            var byName = m.Layers.ToDictionary(l => l.Name);
            foreach (var entry in table.ConnectedTo)
            {
                // name[node][tensor]
                int open = entry.IndexOf('[');
                var parts = entry[(open + 1)..^1].Split("][");
                string name = entry[..open];
                if (!byName.TryGetValue(name, out var layer))
                {
                    checks.That(false, $"'{entry}' names no layer of the model");
                    continue;
                }
                int calls = m.Graph.Nodes.Count(n => n.Layer == layer.Id);
                int node = int.Parse(parts[0]), tensor = int.Parse(parts[1]);
                int first = layer is Model ? 1 : 0;
                checks.That(node >= first && node < first + calls, $"'{entry}': {name} has {calls} call(s)")
                    .That(tensor == 0, $"'{entry}': every generated layer gives one tensor");
            }
            return checks.ToProperty();
        });

    // ---- Shape errors at call time --------------------------------------------------------

    /// <summary>Calls <paramref name="layer"/> on <paramref name="inputs"/> of <paramref name="graph"/>, expecting a ShapeError naming the layer and every shape in <paramref name="shapes"/>; checks the graph is unchanged.</summary>
    private static Property RefusesWithShapeError(Graph graph, Layer layer, TensorRef[] inputs, params Shape[] shapes) =>
        RefusesWithShapeError(new Checks(), graph, layer, inputs, shapes).ToProperty();

    private static Checks RefusesWithShapeError(Checks checks, Graph graph, Layer layer, TensorRef[] inputs, params Shape[] shapes)
    {
        var nodes = graph.Nodes.ToImmutableArray();
        var layers = graph.Layers.ToImmutableArray();
        var error = Thrown(() => graph.Call(layer, inputs, seed: 1));
        checks
            .That(error is ShapeError, $"throws ShapeError, got {error?.GetType().Name ?? "nothing"}: {error?.Message}");
        if (error is ShapeError shapeError)
        {
            checks.Equal(layer.Name, shapeError.LayerName, "LayerName")
                .That(error.Message.Contains(layer.Name), $"message names the layer: {error.Message}");
            foreach (var s in shapes)
                checks.That(error.Message.Contains(s.ToString()), $"message shows {s}: {error.Message}");
        }
        return checks
            .That(graph.Nodes.SequenceEqual(nodes) && graph.Equals(Graph.FromParts(graph.Scope, nodes, layers.Select(kv => kv.Value))), "the graph passed in is unchanged");
    }

    private static readonly Gen<(int, int)> TwoDifferent =
        from a in Gen.Choose(1, 16)
        from b in Gen.Choose(1, 16).Where(b => b != a)
        select (a, b);

    [Property]
    public Property Dense_built_for_n_features_called_on_m_raises_ShapeError_and_leaves_the_graph() =>
        Prop.ForAll(Arb.From(from ab in TwoDifferent from units in Gen.Choose(1, 8) select (ab.Item1, ab.Item2, units)), t =>
        {
            var (n, m, units) = t;
            var g = Graph.Empty(9);
            (g, var a) = g.AddInput(new InputLayer(Shape.Batched(n)) { Id = new LayerId(1), Name = "input_a" });
            (g, var b) = g.AddInput(new InputLayer(Shape.Batched(m)) { Id = new LayerId(2), Name = "input_b" });
            var original = new Dense(units) { Id = new LayerId(3), Name = $"dense_{n}_to_{units}" };
            (g, _) = g.Call(original, [a], seed: 0);
            var built = g.Layers[original.Id];
            var checks = new Checks();
            // The graph's (built) record, as a shared layer is called, and the unbuilt record
            // again: it would build afresh for m features and no longer fit the first call.
            RefusesWithShapeError(checks, g, built, [b], Shape.Batched(m));
            RefusesWithShapeError(checks, g, original, [b], Shape.Batched(m), Shape.Batched(n));
            return checks.ToProperty();
        });

    [Property]
    public Property Add_of_different_feature_counts_raises_ShapeError_and_leaves_the_graph() =>
        Prop.ForAll(Arb.From(from ab in TwoDifferent from multiply in Gen.Elements(false, true) select (ab.Item1, ab.Item2, multiply)), t =>
        {
            var (n, m, multiply) = t;
            var g = Graph.Empty(9);
            (g, var a) = g.AddInput(new InputLayer(Shape.Batched(n)) { Id = new LayerId(1), Name = "input_a" });
            (g, var b) = g.AddInput(new InputLayer(Shape.Batched(m)) { Id = new LayerId(2), Name = "input_b" });
            Layer merge = multiply ? new Multiply { Id = new LayerId(3), Name = "product" } : new Add { Id = new LayerId(3), Name = "sum" };
            return RefusesWithShapeError(g, merge, [a, b], Shape.Batched(n), Shape.Batched(m));
        });

    [Property]
    public Property Concatenate_of_tensors_differing_off_the_axis_raises_ShapeError_and_leaves_the_graph() =>
        Prop.ForAll(Arb.From(from pq in TwoDifferent from a in Gen.Choose(1, 8) from b in Gen.Choose(1, 8) from axis in Gen.Elements(-1, 2, 1) select (pq, a, b, axis)), t =>
        {
            // Along the last axis the middle dimensions differ (p ≠ q); along axis 1 the last ones do.
            var ((p, q), a, b, axis) = t;
            var (sa, sb) = axis == 1 ? (Shape.Batched(a, p), Shape.Batched(b, q)) : (Shape.Batched(p, a), Shape.Batched(q, b));
            var g = Graph.Empty(9);
            (g, var x) = g.AddInput(new InputLayer(sa) { Id = new LayerId(1), Name = "input_a" });
            (g, var y) = g.AddInput(new InputLayer(sb) { Id = new LayerId(2), Name = "input_b" });
            return RefusesWithShapeError(g, new Concatenate(axis) { Id = new LayerId(3), Name = "joined" }, [x, y], sa, sb);
        });

    [Property]
    public Property Conv2D_valid_kernel_larger_than_its_input_raises_ShapeError_and_leaves_the_graph() =>
        Prop.ForAll(Arb.From(
            from h in Gen.Choose(1, 8) from w in Gen.Choose(1, 8) from c in Gen.Choose(1, 4)
            from tall in Gen.Elements(true, false) from extra in Gen.Choose(1, 3) from other in Gen.Choose(1, 3)
            select (h, w, c, kh: tall ? h + extra : other, kw: tall ? other : w + extra)), t =>
        {
            var (h, w, c, kh, kw) = t;
            var g = Graph.Empty(9);
            var input = Shape.Batched(h, w, c);
            (g, var x) = g.AddInput(new InputLayer(input) { Id = new LayerId(1), Name = "image" });
            (g, _) = g.Call(new Activation("relu") { Id = new LayerId(2), Name = "relu" }, [x], seed: 0);
            return RefusesWithShapeError(g, new Conv2D(2, (kh, kw)) { Id = new LayerId(3), Name = $"conv_{kh}x{kw}" }, [x], input);
        });
}
