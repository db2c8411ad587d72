using System.Collections.Concurrent;

namespace DeepGraph;

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

    /// <summary>A tensor of <paramref name="shape"/> (fully known) over a rented buffer.</summary>
    /// <exception cref="InsufficientMemoryException">The tensor would hold more than <see cref="TensorLimits.MaxElements"/> values; nothing is allocated.</exception>
    public Tensor RentTensor(Shape shape) => RentTensor(shape, DType.Float32);

    /// <summary>A tensor of <paramref name="shape"/> (fully known) and <paramref name="dtype"/> over a rented buffer.</summary>
    /// <exception cref="InsufficientMemoryException">The tensor would hold more than <see cref="TensorLimits.MaxElements"/> values; nothing is allocated.</exception>
    public Tensor RentTensor(Shape shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(shape);
        TensorLimits.CheckAllocation("A tensor", shape);
        return Tensor.Own(Rent((int)shape.Product()!.Value), shape, dtype);
    }
}
