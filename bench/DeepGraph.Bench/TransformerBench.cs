using DeepGraph.Keras;
using TorchSharp;

namespace DeepGraph.Bench;

/// <summary>
/// One training step of a transformer encoder block (issue 13): self-attention MultiHeadAttention (4 heads,
/// key dim 32) with a residual and LayerNormalization, then a 2-layer feed-forward (128 → 512 → 128, relu)
/// with a residual and LayerNormalization (the post-norm block of Keras's text-classification example,
/// without dropout), at batch 32 and sequence 64, MSE against a fixed random target, Adam; DeepGraph
/// (TrainOnBatch) against TorchSharp (nn.MultiheadAttention on the (steps, batch) view, as its batch_first does, nn.LayerNorm, nn.Linear).
/// </summary>
internal static class TransformerBench
{
    private const int Batch = 32, Steps = 64, Width = 128, Heads = 4, KeyDim = 32, Hidden = 512;

    public static int Run(string[] args)
    {
        var x = SideBySide.Random(Batch * Steps * Width, 21);
        var target = SideBySide.Random(Batch * Steps * Width, 22);
        var dg = new DeepGraphBlock(x, target);
        if (args.Contains("--profile"))
        {
            // DeepGraph's per-layer breakdown alone (no TorchSharp loaded), for tuning.
            Breakdown(dg);
            return 0;
        }
        TorchPeer.Init();
        // --threads N: TorchSharp on N threads; run DeepGraph likewise with DOTNET_PROCESSOR_COUNT=N (its GEMM and
        // parallel loops size themselves from the processor count). One thread each is the fair comparison on a
        // machine busy with other work, where libtorch's spinning OpenMP workers lose most of their time slices.
        int at = Array.IndexOf(args, "--threads");
        if (at >= 0 && at + 1 < args.Length) torch.set_num_threads(int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture));
        string load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        var peer = new TorchBlock(x, target);
        float dgFirst = dg.Step(), peerFirst = peer.Step();
        var (ours, theirs) = SideBySide.Time(() => dg.Step(), () => peer.Step(), warmup: 10, rounds: args.Contains("--quick") ? 20 : 60);
        Console.WriteLine($"# Transformer encoder block, one training step at batch {Batch}, sequence {Steps} (MHA {Heads}×{KeyDim}, LayerNorm, FF {Width}→{Hidden}→{Width}, MSE, Adam)");
        Console.WriteLine($"DeepGraph: {Backend.BlasReport}, {Environment.ProcessorCount} processors; TorchSharp: {torch.get_num_threads()} threads; load average before {load}, after {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| variant | ms per step (median) | loss: first step → after timing |");
        Console.WriteLine("| --- | ---: | --- |");
        Console.WriteLine($"| DeepGraph | {ours:F2} | {dgFirst:F4} → {dg.Step():F4} |");
        Console.WriteLine($"| TorchSharp | {theirs:F2} | {peerFirst:F4} → {peer.Step():F4} |");
        Console.WriteLine($"ratio DeepGraph / TorchSharp: {ours / theirs:F2}");
        Breakdown(dg);
        return 0;
    }

    /// <summary>The block with DeepGraph's Keras facade.</summary>
    private sealed class DeepGraphBlock
    {
        public DeepGraphBlock(float[] x, float[] target)
        {
            Backend.ClearSession();
            Backend.SetRandomSeed(1);
            var input = Layers.Input(shape: [Steps, Width]);
            var attended = Layers.MultiHeadAttention(numHeads: Heads, keyDim: KeyDim).Call(input, input);
            var h = Layers.LayerNormalization().Call(Layers.Add().Call(input, attended));
            var ff = Layers.Dense(Hidden, activation: "relu").Call(h);
            ff = Layers.Dense(Width).Call(ff);
            var output = Layers.LayerNormalization().Call(Layers.Add().Call(h, ff));
            Model = new Model(input, output, name: "transformer_block");
            Model.Compile(optimizer: Optimizers.Adam(learningRate: 0.001), loss: "mse");
            X = Tensor.FromArray(x, [Batch, Steps, Width]);
            Y = Tensor.FromArray(target, [Batch, Steps, Width]);
        }

        public Model Model { get; }

        public Tensor X { get; }

        public Tensor Y { get; }

        public float Step() => (float)Model.TrainOnBatch(X, Y);
    }

    /// <summary>The same block in TorchSharp (LayerNorm's epsilon set to Keras's 1e-3).</summary>
    private sealed class TorchBlock
    {
        private readonly TorchSharp.Modules.MultiheadAttention attention;
        private readonly TorchSharp.Modules.LayerNorm norm1, norm2;
        private readonly TorchSharp.Modules.Linear dense1, dense2;
        private readonly torch.optim.Optimizer optimizer;
        private readonly torch.Tensor x, y;

        public TorchBlock(float[] input, float[] target)
        {
            torch.manual_seed(1);
            attention = torch.nn.MultiheadAttention(Width, Heads);
            norm1 = torch.nn.LayerNorm(Width, eps: 1e-3);
            norm2 = torch.nn.LayerNorm(Width, eps: 1e-3);
            dense1 = torch.nn.Linear(Width, Hidden);
            dense2 = torch.nn.Linear(Hidden, Width);
            var parameters = new[] { attention.parameters(), norm1.parameters(), norm2.parameters(), dense1.parameters(), dense2.parameters() }.SelectMany(p => p);
            optimizer = torch.optim.Adam(parameters, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7);
            x = torch.tensor(input, [Batch, Steps, Width]);
            y = torch.tensor(target, [Batch, Steps, Width]);
        }

        public float Step()
        {
            using var scope = torch.NewDisposeScope();
            optimizer.zero_grad();
            // TorchSharp 0.107 has no batch_first: the (steps, batch, features) view PyTorch's batch_first makes internally.
            var sequenceFirst = x.transpose(0, 1);
            var (attended, _) = attention.forward(sequenceFirst, sequenceFirst, sequenceFirst, null, false, null);
            attended = attended.transpose(0, 1);
            var h = norm1.forward(x + attended);
            var ff = dense2.forward(torch.nn.functional.relu(dense1.forward(h)));
            var output = norm2.forward(h + ff);
            var loss = torch.nn.functional.mse_loss(output, y);
            loss.backward();
            optimizer.step();
            return loss.item<float>();
        }
    }

    /// <summary>Where DeepGraph's step goes: per layer, the median forward and backward time over 40 Core steps.</summary>
    private static void Breakdown(DeepGraphBlock dg) =>
        TrainBench.PrintBreakdown(dg.Model, dg.X, dg.Y, new DeepGraph.Core.MeanSquaredError(), warmup: 20, measured: 40);
}
