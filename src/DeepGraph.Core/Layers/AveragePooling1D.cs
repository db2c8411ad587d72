namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>AveragePooling1D</c>: the mean of each window of steps, per feature; with padding "same" only the
/// steps inside the input count (see <see cref="Pooling1D"/>).
/// </summary>
/// <example><code>new AveragePooling1D(3, 2, Padding.Same) { Id = id, Name = "average_pooling1d" }   // (None, 10, 4) → (None, 5, 4)</code></example>
public sealed record AveragePooling1D : Pooling1D
{
    /// <summary>An average pooling over windows of <paramref name="poolSize"/> steps.</summary>
    /// <param name="poolSize">The window (Keras's default 2).</param>
    /// <param name="strides">The step between windows; null for the pool size.</param>
    /// <param name="padding"><see cref="Padding.Valid"/> (the default) or <see cref="Padding.Same"/>.</param>
    /// <exception cref="ArgumentException">The size or stride is not positive.</exception>
    public AveragePooling1D(int poolSize = 2, int? strides = null, Padding? padding = null) : base(poolSize, strides, padding)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "AveragePooling1D";

    /// <inheritdoc/>
    protected override Pooling2D Planar => new AveragePooling2D((1, PoolSize), (1, Strides), Padding) { Id = Id, Name = Name };

    /// <summary>Keras's <c>AveragePooling1D</c> config (<see cref="Pooling1D.ReadWindow"/>).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<AveragePooling1D>("AveragePooling1D",
        (c, id, name) =>
        {
            var (poolSize, strides, padding) = ReadWindow(c);
            return new AveragePooling1D(poolSize, strides, padding) { Id = id, Name = name };
        },
        p => p.WriteWindow());
}
