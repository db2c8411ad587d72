using System.Globalization;
using DeepGraph.Core;

namespace DeepGraph.Keras;

public partial class Model
{
    private TrainingSetup? training;

    /// <summary>What <c>Compile</c> set: the Core configuration, the names the logs use, and the optimizer's state.</summary>
    private sealed class TrainingSetup(TrainingConfig config, IReadOnlyList<string> outputNames)
    {
        public TrainingConfig Config { get; } = config;
        public IReadOnlyList<string> OutputNames { get; } = outputNames;
        public OptimizerState State { get; set; } = OptimizerState.Initial;
        public int Seed { get; set; }
        public long Steps { get; set; }
    }

    /// <summary>Keras's <c>compile</c> with an optimizer by name (<c>"sgd"</c>, <c>"adam"</c>, <c>"rmsprop"</c>, <c>"adagrad"</c>, Keras's defaults).</summary>
    /// <inheritdoc cref="Compile(Core.Optimizer, LossSpec, MetricSpec?, IReadOnlyList{double}?)"/>
    public void Compile(string optimizer, LossSpec loss, MetricSpec? metrics = null, IReadOnlyList<double>? lossWeights = null) =>
        Compile(Core.Optimizer.Get(optimizer), loss, metrics, lossWeights);

    /// <summary>
    /// Keras's <c>compile</c>: configures the model for training with <paramref name="optimizer"/>
    /// (from <see cref="Optimizers"/>), one loss per output (<paramref name="loss"/>: one for all,
    /// a list, or keyed by output-layer name), metrics (<c>accuracy</c> — binary, categorical or
    /// sparse as Keras chooses — <c>mae</c>, <c>mse</c>; for every output, per output as a list of
    /// lists, or keyed by output-layer name) and each output loss's weight in the total. Compiling again resets the optimizer's state.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown optimizer, loss or metric; a loss list or weight list of the wrong length; a key that names no output.</exception>
    public void Compile(Core.Optimizer optimizer, LossSpec loss, MetricSpec? metrics = null, IReadOnlyList<double>? lossWeights = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        var core = CoreModel;
        var outputs = Trainer.OutputNames(core);
        var losses = loss.Resolve(outputs, Name);
        if (lossWeights is not null && lossWeights.Count != outputs.Count)
            throw new ArgumentException($"Model \"{Name}\" has {outputs.Count} output(s) but {lossWeights.Count} loss weights were given.", nameof(lossWeights));
        var shapes = core.OutputShapesOfModel;
        var names = metrics?.Resolve(outputs, Name) ?? [.. outputs.Select(_ => (IReadOnlyList<string>)[])];
        var perOutput = outputs.Select((_, o) => EquatableArray.Of(names[o].Select(m => Metric.Get(m, shapes[o], losses[o])))).ToArray();
        var config = new TrainingConfig(optimizer, EquatableArray.Of(losses), EquatableArray.Of(lossWeights ?? outputs.Select(_ => 1.0)), EquatableArray.Of(perOutput));
        training = new TrainingSetup(config, outputs) { Seed = Backend.Current.DrawSeed() };
    }

    /// <summary>The optimizer <c>Compile</c> set, or null before it.</summary>
    public Core.Optimizer? Optimizer => training?.Config.Optimizer;

    private TrainingSetup Setup => training ?? throw new InvalidOperationException(
        $"You must call `Compile()` before using model \"{Name}\" for training or evaluation.");

