using DeepGraph.Keras;
using TorchSharp;

namespace DeepGraph.Bench;

/// <summary>
/// One training step of a MobileNet-style block (issue 13) at batch 64 on 32×32×32 images:
/// DepthwiseConv2D(3×3, same, no bias) → BatchNormalization → ReLU6 → Conv2D(64, 1×1) →
/// GlobalAveragePooling2D → Dense(10, softmax), sparse categorical cross-entropy, Adam; DeepGraph
/// against TorchSharp channels-last (the same block: a grouped Conv2d with groups = channels,
/// BatchNorm2d with Keras's epsilon and momentum, ReLU6, a 1×1 Conv2d, adaptive average pooling,
/// Linear(10) with cross_entropy on the logits), alternating in one process.
/// </summary>
internal static class MobileNetBench
{
    private const int Batch = 64, Size = 32, Channels = 32, Filters = 64, Classes = 10;

    public static int Run(string[] args)
    {
        if (args.Contains("--cpu")) return CpuTime(args.Contains("--quick") ? 20 : 60);
        TorchPeer.Init();
        var x = SideBySide.Random(Batch * Size * Size * Channels, 21);
        var rng = new Random(22);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
        var dg = DeepGraphBlock(x, labels);
        var peer = new TorchBlock(x, labels);
        var variants = new List<TrainBench.Variant>
        {
            new("DeepGraph", "deepgraph", dg.Step),
            new($"TorchSharp, channels-last (runs {peer.Layout()})", "torch", peer.Step),
        };
        string loadBefore = TrainBench.LoadAverage();
        var ms = TrainBench.TimeAlternating(variants, rounds: args.Contains("--quick") ? 20 : 100, block: 5);
        string loadAfter = TrainBench.LoadAverage();
        Console.WriteLine($"# MobileNet-style block, one training step at batch {Batch} on {Size}x{Size}x{Channels} (forward, sparse CE loss, backward, Adam)");
        Console.WriteLine($"DeepGraph: {Backend.BlasReport}");
        Console.WriteLine($"TorchSharp: {torch.get_num_threads()} threads; load average before {loadBefore}, after {loadAfter}");
        Console.WriteLine("| variant | ms per step (median) | min | loss: first step → last |");
        Console.WriteLine("| --- | ---: | ---: | --- |");
        for (int i = 0; i < variants.Count; i++)
            Console.WriteLine($"| {variants[i].Name} | {ms[i].Median:F2} | {ms[i].Min:F2} | {variants[i].FirstLoss:F3} → {variants[i].LastLoss:F3} |");
        Console.WriteLine($"ratio DeepGraph / TorchSharp channels-last: time {ms[0].Median / ms[1].Median:F2}");
        TrainBench.PrintDeepGraphBreakdown(dg.Model, dg.X, dg.Y, new DeepGraph.Core.SparseCategoricalCrossentropy());
        return 0;
    }

    /// <summary>
    /// <c>mobilenet --cpu</c>: both libraries on one thread (DeepGraph's Core step with the managed GEMM on one
    /// thread, libtorch with <c>set_num_threads(1)</c>), each step timed by the calling thread's CPU time
    /// (CLOCK_THREAD_CPUTIME_ID) rather than the wall clock: on a machine shared with other jobs, the time a step
    /// waits for a core is not counted. Medians over <paramref name="steps"/> steps after warm-up, alternating.
    /// </summary>
    private static int CpuTime(int steps)
    {
        TorchPeer.Init();
        torch.set_num_threads(1);
        var x = SideBySide.Random(Batch * Size * Size * Channels, 21);
        var rng = new Random(22);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
        var dg = DeepGraphBlock(x, labels);
        var peer = new TorchBlock(x, labels);
        var model = DeepGraph.Core.Trainer.CopyWeights(dg.Model.CoreModel);
        var config = DeepGraph.Core.TrainingConfig.Of(new DeepGraph.Core.Adam(), new DeepGraph.Core.SparseCategoricalCrossentropy());
        var context = new DeepGraph.Core.ForwardContext(new DeepGraph.Numerics.ManagedGemm(1), new TensorPool(), Training: true, Parallelism: 1);
        var state = DeepGraph.Core.OptimizerState.Initial;
        int seed = 0;
        void Ours() => (model, state, _) = DeepGraph.Core.Trainer.Step(model, state, [dg.X], [dg.Y], config, context with { Seed = seed++ }, donate: true);
        void Theirs() => peer.Step();
        for (int i = 0; i < 5; i++)
        {
            Ours();
            Theirs();
        }
        var ours = new List<double>();
        var theirs = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            ours.Add(ThreadCpuMs(Ours));
            theirs.Add(ThreadCpuMs(Theirs));
        }
        double a = SideBySide.Median([.. ours]), b = SideBySide.Median([.. theirs]);
        if (Environment.GetEnvironmentVariable("MOBILENET_TORCH_OPS") == "1") peer.PrintForwardOps();
        Console.WriteLine($"# MobileNet-style block, one training step at batch {Batch}, ONE thread each, thread CPU time (median of {steps})");
        Console.WriteLine($"load average {TrainBench.LoadAverage()}");
        Console.WriteLine($"| DeepGraph (Core step, managed GEMM, 1 thread) | {a:F2} ms |");
        Console.WriteLine($"| TorchSharp channels-last, 1 thread | {b:F2} ms |");
        Console.WriteLine($"ratio DeepGraph / TorchSharp (CPU time, one thread): {a / b:F2}");
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>The calling thread's CPU time, in ms, spent in <paramref name="run"/>.</summary>
    private static double ThreadCpuMs(Action run)
    {
        const int ThreadCpuTime = 3;
        ClockGetTime(ThreadCpuTime, out var t0);
        run();
        ClockGetTime(ThreadCpuTime, out var t1);
        return (t1.Seconds - t0.Seconds) * 1e3 + (t1.Nanoseconds - t0.Nanoseconds) / 1e6;
    }

