using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Embedding</c>: turns integer ids into dense vectors, <c>y[…, :] = embeddings[id[…], :]</c>.
/// Input (batch, …) of ids in [0, <see cref="InputDim"/>) → output (batch, …, <see cref="OutputDim"/>).
/// One weight, <c>embeddings</c> (input_dim, output_dim), uniform in ±0.05 by default.
/// Written over ops: a gather, whose gradient scatters each output row's gradient onto its id's row
/// (rows of ids absent from the batch get zeros).
/// </summary>
/// <remarks>
/// The input is int32; a float32 tensor of integral values is accepted and cast, as Keras casts it
/// (TensorFlow.js writes token ids as float32). With <see cref="MaskZero"/> the output is the same and
/// the layer passes on a mask of the ids that are not 0 (<see cref="ComputeMask"/>).
/// </remarks>
/// <example><code>new Embedding(1000, 64) { Id = id, Name = "embedding" }   // (None, 10) → (None, 10, 64), 64,000 params</code></example>
public sealed record Embedding : OpLayer
{
    /// <summary>An embedding of <paramref name="inputDim"/> ids into vectors of <paramref name="outputDim"/> values.</summary>
    /// <param name="inputDim">The number of ids (the largest id + 1).</param>
    /// <param name="outputDim">The length of each vector.</param>
    /// <param name="maskZero">Keras's <c>mask_zero</c>: id 0 is padding: the layer passes on a mask of the ids that are not 0.</param>
    /// <param name="inputLength">Keras 2's <c>input_length</c>: the length of the sequences, when fixed (checked against the input).</param>
    /// <param name="embeddingsInitializer">How the vectors start; Keras's default is uniform in ±0.05.</param>
    /// <exception cref="ArgumentException">A dimension or the length is not positive.</exception>
    public Embedding(int inputDim, int outputDim, bool maskZero = false, int? inputLength = null, Initializer? embeddingsInitializer = null)
    {
        InputDim = inputDim > 0 ? inputDim : throw InvalidArgument("input_dim", "a positive integer", inputDim);
        OutputDim = outputDim > 0 ? outputDim : throw InvalidArgument("output_dim", "a positive integer", outputDim);
        MaskZero = maskZero;
        InputLength = inputLength is null or > 0 ? inputLength : throw InvalidArgument("input_length", "a positive integer or None", inputLength);
        EmbeddingsInitializer = embeddingsInitializer ?? new RandomUniform();
    }

    /// <summary>The number of ids: every id is in [0, InputDim).</summary>
    public int InputDim { get; }

    /// <summary>The length of each vector.</summary>
    public int OutputDim { get; }

    /// <summary>Keras's <c>mask_zero</c>: whether id 0 means padding.</summary>
    public bool MaskZero { get; }

