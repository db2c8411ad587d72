using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// Keras's <c>keras.layers</c>: factories with Keras's arguments (in C# casing) and defaults.
/// A name left out is chosen as Keras chooses it (<c>dense</c>, <c>dense_1</c> …). Every
/// layer takes <c>inputShape:</c> (batch excluded), which a Sequential model uses for its input.
/// </summary>
/// <example><code>
/// using static DeepGraph.Keras.Layers;
/// var x = Input(shape: [28, 28, 1]);
/// var y = Conv2D(32, 3, activation: "relu").Call(x);
/// </code></example>
public static partial class Layers
{
    /// <summary>A symbolic input tensor of shape <c>(None, ..shape)</c> (Keras's <c>keras.Input</c>); unnamed inputs are <c>input_1</c>, <c>input_2</c> ….</summary>
    /// <param name="shape">The dimensions after the batch, all known.</param>
    /// <param name="name">The input layer's name.</param>
    /// <param name="batchSize">A fixed batch size, or null (<c>None</c>) for any.</param>
    /// <param name="dtype">The element type: <c>float32</c> (the default), <c>int32</c> (token ids) or <c>bool</c>.</param>
    /// <exception cref="ArgumentException">A dimension is not positive, or the dtype is unknown.</exception>
    public static KerasTensor Input(int[] shape, string? name = null, int? batchSize = null, string dtype = "float32")
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0))
            throw new ArgumentException($"Input shape dimensions must be positive. Received: shape=({string.Join(", ", shape)})", nameof(shape));
        return Input([.. shape.Select(d => (int?)d)], dtype, name, batchSize);
    }

    /// <summary>
    /// A symbolic input tensor of shape <c>(None, ..shape)</c> and element type <paramref name="dtype"/>
    /// (Keras's <c>keras.Input(shape, dtype=…)</c>). A <c>null</c> dimension is unknown (<c>None</c>)
    /// and is taken from the data on each call: <c>Input(shape: [null], dtype: "int32")</c> for token
    /// sequences of any length, <c>Input(shape: [null, 64])</c> for sequences of 64 features.
    /// </summary>
    /// <param name="shape">The dimensions after the batch; <c>null</c> for an unknown one.</param>
    /// <param name="dtype">The element type: <c>float32</c> (the default), <c>int32</c> or <c>bool</c> (Keras's other integer and float widths map to these).</param>
    /// <param name="name">The input layer's name.</param>
    /// <param name="batchSize">A fixed batch size, or null (<c>None</c>) for any.</param>
    /// <exception cref="ArgumentException">A known dimension is not positive, or the dtype is unknown.</exception>
    public static KerasTensor Input(int?[] shape, string dtype = "float32", string? name = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0))
            throw new ArgumentException($"Input shape dimensions must be positive or null (unknown). Received: shape=({string.Join(", ", shape.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "None"))})", nameof(shape));
        if (batchSize is <= 0)
            throw new ArgumentException($"batch_size must be positive or null. Received: batch_size={batchSize}", nameof(batchSize));
        var type = DTypes.Parse(dtype);
        return Input(Shape.Of([batchSize, .. shape]), name, type);
    }

    internal static KerasTensor Input(Shape batchShape, string? name, DType dtype = DType.Float32)
    {
        var session = Backend.Current;
        var record = new InputLayer(batchShape) { Id = Layer.NewId(), Name = name ?? session.UniqueName("input", zeroBased: false), DType = dtype };
        var handle = new Layer(record);
        var (built, refs) = session.Call(record, []);
        handle.Adopt(built);
        session.Register(handle);
        var tensor = new KerasTensor(session, refs[0], batchShape, handle, dtype);
        handle.AddInputNode(tensor);
        return tensor;
    }

    /// <summary>Densely-connected layer: <c>activation(x · kernel + bias)</c>.</summary>
    public static Layer Dense(int units, string? activation = null, bool useBias = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Dense(units, Core.ActivationFunction.Parse(activation), useBias) { Id = id, Name = "" });

    /// <summary>2-D convolution; <paramref name="kernelSize"/> and <paramref name="strides"/> take an integer or a (height, width) pair.</summary>
    public static Layer Conv2D(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", string? activation = null,
        bool useBias = true, Size2? dilationRate = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Conv2D(filters, kernelSize.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding), Core.ActivationFunction.Parse(activation), useBias, dilationRate?.ToTuple()) { Id = id, Name = "" });

    /// <summary>Flattens all but the batch axis.</summary>
    public static Layer Flatten(string? name = null, int[]? inputShape = null) => Make(name, inputShape, id => new Core.Flatten() { Id = id, Name = "" });

    /// <summary>Reshapes to <paramref name="targetShape"/> (batch excluded; one entry may be -1, inferred).</summary>
    public static Layer Reshape(int[] targetShape, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Reshape(targetShape) { Id = id, Name = "" });

    /// <summary>Applies an activation function.</summary>
    public static Layer Activation(string activation, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Activation(Core.ActivationFunction.Parse(activation)) { Id = id, Name = "" });

    /// <summary>Dropout: zeroes a fraction <paramref name="rate"/> of the inputs while training; identity at inference.</summary>
    public static Layer Dropout(double rate, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Dropout(rate, seed: seed) { Id = id, Name = "" });

    /// <summary>2-D max pooling; strides default to the pool size.</summary>
    public static Layer MaxPooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.MaxPooling2D(poolSize?.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding)) { Id = id, Name = "" });

    /// <summary>2-D average pooling; strides default to the pool size.</summary>
    public static Layer AveragePooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.AveragePooling2D(poolSize?.ToTuple(), strides?.ToTuple(), Core.Padding.Parse(padding)) { Id = id, Name = "" });

    /// <summary>Mean over height and width: (batch, h, w, c) → (batch, c).</summary>
    public static Layer GlobalAveragePooling2D(bool keepDims = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GlobalAveragePooling2D(keepDims) { Id = id, Name = "" });

    /// <summary>Maximum over height and width: (batch, h, w, c) → (batch, c).</summary>
    public static Layer GlobalMaxPooling2D(bool keepDims = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GlobalMaxPooling2D(keepDims) { Id = id, Name = "" });

    /// <summary>Zeros around height and width: <paramref name="padding"/> rows above and below and columns left and right.</summary>
    public static Layer ZeroPadding2D(Size2? padding = null, string? name = null, int[]? inputShape = null)
    {
        var p = padding ?? 1;
        return Make(name, inputShape, id => new Core.ZeroPadding2D((p.H, p.W)) { Id = id, Name = "" });
    }

    /// <summary>Zeros around height and width, each side given: ((top, bottom), (left, right)).</summary>
    public static Layer ZeroPadding2D(((int Top, int Bottom) Height, (int Left, int Right) Width) padding, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ZeroPadding2D(padding) { Id = id, Name = "" });

    /// <summary>Batch normalization over <paramref name="axis"/>: gamma and beta (trainable), moving mean and variance (not).</summary>
    public static Layer BatchNormalization(int axis = -1, double momentum = 0.99, double epsilon = 1e-3, bool center = true, bool scale = true,
        string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.BatchNormalization(axis, momentum, epsilon, center, scale) { Id = id, Name = "" });

    /// <summary>Concatenates its inputs along <paramref name="axis"/>.</summary>
    public static Layer Concatenate(int axis = -1, string? name = null) => Make(name, null, id => new Core.Concatenate(axis) { Id = id, Name = "" });

    /// <summary>Elementwise sum of its inputs.</summary>
    public static Layer Add(string? name = null) => Make(name, null, id => new Core.Add() { Id = id, Name = "" });

    /// <summary>Elementwise product of its inputs.</summary>
    public static Layer Multiply(string? name = null) => Make(name, null, id => new Core.Multiply() { Id = id, Name = "" });

    /// <summary>
    /// Turns integer ids in [0, <paramref name="inputDim"/>) into vectors of <paramref name="outputDim"/> values:
    /// (batch, …) → (batch, …, outputDim). A float32 input of integral values is cast, as Keras casts it.
    /// <paramref name="inputLength"/> (Keras 2's <c>input_length</c>) also serves as the input shape of a Sequential model's first layer.
    /// <paramref name="maskZero"/> is kept in the configuration, but the mask is not yet passed on to the next layers.
    /// </summary>
    /// <exception cref="ArgumentException">A dimension or the length is not positive.</exception>
    public static Layer Embedding(int inputDim, int outputDim, bool maskZero = false, int? inputLength = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape ?? (inputLength is { } length ? [length] : null),
            id => new Core.Embedding(inputDim, outputDim, maskZero, inputLength) { Id = id, Name = "" });

    /// <summary>Layer normalization over the last axis, or <paramref name="axis"/>: per sample, (x − mean) / sqrt(variance + ε) · gamma + beta.</summary>
    /// <exception cref="ArgumentException">Axis 0 (the batch) or a non-positive epsilon.</exception>
    public static Layer LayerNormalization(int axis = -1, double epsilon = 1e-3, bool center = true, bool scale = true, string? name = null, int[]? inputShape = null) =>
        LayerNormalization([axis], epsilon, center, scale, name, inputShape);

    /// <summary>Layer normalization over several axes together (Keras's <c>axis=[1, 2]</c>); gamma and beta are shaped like those axes.</summary>
    /// <exception cref="ArgumentException">No axis, an axis twice, axis 0 (the batch) or a non-positive epsilon.</exception>
    public static Layer LayerNormalization(int[] axis, double epsilon = 1e-3, bool center = true, bool scale = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.LayerNormalization(axis, epsilon, center, scale) { Id = id, Name = "" });

    /// <summary>
    /// Multi-head attention (Keras's <c>MultiHeadAttention</c>): call it as <c>mha.Call(query, value)</c>
    /// (self-attention: <c>mha.Call(x, x)</c>), <c>mha.Call(query, value, key)</c>, or with an
    /// <c>attentionMask:</c> (batch, query steps, key steps). The output has the query's shape, or
    /// (batch, query steps, <paramref name="outputShape"/>…).
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive or the dropout rate is outside [0, 1).</exception>
    public static MultiHeadAttentionLayer MultiHeadAttention(int numHeads, int keyDim, int? valueDim = null, double dropout = 0.0, bool useBias = true,
        int[]? outputShape = null, int[]? attentionAxes = null, string? name = null, int? seed = null) =>
        new(Make(name, null, id => new Core.MultiHeadAttention(numHeads, keyDim, valueDim, dropout, useBias, outputShape, attentionAxes, seed) { Id = id, Name = "" }).Record);

    /// <summary>Mean over the steps: (batch, steps, features) → (batch, features).</summary>
    public static Layer GlobalAveragePooling1D(bool keepDims = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GlobalAveragePooling1D(keepDims) { Id = id, Name = "" });

    /// <summary>Maximum over the steps: (batch, steps, features) → (batch, features).</summary>
    public static Layer GlobalMaxPooling1D(bool keepDims = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GlobalMaxPooling1D(keepDims) { Id = id, Name = "" });

    /// <summary>Elementwise maximum of its inputs.</summary>
    public static Layer Maximum(string? name = null) => Make(name, null, id => new Core.Maximum() { Id = id, Name = "" });

    /// <summary>Elementwise minimum of its inputs.</summary>
    public static Layer Minimum(string? name = null) => Make(name, null, id => new Core.Minimum() { Id = id, Name = "" });

    /// <summary>Elementwise mean of its inputs.</summary>
    public static Layer Average(string? name = null) => Make(name, null, id => new Core.Average() { Id = id, Name = "" });

    /// <summary>Wraps a record made without identity: gives it a new id and Keras's automatic name when none is given.</summary>
    private static Layer Make(string? name, int[]? inputShape, Func<LayerId, Core.Layer> create)
    {
        var unnamed = create(Layer.NewId());
        var record = unnamed with { Name = name ?? Backend.Current.UniqueName(Names.SnakeCase(unnamed.ClassName), zeroBased: true) };
        var batchShape = inputShape is null ? null : Shape.Of([null, .. inputShape.Select(d => (int?)d)]);
        return new Layer(record, batchShape);
    }
}
