namespace DeepGraph.Core;

/// <summary>
/// Checks the tensors given to a model against its inputs: their number, their shapes
/// (unknown dimensions match any size) and one batch size for all.
/// </summary>
public static class InputCheck
{
    /// <summary>Checks the number of inputs, their shapes against the model's, and one batch size for all.</summary>
    /// <exception cref="ShapeError">In Keras's words, naming the model and the shapes.</exception>
    public static void CheckInputs(Model model, IReadOnlyList<Tensor> inputs)
    {
        if (inputs.Count != model.Inputs.Count)
            throw new ShapeError(model.Name, $"Model \"{model.Name}\" expects {model.Inputs.Count} input(s), but it received {inputs.Count} input tensors. Expected shapes: {string.Join(", ", model.Inputs.Select(model.Graph.ShapeOf))}.");
        for (int i = 0; i < inputs.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(inputs[i]);
            var expected = model.Graph.ShapeOf(model.Inputs[i]);
            var got = inputs[i].Shape;
            if (!expected.IsCompatibleWith(got)) // got is a real tensor's shape: every dimension known
                throw new ShapeError(model.Name, $"Input {i} of model \"{model.Name}\" (layer \"{model.Graph.LayerOf(model.Inputs[i]).Name}\") is incompatible: expected shape={expected}, found shape={got}");
            if (got[0] != inputs[0].Shape[0])
                throw new ShapeError(model.Name, $"Inputs of model \"{model.Name}\" have different batch sizes: {inputs[0].Shape} and {got}.");
        }
    }
}