    private sealed record Block(Model Model, Tensor X, Tensor Y)
    {
        public float Step() => (float)Model.TrainOnBatch(X, Y);
    }

    private static Block DeepGraphBlock(float[] nhwc, int[] labels)
    {
        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var input = Layers.Input(shape: [Size, Size, Channels]);
        var h = Layers.DepthwiseConv2D(3, padding: "same", useBias: false).Call(input);
        h = Layers.BatchNormalization().Call(h);
        h = Layers.Activation("relu6").Call(h);
        h = Layers.Conv2D(Filters, 1).Call(h);
        h = Layers.GlobalAveragePooling2D().Call(h);
        var output = Layers.Dense(Classes, activation: "softmax").Call(h);
        var model = new Model(input, output, name: "mobilenet_block");
        model.Compile(optimizer: Optimizers.Adam(learningRate: 0.001), loss: "sparse_categorical_crossentropy");
        return new Block(model, Tensor.FromArray(nhwc, [Batch, Size, Size, Channels]), Tensor.FromArray([.. labels.Select(l => (float)l)], [Batch, 1]));
    }

    /// <summary>The block in TorchSharp, channels-last (input, weights and so every activation), 2 threads.</summary>
    private sealed class TorchBlock
    {
        private readonly torch.nn.Module<torch.Tensor, torch.Tensor> model;
        private readonly torch.optim.Optimizer optimizer;
        private readonly torch.Tensor x, y;

        public TorchBlock(float[] nhwc, int[] labels)
        {
            torch.manual_seed(1);
            var depthwise = torch.nn.Conv2d(Channels, Channels, 3, padding: 1, groups: Channels, bias: false);
            var pointwise = torch.nn.Conv2d(Channels, Filters, 1);
            foreach (var conv in new[] { depthwise, pointwise })
                using (torch.no_grad())
                    conv.weight = new TorchSharp.Modules.Parameter(conv.weight!.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).detach());
            model = torch.nn.Sequential(
                ("depthwise", depthwise),
                ("bn", torch.nn.BatchNorm2d(Channels, eps: 1e-3, momentum: 0.01)),
                ("relu6", torch.nn.ReLU6()),
                ("pointwise", pointwise),
                ("pool", torch.nn.AdaptiveAvgPool2d(1)),
                ("flatten", torch.nn.Flatten()),
                ("dense", torch.nn.Linear(Filters, Classes)));
            model.train();
            optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7);
            x = TorchPeer.ChannelsLast(nhwc, Batch, Size, Size, Channels);
            y = torch.tensor(labels.Select(l => (long)l).ToArray());
        }

        /// <summary>The memory format libtorch runs each convolution in (<see cref="TorchPeer.ConvLayout"/>).</summary>
        public string Layout() => TorchPeer.ConvLayout(model, x);

        /// <summary>Diagnostics: each module's forward alone (no autograd), thread CPU time, median of 15.</summary>
        public void PrintForwardOps()
        {
            using var noGrad = torch.no_grad();
            var t = x;
            foreach (var (name, m) in ((TorchSharp.Modules.Sequential)model).named_children())
            {
                var module = (torch.nn.Module<torch.Tensor, torch.Tensor>)m;
                var input = t;
                var times = Enumerable.Range(0, 15).Select(_ => ThreadCpuMs(() => { using var s = torch.NewDisposeScope(); module.call(input); })).ToArray();
                Console.WriteLine($"torch forward {name}: {SideBySide.Median(times):F2} ms");
                t = module.call(input);
            }
        }

        public float Step()
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad(set_to_none: true);
            var loss = torch.nn.functional.cross_entropy(model.forward(x), y);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
    }
}
