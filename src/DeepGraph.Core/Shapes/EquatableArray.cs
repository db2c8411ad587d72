using System.Collections;
using System.Collections.Immutable;

namespace DeepGraph;

/// <summary>
/// An immutable array compared by its elements, so records holding one keep value equality
/// (<see cref="ImmutableArray{T}"/> alone compares by reference).
/// </summary>
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
{
    private readonly ImmutableArray<T> items;

    /// <summary>Wraps <paramref name="items"/>.</summary>
    public EquatableArray(ImmutableArray<T> items) => this.items = items.IsDefault ? [] : items;

    /// <summary>The empty array.</summary>
    public static EquatableArray<T> Empty => new([]);

    /// <summary>The underlying immutable array.</summary>
    public ImmutableArray<T> Items => items.IsDefault ? [] : items;

    /// <inheritdoc/>
    public int Count => Items.Length;

    /// <inheritdoc/>
    public T this[int index] => Items[index];

    /// <inheritdoc/>
    public bool Equals(EquatableArray<T> other) => Items.SequenceEqual(other.Items);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var item in Items) h.Add(item);
        return h.ToHashCode();
    }

    /// <summary>Element-wise equality.</summary>
    public static bool operator ==(EquatableArray<T> a, EquatableArray<T> b) => a.Equals(b);

    /// <summary>Element-wise inequality.</summary>
    public static bool operator !=(EquatableArray<T> a, EquatableArray<T> b) => !a.Equals(b);

    /// <summary>Converts from an immutable array.</summary>
    public static implicit operator EquatableArray<T>(ImmutableArray<T> items) => new(items);

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The elements in brackets.</summary>
    public override string ToString() => "[" + string.Join(", ", Items) + "]";
}

/// <summary>Creation helpers for <see cref="EquatableArray{T}"/>.</summary>
public static class EquatableArray
{
    /// <summary>An equatable array of <paramref name="items"/>.</summary>
    public static EquatableArray<T> Of<T>(params IEnumerable<T> items) => new([.. items]);
}
