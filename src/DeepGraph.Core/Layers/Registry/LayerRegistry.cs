using System.Reflection;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// The layer kinds a file format knows, by Keras class name: an immutable value. <see cref="Default"/>
/// holds every built-in layer (each record type of this assembly that declares
/// <c>public static LayerKind Kind { get; }</c>); <see cref="With(LayerKind)"/> gives a registry with one more kind
/// (a user's class, Keras's <c>custom_objects</c>). Formats look kinds up here (<see cref="Read"/>,
/// <see cref="Write"/>) rather than switching over layer types, so a new layer is one file.
/// </summary>
/// <example><code>
/// var registry = LayerRegistry.Default.With(MyLayer.Kind);
/// var model = TfjsModel.Read(json, readWeights, registry);
/// </code></example>
public sealed class LayerRegistry
{
    private readonly Dictionary<string, LayerKind> byName;

    private LayerRegistry(IReadOnlyList<LayerKind> kinds)
    {
        Kinds = kinds;
        byName = new Dictionary<string, LayerKind>(StringComparer.Ordinal);
        foreach (var kind in kinds)
            foreach (var name in kind.Names)
                byName[name] = kind;
        ClassNames = [.. byName.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>A registry without kinds.</summary>
    public static LayerRegistry Empty { get; } = new([]);

    /// <summary>Every built-in layer kind, in the order of their class names.</summary>
    public static LayerRegistry Default { get; } = Discover(typeof(Layer).Assembly);

    /// <summary>The kinds, in the order they were added (a kind that replaced another takes its place at the end).</summary>
    public IReadOnlyList<LayerKind> Kinds { get; }

    /// <summary>Every class name read (aliases included), in ordinal order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>
    /// The registry of the kinds that the layer types of <paramref name="assembly"/> declare: each non-abstract
    /// subclass of <see cref="Layer"/> with a public static <see cref="LayerKind"/> property <c>Kind</c>, in
    /// ordinal order of their class names.
    /// </summary>
    /// <exception cref="InvalidOperationException">Two types declare the same class name.</exception>
    public static LayerRegistry Discover(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var kinds = assembly.GetTypes()
            .Where(t => typeof(Layer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => t.GetProperty("Kind", BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(p => p is not null && p.PropertyType == typeof(LayerKind))
            .Select(p => (LayerKind)p!.GetValue(null)!)
            .OrderBy(k => k.ClassName, StringComparer.Ordinal)
            .ToList();
        foreach (var clash in kinds.SelectMany(k => k.Names).GroupBy(n => n).Where(g => g.Count() > 1))
            throw new InvalidOperationException($"Two layer kinds of {assembly.GetName().Name} read class '{clash.Key}'.");
        return new LayerRegistry(kinds);
    }

    /// <summary>
    /// This registry with <paramref name="kind"/> added. A kind already known by one of its class names is
    /// replaced (as Keras's <c>custom_objects</c> take precedence over built-in classes); this registry is unchanged.
    /// </summary>
    public LayerRegistry With(LayerKind kind)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentException.ThrowIfNullOrEmpty(kind.ClassName, nameof(kind));
        var names = kind.Names.ToHashSet(StringComparer.Ordinal);
        // A replaced kind keeps the names the new kind does not take.
        var kept = Kinds.Select(k => names.Overlaps(k.Names)
                ? (names.Contains(k.ClassName) ? null : k with { Aliases = [.. k.Aliases.Where(a => !names.Contains(a))] })
                : k)
            .OfType<LayerKind>();
        return new LayerRegistry([.. kept, kind]);
    }

    /// <summary>This registry with every kind of <paramref name="kinds"/> added, in order (<see cref="With(LayerKind)"/>).</summary>
    public LayerRegistry With(IEnumerable<LayerKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        return kinds.Aggregate(this, (r, k) => r.With(k));
    }

    /// <summary>The kind that reads <paramref name="className"/> (its class name or an alias), or null.</summary>
    public LayerKind? Find(string className) => byName.GetValueOrDefault(className);

    /// <summary>The kind that writes <paramref name="layer"/> (by its class name, checked against the kind's record type), or null.</summary>
    public LayerKind? KindOf(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Find(layer.ClassName) is { } kind && kind.Describes(layer) ? kind : null;
    }

    /// <summary>
    /// The record a layer <paramref name="config"/> of class <paramref name="className"/> describes, unbuilt
    /// (<see cref="LayerKind.ReadLayer"/>).
    /// </summary>
    /// <exception cref="UnsupportedLayerError">The class is not registered (the message names it, the layer, and the known classes).</exception>
    /// <exception cref="ModelFormatError">A value is missing or invalid.</exception>
    public Layer Read(string className, LayerConfig config, LayerId id, string name)
    {
        ArgumentNullException.ThrowIfNull(config);
        var kind = Find(className) ?? throw new UnsupportedLayerError(
            $"{config.Where}: unknown layer class '{className}' (layer \"{name}\"). DeepGraph reads these classes: {string.Join(", ", ClassNames)}. " +
            "A custom layer class must be registered to be read (Keras's custom_objects: a LayerKind added with LayerRegistry.With, " +
            "or Saving.RegisterKerasSerializable in the facade).", name, className, null);
        return kind.ReadLayer(config, id, name);
    }

    /// <summary>The whole config of <paramref name="layer"/> (<see cref="LayerKind.WriteConfig"/>).</summary>
    /// <exception cref="ModelFormatError">No kind of this registry describes the layer.</exception>
    public JsonObject Write(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var kind = KindOf(layer) ?? throw new ModelFormatError(
            $"Layer \"{layer.Name}\" ({layer.ClassName}) cannot be written: no registered layer kind describes its class. " +
            "Register a LayerKind for it (LayerRegistry.With, or Saving.RegisterKerasSerializable in the facade).");
        return kind.WriteConfig(layer);
    }
}
