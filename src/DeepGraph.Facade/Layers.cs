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
    /// <exception cref="ArgumentException">A dimension is not positive.</exception>
    public static KerasTensor Input(int[] shape, string? name = null, int? batchSize = null)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Any(d => d <= 0))
            throw new ArgumentException($"Input shape dimensions must be positive. Received: shape=({string.Join(", ", shape)})", nameof(shape));
        return Input(Shape.Of([batchSize, .. shape.Select(d => (int?)d)]), name);
    }

    internal static KerasTensor Input(Shape batchShape, string? name)
    {
        var session = Backend.Current;
        var record = new InputLayer(batchShape) { Id = Layer.NewId(), Name = name ?? session.UniqueName("input", zeroBased: false) };
        var handle = new Layer(record);
        var (built, refs) = session.Call(record, []);
        handle.Adopt(built);
        session.Register(handle);
        var tensor = new KerasTensor(session, refs[0], batchShape, handle);
        handle.AddInputNode(tensor);
        return tensor;
    }

    /// <summary>Densely-connected layer: <c>activation(x · kernel + bias)</c>.</summary>
    public static Layer Dense(int units, string? activation = null, bool useBias = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Dense(units, activation, useBias) { Id = id, Name = "" });

    /// <summary>2-D convolution; <paramref name="kernelSize"/> and <paramref name="strides"/> take an integer or a (height, width) pair.</summary>
    public static Layer Conv2D(int filters, Size2 kernelSize, Size2? strides = null, string padding = "valid", string? activation = null,
        bool useBias = true, Size2? dilationRate = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Conv2D(filters, kernelSize.ToTuple(), strides?.ToTuple(), padding, activation, useBias, dilationRate?.ToTuple()) { Id = id, Name = "" });

    /// <summary>Flattens all but the batch axis.</summary>
    public static Layer Flatten(string? name = null, int[]? inputShape = null) => Make(name, inputShape, id => new Core.Flatten() { Id = id, Name = "" });

    /// <summary>Reshapes to <paramref name="targetShape"/> (batch excluded; one entry may be -1, inferred).</summary>
    public static Layer Reshape(int[] targetShape, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Reshape(targetShape) { Id = id, Name = "" });

    /// <summary>Applies an activation function.</summary>
    public static Layer Activation(string activation, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Activation(activation) { Id = id, Name = "" });

    /// <summary>Dropout: zeroes a fraction <paramref name="rate"/> of the inputs while training; identity at inference.</summary>
    public static Layer Dropout(double rate, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Dropout(rate, seed: seed) { Id = id, Name = "" });

    /// <summary>2-D max pooling; strides default to the pool size.</summary>
    public static Layer MaxPooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.MaxPooling2D(poolSize?.ToTuple(), strides?.ToTuple(), padding) { Id = id, Name = "" });

    /// <summary>2-D average pooling; strides default to the pool size.</summary>
    public static Layer AveragePooling2D(Size2? poolSize = null, Size2? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.AveragePooling2D(poolSize?.ToTuple(), strides?.ToTuple(), padding) { Id = id, Name = "" });

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

    /// <summary>Wraps a record made without identity: gives it a new id and Keras's automatic name when none is given.</summary>
    private static Layer Make(string? name, int[]? inputShape, Func<LayerId, Core.Layer> create)
    {
        var unnamed = create(Layer.NewId());
        var record = unnamed with { Name = name ?? Backend.Current.UniqueName(Names.SnakeCase(unnamed.ClassName), zeroBased: true) };
        var batchShape = inputShape is null ? null : Shape.Of([null, .. inputShape.Select(d => (int?)d)]);
        return new Layer(record, batchShape);
    }
}
