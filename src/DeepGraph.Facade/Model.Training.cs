using System.Globalization;
using DeepGraph.Core;

namespace DeepGraph.Keras;

public partial class Model
{
    private TrainingSetup? training;

    /// <summary>What <c>Compile</c> set: the Core configuration, the names the logs use, and the optimizer's state.</summary>
    private sealed class TrainingSetup(TrainingConfig config, IReadOnlyList<string> outputNames)
    {
        /// <summary>The configuration; callbacks change its optimizer (a new learning rate) between batches.</summary>
        public TrainingConfig Config { get; set; } = config;
        public IReadOnlyList<string> OutputNames { get; } = outputNames;
        public OptimizerState State { get; set; } = OptimizerState.Initial;
        public int Seed { get; set; }
        public long Steps { get; set; }
    }

    /// <summary>
    /// Held by every call that changes the training state (<c>Compile</c>, <c>Fit</c>,
    /// <c>TrainOnBatch</c>): concurrent calls on one model run one after the other.
    /// </summary>
    private readonly object trainingGate = new();

    /// <summary>True while a Fit or TrainOnBatch of this model runs (read under <see cref="trainingGate"/>, so only the thread running it can see true).</summary>
    private bool trainingRuns;

    /// <summary>A <c>Compile</c> of a Sequential model that is not built yet, resolved when data builds the model (Keras resolves losses and metrics at the first batch too).</summary>
    private (Core.Optimizer Optimizer, LossSpec Loss, MetricSpec? Metrics, LossWeights? LossWeights, int Seed)? pendingCompile;

    /// <summary>The arguments of the last <c>Compile</c>, so that a model whose layers change (<see cref="Sequential.Pop"/>) is configured again for its new output.</summary>
    private (LossSpec Loss, MetricSpec? Metrics, LossWeights? LossWeights)? compileArguments;

    /// <summary>Keras's <c>compile</c> with an optimizer by name (<c>"sgd"</c>, <c>"adam"</c>, <c>"rmsprop"</c>, <c>"adagrad"</c>, Keras's defaults).</summary>
    /// <inheritdoc cref="Compile(Core.Optimizer, LossSpec, MetricSpec?, LossWeights?)"/>
    public void Compile(string optimizer, LossSpec loss, MetricSpec? metrics = null, LossWeights? lossWeights = null) =>
        Compile(Core.Optimizer.Get(optimizer), loss, metrics, lossWeights);

    /// <summary>
    /// Keras's <c>compile</c>: configures the model for training with <paramref name="optimizer"/>
    /// (from <see cref="Optimizers"/>), one loss per output (<paramref name="loss"/>: one for all,
    /// a list, or keyed by output name) and metrics (<c>accuracy</c> — binary, categorical or
    /// sparse as Keras chooses — <c>mae</c>, <c>mse</c>; for every output, per output as a list of
    /// lists, or keyed by output name) and each output loss's weight in the total (a list, or keyed by
    /// output name with 1 for outputs without a key). Output names are
    /// Keras's <c>output_names</c>: the output layer's name, and for a second, third … output of the
    /// same layer that name with <c>_1</c>, <c>_2</c> … appended. Compiling again resets the optimizer's
    /// state. A Sequential model that is not built yet (layers added without an input shape) is
    /// compiled when the first data builds it, so errors about metrics and keys come then.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown optimizer, loss or metric; a loss list or weight list of the wrong length; a key that names no output.</exception>
    /// <exception cref="InvalidOperationException">Called from a callback of this model's running <c>Fit</c>.</exception>
    public void Compile(Core.Optimizer optimizer, LossSpec loss, MetricSpec? metrics = null, LossWeights? lossWeights = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        lock (trainingGate)
        {
            ThrowIfTrainingRuns("Compile");
            compileArguments = (loss, metrics, lossWeights);
            if (Snapshot is null && this is Sequential)
            {
                (training, pendingCompile) = (null, (optimizer, loss, metrics, lossWeights, Backend.Current.DrawSeed()));
                return;
            }
            var setup = Configure(optimizer, loss, metrics, lossWeights);
            setup.Seed = Backend.Current.DrawSeed();
            (training, pendingCompile) = (setup, null);
        }
    }

