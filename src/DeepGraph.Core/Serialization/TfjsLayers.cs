using System.Text.Json.Nodes;
using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// Layer records ↔ Keras layer configs (the <c>config</c> of <c>{"class_name", "config"}</c>), both
/// directions side by side so that a key read is a key written. Reading accepts the spellings found
/// in the wild (TF.js, tf.keras 2, Keras 3); writing emits the TensorFlow.js 4.x form, keys in its
/// order, so that <c>tf.loadLayersModel</c> reads the file. Models are handled by <see cref="TfjsModel"/>.
/// </summary>
internal static class TfjsLayers
{
    /// <summary>Every class name the reader knows, models included.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
    [
        "InputLayer", "Dense", "Conv2D", "Flatten", "Reshape", "Activation", "Dropout", "MaxPooling2D", "AveragePooling2D",
        "GlobalAveragePooling2D", "GlobalMaxPooling2D", "ZeroPadding2D", "BatchNormalization", "Concatenate", "Add", "Multiply",
        "Sequential", "Model", "Functional",
    ];

    /// <summary>True for the class names of a model nested as a layer.</summary>
    public static bool IsModel(string className) => className is "Sequential" or "Model" or "Functional";

    /// <summary>The record a (non-model) layer config describes, unbuilt, with identity <paramref name="id"/>.</summary>
    /// <exception cref="ModelFormatError">The class is unknown or a value is missing or invalid.</exception>
    public static Layer FromConfig(string className, JsonConfig c, LayerId id, string name)
    {
        try
        {
            Layer layer = className switch
            {
                "InputLayer" => new InputLayer(DeclaredInputShape(c)
                    ?? throw c.Error("batch_input_shape", "the input's shape with its batch, e.g. [null, 28, 28, 1]")) { Id = id, Name = name, DType = InputDType(c) },
                "Dense" => new Dense(c.Int("units"), Activation(c), c.Bool("use_bias", true)) { Id = id, Name = name },
                "Conv2D" => Conv2D(c, id, name),
                "Flatten" => ChannelsLast(c, new Flatten { Id = id, Name = name }),
                "Reshape" => new Reshape(TargetShape(c)) { Id = id, Name = name },
                "Activation" => new Core.Activation(c.OptionalString("activation") ?? throw c.Error("activation", "an activation name")) { Id = id, Name = name },
                "Dropout" => new Dropout(c.Has("rate") ? c.Double("rate", 0) : throw c.Error("rate", "a number in [0, 1)"),
                    c.OptionalDims("noise_shape"), c.OptionalInt("seed")) { Id = id, Name = name },
                "MaxPooling2D" => ChannelsLast(c, new MaxPooling2D(c.OptionalPair("pool_size", (2, 2)), c.OptionalPair("strides"), Padding(c)) { Id = id, Name = name }),
                "AveragePooling2D" => ChannelsLast(c, new AveragePooling2D(c.OptionalPair("pool_size", (2, 2)), c.OptionalPair("strides"), Padding(c)) { Id = id, Name = name }),
                "GlobalAveragePooling2D" => ChannelsLast(c, new GlobalAveragePooling2D(KeepDims(c)) { Id = id, Name = name }),
                "GlobalMaxPooling2D" => ChannelsLast(c, new GlobalMaxPooling2D(KeepDims(c)) { Id = id, Name = name }),
                "ZeroPadding2D" => ChannelsLast(c, new ZeroPadding2D(ZeroPadding(c)) { Id = id, Name = name }),
                "BatchNormalization" => new BatchNormalization(NormalizationAxis(c), c.Double("momentum", 0.99), c.Double("epsilon", 1e-3),
                    c.Bool("center", true), c.Bool("scale", true)) { Id = id, Name = name },
                "Concatenate" => new Concatenate(c.OptionalInt("axis", -1)!.Value) { Id = id, Name = name },
                "Add" => new Add { Id = id, Name = name },
                "Multiply" => new Multiply { Id = id, Name = name },
                _ => throw new ModelFormatError(
                    $"{c.Where}: unknown layer class '{className}'. DeepGraph reads these classes: {string.Join(", ", ClassNames)}."),
            };
            return layer is InputLayer ? layer : layer with { Trainable = c.Bool("trainable", true) };
        }
        catch (ArgumentException e)
        {
            // A layer constructor refused a value (units = 0, an unknown activation …): say which layer.
            // ArgumentException.Message ends with " (Parameter 'name')", which means nothing to the file's reader.
            var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
            throw new ModelFormatError($"{c.Where}: {message}", e);
        }
    }

