using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Training;

/// <summary>
/// The backward pass over a Conv2D whose output only a MaxPooling2D reads, which the trainer runs
/// fused (the pooling applies the convolution's activation derivative at each window's maximum, and
/// for a first layer computes the weight gradients straight from its own gradient): it equals the
/// two layers' own backward passes run one after the other, for every activation whose derivative
/// is written in the output, overlapping and non-overlapping windows, both paddings, with and without
/// a gradient for the convolution's input.
/// </summary>
public sealed class ConvPoolFusion
{
    private static readonly string[] ActivationNames = ["relu", "linear", "tanh", "elu", "sigmoid", "leaky_relu", "swish"];

    private sealed record FusionCase(int Batch, int H, int W, int C, int Filters, int K, int ConvStride, bool ConvSame, string Activation,
        int Pool, int PoolStride, bool PoolSame, bool WantInput, int Seed)
    {
        public override string ToString() =>
            $"x ({Batch}, {H}, {W}, {C}) Conv2D({Filters}, {K}×{K}, stride {ConvStride}, {(ConvSame ? "same" : "valid")}, {Activation}) " +
            $"MaxPooling2D({Pool}, stride {PoolStride}, {(PoolSame ? "same" : "valid")}) input gradient {WantInput} seed {Seed}";

        /// <summary>Whether the first-layer kernel runs (the convolution's output gradient is never written).</summary>
        public bool FullyFused => !WantInput && Filters % 16 == 0 && K * K * C <= 32 && PoolStride == Pool && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
    }

