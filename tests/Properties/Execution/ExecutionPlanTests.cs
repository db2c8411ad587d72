using System.Collections.Immutable;
using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// The execution plan both walkers run: its schedule, the Conv2D → MaxPooling2D rewrite (where it
/// applies and where it must not), its cache, and per-call training modes.
/// </summary>
public sealed class ExecutionPlanTests
{
    private static int nextId = 1000;

    private static LayerId Id() => new(Interlocked.Increment(ref nextId));

    private static Conv2D Conv(string name, int filters, string activation = "relu") => new(filters, (3, 3), activation: activation) { Id = Id(), Name = name };

    private static MaxPooling2D Pool(string name) => new() { Id = Id(), Name = name };

    private static InputLayer Image(int h, int w, int c) => new(Shape.Batched(h, w, c)) { Id = Id(), Name = "image" };

    /// <summary>The MNIST convnet's shape: two Conv2D → MaxPooling2D blocks, then Flatten → Dense.</summary>
    private static Model ConvNet(int seed) => Model.Sequential(Image(16, 16, 1),
        [Conv("c1", 16), Pool("p1"), Conv("c2", 16), Pool("p2"), new Flatten { Id = Id(), Name = "flat" }, new Dense(5, activation: "softmax") { Id = Id(), Name = "out" }],
        "convnet", Id(), seed);

    [Fact]
    public void Each_convolution_runs_inside_the_pooling_that_alone_reads_it_and_inputs_are_not_steps()
    {
        var model = ConvNet(1);
        var plan = ExecutionPlan.Of(model);
        Assert.Equal(2, plan.Fusions.Length);
        Assert.Equal(["c1+p1", "c2+p2", "flat", "out"], plan.Steps.Select(s => s.Layer.Name));
        var fused = Assert.IsType<Conv2DMaxPool>(plan.Steps[0].Layer);
        Assert.Same(model.Graph.Layers[fused.Conv.Id], fused.Conv);
        Assert.Equal([1, 2], plan.Steps[0].Nodes.ToArray());
        // The hidden convolution output has no reader left; the input slot is read once, by the fused step.
        Assert.Equal(0, plan.Reads[plan.SlotOf(new TensorRef(0, 1, 0))]);
        Assert.Equal(1, plan.Reads[plan.InputSlots[0]]);
        Assert.Equal(1, plan.Reads[plan.OutputSlots[0]]);
        Assert.Empty(ExecutionPlan.Compile(model, []).Fusions);
        Assert.Equal(6, ExecutionPlan.Compile(model, []).Steps.Length);
    }

    [Fact]
    public void No_fusion_where_the_convolution_output_is_read_elsewhere_is_a_model_output_or_the_modes_differ()
    {
        var image = Image(8, 8, 2);
        var conv = Conv("conv", 16);
        var (graph, x) = Core.Graph.Empty(0).AddInput(image);
        (graph, var z) = graph.Call(conv, [x], 0);
        (graph, var p) = graph.Call(Pool("pool"), [z[0]], 0);
        (graph, var p2) = graph.Call(Pool("other"), [z[0]], 0);
        Assert.Empty(ExecutionPlan.Of(Model.Functional(graph, [x], [p[0], p2[0]], "twice", Id())).Fusions);
        Assert.Empty(ExecutionPlan.Of(Model.Functional(graph, [x], [p[0], z[0]], "output", Id())).Fusions);
        Assert.Single(ExecutionPlan.Of(Model.Functional(graph, [x], [p[0]], "once", Id())).Fusions);

        var (g2, x2) = Core.Graph.Empty(0).AddInput(image);
        (g2, var z2) = g2.Call(conv, [x2], 0);
        (g2, var q) = g2.Call(Pool("pool"), [z2[0]], 0, training: false);
        Assert.Empty(ExecutionPlan.Of(Model.Functional(g2, [x2], [q[0]], "modes", Id())).Fusions);
    }

