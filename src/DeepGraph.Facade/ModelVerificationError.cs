using System.Globalization;

namespace DeepGraph.Keras;

/// <summary>
/// A model loaded with <c>verify: true</c> does not give the outputs of the test case stored beside it
/// (<see cref="Models.LoadModel(string, IEnumerable{Core.LayerKind}?, bool, bool)"/>): the first value that differs by more
/// than the tolerance 1e-4 · max(1, |want|), which output and where. Nothing of the model is returned.
/// </summary>
public sealed class ModelVerificationError : ModelFormatError
{
    /// <summary>Creates the error for one value that differs.</summary>
    /// <param name="path">The model file verified.</param>
    /// <param name="output">The output's position among the model's outputs.</param>
    /// <param name="index">The value's position in the output (row-major, batch first).</param>
    /// <param name="got">What the model gives.</param>
    /// <param name="want">What the test case stores.</param>
    /// <param name="coordinates">The value's coordinates in the output's shape, for the message.</param>
    public ModelVerificationError(string path, int output, long index, float got, float want, IReadOnlyList<int> coordinates)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"{path}: verification failed: output {output} at [{string.Join(", ", coordinates)}] (value {index}) is {got:R}, but the test case stored beside the model wants {want:R} " +
            $"(tolerance {ToleranceOf(want):R} = 1e-4 · max(1, |want|)). The model file and its test case disagree: the file was changed after the case was written, or DeepGraph computes a layer differently from Keras."))
    {
        Path = path;
        Output = output;
        Index = index;
        Got = got;
        Want = want;
        Tolerance = ToleranceOf(want);
        Coordinates = coordinates;
    }

    /// <summary>The model file verified.</summary>
    public string Path { get; }

    /// <summary>The output's position among the model's outputs (0 for the first).</summary>
    public int Output { get; }

    /// <summary>The value's position in the output, row-major.</summary>
    public long Index { get; }

    /// <summary>The value's coordinates in the output's shape.</summary>
    public IReadOnlyList<int> Coordinates { get; }

    /// <summary>The value the model gives.</summary>
    public float Got { get; }

    /// <summary>The value the test case stores.</summary>
    public float Want { get; }

    /// <summary>The largest difference allowed at this value: 1e-4 · max(1, |<see cref="Want"/>|).</summary>
    public double Tolerance { get; }

    /// <summary>The tolerance for an expected value: 1e-4 · max(1, |want|), as Keras-file test cases are compared.</summary>
    public static double ToleranceOf(float want) => 1e-4 * Math.Max(1.0, Math.Abs((double)want));
}