    private TrainingSetup Configure(Core.Optimizer optimizer, LossSpec loss, MetricSpec? metrics, LossWeights? lossWeights)
    {
        var core = CoreModel;
        var outputs = Trainer.OutputNames(core);
        var losses = loss.Resolve(outputs, Name);
        var weights = lossWeights?.Resolve(outputs, Name) ?? [.. outputs.Select(_ => 1.0)];
        var shapes = core.OutputShapesOfModel;
        var names = metrics?.Resolve(outputs, Name) ?? [.. outputs.Select(_ => (IReadOnlyList<MetricItem>)[])];
        var perOutput = outputs.Select((_, o) => EquatableArray.Of(names[o].Select(m => m.Resolve(shapes[o], losses[o])))).ToArray();
        var config = new TrainingConfig(optimizer, EquatableArray.Of(losses), EquatableArray.Of(weights), EquatableArray.Of(perOutput));
        return new TrainingSetup(config, outputs);
    }

    /// <summary>
    /// Configures the model again for its current outputs with the last <c>Compile</c>'s arguments,
    /// keeping the optimizer, its state and the seed (after <see cref="Sequential.Pop"/> changed the output).
    /// </summary>
    private protected void Reconfigure()
    {
        lock (trainingGate)
        {
            if (training is not { } old || compileArguments is not { } args) return;
            if (Snapshot is null)
            {
                (training, pendingCompile) = (null, (old.Config.Optimizer, args.Loss, args.Metrics, args.LossWeights, old.Seed));
                return;
            }
            var setup = Configure(old.Config.Optimizer, args.Loss, args.Metrics, args.LossWeights);
            (setup.Seed, setup.State, setup.Steps) = (old.Seed, old.State, old.Steps);
            training = setup;
        }
    }

