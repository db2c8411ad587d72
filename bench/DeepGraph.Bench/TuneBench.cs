using System.Diagnostics;
using System.Runtime.InteropServices;
using DeepGraph.Numerics;

namespace DeepGraph.Bench;

internal static unsafe class TuneBench
{
    [DllImport("libopenblas.so.0", EntryPoint = "cblas_sgemm")]
    private static extern void PeerSgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
    [DllImport("libopenblas.so.0", EntryPoint = "openblas_set_num_threads")]
    private static extern void PeerSetThreads(int threads);

    public static int Run(string[] args)
    {
        int threads = int.Parse(args[0]);
        bool peer = args.Contains("peer");
        PeerSetThreads(threads);
        var managed = new ManagedGemm(threads);
        foreach (var (m, k, n) in new[] { (1024, 1024, 1024), (2048, 2048, 2048), (128, 784, 128), (128, 9216, 128), (128, 128, 10), (256, 256, 256) })
        {
            var rng = new Random(1);
            float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
            for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
            for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
            double best(Action f) { var sw = new Stopwatch(); var ts = new List<double>(); var total = Stopwatch.StartNew(); while (total.ElapsedMilliseconds < 600 || ts.Count < 5) { sw.Restart(); f(); ts.Add(sw.Elapsed.TotalSeconds); } ts.Sort(); return ts[ts.Count / 2]; }
            double f = 2.0 * m * n * k;
            double tm = best(() => managed.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n));
            string line = $"{m}x{k}x{n}: managed {f / tm / 1e9:F1} GFLOP/s";
            if (peer)
            {
                Thread.Sleep(300);
                double tp = best(() => { fixed (float* pa = a, pb = b, pc = c) PeerSgemm(101, 111, 111, m, n, k, 1f, pa, k, pb, n, 0f, pc, n); });
                line += $"  openblas {f / tp / 1e9:F1}  ratio {tp / tm:F2}";
                Thread.Sleep(300);
            }
            Console.WriteLine(line);
        }
        return 0;
    }
}
