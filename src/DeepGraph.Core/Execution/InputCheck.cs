namespace DeepGraph.Core;

/// <summary>
/// Checks the tensors given to a model against its inputs: their number, their shapes
/// (unknown dimensions match any size, resolved from the data on each call), one batch size for
/// all, and their dtypes (<see cref="Conform"/> converts where Keras would cast).
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
            if (!expected.AdmitsTensorOf(got))
                throw new ShapeError(model.Name, $"Input {i} of model \"{model.Name}\" (layer \"{model.Graph.LayerOf(model.Inputs[i]).Name}\") is incompatible: expected shape={expected}, found shape={got}");
            if (got[0] != inputs[0].Shape[0])
                throw new ShapeError(model.Name, $"Inputs of model \"{model.Name}\" have different batch sizes: {inputs[0].Shape} and {got}.");
        }
    }

    /// <summary>
    /// <see cref="CheckInputs"/>, then each input as its input layer's dtype: an int32 or bool tensor
    /// fed to a float32 input is cast to float32; a float32 tensor fed to an int32 input is accepted
    /// when every value is an integer (Keras casts it) and refused otherwise. Returns
    /// <paramref name="inputs"/> itself when no input needs converting.
    /// </summary>
    /// <exception cref="ShapeError">As <see cref="CheckInputs"/>.</exception>
    /// <exception cref="ArgumentException">A float32 value fed to an int32 (or bool) input is not an integer (or 0 or 1); the message names the input, the index and the value.</exception>
    public static IReadOnlyList<Tensor> Conform(Model model, IReadOnlyList<Tensor> inputs)
    {
        CheckInputs(model, inputs);
        Tensor[]? converted = null;
        for (int i = 0; i < inputs.Count; i++)
        {
            var want = model.Graph.DTypeOf(model.Inputs[i]);
            if (inputs[i].DType == want) continue;
            converted ??= [.. inputs];
            int index = i;
            converted[i] = DTypeConversion.Convert(inputs[i], want,
                () => $"input {index} of model \"{model.Name}\" (layer \"{model.Graph.LayerOf(model.Inputs[index]).Name}\")");
        }
        return converted ?? inputs;
    }

    /// <summary>
    /// Targets as float32, which every loss and metric computes in: int32 labels (Keras's sparse
    /// categorical labels) and bool targets are cast; <paramref name="targets"/> itself when all are float32.
    /// </summary>
    public static IReadOnlyList<Tensor> FloatTargets(IReadOnlyList<Tensor> targets)
    {
        if (targets.All(t => t is null || t.DType == DType.Float32)) return targets;
        return [.. targets.Select((t, o) => t is null ? t! : DTypeConversion.Convert(t, DType.Float32, () => $"target {o}"))];
    }

    /// <summary>
    /// The arguments of one call of <paramref name="layer"/>, each converted to the dtype the layer
    /// computes it in (<see cref="Layer.InputDType"/>); <paramref name="args"/> itself when none needs it.
    /// </summary>
    /// <exception cref="ArgumentException">A float32 argument of an int32 input holds a value that is not an integer.</exception>
    internal static Tensor[] ForLayer(Layer layer, Tensor[] args)
    {
        Tensor[]? converted = null;
        for (int k = 0; k < args.Length; k++)
        {
            var want = layer.InputDType(k);
            if (args[k].DType == want) continue;
            converted ??= (Tensor[])args.Clone();
            int index = k;
            converted[k] = DTypeConversion.Convert(args[k], want, () => $"input {index} of layer \"{layer.Name}\" ({layer.ClassName})");
        }
        return converted ?? args;
    }
}
