namespace DeepGraph.Core;

/// <summary>What a layer written over ops is given for one call: its tape, its weights as vars, and the mode.</summary>
/// <param name="Tape">Where the ops run (symbolic while shapes are inferred).</param>
/// <param name="Weights">The layer's weights as vars, in the order of its weight specs.</param>
/// <param name="Training">True in a training step (dropout drops, normalisation uses batch statistics).</param>
/// <param name="Seed">The seed of this call's randomness.</param>
public sealed record OpCall(OpTape Tape, IReadOnlyList<Var> Weights, bool Training, int Seed)
{
    /// <summary>The masks carried by the inputs (bool vars, batch × steps), null where an input carries none; empty when none does (and on a symbolic tape).</summary>
    public IReadOnlyList<Var?> Masks { get; init; } = [];

    /// <summary>The mask of input <paramref name="index"/>, or null.</summary>
    public Var? MaskOf(int index) => index < Masks.Count ? Masks[index] : null;
}

/// <summary>
/// A layer written as a pure function over <see cref="Ops"/>: its output shapes come from running
/// that function on a symbolic tape, its forward pass from running it on values, and its backward
/// pass from the tape it recorded in a training step. Weights are declared as for any
/// <see cref="WeightedLayer"/> (none for a layer without weights).
/// </summary>
public abstract record OpLayer : WeightedLayer
{
    /// <summary>The layer's computation: its outputs from <paramref name="inputs"/> and the call's weights.</summary>
    /// <exception cref="ShapeError">The inputs have shapes the layer cannot take.</exception>
    protected abstract IReadOnlyList<Var> Call(OpCall call, IReadOnlyList<Var> inputs);

    /// <inheritdoc/>
    public override bool IsBuilt => Params.Count > 0 || Roles.Count == 0;

    /// <summary>The weights' roles; none unless the layer declares weights.</summary>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles => [];

    /// <summary>The weights a call needs; none unless the layer declares weights.</summary>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) => [];

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var tape = new OpTape(TapeMode.Symbolic);
        var weights = IsBuilt ? [.. Params.Select(tape.Constant)] : Specs(inputs).Select(s => tape.Placeholder(s.Shape)).ToArray();
        var vars = inputs.Select((s, i) => tape.Placeholder(s, InputDType(i))).ToArray();
        return [.. Call(new OpCall(tape, weights, false, 0), vars).Select(v => Fits(v.Shape))];
    }

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var tape = new OpTape(TapeMode.Evaluate, context.Gemm);
        var results = Run(tape, context, inputs, out _, out _);
        CopyOut(results, outputs);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var tape = new OpTape(TapeMode.Record, context.Gemm);
        var results = Run(tape, context, inputs, out var inputVars, out var weightVars);
        CopyOut(results, outputs);
        return new RecordedCall(tape, inputVars, weightVars, results);
    }

    /// <inheritdoc/>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        var call = args.Saved as RecordedCall
            ?? throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) was not run forward in training before its backward pass.");
        var wrt = new List<Var>();
        var into = new List<Tensor>();
        for (int k = 0; k < call.Inputs.Length; k++)
            if (args.InputGrads[k] is { } buffer && call.Inputs[k].DType == DType.Float32)
            {
                wrt.Add(call.Inputs[k]);
                into.Add(buffer);
            }
        for (int i = 0; i < call.Weights.Length && i < args.ParamGrads.Count; i++)
            if (args.ParamGrads[i] is { } buffer)
            {
                wrt.Add(call.Weights[i]);
                into.Add(buffer);
            }
        if (wrt.Count == 0) return;
        var grads = call.Tape.Gradients(call.Outputs, args.OutputGrads, wrt);
        for (int i = 0; i < grads.Length; i++)
            System.Numerics.Tensors.TensorPrimitives.Add(into[i].Span, grads[i]!.Span, into[i].Data);
    }

    private IReadOnlyList<Var> Run(OpTape tape, ForwardContext context, IReadOnlyList<Tensor> inputs, out Var[] inputVars, out Var[] weightVars)
    {
        inputVars = [.. inputs.Select(tape.Constant)];
        weightVars = [.. Params.Select(tape.Constant)];
        var masks = context.InputMasks.Count == 0 ? [] : context.InputMasks.Select(m => m is null ? null : tape.Constant(m)).ToArray();
        var results = Call(new OpCall(tape, weightVars, context.Training && !context.Frozen, context.Seed) { Masks = masks }, inputVars);
        return results;
    }

    private void CopyOut(IReadOnlyList<Var> results, IReadOnlyList<Tensor> outputs)
    {
        if (results.Count != outputs.Count)
            throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) computed {results.Count} outputs where its shapes gave {outputs.Count}.");
        for (int k = 0; k < outputs.Count; k++)
        {
            var value = results[k].Value;
            if (value.Shape != outputs[k].Shape)
                throw new InvalidOperationException($"Layer \"{Name}\" ({ClassName}) computed output {k} of shape {value.Shape} where its shape rule gave {outputs[k].Shape}.");
            value.Data.AsSpan().CopyTo(outputs[k].Data);
        }
    }

    /// <summary>A training call's tape, kept for its backward pass (as the saved tensors, of which it has none).</summary>
    private sealed class RecordedCall(OpTape tape, Var[] inputs, Var[] weights, IReadOnlyList<Var> outputs) : IReadOnlyList<Tensor>
    {
        public OpTape Tape { get; } = tape;
        public Var[] Inputs { get; } = inputs;
        public Var[] Weights { get; } = weights;
        public IReadOnlyList<Var> Outputs { get; } = outputs;
        public Tensor this[int index] => throw new ArgumentOutOfRangeException(nameof(index));
        public int Count => 0;
        public IEnumerator<Tensor> GetEnumerator() => Enumerable.Empty<Tensor>().GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
