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
/// <see cref="Dropout"/> drops attention probabilities while training. Keras's call arguments are the record's
/// <see cref="Inputs"/> (which of key, query/value/key masks and attention mask follow the query and value),
/// <see cref="UseCausalMask"/> and <see cref="ReturnAttentionScores"/> (then a second output, the scores
/// (batch, other axes…, heads, query attention axes…, key attention axes…) before dropout). Query, value and key
/// masks and the causal mask need rank-3 inputs, as in Keras. Masks carried by the inputs are read when no explicit one is given, and the query's passes on.
/// </remarks>
/// <example><code>new MultiHeadAttention(numHeads: 2, keyDim: 16) { Id = id, Name = "multi_head_attention" }   // (None, 10, 32), (None, 10, 32) → (None, 10, 32)</code></example>
public sealed record MultiHeadAttention : OpLayer, IAttentionCall
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
    /// <param name="attentionAxes">Keras's <c>attention_axes</c>: the axes attended over (null: every axis between the batch and the features); the others are batch-like.</param>
    /// <param name="seed">The dropout's seed (null: derived from the layer's name); each training step still draws anew from its step seed.</param>
    /// <exception cref="ArgumentException">A size is not positive, the dropout rate is outside [0, 1), or attention_axes is empty.</exception>
    public MultiHeadAttention(int numHeads, int keyDim, int? valueDim = null, double dropout = 0.0, bool useBias = true,
        IReadOnlyList<int>? outputShape = null, IReadOnlyList<int>? attentionAxes = null, int? seed = null)
    {
        if (attentionAxes is { Count: 0 }) throw InvalidArgument("attention_axes", "None, an integer or a non-empty list of integers", "[]");
        Seed = seed;
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

    /// <summary>The dropout's seed; null derives it from the layer's name.</summary>
    public int? Seed { get; }

    /// <summary>Which optional inputs a call passes after the query and value (call arguments, not config); None reads them from the count: a third is the key, a fourth the attention mask.</summary>
    public AttentionInputs Inputs { get; init; }

    /// <summary>Keras's call argument <c>use_causal_mask</c>: a query step attends only to key steps up to its own (not config).</summary>
    public bool UseCausalMask { get; init; }

    /// <summary>Keras's call argument <c>return_attention_scores</c>: the scores are a second output (not config).</summary>
    public bool ReturnAttentionScores { get; init; }

    /// <inheritdoc/>
    public override string ClassName => "MultiHeadAttention";

    private static readonly string[] Projections = ["query", "key", "value", "attention_output"];

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. Projections.SelectMany(p => UseBias ? new[] { ($"{p}/kernel", true), ($"{p}/bias", true) } : [($"{p}/kernel", true)])];

    /// <summary>The parts of a call's input shapes the layer works with.</summary>
    /// <remarks>
    /// Slots: where each optional input is in the call's list; Axes: the attention axes of the inputs, positive and
    /// in order; Others: the axes between the batch and the features that are not attended over (batch-like).
    /// </remarks>
    private sealed record Dims(Shape Query, Shape Value, Shape Key, int Dq, int Dv, int Dk, int[] Out, AttentionSlots Slots, int[] Axes, int[] Others);

    /// <summary>Checks the inputs' shapes and takes out what the weights and output depend on.</summary>
    /// <exception cref="ShapeError">The inputs cannot be attended.</exception>
    private Dims Check(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count is < 2 or > 7)
            throw Error($"takes 2 to 7 inputs (query, value, then as its Inputs say: key, query mask, value mask, key mask, attention mask), but received {inputs.Count}: {string.Join(", ", inputs)}.");
        var slots = AttentionSlots.For(Error, Inputs, inputs.Count, (AttentionInputs)31);
        var (query, value) = (inputs[0], inputs[1]);
        var key = slots.Key >= 0 ? inputs[slots.Key] : value;
        string Named(int i) => i == 0 ? "query" : i == 1 ? "value" : slots.Name(i);
        RequireMinRank(query, 3);
        int[] tensors = [0, 1, .. slots.Key >= 0 ? new[] { slots.Key } : []];
        foreach (int i in tensors[1..])
            if (inputs[i].Rank != query.Rank)
                throw Error($"needs a {Named(i)} of the query's rank {query.Rank}, but received query {query} and {Named(i)} {inputs[i]}.");
        foreach (int i in tensors)
            if (inputs[i][-1] is null)
                throw Error($"needs the last dimension of the {Named(i)} to be known, but received {Named(i)} shape {inputs[i]}.");
        for (int a = 1; a < key.Rank - 1; a++)
            if (key[a] is { } k && value[a] is { } v && k != v)
                throw Error($"needs a key and a value of the same steps, but received key {key} and value {value} (axis {a}: {k} vs {v}).");
        for (int i = 1; i < inputs.Count; i++)
            if (inputs[i].Rank > 0 && inputs[i][0] is { } b && query[0] is { } qb && b != qb)
                throw Error($"received a {Named(i)} of batch {b} for a query of batch {qb}: {inputs[i]} and {query}.");

        int middle = query.Rank - 2;
        var axes = Enumerable.Range(1, middle).ToArray();
        if (AttentionAxes is { } given)
        {
            // Keras counts a negative axis on the projected (batch, steps…, heads, size), one rank more than the input.
            var resolved = given.Select(a => a < 0 ? a + query.Rank + 1 : a).ToArray();
            if (resolved.Any(a => a < 1 || a > middle) || resolved.Distinct().Count() != resolved.Length)
                throw Error($"was given attention_axes [{string.Join(", ", given)}], which must be distinct step axes (1 to {middle}, or −3 to −{middle + 2} counted on the projection (batch, steps…, heads, size)) for inputs of rank {query.Rank} such as query {query}.");
            axes = [.. resolved.Order()];
        }
        var others = Enumerable.Range(1, middle).Except(axes).ToArray();
        foreach (int a in others)
            foreach (int i in tensors[1..])
                if (inputs[i][a] is { } s && query[a] is { } t && s != t)
                    throw Error($"attends over attention_axes [{string.Join(", ", axes)}] only, so the {Named(i)} must match the query along axis {a}, but received query {query} and {Named(i)} {inputs[i]}.");

        bool masks = slots.QueryMask >= 0 || slots.ValueMask >= 0 || slots.KeyMask >= 0 || UseCausalMask;
        if (masks && query.Rank != 3)
            throw Error($"takes query, value and key masks and use_causal_mask only for inputs of rank 3 (batch, steps, features), but received query {query}.");
        var stepsOf = (Shape s) => s.ToNullableArray()[1..^1];
        void RequireMask(int slot, Shape want, string what)
        {
            if (slot >= 0 && !inputs[slot].IsCompatibleWith(want))
                throw Error($"needs {what} of shape {want} for query {query} and value {value}, but received {inputs[slot]}.");
        }
        RequireMask(slots.QueryMask, Shape.Of([query[0], .. stepsOf(query)]), "a query mask (batch, query steps)");
        RequireMask(slots.ValueMask, Shape.Of([query[0], .. stepsOf(value)]), "a value mask (batch, value steps)");
        RequireMask(slots.KeyMask, Shape.Of([query[0], .. stepsOf(key)]), "a key mask (batch, key steps)");
        RequireMask(slots.AttentionMask, Shape.Of([query[0], .. others.Select(a => query[a]), .. axes.Select(a => query[a]), .. axes.Select(a => value[a])]),
            "an attention mask (batch, " + (others.Length > 0 ? "other axes, " : "") + "query steps, key steps)");
        for (int a = 1; a < query.Rank - 1; a++) RequireNonEmpty(query, a, "query steps");
        for (int a = 1; a < value.Rank - 1; a++) RequireNonEmpty(value, a, "key and value steps");
        int dq = query[-1]!.Value;
        return new Dims(query, value, key, dq, value[-1]!.Value, key[-1]!.Value, OutputShape is { } o ? [.. o] : [dq], slots, axes, others);
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

    /// <summary>Projects, attends per head over the attention axes, and projects back; with the scores as a second output when asked.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var d = Check([.. inputs.Select(v => v.Shape)]);
        var query = inputs[0];
        var value = inputs[1];
        var key = d.Slots.Key >= 0 ? inputs[d.Slots.Key] : value;
        int h = NumHeads;
        var outShape = Shape.Of([.. query.Shape.ToNullableArray()[..^1], .. d.Out.Select(o => (int?)o)]);
        // The scores, as Keras lays them out: (batch, other axes…, heads, query attention axes…, key attention axes…).
        var scoresShape = Shape.Of([query.Shape[0], .. d.Others.Select(a => query.Shape[a]), h, .. d.Axes.Select(a => query.Shape[a]), .. d.Axes.Select(a => key.Shape[a])]);
        // Unknown step counts cannot be written in the reshapes below; the shape rule alone answers a symbolic call.
        if (call.Tape.IsSymbolic)
            return ReturnAttentionScores ? [call.Tape.Placeholder(outShape), call.Tape.Placeholder(scoresShape)] : [call.Tape.Placeholder(outShape)];

        int batch = query.Shape[0]!.Value;
        int w = 0;
        // (batch, steps…, features) → (batch', attended steps, heads, size), batch' = batch × the other axes.
        Var Project(Var x, int features, int size)
        {
            var steps = x.Shape.ToArray()[1..^1];
            var kernel = call.Weights[w++];
            var bias = UseBias ? call.Weights[w++] : null;
            if (d.Others.Length == 0)
                return AttentionOps.Project(x, kernel, bias, Shape.Known(batch, steps.Aggregate(1, (p, s) => p * s), h, size));
            return ToAttended(AttentionOps.Project(x, kernel, bias, Shape.Known([batch, .. steps, h, size])), steps, size);
        }
        var q = Project(query, d.Dq, KeyDim);
        var k = Project(key, d.Dk, KeyDim);
        var v = Project(value, d.Dv, ValueDim);

        var probabilities = AttentionOps.Probabilities(q, k, (float)(1.0 / Math.Sqrt(KeyDim)), KeepMask(call, inputs, d, q.Shape[1]!.Value, k.Shape[1]!.Value));
        var attended = probabilities;
        if (call.Training && Dropout > 0)
            attended = attended * call.Tape.Constant(AttentionOps.DropoutMask(attended.Shape, Dropout, call.Seed, Seed, Name));
        var context = FromAttended(AttentionOps.Context(attended, v), query.Shape.ToArray()[1..^1]); // (batch, steps…, heads, value_dim)

        // The heads' contexts (…, heads, value_dim) are the rows (…, heads × value_dim) the output kernel reads.
        var outputKernel = call.Weights[w++];
        var output = AttentionOps.Project(Ops.Reshape(context, [.. outShape.ToArray()[..(query.Rank - 1)], h * ValueDim]), outputKernel,
            UseBias ? call.Weights[w] : null, Shape.Known(outShape.ToArray()));
        // Keras returns the scores before dropout.
        return ReturnAttentionScores ? [output, Ops.Reshape(probabilities, scoresShape.ToArray())] : [output];

        // A projection (batch, steps…, heads, size) to (batch', attended steps, heads, size), the other axes moved into the batch.
        Var ToAttended(Var full, int[] steps, int size)
        {
            int r = steps.Length + 3;
            int[] perm = [0, .. d.Others, .. d.Axes, r - 2, r - 1];
            int outer = batch * d.Others.Aggregate(1, (p, a) => p * steps[a - 1]);
            int inner = d.Axes.Aggregate(1, (p, a) => p * steps[a - 1]);
            return Ops.Reshape(Ops.Transpose(full, perm), [outer, inner, h, size]);
        }

        // The context (batch', attended query steps, heads, value_dim) back to (batch, query steps…, heads, value_dim).
        Var FromAttended(Var c, int[] steps)
        {
            if (d.Others.Length == 0) return c;
            int r = steps.Length + 3;
            int[] order = [0, .. d.Others, .. d.Axes, r - 2, r - 1];
            var laid = Ops.Reshape(c, [batch, .. d.Others.Select(a => steps[a - 1]), .. d.Axes.Select(a => steps[a - 1]), h, ValueDim]);
            var inverse = new int[r];
            for (int i = 0; i < r; i++) inverse[order[i]] = i;
            return Ops.Transpose(laid, inverse);
        }
    }

    /// <summary>
    /// Which score each query step keeps, (batch', Tq, Tk) as 1 and 0: the attention mask and, for rank-3 inputs,
    /// the query, value and key masks (Keras's <c>_compute_attention_mask</c>) and the causal mask; null when none is given.
    /// A query, value or key mask not given as an input is the one its tensor carries (an Embedding's
    /// <c>mask_zero</c>, a Masking layer), as Keras reads <c>_keras_mask</c>.
    /// </summary>
    private float[]? KeepValues(OpCall call, IReadOnlyList<Var> inputs, Dims d, int tq, int tk)
    {
        var s = d.Slots;
        bool rank3 = inputs[0].Shape.Rank == 3;
        Tensor? Carried(int input) => rank3 && input >= 0 ? call.MaskOf(input)?.Value : null;
        var queryMask = s.QueryMask >= 0 ? inputs[s.QueryMask].Value : Carried(0);
        var valueMask = s.ValueMask >= 0 ? inputs[s.ValueMask].Value : Carried(1);
        var keyMask = s.KeyMask >= 0 ? inputs[s.KeyMask].Value : Carried(s.Key);
        if (s.AttentionMask < 0 && queryMask is null && valueMask is null && keyMask is null && !UseCausalMask) return null;
        int batch = (int)(inputs[0].Shape.Product()!.Value / (tq * d.Dq));
        var keep = s.AttentionMask >= 0 ? AttentionOps.Keep(inputs[s.AttentionMask].Value) : Enumerable.Repeat(1f, batch * tq * tk).ToArray();
        AttentionOps.KeepSteps(keep, batch, tq, tk, queryMask, valueMask, keyMask, UseCausalMask);
        return keep;
    }

    private Tensor? KeepMask(OpCall call, IReadOnlyList<Var> inputs, Dims d, int tq, int tk) =>
        KeepValues(call, inputs, d, tq, tk) is { } keep ? Tensor.Own(keep, Shape.Known(keep.Length / (tq * tk), tq, tk)) : null;

    /// <summary>Keras's MultiHeadAttention passes the query's mask on to its output (not to the scores).</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.MaskOf(0) is { } mask ? [mask] : [];
    }

    // ---- config codec (Keras) ------------------------------------------------------------------

    /// <summary>
    /// Keras's <c>MultiHeadAttention</c> config (TF.js has no such layer): <c>num_heads</c>, <c>key_dim</c>,
    /// <c>value_dim</c> (null: key_dim), <c>dropout</c>, <c>use_bias</c>, <c>output_shape</c> (null, an integer
    /// or a list), <c>attention_axes</c> (null, an integer or a list), <c>seed</c> (Keras 3; null).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<MultiHeadAttention>("MultiHeadAttention",
        (c, id, name) => new MultiHeadAttention(c.Int("num_heads"), c.Int("key_dim"), c.OptionalInt("value_dim"), c.Double("dropout", 0),
            c.Bool("use_bias", true), IntOrList(c, "output_shape"), IntOrList(c, "attention_axes"), c.OptionalInt("seed")) { Id = id, Name = name },
        m => WithSeed(m.Seed, LayerConfig.WithKernelAndBiasDefaults(new JsonObject
        {
            ["num_heads"] = m.NumHeads,
            ["key_dim"] = m.KeyDim,
            ["value_dim"] = m.ValueDim,
            ["dropout"] = m.Dropout,
            ["use_bias"] = m.UseBias,
            ["output_shape"] = WriteIntOrList(m.OutputShape),
            ["attention_axes"] = WriteIntOrList(m.AttentionAxes),
        })));

    /// <summary>The config with Keras 3's <c>seed</c> when one is set (left out otherwise, so Keras 2 reads it too).</summary>
    internal static JsonObject WithSeed(int? seed, JsonObject config)
    {
        if (seed is { } s) config["seed"] = s;
        return config;
    }

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
