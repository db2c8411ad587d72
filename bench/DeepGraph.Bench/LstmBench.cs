using System.Diagnostics;
using DeepGraph.Keras;
using TorchSharp;

namespace DeepGraph.Bench;

/// <summary>
/// Issue 13's LSTM text classifier: Embedding(20000, 128) → LSTM(128) → Dense(1, sigmoid), batch 64, sequence 200.
/// One training step (forward, binary cross-entropy, backward, Adam) and one inference pass, DeepGraph against
/// TorchSharp's nn.LSTM (batch-first, 2 threads), timed alternating in one process; then DeepGraph's per-layer times.
/// </summary>
/// <remarks>
/// TorchSharp's peer ends in Linear(1) and takes <c>binary_cross_entropy_with_logits</c> (the sigmoid fused into the
/// loss, PyTorch's idiom); its LSTM output's last step is the classifier's input, as Keras's LSTM returns it. Adam:
/// learning rate 1e-3, β 0.9/0.999, ε 1e-7 on both sides. PyTorch's LSTM has two biases per gate (b_ih, b_hh), Keras
/// one: the same function with 512 more parameters.
/// </remarks>
internal static class LstmBench
{
    private const int Batch = 64, Steps = 200, Vocabulary = 20000, Width = 128;

    public static int Run(string[] args)
    {
        TorchPeer.Init();
        int rounds = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0]) : 30;
        // --threads N: TorchSharp on N threads; run DeepGraph likewise with DOTNET_PROCESSOR_COUNT=N (and OPENBLAS_NUM_THREADS=N),
        // as the transformer bench does: one thread each is the fair comparison on a machine busy with other work.
        int at = Array.IndexOf(args, "--threads");
        if (at >= 0 && at + 1 < args.Length) torch.set_num_threads(int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture));
        var rng = new Random(5);
        var ids = Enumerable.Range(0, Batch * Steps).Select(_ => rng.Next(Vocabulary)).ToArray();
        var labels = Enumerable.Range(0, Batch).Select(_ => rng.Next(2)).ToArray();

        Backend.ClearSession();
        Backend.SetRandomSeed(1);
        var input = Layers.Input(shape: [Steps]);
        var h = Layers.Embedding(Vocabulary, Width).Call(input);
        h = Layers.LSTM(Width).Call(h);
        var output = Layers.Dense(1, activation: "sigmoid").Call(h);
        var model = new Model(input, output, name: "lstm_text_classifier");
        model.Compile(optimizer: Optimizers.Adam(learningRate: 0.001), loss: "binary_crossentropy");
        var x = Tensor.FromArray(ids.Select(i => (float)i).ToArray(), [Batch, Steps]);
        var y = Tensor.FromArray(labels.Select(l => (float)l).ToArray(), [Batch, 1]);

        var peer = new TorchLstm(ids, labels);
        float ourLoss = 0, peerLoss = 0;
        var (trainOurs, trainPeer) = SideBySide.Time(() => ourLoss = (float)model.TrainOnBatch(x, y), () => peerLoss = peer.Step(), warmup: 3, rounds: rounds);
        var (inferOurs, inferPeer) = SideBySide.Time(() => model.Predict(x, batchSize: Batch), peer.Infer, warmup: 3, rounds: rounds);

        Console.WriteLine($"# LSTM text classifier: Embedding({Vocabulary}, {Width}) → LSTM({Width}) → Dense(1, sigmoid), batch {Batch}, sequence {Steps}");
        Console.WriteLine($"DeepGraph: {Backend.BlasReport}, {Environment.ProcessorCount} processors; TorchSharp: {torch.get_num_threads()} threads; load average {string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))}");
        Console.WriteLine("| | DeepGraph ms (median) | TorchSharp ms (median) | ratio |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        Console.WriteLine($"| training step (Adam) | {trainOurs:F1} | {trainPeer:F1} | {trainOurs / trainPeer:F2} |");
        Console.WriteLine($"| inference | {inferOurs:F1} | {inferPeer:F1} | {inferOurs / inferPeer:F2} |");
        Console.WriteLine($"last losses: DeepGraph {ourLoss:F4}, TorchSharp {peerLoss:F4}");
        Breakdown(model, x, y);
        return 0;
    }

    /// <summary>DeepGraph's step per layer (forward, backward) over 20 Core steps.</summary>
    private static void Breakdown(Model model, Tensor x, Tensor y)
    {
        var core = DeepGraph.Core.Trainer.CopyWeights(model.CoreModel);
        var config = DeepGraph.Core.TrainingConfig.Of(new DeepGraph.Core.Adam(), new DeepGraph.Core.BinaryCrossentropy());
        var profile = new Profile();
        var context = new DeepGraph.Core.ForwardContext(Backend.Blas, new TensorPool(), Training: true, Profiler: profile);
        var state = DeepGraph.Core.OptimizerState.Initial;
        var steps = new List<double>();
        for (int i = 0; i < 25; i++)
        {
            if (i == 5) profile.Times.Clear();
            long t0 = Stopwatch.GetTimestamp();
            (core, state, _) = DeepGraph.Core.Trainer.Step(core, state, [x], [y], config, context with { Seed = i }, donate: true);
            if (i >= 5) steps.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        // The same pure step without donated buffers (what TrainOnBatch runs): new weight and optimizer-state tensors each step.
        var pure = new List<double>();
        for (int i = 0; i < 15; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            (core, state, _) = DeepGraph.Core.Trainer.Step(core, state, [x], [y], config, context with { Seed = i, Profiler = null });
            if (i >= 5) pure.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        Console.WriteLine();
        Console.WriteLine($"DeepGraph Core step without donated buffers (as TrainOnBatch), median of 10: {SideBySide.Median([.. pure]):F1} ms");
        Console.WriteLine($"DeepGraph per layer (Core step with donated buffers, median of 20: {SideBySide.Median([.. steps]):F1} ms)");
        Console.WriteLine("| layer | forward ms | backward ms |");
        Console.WriteLine("| --- | ---: | ---: |");
        foreach (var (key, t) in profile.Times)
            Console.WriteLine($"| {key} | {Med(t.Forward):F2} | {Med(t.Backward):F2} |");
    }

    private static double Med(List<double> v) => v.Count == 0 ? 0 : SideBySide.Median([.. v]);

    private sealed class Profile : DeepGraph.Core.ILayerProfiler
    {
        public Dictionary<string, (List<double> Forward, List<double> Backward)> Times { get; } = [];

        public void Record(DeepGraph.Core.Layer layer, string phase, double seconds)
        {
            string key = $"{layer.Name} ({layer.ClassName})";
            if (!Times.TryGetValue(key, out var t)) Times[key] = t = ([], []);
            (phase == "forward" ? t.Forward : t.Backward).Add(seconds * 1000);
        }
    }

    /// <summary>The same classifier in TorchSharp: nn.Embedding, nn.LSTM (batch first), nn.Linear, BCE with logits, Adam.</summary>
    private sealed class TorchLstm
    {
        private readonly TorchSharp.Modules.Embedding embedding = torch.nn.Embedding(Vocabulary, Width);
        private readonly TorchSharp.Modules.LSTM lstm = torch.nn.LSTM(Width, Width, batchFirst: true);
        private readonly TorchSharp.Modules.Linear dense = torch.nn.Linear(Width, 1);
        private readonly torch.optim.Optimizer optimizer;
        private readonly torch.Tensor x, y;

        public TorchLstm(int[] ids, int[] labels)
        {
            torch.manual_seed(1);
            x = torch.tensor(ids.Select(i => (long)i).ToArray(), [Batch, Steps]);
            y = torch.tensor(labels.Select(l => (float)l).ToArray(), [Batch, 1]);
            var parameters = embedding.parameters().Concat(lstm.parameters()).Concat(dense.parameters());
            optimizer = torch.optim.Adam(parameters, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7);
        }

        private torch.Tensor Logits()
        {
            var (sequence, _, _) = lstm.call(embedding.call(x), null);
            return dense.call(sequence.select(1, Steps - 1));
        }

        public float Step()
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            var loss = torch.nn.functional.binary_cross_entropy_with_logits(Logits(), y);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }

        public void Infer()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            torch.sigmoid(Logits()).data<float>();
        }
    }
}
