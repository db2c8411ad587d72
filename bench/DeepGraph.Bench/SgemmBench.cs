using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepGraph.Numerics;

namespace DeepGraph.Bench;

/// <summary>
/// sgemm: OpenBLAS called directly (its own P/Invoke declaration: the peer), DeepGraph's
/// <see cref="CblasGemm"/> over the same OpenBLAS, and <see cref="ManagedGemm"/>, on the issue's
/// shapes, 2 threads each, in one run. ManagedGemm is timed in its own block after a
/// pause, so that the spinning worker threads of the previous one (OpenBLAS's or the .NET thread
/// pool's) have gone to sleep and do not steal one of the two cores; (a) and (b), the same
/// library, are sampled in alternation.
/// </summary>
internal static unsafe class SgemmBench
{
    private const string OpenBlas = "libopenblas.so.0";

    [DllImport(OpenBlas, EntryPoint = "cblas_sgemm")]
    private static extern void PeerSgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [DllImport(OpenBlas, EntryPoint = "openblas_set_num_threads")]
    private static extern void PeerSetThreads(int threads);

    [DllImport(OpenBlas, EntryPoint = "openblas_get_config")]
    private static extern nint PeerConfig();

    [DllImport(OpenBlas, EntryPoint = "openblas_get_corename")]
    private static extern nint PeerCore();

    private sealed record Case(string Name, int M, int K, int N, bool TransA = false, bool TransB = false);

    private static readonly Case[] Cases =
    [
        new("square n=256", 256, 256, 256),
        new("square n=1024", 1024, 1024, 1024),
        new("square n=2048", 2048, 2048, 2048),
        new("Dense 128×784×128", 128, 784, 128),
        new("Dense 128×9216×128", 128, 9216, 128),
        new("Dense 128×128×10", 128, 128, 10),
        // Beyond the list: the transposed products of Dense's backward pass and a
        // transposed square, to show the packing absorbs the transposes.
        new("dW = Xᵀ·dY (Aᵀ)", 784, 128, 128, TransA: true),
        new("dX = dY·Wᵀ (Bᵀ)", 128, 128, 784, TransB: true),
        new("square n=1024, Aᵀ·Bᵀ", 1024, 1024, 1024, TransA: true, TransB: true),
        // Dense at batch 1 to 13: fewer rows than one 14-row register tile, the bottom edge only.
        new("Dense m=1×1600×10", 1, 1600, 10),
        new("Dense m=2×1600×10", 2, 1600, 10),
        new("Dense m=5×1600×10", 5, 1600, 10),
        new("Dense m=13×1600×10", 13, 1600, 10),
        new("Dense m=1×784×128", 1, 784, 128),
        new("Dense m=2×784×128", 2, 784, 128),
        new("Dense m=5×784×128", 5, 784, 128),
        new("Dense m=13×784×128", 13, 784, 128),
    ];

    public static int Run(string[] args)
    {
        const int Threads = 2;
        bool quick = args.Contains("--quick");
        int rounds = quick ? 5 : 15;

        PeerSetThreads(Threads);
        if (!CblasGemm.TryLoad("openblas", out var native, out string reason))
        {
            Console.Error.WriteLine($"OpenBLAS not loadable: {reason}");
            return 1;
        }
        native!.TrySetThreadCount(Threads);
        var managed = new ManagedGemm(Threads);

        Console.WriteLine($"# sgemm, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"machine: {CpuModel()}, {Environment.ProcessorCount} cores; {RuntimeInformation.FrameworkDescription}");
        Console.WriteLine($"peer: {Marshal.PtrToStringAnsi(PeerConfig())} (core {Marshal.PtrToStringAnsi(PeerCore())}), {Threads} threads");
        Console.WriteLine($"(b) {native.Name}, (c) {managed.Name}, DOP {managed.DegreeOfParallelism}; medians of {rounds} samples, each ≥ 20 ms of calls after warm-up; load average before: {LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| case | m×k×n | (a) OpenBLAS direct | (b) CblasGemm(OpenBLAS) | (c) ManagedGemm | speed (b)/(a) | speed (c)/(a) | max rel. diff (c) vs (a) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");

        foreach (var cs in Cases)
        {
            int m = cs.M, k = cs.K, n = cs.N;
            bool ta = cs.TransA, tb = cs.TransB;
            int lda = ta ? m : k, ldb = tb ? k : n;
            var rng = new Random(42);
            float[] a = Fill(rng, m * k), b = Fill(rng, k * n);
            float[] cPeer = new float[m * n], cNative = new float[m * n], cManaged = new float[m * n];
            double flops = 2.0 * m * n * k;

            void Peer()
            {
                fixed (float* pa = a, pb = b, pc = cPeer)
                    PeerSgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, 1f, pa, lda, pb, ldb, 0f, pc, n);
            }
            void Native() => native.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, cNative, n);
            void Managed() => managed.Sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, cManaged, n);

            // (a) and (b) call the same library: alternate them. (c) gets a block of its own,
            // after a pause, so OpenBLAS's spinning workers are asleep by then.
            double[] ab = Medians(rounds, Peer, Native);
            double tPeer = ab[0], tNative = ab[1], tManaged = Medians(rounds, Managed)[0];
            double diff = MaxRelDiff(cManaged, cPeer);
            Console.WriteLine($"| {cs.Name} | {m}×{k}×{n} | {Fmt(tPeer, flops)} | {Fmt(tNative, flops)} | {Fmt(tManaged, flops)} | " +
                $"{tPeer / tNative:F2} | {tPeer / tManaged:F2} | {diff:E1} |");
        }
        Console.WriteLine();
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static string Fmt(double seconds, double flops) =>
        seconds >= 1e-3 ? $"{seconds * 1e3:F2} ms, {flops / seconds / 1e9:F0} GFLOP/s" : $"{seconds * 1e6:F1} µs, {flops / seconds / 1e9:F0} GFLOP/s";

    /// <summary>
    /// Median seconds per call of each of <paramref name="calls"/>, sampled in alternation (so that
    /// a drift of the machine hits all alike): pause, warm up, size each sample to ≥ 20 ms of
    /// calls, then take <paramref name="rounds"/> samples of each.
    /// </summary>
    private static double[] Medians(int rounds, params Action[] calls)
    {
        Thread.Sleep(400);
        var iterations = new int[calls.Length];
        var sw = new Stopwatch();
        for (int c = 0; c < calls.Length; c++)
        {
            sw.Restart();
            int warm = 0;
            while (warm < 3 || sw.Elapsed.TotalMilliseconds < 200) { calls[c](); warm++; }
            iterations[c] = Math.Max(1, (int)Math.Ceiling(0.02 / (sw.Elapsed.TotalSeconds / warm)));
        }
        var samples = new double[calls.Length][];
        for (int c = 0; c < calls.Length; c++) samples[c] = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            for (int c = 0; c < calls.Length; c++)
            {
                sw.Restart();
                for (int i = 0; i < iterations[c]; i++) calls[c]();
                samples[c][r] = sw.Elapsed.TotalSeconds / iterations[c];
            }
        }
        return samples.Select(x => { Array.Sort(x); return x[rounds / 2]; }).ToArray();
    }

    private static float[] Fill(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static double MaxRelDiff(float[] x, float[] reference)
    {
        double scale = 0, diff = 0;
        for (int i = 0; i < x.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(reference[i]));
            diff = Math.Max(diff, Math.Abs(x[i] - reference[i]));
        }
        return scale == 0 ? diff : diff / scale;
    }

    /// <summary>The 1/5/15-minute load averages: other work on the machine shows here.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
