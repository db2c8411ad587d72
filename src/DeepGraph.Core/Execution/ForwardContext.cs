using System.Collections.Concurrent;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// A pool of float buffers keyed by exact length, so a model run many times reuses its
/// activation buffers instead of allocating them. Safe to share between threads. Rented
/// buffers are not cleared.
/// </summary>
public sealed class TensorPool
{
    private readonly ConcurrentDictionary<int, ConcurrentBag<float[]>> free = new();

    /// <summary>A buffer of exactly <paramref name="length"/> floats, with whatever values it last held.</summary>
    public float[] Rent(int length) =>
        free.TryGetValue(length, out var bag) && bag.TryTake(out var array) ? array : GC.AllocateUninitializedArray<float>(length);

    /// <summary>Gives <paramref name="array"/> back for reuse; the caller must not touch it again.</summary>
    public void Return(float[] array) => free.GetOrAdd(array.Length, _ => []).Add(array);

    /// <summary>A tensor of <paramref name="shape"/> over a rented buffer.</summary>
    public Tensor RentTensor(Shape shape) => Tensor.Own(Rent(checked((int)shape.Product()!.Value)), shape);
}

/// <summary>What a forward pass needs beyond its inputs: the GEMM to use, buffers, and whether it is training.</summary>
/// <param name="Gemm">The matrix multiply (native BLAS or managed).</param>
/// <param name="Pool">Where intermediate buffers come from and go back to.</param>
/// <param name="Training">True while training (Dropout drops, BatchNormalization uses batch statistics).</param>
/// <param name="Seed">The seed of this pass's randomness (Dropout masks).</param>
/// <param name="Parallelism">How many threads kernels that split their own work may use (0: one per core).</param>
/// <param name="Im2ColOnly">Convolutions always take im2col + GEMM, never the implicit-GEMM kernel (to test and compare the two).</param>
public sealed record ForwardContext(IGemm Gemm, TensorPool Pool, bool Training = false, int Seed = 0, int Parallelism = 0, bool Im2ColOnly = false)
{
    /// <summary><see cref="Parallelism"/> with 0 resolved to the number of cores.</summary>
    public int Threads => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}
