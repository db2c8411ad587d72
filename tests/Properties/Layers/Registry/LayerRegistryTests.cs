using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Serialization;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Layers.Registry;

/// <summary>
/// The layer registry: every registered kind's config codec round-trips a record (property over generated
/// records), the default registry is every built-in layer, found without a hand-kept list, and a user's
/// kind is read and written once registered, refused by name otherwise.
/// </summary>
public partial class LayerRegistryTests
{
    private static readonly LayerId Id = new(7);

    private static Gen<(int, int)> PairOf(int min, int max) => from a in Gen.Choose(min, max) from b in Gen.Choose(min, max) select (a, b);

    private static readonly Gen<string> Activation = Gen.Elements(Activations.Names.ToArray());

    private static readonly Gen<string> Padding = Gen.Elements("valid", "same");

    private static readonly Gen<double> Unit = Gen.Choose(0, 999_999).Select(i => i / 1e6);

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : struct => Gen.Frequency((1, Gen.Constant((T?)null)), (2, gen.Select(v => (T?)v)));

    /// <summary>
    /// A generator of records per built-in class name, with the layer's name and trainable flag left to
    /// <see cref="Named"/>. A kind registered without a generator here fails <see cref="Every_default_kind_has_a_generator"/>.
    /// </summary>
    internal static readonly Dictionary<string, Gen<Layer>> Records = Union(CoreRecords, RecurrentRecords, SequenceRecords, ConvolutionRecords, ElementwiseRecords, AttentionRecords);

    private static Dictionary<string, T> Union<T>(params Dictionary<string, T>[] parts)
    {
        var all = new Dictionary<string, T>();
        foreach (var part in parts)
            foreach (var (key, value) in part) all.Add(key, value);
        return all;
    }

