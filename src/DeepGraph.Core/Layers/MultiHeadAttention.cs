using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>MultiHeadAttention</c> ("Attention is all you need", Vaswani et al. 2017), written
/// over ops. Inputs, in order: query (batch, T…, Dq), value (batch, S…, Dv), and optionally key
/// (batch, S…, Dk; the value when absent) and an attention mask (batch, T…, S…; 1 or true where a
/// query step may attend to a key step). For each of <see cref="NumHeads"/> heads the query and
/// key are projected to <see cref="KeyDim"/> values and the value to <see cref="ValueDim"/>;
/// <c>softmax(Q·Kᵀ / √key_dim)·V</c> per head (over all the steps S… together, Keras's default
/// attention axes); the heads are projected together to the output (batch, T…, Dq), or
/// (batch, T…, <see cref="OutputShape"/>…). Self-attention is a call with the same tensor as query and value.
/// </summary>
/// <remarks>
/// Weights, in Keras's order (each bias only with <see cref="UseBias"/>): <c>query/kernel</c>
/// (Dq, heads, key_dim), <c>query/bias</c> (heads, key_dim), <c>key/kernel</c> (Dk, heads, key_dim),
/// <c>key/bias</c>, <c>value/kernel</c> (Dv, heads, value_dim), <c>value/bias</c> (heads, value_dim),
/// <c>attention_output/kernel</c> (heads, value_dim, out…), <c>attention_output/bias</c> (out…):
/// h·k·(Dq+1) + h·k·(Dk+1) + h·v·(Dv+1) + h·v·Dout + Dout parameters.
/// <see cref="Dropout"/> drops attention probabilities while training. Not yet supported: other
/// <c>attention_axes</c> than the default, <c>use_causal_mask</c> and <c>return_attention_scores</c>
/// (call arguments), and masks carried by the inputs (the mask must be passed as the fourth input).
/// </remarks>
/// <example><code>new MultiHeadAttention(numHeads: 2, keyDim: 16) { Id = id, Name = "multi_head_attention" }   // (None, 10, 32), (None, 10, 32) → (None, 10, 32)</code></example>
public sealed record MultiHeadAttention : OpLayer
{
    /// <summary>The value Keras gives a masked score before the softmax (its <c>_large_negative_number</c> for float32).</summary>
    private const float MaskedScore = -1e9f;

    /// <summary>A multi-head attention of <paramref name="numHeads"/> heads of <paramref name="keyDim"/> values.</summary>
    /// <param name="numHeads">The number of heads.</param>
    /// <param name="keyDim">The size of each head's query and key projections.</param>
    /// <param name="valueDim">The size of each head's value projection; <paramref name="keyDim"/> when null.</param>
    /// <param name="dropout">The fraction of attention probabilities dropped while training, in [0, 1).</param>
    /// <param name="useBias">Whether the projections have biases.</param>
    /// <param name="outputShape">The output's last dimensions (batch and query steps excluded); the query's last dimension when null.</param>
    /// <param name="attentionAxes">Keras's <c>attention_axes</c>: only null (every axis between the batch and the features) or those axes.</param>
    /// <exception cref="ArgumentException">A size is not positive or the dropout rate is outside [0, 1).</exception>
    public MultiHeadAttention(int numHeads, int keyDim, int? valueDim = null, double dropout = 0.0, bool useBias = true,
        IReadOnlyList<int>? outputShape = null, IReadOnlyList<int>? attentionAxes = null)
    {
        NumHeads = numHeads > 0 ? numHeads : throw InvalidArgument("num_heads", "a positive integer", numHeads);
        KeyDim = keyDim > 0 ? keyDim : throw InvalidArgument("key_dim", "a positive integer", keyDim);
        ValueDim = (valueDim ?? keyDim) > 0 ? valueDim ?? keyDim : throw InvalidArgument("value_dim", "a positive integer or None", valueDim);
        Dropout = dropout is >= 0 and < 1 ? dropout : throw InvalidArgument("dropout", "a float in the range [0, 1)", dropout);
        UseBias = useBias;
        if (outputShape is not null && (outputShape.Count == 0 || outputShape.Any(d => d <= 0)))
            throw InvalidArgument("output_shape", "None, a positive integer or a non-empty list of positive integers", $"[{string.Join(", ", outputShape)}]");
        OutputShape = outputShape is null ? null : EquatableArray.Of(outputShape);
        AttentionAxes = attentionAxes is null ? null : EquatableArray.Of(attentionAxes);
    }

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The size of each head's query and key projections.</summary>
    public int KeyDim { get; }

