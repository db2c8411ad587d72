using System.Runtime.InteropServices;

namespace DeepGraph;

/// <summary>
/// A dense float32 tensor: row-major, channels-last (NHWC) as in Keras. Immutable to users:
/// <see cref="FromArray"/> copies its input and <see cref="ToArray"/> returns a copy.
/// Two tensors are equal when their shapes and every value's bits are equal.
/// A tensor a model returns may be disposed (<c>using var y = …</c>) to give its memory back to
/// the model for its next call; a disposed tensor cannot be read. Disposing any other tensor does nothing.
/// </summary>
/// <example><code>var x = Tensor.FromArray(new float[2 * 3], [2, 3]);</code></example>
public sealed class Tensor : IEquatable<Tensor>, IDisposable
{
    private readonly float[] data;
    private TensorPool? owner;

    private Tensor(float[] data, Shape shape)
    {
        this.data = data;
        Shape = shape;
    }

    /// <summary>The tensor's dimensions (all known).</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length => data.Length;

    /// <summary>A tensor holding a copy of <paramref name="data"/> with shape <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public static Tensor FromArray(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var s = Shape.Known(shape);
        if (s.Product() != data.Length)
            throw new ArgumentException($"Tensor data has {data.Length} values but shape {s} needs {s.Product()}.", nameof(data));
        return new Tensor((float[])data.Clone(), s);
    }

    /// <summary>Takes ownership of <paramref name="data"/> without copying; for code that has just made the array.</summary>
    internal static Tensor Own(float[] data, Shape shape)
    {
        if (!shape.IsFullyKnown || shape.Product() != data.Length)
            throw new ArgumentException($"Tensor data has {data.Length} values but shape {shape} needs {shape.Product()}.", nameof(data));
        return new Tensor(data, shape);
    }

    /// <summary>
    /// A tensor that has a shape but holds no values (its <see cref="Length"/> is 0): the output of
    /// a call the trainer fused into its only reader, which never writes it.
    /// </summary>
    internal static Tensor Unwritten(Shape shape) => new([], shape);

    /// <summary>A tensor of zeros.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    /// <exception cref="InsufficientMemoryException">The tensor would hold more than <see cref="TensorLimits.MaxElements"/> values; the message gives its size in bytes.</exception>
    public static Tensor Zeros(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var s = Shape.Known(shape);
        TensorLimits.CheckAllocation("A tensor", s);
        return new Tensor(new float[(int)s.Product()!.Value], s);
    }

    /// <summary>A tensor with every value equal to <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException">A dimension is negative.</exception>
    /// <exception cref="InsufficientMemoryException">The tensor would hold more than <see cref="TensorLimits.MaxElements"/> values.</exception>
    public static Tensor Filled(float value, params int[] shape)
    {
        var t = Zeros(shape);
        Array.Fill(t.data, value);
        return t;
    }

    /// <summary>A tensor over a buffer of <paramref name="pool"/>, which <see cref="Dispose"/> gives back.</summary>
    internal static Tensor Pooled(float[] data, Shape shape, TensorPool pool)
    {
        var t = Own(data, shape);
        t.owner = pool;
        return t;
    }

    /// <summary>Gives the memory of a tensor a model returned back to that model's pool; afterwards the tensor cannot be read.</summary>
    public void Dispose()
    {
        var pool = Interlocked.Exchange(ref owner, null);
        if (pool is null) return;
        IsDisposed = true;
        pool.Return(data);
    }

    /// <summary>True once <see cref="Dispose"/> has given the memory back.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>A copy of the values, row-major.</summary>
    public float[] ToArray() => (float[])Data.Clone();

    /// <summary>The values without copying, read-only.</summary>
    public ReadOnlySpan<float> Span => Data;

    /// <summary>The backing array, for kernels that fill a tensor they have just been given (never one a user can see).</summary>
    internal float[] Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            return data;
        }
    }

    /// <summary>A tensor of <paramref name="shape"/> over the same values (a reshape without copying).</summary>
    internal Tensor View(Shape shape) => Own(data, shape);

    private int finiteState; // 0 unknown, 1 finite, 2 not: values a user can see never change, so the answer is cached

    /// <summary>Forgets cached facts about the values, after a trainer that owns this tensor has updated it in place.</summary>
    internal void Changed() => finiteState = 0;

    /// <summary>True when no value is NaN or infinite (computed once).</summary>
    public bool IsFinite
    {
        get
        {
            if (finiteState == 0)
            {
                bool finite = true;
                foreach (var v in data)
                    if (!float.IsFinite(v)) { finite = false; break; }
                finiteState = finite ? 1 : 2;
            }
            return finiteState == 1;
        }
    }

    /// <summary>The value at a full index (one entry per dimension).</summary>
    public float this[params int[] index] => Data[Offset(index)];

    private int Offset(int[] index)
    {
        if (index.Length != Shape.Rank)
            throw new ArgumentException($"Index has {index.Length} entries but the tensor has rank {Shape.Rank}.", nameof(index));
        int offset = 0;
        for (int i = 0; i < index.Length; i++)
        {
            int d = Shape[i]!.Value;
            if ((uint)index[i] >= (uint)d)
                throw new IndexOutOfRangeException($"Index {index[i]} is out of range for axis {i} of shape {Shape}.");
            offset = offset * d + index[i];
        }
        return offset;
    }

    /// <inheritdoc/>
    public bool Equals(Tensor? other) =>
        other is not null && (ReferenceEquals(this, other) ||
            Shape == other.Shape && MemoryMarshal.AsBytes(data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other.data.AsSpan())));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Tensor);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Shape);
        for (int i = 0; i < Math.Min(data.Length, 16); i++) h.Add(data[i]);
        return h.ToHashCode();
    }

    /// <summary>Shape and first values, for debugging.</summary>
    public override string ToString() =>
        $"Tensor{Shape} [{string.Join(", ", data.Take(6))}{(data.Length > 6 ? ", ..." : "")}]";
}
