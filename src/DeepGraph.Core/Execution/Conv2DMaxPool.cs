using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// A <see cref="Conv2D"/> and the <see cref="MaxPooling2D"/> that alone reads it, run as one call
/// (made by <see cref="Conv2DMaxPoolRule"/>; it lives only in an <see cref="ExecutionPlan"/>).
/// Where <see cref="Conv2D.FusesWith"/> allows it for the batch at hand, each thread convolves a few
/// images into a tile that stays in cache and pools the tile (keeping each window's argmax in
/// training), so the convolution's output — the step's largest tensor — is never written; otherwise
/// the two run apart into a pooled buffer. Backward, the pooling applies the convolution's activation
/// derivative at each window's maximum (where the output equals the pooled value), and for a first
/// layer with a small patch the weight gradients come straight from the pooling's gradient; otherwise
/// the convolution's output gradient is written with the activation already applied.
/// Its weights and weight gradients are the convolution's.
/// </summary>
public sealed record Conv2DMaxPool : FusedLayer
{
    /// <summary>The convolution followed by the pooling; the record takes the convolution's id and both names.</summary>
    [System.Diagnostics.CodeAnalysis.SetsRequiredMembers]
    public Conv2DMaxPool(Conv2D conv, MaxPooling2D pool)
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentNullException.ThrowIfNull(pool);
        Conv = conv;
        Pool = pool;
        Id = conv.Id;
        Name = $"{conv.Name}+{pool.Name}";
        Trainable = conv.Trainable;
    }

    /// <summary>The convolution.</summary>
    public Conv2D Conv { get; }

    /// <summary>The max pooling that alone reads the convolution's output.</summary>
    public MaxPooling2D Pool { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Layer> Parts => [Conv, Pool];

    /// <inheritdoc/>
    public override string ClassName => "Conv2D+MaxPooling2D";

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs) => Pool.OutputShapes(Conv.OutputShapes(inputs));

    /// <inheritdoc/>
    public override bool WritesInputGradients => Conv.WritesInputGradients;

    /// <summary>The two layers' inference passes, in one where the convolution fuses for this batch.</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0];
        if (Conv.FusesWith(x.Shape, context))
        {
            Conv.ForwardThroughMaxPool(context, x, Pool, outputs[0], null);
            return;
        }
        var z = RentConvOutput(context, x);
        try
        {
            Conv.Forward(context, [x], [z]);
            Pool.Forward(context, [z], outputs);
        }
        finally
        {
            context.Pool.Return(z.Data);
        }
    }

    /// <summary>
    /// The training forward pass: fused where <see cref="Conv2D.FusesWith"/> allows it (saving each
    /// window's argmax), else the two layers' own <see cref="Layer.ForwardTrain"/> apart (saving the
    /// convolution's output and what each saved).
    /// </summary>
    public override IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var x = inputs[0];
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (Conv.FusesWith(x.Shape, context))
        {
            var argmax = context.Pool.RentTensor(outputs[0].Shape);
            Conv.ForwardThroughMaxPool(context, x, Pool, outputs[0], argmax);
            context.Profiler?.Record(Conv, "forward", Elapsed(started));
            return new Saved(null, [], [argmax]);
        }
        var z = RentConvOutput(context, x);
        IReadOnlyList<Tensor> convSaved;
        try
        {
            convSaved = Conv.ForwardTrain(context, [x], [z]);
        }
        catch
        {
            context.Pool.Return(z.Data);
            throw;
        }
        context.Profiler?.Record(Conv, "forward", Elapsed(started));
        started = System.Diagnostics.Stopwatch.GetTimestamp();
        var poolSaved = Pool.ForwardTrain(context, [z], outputs);
        context.Profiler?.Record(Pool, "forward", Elapsed(started));
        return new Saved(z, convSaved, poolSaved);
    }

    /// <summary>
    /// The pooling's and the convolution's backward passes. With the pooling's argmax saved and an
    /// activation whose derivative is written in its output, the activation's derivative is applied to
    /// the pooled gradient (at each window's maximum the output is the pooled value); a first layer with
    /// a small patch then sums its weight gradients straight from it, and any other call scatters it to
    /// the convolution's output gradient, which the convolution's backward pass takes as the
    /// pre-activation's. Otherwise the two backward passes run as they would apart.
    /// </summary>
    /// <exception cref="ArgumentException"><see cref="BackwardArgs.Saved"/> is not what <see cref="ForwardTrain"/> saved.</exception>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.Saved is not Saved saved)
            throw new ArgumentException($"Layer \"{Name}\": Backward expects what its ForwardTrain saved.", nameof(args));
        var x = args.Inputs[0];
        var convShape = Conv.OutputShapes([x.Shape])[0];
        var convOutput = saved.Z ?? Tensor.Unwritten(convShape);
        var pooledGrad = args.OutputGrads[0];
        var paramGrads = args.ParamGrads;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (saved.PoolSaved.Count == 1 && Conv.Activation != ActivationFunction.Softmax && !ActivationGrad.NeedsInput(Conv.Activation))
        {
            var argmax = saved.PoolSaved[0];
            var window = Pool.WindowOf(convShape);
            if (Conv.Activation != ActivationFunction.Linear)
                ActivationGrad.Backward(Conv.Activation, default, args.Outputs[0].Span, pooledGrad.Span, pooledGrad.Data, Conv.Filters);
            if (args.InputGrads[0] is null && paramGrads.Count > 0 && Conv.WeightGradientsThroughMaxPool(context, x, window, pooledGrad, argmax, paramGrads))
            {
                // The convolution's output gradient is never written.
                context.Profiler?.Record(Conv, "backward", Elapsed(started));
                return;
            }
            var dz = context.Pool.RentTensor(convShape);
            try
            {
                MaxPoolArgmax.Backward(pooledGrad.Data, argmax.Data, window, dz.Data, context.Threads, overwrite: true);
                context.Profiler?.Record(Pool, "backward", Elapsed(started));
                started = System.Diagnostics.Stopwatch.GetTimestamp();
                Conv.Backward(context, ConvArgs(args, convOutput, saved, dz), activationApplied: true);
                context.Profiler?.Record(Conv, "backward", Elapsed(started));
            }
            finally
            {
                context.Pool.Return(dz.Data);
            }
            return;
        }
        if (saved.Z is null)
            throw new ArgumentException($"Layer \"{Name}\": the fused forward pass saved no argmax for the backward pass.", nameof(args));
        var dzApart = context.Pool.RentTensor(convShape);
        try
        {
            if (!Pool.WritesInputGradients) dzApart.Data.AsSpan(0, dzApart.Length).Clear();
            Pool.Backward(context, new BackwardArgs
            {
                Inputs = [saved.Z],
                Outputs = args.Outputs,
                Saved = saved.PoolSaved,
                OutputGrads = args.OutputGrads,
                InputGrads = [dzApart],
                InputGradsUnset = [Pool.WritesInputGradients],
                ParamGrads = [],
            });
            context.Profiler?.Record(Pool, "backward", Elapsed(started));
            started = System.Diagnostics.Stopwatch.GetTimestamp();
            Conv.Backward(context, ConvArgs(args, saved.Z, saved, dzApart), activationApplied: false);
            context.Profiler?.Record(Conv, "backward", Elapsed(started));
        }
        finally
        {
            context.Pool.Return(dzApart.Data);
        }
    }

    private static BackwardArgs ConvArgs(BackwardArgs args, Tensor convOutput, Saved saved, Tensor dz) => new()
    {
        Inputs = args.Inputs,
        Outputs = [convOutput],
        Saved = saved.ConvSaved,
        OutputGrads = [dz],
        InputGrads = args.InputGrads,
        InputGradsUnset = args.InputGradsUnset,
        ParamGrads = args.ParamGrads,
    };

    /// <summary>A buffer for the convolution's output when the two run apart, refused first if it cannot be held.</summary>
    private Tensor RentConvOutput(ForwardContext context, Tensor x)
    {
        var shapes = Conv.OutputShapes([x.Shape]);
        context.CheckOutputs(Conv, shapes);
        return context.Pool.RentTensor(shapes[0]);
    }

    private static double Elapsed(long started) => System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;

    /// <summary>
    /// What the training pass saved: the convolution's output when the two ran apart (null when fused),
    /// and what each layer saved (fused: the pooling's argmax alone). Enumerates every tensor, so the
    /// trainer gives them all back to the pool.
    /// </summary>
    private sealed class Saved(Tensor? z, IReadOnlyList<Tensor> convSaved, IReadOnlyList<Tensor> poolSaved) : IReadOnlyList<Tensor>
    {
        public Tensor? Z { get; } = z;

        public IReadOnlyList<Tensor> ConvSaved { get; } = convSaved;

        public IReadOnlyList<Tensor> PoolSaved { get; } = poolSaved;

        private IEnumerable<Tensor> All => (Z is null ? [] : new[] { Z }).Concat(ConvSaved).Concat(PoolSaved);

        public int Count => All.Count();

        public Tensor this[int index] => All.ElementAt(index);

        public IEnumerator<Tensor> GetEnumerator() => All.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
