using DeepGraph.Core;
using DeepGraph.Numerics;

namespace DeepGraph.Keras;

/// <summary>
/// The session that Keras keeps behind its layers: automatic names (<c>dense</c>, <c>dense_1</c>,
/// <c>input_1</c> …), the graph that symbolic tensors live in, and the seed stream that
/// initialises new layers. Keras's <c>keras.backend.clear_session()</c> is <see cref="ClearSession"/>.
/// </summary>
public static class Backend
{
    private static readonly Lock Gate = new();
    private static int sessions;
    private static Session current = new(++sessions, seed: 0);

    internal static Session Current
    {
        get { lock (Gate) return current; }
    }

    /// <summary>Starts a new session: automatic names count from the start again, and tensors of the old session can no longer be used to build layers or models.</summary>
    public static void ClearSession()
    {
        lock (Gate) current = new Session(++sessions, current.BaseSeed);
    }

    private static IGemm? gemm;
    private static string blasReport = "";

    /// <summary>
    /// The memory one layer call's outputs may take in Predict, Fit and Evaluate
    /// (<see cref="ForwardContext.MemoryBudget"/>): what the process has available now.
    /// </summary>
    internal static long MemoryBudget => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>
    /// The matrix multiply every model runs on. Chosen once, on first use: the environment
    /// variable <c>DEEPGRAPH_BLAS</c> (<c>mkl</c>, <c>openblas</c>, <c>blis</c> or <c>managed</c>) if set,
    /// else Intel MKL, OpenBLAS, BLIS, whichever loads first, else DeepGraph's managed kernel.
    /// The choice is written once to <see cref="Log"/>.
    /// </summary>
    public static IGemm Blas
    {
        get
        {
            lock (Gate)
            {
                if (gemm is null) ChooseLocked(log: true);
                return gemm!;
            }
        }
    }

    /// <summary>
    /// Which BLAS is in use and why (e.g. <c>BLAS: OpenBLAS (libopenblas.so.0); mkl: not found</c>).
    /// Asking for it before the first use chooses the BLAS without writing the choice to <see cref="Log"/>:
    /// the caller is about to show it.
    /// </summary>
    public static string BlasReport
    {
        get
        {
            lock (Gate)
            {
                if (gemm is null) ChooseLocked(log: false);
                return blasReport;
            }
        }
    }

    /// <summary>Chooses the BLAS: <c>mkl</c>, <c>openblas</c>, <c>blis</c>, <c>managed</c>, or null for the first that loads.</summary>
    /// <exception cref="ArgumentException">The library asked for cannot be loaded; the message says why.</exception>
    public static void UseBlas(string? kind)
    {
        lock (Gate) UseBlasLocked(kind);
    }

    /// <summary>The first choice: <c>DEEPGRAPH_BLAS</c> when set, else whichever loads first.</summary>
    private static void ChooseLocked(bool log) =>
        UseBlasLocked(Environment.GetEnvironmentVariable("DEEPGRAPH_BLAS") is { Length: > 0 } v ? v : null, log);

    private static void UseBlasLocked(string? kind, bool log = true)
    {
        gemm = DeepGraph.Numerics.Blas.Resolve(kind, out var report);
        blasReport = report;
        if (log) Log(report);
    }

    /// <summary>Where the library writes its few messages (the BLAS it chose); standard error by default.</summary>
    public static Action<string> Log { get; set; } = message => Console.Error.WriteLine(message);

    /// <summary>
    /// Sets the seed from which layers built from now on draw their initial weights (Keras's
    /// <c>keras.utils.set_random_seed</c>); the same seed and the same program give the same weights, bit for bit.
    /// The default seed is 0.
    /// </summary>
    public static void SetRandomSeed(int seed)
    {
        lock (Gate) current.Reseed(seed);
    }
}

/// <summary>One session's mutable state: the facade's, never Core's. Every member locks.</summary>
internal sealed class Session(int scope, int seed)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, int> nameCounts = [];
    private readonly Dictionary<LayerId, Layer> handles = [];
    private long nextLayerId;
    private int seedCounter;

    public int Scope { get; } = scope;

    public int BaseSeed { get; private set; } = seed;

    public Graph Graph { get; private set; } = Graph.Empty(scope);

    /// <summary>The next seed of the session's stream, for a training run (shuffling, dropout masks).</summary>
    public int DrawSeed()
    {
        lock (gate) return Seeds.Derive(BaseSeed, seedCounter++);
    }

    public void Reseed(int seed)
    {
        lock (gate) (BaseSeed, seedCounter) = (seed, 0);
    }

    /// <summary>Keras's <c>unique_object_name</c>: <c>prefix</c>, <c>prefix_1</c> … (zero-based) or <c>prefix_1</c>, <c>prefix_2</c> ….</summary>
    public string UniqueName(string prefix, bool zeroBased)
    {
        lock (gate)
        {
            int n = nameCounts.GetValueOrDefault(prefix);
            nameCounts[prefix] = n + 1;
            return zeroBased && n == 0 ? prefix : $"{prefix}_{(zeroBased ? n : n + 1)}";
        }
    }

    public LayerId NewLayerId()
    {
        lock (gate) return new LayerId(++nextLayerId);
    }

    public void Register(Layer handle)
    {
        lock (gate) handles[handle.Record.Id] = handle;
    }

    public Layer HandleOf(LayerId id)
    {
        lock (gate) return handles[id];
    }

    /// <summary>Calls <paramref name="record"/> on <paramref name="inputs"/> in the session graph (with a fixed training mode, or null); on error the graph is unchanged.</summary>
    public (Core.Layer Built, IReadOnlyList<TensorRef> Outputs) Call(Core.Layer record, IReadOnlyList<TensorRef> inputs, bool? training = null)
    {
        lock (gate)
        {
            var (graph, outputs) = Graph.Call(record, inputs, Seeds.Derive(BaseSeed, seedCounter), training);
            seedCounter++;
            Graph = graph;
            return (graph.Layers[record.Id], outputs);
        }
    }

    /// <summary>
    /// Keras's number for session node <paramref name="node"/> among its layer's calls: calls
    /// are numbered per layer across every model of the session, and a model called as a layer
    /// counts its own internal call as 0.
    /// </summary>
    public int KerasNodeIndex(int node) => Graph.CallIndex(node);

    /// <summary>Keras's text for a tensor of this session.</summary>
    public string Describe(TensorRef t)
    {
        var graph = Graph;
        return KerasTensor.Format(graph.ShapeOf(t), graph.DTypeOf(t), graph.LayerOf(t).Name);
    }
}