    private static readonly Gen<FusionCase> Cases =
        from batch in Gen.Choose(1, 6)
        from c in Gen.Elements(1, 2, 3)
        from filters in Gen.Elements(3, 16, 32)
        from k in Gen.Choose(1, 3)
        from convStride in Gen.Choose(1, 2)
        from convSame in Gen.Elements(true, false)
        from activation in Gen.Elements(ActivationNames)
        from pool in Gen.Choose(1, 3)
        from overlap in Gen.Elements(true, false, false)
        from poolStride in overlap ? Gen.Choose(1, 3) : Gen.Constant(pool)
        from poolSame in Gen.Elements(true, false)
        from h in Gen.Choose(k + 2 * pool, 10)
        from w in Gen.Choose(k + 2 * pool, 10)
        from wantInput in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue - 1)
        select new FusionCase(batch, h, w, c, filters, k, convStride, convSame, activation, pool, poolStride, poolSame, wantInput, seed);

    /// <summary>Counts the backward passes each layer reports.</summary>
    private sealed class Recorder : ILayerProfiler
    {
        public Dictionary<string, int> Backward { get; } = [];

        public Dictionary<string, int> Forward { get; } = [];

        public void Record(Layer layer, string phase, double seconds)
        {
            var counts = phase == "backward" ? Backward : Forward;
            counts[layer.Name] = counts.GetValueOrDefault(layer.Name) + 1;
        }
    }

    [Property(MaxTest = 80)]
    public Property Backward_through_a_convolution_and_its_max_pooling_equals_the_two_layers_run_apart() =>
        Prop.ForAll(Cases.ToArbitrary(), t =>
        {
            var rng = new Random(t.Seed);
            var conv = new Conv2D(t.Filters, (t.K, t.K), (t.ConvStride, t.ConvStride), t.ConvSame ? "same" : "valid", t.Activation) { Id = new LayerId(2), Name = "conv" }
                with { Params = EquatableArray.Of(RandomTensor(rng, [t.K, t.K, t.C, t.Filters], -0.8, 0.8), RandomTensor(rng, [t.Filters], -0.3, 0.3)) };
            var pool = new MaxPooling2D((t.Pool, t.Pool), (t.PoolStride, t.PoolStride), t.PoolSame ? "same" : "valid") { Id = new LayerId(3), Name = "pool" };
            var input = new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(1), Name = "x" };
            var model = Model.Sequential(input, [conv, pool], "fusion", new LayerId(99), seed: 0);
            if (ExecutionPlan.Of(model).Steps is not [{ Layer: Conv2DMaxPool }]) return false.Label("the plan did not fuse the pair");
            var x = RandomTensor(rng, [t.Batch, t.H, t.W, t.C]);

            // Apart: each layer's ForwardTrain and Backward, the pooling's input gradient handed to the convolution.
            var context = new ForwardContext(Managed, new TensorPool(), Training: true);
            var z = Tensor.Zeros(conv.OutputShapes([x.Shape])[0].ToArray());
            var convSaved = conv.ForwardTrain(context, [x], [z]);
            var y = Tensor.Zeros(pool.OutputShapes([z.Shape])[0].ToArray());
            var poolSaved = pool.ForwardTrain(context, [z], [y]);
            var dy = RandomTensor(rng, y.Shape.ToArray());
            var dz = Tensor.Zeros(z.Shape.ToArray());
            pool.Backward(context, new BackwardArgs { Inputs = [z], Outputs = [y], Saved = poolSaved, OutputGrads = [Tensor.FromArray(dy.ToArray(), dy.Shape.ToArray())], InputGrads = [dz], ParamGrads = [] });
            var dx = t.WantInput ? Tensor.Zeros(x.Shape.ToArray()) : null;
            var dW = Tensor.Zeros(conv.Params[0].Shape.ToArray());
            var db = Tensor.Zeros(t.Filters);
            conv.Backward(context, new BackwardArgs { Inputs = [x], Outputs = [z], Saved = convSaved, OutputGrads = [dz], InputGrads = [dx], ParamGrads = [dW, db] });

            // Together: the trainer's backward pass over the model.
            var recorder = new Recorder();
            using var tape = Backprop.Forward(model, [x], context with { Profiler = recorder });
            var fusedOut = tape.Outputs[0];
            if (!fusedOut.Span.SequenceEqual(y.Span)) return false.Label("the forward passes differ");
            using var gradients = new Gradients(context.Pool);
            var fusedDx = Backprop.Backward(tape, [dy], gradients, [t.WantInput])[0];
            var grads = gradients.Of(conv.Id)!;

            string? Differs(string what, Tensor expected, Tensor? actual)
            {
                if (actual is null) return $"{what}: no gradient";
                for (int i = 0; i < expected.Length; i++)
                    if (Math.Abs(expected.Span[i] - actual.Span[i]) > 1e-4 * Math.Max(1, Math.Abs(expected.Span[i])))
                        return $"{what}[{i}]: apart {expected.Span[i]}, fused {actual.Span[i]}";
                return null;
            }
            var failure = Differs("dW", dW, grads[0]) ?? Differs("db", db, grads[1]) ?? (t.WantInput ? Differs("dX", dx!, fusedDx) : null);
            if (failure is not null) return false.Label(failure);
            if (!t.WantInput && fusedDx is not null) return false.Label("an input gradient nobody asked for");
            // Where the first-layer kernel applies, the pooling's own backward pass does not run; where
            // the batch splits over the threads, the convolution runs inside the pooling's forward pass.
            bool poolRan = recorder.Backward.ContainsKey("pool"), poolForward = recorder.Forward.ContainsKey("pool");
            bool pointwise = t.K == 1 && t.ConvStride == 1; // multiplied straight, without the implicit-GEMM kernel
            bool forwardFused = t.Activation != "swish" && !pointwise && t.Batch >= 2 * context.Threads && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated;
            return (poolRan != (t.FullyFused && t.Activation != "swish")).Label($"pool backward ran: {poolRan}")
                .And((poolForward != forwardFused).Label($"pool forward ran: {poolForward}"));
        });

    /// <summary>
    /// The same at inference, through <see cref="Executor.Run"/>, bit for bit. The convolution reads
    /// an intermediate tensor (a tanh in front), whose buffer must stay held until the pooling has
    /// run: a sigmoid of the input, called between the convolution and the pooling, rents a buffer
    /// of the same size and would take it.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property Inference_through_a_convolution_and_its_max_pooling_equals_the_two_layers_run_apart() =>
        Prop.ForAll(Cases.ToArbitrary(), t =>
        {
            var rng = new Random(t.Seed);
            var squash = new Activation("tanh") { Id = new LayerId(4), Name = "squash" };
            var conv = new Conv2D(t.Filters, (t.K, t.K), (t.ConvStride, t.ConvStride), t.ConvSame ? "same" : "valid", t.Activation) { Id = new LayerId(2), Name = "conv" }
                with { Params = EquatableArray.Of(RandomTensor(rng, [t.K, t.K, t.C, t.Filters], -0.8, 0.8), RandomTensor(rng, [t.Filters], -0.3, 0.3)) };
            var pool = new MaxPooling2D((t.Pool, t.Pool), (t.PoolStride, t.PoolStride), t.PoolSame ? "same" : "valid") { Id = new LayerId(3), Name = "pool" };
            var input = new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(1), Name = "x" };
            var (graph, image) = Core.Graph.Empty(0).AddInput(input);
            (graph, var squashed) = graph.Call(squash, [image], 0);
            (graph, var convolved) = graph.Call(conv, [squashed[0]], 0);
            (graph, var side) = graph.Call(new Activation("sigmoid") { Id = new LayerId(5), Name = "side" }, [image], 0);
            (graph, var pooled) = graph.Call(pool, [convolved[0]], 0);
            var model = Model.Functional(graph, [image], [pooled[0], side[0]], "fusion", new LayerId(99));
            if (ExecutionPlan.Of(model).Fusions.Length != 1) return false.Label("the plan did not fuse the pair");
            var x = RandomTensor(rng, [t.Batch, t.H, t.W, t.C]);
            var context = new ForwardContext(Managed, new TensorPool());
            var s = Tensor.Zeros(x.Shape.ToArray());
            squash.Forward(context, [x], [s]);
            var z = Tensor.Zeros(conv.OutputShapes([x.Shape])[0].ToArray());
            conv.Forward(context, [s], [z]);
            var y = Tensor.Zeros(pool.OutputShapes([z.Shape])[0].ToArray());
            pool.Forward(context, [z], [y]);
            for (int run = 0; run < 2; run++) // the second run takes its buffers from the pool the first filled
            {
                var outputs = Executor.Run(model, [x], context);
                bool same = outputs[0].Span.SequenceEqual(y.Span);
                foreach (var o in outputs) o.Dispose();
                if (!same) return false.Label($"run {run}: the outputs differ");
            }
            return true.ToProperty();
        });
}
