using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// What Keras's spatial dropouts share: in training, whole feature maps (every value of one channel of one
/// sample) are dropped together with probability <see cref="Rate"/> and the rest scaled by 1/(1 − rate); the
/// identity at inference. Adjacent values of a feature map are strongly correlated, so dropping them one by one
/// would hardly regularise.
/// </summary>
public abstract record SpatialDropout : NoiseLayer
{
    /// <summary>A spatial dropout of <paramref name="rate"/>.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1).</exception>
    protected SpatialDropout(double rate, int? seed) : base(seed) => Rate = RequireRate(rate, oneAllowed: false);

    /// <summary>Fraction of the feature maps dropped in training.</summary>
    public double Rate { get; }

    /// <summary>The input's rank (3 for 1D, 4 for 2D).</summary>
    protected abstract int InputRank { get; }

    /// <summary>The mask's shape for an input: the batch and channel sizes, 1 elsewhere.</summary>
    protected abstract Shape MaskShape(Shape input);

    /// <inheritdoc/>
    protected override bool Active => Rate > 0;

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, InputRank);
        return [x];
    }

    /// <summary>x times one factor per sample and channel: 0 with probability rate, else 1/(1 − rate).</summary>
    protected override Var Perturb(OpCall call, Var x) => x * DropMask(call, MaskShape(x.Shape), Rate);

    /// <summary>The config both write: <c>rate</c>, <c>noise_shape</c> (always null: the layer fixes it), <c>seed</c>.</summary>
    protected JsonObject Config() => new() { ["rate"] = Rate, ["noise_shape"] = null, ["seed"] = Seed };
}

/// <summary>Keras's <c>SpatialDropout1D</c>: on (batch, steps, channels), drops whole channels (the mask is (batch, 1, channels)).</summary>
/// <example><code>new SpatialDropout1D(0.2) { Id = id, Name = "spatial_dropout1d" }</code></example>
public sealed record SpatialDropout1D : SpatialDropout
{
    /// <summary>A 1D spatial dropout of <paramref name="rate"/>, seeded by <paramref name="seed"/> if given.</summary>
    /// <exception cref="ArgumentException">The rate is outside [0, 1).</exception>
    public SpatialDropout1D(double rate, int? seed = null) : base(rate, seed) { }

    /// <inheritdoc/>
    public override string ClassName => "SpatialDropout1D";

    /// <inheritdoc/>
    protected override int InputRank => 3;

    /// <inheritdoc/>
    protected override Shape MaskShape(Shape input) => Shape.Of(input[0], 1, input[2]);

    /// <summary>Keras's <c>SpatialDropout1D</c> config: <c>rate</c>, <c>noise_shape</c> (ignored), <c>seed</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<SpatialDropout1D>("SpatialDropout1D",
        (c, id, name) => new SpatialDropout1D(c.Double("rate"), c.OptionalInt("seed")) { Id = id, Name = name },
        d => d.Config());
}

/// <summary>
/// Keras's <c>SpatialDropout2D</c> (TF.js has none): on images, drops whole channels — the mask is
/// (batch, 1, 1, channels) for channels_last, (batch, channels, 1, 1) for channels_first.
/// </summary>
/// <example><code>new SpatialDropout2D(0.2) { Id = id, Name = "spatial_dropout2d" }</code></example>
public sealed record SpatialDropout2D : SpatialDropout
{
    /// <summary>A 2D spatial dropout of <paramref name="rate"/>.</summary>
    /// <param name="rate">Fraction of the channels dropped, in [0, 1).</param>
    /// <param name="channelsFirst">True for Keras's <c>data_format="channels_first"</c>.</param>
    /// <param name="seed">Seed of the mask's random stream; null lets the trainer choose.</param>
    /// <exception cref="ArgumentException">The rate is outside [0, 1).</exception>
    public SpatialDropout2D(double rate, bool channelsFirst = false, int? seed = null) : base(rate, seed) => ChannelsFirst = channelsFirst;

    /// <summary>True when channels come before height and width.</summary>
    public bool ChannelsFirst { get; }

    /// <inheritdoc/>
    public override string ClassName => "SpatialDropout2D";

    /// <inheritdoc/>
    protected override int InputRank => 4;

    /// <inheritdoc/>
    protected override Shape MaskShape(Shape input) =>
        ChannelsFirst ? Shape.Of(input[0], input[1], 1, 1) : Shape.Of(input[0], 1, 1, input[3]);

    /// <summary>Keras's <c>SpatialDropout2D</c> config: <c>rate</c>, <c>data_format</c>, <c>noise_shape</c> (ignored), <c>seed</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<SpatialDropout2D>("SpatialDropout2D",
        (c, id, name) =>
        {
            var format = c.OptionalString("data_format", "channels_last");
            if (format is not ("channels_last" or "channels_first")) throw c.Error("data_format", "\"channels_last\" or \"channels_first\"");
            return new SpatialDropout2D(c.Double("rate"), format == "channels_first", c.OptionalInt("seed")) { Id = id, Name = name };
        },
        d =>
        {
            var config = d.Config();
            config["data_format"] = d.ChannelsFirst ? "channels_first" : "channels_last";
            return config;
        });
}
