using System.Diagnostics;
using System.Globalization;
using DeepGraph.Keras;
using TorchSharp;

namespace DeepGraph.Bench;

/// <summary>
/// One training step of the Keras MNIST convnet at batch 128 (forward, loss, backward, Adam
/// update), DeepGraph against TorchSharp, plus the peak memory of each in a process of its own.
/// </summary>
/// <remarks>
/// Loss: sparse categorical cross-entropy on integer labels on both sides. DeepGraph's model ends
/// in Dense(10, softmax) as Keras's does; the TorchSharp peer ends in a plain Linear(10) and takes
/// <c>cross_entropy</c> on the logits, which fuses the softmax into the loss (log-softmax + NLL):
/// the same function, and the idiomatic PyTorch way to write it.
/// Adam: learning rate 1e-3 with Keras's other defaults (β1 0.9, β2 0.999, ε 1e-7) on both sides.
/// Every step trains on the same batch of random data (fixed seeds), in training mode (dropout on).
/// </remarks>
internal static class TrainBench
{
    private const int Batch = 128;
    private const int Classes = 10;
    private const int RssSteps = 50;

    public static int Run(string[] args)
    {
        TorchPeer.Init();
        var (x, labels) = Data();
        var variants = new List<Variant>();
        var dg = DeepGraphStep.Build(x, labels);
        variants.Add(new("DeepGraph", "deepgraph", dg.Step));
        var channelsLast = new TorchStep(x, labels, channelsLast: true);
        var nchw = new TorchStep(x, labels, channelsLast: false);
        variants.Add(new($"TorchSharp, channels-last (runs {channelsLast.Layout()})", "torch", channelsLast.Step));
        variants.Add(new($"TorchSharp, NCHW (runs {nchw.Layout()})", "torch-nchw", nchw.Step));

        string loadBefore = LoadAverage();
        var ms = TimeAlternating(variants, rounds: 100, block: 5);
        string loadAfter = LoadAverage();
        var rss = variants.Select(v => Child("train-rss", v.RssArgument)).ToArray();

        Console.WriteLine($"# MNIST convnet, one training step at batch {Batch} (forward, sparse CE loss, backward, Adam)");
        Console.WriteLine($"DeepGraph: {Backend.BlasReport}");
        Console.WriteLine($"TorchSharp: {torch.get_num_threads()} threads; load average before {loadBefore}, after {loadAfter}");
        Console.WriteLine($"| variant | ms per step (median) | min | loss: first step → last | peak RSS, MB ({RssSteps} steps, own process) | of which before the model (runtime, library, data) |");
        Console.WriteLine("| --- | ---: | ---: | --- | ---: | ---: |");
        for (int i = 0; i < variants.Count; i++)
        {
            var v = variants[i];
            Console.WriteLine($"| {v.Name} | {ms[i].Median:F2} | {ms[i].Min:F2} | {v.FirstLoss:F3} → {v.LastLoss:F3} | {rss[i].Peak:F0} | {rss[i].Baseline:F0} |");
        }
        Console.WriteLine($"ratio DeepGraph / TorchSharp channels-last: time {ms[0].Median / ms[1].Median:F2}, peak RSS {rss[0].Peak / rss[1].Peak:F2}");
        Console.WriteLine($"ratio DeepGraph / TorchSharp NCHW: time {ms[0].Median / ms[2].Median:F2}, peak RSS {rss[0].Peak / rss[2].Peak:F2}");
        PrintDeepGraphBreakdown(dg.Model, dg.X, dg.Y, new DeepGraph.Core.SparseCategoricalCrossentropy());
        Console.WriteLine("A Conv2D whose only reader is a MaxPooling2D runs fused with it: the convolution's forward row includes the pooling");
        Console.WriteLine("(which then has no forward time), and so does a first layer's backward row; a later pooling's backward row includes");
        Console.WriteLine("the convolution's activation derivative.");
        return 0;
    }

    /// <summary>
    /// Child process: <c>train-rss torch|torch-nchw|deepgraph [steps]</c> runs that many training
    /// steps in one library only and prints two numbers: the peak RSS (VmHWM, MB) once the library
    /// and the data are loaded but before the model exists, and the peak RSS at the end.
    /// </summary>
    public static int Rss(string[] args)
    {
        string which = args.Length > 0 ? args[0] : "";
        int steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : RssSteps;
        var (x, labels) = Data();
        double baseline;
        switch (which)
        {
            case "torch":
            case "torch-nchw":
                baseline = TorchRss(x, labels, which == "torch", steps);
                break;
            case "deepgraph":
                baseline = DeepGraphRss(x, labels, steps);
                break;
            default:
                Console.Error.WriteLine("usage: DeepGraph.Bench train-rss torch|torch-nchw|deepgraph [steps]");
                return 2;
        }
        Console.WriteLine(FormattableString.Invariant($"{baseline} {SideBySide.PeakRssMb()}"));
        return 0;
    }

