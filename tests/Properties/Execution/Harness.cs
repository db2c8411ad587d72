using DeepGraph.Core;
using DeepGraph.Numerics;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// A one-layer forward case: the layer (weights set), the full input shapes (batch first), the
/// seed of the input values and the float64 reference of the output.
/// </summary>
/// <param name="Label">What the case is, printed when it fails.</param>
/// <param name="Layer">The layer record, built (weights set) when it has weights.</param>
/// <param name="Inputs">The input shapes, batch included.</param>
/// <param name="DataSeed">Seed of the input values.</param>
/// <param name="Reference">The expected output from the inputs (widened to float64).</param>
/// <param name="Data">How input values are drawn; null for uniform in [−1, 1].</param>
/// <param name="Tolerance">Relative tolerance: |got − want| ≤ Tolerance · max(1, |want|).</param>
public sealed record LayerCase(string Label, Layer Layer, int[][] Inputs, int DataSeed, Func<Nd[], Nd> Reference,
    Func<Random, int, float[]>? Data = null, double Tolerance = 1e-4)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Label} inputs={string.Join(" ", Inputs.Select(s => "[" + string.Join(",", s) + "]"))} seed={DataSeed}";
}

/// <summary>
/// Builds one-layer Core models, runs them on the given GEMMs and compares with the reference.
/// Each test runs once on <see cref="Harness.ManagedOnly"/> and once, as a separate test skipped
/// when no native BLAS loads, on <see cref="Harness.NativeOrFail"/>.
/// </summary>
public static class Harness
{
    /// <summary>The managed GEMM these tests use.</summary>
    public static readonly IGemm Managed = new ManagedGemm(2);

    /// <summary>The managed half of a test: the managed kernel on two threads.</summary>
    public static IReadOnlyList<IGemm> ManagedOnly => [Managed];

    /// <summary>
    /// The native half of a test (marked NativeFact/NativeTheory/NativeProperty): every native CBLAS
    /// that loads, or an exception saying why none does when one is required.
    /// </summary>
    public static IReadOnlyList<IGemm> NativeOrFail => Properties.Numerics.Backends.NativeOrFail;

    /// <summary>The id every tested layer gets; input layers are 1, 2, 3 and the model 99.</summary>
    public static readonly LayerId LayerUnderTest = new(50);

