using System.Text.RegularExpressions;

namespace DeepGraph.Core;

/// <summary>Keras's naming rules, as pure functions.</summary>
public static partial class Names
{
    /// <summary>Keras's <c>to_snake_case</c>: <c>Conv2D</c> → <c>conv2d</c>, <c>MaxPooling2D</c> → <c>max_pooling2d</c>, <c>BatchNormalization</c> → <c>batch_normalization</c>.</summary>
    public static string SnakeCase(string className)
    {
        var s = WordStart().Replace(className, "$1_$2");
        return LowerUpper().Replace(s, "$1_$2").ToLowerInvariant();
    }

    [GeneratedRegex("(.)([A-Z][a-z]+)")]
    private static partial Regex WordStart();

    [GeneratedRegex("([a-z])([A-Z])")]
    private static partial Regex LowerUpper();
}