    /// <summary>The size of each head's value projection.</summary>
    public int ValueDim { get; }

    /// <summary>The fraction of attention probabilities dropped while training.</summary>
    public double Dropout { get; }

    /// <summary>Whether the projections have biases.</summary>
    public bool UseBias { get; }

    /// <summary>The output's last dimensions; null for the query's last dimension.</summary>
    public EquatableArray<int>? OutputShape { get; }

    /// <summary>Keras's <c>attention_axes</c> as given; null for the default (every axis between the batch and the features).</summary>
    public EquatableArray<int>? AttentionAxes { get; }

    /// <inheritdoc/>
    public override string ClassName => "MultiHeadAttention";

    private static readonly string[] Projections = ["query", "key", "value", "attention_output"];

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. Projections.SelectMany(p => UseBias ? new[] { ($"{p}/kernel", true), ($"{p}/bias", true) } : [($"{p}/kernel", true)])];

    /// <summary>The parts of a call's input shapes the layer works with.</summary>
    private readonly record struct Dims(Shape Query, Shape Value, Shape Key, int Dq, int Dv, int Dk, int[] Out);

    /// <summary>Checks the inputs' shapes and takes out what the weights and output depend on.</summary>
    /// <exception cref="ShapeError">The inputs cannot be attended.</exception>
    private Dims Check(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count is < 2 or > 4)
            throw Error($"takes 2 to 4 inputs (query, value, optionally key, optionally an attention mask after the key), but received {inputs.Count}: {string.Join(", ", inputs)}.");
        var (query, value) = (inputs[0], inputs[1]);
        var key = inputs.Count > 2 ? inputs[2] : value;
        string Named(int i) => i switch { 0 => "query", 1 => "value", 2 => "key", _ => "attention mask" };
        RequireMinRank(query, 3);
        for (int i = 1; i < Math.Min(3, inputs.Count); i++)
            if (inputs[i].Rank != query.Rank)
                throw Error($"needs a {Named(i)} of the query's rank {query.Rank}, but received query {query} and {Named(i)} {inputs[i]}.");
        for (int i = 0; i < Math.Min(3, inputs.Count); i++)
            if (inputs[i][-1] is null)
                throw Error($"needs the last dimension of the {Named(i)} to be known, but received {Named(i)} shape {inputs[i]}.");
        for (int a = 1; a < key.Rank - 1; a++)
            if (key[a] is { } k && value[a] is { } v && k != v)
                throw Error($"needs a key and a value of the same steps, but received key {key} and value {value} (axis {a}: {k} vs {v}).");
        for (int i = 1; i < inputs.Count; i++)
            if (inputs[i].Rank > 0 && inputs[i][0] is { } b && query[0] is { } qb && b != qb)
                throw Error($"received a {Named(i)} of batch {b} for a query of batch {qb}: {inputs[i]} and {query}.");
        int middle = query.Rank - 2;
        if (AttentionAxes is { } axes)
        {
            var resolved = axes.Select(a => a < 0 ? a + query.Rank : a).Order().ToArray();
            if (!resolved.SequenceEqual(Enumerable.Range(1, middle)))
                throw Error($"supports only the default attention_axes (every axis between the batch and the features: [{string.Join(", ", Enumerable.Range(1, middle))}] for inputs of rank {query.Rank}), but was given [{string.Join(", ", axes)}].");
        }
        if (inputs.Count == 4)
        {
            var mask = inputs[3];
            var want = Shape.Of([query[0], .. query.ToNullableArray()[1..^1], .. value.ToNullableArray()[1..^1]]);
            if (!mask.IsCompatibleWith(want))
                throw Error($"needs an attention mask of shape {want} (batch, query steps, key steps) for query {query} and value {value}, but received {mask}.");
        }
        for (int a = 1; a < query.Rank - 1; a++) RequireNonEmpty(query, a, "query steps");
        for (int a = 1; a < value.Rank - 1; a++) RequireNonEmpty(value, a, "key and value steps");
        int dq = query[-1]!.Value;
        return new Dims(query, value, key, dq, value[-1]!.Value, key[-1]!.Value, OutputShape is { } o ? [.. o] : [dq]);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        Check(inputs);
        return base.InferShapes(inputs);
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs)
    {
        var d = Check(inputs);
        var init = new GlorotUniform();
        (string, int[], int[])[] projections =
        [
            ("query", [d.Dq, NumHeads, KeyDim], [NumHeads, KeyDim]),
            ("key", [d.Dk, NumHeads, KeyDim], [NumHeads, KeyDim]),
            ("value", [d.Dv, NumHeads, ValueDim], [NumHeads, ValueDim]),
            ("attention_output", [NumHeads, ValueDim, .. d.Out], d.Out),
        ];
        var specs = new List<WeightSpec>();
        foreach (var (name, kernel, bias) in projections)
        {
            specs.Add(new WeightSpec($"{name}/kernel", Shape.Known(kernel), true, init));
            if (UseBias) specs.Add(new WeightSpec($"{name}/bias", Shape.Known(bias), true, Constant.Zeros));
        }
        return specs;
    }

    /// <summary>Projects, attends per head, and projects back.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var d = Check([.. inputs.Select(v => v.Shape)]);
        var query = inputs[0];
        var outShape = Shape.Of([.. query.Shape.ToNullableArray()[..^1], .. d.Out.Select(o => (int?)o)]);
        // Unknown step counts cannot be written in the reshapes below; the shape rule alone answers a symbolic call.
        if (call.Tape.IsSymbolic) return [call.Tape.Placeholder(outShape)];

        int batch = query.Shape[0]!.Value;
        int t = (int)query.Shape.Product(1)!.Value / d.Dq;
        int s = (int)d.Value.Product(1)!.Value / d.Dv;
        int h = NumHeads;
        int w = 0;
        Var Project(Var x, int steps, int features, int size)
        {
            var kernel = Ops.Reshape(call.Weights[w++], [features, h * size]);
            var y = Ops.MatMul(Ops.Reshape(x, [batch, steps, features]), kernel);
            if (UseBias) y = y + Ops.Reshape(call.Weights[w++], [h * size]);
            return Ops.Transpose(Ops.Reshape(y, [batch, steps, h, size]), [0, 2, 1, 3]); // (batch, heads, steps, size)
        }
        var value = inputs[1];
        var key = inputs.Count > 2 ? inputs[2] : value;
        var q = Project(query, t, d.Dq, KeyDim) * (float)(1.0 / Math.Sqrt(KeyDim));
        var k = Project(key, s, d.Dk, KeyDim);
        var v = Project(value, s, d.Dv, ValueDim);

        var scores = Ops.MatMul(q, k, transposeB: true); // (batch, heads, T, S)
        if (inputs.Count == 4)
        {
            // Keras keeps a score where the mask is true (or above 0.5) and sets the others to −1e9; the mask has no gradient.
            var keep = KeepMask(inputs[3].Value, batch, t, s);
            var kept = call.Tape.Constant(keep);
            var masked = call.Tape.Constant(Tensor.Own([.. keep.Span.ToArray().Select(m => (1 - m) * MaskedScore)], keep.Shape));
            scores = scores * kept + masked;
        }
        var probabilities = Ops.Softmax(scores, -1);
        if (call.Training && Dropout > 0)
            probabilities = probabilities * call.Tape.Constant(DropoutMask(probabilities.Shape, call.Seed));

        var context = Ops.Transpose(Ops.MatMul(probabilities, v), [0, 2, 1, 3]); // (batch, T, heads, value_dim)
        int outSize = d.Out.Aggregate(1, (p, o) => p * o);
        var output = Ops.MatMul(Ops.Reshape(context, [batch, t, h * ValueDim]), Ops.Reshape(call.Weights[w++], [h * ValueDim, outSize]));
        if (UseBias) output = output + Ops.Reshape(call.Weights[w++], [outSize]);
        return [Ops.Reshape(output, outShape.ToArray())];
    }

    /// <summary>The attention mask as 1 (attend) and 0 (do not), shaped (batch, 1, T, S) to broadcast over the heads.</summary>
    private static Tensor KeepMask(Tensor mask, int batch, int t, int s)
    {
        var keep = new float[batch * t * s];
        if (mask.DType == DType.Float32)
        {
            var m = mask.Span;
            for (int i = 0; i < keep.Length; i++) keep[i] = m[i] > 0.5f ? 1 : 0;
        }
        else
        {
            var m = mask.Ints;
            for (int i = 0; i < keep.Length; i++) keep[i] = m[i] != 0 ? 1 : 0;
        }
        return Tensor.Own(keep, Shape.Known(batch, 1, t, s));
    }

    /// <summary>
    /// Inverted dropout's factors for one training call: 0 with probability <see cref="Dropout"/>, else 1/(1 − rate).
    /// Each element's draw is a counter-based hash of the call's seed, the layer's name and the element's index, so a seed reproduces it.
    /// </summary>
    private Tensor DropoutMask(Shape shape, int seed)
    {
        int n = (int)shape.Product()!.Value;
        var mask = new float[n];
        ulong key = unchecked((ulong)(uint)Seeds.Derive(seed, StableHash(Name)) * 0xD1B54A32D192ED03UL);
        ulong threshold = (ulong)(Dropout * ulong.MaxValue);
        float scale = (float)(1.0 / (1.0 - Dropout));
        for (int i = 0; i < n; i++)
        {
            ulong z = unchecked(key + (ulong)i * 0x9E3779B97F4A7C15UL);
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            mask[i] = z >= threshold ? scale : 0f;
        }
        return Tensor.Own(mask, shape);
    }

    /// <summary>A hash of the name that is the same in every process (string.GetHashCode is randomised per process).</summary>
    private static int StableHash(string name)
    {
        uint hash = 2166136261;
        foreach (char c in name) hash = unchecked((hash ^ c) * 16777619);
        return unchecked((int)hash);
    }

    // ---- config codec (Keras) ------------------------------------------------------------------

    /// <summary>
    /// Keras's <c>MultiHeadAttention</c> config (TF.js has no such layer): <c>num_heads</c>, <c>key_dim</c>,
    /// <c>value_dim</c> (null: key_dim), <c>dropout</c>, <c>use_bias</c>, <c>output_shape</c> (null, an integer
    /// or a list), <c>attention_axes</c> (null, an integer or a list).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<MultiHeadAttention>("MultiHeadAttention",
        (c, id, name) => new MultiHeadAttention(c.Int("num_heads"), c.Int("key_dim"), c.OptionalInt("value_dim"), c.Double("dropout", 0),
            c.Bool("use_bias", true), IntOrList(c, "output_shape"), IntOrList(c, "attention_axes")) { Id = id, Name = name },
        m => LayerConfig.WithKernelAndBiasDefaults(new JsonObject
        {
            ["num_heads"] = m.NumHeads,
            ["key_dim"] = m.KeyDim,
            ["value_dim"] = m.ValueDim,
            ["dropout"] = m.Dropout,
            ["use_bias"] = m.UseBias,
            ["output_shape"] = WriteIntOrList(m.OutputShape),
            ["attention_axes"] = WriteIntOrList(m.AttentionAxes),
        }));

    private static int[]? IntOrList(LayerConfig c, string key)
    {
        if (c[key] is JsonArray)
            return c.OptionalDims(key) is { } dims && dims.All(d => d.HasValue) ? [.. dims.Select(d => d!.Value)] : throw c.Error(key, "null, an integer or a list of integers");
        return c.OptionalInt(key) is { } one ? [one] : null;
    }

    private static JsonNode? WriteIntOrList(EquatableArray<int>? values) => values switch
    {
        null => null,
        { Count: 1 } v => v[0],
        { } v => new JsonArray([.. v.Select(d => (JsonNode?)d)]),
    };
}