    /// <summary>The engine's layers; each family adds its own in LayerRegistryTests.&lt;Family&gt;.cs.</summary>
    private static Dictionary<string, Gen<Layer>> CoreRecords => new()
    {
        ["InputLayer"] = from dims in Maybe(Gen.Choose(0, 9)).ArrayOf().Select(d => d.Take(4).ToArray())
                         select (Layer)new InputLayer(Shape.Of([null, .. dims])) { Id = Id, Name = "x" },
        ["Dense"] = from units in Gen.Choose(1, 5000)
                    from act in Activation
                    from bias in ArbMap.Default.GeneratorFor<bool>()
                    select (Layer)new Dense(units, act, bias) { Id = Id, Name = "x" },
        ["Conv2D"] = from filters in Gen.Choose(1, 512)
                     from kernel in PairOf(1, 7)
                     from strides in PairOf(1, 3)
                     from dilation in PairOf(1, 3)
                     from useDilation in ArbMap.Default.GeneratorFor<bool>()
                     from padding in Padding
                     from act in Activation
                     from bias in ArbMap.Default.GeneratorFor<bool>()
                     select (Layer)new Conv2D(filters, kernel, useDilation ? (1, 1) : strides, padding, act, bias, useDilation ? dilation : null) { Id = Id, Name = "x" },
        ["BatchNormalization"] = from axis in Gen.Choose(-4, 4)
                                 from momentum in Unit
                                 from epsilon in Gen.Choose(1, 100_000).Select(i => i * 1e-7)
                                 from center in ArbMap.Default.GeneratorFor<bool>()
                                 from scale in ArbMap.Default.GeneratorFor<bool>()
                                 select (Layer)new BatchNormalization(axis, momentum, epsilon, center, scale) { Id = Id, Name = "x" },
        ["MaxPooling2D"] = from pool in PairOf(1, 5) from strides in Maybe(PairOf(1, 5)) from padding in Padding
                           select (Layer)new MaxPooling2D(pool, strides, padding) { Id = Id, Name = "x" },
        ["AveragePooling2D"] = from pool in PairOf(1, 5) from strides in Maybe(PairOf(1, 5)) from padding in Padding
                               select (Layer)new AveragePooling2D(pool, strides, padding) { Id = Id, Name = "x" },
        ["GlobalAveragePooling2D"] = ArbMap.Default.GeneratorFor<bool>().Select(k => (Layer)new GlobalAveragePooling2D(k) { Id = Id, Name = "x" }),
        ["GlobalMaxPooling2D"] = ArbMap.Default.GeneratorFor<bool>().Select(k => (Layer)new GlobalMaxPooling2D(k) { Id = Id, Name = "x" }),
        ["Flatten"] = Gen.Constant((Layer)new Flatten { Id = Id, Name = "x" }),
        ["Add"] = Gen.Constant((Layer)new Add { Id = Id, Name = "x" }),
        ["Multiply"] = Gen.Constant((Layer)new Multiply { Id = Id, Name = "x" }),
        ["Reshape"] = from dims in Gen.Choose(1, 9).ArrayOf().Select(d => d.Take(4).Prepend(2).ToArray())
                      from inferred in Gen.Choose(-1, 4)
                      select (Layer)new Reshape([.. dims.Select((d, i) => i == inferred ? -1 : d)]) { Id = Id, Name = "x" },
        ["Activation"] = Activation.Select(a => (Layer)new DeepGraph.Core.Activation(a) { Id = Id, Name = "x" }),
        ["Dropout"] = from rate in Unit
                      from noise in Gen.Frequency((1, Gen.Constant((int?[]?)null)), (1, Maybe(Gen.Choose(1, 4)).ArrayOf().Select(a => (int?[]?)a.Take(4).ToArray())))
                      from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                      select (Layer)new Dropout(rate, noise, seed) { Id = Id, Name = "x" },
        ["ZeroPadding2D"] = from a in PairOf(0, 4) from b in PairOf(0, 4)
                            select (Layer)new ZeroPadding2D((a, b)) { Id = Id, Name = "x" },
        ["Concatenate"] = Gen.Choose(-4, 4).Select(axis => (Layer)new Concatenate(axis) { Id = Id, Name = "x" }),
        ["Embedding"] = from inputDim in Gen.Choose(1, 50_000)
                        from outputDim in Gen.Choose(1, 512)
                        from maskZero in ArbMap.Default.GeneratorFor<bool>()
                        from length in Maybe(Gen.Choose(1, 100))
                        from init in Gen.Elements<Initializer>(new RandomUniform(), new RandomUniform(-0.25, 0.125), new GlorotUniform(), Constant.Zeros, new Constant(0.5f))
                        select (Layer)new Embedding(inputDim, outputDim, maskZero, length, init) { Id = Id, Name = "x" },
        ["LayerNormalization"] = from axes in Gen.Elements<int[]>([-1], [1], [1, 2], [2, 3, 1], [-2, -1])
                                 from epsilon in Gen.Choose(1, 100_000).Select(i => i * 1e-7)
                                 from center in ArbMap.Default.GeneratorFor<bool>()
                                 from scale in ArbMap.Default.GeneratorFor<bool>()
                                 select (Layer)new LayerNormalization(axes, epsilon, center, scale) { Id = Id, Name = "x" },
        ["MultiHeadAttention"] = from heads in Gen.Choose(1, 16)
                                 from keyDim in Gen.Choose(1, 128)
                                 from valueDim in Maybe(Gen.Choose(1, 128))
                                 from dropout in Unit
                                 from bias in ArbMap.Default.GeneratorFor<bool>()
                                 from output in Gen.Elements<int[]?>(null, [7], [2, 3])
                                 from axes in Gen.Elements<int[]?>(null, [1], [1, 2])
                                 select (Layer)new MultiHeadAttention(heads, keyDim, valueDim, dropout, bias, output, axes) { Id = Id, Name = "x" },
        ["GlobalAveragePooling1D"] = ArbMap.Default.GeneratorFor<bool>().Select(k => (Layer)new GlobalAveragePooling1D(k) { Id = Id, Name = "x" }),
        ["GlobalMaxPooling1D"] = ArbMap.Default.GeneratorFor<bool>().Select(k => (Layer)new GlobalMaxPooling1D(k) { Id = Id, Name = "x" }),
        ["Maximum"] = Gen.Constant((Layer)new Maximum { Id = Id, Name = "x" }),
        ["Minimum"] = Gen.Constant((Layer)new Minimum { Id = Id, Name = "x" }),
        ["Average"] = Gen.Constant((Layer)new Average { Id = Id, Name = "x" }),
    };

