using System.Globalization;

namespace DeepGraph.Keras;

/// <summary>Keras's <c>keras.utils</c> helpers for preparing data.</summary>
public static class Utils
{
    /// <summary>
    /// Keras's <c>to_categorical</c>: integer class labels as one-hot rows. Labels of shape [n] (or
    /// [n, 1], whose trailing 1 is dropped, as Keras drops it) give [n, numClasses]; labels of shape
    /// [a, b] give [a, b, numClasses]. Without <paramref name="numClasses"/>, it is the largest label + 1.
    /// Labels are stored as floats and truncated to integers, as numpy's <c>astype("int64")</c> does.
    /// </summary>
    /// <example><code>Tensor oneHot = Utils.ToCategorical(labels, numClasses: 10);   // [60000] → [60000, 10]</code></example>
    /// <exception cref="ArgumentException">A label is negative, not finite, or not below <paramref name="numClasses"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numClasses"/> is 0 or less.</exception>
    public static Tensor ToCategorical(Tensor labels, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        int[] shape = [.. labels.Shape.Select(d => d ?? throw new ArgumentException($"ToCategorical needs labels of a known shape; received {labels.Shape}.", nameof(labels)))];
        if (shape.Length > 1 && shape[^1] == 1) shape = shape[..^1];
        var values = labels.ToArray();
        var classes = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!float.IsFinite(v) || v < 0 || v >= int.MaxValue)
                throw new ArgumentException($"ToCategorical: label {v.ToString(CultureInfo.InvariantCulture)} at position {i} is not a class index (an integer 0 or more).", nameof(labels));
            classes[i] = (int)v;
        }
        int n = numClasses ?? (classes.Length == 0 ? 0 : classes.Max() + 1);
        if (numClasses is not null) ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numClasses.Value, nameof(numClasses));
        var data = new float[classes.Length * n];
        for (int i = 0; i < classes.Length; i++)
        {
            if (classes[i] >= n)
                throw new ArgumentException($"ToCategorical: label {classes[i]} at position {i} is not below numClasses = {n}.", nameof(labels));
            data[i * n + classes[i]] = 1f;
        }
        return Tensor.FromArray(data, [.. shape, n]);
    }

    /// <summary>Keras's <c>to_categorical</c> for labels given as integers: shape [labels.Length, numClasses].</summary>
    /// <inheritdoc cref="ToCategorical(Tensor, int?)"/>
    public static Tensor ToCategorical(IReadOnlyList<int> labels, int? numClasses = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return ToCategorical(Tensor.FromArray([.. labels.Select(l => (float)l)], [labels.Count]), numClasses);
    }
}
