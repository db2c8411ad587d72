using System.Collections;
using System.Globalization;

namespace DeepGraph;

/// <summary>
/// The dimensions of a tensor, batch first. A dimension may be unknown (Keras prints it
/// <c>None</c>); symbolic shapes have an unknown batch, shapes of real tensors are fully known.
/// Immutable, compared by value.
/// </summary>
/// <example><code>var s = Shape.Batched(224, 224, 3);   // (None, 224, 224, 3)</code></example>
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int?>
{
    private readonly int?[] dims;

    private Shape(int?[] dims) => this.dims = dims;

    /// <summary>A shape from its dimensions; <c>null</c> marks an unknown one.</summary>
    /// <exception cref="ArgumentException">A known dimension is negative.</exception>
    public static Shape Of(params int?[] dims)
    {
        foreach (var d in dims)
            if (d is < 0)
                throw new ArgumentException($"Shape dimensions must be non-negative or unknown; received ({string.Join(", ", dims)}).", nameof(dims));
        return new Shape((int?[])dims.Clone());
    }

    /// <summary>A fully known shape, as real tensors have.</summary>
    public static Shape Known(params int[] dims) => Of(Array.ConvertAll(dims, d => (int?)d));

    /// <summary>An unknown batch dimension followed by <paramref name="dims"/>: the shape Keras gives <c>Input(shape=dims)</c>.</summary>
    public static Shape Batched(params int[] dims) => Of([null, .. Array.ConvertAll(dims, d => (int?)d)]);

    /// <summary>Number of dimensions, batch included.</summary>
    public int Rank => dims.Length;

    /// <inheritdoc/>
    public int Count => dims.Length;

    /// <summary>Dimension <paramref name="axis"/>; a negative axis counts from the end.</summary>
    public int? this[int axis] => dims[Axis(axis)];

    /// <summary>The non-negative axis for <paramref name="axis"/> (negative counts from the end).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The axis is outside the shape.</exception>
    public int Axis(int axis)
    {
        int a = axis < 0 ? axis + dims.Length : axis;
        if (a < 0 || a >= dims.Length)
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for shape {this} of rank {Rank}.");
        return a;
    }

    /// <summary>True when every dimension is known.</summary>
    public bool IsFullyKnown => Array.TrueForAll(dims, d => d.HasValue);

    /// <summary>The dimensions after the batch: what Keras calls the layer's <c>shape</c>.</summary>
    public Shape WithoutBatch => new(dims[1..]);

    /// <summary>The same shape with the first dimension replaced.</summary>
    public Shape WithBatch(int? batch) => new([batch, .. dims[1..]]);

    /// <summary>The same shape with one dimension replaced.</summary>
    public Shape With(int axis, int? value)
    {
        var copy = (int?[])dims.Clone();
        copy[Axis(axis)] = value;
        return new Shape(copy);
    }

    /// <summary>
    /// Product of the dimensions from <paramref name="fromAxis"/> on, or null when one is unknown.
    /// A product beyond <see cref="long.MaxValue"/> saturates there (it never wraps), so a comparison
    /// against a size limit stays true; a 0 dimension makes it 0.
    /// </summary>
    public long? Product(int fromAxis = 0)
    {
        bool zero = false;
        for (int i = fromAxis; i < dims.Length; i++)
        {
            if (dims[i] is not int d) return null;
            zero |= d == 0;
        }
        if (zero) return 0;
        long p = 1;
        for (int i = fromAxis; i < dims.Length; i++)
        {
            int d = dims[i]!.Value;
            p = p > long.MaxValue / d ? long.MaxValue : p * d;
        }
        return p;
    }

    /// <summary>
    /// True when this shape, a model input's declared shape, admits a tensor (or symbolic tensor) of shape
    /// <paramref name="other"/>: the same rank, every dimension but the batch equal or unknown in either. As in
    /// Keras 3 (whose input specs leave the batch out), a declared batch size does not bind: a model built for a
    /// batch of 25 runs on any batch.
    /// </summary>
    public bool AdmitsTensorOf(Shape other) => other.Rank == Rank && Rank > 0 && WithoutBatch.IsCompatibleWith(other.WithoutBatch);

    /// <summary>True when both shapes have the same rank and every dimension is equal or unknown in either.</summary>
    public bool IsCompatibleWith(Shape other)
    {
        if (other.Rank != Rank) return false;
        for (int a = 0; a < dims.Length; a++)
            if (dims[a] is int d && other.dims[a] is int e && d != e) return false;
        return true;
    }

    /// <summary>The dimensions as integers.</summary>
    /// <exception cref="InvalidOperationException">A dimension is unknown.</exception>
    public int[] ToArray()
    {
        if (!IsFullyKnown) throw new InvalidOperationException($"Shape {this} has unknown dimensions.");
        return Array.ConvertAll(dims, d => d!.Value);
    }

    /// <summary>The dimensions, unknown ones as null.</summary>
    public int?[] ToNullableArray() => (int?[])dims.Clone();

    /// <summary>Python's tuple notation, as Keras prints shapes: <c>(None, 64)</c>, <c>(None,)</c>.</summary>
    public override string ToString()
    {
        var parts = Array.ConvertAll(dims, d => d?.ToString(CultureInfo.InvariantCulture) ?? "None");
        return dims.Length == 1 ? $"({parts[0]},)" : $"({string.Join(", ", parts)})";
    }

    /// <inheritdoc/>
    public bool Equals(Shape? other) => other is not null && dims.AsSpan().SequenceEqual(other.dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Shape);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    /// <inheritdoc/>
    public IEnumerator<int?> GetEnumerator() => ((IEnumerable<int?>)dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => dims.GetEnumerator();
}
