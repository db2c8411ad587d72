namespace DeepGraph.Core;

/// <summary>
/// What Keras's <c>Attention</c> and <c>AdditiveAttention</c> share (Keras 2 called it
/// <c>BaseDenseAttention</c>): inputs query (batch, Tq, dim), value (batch, Tv, dv) and optionally key
/// (batch, Tv, dim; the value when absent); scores (batch, Tq, Tv) from query and key (the subclass's
/// rule); masked scores lowered by 1e9; a softmax over the key steps; dropout of the distribution while
/// training; the distribution times the value (batch, Tq, dv), zero at masked query steps.
/// </summary>
/// <remarks>
/// Keras's call arguments are the record's <see cref="Inputs"/> (which of key, query mask (batch, Tq) and value
/// mask (batch, Tv) follow the query and value), <see cref="UseCausalMask"/> and <see cref="ReturnAttentionScores"/>
/// (a second output: the distribution after dropout, (batch, Tq, Tv), as Keras 3 returns it).
/// </remarks>
public abstract record BaseDenseAttention : OpLayer, IAttentionCall
{
    /// <summary>Sets the options the attention layers share.</summary>
    /// <param name="dropout">The fraction of the attention distribution dropped while training, in [0, 1).</param>
    /// <param name="seed">The dropout's seed; null derives it from the layer's name.</param>
    /// <exception cref="ArgumentException">The dropout rate is outside [0, 1).</exception>
    protected BaseDenseAttention(double dropout, int? seed)
    {
        Dropout = dropout is >= 0 and < 1 ? dropout : throw InvalidArgument("dropout", "a float in the range [0, 1)", dropout);
        Seed = seed;
    }

    /// <summary>The fraction of the attention distribution dropped while training.</summary>
    public double Dropout { get; }

    /// <summary>The dropout's seed; null derives it from the layer's name.</summary>
    public int? Seed { get; }

    /// <summary>Which optional inputs a call passes after the query and value (call arguments, not config); None: a third input is the key.</summary>
    public AttentionInputs Inputs { get; init; }

    /// <summary>Keras's call argument <c>use_causal_mask</c>: query step i attends only to key steps j ≤ i (not config).</summary>
    public bool UseCausalMask { get; init; }

    /// <summary>Keras's call argument <c>return_attention_scores</c>: the distribution is a second output (not config).</summary>
    public bool ReturnAttentionScores { get; init; }

    /// <summary>The scores (batch, Tq, Tv) of <paramref name="query"/> (batch, Tq, dim) against <paramref name="key"/> (batch, Tv, dim).</summary>
    protected abstract Var Scores(OpCall call, Var query, Var key);

    /// <summary>Checks the inputs and finds the optional ones.</summary>
    /// <exception cref="ShapeError">The inputs do not fit together.</exception>
    private protected AttentionSlots Check(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count is < 2 or > 5)
            throw Error($"must be called on a list of inputs, namely [query, value] or [query, value, key] (then the query and value masks as its Inputs say), but received {inputs.Count}: {string.Join(", ", inputs)}.");
        var slots = AttentionSlots.For(Error, Inputs, inputs.Count, AttentionInputs.Key | AttentionInputs.QueryMask | AttentionInputs.ValueMask);
        var (query, value) = (inputs[0], inputs[1]);
        var key = slots.Key >= 0 ? inputs[slots.Key] : value;
        string Named(int i) => i == 0 ? "query" : i == 1 ? "value" : slots.Name(i);
        int[] tensors = [0, 1, .. slots.Key >= 0 ? new[] { slots.Key } : []];
        foreach (int i in tensors)
        {
            if (inputs[i].Rank != 3)
                throw Error($"takes a {Named(i)} of rank 3 (batch, steps, features), but received {Named(i)} shape {inputs[i]}.");
            if (inputs[i][-1] is null)
                throw Error($"needs the last dimension of the {Named(i)} to be known, but received {Named(i)} shape {inputs[i]}.");
        }
        if (query[-1] != key[-1])
            throw Error($"needs a query and a key of the same features, but received query {query} and key {key}.");
        if (key[1] is { } ks && value[1] is { } vs && ks != vs)
            throw Error($"needs a key and a value of the same steps, but received key {key} and value {value}.");
        for (int i = 1; i < inputs.Count; i++)
            if (inputs[i].Rank > 0 && inputs[i][0] is { } b && query[0] is { } qb && b != qb)
                throw Error($"received a {Named(i)} of batch {b} for a query of batch {qb}: {inputs[i]} and {query}.");
        if (slots.QueryMask >= 0 && !inputs[slots.QueryMask].IsCompatibleWith(Shape.Of(query[0], query[1])))
            throw Error($"needs a query mask of shape {Shape.Of(query[0], query[1])} (batch, query steps) for query {query}, but received {inputs[slots.QueryMask]}.");
        if (slots.ValueMask >= 0 && !inputs[slots.ValueMask].IsCompatibleWith(Shape.Of(value[0], value[1])))
            throw Error($"needs a value mask of shape {Shape.Of(value[0], value[1])} (batch, value steps) for value {value}, but received {inputs[slots.ValueMask]}.");
        RequireNonEmpty(value, 1, "value steps");
        return slots;
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        Check(inputs);
        return base.InferShapes(inputs);
    }

    /// <summary>Scores, masks, softmax, dropout, and the distribution times the value.</summary>
    protected override IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs)
    {
        var slots = Check([.. inputs.Select(v => v.Shape)]);
        var (query, value) = (inputs[0], inputs[1]);
        var key = slots.Key >= 0 ? inputs[slots.Key] : value;
        var scores = Scores(call, query, key);
        bool masked = slots.ValueMask >= 0 || UseCausalMask;
        if (masked && !call.Tape.IsSymbolic)
        {
            // Keras lowers a masked score by 1e9 (it does not replace it); the mask has no gradient.
            int batch = scores.Shape[0]!.Value, tq = scores.Shape[1]!.Value, tv = scores.Shape[2]!.Value;
            var keep = Enumerable.Repeat(1f, batch * tq * tv).ToArray();
            AttentionOps.KeepSteps(keep, batch, tq, tv, null, slots.ValueMask >= 0 ? inputs[slots.ValueMask].Value : null, null, UseCausalMask);
            scores = scores + call.Tape.Constant(Tensor.Own([.. keep.Select(k => (1 - k) * -1e9f)], scores.Shape));
        }
        var weights = Ops.Softmax(scores, -1);
        if (call.Training && Dropout > 0 && !call.Tape.IsSymbolic)
            weights = weights * call.Tape.Constant(AttentionOps.DropoutMask(weights.Shape, Dropout, call.Seed, Seed, Name));
        var result = Ops.MatMul(weights, value);
        if (slots.QueryMask >= 0)
        {
            var mask = inputs[slots.QueryMask];
            var steps = call.Tape.IsSymbolic ? mask : call.Tape.Constant(Tensor.Own(AttentionOps.Keep(mask.Value), mask.Shape));
            result = result * Ops.ExpandDims(steps, -1);
        }
        return ReturnAttentionScores ? [result, weights] : [result];
    }
}
