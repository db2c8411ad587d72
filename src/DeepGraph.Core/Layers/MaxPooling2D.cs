using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>MaxPooling2D</c>: the maximum of each window, per channel.
/// Input (batch, h, w, c) → output (batch, h', w', c); see <see cref="Pooling2D"/> for h' and w'.
/// </summary>
/// <example><code>new MaxPooling2D() { Id = id, Name = "max_pooling2d" }   // (None, 28, 28, 32) → (None, 14, 14, 32)</code></example>
public sealed record MaxPooling2D : Pooling2D
{
    /// <summary>A max pooling over windows of <paramref name="poolSize"/> (default 2×2).</summary>
    /// <param name="poolSize">Window height and width; null for Keras's default (2, 2).</param>
    /// <param name="strides">Strides along height and width; null for the pool size.</param>
    /// <param name="padding"><c>valid</c> (windows inside the input) or <c>same</c> (output ⌈n/s⌉).</param>
    /// <exception cref="ArgumentException">A size or stride is not positive, or the padding is unknown.</exception>
    public MaxPooling2D((int H, int W)? poolSize = null, (int H, int W)? strides = null, string padding = "valid")
        : base(poolSize ?? (2, 2), strides, padding)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "MaxPooling2D";

    /// <inheritdoc/>
    protected override bool IsMax => true;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>MaxPooling2D</c> config (<see cref="Pooling2D.ReadWindow"/>).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<MaxPooling2D>("MaxPooling2D",
        (c, id, name) =>
        {
            var (poolSize, strides, padding) = ReadWindow(c);
            return new MaxPooling2D(poolSize, strides, padding) { Id = id, Name = name };
        },
        p => p.WriteWindow());
}
