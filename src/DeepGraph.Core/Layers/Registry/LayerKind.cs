using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// One kind of layer as file formats know it: its Keras class name (and aliases), the record type
/// that holds it, and its config codec — <see cref="Read"/> makes the (unbuilt) record from a Keras
/// <c>config</c>, <see cref="Write"/> gives the config's layer-specific keys in the order TensorFlow.js 4.x
/// writes them. A built-in layer declares its kind beside its record, as <c>public static LayerKind Kind</c>
/// (found by <see cref="LayerRegistry.Default"/>); a user's class is added with <see cref="LayerRegistry.With(LayerKind)"/>.
/// </summary>
/// <remarks>
/// The keys every layer shares are the format's, not the kind's: unless <see cref="NameAndTrainable"/> is
/// false, <see cref="ReadLayer"/> sets <see cref="Layer.Trainable"/> from <c>trainable</c> (default true) and
/// <see cref="WriteConfig"/> appends <c>name</c> and <c>trainable</c> after the kind's keys (TF.js's order).
/// <see cref="Read"/> is given the layer's id and name: a record's <c>Id</c> and <c>Name</c> are required.
/// </remarks>
/// <example><code>
/// public static LayerKind Kind { get; } = LayerKind.Of&lt;Flatten&gt;("Flatten",
///     (c, id, name) =&gt; { c.RequireChannelsLast(); return new Flatten { Id = id, Name = name }; },
///     _ =&gt; new JsonObject());
/// </code></example>
/// <param name="ClassName">The Keras class name written in files (<c>Dense</c>).</param>
/// <param name="LayerType">The record type (or a base of it) whose instances of <see cref="ClassName"/> this kind writes.</param>
/// <param name="Read">The record a config describes, unbuilt, with the given id and name.</param>
/// <param name="Write">The layer-specific keys of a record's config, in the order the file gets them.</param>
public sealed record LayerKind(string ClassName, Type LayerType, Func<LayerConfig, LayerId, string, Layer> Read, Func<Layer, JsonObject> Write)
{
    /// <summary>Other class names read as this kind (<c>Functional</c> for <c>Model</c>); files are written with <see cref="ClassName"/>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>
    /// True (the default) when the config carries the shared <c>name</c> and <c>trainable</c> keys, read and
    /// written by <see cref="ReadLayer"/> and <see cref="WriteConfig"/>; false for a kind whose
    /// <see cref="Read"/>/<see cref="Write"/> handle every key (an <c>InputLayer</c> has no <c>trainable</c>).
    /// </summary>
    public bool NameAndTrainable { get; init; } = true;

    /// <summary>Every class name this kind reads: <see cref="ClassName"/>, then the <see cref="Aliases"/>.</summary>
    public IEnumerable<string> Names => Aliases.Prepend(ClassName);

    /// <summary>A kind whose codec works on <typeparamref name="T"/> rather than on any layer.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="className">The Keras class name.</param>
    /// <param name="read">The record a config describes, unbuilt, with the given id and name.</param>
    /// <param name="write">The record's layer-specific config keys, in file order.</param>
    /// <param name="aliases">Other class names read as this kind.</param>
    public static LayerKind Of<T>(string className, Func<LayerConfig, LayerId, string, T> read, Func<T, JsonObject> write, params string[] aliases)
        where T : Layer
    {
        ArgumentException.ThrowIfNullOrEmpty(className);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(write);
        return new LayerKind(className, typeof(T), (c, id, name) => read(c, id, name), layer => write((T)layer)) { Aliases = aliases };
    }

    /// <summary>True when this kind writes <paramref name="layer"/>: its class name is this kind's and it is a <see cref="LayerType"/>.</summary>
    public bool Describes(Layer layer) => layer.ClassName == ClassName && LayerType.IsInstanceOfType(layer);

    /// <summary>
    /// The record <paramref name="config"/> describes, with <paramref name="id"/> and <paramref name="name"/> and,
    /// unless <see cref="NameAndTrainable"/> is false, the <c>trainable</c> flag. A value the record's constructor
    /// refuses (an <see cref="ArgumentException"/>) becomes a <see cref="ModelFormatError"/> naming where the config sits.
    /// </summary>
    /// <exception cref="ModelFormatError">A value is missing or invalid.</exception>
    public Layer ReadLayer(LayerConfig config, LayerId id, string name)
    {
        ArgumentNullException.ThrowIfNull(config);
        try
        {
            var layer = Read(config, id, name) ?? throw new ModelFormatError($"{config.Where}: the reader of class '{ClassName}' gave no layer.");
            if (layer.Id != id || layer.Name != name) layer = layer with { Id = id, Name = name };
            return NameAndTrainable ? layer with { Trainable = config.Bool("trainable", true) } : layer;
        }
        catch (ArgumentException e)
        {
            // ArgumentException.Message ends with " (Parameter 'name')", which means nothing to the file's reader.
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new ModelFormatError($"{config.Where}: {message}", e);
        }
    }

    /// <summary>
    /// The whole config of <paramref name="layer"/>: <see cref="Write"/>'s keys then, unless
    /// <see cref="NameAndTrainable"/> is false, <c>name</c> and <c>trainable</c>.
    /// </summary>
    /// <exception cref="ArgumentException">This kind does not describe <paramref name="layer"/>.</exception>
    public JsonObject WriteConfig(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!Describes(layer))
            throw new ArgumentException($"Layer \"{layer.Name}\" ({layer.ClassName}, {layer.GetType().Name}) is not of kind {ClassName} ({LayerType.Name}).", nameof(layer));
        var config = Write(layer);
        if (NameAndTrainable)
        {
            config["name"] = layer.Name;
            config["trainable"] = layer.Trainable;
        }
        return config;
    }
}