    /// <summary>Uniform values in [lo, hi).</summary>
    public static float[] Uniform(Random rng, int count, double lo = -1, double hi = 1)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++) data[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return data;
    }

    /// <summary>Widens floats.</summary>
    public static double[] Wide(Tensor t) => [.. t.ToArray().Select(v => (double)v)];

    /// <summary>A random tensor of <paramref name="shape"/>, uniform in [lo, hi).</summary>
    public static Tensor RandomTensor(Random rng, int[] shape, double lo = -1, double hi = 1) =>
        Tensor.FromArray(Uniform(rng, shape.Aggregate(1, (p, d) => p * d), lo, hi), shape);

    /// <summary>
    /// The model <c>in0, in1, … → layer → out</c>: inputs of shapes <paramref name="inputs"/>
    /// without their batch (the model takes any batch).
    /// </summary>
    public static Core.Model OneLayer(Layer layer, IEnumerable<int[]> inputs, int seed = 7)
    {
        var graph = Core.Graph.Empty(Core.Model.ModelScope);
        var refs = new List<TensorRef>();
        int i = 0;
        foreach (var shape in inputs)
        {
            (graph, var t) = graph.AddInput(new InputLayer(Shape.Batched(shape[1..])) { Id = new LayerId(1 + i), Name = $"in{i}" });
            refs.Add(t);
            i++;
        }
        var (called, outs) = graph.Call(layer, refs, seed);
        return Core.Model.Functional(called, refs, outs, "m", new LayerId(99));
    }

    /// <summary>
    /// A pool that hands out NaN-filled buffers of these lengths first (two of each), so a kernel
    /// that leaves part of its output (or of its workspace) unwritten shows up as NaN.
    /// </summary>
    public static TensorPool Poisoned(IEnumerable<int> lengths)
    {
        var pool = new TensorPool();
        foreach (int length in lengths.Distinct())
            for (int copy = 0; copy < 2; copy++)
            {
                var a = new float[length];
                Array.Fill(a, float.NaN);
                pool.Return(a);
            }
        return pool;
    }

    /// <summary>The lengths a layer's forward pass rents: its output and, for Conv2D, the im2col tile.</summary>
    private static IEnumerable<int> Rented(Layer layer, Shape[] inputs)
    {
        foreach (var s in layer.OutputShapes(inputs)) yield return (int)s.Product()!.Value;
        if (layer is Conv2D conv)
        {
            var g = Window2D.Of(inputs[0], conv.KernelSize, conv.Strides, conv.DilationRate, conv.Padding);
            yield return Math.Clamp(Conv2D.Im2ColBudget / g.PatchSize, 1, g.Rows) * g.PatchSize;
        }
    }

    /// <summary>
    /// Where <paramref name="got"/> and <paramref name="want"/> differ (shape, or a value beyond
    /// tolerance · max(1, |want|)), or null when they agree.
    /// </summary>
    public static string? Compare(Tensor got, Nd want, double tolerance)
    {
        if (!got.Shape.ToArray().SequenceEqual(want.Shape))
            return $"shape {got.Shape}, reference [{string.Join(",", want.Shape)}]";
        var g = got.Span;
        for (int i = 0; i < g.Length; i++)
        {
            double w = want.Data[i];
            if (!(Math.Abs(g[i] - w) <= tolerance * Math.Max(1, Math.Abs(w))))
                return $"at [{string.Join(",", want.Index(i))}] got {g[i]:R}, reference {w:R} (diff {Math.Abs(g[i] - w):G3})";
        }
        return null;
    }

    /// <summary>The inputs of a case: fresh float tensors from its data seed.</summary>
    public static Tensor[] InputsOf(LayerCase c)
    {
        var rng = new Random(c.DataSeed);
        return [.. c.Inputs.Select(s =>
        {
            int count = s.Aggregate(1, (p, d) => p * d);
            return Tensor.FromArray(c.Data is null ? Uniform(rng, count) : c.Data(rng, count), s);
        })];
    }

    /// <summary>
    /// Runs the case's one-layer model on each of <paramref name="gemms"/> (from a poisoned pool) and checks: the output
    /// shape is what <see cref="Layer.OutputShapes"/> infers for the concrete inputs and for the
    /// model's symbolic inputs (batch filled in), the values are the reference's, and the inputs
    /// are unchanged. Returns the failure, or null.
    /// </summary>
    public static string? Check(LayerCase c, IReadOnlyList<IGemm> gemms)
    {
        var model = OneLayer(c.Layer, c.Inputs);
        var inputs = InputsOf(c);
        var before = inputs.Select(t => t.ToArray()).ToArray();
        var want = c.Reference([.. inputs.Select(Nd.From)]);
        var shapes = inputs.Select(t => t.Shape).ToArray();
        var inferred = c.Layer.OutputShapes(shapes)[0];
        var symbolic = model.OutputShapesOfModel[0];
        // Each GEMM, and convolutions both through the implicit-GEMM kernel (where the CPU has it) and through im2col + GEMM.
        foreach (var (gemm, im2colOnly) in gemms.SelectMany(g => new[] { (g, false), (g, true) }))
        {
            var results = Executor.Run(model, inputs, new ForwardContext(gemm, Poisoned(Rented(c.Layer, shapes)), Im2ColOnly: im2colOnly));
            if (results.Length != 1) return $"{gemm.Name}: {results.Length} outputs";
            var got = results[0];
            if (got.Shape != inferred) return $"{gemm.Name}: forward shape {got.Shape}, OutputShapes says {inferred}";
            if (symbolic.WithBatch(got.Shape[0]) != got.Shape) return $"{gemm.Name}: forward shape {got.Shape}, model's symbolic shape {symbolic}";
            if (Compare(got, want, c.Tolerance) is { } failure) return $"{gemm.Name}: {failure}";
            for (int i = 0; i < inputs.Length; i++)
                if (!inputs[i].ToArray().SequenceEqual(before[i])) return $"{gemm.Name}: input {i} was modified";
        }
        return null;
    }
}