    private sealed class Hiding : IFusionRule
    {
        public FusionGroup? TryFuse(FusionSite graph, int node) =>
            graph.LayerAt(node) is Conv2D conv && graph.ReadersOf(new TensorRef(0, node, 0)) is [int reader, ..] && graph.LayerAt(reader) is MaxPooling2D pool
                ? new FusionGroup(new Conv2DMaxPool(conv, pool), [node, reader], [.. graph.Node(node).Inputs], [new TensorRef(0, reader, 0)])
                : null;
    }

    [Fact]
    public void A_rule_that_would_hide_a_tensor_read_outside_its_group_is_refused()
    {
        var (graph, x) = Core.Graph.Empty(0).AddInput(Image(8, 8, 2));
        (graph, var z) = graph.Call(Conv("conv", 16), [x], 0);
        (graph, var p) = graph.Call(Pool("pool"), [z[0]], 0);
        (graph, var s) = graph.Call(new Activation("tanh") { Id = Id(), Name = "side" }, [z[0]], 0);
        var model = Model.Functional(graph, [x], [p[0], s[0]], "hidden", Id());
        var error = Assert.Throws<InvalidOperationException>(() => ExecutionPlan.Compile(model, [new Hiding()]));
        Assert.Contains("\"conv\"", error.Message);
        Assert.Contains("read outside the group", error.Message);
    }

    [Fact]
    public void A_plan_is_compiled_once_per_model_value()
    {
        var model = ConvNet(2);
        Assert.Same(ExecutionPlan.Of(model), ExecutionPlan.Of(model));
        var conv = (Conv2D)model.Graph.Layers.Values.First(l => l.Name == "c1");
        var retrained = model.WithLayers([conv with { Params = EquatableArray.Of(conv.Params.Select(p => Tensor.Filled(0.5f, [.. p.Shape.Select(d => d!.Value)]))) }]);
        var plan = ExecutionPlan.Of(retrained);
        Assert.NotSame(ExecutionPlan.Of(model), plan);
        Assert.Same(retrained.Graph.Layers[conv.Id], ((Conv2DMaxPool)plan.Steps[0].Layer).Conv);
    }

    /// <summary>
    /// A shared convolution whose two calls are both fused: the training walker on the fused plan gives
    /// the same outputs, the same gradients under each layer's id (the two calls summed) and the same
    /// input gradient as on the plan without rewrites, for any batch (fused in one pass or run apart).
    /// </summary>
    [Property(MaxTest = 25)]
    public Property Fused_and_unfused_plans_train_alike() => Prop.ForAll(
        Gen.Choose(1, 6).Zip(Gen.Choose(0, 1000)).ToArbitrary(), t =>
        {
            var (batch, seed) = t;
            var rng = new Random(seed);
            var conv = Conv("shared", 16, rng.Next(2) == 0 ? "relu" : "tanh");
            var (graph, a) = Core.Graph.Empty(0).AddInput(Image(10, 10, 2));
            (graph, var b) = graph.AddInput(new InputLayer(Shape.Batched(10, 10, 2)) { Id = Id(), Name = "second" });
            (graph, var za) = graph.Call(conv, [a], seed);
            (graph, var zb) = graph.Call(graph.Layers[conv.Id], [b], 0);
            (graph, var pa) = graph.Call(Pool("pa"), [za[0]], 0);
            (graph, var pb) = graph.Call(Pool("pb"), [zb[0]], 0);
            (graph, var sum) = graph.Call(new Add { Id = Id(), Name = "sum" }, [pa[0], pb[0]], 0);
            var model = Model.Functional(graph, [a, b], [sum[0]], "shared", Id());
            Tensor[] x = [RandomTensor(rng, [batch, 10, 10, 2]), RandomTensor(rng, [batch, 10, 10, 2])];
            var context = new ForwardContext(Managed, new TensorPool(), Training: true);
            var fusedPlan = ExecutionPlan.Of(model);
            if (fusedPlan.Fusions.Length != 2) return false.Label($"{fusedPlan.Fusions.Length} fusions");

            (float[] Output, float[][] Grads, float[] Dx) Train(ExecutionPlan plan)
            {
                using var tape = Backprop.Forward(plan, x, context);
                var output = tape.Outputs[0].ToArray();
                var dy = Tensor.Filled(1f, [.. tape.Outputs[0].Shape.Select(d => d!.Value)]);
                using var gradients = new Gradients(context.Pool);
                var dx = Backprop.Backward(tape, [dy], gradients, [true, false]);
                return (output, [.. gradients.Of(conv.Id)!.Select(g => g!.ToArray())], dx[0]!.ToArray());
            }
            var fused = Train(fusedPlan);
            var apart = Train(ExecutionPlan.Compile(model, []));
            static bool Close(float[] p, float[] q) => p.Length == q.Length && p.Zip(q).All(v => Math.Abs(v.First - v.Second) <= 1e-4 * Math.Max(1, Math.Abs(v.First)));
            return Close(fused.Output, apart.Output).Label("outputs")
                .And(Close(fused.Grads[0], apart.Grads[0]).Label("kernel gradient"))
                .And(Close(fused.Grads[1], apart.Grads[1]).Label("bias gradient"))
                .And(Close(fused.Dx, apart.Dx).Label("input gradient"));
        });