    /// <summary>Keras's <c>fit</c> for a model with one input and one output.</summary>
    /// <inheritdoc cref="Fit(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, int, int, int, IReadOnlyList{Callback}?, double, ValueTuple{IReadOnlyList{Tensor}, IReadOnlyList{Tensor}}?, bool, int, TextWriter?, CancellationToken)"/>
    public History Fit(Tensor x, Tensor y, int batchSize = 32, int epochs = 1, int verbose = 1, IReadOnlyList<Callback>? callbacks = null,
        double validationSplit = 0, (Tensor X, Tensor Y)? validationData = null, bool shuffle = true, int initialEpoch = 0,
        TextWriter? output = null, CancellationToken cancellationToken = default) =>
        Fit([x], [y], batchSize, epochs, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], [v.Y]) : null, shuffle, initialEpoch, output, cancellationToken);

    /// <summary>
    /// Keras's <c>fit</c>: trains for <paramref name="epochs"/> passes over (<paramref name="x"/>,
    /// <paramref name="y"/>) — one tensor per input and per output, samples along the first axis —
    /// in batches of <paramref name="batchSize"/>, shuffled each epoch from the session's seed. Prints
    /// Keras's progress bar (verbose 1; one line per epoch when output is redirected; verbose 2: a line per
    /// epoch; 0: silent). <paramref name="validationSplit"/> holds out the last fraction of the samples
    /// (before shuffling, as Keras); <paramref name="validationData"/> gives them instead. The trained
    /// weights go to the layers after every epoch, so models sharing these layers see them.
    /// </summary>
    /// <returns>The <see cref="History"/>: per-epoch <c>loss</c>, <c>NAME_loss</c> per output when there are several, metrics and their <c>val_</c> versions.</returns>
    /// <exception cref="InvalidOperationException">Not compiled; the loss became NaN or infinite (the weights stay those of the last finite step; add <see cref="TerminateOnNaN"/> to stop quietly instead).</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    /// <exception cref="ArgumentException">Invalid targets (labels out of range), arguments out of range.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the weights of the finished batches are kept.</exception>
    public History Fit(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, int batchSize = 32, int epochs = 1, int verbose = 1, IReadOnlyList<Callback>? callbacks = null,
        double validationSplit = 0, (IReadOnlyList<Tensor> X, IReadOnlyList<Tensor> Y)? validationData = null, bool shuffle = true, int initialEpoch = 0,
        TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        var setup = Setup;
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        if (verbose is < 0 or > 2) throw new ArgumentOutOfRangeException(nameof(verbose), verbose, "verbose must be 0, 1 or 2.");
        if (validationSplit is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit, "validation_split must be in [0, 1).");
        var core = CoreModel;
        CheckWeightsAreFinite(core);
        Trainer.CheckTargets(core, x, y, setup.Config);
        output ??= Console.Out;

        int total = x[0].Shape[0]!.Value;
        int trainCount = total;
        (IReadOnlyList<Tensor> X, IReadOnlyList<Tensor> Y)? validation = validationData;
        if (validationData is { } vd) Trainer.CheckTargets(core, vd.X, vd.Y, setup.Config);
        else if (validationSplit > 0)
        {
            trainCount = (int)(total * (1 - validationSplit));
            if (trainCount == 0 || trainCount == total)
                throw new ArgumentException($"validation_split={validationSplit.ToString(CultureInfo.InvariantCulture)} leaves {trainCount} of {total} samples for training; there must be samples on both sides.", nameof(validationSplit));
            var held = Enumerable.Range(trainCount, total - trainCount).ToArray();
            validation = ([.. x.Select(t => Trainer.Gather(t, held, pool))], [.. y.Select(t => Trainer.Gather(t, held, pool))]);
        }

        var history = new History();
        List<Callback> all = [history, .. callbacks ?? []];
        foreach (var c in all) c.Model = this;
        StopTraining = false;
        var empty = new Dictionary<string, double>();
        foreach (var c in all) c.OnTrainBegin(empty);

        int steps = (trainCount + batchSize - 1) / batchSize;
        var work = Trainer.CopyWeights(core);
        var context = new ForwardContext(Backend.Blas, pool, Training: true);
        var order = Enumerable.Range(0, trainCount).ToArray();
        var epochLogs = new Dictionary<string, double>();
        try
        {
            for (int epoch = initialEpoch; epoch < epochs && !StopTraining; epoch++)
            {
                foreach (var c in all) c.OnEpochBegin(epoch, empty);
                if (shuffle) new Random(Seeds.Derive(setup.Seed, (int)setup.Steps)).Shuffle(order);
                ProgressBar.WriteEpochHeader(output, verbose, epoch, epochs);
                var bar = verbose > 0 ? new ProgressBar(steps, output, verbose, ProgressBar.IsInteractive(output)) : null;
                var running = new Running(setup);
                for (int step = 0; step < steps && !StopTraining; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var c in all) c.OnTrainBatchBegin(step, empty);
                    var rows = order.AsSpan(step * batchSize, Math.Min(batchSize, trainCount - step * batchSize));
                    var logs = TrainBatch(ref work, x, y, rows, context);
                    running.Add(logs);
                    var batchLogs = running.Logs();
                    if (!logs.Updated)
                    {
                        batchLogs["loss"] = double.NaN;
                        foreach (var c in all) c.OnTrainBatchEnd(step, batchLogs);
                        if (!all.OfType<TerminateOnNaN>().Any())
                            throw new InvalidOperationException($"Epoch {epoch + 1}, batch {step + 1}: the loss is {logs.Loss.ToString(CultureInfo.InvariantCulture)} (or a gradient is not finite); training stopped and the weights are those of the last finite step. Lower the learning rate, check the inputs for NaN, or add a TerminateOnNaN callback to stop without an exception.");
                        StopTraining = true;
                        break;
                    }
                    foreach (var c in all) c.OnTrainBatchEnd(step, batchLogs);
                    bar?.Update(step + 1, Display(batchLogs));
                }
                Publish(work);
                epochLogs = running.Logs();
                if (validation is { } val)
                    foreach (var (k, v) in Evaluate(val.X, val.Y, batchSize)) epochLogs["val_" + k] = v;
                bar?.Update(steps, Display(epochLogs), finalize: true);
                foreach (var c in all) c.OnEpochEnd(epoch, epochLogs);
            }
        }
        catch
        {
            Publish(work);
            throw;
        }
        finally
        {
            if (validationData is null && validation is { } owned)
                foreach (var t in owned.X.Concat(owned.Y)) t.Dispose();
        }
        foreach (var c in all) c.OnTrainEnd(epochLogs);
        return history;
    }

    private StepLogs TrainBatch(ref Core.Model work, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, ReadOnlySpan<int> rows, ForwardContext context)
    {
        var setup = Setup;
        Tensor[] xb = new Tensor[x.Count], yb = new Tensor[y.Count];
        for (int i = 0; i < xb.Length; i++) xb[i] = Trainer.Gather(x[i], rows, pool);
        for (int i = 0; i < yb.Length; i++) yb[i] = Trainer.Gather(y[i], rows, pool);
        try
        {
            var (next, state, logs) = Trainer.Step(work, setup.State, xb, yb, setup.Config,
                context with { Seed = Seeds.Derive(setup.Seed, (int)setup.Steps) }, donate: true);
            (work, setup.State) = (next, state);
            setup.Steps++;
            return logs;
        }
        finally
        {
            foreach (var t in xb.Concat(yb)) t.Dispose();
        }
    }

    private static List<(string Name, double Value)> Display(Dictionary<string, double> logs) => [.. logs.Select(p => (p.Key, p.Value))];

    /// <summary>Running means over an epoch's batches, weighted by batch size (Keras's stateful metrics), named as Keras names them.</summary>
    private sealed class Running(TrainingSetup setup)
    {
        private double loss;
        private long samples;
        private readonly double[] outputLosses = new double[setup.OutputNames.Count];
        private readonly (double Sum, long Count)[][] metrics = [.. setup.Config.Metrics.Select(m => new (double, long)[m.Count])];

        public void Add(StepLogs logs)
        {
            loss += logs.Loss * logs.BatchSize;
            samples += logs.BatchSize;
            for (int o = 0; o < outputLosses.Length; o++)
            {
                outputLosses[o] += logs.OutputLosses[o] * logs.BatchSize;
                for (int m = 0; m < metrics[o].Length; m++)
                    metrics[o][m] = (metrics[o][m].Sum + logs.Metrics[o][m].Sum, metrics[o][m].Count + logs.Metrics[o][m].Count);
            }
        }

        public Dictionary<string, double> Logs()
        {
            var logs = new Dictionary<string, double> { ["loss"] = loss / samples };
            bool several = outputLosses.Length > 1;
            for (int o = 0; o < outputLosses.Length; o++)
                if (several) logs[$"{setup.OutputNames[o]}_loss"] = outputLosses[o] / samples;
            for (int o = 0; o < outputLosses.Length; o++)
                for (int m = 0; m < metrics[o].Length; m++)
                {
                    string name = setup.Config.Metrics[o][m].Name;
                    logs[several ? $"{setup.OutputNames[o]}_{name}" : name] = metrics[o][m].Sum / Math.Max(1, metrics[o][m].Count);
                }
            return logs;
        }
    }

    /// <summary>Gives the trained records (copies of their weights) to the layer handles.</summary>
    private void Publish(Core.Model trained)
    {
        var handles = new Dictionary<LayerId, Layer>();
        void Walk(Model m)
        {
            foreach (var layer in m.Layers)
            {
                if (layer is Model inner) Walk(inner);
                else handles.TryAdd(layer.Record.Id, layer);
            }
        }
        Walk(this);
        foreach (var record in Trainer.AllLayers(trained).Values)
        {
            if (record is not WeightedLayer weighted || !handles.TryGetValue(record.Id, out var handle)) continue;
            handle.Adopt(weighted with { Params = EquatableArray.Of(weighted.Params.Select(p => Tensor.FromArray(p.ToArray(), p.Shape.ToArray()))) });
        }
    }

    /// <summary>Keras's <c>evaluate</c> for a model with one input and one output.</summary>
    /// <inheritdoc cref="Evaluate(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, int)"/>
    public IReadOnlyDictionary<string, double> Evaluate(Tensor x, Tensor y, int batchSize = 32) => Evaluate([x], [y], batchSize);

    /// <summary>
    /// Keras's <c>evaluate</c> (as with <c>return_dict=True</c>): the loss and metrics over all
    /// samples at inference (Dropout off, moving statistics), in batches of <paramref name="batchSize"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, int batchSize = 32)
    {
        var setup = Setup;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var core = CoreModel;
        CheckWeightsAreFinite(core);
        Trainer.CheckTargets(core, x, y, setup.Config);
        var context = new ForwardContext(Backend.Blas, pool);
        int total = x[0].Shape[0]!.Value;
        var running = new Running(setup);
        var indices = Enumerable.Range(0, total).ToArray();
        for (int start = 0; start < total; start += batchSize)
        {
            var rows = indices[start..Math.Min(total, start + batchSize)];
            Tensor[] xb = [.. x.Select(t => Trainer.Gather(t, rows, pool))], yb = [.. y.Select(t => Trainer.Gather(t, rows, pool))];
            try
            {
                running.Add(Trainer.Evaluate(core, xb, yb, setup.Config, context));
            }
            finally
            {
                foreach (var t in xb.Concat(yb)) t.Dispose();
            }
        }
        return running.Logs();
    }

    /// <summary>Keras's <c>train_on_batch</c> for one input and one output: one step on this batch; returns the loss before the update.</summary>
    /// <inheritdoc cref="TrainOnBatch(IReadOnlyList{Tensor}, IReadOnlyList{Tensor})"/>
    public double TrainOnBatch(Tensor x, Tensor y) => TrainOnBatch([x], [y]);

    /// <summary>
    /// Keras's <c>train_on_batch</c>: one optimizer step on this batch (the whole batch, no
    /// shuffling), for custom training loops. Returns the total loss computed before the update.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not compiled, or the loss is not finite (the weights are left unchanged).</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    public double TrainOnBatch(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y)
    {
        var setup = Setup;
        var core = CoreModel;
        var context = new ForwardContext(Backend.Blas, pool, Training: true, Seed: Seeds.Derive(setup.Seed, (int)setup.Steps));
        var (next, state, logs) = Trainer.Step(core, setup.State, x, y, setup.Config, context);
        if (!logs.Updated)
            throw new InvalidOperationException($"Model \"{Name}\": the loss is {logs.Loss.ToString(CultureInfo.InvariantCulture)} (or a gradient is not finite) on this batch; the weights were left unchanged.");
        setup.State = state;
        setup.Steps++;
        Publish(next);
        return logs.Loss;
    }

    /// <summary>Keras's <c>test_on_batch</c>: the loss and metrics on one batch at inference.</summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    public IReadOnlyDictionary<string, double> TestOnBatch(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y)
    {
        var setup = Setup;
        var running = new Running(setup);
        running.Add(Trainer.Evaluate(CoreModel, x, y, setup.Config, new ForwardContext(Backend.Blas, pool)));
        return running.Logs();
    }
}
