using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GlobalMaxPooling2D</c>: the maximum of each channel over height and width.
/// Input (batch, h, w, c) → output (batch, c), or (batch, 1, 1, c) with <see cref="GlobalPooling2D.KeepDims"/>.
/// </summary>
/// <example><code>new GlobalMaxPooling2D() { Id = id, Name = "global_max_pooling2d" }   // (None, 7, 7, 512) → (None, 512)</code></example>
public sealed record GlobalMaxPooling2D : GlobalPooling2D
{
    /// <summary>A global max pooling.</summary>
    /// <param name="keepDims">Keep height and width as axes of length 1 (Keras's <c>keepdims</c>).</param>
    public GlobalMaxPooling2D(bool keepDims = false) : base(keepDims)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "GlobalMaxPooling2D";

    /// <inheritdoc/>
    protected override bool IsMax => true;

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>GlobalMaxPooling2D</c> config: <c>keepdims</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GlobalMaxPooling2D>("GlobalMaxPooling2D",
        (c, id, name) => new GlobalMaxPooling2D(ReadKeepDims(c)) { Id = id, Name = name },
        g => g.WriteKeepDims());
}