    /// <summary>A model with BatchNormalization and Dropout, called inside another with a fixed mode.</summary>
    private static (Model Outer, BatchNormalization Bn) Nested(bool? training)
    {
        var bn = new BatchNormalization { Id = Id(), Name = "bn" };
        var inner = Model.Sequential(new InputLayer(Shape.Batched(4)) { Id = Id(), Name = "in" },
            [new Dense(4) { Id = Id(), Name = "d" }, bn, new Dropout(0.5) { Id = Id(), Name = "drop" }], "inner", Id(), seed: 3);
        var (graph, x) = Core.Graph.Empty(0).AddInput(new InputLayer(Shape.Batched(4)) { Id = Id(), Name = "x" });
        (graph, var y) = graph.Call(inner, [x], 0, training);
        return (Model.Functional(graph, [x], [y[0]], "outer", Id()), bn);
    }

    [Fact]
    public void A_nested_model_called_with_training_false_runs_every_layer_inside_in_inference_mode()
    {
        var x = RandomTensor(new Random(5), [8, 4], 0, 3);
        var context = new ForwardContext(Managed, new TensorPool(), Training: true, Seed: 11);
        var (outer, bn) = Nested(false);
        var inference = Executor.Run(outer, [x], context with { Training = false })[0].ToArray();
        using (var tape = Backprop.Forward(outer, [x], context))
        {
            Assert.Equal(inference, tape.Outputs[0].ToArray());
            Assert.Empty(tape.StateUpdates());
        }
        var (following, bn2) = Nested(null);
        using var moving = Backprop.Forward(following, [x], context);
        Assert.NotEqual(Executor.Run(following, [x], context with { Training = false })[0].ToArray(), moving.Outputs[0].ToArray());
        Assert.IsType<BatchNormalization>(moving.StateUpdates()[bn2.Id]);
    }

    [Fact]
    public void A_call_with_training_true_drops_even_at_inference()
    {
        var (graph, x) = Core.Graph.Empty(0).AddInput(new InputLayer(Shape.Batched(32)) { Id = Id(), Name = "x" });
        (graph, var on) = graph.Call(new Dropout(0.5) { Id = Id(), Name = "on" }, [x], 0, training: true);
        (graph, var off) = graph.Call(new Dropout(0.5) { Id = Id(), Name = "off" }, [x], 0);
        var model = Model.Functional(graph, [x], [on[0], off[0]], "modes", Id());
        var input = Tensor.Filled(1f, [4, 32]);
        var y = Executor.Run(model, [input], new ForwardContext(Managed, new TensorPool(), Seed: 2));
        Assert.Contains(0f, y[0].ToArray());
        Assert.Equal(input.ToArray(), y[1].ToArray());
    }
}
