using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// The source of a model's input tensor (Keras's <c>InputLayer</c>, made by <c>Input(shape)</c>).
/// It takes no inputs and produces one tensor of <see cref="BatchShape"/>.
/// </summary>
public sealed record InputLayer(Shape BatchShape) : Layer
{
    /// <inheritdoc/>
    public override string ClassName => "InputLayer";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 0)
            throw Error($"is an input layer and cannot be called on tensors; received {inputs.Count}.");
        return [Fits(BatchShape, "an input")];
    }

    /// <summary>Never called: the executor binds input layers to the model's inputs.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        throw new InvalidOperationException($"Input layer \"{Name}\" is bound to a model input, not run.");

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>InputLayer</c> config: the shape (<see cref="LayerConfig.DeclaredInputShape"/>), <c>dtype</c> (float32 only),
    /// <c>sparse</c> and <c>name</c>; it has no <c>trainable</c>.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<InputLayer>("InputLayer",
        (c, id, name) =>
        {
            var shape = c.DeclaredInputShape() ?? throw c.Error("batch_input_shape", "the input's shape with its batch, e.g. [null, 28, 28, 1]");
            // DeepGraph computes in float32; an input of another type (int32 token ids, float16) is refused.
            if (c["dtype"] is JsonValue && c.OptionalString("dtype") != "float32") throw c.Error("dtype", "\"float32\" (DeepGraph computes in float32)");
            return new InputLayer(shape) { Id = id, Name = name };
        },
        i => new JsonObject
        {
            ["batch_input_shape"] = LayerConfig.Dims(i.BatchShape),
            ["dtype"] = "float32",
            ["sparse"] = false,
            ["name"] = i.Name,
        }) with { NameAndTrainable = false };
}
