using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// The source of a model's input tensor (Keras's <c>InputLayer</c>, made by <c>Input(shape, dtype)</c>).
/// It takes no inputs and produces one tensor of <see cref="BatchShape"/> and <see cref="DType"/>.
/// Any dimension may be unknown (<c>null</c>, printed <c>None</c>): each call of the model takes
/// it from the data.
/// </summary>
public sealed record InputLayer(Shape BatchShape) : Layer
{
    /// <summary>The element type of the input (float32 unless given: int32 for token ids, bool for masks).</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <inheritdoc/>
    public override string ClassName => "InputLayer";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 0)
            throw Error($"is an input layer and cannot be called on tensors; received {inputs.Count}.");
        return [Fits(BatchShape, "an input")];
    }

    /// <inheritdoc/>
    public override IReadOnlyList<DType> OutputDTypes(IReadOnlyList<DType> inputs) => [DType];

    /// <summary>Never called: the executor binds input layers to the model's inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        throw new InvalidOperationException($"Input layer \"{Name}\" is bound to a model input, not run.");

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>InputLayer</c> config: the shape (<see cref="LayerConfig.DeclaredInputShape"/>), <c>dtype</c> (float32, int32 or bool),
    /// <c>sparse</c> and <c>name</c>; it has no <c>trainable</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<InputLayer>("InputLayer",
        (c, id, name) =>
        {
            var shape = c.DeclaredInputShape() ?? throw c.Error("batch_input_shape", "the input's shape with its batch, e.g. [null, 28, 28, 1]");
            // float32 when absent; Keras's other widths map to float32, int32 or bool.
            var dtype = DType.Float32;
            if (c["dtype"] is JsonValue)
            {
                try
                {
                    dtype = DTypes.Parse(c.OptionalString("dtype"));
                }
                catch (ArgumentException)
                {
                    throw c.Error("dtype", "\"float32\", \"int32\" or \"bool\"");
                }
            }
            return new InputLayer(shape) { Id = id, Name = name, DType = dtype };
        },
        i => new JsonObject
        {
            ["batch_input_shape"] = LayerConfig.Dims(i.BatchShape),
            ["dtype"] = i.DType.Name(),
            ["sparse"] = false,
            ["name"] = i.Name,
        }) with { NameAndTrainable = false };
}
