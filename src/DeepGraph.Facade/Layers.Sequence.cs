namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// Masks the steps of a sequence whose features all equal <paramref name="maskValue"/> (Keras's <c>Masking</c>): the output
    /// is the input with those steps zeroed, and the layers after it (recurrent layers, GlobalAveragePooling1D) skip them.
    /// </summary>
    public static Layer Masking(double maskValue = 0.0, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Masking(maskValue) { Id = id, Name = "" });

    /// <summary>
    /// Applies <paramref name="layer"/> to every step of a sequence with one set of weights (Keras's <c>TimeDistributed</c>):
    /// (batch, steps, …) → (batch, steps, …′). The weights are named under the wrapper (<c>time_distributed/kernel</c>).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null.</exception>
    public static Layer TimeDistributed(Layer layer, string? name = null, int[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var inner = layer.Record;
        return Make(name, inputShape, id => new Core.TimeDistributed(inner) { Id = id, Name = "" });
    }

    /// <summary>Repeats a vector <paramref name="n"/> times: (batch, features) → (batch, n, features) (Keras's <c>RepeatVector</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="n"/> is negative.</exception>
    public static Layer RepeatVector(int n, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.RepeatVector(n) { Id = id, Name = "" });

    /// <summary>Reorders the axes after the batch: output axis k is input axis <c>dims[k − 1]</c> (1-based, Keras's <c>Permute</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="dims"/> is not a permutation of 1 … its length.</exception>
    public static Layer Permute(int[] dims, string? name = null, int[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(dims);
        return Make(name, inputShape, id => new Core.Permute(dims) { Id = id, Name = "" });
    }

    /// <summary>Cuts <paramref name="cropping"/> steps from both ends of a sequence (Keras's <c>Cropping1D</c>, default 1).</summary>
    /// <exception cref="ArgumentException">The cropping is negative.</exception>
    public static Layer Cropping1D(int cropping = 1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Cropping1D(cropping) { Id = id, Name = "" });

    /// <summary>Cuts <c>Start</c> steps from the start of a sequence and <c>End</c> from its end (Keras's <c>Cropping1D((start, end))</c>).</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public static Layer Cropping1D((int Start, int End) cropping, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Cropping1D(cropping) { Id = id, Name = "" });

    /// <summary>Cuts <paramref name="cropping"/> rows from the top and bottom and columns from the left and right of an image (Keras's <c>Cropping2D</c>, default 0).</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public static Layer Cropping2D(Size2? cropping = null, string? name = null, int[]? inputShape = null)
    {
        var c = cropping ?? 0;
        return Make(name, inputShape, id => new Core.Cropping2D((c.H, c.W)) { Id = id, Name = "" });
    }

    /// <summary>Cuts each side of an image on its own: ((top, bottom), (left, right)) (Keras's <c>Cropping2D</c>).</summary>
    /// <exception cref="ArgumentException">A cropping is negative.</exception>
    public static Layer Cropping2D(((int Top, int Bottom) Height, (int Left, int Right) Width) cropping, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.Cropping2D(cropping) { Id = id, Name = "" });

    /// <summary>Adds <paramref name="padding"/> steps of zeros at both ends of a sequence (Keras's <c>ZeroPadding1D</c>, default 1).</summary>
    /// <exception cref="ArgumentException">The padding is negative.</exception>
    public static Layer ZeroPadding1D(int padding = 1, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ZeroPadding1D(padding) { Id = id, Name = "" });

    /// <summary>Adds <c>Start</c> steps of zeros before a sequence and <c>End</c> after it (Keras's <c>ZeroPadding1D((start, end))</c>).</summary>
    /// <exception cref="ArgumentException">A padding is negative.</exception>
    public static Layer ZeroPadding1D((int Start, int End) padding, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.ZeroPadding1D(padding) { Id = id, Name = "" });

    /// <summary>Repeats each step <paramref name="size"/> times: (batch, steps, features) → (batch, steps · size, features) (Keras's <c>UpSampling1D</c>).</summary>
    /// <exception cref="ArgumentException">The size is not positive.</exception>
    public static Layer UpSampling1D(int size = 2, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.UpSampling1D(size) { Id = id, Name = "" });

    /// <summary>
    /// Enlarges an image <paramref name="size"/> times (default 2×2): <c>nearest</c> repeats each cell, <c>bilinear</c>
    /// interpolates with Keras's half-pixel centres (Keras's <c>UpSampling2D</c>; TF.js's bilinear numbers differ).
    /// </summary>
    /// <exception cref="ArgumentException">A size is not positive or the interpolation is not <c>nearest</c> or <c>bilinear</c>.</exception>
    public static Layer UpSampling2D(Size2? size = null, string interpolation = "nearest", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.UpSampling2D(size?.ToTuple(), interpolation) { Id = id, Name = "" });

    /// <summary>1-D max pooling over windows of <paramref name="poolSize"/> steps; strides default to the pool size (Keras's <c>MaxPooling1D</c>).</summary>
    /// <exception cref="ArgumentException">The size or stride is not positive, or the padding unknown.</exception>
    public static Layer MaxPooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.MaxPooling1D(poolSize, strides, Core.Padding.Parse(padding)) { Id = id, Name = "" });

    /// <summary>1-D average pooling over windows of <paramref name="poolSize"/> steps; strides default to the pool size; padded steps never count (Keras's <c>AveragePooling1D</c>).</summary>
    /// <exception cref="ArgumentException">The size or stride is not positive, or the padding unknown.</exception>
    public static Layer AveragePooling1D(int poolSize = 2, int? strides = null, string padding = "valid", string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.AveragePooling1D(poolSize, strides, Core.Padding.Parse(padding)) { Id = id, Name = "" });
}
