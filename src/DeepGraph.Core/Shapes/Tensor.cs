using System.Runtime.InteropServices;

namespace DeepGraph;

/// <summary>The element type of a tensor, as Keras names it (<c>float32</c>, <c>int32</c>, <c>bool</c>).</summary>
public enum DType
{
    /// <summary>32-bit floating point, the type of every weight and activation.</summary>
    Float32,

    /// <summary>32-bit signed integers (token ids, indices).</summary>
    Int32,

    /// <summary>Booleans (masks, comparisons), held as the integers 0 and 1.</summary>
    Bool,
}

/// <summary>Keras's names of <see cref="DType"/>.</summary>
public static class DTypes
{
    /// <summary>Keras's name: <c>float32</c>, <c>int32</c> or <c>bool</c>.</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Int32 => "int32",
        DType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not a dtype."),
    };

    /// <summary>The dtype Keras names <paramref name="name"/> (<c>int64</c> and other integer widths read as int32, <c>float64</c>/<c>float16</c> as float32).</summary>
    /// <exception cref="ArgumentException">The name is not a dtype.</exception>
    public static DType Parse(string? name) => name switch
    {
        null or "" or "float32" or "float" or "float64" or "float16" or "bfloat16" or "double" or "half" => DType.Float32,
        "int32" or "int64" or "int16" or "int8" or "uint8" or "uint16" or "uint32" or "int" => DType.Int32,
        "bool" or "boolean" => DType.Bool,
        _ => throw new ArgumentException($"Unknown dtype '{name}'. DeepGraph holds float32, int32 and bool tensors.", nameof(name)),
    };
}

/// <summary>
/// A dense tensor of float32 (the default), int32 or bool (<see cref="DType"/>): row-major, channels-last (NHWC) as in Keras. Immutable to users:
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

    private Tensor(float[] data, Shape shape, DType dtype = DType.Float32)
    {
        this.data = data;
        Shape = shape;
        DType = dtype;
    }

    /// <summary>
    /// The element type. Int32 and bool tensors keep their values' bits in the same buffers as
    /// float32 ones (a pool and a walker need not know the type); <see cref="Ints"/> reads them.
    /// </summary>
    public DType DType { get; }

    /// <summary>An int32 tensor holding a copy of <paramref name="values"/> with shape <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public static Tensor FromInts(int[] values, int[] shape) => FromBits(values, shape, DType.Int32);

    /// <summary>A bool tensor holding a copy of <paramref name="values"/> with shape <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">The data length is not the product of the shape.</exception>
    public static Tensor FromBools(bool[] values, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        return FromBits(Array.ConvertAll(values, v => v ? 1 : 0), shape, DType.Bool);
    }

    private static Tensor FromBits(int[] values, int[] shape, DType dtype)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        var s = Shape.Known(shape);
        if (s.Product() != values.Length)
            throw new ArgumentException($"Tensor data has {values.Length} values but shape {s} needs {s.Product()}.", nameof(values));
        var data = new float[values.Length];
        values.AsSpan().CopyTo(MemoryMarshal.Cast<float, int>(data.AsSpan()));
        return new Tensor(data, s, dtype);
    }

    /// <summary>Takes ownership of <paramref name="data"/> (holding the bits of <paramref name="dtype"/> values) without copying.</summary>
    internal static Tensor Own(float[] data, Shape shape, DType dtype)
    {
        var t = Own(data, shape);
        return dtype == DType.Float32 ? t : new Tensor(data, shape, dtype);
    }

    /// <summary>The values of an int32 or bool tensor (0 and 1 for bool), without copying.</summary>
    /// <exception cref="InvalidOperationException">The tensor is float32.</exception>
    public ReadOnlySpan<int> Ints => DType != DType.Float32
        ? MemoryMarshal.Cast<float, int>(Data.AsSpan())
        : throw new InvalidOperationException($"Tensor of shape {Shape} is float32; read it with Span.");

    /// <summary>The writable values of an int32 or bool tensor, for code that has just made it.</summary>
    internal Span<int> IntData => MemoryMarshal.Cast<float, int>(Data.AsSpan());

    /// <summary>A copy of the values of an int32 or bool tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is float32.</exception>
    public int[] ToIntArray() => Ints.ToArray();

    /// <summary>A tensor of zeros of <paramref name="dtype"/>.</summary>
    /// <exception cref="InsufficientMemoryException">The tensor would hold more than <see cref="TensorLimits.MaxElements"/> values.</exception>
    public static Tensor Zeros(DType dtype, params int[] shape)
    {
        var t = Zeros(shape);
        return dtype == DType.Float32 ? t : new Tensor(t.data, t.Shape, dtype);
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
    internal static Tensor Pooled(float[] data, Shape shape, TensorPool pool, DType dtype = DType.Float32)
    {
        var t = Own(data, shape, dtype);
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

    /// <summary>A copy of the values, row-major (int32 and bool values converted to float).</summary>
    public float[] ToArray() => DType == DType.Float32 ? (float[])Data.Clone() : Array.ConvertAll(Ints.ToArray(), v => (float)v);

    /// <summary>The values of a float32 tensor without copying, read-only.</summary>
    /// <exception cref="InvalidOperationException">The tensor is int32 or bool (read it with <see cref="Ints"/>).</exception>
    public ReadOnlySpan<float> Span => DType == DType.Float32
        ? Data
        : throw new InvalidOperationException($"Tensor of shape {Shape} is {DType.Name()}; read it with Ints.");

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
    internal Tensor View(Shape shape) => Own(data, shape, DType);

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
                if (DType == DType.Float32)
                    foreach (var v in data)
                        if (!float.IsFinite(v)) { finite = false; break; }
                finiteState = finite ? 1 : 2;
            }
            return finiteState == 1;
        }
    }

    /// <summary>The value at a full index (one entry per dimension).</summary>
    public float this[params int[] index] => DType == DType.Float32 ? Data[Offset(index)] : IntData[Offset(index)];

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
            Shape == other.Shape && DType == other.DType && MemoryMarshal.AsBytes(data.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(other.data.AsSpan())));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Tensor);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Shape);
        h.Add(DType);
        for (int i = 0; i < Math.Min(data.Length, 16); i++) h.Add(data[i]);
        return h.ToHashCode();
    }

    /// <summary>Shape and first values, for debugging.</summary>
    public override string ToString() => DType == DType.Float32
        ? $"Tensor{Shape} [{string.Join(", ", data.Take(6))}{(data.Length > 6 ? ", ..." : "")}]"
        : $"Tensor{Shape} {DType.Name()} [{string.Join(", ", IntData[..Math.Min(6, data.Length)].ToArray())}{(data.Length > 6 ? ", ..." : "")}]";
}
