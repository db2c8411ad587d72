using System.Numerics.Tensors;
using System.Text.Json.Nodes;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Bidirectional</c> wrapper: runs a recurrent layer forward and a copy of it (or <see cref="BackwardLayer"/>)
/// backward over the same input, each with its own weights, and merges the two outputs (<see cref="MergeMode"/>:
/// <c>concat</c> on the last axis, forward first; <c>sum</c>; <c>mul</c>; <c>ave</c>; or null for the two outputs apart).
/// With <c>return_sequences</c> the backward sequence is turned back to forward time before the merge, and masked steps
/// output zeros (Keras sets <c>zero_output_for_mask</c> on the layers it wraps). With <c>return_state</c> the forward
/// layer's states then the backward layer's follow the output(s).
/// Weights: <c>forward_INNER/kernel</c>, <c>…/recurrent_kernel</c>, <c>…/bias</c>, then the same under <c>backward_INNER/</c>.
/// </summary>
/// <example><code>new Bidirectional(new LSTM(5, returnSequences: true) { Id = id, Name = "lstm" }) { Id = id, Name = "bidirectional" }   // (None, 7, 4) → (None, 7, 10)</code></example>
public sealed record Bidirectional : WeightedLayer
{
    private static readonly string?[] Modes = ["concat", "sum", "mul", "ave", null];

