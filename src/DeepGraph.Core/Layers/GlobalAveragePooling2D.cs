using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalAveragePooling2D</c>: the mean of each channel over height and width.
/// Input (batch, h, w, c) → output (batch, c), or (batch, 1, 1, c) with <see cref="GlobalPooling2D.KeepDims"/>.
/// </summary>
/// <example><code>new GlobalAveragePooling2D() { Id = id, Name = "global_average_pooling2d" }   // (None, 7, 7, 512) → (None, 512)</code></example>
public sealed record GlobalAveragePooling2D : GlobalPooling2D
{
    /// <summary>A global average pooling.</summary>
    /// <param name="keepDims">Keep height and width as axes of length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalAveragePooling2D(bool keepDims = false) : base(keepDims)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "GlobalAveragePooling2D";

    /// <inheritdoc/>
    protected override bool IsMax => false;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>GlobalAveragePooling2D</c> config: <c>keepdims</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GlobalAveragePooling2D>("GlobalAveragePooling2D",
        (c, id, name) => new GlobalAveragePooling2D(ReadKeepDims(c)) { Id = id, Name = name },
        g => g.WriteKeepDims());
}