    /// <summary>
    /// The input shape a config declares, batch included: <c>batch_input_shape</c> (Keras 2, TF.js),
    /// <c>batch_shape</c> (Keras 3) or <c>input_shape</c> (batch excluded); null when none.
    /// </summary>
    public static Shape? DeclaredInputShape(JsonConfig c)
    {
        if ((c.OptionalDims("batch_input_shape") ?? c.OptionalDims("batch_shape")) is { } batch)
            return batch.Length == 0 ? throw c.Error("batch_input_shape", "a non-empty list") : ShapeOf(c, "batch_input_shape", batch);
        if (c.OptionalDims("input_shape") is { } shape) return ShapeOf(c, "input_shape", [null, .. shape]);
        return null;
    }

    private static Shape ShapeOf(JsonConfig c, string key, int?[] dims) =>
        Array.Exists(dims, d => d < 0) ? throw c.Error(key, "non-negative dimensions or null") : Shape.Of(dims);

    /// <summary>An input layer's <c>dtype</c> (float32 when absent; Keras's other widths map to float32, int32 or bool).</summary>
    private static DType InputDType(JsonConfig c)
    {
        if (c["dtype"] is not JsonValue) return DType.Float32;
        try
        {
            return DTypes.Parse(c.OptionalString("dtype"));
        }
        catch (ArgumentException)
        {
            throw c.Error("dtype", "\"float32\", \"int32\" or \"bool\"");
        }
    }

    private static string? Activation(JsonConfig c) => c.OptionalString("activation");

    private static string Padding(JsonConfig c) => c.OptionalString("padding", "valid")!;

    private static bool KeepDims(JsonConfig c) => c.Bool("keepdims", false);

    private static Conv2D Conv2D(JsonConfig c, LayerId id, string name)
    {
        if (c.OptionalInt("groups", 1) != 1) throw c.Error("groups", "1 (grouped convolutions are not supported)");
        return ChannelsLast(c, new Conv2D(c.Int("filters"), c.Pair("kernel_size"), c.OptionalPair("strides"), Padding(c), Activation(c),
            c.Bool("use_bias", true), c.OptionalPair("dilation_rate")) { Id = id, Name = name });
    }

    /// <summary>DeepGraph computes channels-last (NHWC) only; a channels-first layer is refused rather than run wrongly.</summary>
    private static T ChannelsLast<T>(JsonConfig c, T layer) =>
        c.OptionalString("data_format", "channels_last") is "channels_last" or "channelsLast"
            ? layer
            : throw c.Error("data_format", "\"channels_last\" (DeepGraph computes channels-last only)");

    /// <summary>Keras writes an inferred dimension as -1, TF.js as null.</summary>
    private static int[] TargetShape(JsonConfig c)
    {
        var dims = c.OptionalDims("target_shape") ?? throw c.Error("target_shape", "a list of dimensions");
        return Array.ConvertAll(dims, d => d ?? -1);
    }

    /// <summary><c>padding</c> as an integer, [height, width] or [[top, bottom], [left, right]].</summary>
    private static ((int, int), (int, int)) ZeroPadding(JsonConfig c)
    {
        var node = c["padding"];
        if (node is null) return ((1, 1), (1, 1));
        if (node is JsonArray { Count: 2 } a && (a[0] is JsonArray || a[1] is JsonArray))
        {
            if (JsonConfig.TryDims(a[0], out var h) && JsonConfig.TryDims(a[1], out var w) && h.Length == 2 && w.Length == 2 &&
                h.All(d => d.HasValue) && w.All(d => d.HasValue))
                return ((h[0]!.Value, h[1]!.Value), (w[0]!.Value, w[1]!.Value));
            throw c.Error("padding", "an integer, [height, width] or [[top, bottom], [left, right]]");
        }
        var (ph, pw) = c.Pair("padding");
        return ((ph, ph), (pw, pw));
    }

    /// <summary>Keras writes the axis as an integer or, after building, as a one-element list (<c>[3]</c>).</summary>
    private static int NormalizationAxis(JsonConfig c)
    {
        if (c["axis"] is JsonArray a)
            return a.Count == 1 && JsonConfig.TryInt(a[0], out int only) ? only : throw c.Error("axis", "one axis (normalising over several axes is not supported)");
        return c.OptionalInt("axis", -1)!.Value;
    }

    // ---- writing -------------------------------------------------------------------------

