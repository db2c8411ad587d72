using System.Text.RegularExpressions;

namespace DeepGraph.Serialization;

/// <summary>
/// Keras 3's object paths, the group names of <c>model.weights.h5</c>: a container's layers are saved
/// under <c>layers/</c>, each named after its class in snake case (<c>Conv2D</c> → <c>conv2d</c>), the
/// second of a class <c>conv2d_1</c>, and so on, counted within the container.
/// </summary>
public static class KerasObjectPaths
{
    /// <summary>
    /// The object path of each layer entry of a container at <paramref name="containerPath"/> ("" for the
    /// root model), given the entries' class names in config order. Input layers are not saved by a
    /// Sequential model (its <c>layers</c> leaves them out), so they get no counted name there.
    /// </summary>
    /// <param name="classNames">The class names of the container's layer entries, in config order.</param>
    /// <param name="sequential">True for a Sequential container.</param>
    /// <param name="containerPath">The container's own object path.</param>
    public static string[] Children(IReadOnlyList<string> classNames, bool sequential, string containerPath)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        ArgumentNullException.ThrowIfNull(containerPath);
        var prefix = containerPath.Length == 0 ? "layers/" : containerPath + "/layers/";
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new string[classNames.Count];
        for (int i = 0; i < classNames.Count; i++)
        {
            var className = classNames[i] == "Model" ? "Functional" : classNames[i];
            if (sequential && className == "InputLayer")
            {
                paths[i] = "";
                continue;
            }
            var name = SnakeCase(className);
            int seen = used.GetValueOrDefault(name);
            used[name] = seen + 1;
            paths[i] = prefix + (seen == 0 ? name : $"{name}_{seen}");
        }
        return paths;
    }

    /// <summary>
    /// Keras's <c>to_snake_case</c>: non-word characters dropped, an underscore before each capitalised
    /// word that follows any character and before each capital that follows a lower-case letter, then lower
    /// case (<c>GRU</c> → <c>gru</c>, <c>Conv2D</c> → <c>conv2d</c>, <c>Conv2DTranspose</c> → <c>conv2d_transpose</c>).
    /// </summary>
    public static string SnakeCase(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        var name = Regex.Replace(className, @"\W+", "");
        name = Regex.Replace(name, "(.)([A-Z][a-z]+)", "$1_$2");
        return Regex.Replace(name, "([a-z])([A-Z])", "$1_$2").ToLowerInvariant();
    }
}
