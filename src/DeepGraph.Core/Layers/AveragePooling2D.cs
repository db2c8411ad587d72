using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>AveragePooling2D</c>: the mean of each window (with padding "same", of the cells inside the input only), per channel.
/// Input (batch, h, w, c) → output (batch, h', w', c); see <see cref="Pooling2D"/> for h' and w'.
/// </summary>
/// <example><code>new AveragePooling2D() { Id = id, Name = "average_pooling2d" }   // (None, 28, 28, 32) → (None, 14, 14, 32)</code></example>
public sealed record AveragePooling2D : Pooling2D
{
    /// <summary>A average pooling over windows of <paramref name="poolSize"/> (default 2×2).</summary>
    /// <param name="poolSize">Window height and width; null for Keras's default (2, 2).</param>
    /// <param name="strides">Strides along height and width; null for the pool size.</param>
    /// <param name="padding"><c>valid</c> (windows inside the input) or <c>same</c> (output ⌈n/s⌉).</param>
    /// <exception cref="ArgumentException">A size or stride is not positive, or the padding is unknown.</exception>
    public AveragePooling2D((int H, int W)? poolSize = null, (int H, int W)? strides = null, string padding = "valid")
        : base(poolSize ?? (2, 2), strides, padding)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "AveragePooling2D";

    /// <inheritdoc/>
    protected override bool IsMax => false;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>AveragePooling2D</c> config (<see cref="Pooling2D.ReadWindow"/>).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<AveragePooling2D>("AveragePooling2D",
        (c, id, name) =>
        {
            var (poolSize, strides, padding) = ReadWindow(c);
            return new AveragePooling2D(poolSize, strides, padding) { Id = id, Name = name };
        },
        p => p.WriteWindow());
}