    /// <summary>Any registered record, with a generated name and trainable flag (an InputLayer has no trainable flag).</summary>
    internal static readonly Gen<Layer> AnyRecord =
        from className in Gen.Elements(Records.Keys.Order(StringComparer.Ordinal).ToArray())
        from record in Records[className]
        from name in Gen.Elements("dense", "conv2d_3", "block1_conv1", "naïve name", "x/y")
        from trainable in ArbMap.Default.GeneratorFor<bool>()
        select Named(record, name, trainable);

    private static Layer Named(Layer layer, string name, bool trainable) =>
        layer is InputLayer ? layer with { Name = name } : layer with { Name = name, Trainable = trainable };

    /// <summary>The record a kind reads back from the JSON text of what it wrote.</summary>
    private static Layer RoundTrip(LayerRegistry registry, Layer layer)
    {
        var text = registry.Write(layer).ToJsonString();
        var config = LayerConfig.Of(JsonNode.Parse(text), $"layer \"{layer.Name}\" ({layer.ClassName})");
        return registry.Read(layer.ClassName, config, new LayerId(99), layer.Name);
    }

    [Property(MaxTest = 500)]
    public Property Every_kind_reads_back_what_it_writes() =>
        Prop.ForAll(AnyRecord.ToArbitrary(), layer =>
        {
            var back = RoundTrip(LayerRegistry.Default, layer);
            return (back == layer && back.Id == new LayerId(99)).Label($"{layer} read back as {back}");
        });

    [Property(MaxTest = 200)]
    public Property Writing_is_a_function_of_the_record() =>
        Prop.ForAll(AnyRecord.ToArbitrary(), layer =>
            LayerRegistry.Default.Write(layer).ToJsonString() == LayerRegistry.Default.Write(layer with { Id = new LayerId(3) }).ToJsonString());

