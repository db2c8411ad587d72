using System.Collections.ObjectModel;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// A symbolic tensor: the output of a layer call in the functional API. It has a shape (batch
/// unknown) and remembers the layer that made it; it holds no numbers.
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(Session session, TensorRef reference, Shape shape, Layer layer)
    {
        Session = session;
        Reference = reference;
        Shape = shape;
        Layer = layer;
    }

    internal Session Session { get; }

    internal TensorRef Reference { get; }

    /// <summary>The tensor's shape; the batch is unknown (<c>None</c>).</summary>
    public Shape Shape { get; }

    /// <summary>The layer whose call made this tensor.</summary>
    public Layer Layer { get; }

    /// <summary>Always <c>float32</c>.</summary>
    public string DType => "float32";

    /// <summary>Keras's text: <c>&lt;KerasTensor: shape=(None, 64) dtype=float32 (created by layer 'fifthy_layer')&gt;</c>.</summary>
    public override string ToString() => Format(Shape, Layer.Name);

    internal static string Format(Shape shape, string layerName) =>
        $"<KerasTensor: shape={shape} dtype=float32 (created by layer '{layerName}')>";
}

/// <summary>A read-only list of symbolic tensors that prints as Python prints a list of them.</summary>
public sealed class KerasTensorList(IList<KerasTensor> items) : ReadOnlyCollection<KerasTensor>(items)
{
    /// <summary><c>[&lt;KerasTensor: …&gt;, …]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", this) + "]";
}