    // Separate methods, so that the DeepGraph child never loads TorchSharp (nor libtorch).
    private static double TorchRss(float[] x, int[] labels, bool channelsLast, int steps)
    {
        TorchPeer.Init();
        using (torch.NewDisposeScope()) torch.ones(1).add(1); // loads libtorch completely before the baseline
        double baseline = SideBySide.PeakRssMb();
        var step = new TorchStep(x, labels, channelsLast);
        for (int i = 0; i < steps; i++) step.Step();
        return baseline;
    }

    private static double DeepGraphRss(float[] x, int[] labels, int steps)
    {
        _ = Backend.Blas; // loads the BLAS before the baseline, as TorchRss loads libtorch
        double baseline = SideBySide.PeakRssMb();
        var step = DeepGraphStep.Build(x, labels);
        for (int i = 0; i < steps; i++) step.Step();
        return baseline;
    }

    /// <summary>The batch: inputs in [0, 1) like MNIST's scaled pixels, NHWC; labels 0..9.</summary>
    private static (float[] X, int[] Labels) Data()
    {
        var x = SideBySide.Random(Batch * 28 * 28, 11).Select(v => (v + 1) / 2).ToArray();
        var rng = new Random(12);
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(Classes)).ToArray();
        return (x, labels);
    }

    // ---------------------------------------------------------------- TorchSharp

    /// <summary>
    /// The convnet as a TorchSharp Sequential, at its best: 2 threads (TorchPeer.Init), a dispose
    /// scope per step, gradients set to none rather than zeroed (PyTorch's default for
    /// <c>optimizer.zero_grad()</c>; TorchSharp's optimizer.zero_grad() zeroes them, which measured
    /// the same within noise here). Channels-last: the input is an NCHW view of NHWC memory and
    /// the conv weights are stored (out, kh, kw, in), as in ConvBench and ModelBench, so libtorch
    /// keeps every activation and gradient channels-last; the flatten then takes the NHWC order
    /// (Keras's), which is a view and not a copy. NCHW: plain contiguous tensors and nn.Flatten.
    /// </summary>
    private sealed class TorchStep
    {
        private readonly torch.nn.Module<torch.Tensor, torch.Tensor> model;
        private readonly torch.optim.Optimizer optimizer;
        private readonly torch.Tensor x, y;

        public TorchStep(float[] nhwc, int[] labels, bool channelsLast)
        {
            torch.manual_seed(1);
            var conv1 = torch.nn.Conv2d(1, 32, 3);
            var conv2 = torch.nn.Conv2d(32, 64, 3);
            if (channelsLast)
            {
                MakeChannelsLast(conv1);
                MakeChannelsLast(conv2);
            }
            model = torch.nn.Sequential(
                ("conv1", conv1),
                ("relu1", torch.nn.ReLU()),
                ("pool1", torch.nn.MaxPool2d(2)),
                ("conv2", conv2),
                ("relu2", torch.nn.ReLU()),
                ("pool2", torch.nn.MaxPool2d(2)),
                ("flatten", channelsLast ? new NhwcFlatten() : torch.nn.Flatten()),
                ("dropout", torch.nn.Dropout(0.5)),
                ("dense", torch.nn.Linear(5 * 5 * 64, Classes)));
            model.train();
            optimizer = torch.optim.Adam(model.parameters(), lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7);
            x = channelsLast
                ? TorchPeer.ChannelsLast(nhwc, Batch, 28, 28, 1)
                // One channel: NHWC memory is NCHW memory. Not permute(0, 3, 1, 2).contiguous(): with
                // C = 1 that view already counts as contiguous, contiguous() returns it unchanged,
                // and libtorch reads its strides as channels-last and runs the whole net channels-last.
                : torch.tensor(nhwc, [Batch, 1, 28, 28]);
            y = torch.tensor(labels.Select(l => (long)l).ToArray());
        }

        /// <summary>
        /// Stores the weight (out, kh, kw, in). Unlike TorchPeer.Conv (inference) the parameter must be
        /// a leaf, not a view made under no_grad, or Adam's in-place update is refused: detach() gives
        /// a tensor of its own over the same channels-last memory.
        /// </summary>
        private static void MakeChannelsLast(TorchSharp.Modules.Conv2d conv)
        {
            using (torch.no_grad())
                conv.weight = new TorchSharp.Modules.Parameter(conv.weight!.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).detach());
        }

        /// <summary>
        /// The memory format libtorch actually runs in, read from the strides of the convolutions'
        /// outputs (a check, since libtorch infers the format from strides, silently).
        /// </summary>
        public string Layout() => TorchPeer.ConvLayout(model, x);

        /// <summary>zero_grad, forward, loss, backward, Adam step; returns the loss.</summary>
        public float Step()
        {
            using var scope = torch.NewDisposeScope();
            model.zero_grad(set_to_none: true);
            var logits = model.forward(x);
            var loss = torch.nn.functional.cross_entropy(logits, y);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
    }

    /// <summary>Flattens an NCHW view of channels-last memory in NHWC order: a view, no copy.</summary>
    private sealed class NhwcFlatten() : torch.nn.Module<torch.Tensor, torch.Tensor>("nhwc_flatten")
    {
        public override torch.Tensor forward(torch.Tensor input) => input.permute(0, 2, 3, 1).flatten(1);
    }

    // ---------------------------------------------------------------- DeepGraph
    /// <summary>The convnet built with DeepGraph's Keras facade, compiled with Adam and sparse categorical cross-entropy.</summary>
    private sealed class DeepGraphStep
    {
        private readonly Model model;
        private readonly Tensor x, y;

        private DeepGraphStep(Model model, Tensor x, Tensor y) => (this.model, this.x, this.y) = (model, x, y);

        public Model Model => model;

        public Tensor X => x;

        public Tensor Y => y;

        public static DeepGraphStep Build(float[] nhwc, int[] labels)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(1);
            var input = Layers.Input(shape: [28, 28, 1]);
            var h = Layers.Conv2D(32, 3, activation: "relu").Call(input);
            h = Layers.MaxPooling2D(2).Call(h);
            h = Layers.Conv2D(64, 3, activation: "relu").Call(h);
            h = Layers.MaxPooling2D(2).Call(h);
            h = Layers.Flatten().Call(h);
            h = Layers.Dropout(0.5).Call(h);
            var output = Layers.Dense(Classes, activation: "softmax").Call(h);
            var model = new Model(input, output, name: "mnist_convnet");
            model.Compile(optimizer: Optimizers.Adam(learningRate: 0.001), loss: "sparse_categorical_crossentropy");
            var x = Tensor.FromArray(nhwc, [Batch, 28, 28, 1]);
            var y = Tensor.FromArray(labels.Select(l => (float)l).ToArray(), [Batch, 1]);
            return new DeepGraphStep(model, x, y);
        }

        /// <summary>One <c>TrainOnBatch</c>: forward, loss, backward, Adam update; returns the loss.</summary>
        public float Step() => (float)model.TrainOnBatch(x, y);
    }

    /// <summary>
    /// Where DeepGraph's step goes: 60 steps of the pure Core step (what <c>Fit</c> runs, with its
    /// buffers donated) with a layer profiler; per layer the median forward and backward time, then
    /// the rest of the step (loss, optimizer update, bookkeeping) as the step's median less the layers'.
    /// </summary>
    internal static void PrintDeepGraphBreakdown(Model facadeModel, Tensor x, Tensor y, DeepGraph.Core.Loss loss)
    {
        PrintBreakdown(facadeModel, x, y, loss, warmup: 20, measured: 60);
        Console.WriteLine("A Conv2D whose only reader is a MaxPooling2D runs fused with it: the convolution's forward row includes the pooling");
        Console.WriteLine("(which then has no forward time), and so does a first layer's backward row; a later pooling's backward row includes");
        Console.WriteLine("the convolution's activation derivative.");
    }

    /// <summary>
    /// Runs <paramref name="warmup"/> then <paramref name="measured"/> steps of the pure Core step (what <c>Fit</c> runs,
    /// with its buffers donated, Adam) with a layer profiler, and prints per layer the median forward and backward time,
    /// then the rest of the step (loss, optimizer update, bookkeeping) as the step's median less the layers'.
    /// </summary>
    internal static void PrintBreakdown(Model facadeModel, Tensor x, Tensor y, DeepGraph.Core.Loss loss, int warmup, int measured)
    {
        var model = DeepGraph.Core.Trainer.CopyWeights(facadeModel.CoreModel);
        var config = DeepGraph.Core.TrainingConfig.Of(new DeepGraph.Core.Adam(), loss);
        var profile = new LayerProfile();
        var context = new DeepGraph.Core.ForwardContext(Backend.Blas, new TensorPool(), Training: true, Profiler: profile);
        var state = DeepGraph.Core.OptimizerState.Initial;
        var steps = new List<double>();
        for (int i = 0; i < warmup + measured; i++)
        {
            if (i == warmup) profile.Clear();
            long t0 = Stopwatch.GetTimestamp();
            (model, state, _) = DeepGraph.Core.Trainer.Step(model, state, [x], [y], config, context with { Seed = i }, donate: true);
            if (i >= warmup) steps.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double step = SideBySide.Median([.. steps]);
        Console.WriteLine();
        Console.WriteLine($"DeepGraph per-layer breakdown (Core step with donated buffers, median of {measured} steps: {step:F2} ms)");
        Console.WriteLine("| layer | forward ms | backward ms | share of the step |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        double layers = 0;
        foreach (var (layer, forward, backward) in profile.Rows())
        {
            layers += forward + backward;
            Console.WriteLine($"| {layer} | {forward:F3} | {backward:F3} | {(forward + backward) / step:P0} |");
        }
        Console.WriteLine($"| loss, Adam update, bookkeeping | | | {(step - layers) / step:P0} ({step - layers:F2} ms) |");
    }

    /// <summary>Collects each layer's forward and backward times.</summary>
    private sealed class LayerProfile : DeepGraph.Core.ILayerProfiler
    {
        private readonly Dictionary<string, (List<double> Forward, List<double> Backward)> times = [];
        private readonly List<string> order = [];

        public void Record(DeepGraph.Core.Layer layer, string phase, double seconds)
        {
            string key = $"{layer.Name} ({layer.ClassName})";
            if (!times.TryGetValue(key, out var t))
            {
                times[key] = t = ([], []);
                order.Add(key);
            }
            (phase == "forward" ? t.Forward : t.Backward).Add(seconds * 1000);
        }

        public void Clear()
        {
            foreach (var t in times.Values)
            {
                t.Forward.Clear();
                t.Backward.Clear();
            }
        }

        public IEnumerable<(string Layer, double Forward, double Backward)> Rows() =>
            order.Select(k => (k, Med(times[k].Forward), Med(times[k].Backward)));

        private static double Med(List<double> v) => v.Count == 0 ? 0 : SideBySide.Median([.. v]);
    }

    // ---------------------------------------------------------------- timing

    internal sealed class Variant(string name, string rssArgument, Func<float> step)
    {
        public string Name { get; } = name;
        public string RssArgument { get; } = rssArgument;
        public float FirstLoss { get; private set; } = float.NaN;
        public float LastLoss { get; private set; } = float.NaN;

        public void Step()
        {
            LastLoss = step();
            if (float.IsNaN(FirstLoss)) FirstLoss = LastLoss;
        }
    }

    /// <summary>
    /// Like <see cref="SideBySide.Time"/>, for any number of variants: each warms up for ≥ 1 s and
    /// ≥ 10 steps, then they take turns in blocks of <paramref name="block"/> timed steps, each block
    /// opened by an untimed step after a 300 ms pause; medians and minima over <paramref name="rounds"/> steps each.
    /// </summary>
    internal static (double Median, double Min)[] TimeAlternating(IReadOnlyList<Variant> variants, int rounds, int block)
    {
        foreach (var v in variants)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 10 || sw.ElapsedMilliseconds < 1000; i++) v.Step();
        }
        var samples = variants.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < rounds; r += block)
        {
            for (int k = 0; k < variants.Count; k++)
            {
                // Let the previous variant's worker threads go to sleep (libtorch's OpenMP threads spin
                // for a while after a parallel region and would take a core from the next variant).
                Thread.Sleep(300);
                variants[k].Step();
                for (int i = 0; i < block; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    variants[k].Step();
                    samples[k].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
            }
        }
        return [.. samples.Select(s => (SideBySide.Median([.. s]), s.Min()))];
    }

    internal static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>Runs <c>mode which</c> in a fresh process of this bench; returns its two numbers (baseline, peak RSS in MB).</summary>
    private static (double Baseline, double Peak) Child(string mode, string which)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (!Environment.ProcessPath!.EndsWith("DeepGraph.Bench")) psi.ArgumentList.Add(typeof(TrainBench).Assembly.Location);
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(which);
        using var p = Process.Start(psi)!;
        var last = p.StandardOutput.ReadToEnd().Trim().Split('\n')[^1].Split(' ');
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{mode} {which} exited with code {p.ExitCode}");
        return (double.Parse(last[0], CultureInfo.InvariantCulture), double.Parse(last[1], CultureInfo.InvariantCulture));
    }
}
