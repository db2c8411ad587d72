namespace DeepGraph.Keras;

/// <summary>
/// A height and width, written as Keras writes them: one integer for both (<c>5</c>) or a pair
/// (<c>(5, 3)</c>).
/// </summary>
public readonly record struct Size2(int H, int W)
{
    /// <summary>The same value for height and width.</summary>
    public static implicit operator Size2(int both) => new(both, both);

    /// <summary>A (height, width) pair.</summary>
    public static implicit operator Size2((int H, int W) pair) => new(pair.H, pair.W);

    /// <summary>As a tuple.</summary>
    public (int H, int W) ToTuple() => (H, W);
}