    /// <summary>The config TF.js writes for <paramref name="layer"/> (not a model), in TF.js's key order.</summary>
    /// <exception cref="ModelFormatError">The layer has no TF.js form.</exception>
    public static JsonObject ToConfig(Layer layer) => layer switch
    {
        InputLayer i => new JsonObject
        {
            ["batch_input_shape"] = Dims(i.BatchShape),
            ["dtype"] = i.DType.Name(),
            ["sparse"] = false,
            ["name"] = i.Name,
        },
        Dense d => Named(d, new JsonObject
        {
            ["units"] = d.Units,
            ["activation"] = d.Activation,
            ["use_bias"] = d.UseBias,
            ["kernel_initializer"] = GlorotUniform(),
            ["bias_initializer"] = Initializer("Zeros"),
            ["kernel_regularizer"] = null,
            ["bias_regularizer"] = null,
            ["activity_regularizer"] = null,
            ["kernel_constraint"] = null,
            ["bias_constraint"] = null,
        }),
        Conv2D cv => Named(cv, new JsonObject
        {
            ["filters"] = cv.Filters,
            ["kernel_initializer"] = GlorotUniform(),
            ["kernel_regularizer"] = null,
            ["kernel_constraint"] = null,
            ["kernel_size"] = Pair(cv.KernelSize),
            ["strides"] = Pair(cv.Strides),
            ["padding"] = cv.Padding,
            ["data_format"] = "channels_last",
            ["dilation_rate"] = Pair(cv.DilationRate),
            ["activation"] = cv.Activation,
            ["use_bias"] = cv.UseBias,
            ["bias_initializer"] = Initializer("Zeros"),
            ["bias_regularizer"] = null,
            ["activity_regularizer"] = null,
            ["bias_constraint"] = null,
        }),
        BatchNormalization bn => Named(bn, new JsonObject
        {
            ["axis"] = bn.Axis,
            ["momentum"] = bn.Momentum,
            ["epsilon"] = bn.Epsilon,
            ["center"] = bn.Center,
            ["scale"] = bn.Scale,
            ["beta_initializer"] = Initializer("Zeros"),
            ["gamma_initializer"] = Initializer("Ones"),
            ["moving_mean_initializer"] = Initializer("Zeros"),
            ["moving_variance_initializer"] = Initializer("Ones"),
            ["beta_regularizer"] = null,
            ["gamma_regularizer"] = null,
            ["beta_constraint"] = null,
            ["gamma_constraint"] = null,
        }),
        Pooling2D p => Named(p, new JsonObject
        {
            ["pool_size"] = Pair(p.PoolSize),
            ["padding"] = p.Padding,
            ["strides"] = Pair(p.Strides),
            ["data_format"] = "channels_last",
        }),
        // TF.js has no keepdims; it is written only when set, for Keras (TF.js would ignore it).
        GlobalPooling2D g => Named(g, g.KeepDims
            ? new JsonObject { ["data_format"] = "channels_last", ["keepdims"] = true }
            : new JsonObject { ["data_format"] = "channels_last" }),
        Flatten f => Named(f, []),
        // -1 rather than TF.js's null for the inferred dimension: TF.js reads both, Keras only -1.
        Reshape r => Named(r, new JsonObject { ["target_shape"] = new JsonArray([.. r.TargetShape.Select(d => (JsonNode?)d)]) }),
        Core.Activation a => Named(a, new JsonObject { ["activation"] = a.Function }),
        Dropout dr => Named(dr, new JsonObject
        {
            ["rate"] = dr.Rate,
            ["noise_shape"] = dr.NoiseShape is { } noise ? new JsonArray([.. noise.Select(d => (JsonNode?)d)]) : null,
            ["seed"] = dr.Seed,
        }),
        ZeroPadding2D z => Named(z, new JsonObject
        {
            ["padding"] = new JsonArray(Pair(z.Padding.Height), Pair(z.Padding.Width)),
            ["data_format"] = "channels_last",
        }),
        Concatenate cc => Named(cc, new JsonObject { ["axis"] = cc.Axis }),
        Add or Multiply => Named(layer, []),
        _ => throw new ModelFormatError($"Layer \"{layer.Name}\" ({layer.ClassName}) has no TensorFlow.js form in DeepGraph's writer."),
    };

    /// <summary>The shape as a JSON list, unknown dimensions as null.</summary>
    public static JsonArray Dims(Shape shape) => new([.. shape.Select(d => (JsonNode?)d)]);

    /// <summary>TF.js ends every layer config with the name and the trainable flag.</summary>
    private static JsonObject Named(Layer layer, JsonObject config)
    {
        config["name"] = layer.Name;
        config["trainable"] = layer.Trainable;
        return config;
    }

    private static JsonArray Pair((int A, int B) p) => new(p.A, p.B);

    private static JsonObject Initializer(string className) => new() { ["class_name"] = className, ["config"] = new JsonObject() };

    /// <summary>Core's kernels start Glorot-uniform (Keras's default), which is this VarianceScaling.</summary>
    private static JsonObject GlorotUniform() => new()
    {
        ["class_name"] = "VarianceScaling",
        ["config"] = new JsonObject { ["scale"] = 1, ["mode"] = "fan_avg", ["distribution"] = "uniform", ["seed"] = null },
    };
}