    /// <summary>
    /// The optimizer <c>Compile</c> set, or null before it (Keras's <c>model.optimizer</c>). Setting it
    /// replaces the update rule and keeps the optimizer's state (its iterations and slots; a rule of
    /// another kind, or with other slots — momentum turned on — starts from a fresh state), as
    /// Keras's <c>model.optimizer.learning_rate = …</c> does for the rate:
    /// <c>model.Optimizer = model.Optimizer with { LearningRate = 0.01f }</c>. A callback may set it
    /// during <c>Fit</c>; the next batch uses it.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set before <c>Compile</c>.</exception>
    public Core.Optimizer? Optimizer
    {
        get => training?.Config.Optimizer ?? pendingCompile?.Optimizer;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (trainingGate)
            {
                if (training is { } setup)
                {
                    // Another rule's slots mean something else: a different optimizer starts from a fresh state.
                    var old = setup.Config.Optimizer;
                    if (old.GetType() != value.GetType() || old.SlotCount != value.SlotCount) setup.State = OptimizerState.Initial;
                    setup.Config = setup.Config with { Optimizer = value };
                }
                else if (pendingCompile is { } p) pendingCompile = p with { Optimizer = value };
                else throw new InvalidOperationException($"Model \"{Name}\" has no optimizer to replace: call `Compile()` first.");
            }
        }
    }

    /// <summary>
    /// The learning rate the next update uses (Keras's <c>model.optimizer.learning_rate</c>): the
    /// optimizer's rate, or its schedule's value at the optimizer's iterations so far.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    public double LearningRate
    {
        get
        {
            var optimizer = Optimizer ?? throw new InvalidOperationException($"Model \"{Name}\" has no optimizer: call `Compile()` first.");
            return optimizer.LearningRateAt(training?.State.Iterations ?? 0);
        }
    }

    /// <summary>The optimizer and its state when the model is compiled, else null.</summary>
    internal (Core.Optimizer Optimizer, OptimizerState State)? OptimizerAndState
    {
        get
        {
            lock (trainingGate) return training is { } t ? (t.Config.Optimizer, t.State) : null;
        }
    }

    /// <summary>The optimizer and its state when the model is compiled and has taken at least one step (what a save writes), else null.</summary>
    internal (Core.Optimizer Optimizer, OptimizerState State)? TrainedOptimizer =>
        OptimizerAndState is { State.Iterations: > 0 } trained ? trained : null;

    /// <summary>
    /// Restores the optimizer's state read from a file (Keras's <c>load_model</c> does): its slots and iterations, the learning
    /// rate it held (when the optimizer has no schedule), and the step count from which shuffling and dropout seeds follow,
    /// so training resumes where it stopped.
    /// </summary>
    internal void RestoreOptimizer(OptimizerState state, float learningRate)
    {
        lock (trainingGate)
        {
            var setup = Setup;
            if (setup.Config.Optimizer.Schedule is null && setup.Config.Optimizer.LearningRate != learningRate)
                setup.Config = setup.Config with { Optimizer = setup.Config.Optimizer with { LearningRate = learningRate } };
            (setup.State, setup.Steps) = (state, state.Iterations);
        }
    }

    private TrainingSetup Setup
    {
        get
        {
            if (training is { } ready) return ready;
            lock (trainingGate)
            {
                if (training is null && pendingCompile is { } p && Snapshot is not null)
                {
                    var setup = Configure(p.Optimizer, p.Loss, p.Metrics, p.LossWeights);
                    setup.Seed = p.Seed;
                    (training, pendingCompile) = (setup, null);
                }
                return training ?? throw new InvalidOperationException(
                    $"You must call `Compile()` before using model \"{Name}\" for training or evaluation.");
            }
        }
    }

    /// <summary>Refuses a training call made from inside this model's running Fit (a callback), which would change the state Fit is using.</summary>
    private void ThrowIfTrainingRuns(string what)
    {
        if (trainingRuns)
            throw new InvalidOperationException($"Model \"{Name}\": {what} was called while this model's Fit or TrainOnBatch runs on the same thread (from a callback); call it after Fit returns.");
    }

    /// <summary>
    /// Keras builds a Sequential model whose layers were added without an input shape from the
    /// first data it sees: this builds it for the shape of <paramref name="x"/>'s samples. A shape
    /// the layers cannot take is refused before anything changes.
    /// </summary>
    /// <exception cref="ShapeError">Not one input tensor, or a shape the layers cannot take.</exception>
    /// <exception cref="InvalidOperationException">The Sequential model has no layers.</exception>
    private void BuildFrom(IReadOnlyList<Tensor> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (Snapshot is not null || this is not Sequential sequential) return;
        lock (trainingGate)
        {
            if (Snapshot is not null) return;
            if (sequential.Layers.Count == 0)
                throw new InvalidOperationException($"Sequential model \"{Name}\" has no layers; Add layers before giving it data.");
            if (x.Count != 1)
                throw new ShapeError(Name, $"Sequential model \"{Name}\" takes one input tensor, but it received {x.Count}.");
            var sample = x[0] ?? throw new ArgumentNullException(nameof(x));
            int[] shape = [.. sample.Shape.WithoutBatch.Select(d => d!.Value)];
            if (shape.Length == 0 || shape.Any(d => d <= 0))
                throw new ShapeError(Name, $"Sequential model \"{Name}\" cannot be built for data of shape {sample.Shape}: a sample needs at least one dimension and no dimension of 0.");
            // A dry run on the records: data the layers cannot take is refused with the model as it was.
            var probe = new InputLayer(Shape.Of([null, .. shape.Select(d => (int?)d)])) { Id = NewId(), Name = Name + "_input" };
            Core.Model.Sequential(probe, sequential.Layers.Select(l => l.Record), Name, NewId(), seed: 0);
            sequential.Build(shape);
        }
    }

    /// <summary>Keras's <c>fit</c> for a model with one input and one output.</summary>
    /// <inheritdoc cref="Fit(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, int, int, int, IReadOnlyList{Callback}?, double, ValueTuple{IReadOnlyList{Tensor}, IReadOnlyList{Tensor}}?, bool, IReadOnlyDictionary{int, double}?, IReadOnlyList{Tensor}?, int, TextWriter?, CancellationToken)"/>
    public History Fit(Tensor x, Tensor y, int batchSize = 32, int epochs = 1, int verbose = 1, IReadOnlyList<Callback>? callbacks = null,
        double validationSplit = 0, (Tensor X, Tensor Y)? validationData = null, bool shuffle = true,
        IReadOnlyDictionary<int, double>? classWeight = null, Tensor? sampleWeight = null, int initialEpoch = 0,
        TextWriter? output = null, CancellationToken cancellationToken = default) =>
        Fit([x], [y], batchSize, epochs, verbose, callbacks, validationSplit,
            validationData is { } v ? ([v.X], [v.Y]) : null, shuffle, classWeight, sampleWeight is null ? null : [sampleWeight], initialEpoch, output, cancellationToken);

    /// <summary>
    /// Keras's <c>fit</c>: trains for <paramref name="epochs"/> passes over (<paramref name="x"/>,
    /// <paramref name="y"/>) — one tensor per input and per output, samples along the first axis —
    /// in batches of <paramref name="batchSize"/>, shuffled each epoch from the session's seed. Prints
    /// Keras's progress bar (verbose 1; one line per epoch when output is redirected; verbose 2: a line per
    /// epoch; 0: silent). <paramref name="validationSplit"/> holds out the last fraction of the samples
    /// (before shuffling, as Keras); <paramref name="validationData"/> gives them instead. The trained
    /// weights go to the layers after every epoch, so models sharing these layers see them.
    /// </summary>
    /// <para>
    /// <paramref name="sampleWeight"/> (one tensor per output, null for none) weighs each sample's loss
    /// — shape [samples], or one weight per position of the loss ([samples, steps] for an output
    /// [samples, steps, units]) — and <paramref name="classWeight"/> (single output only; not with
    /// sample weights) weighs each sample by its class (the integer label, or the one-hot target's
    /// argmax; classes without a key weigh 1). Keras's reduction: a batch's loss is Σ w·loss / (the
    /// batch's number of positions), metrics are weighted means Σ w·value / Σ w. With
    /// <paramref name="validationSplit"/>, the held-out samples keep their sample weights; class weights
    /// weigh training only.
    /// </para>
    /// <returns>The <see cref="History"/>: per-epoch <c>loss</c>, <c>NAME_loss</c> per output when there are several, metrics and their <c>val_</c> versions.</returns>
    /// <remarks>
    /// The weights are published after every epoch in one swap, so <c>Predict</c> on another thread
    /// sees one epoch's weights, never a mix. A second Fit (or TrainOnBatch, Compile) on this model
    /// from another thread waits for this one to finish. A <paramref name="batchSize"/> larger than
    /// the data is the whole data, as in Keras. A Sequential model not built yet is built for the
    /// shape of <paramref name="x"/>'s samples.
    /// </remarks>
    /// <exception cref="InvalidOperationException">Not compiled; the loss became NaN or infinite (the weights stay those of the last finite step; add <see cref="TerminateOnNaN"/> to stop quietly instead); called from a callback of this model's running Fit.</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    /// <exception cref="ArgumentException">Invalid targets (labels out of range); no samples; sample weights that do not fit the data, class weights with several outputs or with sample weights.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> ≤ 0, <paramref name="epochs"/> &lt; 0, <paramref name="initialEpoch"/> outside [0, epochs], <paramref name="verbose"/> not 0–2, <paramref name="validationSplit"/> outside [0, 1) or NaN.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the weights of the finished batches are kept.</exception>
    public History Fit(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, int batchSize = 32, int epochs = 1, int verbose = 1, IReadOnlyList<Callback>? callbacks = null,
        double validationSplit = 0, (IReadOnlyList<Tensor> X, IReadOnlyList<Tensor> Y)? validationData = null, bool shuffle = true,
        IReadOnlyDictionary<int, double>? classWeight = null, IReadOnlyList<Tensor?>? sampleWeight = null, int initialEpoch = 0,
        TextWriter? output = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (epochs < 0)
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"epochs must be 0 or more; received {epochs}.");
        if (initialEpoch < 0 || initialEpoch > epochs)
            throw new ArgumentOutOfRangeException(nameof(initialEpoch), initialEpoch,
                $"initialEpoch must be in [0, epochs] = [0, {epochs}]; received {initialEpoch}. As in Keras, training runs epochs initialEpoch … epochs − 1: epochs is where training stops, not a count of epochs after initialEpoch.");
        if (verbose is < 0 or > 2)
            throw new ArgumentOutOfRangeException(nameof(verbose), verbose, $"verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch); received {verbose}.");
        if (!(validationSplit >= 0 && validationSplit < 1))
            throw new ArgumentOutOfRangeException(nameof(validationSplit), validationSplit,
                $"validationSplit must be a number in [0, 1); received {validationSplit.ToString(CultureInfo.InvariantCulture)}.");
        BuildFrom(x);
        lock (trainingGate)
        {
            ThrowIfTrainingRuns("Fit");
            trainingRuns = true;
            try
            {
                return FitLocked(Setup, x, y, batchSize, epochs, verbose, callbacks, validationSplit, validationData, shuffle,
                    SampleWeights(CoreModel, x, y, classWeight, sampleWeight, "Fit"), initialEpoch, output, cancellationToken);
            }
            finally
            {
                trainingRuns = false;
            }
        }
    }

    private History FitLocked(TrainingSetup setup, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, int batchSize, int epochs, int verbose, IReadOnlyList<Callback>? callbacks,
        double validationSplit, (IReadOnlyList<Tensor> X, IReadOnlyList<Tensor> Y)? validationData, bool shuffle, (Tensor?[]? Weights, bool FromSamples) weighting, int initialEpoch,
        TextWriter? output, CancellationToken cancellationToken)
    {
        var core = CoreModel;
        CheckWeightsAreFinite(core);
        Trainer.CheckTargets(core, x, y, setup.Config);
        output ??= Console.Out;

        int total = x[0].Shape[0]!.Value;
        if (total == 0)
            throw new ArgumentException($"Model \"{Name}\": Fit received 0 samples; there is nothing to train on (Keras fails here with \"Unexpected result of train_function (Empty logs)\").", nameof(x));
        int trainCount = total;
        (IReadOnlyList<Tensor> X, IReadOnlyList<Tensor> Y)? validation = validationData;
        Tensor?[]? validationWeights = null, weights = weighting.Weights;
        if (validationData is { } vd)
        {
            ArgumentNullException.ThrowIfNull(vd.X, nameof(validationData));
            ArgumentNullException.ThrowIfNull(vd.Y, nameof(validationData));
            Trainer.CheckTargets(core, vd.X, vd.Y, setup.Config);
            if (vd.X[0].Shape[0] == 0)
                throw new ArgumentException($"Model \"{Name}\": validationData has 0 samples; give at least one, or no validation data.", nameof(validationData));
        }
        else if (validationSplit > 0)
        {
            trainCount = (int)(total * (1 - validationSplit));
            if (trainCount == 0 || trainCount == total)
                throw new ArgumentException($"validation_split={validationSplit.ToString(CultureInfo.InvariantCulture)} leaves {trainCount} of {total} samples for training; there must be samples on both sides.", nameof(validationSplit));
            var held = Enumerable.Range(trainCount, total - trainCount).ToArray();
            validation = ([.. x.Select(t => Trainer.Gather(t, held, pool))], [.. y.Select(t => Trainer.Gather(t, held, pool))]);
            // Keras splits the sample weights with the data; class weights weigh training only.
            if (weights is not null && weighting.FromSamples)
                validationWeights = [.. weights.Select(w => w is null ? null : Trainer.Gather(w, held, pool))];
        }

        // Keras clamps the batch to the data: a batch larger than the samples is all of them.
        int batch = Math.Min(batchSize, trainCount);
        int steps = trainCount / batch + (trainCount % batch == 0 ? 0 : 1);

        // History comes last, as Keras appends it: it records what the other callbacks added to the logs (learning_rate).
        var history = new History();
        List<Callback> all = [.. callbacks ?? [], history];
        var parameters = new Dictionary<string, int> { ["verbose"] = verbose, ["epochs"] = epochs, ["steps"] = steps };
        foreach (var c in all) (c.Model, c.Params) = (this, parameters);
        StopTraining = false;
        var empty = new Dictionary<string, double>();
        foreach (var c in all) c.OnTrainBegin(empty);
        var work = Trainer.CopyWeights(core);
        var context = new ForwardContext(Backend.Blas, pool, Training: true, MemoryBudget: Backend.MemoryBudget);
        var order = Enumerable.Range(0, trainCount).ToArray();
        var epochLogs = new Dictionary<string, double>();
        try
        {
            for (int epoch = initialEpoch; epoch < epochs && !StopTraining; epoch++)
            {
                foreach (var c in all) c.OnEpochBegin(epoch, empty);
                if (shuffle)
                {
                    // Each epoch's order is a function of the seed and the step count alone (the identity shuffled), so training
                    // resumed in another Fit — or from a saved file, which restores the step count — shuffles as one long Fit does.
                    for (int i = 0; i < order.Length; i++) order[i] = i;
                    new Random(Seeds.Derive(setup.Seed, (int)setup.Steps)).Shuffle(order);
                }
                ProgressBar.WriteEpochHeader(output, verbose, epoch, epochs);
                var bar = verbose > 0 ? new ProgressBar(steps, output, verbose, ProgressBar.IsInteractive(output)) : null;
                var running = new Running(setup);
                for (int step = 0; step < steps && !StopTraining; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    foreach (var c in all) c.OnTrainBatchBegin(step, empty);
                    int start = step * batch;
                    var rows = order.AsSpan(start, Math.Min(batch, trainCount - start));
                    var logs = TrainBatch(setup, ref work, x, y, weights, rows, context);
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
                    foreach (var (k, v) in EvaluateBatches(setup, CoreModel, val.X, val.Y, validationWeights, batchSize)) epochLogs["val_" + k] = v;
                // Keras appends its progress bar after the user's callbacks: the epoch's line shows what they logged (learning_rate).
                foreach (var c in all) c.OnEpochEnd(epoch, epochLogs);
                bar?.Update(steps, Display(epochLogs), finalize: true);
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
                foreach (var t in owned.X.Concat(owned.Y).Concat(validationWeights?.OfType<Tensor>() ?? [])) t.Dispose();
        }
        foreach (var c in all) c.OnTrainEnd(epochLogs);
        return history;
    }

    private StepLogs TrainBatch(TrainingSetup setup, ref Core.Model work, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, Tensor?[]? weights, ReadOnlySpan<int> rows, ForwardContext context)
    {
        Tensor[] xb = new Tensor[x.Count], yb = new Tensor[y.Count];
        for (int i = 0; i < xb.Length; i++) xb[i] = Trainer.Gather(x[i], rows, pool);
        for (int i = 0; i < yb.Length; i++) yb[i] = Trainer.Gather(y[i], rows, pool);
        var wb = GatherWeights(weights, rows);
        try
        {
            var (next, state, logs) = Trainer.Step(work, setup.State, xb, yb, setup.Config,
                context with { Seed = Seeds.Derive(setup.Seed, (int)setup.Steps) }, donate: true, sampleWeights: wb);
            (work, setup.State) = (next, state);
            setup.Steps++;
            return logs;
        }
        finally
        {
            foreach (var t in xb.Concat(yb).Concat(wb?.OfType<Tensor>() ?? [])) t.Dispose();
        }
    }

    private Tensor?[]? GatherWeights(Tensor?[]? weights, ReadOnlySpan<int> rows)
    {
        if (weights is null) return null;
        var gathered = new Tensor?[weights.Length];
        for (int i = 0; i < weights.Length; i++)
            if (weights[i] is { } w) gathered[i] = Trainer.Gather(w, rows, pool);
        return gathered;
    }

    /// <summary>
    /// The per-output sample weights of a call: <paramref name="sampleWeight"/> checked against the
    /// data, or <paramref name="classWeight"/> turned into one weight per sample as Keras turns it
    /// (the integer label, or the argmax of a one-hot target, looked up; 1 for classes without a key).
    /// Null when neither is given; <c>FromSamples</c> tells the caller's sample weights (which a validation split divides) from class weights.
    /// </summary>
    /// <exception cref="ArgumentException">Both given; class weights for several outputs or 3+ dimensional targets; weights that do not fit the data.</exception>
    private (Tensor?[]? Weights, bool FromSamples) SampleWeights(Core.Model core, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, IReadOnlyDictionary<int, double>? classWeight, IReadOnlyList<Tensor?>? sampleWeight, string what)
    {
        if (classWeight is not null)
        {
            if (sampleWeight is not null && sampleWeight.Any(w => w is not null))
                throw new ArgumentException($"Model \"{Name}\": {what} received both classWeight and sampleWeight. You cannot `class_weight` and `sample_weight` at the same time.", nameof(classWeight));
            if (y.Count != 1)
                throw new ArgumentException($"Model \"{Name}\" has {y.Count} outputs: `class_weight` is only supported for Models with a single output. Give sampleWeight per output instead.", nameof(classWeight));
            return ([ClassWeights(y[0], classWeight)], false);
        }
        if (sampleWeight is null || sampleWeight.All(w => w is null)) return (null, false);
        var names = Trainer.OutputNames(core);
        if (sampleWeight.Count != y.Count)
            throw new ArgumentException($"Model \"{Name}\" has {y.Count} output(s) ({string.Join(", ", names)}) but {sampleWeight.Count} sample weight arrays were given; give one per output (null for none).", nameof(sampleWeight));
        int samples = x[0].Shape[0]!.Value;
        var shapes = core.OutputShapes([.. x.Select(t => t.Shape)]);
        for (int o = 0; o < sampleWeight.Count; o++)
        {
            if (sampleWeight[o] is not { } w) continue;
            int positions = 1;
            for (int d = 1; d < shapes[o].Rank - 1; d++) positions *= shapes[o][d]!.Value;
            bool perSample = w.Length == samples && (w.Shape.Rank == 1 || w.Shape[-1] == 1);
            if (w.Shape.Rank == 0 || w.Shape[0] != samples || !(perSample || w.Length == samples * positions))
                throw new ArgumentException($"Model \"{Name}\": sample weights for output \"{names[o]}\" have shape {w.Shape}, but there are {samples} samples and the output has shape {shapes[o]}: give one weight per sample (shape ({samples},)) or one per position of the loss ({positions} per sample).", nameof(sampleWeight));
        }
        return ([.. sampleWeight], true);
    }

    /// <summary>Keras's <c>class_weight</c> → <c>sample_weight</c>: each sample's weight from its class.</summary>
    private static Tensor ClassWeights(Tensor y, IReadOnlyDictionary<int, double> classWeight)
    {
        if (y.Shape.Rank > 2)
            throw new ArgumentException($"`class_weight` not supported for 3+ dimensional targets: the target has shape {y.Shape}.", nameof(classWeight));
        int n = y.Shape[0]!.Value, width = n == 0 ? 1 : y.Length / n;
        var values = y.ToArray();
        var weights = new float[n];
        for (int i = 0; i < n; i++)
        {
            var row = values.AsSpan(i * width, width);
            int label = width == 1 ? (int)Math.Round(row[0], MidpointRounding.ToEven) : ArgMax(row);
            weights[i] = (float)classWeight.GetValueOrDefault(label, 1.0);
        }
        return Tensor.FromArray(weights, [n]);
    }

    private static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++)
            if (row[i] > row[best]) best = i;
        return best;
    }

    private static List<(string Name, double Value)> Display(Dictionary<string, double> logs) => [.. logs.Select(p => (p.Key, p.Value))];

    /// <summary>Running means over an epoch's batches, weighted by batch size (Keras's stateful metrics), named as Keras names them.</summary>
    private sealed class Running(TrainingSetup setup)
    {
        private double loss;
        private long samples;
        private readonly double[] outputLosses = new double[setup.OutputNames.Count];
        private readonly double[][][] metrics = [.. setup.Config.Metrics.Select(ms => ms.Select(m => new double[m.StateSize]).ToArray())];

        public void Add(StepLogs logs)
        {
            loss += logs.Loss * logs.BatchSize;
            samples += logs.BatchSize;
            for (int o = 0; o < outputLosses.Length; o++)
            {
                outputLosses[o] += logs.OutputLosses[o] * logs.BatchSize;
                for (int m = 0; m < metrics[o].Length; m++)
                    for (int k = 0; k < metrics[o][m].Length; k++) metrics[o][m][k] += logs.Metrics[o][m][k];
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
                    var metric = setup.Config.Metrics[o][m];
                    logs[several ? $"{setup.OutputNames[o]}_{metric.Name}" : metric.Name] = metric.Result((ReadOnlySpan<double>)metrics[o][m]);
                }
            return logs;
        }
    }

    /// <summary>
    /// Gives the trained records to the layer handles, all at once as readers see them: every handle adopts
    /// its record under <see cref="Publication.Gate"/>, which <see cref="CoreModel"/> takes to read its handles.
    /// With <paramref name="copy"/> the records get copies of their weights first (a <c>Fit</c> trains a working
    /// model in place, so its tensors must not be shared); a step that was not donated made new tensors no one
    /// else writes, and hands them over as they are.
    /// </summary>
    private void Publish(Core.Model trained, bool copy = true)
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
        var adopted = new List<(Layer Handle, Core.Layer Record)>();
        foreach (var record in Trainer.AllLayers(trained).Values)
        {
            if (record is not WeightedLayer weighted || !handles.TryGetValue(record.Id, out var handle)) continue;
            adopted.Add((handle, copy ? weighted with { Params = EquatableArray.Of(weighted.Params.Select(p => Tensor.FromArray(p.ToArray(), p.Shape.ToArray()))) } : weighted));
        }
        lock (Publication.Gate)
            foreach (var (handle, record) in adopted) handle.Adopt(record);
    }

    /// <summary>Keras's <c>evaluate</c> for a model with one input and one output.</summary>
    /// <inheritdoc cref="Evaluate(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, int, IReadOnlyList{Tensor}?)"/>
    public IReadOnlyDictionary<string, double> Evaluate(Tensor x, Tensor y, int batchSize = 32, Tensor? sampleWeight = null) =>
        Evaluate([x], [y], batchSize, sampleWeight is null ? null : [sampleWeight]);

    /// <summary>
    /// Keras's <c>evaluate</c> (as with <c>return_dict=True</c>): the loss and metrics over all
    /// samples at inference (Dropout off, moving statistics), in batches of <paramref name="batchSize"/>
    /// (clamped to the number of samples, as Keras does). <paramref name="sampleWeight"/> (one per output,
    /// null for none) weighs the losses and metrics as in <c>Fit</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    /// <exception cref="ArgumentException">No samples, a batch size of 0 or less, or sample weights that do not fit the data.</exception>
    public IReadOnlyDictionary<string, double> Evaluate(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, int batchSize = 32, IReadOnlyList<Tensor?>? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BuildFrom(x);
        var setup = Setup;
        var core = CoreModel;
        CheckWeightsAreFinite(core);
        Trainer.CheckTargets(core, x, y, setup.Config);
        if (x[0].Shape[0] == 0)
            throw new ArgumentException($"Model \"{Name}\": Evaluate received 0 samples; there is nothing to evaluate (Keras fails here with \"Unexpected result of test_function (Empty logs)\").", nameof(x));
        return EvaluateBatches(setup, core, x, y, SampleWeights(core, x, y, null, sampleWeight, "Evaluate").Weights, batchSize);
    }

    private Dictionary<string, double> EvaluateBatches(TrainingSetup setup, Core.Model core, IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, Tensor?[]? weights, int batchSize)
    {
        var context = new ForwardContext(Backend.Blas, pool, MemoryBudget: Backend.MemoryBudget);
        int total = x[0].Shape[0]!.Value;
        int batch = Math.Min(batchSize, total);
        var running = new Running(setup);
        var indices = Enumerable.Range(0, total).ToArray();
        for (int start = 0; start < total; start += batch)
        {
            var rows = indices.AsSpan(start, Math.Min(batch, total - start));
            Tensor[] xb = new Tensor[x.Count], yb = new Tensor[y.Count];
            for (int i = 0; i < xb.Length; i++) xb[i] = Trainer.Gather(x[i], rows, pool);
            for (int i = 0; i < yb.Length; i++) yb[i] = Trainer.Gather(y[i], rows, pool);
            var wb = GatherWeights(weights, rows);
            try
            {
                running.Add(Trainer.Evaluate(core, xb, yb, setup.Config, context, wb));
            }
            finally
            {
                foreach (var t in xb.Concat(yb).Concat(wb?.OfType<Tensor>() ?? [])) t.Dispose();
            }
            if (total - start <= batch) break;
        }
        return running.Logs();
    }

    /// <summary>Keras's <c>train_on_batch</c> for one input and one output: one step on this batch; returns the loss before the update.</summary>
    /// <inheritdoc cref="TrainOnBatch(IReadOnlyList{Tensor}, IReadOnlyList{Tensor}, IReadOnlyList{Tensor}?, IReadOnlyDictionary{int, double}?)"/>
    public double TrainOnBatch(Tensor x, Tensor y, Tensor? sampleWeight = null, IReadOnlyDictionary<int, double>? classWeight = null) =>
        TrainOnBatch([x], [y], sampleWeight is null ? null : [sampleWeight], classWeight);

    /// <summary>
    /// Keras's <c>train_on_batch</c>: one optimizer step on this batch (the whole batch, no
    /// shuffling), for custom training loops. Returns the total loss computed before the update.
    /// <paramref name="sampleWeight"/> and <paramref name="classWeight"/> weigh the loss as in <c>Fit</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not compiled, or the loss is not finite (the weights are left unchanged).</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    /// <exception cref="ArgumentException">The batch has no samples.</exception>
    public double TrainOnBatch(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, IReadOnlyList<Tensor?>? sampleWeight = null, IReadOnlyDictionary<int, double>? classWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        BuildFrom(x);
        lock (trainingGate)
        {
            ThrowIfTrainingRuns("TrainOnBatch");
            var setup = Setup;
            var core = CoreModel;
            Trainer.CheckTargets(core, x, y, setup.Config);
            if (x[0].Shape[0] == 0)
                throw new ArgumentException($"Model \"{Name}\": TrainOnBatch received a batch of 0 samples.", nameof(x));
            var context = new ForwardContext(Backend.Blas, pool, Training: true, Seed: Seeds.Derive(setup.Seed, (int)setup.Steps), MemoryBudget: Backend.MemoryBudget);
            var weights = SampleWeights(core, x, y, classWeight, sampleWeight, "TrainOnBatch").Weights;
            // The optimizer's state is this model's own (nothing else holds it): its slots are updated in place.
            var (next, state, logs) = Trainer.Step(core, setup.State, x, y, setup.Config, context, sampleWeights: weights, donateState: true);
            if (!logs.Updated)
                throw new InvalidOperationException($"Model \"{Name}\": the loss is {logs.Loss.ToString(CultureInfo.InvariantCulture)} (or a gradient is not finite) on this batch; the weights were left unchanged.");
            setup.State = state;
            setup.Steps++;
            Publish(next, copy: false); // a step without donation: next's tensors are its own
            return logs.Loss;
        }
    }

    /// <summary>Keras's <c>test_on_batch</c>: the loss and metrics on one batch at inference, weighted by <paramref name="sampleWeight"/> (one per output, null for none) as in <c>Evaluate</c>.</summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    /// <exception cref="ShapeError">Inputs or targets that do not fit the model or its losses.</exception>
    /// <exception cref="ArgumentException">The batch has no samples.</exception>
    public IReadOnlyDictionary<string, double> TestOnBatch(IReadOnlyList<Tensor> x, IReadOnlyList<Tensor> y, IReadOnlyList<Tensor?>? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        BuildFrom(x);
        var setup = Setup;
        var core = CoreModel;
        Trainer.CheckTargets(core, x, y, setup.Config);
        if (x[0].Shape[0] == 0)
            throw new ArgumentException($"Model \"{Name}\": TestOnBatch received a batch of 0 samples.", nameof(x));
        var running = new Running(setup);
        running.Add(Trainer.Evaluate(core, x, y, setup.Config, new ForwardContext(Backend.Blas, pool, MemoryBudget: Backend.MemoryBudget),
            SampleWeights(core, x, y, null, sampleWeight, "TestOnBatch").Weights));
        return running.Logs();
    }
}
