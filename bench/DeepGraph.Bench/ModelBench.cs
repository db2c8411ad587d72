using System.Diagnostics;
using DeepGraph.Keras;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepGraph.Bench;

/// <summary>Whole-model inference, DeepGraph against TorchSharp: the Keras MNIST convnet and the tutorial's s_model.</summary>
internal static class ModelBench
{
    /// <summary>The Keras MNIST convnet: Conv 32 → MaxPool → Conv 64 → MaxPool → Flatten → Dropout → Dense 10 softmax.</summary>
    public static Sequential MnistConvnet() => new([
        Layers.Conv2D(32, 3, activation: "relu", inputShape: [28, 28, 1]),
        Layers.MaxPooling2D(2),
        Layers.Conv2D(64, 3, activation: "relu"),
        Layers.MaxPooling2D(2),
        Layers.Flatten(),
        Layers.Dropout(0.5),
        Layers.Dense(10, activation: "softmax"),
    ], name: "mnist_convnet");

    private sealed class TorchMnist(Model dg)
    {
        private readonly TorchSharp.Modules.Conv2d c1 = Conv(dg.Layers[0]), c2 = Conv(dg.Layers[2]);
        private readonly TorchSharp.Modules.Linear fc = Linear(dg.Layers[6]);

        public torch.Tensor Forward(torch.Tensor x)
        {
            using var a = torch.nn.functional.relu(c1.forward(x));
            using var b = torch.nn.functional.max_pool2d(a, 2);
            using var c = torch.nn.functional.relu(c2.forward(b));
            using var d = torch.nn.functional.max_pool2d(c, 2);
            using var e = d.permute(0, 2, 3, 1).flatten(1); // NHWC order, as Keras flattens; no copy for channels-last memory
            using var f = fc.forward(e);
            return torch.nn.functional.softmax(f, 1);
        }
    }

    internal static TorchSharp.Modules.Conv2d Conv(Layer layer)
    {
        var k = layer.Weights[0].Value;
        var s = k.Shape.ToArray();
        return TorchPeer.Conv(k.ToArray(), layer.Weights[1].Value.ToArray(), s[0], s[1], s[2], s[3], 1, false);
    }

    internal static TorchSharp.Modules.Linear Linear(Layer layer)
    {
        var k = layer.Weights[0].Value;
        var s = k.Shape.ToArray();
        var linear = nn.Linear(s[0], s[1]);
        using (torch.no_grad())
        {
            linear.weight = new TorchSharp.Modules.Parameter(torch.tensor(k.ToArray(), [s[0], s[1]]).t().contiguous());
            linear.bias = new TorchSharp.Modules.Parameter(torch.tensor(layer.Weights[1].Value.ToArray()));
        }
        return linear;
    }

