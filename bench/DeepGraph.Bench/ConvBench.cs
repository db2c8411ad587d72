using DeepGraph.Keras;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepGraph.Bench;

/// <summary>Conv2D forward, DeepGraph against TorchSharp (channels-last, 2 threads), same weights and inputs.</summary>
internal static class ConvBench
{
    private sealed record Case(string Name, int Batch, int H, int W, int Cin, int Cout, int K, string Padding, string Activation);

    private static readonly Case[] Cases =
    [
        new("MNIST layer 1: 128×28×28×1 → 32@3×3", 128, 28, 28, 1, 32, 3, "valid", "relu"),
        new("MNIST layer 2: 128×13×13×32 → 64@3×3", 128, 13, 13, 32, 64, 3, "valid", "relu"),
        new("CIFAR: 64×32×32×3 → 64@3×3 same", 64, 32, 32, 3, 64, 3, "same", "relu"),
        new("tutorial layer 1: 2×224×224×3 → 100@5×5", 2, 224, 224, 3, 100, 5, "valid", "tanh"),
        new("tutorial layer 2: 2×220×220×100 → 50@5×5", 2, 220, 220, 100, 50, 5, "valid", "tanh"),
    ];

    public static int Run(string[] args)
    {
        TorchPeer.Init();
        Console.WriteLine($"# Conv2D forward ({Backend.BlasReport})");
        Console.WriteLine("| shape | DeepGraph ms | TorchSharp ms | ratio (DG/TS) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var c in Cases)
        {
            Backend.ClearSession();
            var input = Layers.Input(shape: [c.H, c.W, c.Cin]);
            var layer = Layers.Conv2D(c.Cout, c.K, padding: c.Padding, activation: c.Activation);
            var model = new Model(input, layer.Call(input));
            var kernel = layer.Weights[0].Value.ToArray();
            var bias = SideBySide.Random(c.Cout, 2);
            var x = SideBySide.Random(c.Batch * c.H * c.W * c.Cin, 1);
            var dgX = Tensor.FromArray(x, [c.Batch, c.H, c.W, c.Cin]);
            var conv = TorchPeer.Conv(kernel, bias, c.K, c.K, c.Cin, c.Cout, 1, c.Padding == "same");
            var tx = TorchPeer.ChannelsLast(x, c.Batch, c.H, c.W, c.Cin);
            Func<torch.Tensor, torch.Tensor> act = c.Activation == "tanh" ? t => torch.tanh(t) : t => torch.nn.functional.relu(t);
            bool big = c.H > 100;
            var (ours, peer) = SideBySide.Time(
                () => { foreach (var y in model.Predict(dgX, c.Batch)) y.Dispose(); },
                () => { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); act(conv.forward(tx)); },
                warmup: big ? 1 : 5, rounds: big ? 5 : 30, block: big ? 1 : 5);
            Console.WriteLine($"| {c.Name} | {ours:F2} | {peer:F2} | {ours / peer:F2} |");
        }
        return 0;
    }
}
