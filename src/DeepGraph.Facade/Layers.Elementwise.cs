using DeepGraph.Core;

namespace DeepGraph.Keras;

// The elementwise family: activation layers, noise and dropout variants, Subtract and Dot, and Keras's functional
// merge helpers (keras.layers.add([...]) and its siblings), which call a new merge layer on tensors at once.
public static partial class Layers
{
    /// <summary>Softmax over <paramref name="axis"/> (Keras's default −1, the last axis); the output has the input's shape.</summary>
    public static Layer Softmax(int axis = -1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Softmax(axis) { Id = id, Name = "" });

    /// <summary>Softmax over several axes together (Keras's tuple <c>axis</c>): e^x / Σ e^x over all of them.</summary>
    /// <exception cref="ArgumentException">An axis is given twice.</exception>
    public static Layer Softmax(int[] axis, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Softmax(axis) { Id = id, Name = "" });

    /// <summary>
    /// Rectified linear unit: x at or above <paramref name="threshold"/>, capped at <paramref name="maxValue"/>;
    /// <paramref name="negativeSlope"/>·(x − threshold) below the threshold.
    /// </summary>
    /// <exception cref="ArgumentException">A value is negative.</exception>
    public static Layer ReLU(double? maxValue = null, double negativeSlope = 0, double threshold = 0, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ReLU(maxValue, negativeSlope, threshold) { Id = id, Name = "" });

    /// <summary>Leaky ReLU: x where x ≥ 0, else <paramref name="negativeSlope"/>·x (Keras 3's name; Keras 2's <paramref name="alpha"/> is accepted too).</summary>
    /// <exception cref="ArgumentException">The slope is negative.</exception>
    public static Layer LeakyReLU(double negativeSlope = 0.3, string? name = null, int[]? inputShape = null, double? alpha = null) =>
        Make(name, inputShape, id => new Core.LeakyReLU(alpha ?? negativeSlope) { Id = id, Name = "" });