    /// <summary>Wraps <paramref name="layer"/> (its configuration; its weights are made anew).</summary>
    /// <param name="layer">The recurrent layer run forward.</param>
    /// <param name="mergeMode"><c>concat</c> (Keras's default), <c>sum</c>, <c>mul</c>, <c>ave</c>, or null for two outputs.</param>
    /// <param name="backwardLayer">The layer run backward; by default <paramref name="layer"/> with <c>go_backwards</c> flipped.</param>
    /// <exception cref="ArgumentException">An unknown merge mode, or a backward layer that does not match the forward one as Keras requires.</exception>
    public Bidirectional(RecurrentLayer layer, string? mergeMode = "concat", RecurrentLayer? backwardLayer = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!Modes.Contains(mergeMode))
            throw new ArgumentException($"Invalid merge mode. Received: {mergeMode}. Merge mode should be one of {{'sum', 'mul', 'ave', 'concat', None}}", nameof(mergeMode));
        Layer = layer with { Params = EquatableArray<Tensor>.Empty, Id = new LayerId(0), ZeroOutputForMask = false };
        MergeMode = mergeMode;
        if (backwardLayer is not null)
        {
            if (backwardLayer.GoBackwards == layer.GoBackwards)
                throw new ArgumentException($"Forward layer and backward layer should have different `go_backwards` value. Received: forward_layer.go_backwards={Py(layer.GoBackwards)}, backward_layer.go_backwards={Py(backwardLayer.GoBackwards)}", nameof(backwardLayer));
            foreach (var (what, f, b) in new[] { ("return_sequences", layer.ReturnSequences, backwardLayer.ReturnSequences), ("return_state", layer.ReturnState, backwardLayer.ReturnState) })
                if (f != b)
                    throw new ArgumentException($"Forward layer and backward layer are expected to have the same value for attribute \"{what}\", got \"{Py(f)}\" for forward layer and \"{Py(b)}\" for backward layer", nameof(backwardLayer));
            BackwardLayer = backwardLayer with { Params = EquatableArray<Tensor>.Empty, Id = new LayerId(0), ZeroOutputForMask = false };
        }
    }

    private static string Py(bool b) => b ? "True" : "False";

    /// <summary>The wrapped layer's configuration, as given (its name is the inner name of the weights).</summary>
    public RecurrentLayer Layer { get; }

    /// <summary>The backward layer's configuration when one was given (null: the wrapped layer with go_backwards flipped).</summary>
    public RecurrentLayer? BackwardLayer { get; }

    /// <summary>How the two outputs are merged: <c>concat</c>, <c>sum</c>, <c>mul</c>, <c>ave</c>, or null (two outputs).</summary>
    public string? MergeMode { get; }

    /// <inheritdoc/>
    public override string ClassName => "Bidirectional";

    /// <summary>Whether the outputs are sequences.</summary>
    public bool ReturnSequences => Layer.ReturnSequences;

    /// <summary>The layer run forward: <c>forward_INNER</c>.</summary>
    private RecurrentLayer ForwardTemplate => Layer with { Name = "forward_" + Layer.Name, ZeroOutputForMask = Layer.ReturnSequences };

    /// <summary>The layer run backward: <c>backward_INNER</c>.</summary>
    private RecurrentLayer BackwardTemplate =>
        (BackwardLayer ?? Layer with { GoBackwards = !Layer.GoBackwards }) with { Name = "backward_" + (BackwardLayer ?? Layer).Name, ZeroOutputForMask = Layer.ReturnSequences };

    private int ForwardWeightCount => ForwardTemplate.UseBias ? 3 : 2;

    /// <summary>The two directions with their weights.</summary>
    private (RecurrentLayer Forward, RecurrentLayer Backward) Built()
    {
        int k = ForwardWeightCount;
        return (ForwardTemplate with { Params = EquatableArray.Of(Params.Take(k)) }, BackwardTemplate with { Params = EquatableArray.Of(Params.Skip(k)) });
    }

    /// <summary>The output keeps the input's mask with return_sequences; states carry none.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!ReturnSequences || context.MaskOf(0) is not { } mask) return [];
        return MergeMode is null ? [mask, mask] : [mask];
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<(string Role, bool Trainable)> Roles =>
        [.. Prefixed(ForwardTemplate), .. Prefixed(BackwardTemplate)];

    private static IEnumerable<(string, bool)> Prefixed(RecurrentLayer layer) =>
        (layer.UseBias ? new[] { "kernel", "recurrent_kernel", "bias" } : ["kernel", "recurrent_kernel"]).Select(r => ($"{layer.Name}/{r}", true));

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        Single(inputs); // initial states are not supported through the wrapper
        var f = ForwardTemplate.OutputShapes(inputs);
        var b = BackwardTemplate.OutputShapes(inputs);
        if (f[0] != b[0])
            throw Error($"has a forward layer giving {f[0]} and a backward layer giving {b[0]}: the two must give the same shape.");
        var states = f.Skip(1).Concat(b.Skip(1));
        return MergeMode switch
        {
            null => [f[0], b[0], .. states],
            "concat" => [Fits(f[0].With(-1, 2 * ForwardTemplate.Units)), .. states],
            _ => [f[0], .. states],
        };
    }

    /// <inheritdoc/>
    protected override IReadOnlyList<WeightSpec> Specs(IReadOnlyList<Shape> inputs) =>
        [.. Prefix(ForwardTemplate, inputs), .. Prefix(BackwardTemplate, inputs)];

    private static IEnumerable<WeightSpec> Prefix(RecurrentLayer layer, IReadOnlyList<Shape> inputs) =>
        layer.WeightSpecs(inputs).Select(s => s with { Role = $"{layer.Name}/{s.Role}" });

    // ---- computing -------------------------------------------------------------------------

    private int Outputs(RecurrentLayer layer) => 1 + (layer.ReturnState ? layer.StateCount : 0);

    private Tensor[] Rent(ForwardContext context, RecurrentLayer layer, Shape input) =>
        [.. layer.OutputShapes([input]).Select(context.Pool.RentTensor)];

    /// <summary>Reverses a sequence (batch, steps, units) along the steps, in place.</summary>
    private static void ReverseSteps(Span<float> x, int batch, int steps, int units)
    {
        for (int b = 0; b < batch; b++)
            for (int i = 0, j = steps - 1; i < j; i++, j--)
            {
                var a = x.Slice((b * steps + i) * units, units);
                var c = x.Slice((b * steps + j) * units, units);
                for (int k = 0; k < units; k++) (a[k], c[k]) = (c[k], a[k]);
            }
    }

    private void Merge(Tensor forward, Tensor backward, IReadOnlyList<Tensor> outputs)
    {
        var f = forward.Span;
        var b = backward.Span;
        var y = outputs[0].Data.AsSpan();
        switch (MergeMode)
        {
            case null:
                f.CopyTo(y);
                b.CopyTo(outputs[1].Data);
                break;
            case "concat":
                int u = forward.Shape[-1]!.Value;
                for (int r = 0; r < f.Length / u; r++)
                {
                    f.Slice(r * u, u).CopyTo(y.Slice(2 * r * u, u));
                    b.Slice(r * u, u).CopyTo(y.Slice((2 * r + 1) * u, u));
                }
                break;
            case "sum": TensorPrimitives.Add(f, b, y); break;
            case "mul": TensorPrimitives.Multiply(f, b, y); break;
            default:
                TensorPrimitives.Add(f, b, y);
                TensorPrimitives.Multiply(y, 0.5f, y);
                break;
        }
    }

    private (Tensor[] F, Tensor[] B, IReadOnlyList<Tensor> FSaved, IReadOnlyList<Tensor> BSaved) Run(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs, bool train)
    {
        var (fl, bl) = Built();
        var x = inputs[0];
        var fo = Rent(context, fl, x.Shape);
        var bo = Rent(context, bl, x.Shape);
        IReadOnlyList<Tensor> fs = [], bs = [];
        if (train)
        {
            fs = fl.ForwardTrain(context, inputs, fo);
            bs = bl.ForwardTrain(context, inputs, bo);
        }
        else
        {
            fl.Forward(context, inputs, fo);
            bl.Forward(context, inputs, bo);
        }
        if (ReturnSequences) ReverseSteps(bo[0].Data, x.Shape[0]!.Value, x.Shape[1]!.Value, bl.Units);
        Merge(fo[0], bo[0], outputs);
        int k = MergeMode is null ? 2 : 1;
        foreach (var state in fo.Skip(1).Concat(bo.Skip(1))) state.Span.CopyTo(outputs[k++].Data);
        return (fo, bo, fs, bs);
    }

    /// <inheritdoc/>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (fo, bo, _, _) = Run(context, inputs, outputs, train: false);
        foreach (var t in fo.Concat(bo)) context.Pool.Return(t.Data);
    }

    /// <summary>Runs both directions' training passes; saves their outputs and what each saved.</summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (fo, bo, fs, bs) = Run(context, inputs, outputs, train: true);
        var header = context.Pool.RentTensor(Shape.Known(2));
        header.Data[0] = fs.Count;
        header.Data[1] = bs.Count;
        return [header, .. fo, .. bo, .. fs, .. bs];
    }

    /// <summary>Splits the merged gradient between the directions (turning the backward one back to its processing order) and runs each one's backward pass.</summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(args);
        var (fl, bl) = Built();
        int nf = Outputs(fl), nb = Outputs(bl);
        int fSaved = (int)args.Saved[0].Span[0], bSaved = (int)args.Saved[0].Span[1];
        var fo = args.Saved.Skip(1).Take(nf).ToArray();
        var bo = args.Saved.Skip(1 + nf).Take(nb).ToArray();
        var fs = args.Saved.Skip(1 + nf + nb).Take(fSaved).ToArray();
        var bs = args.Saved.Skip(1 + nf + nb + fSaved).Take(bSaved).ToArray();
        var x = args.Inputs[0];
        var df = new Tensor[nf];
        var db = new Tensor[nb];
        var rented = new List<Tensor>();
        Tensor Rent(Shape shape)
        {
            var t = context.Pool.RentTensor(shape);
            rented.Add(t);
            return t;
        }
        try
        {
            var dy = args.OutputGrads[0].Span;
            if (MergeMode is null)
            {
                df[0] = args.OutputGrads[0];
                db[0] = args.OutputGrads[1];
            }
            else
            {
                df[0] = Rent(fo[0].Shape);
                db[0] = Rent(bo[0].Shape);
                var f = df[0].Data.AsSpan();
                var b = db[0].Data.AsSpan();
                switch (MergeMode)
                {
                    case "concat":
                        int u = fl.Units;
                        for (int r = 0; r < f.Length / u; r++)
                        {
                            dy.Slice(2 * r * u, u).CopyTo(f.Slice(r * u, u));
                            dy.Slice((2 * r + 1) * u, u).CopyTo(b.Slice(r * u, u));
                        }
                        break;
                    case "sum":
                        dy.CopyTo(f);
                        dy.CopyTo(b);
                        break;
                    case "mul":
                        TensorPrimitives.Multiply(dy, bo[0].Span, f);
                        TensorPrimitives.Multiply(dy, fo[0].Span, b);
                        break;
                    default:
                        TensorPrimitives.Multiply(dy, 0.5f, f);
                        TensorPrimitives.Multiply(dy, 0.5f, b);
                        break;
                }
            }
            if (ReturnSequences)
            {
                if (MergeMode is null)
                {
                    db[0] = Rent(bo[0].Shape);
                    args.OutputGrads[1].Span.CopyTo(db[0].Data);
                }
                ReverseSteps(db[0].Data, x.Shape[0]!.Value, x.Shape[1]!.Value, bl.Units);
            }
            int k = MergeMode is null ? 2 : 1;
            for (int i = 1; i < nf; i++) df[i] = args.OutputGrads[k++];
            for (int i = 1; i < nb; i++) db[i] = args.OutputGrads[k++];
            int wf = ForwardWeightCount;
            fl.Backward(context, new BackwardArgs
            {
                Inputs = args.Inputs, Outputs = fo, Saved = fs, OutputGrads = df, InputGrads = args.InputGrads,
                InputGradsUnset = args.InputGradsUnset, ParamGrads = [.. args.ParamGrads.Take(wf)],
            });
            bl.Backward(context, new BackwardArgs
            {
                Inputs = args.Inputs, Outputs = bo, Saved = bs, OutputGrads = db, InputGrads = args.InputGrads,
                ParamGrads = [.. args.ParamGrads.Skip(wf)],
            });
        }
        finally
        {
            foreach (var t in rented) context.Pool.Return(t.Data);
        }
    }

    /// <inheritdoc/>
    public override bool WritesInputGradients => true;

    // ---- config codec ------------------------------------------------------------------------

    private static readonly LayerKind[] Wrappable = [SimpleRNN.Kind, LSTM.Kind, GRU.Kind];

    private static RecurrentLayer ReadInner(LayerConfig c, string key)
    {
        var inner = c.Child(key);
        string className = inner.String("class_name");
        var kind = Wrappable.FirstOrDefault(k => k.ClassName == className)
            ?? throw inner.Error("class_name", "SimpleRNN, LSTM or GRU (the recurrent layers Bidirectional wraps here)");
        var config = inner.Child("config");
        return (RecurrentLayer)kind.ReadLayer(config, new LayerId(0), config.OptionalString("name", Names.SnakeCase(className))!);
    }

    private static JsonObject WriteInner(RecurrentLayer layer) => new()
    {
        ["class_name"] = layer.ClassName,
        ["config"] = Wrappable.First(k => k.Describes(layer)).WriteConfig(layer),
    };

    /// <summary>Keras's <c>Bidirectional</c> config: <c>merge_mode</c> (absent: concat; null: None), <c>layer</c> (a SimpleRNN, LSTM or GRU config) and, when given, <c>backward_layer</c>.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Bidirectional>("Bidirectional",
        (c, id, name) => new Bidirectional(ReadInner(c, "layer"), c.Object.ContainsKey("merge_mode") ? c.OptionalString("merge_mode") : "concat",
            c.Has("backward_layer") ? ReadInner(c, "backward_layer") : null) { Id = id, Name = name },
        b =>
        {
            var config = new JsonObject { ["merge_mode"] = b.MergeMode, ["layer"] = WriteInner(b.Layer) };
            if (b.BackwardLayer is { } backward) config["backward_layer"] = WriteInner(backward);
            return config;
        });
}