    [Fact]
    public void Every_default_kind_has_a_generator()
    {
        var missing = LayerRegistry.Default.Kinds.Select(k => k.ClassName).Where(n => !Records.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, $"Add a record generator to LayerRegistryTests for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void The_default_registry_holds_every_builtin_layer_type_that_declares_a_kind()
    {
        // Every concrete Core layer record but the graph-shaped Model, and those of OpLayer-based tests, declares its kind;
        // a Lambda's and a user's layer's kinds carry the program's functions and classes, so the facade registers them.
        var concrete = typeof(Layer).Assembly.GetTypes()
            .Where(t => typeof(Layer).IsAssignableFrom(t) && !t.IsAbstract && t.IsPublic && t != typeof(Model) && t != typeof(Lambda) && t != typeof(UserLayer)
                && !typeof(FusedLayer).IsAssignableFrom(t)) // fused records exist only inside execution plans, never in files
            .ToList();
        var registered = LayerRegistry.Default.Kinds.Select(k => k.LayerType).ToHashSet();
        Assert.All(concrete, t => Assert.Contains(t, registered));
        foreach (var name in new[] { "InputLayer", "Dense", "Conv2D", "BatchNormalization", "Dropout", "Add", "Concatenate" })
            Assert.Contains(name, LayerRegistry.Default.ClassNames);
        Assert.Equal(LayerRegistry.Default.ClassNames.Order(StringComparer.Ordinal), LayerRegistry.Default.ClassNames);
        Assert.Equal(LayerRegistry.Default.Kinds.Select(k => k.ClassName),
            LayerRegistry.Discover(typeof(Layer).Assembly).Kinds.Select(k => k.ClassName));
    }

    [Fact]
    public void KindOf_matches_class_name_and_record_type()
    {
        var dense = new Dense(3) { Id = Id, Name = "d" };
        Assert.Same(Dense.Kind, LayerRegistry.Default.KindOf(dense));
        Assert.Null(LayerRegistry.Default.KindOf(new Scale(2) { Id = Id, Name = "s" }));
        // A kind under Dense's name but for another record type does not describe a Dense.
        var impostor = LayerKind.Of<Scale>("Dense", (c, id, name) => new Scale(1) { Id = id, Name = name }, _ => []);
        Assert.Null(LayerRegistry.Empty.With(impostor).KindOf(dense));
    }

    [Fact]
    public void With_returns_a_new_registry_and_replaces_a_kind_by_name()
    {
        var before = LayerRegistry.Default;
        var custom = before.With(Scale.Kind);
        Assert.Null(before.Find("Scale"));
        Assert.Same(Scale.Kind, custom.Find("Scale"));
        Assert.Same(Scale.Kind, custom.Find("ScaleByConstant"));
        Assert.Contains("ScaleByConstant", custom.ClassNames);

        // Replacing a built-in class (Keras's custom_objects win over built-ins).
        var myDense = LayerKind.Of<Dense>("Dense", (c, id, name) => new Dense(42) { Id = id, Name = name }, _ => []);
        var replaced = before.With(myDense);
        Assert.Same(myDense, replaced.Find("Dense"));
        Assert.Same(Dense.Kind, before.Find("Dense"));
        Assert.Equal(before.Kinds.Count, replaced.Kinds.Count);
        var read = replaced.Read("Dense", LayerConfig.Of(new JsonObject { ["units"] = 3 }, "test"), Id, "d");
        Assert.Equal(42, ((Dense)read).Units);
    }

    [Fact]
    public void An_unknown_class_is_refused_naming_it_the_layer_and_the_known_classes()
    {
        var config = LayerConfig.Of(new JsonObject { ["factor"] = 2.0 }, "Model \"m\": layer \"scale_1\" (Scale)");
        var e = Assert.Throws<UnsupportedLayerError>(() => LayerRegistry.Default.Read("Scale", config, Id, "scale_1"));
        Assert.Contains("unknown layer class 'Scale'", e.Message);
        Assert.Contains("\"scale_1\"", e.Message);
        Assert.Contains("Dense", e.Message);
        Assert.Contains("Conv2D", e.Message);
        Assert.Contains("regist", e.Message);

        var write = Assert.Throws<ModelFormatError>(() => LayerRegistry.Default.Write(new Scale(2) { Id = Id, Name = "scale_1" }));
        Assert.Contains("\"scale_1\"", write.Message);
        Assert.Contains("Scale", write.Message);
    }

    [Fact]
    public void A_refused_constructor_argument_becomes_a_format_error_naming_the_place()
    {
        var config = LayerConfig.Of(new JsonObject { ["units"] = 0 }, "Model \"m\": layer \"d\" (Dense)");
        var e = Assert.Throws<ModelFormatError>(() => LayerRegistry.Default.Read("Dense", config, Id, "d"));
        Assert.StartsWith("Model \"m\": layer \"d\" (Dense): ", e.Message);
        Assert.Contains("units", e.Message);
        Assert.DoesNotContain("(Parameter", e.Message);
    }

    // ---- a user's layer through the TF.js format ------------------------------------------

    /// <summary>A small functional model: input → Dense → Scale (custom) → Dense.</summary>
    private static Model WithScale()
    {
        var (graph, x) = DeepGraph.Core.Graph.Empty(Model.ModelScope).AddInput(new InputLayer(Shape.Of(null, 4)) { Id = new(1), Name = "in" });
        var source = x;
        Layer[] layers =
        [
            new Dense(3, "relu") { Id = new(2), Name = "d1" },
            new Scale(2.5) { Id = new(3), Name = "scale" },
            new Dense(2) { Id = new(4), Name = "d2" },
        ];
        for (int i = 0; i < layers.Length; i++)
        {
            var (next, outs) = graph.Call(layers[i], [x], seed: 11 + i);
            (graph, x) = (next, outs[0]);
        }
        return Model.Functional(graph, [source], [x], "with_scale", new LayerId(100));
    }

    [Fact]
    public void A_registered_custom_kind_is_written_and_read_back()
    {
        var registry = LayerRegistry.Default.With(Scale.Kind);
        var model = WithScale();
        var (json, weights) = TfjsModel.Write(model, "w.bin", registry);
        Assert.Contains("\"class_name\":\"Scale\"", json);
        Assert.Contains("\"factor\":2.5", json);
        var back = TfjsModel.Read(json, _ => weights, registry);
        Assert.Equal(LayerRecords(model), LayerRecords(back));
        Assert.Equal(2.5, back.Layers.OfType<Scale>().Single().Factor);
        Assert.Equal(json, TfjsModel.Write(back, "w.bin", registry).ModelJson);

        // Without the kind: refused by name, both ways.
        var read = Assert.Throws<UnsupportedLayerError>(() => TfjsModel.Read(json, _ => weights));
        Assert.Contains("unknown layer class 'Scale'", read.Message);
        Assert.Contains("\"scale\"", read.Message);
        var write = Assert.Throws<ModelFormatError>(() => TfjsModel.Write(model, "w.bin"));
        Assert.Contains("\"scale\"", write.Message);
    }

    [Fact]
    public void An_alias_is_read_and_the_class_name_written()
    {
        var registry = LayerRegistry.Default.With(Scale.Kind);
        var (json, weights) = TfjsModel.Write(WithScale(), "w.bin", registry);
        var aliased = json.Replace("\"class_name\":\"Scale\"", "\"class_name\":\"ScaleByConstant\"", StringComparison.Ordinal);
        Assert.NotEqual(json, aliased);
        Assert.Equal(LayerRecords(WithScale()), LayerRecords(TfjsModel.Read(aliased, _ => weights, registry)));
    }

    [Fact]
    public void Every_fixture_layer_config_survives_the_registry()
    {
        // The TF.js fixtures' layers: written, read back and written again give the same text.
        int seen = 0;
        foreach (var folder in Directory.GetDirectories(Fixtures.Models).Order(StringComparer.Ordinal))
        {
            var model = Fixtures.Read(folder);
            foreach (var layer in Flatten(model))
            {
                var once = LayerRegistry.Default.Write(layer).ToJsonString();
                var back = RoundTrip(LayerRegistry.Default, layer);
                Assert.Equal(once, LayerRegistry.Default.Write(back).ToJsonString());
                seen++;
            }
        }
        Assert.True(seen > 100, $"only {seen} layers seen");
    }

    /// <summary>The model's layer records in order (their equality ignores ids, which a reader numbers afresh).</summary>
    private static List<Layer> LayerRecords(Model model) => [.. model.LayerOrder.Select(id => model.Graph.Layers[id])];

    private static IEnumerable<Layer> Flatten(Model model) =>
        model.Graph.Layers.Values.SelectMany(l => l is Model m ? Flatten(m) : [l]);
}

/// <summary>A user's layer: multiplies its input by a constant. Its kind is declared beside it, as a built-in layer's is.</summary>
public sealed record Scale : Layer
{
    /// <summary>Multiplies by <paramref name="factor"/>.</summary>
    public Scale(double factor) => Factor = factor;

    /// <summary>The factor.</summary>
    public double Factor { get; }

    /// <inheritdoc/>
    public override string ClassName => "Scale";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0].Span;
        // The output buffer is the executor's to hand out; a user's layer writes it through its span.
        var y = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.InteropServices.MemoryMarshal.GetReference(outputs[0].Span), outputs[0].Span.Length);
        for (int i = 0; i < x.Length; i++) y[i] = (float)(x[i] * Factor);
    }

    /// <summary>The kind: class <c>Scale</c> (also read as <c>ScaleByConstant</c>), config <c>{"factor": …}</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Scale>("Scale",
        (c, id, name) => new Scale(c.Double("factor")) { Id = id, Name = name },
        s => new JsonObject { ["factor"] = s.Factor },
        "ScaleByConstant");
}
