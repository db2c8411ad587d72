using System.Text.Json.Nodes;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>TimeDistributed</c>: one layer applied to every step of a sequence, with one set of weights.
/// Input (batch, steps, …) → the inner layer on (batch · steps, …) → output (batch, steps, …′). The weights are the
/// inner layer's, kept here under the wrapper's name (<c>NAME/kernel</c>, as Keras and TF.js name them); training goes
/// through the inner layer's own backward pass. Masks pass through (Keras's <c>supports_masking</c>); the inner layer
/// sees a (batch, steps) mask as one of (batch · steps).
/// </summary>
/// <example><code>new TimeDistributed(new Dense(8) { Id = id, Name = "dense" }) { Id = id, Name = "time_distributed" }   // (None, 10, 16) → (None, 10, 8)</code></example>
public sealed record TimeDistributed : WeightedLayer
{
    private readonly Layer layer = null!;

    /// <summary>Wrapping <paramref name="layer"/>; a built layer's weights become the wrapper's.</summary>
    /// <exception cref="ArgumentException">The layer has several inputs or outputs' worth of structure TimeDistributed cannot split (a model).</exception>
    public TimeDistributed(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layer = layer;
    }

    /// <summary>The wrapped layer, without weights (they are <see cref="WeightedLayer.Params"/>).</summary>
    public Layer Layer
    {
        get => layer;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value is WeightedLayer { Params.Count: > 0 } weighted)
            {
                Params = weighted.Params;
                value = weighted with { Params = EquatableArray<Tensor>.Empty };
            }
            layer = value;
        }
    }

    /// <summary>The wrapped layer with this wrapper's weights.</summary>
    public Layer Inner => layer is WeightedLayer w && Params.Count > 0 ? w with { Params = Params } : layer;

    /// <inheritdoc/>
    public override string ClassName => "TimeDistributed";

    /// <inheritdoc/>
    public override bool IsBuilt => Inner.IsBuilt;

    /// <inheritdoc/>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. Inner.Weights.Select(w => (w.Role, w.Trainable))];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) =>
        layer is WeightedLayer w ? w.WeightSpecs([Child(inputs[0])]) : [];

    /// <summary>(batch, steps, rest…) → (batch · steps, rest…); unknown when either is.</summary>
    private Shape Child(Shape x) => Shape.Of([x[0] * x[1], .. x.Skip(2)]);

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        if (x.Rank < 3)
            throw Error($"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: {x}");
        var inner = (Params.Count > 0 ? Inner : layer).OutputShapes([Child(x)]);
        if (inner.Count != 1)
            throw Error($"wraps layer \"{layer.Name}\" ({layer.ClassName}), which gives {inner.Count} outputs; TimeDistributed takes a layer with one output.");
        var y = inner[0];
        return [Fits(Shape.Of([x[0], x[1], .. y.Skip(1)]))];
    }

    /// <summary>The wrapper built for <paramref name="inputs"/>: the inner layer built on one step's shape, its weights kept here.</summary>
    public override Layer Build(IReadOnlyList<Shape> inputs, int seed)
    {
        InferShapes(inputs);
        if (IsBuilt) return this;
        var built = (WeightedLayer)layer.Build([Child(inputs[0])], seed);
        return this with { Params = built.Params };
    }

    private static Tensor Merged(Tensor t) => t.View(Shape.Known([t.Shape[0]!.Value * t.Shape[1]!.Value, .. t.Shape.ToArray()[2..]]));

    private static ForwardContext Steps(ForwardContext context) =>
        context.MaskOf(0) is { } mask && mask.Shape.Rank >= 2 ? context with { InputMasks = [Merged(mask)] } : context with { InputMasks = [] };

    /// <summary>
    /// The mask the inner layer gives its steps, as (batch, steps, …); otherwise the input's mask over (batch, steps)
    /// (a step kept when any of its entries is): Keras 3 passes the input's mask on, tf.keras 2 also took the inner
    /// layer's (a wrapped Masking or Embedding(mask_zero) masks per step).
    /// </summary>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var x = inputs[0].Shape;
        int n = x[0]!.Value, t = x[1]!.Value;
        if (Inner.ComputeMask(Steps(context), [Merged(inputs[0])], [Merged(outputs[0])]) is [{ } inner, ..] && inner.Shape.Rank >= 1)
            return [inner.View(Shape.Known([n, t, .. inner.Shape.ToArray()[1..]]))];
        if (context.MaskOf(0) is not { } mask) return [];
        if (mask.Shape.Rank == 2) return [mask];
        var bits = mask.Ints;
        int per = n * t == 0 ? 0 : bits.Length / (n * t);
        var kept = new bool[n * t];
        for (int i = 0; i < kept.Length; i++)
            for (int j = i * per; j < (i + 1) * per && !kept[i]; j++) kept[i] = bits[j] != 0;
        return [Tensor.FromBools(kept, [n, t])];
    }

    /// <inheritdoc/>
    public override bool ForwardIsView(ForwardContext context) => Inner.ForwardIsView(context);

    /// <summary>The inner layer's forward pass over every step at once.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Inner.Forward(Steps(context), [Merged(inputs[0])], [Merged(outputs[0])]);

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs) =>
        Inner.ForwardTrain(Steps(context), [Merged(inputs[0])], [Merged(outputs[0])]);

    /// <summary>The inner layer's backward pass over every step at once; its weight gradients are the wrapper's.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args) => Inner.Backward(Steps(context), ViewedCall.Of(args, Merged));

    /// <inheritdoc/>
    public override bool WritesInputGradients => Inner.WritesInputGradients;

    /// <summary>The inner layer's state update (a BatchNormalization's moving statistics), kept as the wrapper's weights.</summary>
    public override Layer WithState(IReadOnlyList<Tensor> saved) =>
        Inner.WithState(saved) is WeightedLayer updated && !ReferenceEquals(updated, Inner) ? this with { Params = updated.Params } : this;

    /// <inheritdoc/>
    public override IReadOnlyList<DType> OutputDTypes(IReadOnlyList<DType> inputs) => Inner.OutputDTypes(inputs);

    /// <inheritdoc/>
    public override DType InputDType(int index) => Inner.InputDType(index);

    /// <summary>
    /// Keras's <c>TimeDistributed</c> config: <c>layer</c>, the wrapped layer as <c>{"class_name", "config"}</c>. The inner
    /// class is read with the default registry (built-in layers).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<TimeDistributed>("TimeDistributed",
        (c, id, name) =>
        {
            var inner = c.Child("layer");
            string className = inner.String("class_name");
            var config = inner.Child("config");
            string innerName = config.OptionalString("name", className.ToLowerInvariant())!;
            return new TimeDistributed(LayerRegistry.Default.Read(className, config, id, innerName)) { Id = id, Name = name };
        },
        t => new JsonObject
        {
            ["layer"] = new JsonObject { ["class_name"] = t.layer.ClassName, ["config"] = LayerRegistry.Default.Write(t.layer) },
        });
}
