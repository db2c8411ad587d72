using System.Globalization;

namespace DeepGraph;

/// <summary>
/// How large a tensor can be: one float array holds at most <see cref="MaxElements"/> values.
/// Shape inference refuses a layer whose per-sample output or weight exceeds it (a
/// <see cref="ShapeError"/>); running refuses a batch whose tensor exceeds it or the memory
/// budget (an <see cref="InsufficientMemoryException"/>), before anything is allocated.
/// </summary>
public static class TensorLimits
{
    /// <summary>The most values one tensor holds: the longest array .NET allocates (<see cref="Array.MaxLength"/>, 2,147,483,591).</summary>
    public static int MaxElements => Array.MaxLength;

    /// <summary>The bytes <paramref name="elements"/> float32 values take (saturating at <see cref="long.MaxValue"/>).</summary>
    public static long Bytes(long elements) => elements > long.MaxValue / sizeof(float) ? long.MaxValue : elements * sizeof(float);

    /// <summary>"N values (B bytes)", for messages.</summary>
    internal static string Describe(long elements) =>
        elements == long.MaxValue
            ? "more than 9.2e18 values (more than 3.6e19 bytes)"
            : string.Create(CultureInfo.InvariantCulture, $"{elements:N0} values ({Bytes(elements):N0} bytes)");

    /// <summary>
    /// Refuses a tensor of <paramref name="shape"/> (fully known) that one array cannot hold or that
    /// exceeds <paramref name="budgetBytes"/>; <paramref name="what"/> names it in the message.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The tensor is too large; the message names it and its size in bytes.</exception>
    internal static void CheckAllocation(string what, Shape shape, long budgetBytes = long.MaxValue)
    {
        long elements = shape.Product() ?? throw new ArgumentException($"{what}: shape {shape} has unknown dimensions and cannot be allocated.", nameof(shape));
        if (elements > MaxElements)
            throw new InsufficientMemoryException(
                $"{what} of shape {shape} would hold {Describe(elements)}, more than one tensor can hold ({MaxElements.ToString("N0", CultureInfo.InvariantCulture)} values). Use a smaller batch or smaller layers.");
        if (Bytes(elements) > budgetBytes)
            throw new InsufficientMemoryException(
                $"{what} of shape {shape} would take {Describe(elements)}, more than the memory available ({budgetBytes.ToString("N0", CultureInfo.InvariantCulture)} bytes). Use a smaller batch or smaller layers.");
    }
}