    public static int Mnist(string[] args)
    {
        TorchPeer.Init();
        Backend.ClearSession();
        var model = MnistConvnet();
        var peer = new TorchMnist(model);
        Console.WriteLine($"# MNIST convnet inference ({Backend.BlasReport})");
        Console.WriteLine("| batch | DeepGraph ms | TorchSharp ms | ratio (DG/TS) |");
        Console.WriteLine("| ---: | ---: | ---: | ---: |");
        foreach (int batch in new[] { 128, 1 })
        {
            var x = SideBySide.Random(batch * 28 * 28, 7);
            var dgX = Tensor.FromArray(x, [batch, 28, 28, 1]);
            var tx = TorchPeer.ChannelsLast(x, batch, 28, 28, 1);
            var (ours, theirs) = SideBySide.Time(
                () => { foreach (var y in model.Predict(dgX, batch)) y.Dispose(); },
                () => { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); peer.Forward(tx); },
                warmup: 20, rounds: batch == 1 ? 400 : 60);
            Console.WriteLine($"| {batch} | {ours:F3} | {theirs:F3} | {ours / theirs:F2} |");
        }
        return 0;
    }

    /// <summary>The tutorial's s_model.</summary>
    public static Sequential SModel() => new([
        Layers.Conv2D(100, 5, activation: "tanh", name: "first_layer", inputShape: [224, 224, 3]),
        Layers.Conv2D(50, 5, activation: "tanh", name: "second_layer"),
        Layers.Conv2D(32, 5, activation: "tanh", name: "third_layer"),
        Layers.Flatten(name: "flatten_layer"),
        Layers.Dense(64, activation: "relu", name: "fifthy_layer"),
        Layers.Dense(1, activation: "sigmoid", name: "output_layer"),
    ], name: "s_model");

    private sealed class TorchSModel
    {
        private readonly TorchSharp.Modules.Conv2d c1, c2, c3;
        private readonly TorchSharp.Modules.Linear d1, d2;

        /// <summary>With DeepGraph's weights, for timing the same numbers.</summary>
        public TorchSModel(Model dg)
        {
            (c1, c2, c3) = (Conv(dg.Layers[0]), Conv(dg.Layers[1]), Conv(dg.Layers[2]));
            (d1, d2) = (Linear(dg.Layers[4]), Linear(dg.Layers[5]));
        }

        /// <summary>With TorchSharp's own initial weights (channels-last), for measuring TorchSharp's memory alone.</summary>
        public TorchSModel()
        {
            (c1, c2, c3) = (Fresh(3, 100), Fresh(100, 50), Fresh(50, 32));
            (d1, d2) = (nn.Linear(212 * 212 * 32, 64), nn.Linear(64, 1));
        }

        private static TorchSharp.Modules.Conv2d Fresh(int cin, int cout)
        {
            var conv = nn.Conv2d(cin, cout, 5);
            using (torch.no_grad())
                conv.weight = new TorchSharp.Modules.Parameter(conv.weight!.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2));
            return conv;
        }

        public torch.Tensor Forward(torch.Tensor x)
        {
            using var a = torch.tanh(c1.forward(x));
            using var b = torch.tanh(c2.forward(a));
            using var c = torch.tanh(c3.forward(b));
            using var e = c.permute(0, 2, 3, 1).flatten(1);
            using var f = torch.nn.functional.relu(d1.forward(e));
            using var g = d2.forward(f);
            return torch.sigmoid(g);
        }
    }

    /// <summary>s_model forward at batch 2: time side by side here; peak RSS of each library in a process of its own.</summary>
    public static int SModelTime(string[] args)
    {
        TorchPeer.Init();
        Backend.ClearSession();
        var model = SModel();
        var peer = new TorchSModel(model);
        var x = SideBySide.Random(2 * 224 * 224 * 3, 3);
        var dgX = Tensor.FromArray(x, [2, 224, 224, 3]);
        var tx = TorchPeer.ChannelsLast(x, 2, 224, 224, 3);
        var (ours, theirs) = SideBySide.Time(
            () => { foreach (var y in model.Predict(dgX, 2)) y.Dispose(); },
            () => { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); peer.Forward(tx); },
            warmup: 1, rounds: 5, block: 1);
        double dgRss = Child("smodel-rss", "deepgraph"), tsRss = Child("smodel-rss", "torch");
        Console.WriteLine($"# s_model forward, batch 2 ({Backend.BlasReport})");
        Console.WriteLine("| | DeepGraph | TorchSharp | ratio (DG/TS) |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        Console.WriteLine($"| time, ms (median of 5) | {ours:F1} | {theirs:F1} | {ours / theirs:F2} |");
        Console.WriteLine($"| peak RSS, MB (own process: build + 3 forwards) | {dgRss:F0} | {tsRss:F0} | {dgRss / tsRss:F2} |");
        return 0;
    }

    /// <summary>Child process: builds s_model in one library only, runs 3 forwards, prints its peak RSS.</summary>
    public static int SModelRss(string[] args)
    {
        var x = SideBySide.Random(2 * 224 * 224 * 3, 3);
        if (args[0] == "deepgraph")
        {
            var model = SModel();
            var dgX = Tensor.FromArray(x, [2, 224, 224, 3]);
            for (int i = 0; i < 3; i++) foreach (var y in model.Predict(dgX, 2)) y.Dispose();
        }
        else
        {
            TorchPeer.Init();
            var peer = new TorchSModel();
            var tx = TorchPeer.ChannelsLast(x, 2, 224, 224, 3);
            for (int i = 0; i < 3; i++) { using var _ = torch.no_grad(); using var scope = torch.NewDisposeScope(); peer.Forward(tx); }
        }
        Console.WriteLine(SideBySide.PeakRssMb().ToString(System.Globalization.CultureInfo.InvariantCulture));
        return 0;
    }

    private static double Child(string mode, string which)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        if (!Environment.ProcessPath!.EndsWith("DeepGraph.Bench")) psi.ArgumentList.Add(typeof(ModelBench).Assembly.Location);
        psi.ArgumentList.Add(mode);
        psi.ArgumentList.Add(which);
        using var p = Process.Start(psi)!;
        var last = p.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        p.WaitForExit();
        return double.Parse(last, System.Globalization.CultureInfo.InvariantCulture);
    }
}
