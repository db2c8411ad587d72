using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>What a forward pass needs beyond its inputs: the GEMM to use, buffers, and whether it is training.</summary>
/// <param name="Gemm">The matrix multiply (native BLAS or managed).</param>
/// <param name="Pool">Where intermediate buffers come from and go back to.</param>
/// <param name="Training">True while training (Dropout drops, BatchNormalization uses batch statistics).</param>
/// <param name="Seed">The seed of this pass's randomness (Dropout masks).</param>
/// <param name="Parallelism">How many threads kernels that split their own work may use (0: one per core).</param>
/// <param name="Im2ColOnly">Convolutions always take im2col + GEMM, never the implicit-GEMM kernel (to test and compare the two).</param>
/// <param name="Frozen">
/// True inside a model whose <c>Trainable</c> flag is off: layers that behave differently in
/// training by their own trainability (BatchNormalization, which Keras runs in inference mode
/// when frozen) behave as frozen. Dropout is not affected.
/// </param>
/// <param name="Profiler">When set, the trainer reports how long each layer call's forward and backward pass took.</param>
/// <param name="MemoryBudget">
/// The most bytes one layer call's outputs may take (the memory the caller has: the facade passes
/// the memory available to the process). A call whose outputs would exceed it, or whose tensor
/// exceeds <see cref="TensorLimits.MaxElements"/> values, is refused before anything is allocated.
/// </param>
public sealed record ForwardContext(IGemm Gemm, TensorPool Pool, bool Training = false, int Seed = 0, int Parallelism = 0, bool Im2ColOnly = false, bool Frozen = false,
    ILayerProfiler? Profiler = null, long MemoryBudget = long.MaxValue)
{
    /// <summary>
    /// The masks carried beside the step's inputs (Keras's <c>_keras_mask</c>), one per input in argument
    /// order, null where an input carries none; empty when none does. A mask is a bool tensor of the input's
    /// leading axes (batch, steps): true where the step is real, false where it is padding. The walkers set
    /// this per step from what the layers before computed (<see cref="Layer.ComputeMask"/>).
    /// </summary>
    public IReadOnlyList<Tensor?> InputMasks { get; init; } = [];

    /// <summary>The mask of input <paramref name="index"/>, or null when it carries none.</summary>
    public Tensor? MaskOf(int index) => index < InputMasks.Count ? InputMasks[index] : null;

    /// <summary>
    /// Refuses, before they are allocated, the outputs <paramref name="shapes"/> of a call of
    /// <paramref name="layer"/> when one holds more than <see cref="TensorLimits.MaxElements"/> values
    /// or together they take more than <see cref="MemoryBudget"/> bytes.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The message names the layer, the shape and the size in bytes.</exception>
    public void CheckOutputs(Layer layer, IReadOnlyList<Shape> shapes)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(shapes);
        long total = 0;
        foreach (var shape in shapes)
        {
            string what = $"The output of layer \"{layer.Name}\" ({layer.ClassName})";
            TensorLimits.CheckAllocation(what, shape, MemoryBudget);
            total += TensorLimits.Bytes(shape.Product()!.Value);
            if (total > MemoryBudget)
                throw new InsufficientMemoryException($"The outputs of layer \"{layer.Name}\" ({layer.ClassName}), of shapes {string.Join(", ", shapes)}, would take {total:N0} bytes together, more than the memory available ({MemoryBudget:N0} bytes). Use a smaller batch.");
        }
    }

    /// <summary><see cref="Parallelism"/> with 0 resolved to the number of cores.</summary>
    public int Threads => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}

/// <summary>Receives the time each layer call took in a training step (for per-layer breakdowns).</summary>
public interface ILayerProfiler
{
    /// <summary>Layer <paramref name="layer"/>'s <paramref name="phase"/> (<c>forward</c> or <c>backward</c>) took <paramref name="seconds"/>.</summary>
    void Record(Layer layer, string phase, double seconds);
}