    /// <summary>
    /// Parametric ReLU: x where x &gt; 0, else alpha·x with a learned alpha per input value, shared along
    /// <paramref name="sharedAxes"/> (1-based; <c>[1, 2]</c> gives one slope per channel of an image).
    /// </summary>
    /// <param name="alphaInitializer"><c>zeros</c> (Keras's default) or <c>ones</c> (Keras's class names <c>Zeros</c>, <c>Ones</c> too).</param>
    /// <param name="sharedAxes">Axes sharing one slope; null for none.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="inputShape">The input shape of a Sequential model's first layer (batch excluded).</param>
    /// <exception cref="ArgumentException">An unknown initializer, or an axis that is not positive.</exception>
    public static Layer PReLU(string alphaInitializer = "zeros", int[]? sharedAxes = null, string? name = null, int[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(alphaInitializer);
        Initializer init = Names.SnakeCase(alphaInitializer) switch
        {
            "zeros" => Constant.Zeros,
            "ones" => Constant.Ones,
            _ => throw new ArgumentException($"PReLU: unknown alpha_initializer '{alphaInitializer}'. Known: zeros, ones.", nameof(alphaInitializer)),
        };
        return Make(name, inputShape, id => new Core.PReLU(sharedAxes, init) { Id = id, Name = "" });
    }

    /// <summary>Exponential linear unit: x where x &gt; 0, else <paramref name="alpha"/>·(eˣ − 1).</summary>
    public static Layer ELU(double alpha = 1.0, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ELU(alpha) { Id = id, Name = "" });

    /// <summary>Thresholded ReLU (Keras 2): x where x &gt; <paramref name="theta"/>, else 0.</summary>
    /// <exception cref="ArgumentException">theta is negative.</exception>
    public static Layer ThresholdedReLU(double theta = 1.0, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ThresholdedReLU(theta) { Id = id, Name = "" });

    /// <summary>Spatial 1D dropout: on (batch, steps, channels), drops whole channels while training; identity at inference.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1).</exception>
    public static Layer SpatialDropout1D(double rate, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.SpatialDropout1D(rate, seed) { Id = id, Name = "" });

    /// <summary>Spatial 2D dropout: on images, drops whole channels while training; identity at inference.</summary>
    /// <param name="rate">Fraction of the channels dropped, in [0, 1).</param>
    /// <param name="dataFormat"><c>channels_last</c> (the default) or <c>channels_first</c>.</param>
    /// <param name="seed">Seed of the mask's random stream.</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="inputShape">The input shape of a Sequential model's first layer (batch excluded).</param>
    /// <exception cref="ArgumentException">The rate is outside [0, 1), or the data format is unknown.</exception>
    public static Layer SpatialDropout2D(double rate, string dataFormat = "channels_last", int? seed = null, string? name = null, int[]? inputShape = null)
    {
        if (dataFormat is not ("channels_last" or "channels_first"))
            throw new ArgumentException($"The `data_format` argument must be one of \"channels_first\", \"channels_last\". Received: {dataFormat}", nameof(dataFormat));
        return Make(name, inputShape, id => new Core.SpatialDropout2D(rate, dataFormat == "channels_first", seed) { Id = id, Name = "" });
    }

    /// <summary>Adds zero-mean normal noise of deviation <paramref name="stddev"/> while training; identity at inference.</summary>
    /// <exception cref="ArgumentException">The deviation is negative.</exception>
    public static Layer GaussianNoise(double stddev, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GaussianNoise(stddev, seed) { Id = id, Name = "" });

    /// <summary>Multiplies by normal noise of mean 1 and deviation sqrt(rate / (1 − rate)) while training; identity at inference.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1].</exception>
    public static Layer GaussianDropout(double rate, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GaussianDropout(rate, seed) { Id = id, Name = "" });

    /// <summary>Alpha dropout for selu networks: keeps a standard normal input's mean and variance while training; identity at inference.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1], or a noise dimension is not positive.</exception>
    public static Layer AlphaDropout(double rate, int?[]? noiseShape = null, int? seed = null, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.AlphaDropout(rate, noiseShape, seed) { Id = id, Name = "" });

    /// <summary>The first of two same-shape inputs minus the second.</summary>
    public static Layer Subtract(string? name = null) => Make(name, null, id => new Core.Subtract() { Id = id, Name = "" });

    /// <summary>
    /// Per-sample dot product over axis <paramref name="axes"/> of both inputs (negative counts from the end):
    /// the first input's other axes, then the second's; (batch, 1) for two vectors. <paramref name="normalize"/>
    /// divides each input by its l2 norm first (cosine similarity).
    /// </summary>
    /// <exception cref="ArgumentException">The axis is 0 (the batch).</exception>
    public static Layer Dot(int axes, bool normalize = false, string? name = null) =>
        Make(name, null, id => new Core.Dot(axes, normalize) { Id = id, Name = "" });

    /// <summary>Per-sample dot product over axis <paramref name="axes"/>.First of the first input and .Second of the second.</summary>
    /// <exception cref="ArgumentException">An axis is 0 (the batch).</exception>
    public static Layer Dot((int First, int Second) axes, bool normalize = false, string? name = null) =>
        Make(name, null, id => new Core.Dot(axes, normalize) { Id = id, Name = "" });

    // ---- functional helpers: keras.layers.add([a, b]) and its siblings ------------------------------------

    /// <summary>The elementwise sum of the tensors (Keras's <c>layers.add([a, b])</c>): a new Add layer called on them.</summary>
    /// <example><code>var sum = Add([a, b, c], name: "sum");</code></example>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ.</exception>
    public static KerasTensor Add(KerasTensor[] inputs, string? name = null) => Add(name).Call(inputs);

    /// <summary>The elementwise sum of two or more tensors: <c>Add(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Add(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Add([first, second, .. more]);

    /// <summary>The first tensor minus the second (Keras's <c>layers.subtract([a, b])</c>).</summary>
    /// <exception cref="ShapeError">Not exactly two tensors, or shapes that differ.</exception>
    public static KerasTensor Subtract(KerasTensor[] inputs, string? name = null) => Subtract(name).Call(inputs);

    /// <summary>The first tensor minus the second: <c>Subtract(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Subtract(KerasTensor first, KerasTensor second) => Subtract([first, second]);

    /// <summary>The elementwise product of the tensors (Keras's <c>layers.multiply([a, b])</c>).</summary>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ.</exception>
    public static KerasTensor Multiply(KerasTensor[] inputs, string? name = null) => Multiply(name).Call(inputs);

    /// <summary>The elementwise product of two or more tensors: <c>Multiply(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Multiply(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Multiply([first, second, .. more]);

    /// <summary>The elementwise mean of the tensors (Keras's <c>layers.average([a, b])</c>).</summary>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ.</exception>
    public static KerasTensor Average(KerasTensor[] inputs, string? name = null) => Average(name).Call(inputs);

    /// <summary>The elementwise mean of two or more tensors: <c>Average(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Average(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Average([first, second, .. more]);

    /// <summary>The elementwise maximum of the tensors (Keras's <c>layers.maximum([a, b])</c>).</summary>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ.</exception>
    public static KerasTensor Maximum(KerasTensor[] inputs, string? name = null) => Maximum(name).Call(inputs);

    /// <summary>The elementwise maximum of two or more tensors: <c>Maximum(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Maximum(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Maximum([first, second, .. more]);

    /// <summary>The elementwise minimum of the tensors (Keras's <c>layers.minimum([a, b])</c>).</summary>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ.</exception>
    public static KerasTensor Minimum(KerasTensor[] inputs, string? name = null) => Minimum(name).Call(inputs);

    /// <summary>The elementwise minimum of two or more tensors: <c>Minimum(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ.</exception>
    public static KerasTensor Minimum(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Minimum([first, second, .. more]);

    /// <summary>The tensors joined along <paramref name="axis"/> (Keras's <c>layers.concatenate([a, b], axis=-1)</c>).</summary>
    /// <exception cref="ShapeError">Fewer than two tensors, or shapes that differ off the axis.</exception>
    public static KerasTensor Concatenate(KerasTensor[] inputs, int axis = -1, string? name = null) => Concatenate(axis, name).Call(inputs);

    /// <summary>Two or more tensors joined along the last axis: <c>Concatenate(a, b)</c>.</summary>
    /// <exception cref="ShapeError">Shapes that differ off the last axis.</exception>
    public static KerasTensor Concatenate(KerasTensor first, KerasTensor second, params KerasTensor[] more) => Concatenate([first, second, .. more]);

    /// <summary>The per-sample dot product of two tensors over axis <paramref name="axes"/> of each (Keras's <c>layers.dot([a, b], axes)</c>).</summary>
    /// <exception cref="ShapeError">Not two tensors, or contracted axes of different sizes.</exception>
    public static KerasTensor Dot(KerasTensor[] inputs, int axes, bool normalize = false, string? name = null) => Dot(axes, normalize, name).Call(inputs);

    /// <summary>The per-sample dot product over axis <paramref name="axes"/>.First of the first tensor and .Second of the second.</summary>
    /// <exception cref="ShapeError">Not two tensors, or contracted axes of different sizes.</exception>
    public static KerasTensor Dot(KerasTensor[] inputs, (int First, int Second) axes, bool normalize = false, string? name = null) =>
        Dot(axes, normalize, name).Call(inputs);
}
