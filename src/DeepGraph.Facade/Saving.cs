using DeepGraph.Core;

namespace DeepGraph.Keras;

/// <summary>
/// Keras's <c>keras.saving</c>: the layer classes that <see cref="Models.LoadModel(string, IEnumerable{LayerKind}?, bool, bool)"/> reads and
/// <see cref="Model.Save"/> writes, process-wide. Every built-in layer is known; a program adds its
/// own classes with <see cref="RegisterKerasSerializable"/> (Keras's <c>@register_keras_serializable</c>),
/// or passes them to one load as <c>customObjects</c>. Core keeps no such state: this is the facade's
/// one mutable registration, an immutable <see cref="LayerRegistry"/> swapped as a whole.
/// </summary>
/// <example><code>
/// Saving.RegisterKerasSerializable(MyScale.Kind);   // a LayerKind: class name, record type, config codec
/// var model = Models.LoadModel("model.json");      // reads "MyScale" layers
/// </code></example>
public static class Saving
{
    private static LayerRegistry registry = LayerRegistry.Default;

    /// <summary>The layer classes loading and saving know now: the built-in ones and every class registered so far.</summary>
    public static LayerRegistry Registry => Volatile.Read(ref registry);

    /// <summary>
    /// Registers a layer class for every later load and save in this process. A class already known by one of
    /// <paramref name="kind"/>'s names (a built-in one too) is replaced, as Keras's registered objects take
    /// precedence.
    /// </summary>
    /// <exception cref="ArgumentException">The kind has no class name.</exception>
    public static void RegisterKerasSerializable(LayerKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentException.ThrowIfNullOrEmpty(kind.ClassName, nameof(kind));
        LayerRegistry seen, next;
        do
        {
            seen = Volatile.Read(ref registry);
            next = seen.With(kind);
        }
        while (Interlocked.CompareExchange(ref registry, next, seen) != seen);
    }

    /// <summary>The registered kind that reads <paramref name="className"/>, or null (Keras's <c>get_registered_object</c>).</summary>
    public static LayerKind? GetRegisteredObject(string className)
    {
        ArgumentNullException.ThrowIfNull(className);
        return Registry.Find(className);
    }

    /// <summary>The process-wide registry with <paramref name="customObjects"/> added for one load or save.</summary>
    internal static LayerRegistry With(IEnumerable<LayerKind>? customObjects) =>
        customObjects is null ? Registry : Registry.With(customObjects);
}