    /// <summary>With <see cref="MaskZero"/>, the mask of the ids that are not 0 (padding), passed to the layers after (Keras's <c>compute_mask</c>).</summary>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        return MaskZero ? [Masks.NotEqual(inputs[0], 0)] : [];
    }

    /// <summary>Keras 2's <c>input_length</c>: the sequence length, when fixed.</summary>
    public int? InputLength { get; }

    /// <summary>How <c>embeddings</c> starts.</summary>
    public Initializer EmbeddingsInitializer { get; }

    /// <inheritdoc/>
    public override string ClassName => "Embedding";

    /// <inheritdoc/>
    public override DType InputDType(int index) => DType.Int32;

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => [("embeddings", true)];

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) =>
        [new WeightSpec("embeddings", Shape.Known(InputDim, OutputDim), true, EmbeddingsInitializer)];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireMinRank(x, 1);
        if (InputLength is { } length && x.Rank >= 2 && x[1] is { } t && t != length)
            throw Error($"was given input_length={length}, but received an input of shape {x}: axis 1 (the sequence) has {t} ids.");
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override void CheckWeights(IReadOnlyList<Shape> inputs)
    {
        var e = Params[0].Shape;
        if (e != Shape.Known(InputDim, OutputDim))
            throw Error($"is built with embeddings of shape {e}, but its input_dim {InputDim} and output_dim {OutputDim} need ({InputDim}, {OutputDim}).");
    }

    /// <summary>The rows of <c>embeddings</c> the ids name.</summary>
    /// <exception cref="ArgumentException">An id is outside [0, input_dim); the message names the layer, the id and where it is.</exception>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var ids = inputs[0];
        if (ids.DType == DType.Float32) ids = Ops.Cast(ids, DType.Int32); // Keras casts float ids (TF.js writes them as float32)
        if (ids.HasValue) CheckIds(ids.Value);
        return [Ops.Gather(call.Weights[0], ids)];
    }

    /// <summary>Copies the named rows straight into the output (no tape: a gather has nothing to record).</summary>
    /// <exception cref="ArgumentException">An id is outside [0, input_dim).</exception>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var ids = AsIds(inputs[0]);
        CheckIds(ids);
        var table = Params[0].Span;
        var y = outputs[0].Data.AsSpan(0, outputs[0].Length);
        var values = ids.Ints;
        int d = OutputDim;
        for (int i = 0; i < values.Length; i++) table.Slice(values[i] * d, d).CopyTo(y.Slice(i * d, d));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        Forward(context, inputs, outputs);
        return [];
    }

    /// <summary>
    /// Adds each output row's gradient into the row of the embeddings' gradient its id names (the ids have none):
    /// one pass over the output gradient, with no dense table built beside the trainer's buffer.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.ParamGrads.Count == 0 || args.ParamGrads[0] is not { } gradient) return;
        var values = AsIds(args.Inputs[0]).Ints;
        var dy = args.OutputGrads[0].Span;
        var g = gradient.Data.AsSpan(0, gradient.Length);
        int d = OutputDim;
        for (int i = 0; i < values.Length; i++)
        {
            var row = g.Slice(values[i] * d, d);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dy.Slice(i * d, d), row);
        }
    }

    /// <summary>The ids as int32: TF.js and Keras users may feed integral float32 ids, which are cast.</summary>
    private Tensor AsIds(Tensor ids) =>
        ids.DType == DType.Int32 ? ids : DTypeConversion.Convert(ids, DType.Int32, () => $"layer \"{Name}\" (Embedding)");

    private void CheckIds(Tensor ids)
    {
        var values = ids.Ints;
        for (int i = 0; i < values.Length; i++)
            if ((uint)values[i] >= (uint)InputDim)
                throw new ArgumentException(
                    $"Layer \"{Name}\" (Embedding) received id {values[i]} at flat position {i} of its input of shape {ids.Shape}: ids must be in [0, {InputDim}) (input_dim {InputDim}).");
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>
    /// Keras's <c>Embedding</c> config: <c>input_dim</c>, <c>output_dim</c>, <c>embeddings_initializer</c>
    /// (RandomUniform, GlorotUniform or Constant; another starts as Keras's default), <c>mask_zero</c> (null is
    /// false), <c>input_length</c> (Keras 2 and TF.js: null, an integer or a one-element list; Keras 3 has none).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Embedding>("Embedding",
        (c, id, name) => new Embedding(c.Int("input_dim"), c.Int("output_dim"), c.Bool("mask_zero", false), ReadInputLength(c),
            ReadInitializer(c)) { Id = id, Name = name },
        e => new JsonObject
        {
            ["input_dim"] = e.InputDim,
            ["output_dim"] = e.OutputDim,
            ["embeddings_initializer"] = WriteInitializer(e.EmbeddingsInitializer),
            ["embeddings_regularizer"] = null,
            ["activity_regularizer"] = null,
            ["embeddings_constraint"] = null,
            ["mask_zero"] = e.MaskZero,
            ["input_length"] = e.InputLength,
        });

    private static int? ReadInputLength(LayerConfig c)
    {
        if (c["input_length"] is not JsonArray) return c.OptionalInt("input_length");
        var dims = c.OptionalDims("input_length");
        return dims is { Length: 1 } ? dims[0] : throw c.Error("input_length", "null, an integer or a list of one integer");
    }

    private static Initializer? ReadInitializer(LayerConfig c)
    {
        if (!c.Has("embeddings_initializer")) return null;
        if (c["embeddings_initializer"] is JsonValue v && v.TryGetValue<string>(out var s))
            return s switch { "uniform" or "random_uniform" => new RandomUniform(), "glorot_uniform" => new GlorotUniform(), "zeros" => Constant.Zeros, "ones" => Constant.Ones, _ => null };
        var init = c.Child("embeddings_initializer");
        var config = init.Has("config") ? init.Child("config") : init;
        return init.OptionalString("class_name") switch
        {
            "RandomUniform" => new RandomUniform(config.Double("minval", -0.05), config.Double("maxval", 0.05)),
            "GlorotUniform" => new GlorotUniform(),
            "VarianceScaling" when config.Double("scale", 1) == 1 && config.OptionalString("mode") == "fan_avg" && config.OptionalString("distribution") == "uniform"
                => new GlorotUniform(), // how TF.js writes Glorot-uniform
            "Zeros" => Constant.Zeros,
            "Ones" => Constant.Ones,
            "Constant" => new Constant((float)config.Double("value", 0)),
            _ => null, // the weights are read from the file; only an unbuilt layer would draw them
        };
    }

    private static JsonObject WriteInitializer(Initializer initializer) => initializer switch
    {
        RandomUniform u => new JsonObject
        {
            ["class_name"] = "RandomUniform",
            ["config"] = new JsonObject { ["minval"] = u.MinVal, ["maxval"] = u.MaxVal, ["seed"] = null },
        },
        GlorotUniform => LayerConfig.GlorotUniform(),
        Constant k => new JsonObject { ["class_name"] = "Constant", ["config"] = new JsonObject { ["value"] = k.Value } },
        _ => new JsonObject
        {
            ["class_name"] = "RandomUniform",
            ["config"] = new JsonObject { ["minval"] = -0.05, ["maxval"] = 0.05, ["seed"] = null },
        },
    };
}
