using System.Collections.ObjectModel;
using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// A symbolic tensor: the output of a layer call in the functional API. It has a shape (batch
/// unknown) and remembers the layer that made it; it holds no numbers.
/// </summary>
public sealed class KerasTensor
{
    internal KerasTensor(Session session, TensorRef reference, Shape shape, Layer layer, DeepGraph.DType dtype = DeepGraph.DType.Float32)
    {
        Session = session;
        Reference = reference;
        Shape = shape;
        Layer = layer;
        ElementType = dtype;
    }

    internal Session Session { get; }

    internal TensorRef Reference { get; }

    /// <summary>The tensor's shape; the batch is unknown (<c>None</c>), and so is any dimension an <c>Input</c> left <c>null</c>.</summary>
    public Shape Shape { get; }

    /// <summary>The layer whose call made this tensor.</summary>
    public Layer Layer { get; }

    /// <summary>Keras's name of the element type: <c>float32</c>, <c>int32</c> or <c>bool</c>.</summary>
    public string DType => ElementType.Name();

    /// <summary>The element type.</summary>
    public DeepGraph.DType ElementType { get; }

    /// <summary>Keras's text: <c>&lt;KerasTensor: shape=(None, 64) dtype=float32 (created by layer 'fifthy_layer')&gt;</c>.</summary>
    public override string ToString() => Format(Shape, ElementType, Layer.Name);

    internal static string Format(Shape shape, DeepGraph.DType dtype, string layerName) =>
        $"<KerasTensor: shape={shape} dtype={dtype.Name()} (created by layer '{layerName}')>";
}

/// <summary>A read-only list of symbolic tensors that prints as Python prints a list of them.</summary>
public sealed class KerasTensorList(IList<KerasTensor> items) : ReadOnlyCollection<KerasTensor>(items)
{
    /// <summary><c>[&lt;KerasTensor: …&gt;, …]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", this) + "]";
}
