using System.Diagnostics;

namespace DeepGraph.Bench;

/// <summary>Times two implementations of one job in the same process, alternating, and reports medians.</summary>
internal static class SideBySide
{
    /// <summary>
    /// Median milliseconds of <paramref name="ours"/> and <paramref name="peer"/> after warm-up,
    /// measured in alternating blocks of <paramref name="block"/> calls (so each library's
    /// threads and caches settle, and neither always runs right after the other's).
    /// </summary>
    public static (double Ours, double Peer) Time(Action ours, Action peer, int warmup, int rounds, int block = 5)
    {
        // Warm-up: at least `warmup` calls and one second each, so that .NET's tiered JIT has
        // promoted DeepGraph's code to its final form (TorchSharp's kernels are native and need none).
        foreach (var run in new[] { ours, peer })
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < warmup || sw.ElapsedMilliseconds < 1000; i++) run();
        }
        var a = new List<double>();
        var b = new List<double>();
        for (int r = 0; r < rounds; r += block)
        {
            // A 300 ms pause and one untimed call open each block: the other library's threads must
            // have gone quiet before this one is timed (libtorch's OpenMP workers spin for a while
            // after a parallel region and take a core from whatever runs next: without the pause a
            // 0.4 ms convolution measured 1.6 ms).
            Thread.Sleep(300);
            ours();
            for (int i = 0; i < block; i++) a.Add(Ms(ours));
            Thread.Sleep(300);
            peer();
            for (int i = 0; i < block; i++) b.Add(Ms(peer));
        }
        return (Median([.. a]), Median([.. b]));
    }

    private static double Ms(Action run)
    {
        var sw = Stopwatch.StartNew();
        run();
        return sw.Elapsed.TotalMilliseconds;
    }

    public static double Median(double[] xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Peak resident set size of this process (VmHWM), in MB.</summary>
    public static double PeakRssMb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
    }

    /// <summary>Random values in [-1, 1) from a seed.</summary>
    public static float[] Random(int length, int seed)
    {
        var rng = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
