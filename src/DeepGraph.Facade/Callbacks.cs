using System.Globalization;

namespace DeepGraph.Keras;

/// <summary>
/// A training callback (Keras's <c>keras.callbacks.Callback</c>): <c>Fit</c> calls its hooks as training
/// runs. Subclass it and override the hooks you need; every hook does nothing by default.
/// Epochs and batches are 0-based in hooks, as in Keras.
/// </summary>
/// <remarks>
/// Epoch logs hold <c>loss</c>, one <c>NAME_loss</c> per output of a multi-output model, the compiled
/// metrics (<c>accuracy</c>, …) and, when there is validation data, the same keys prefixed with
/// <c>val_</c>. Batch logs hold the running means of the training values over the epoch so far.
/// <c>Fit</c> calls the callbacks given in order, then its <see cref="History"/> and the progress bar's
/// epoch line, as Keras does: what a callback adds to the epoch's logs in <see cref="OnEpochEnd"/>
/// (<see cref="LearningRateScheduler"/> and <see cref="ReduceLROnPlateau"/> add <c>learning_rate</c>) is
/// recorded and shown. <see cref="Params"/> holds Keras's <c>verbose</c>, <c>epochs</c> and <c>steps</c>.
/// </remarks>
/// <example><code>
/// sealed class PrintLoss : Callback
/// {
///     public override void OnEpochEnd(int epoch, IReadOnlyDictionary&lt;string, double&gt; logs) =>
///         Console.WriteLine($"epoch {epoch}: loss {logs["loss"]}");
/// }
/// </code></example>
public abstract class Callback
{
    /// <summary>The model being trained (Keras's <c>self.model</c>); <c>Fit</c> sets it before the first hook.</summary>
    public Model? Model { get; internal set; }

    /// <summary>Keras's <c>callback.params</c>, which <c>Fit</c> sets before the first hook: <c>verbose</c>, <c>epochs</c> and <c>steps</c> (batches per epoch).</summary>
    public IReadOnlyDictionary<string, int> Params { get; internal set; } = new Dictionary<string, int>();

    /// <summary>The model, or a clear error when the callback is used outside <c>Fit</c> without one.</summary>
    private protected Model AttachedModel =>
        Model ?? throw new InvalidOperationException($"{GetType().Name} is not attached to a model; Model.Fit sets Callback.Model before calling the hooks.");

    /// <summary>Called once when training begins (logs are empty).</summary>
    public virtual void OnTrainBegin(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called once when training ends, after the last epoch or after a callback stopped it; logs are the last epoch's.</summary>
    public virtual void OnTrainEnd(IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called at the start of epoch <paramref name="epoch"/> (0-based; logs are empty).</summary>
    public virtual void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>
    /// Called at the end of epoch <paramref name="epoch"/> (0-based) with the epoch's means: <c>loss</c>,
    /// per-output <c>NAME_loss</c>, metrics, and their <c>val_…</c> versions when validating.
    /// </summary>
    public virtual void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called before training batch <paramref name="batch"/> (0-based within the epoch; logs are empty).</summary>
    public virtual void OnTrainBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called after training batch <paramref name="batch"/> with the running means of the epoch so far, as in Keras.</summary>
    public virtual void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Called after validation or evaluation batch <paramref name="batch"/> with the running means of the evaluation so far.</summary>
    public virtual void OnTestBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) { }

    /// <summary>Where callbacks print: the writer given, else the console's current output.</summary>
    private protected static TextWriter Resolve(TextWriter? output) => output ?? Console.Out;

    /// <summary>
    /// The comparison for <paramref name="mode"/>: true for "max". An unknown mode is reported on
    /// <paramref name="output"/> and treated as "auto", as Keras does.
    /// </summary>
    private protected static bool IsMaxMode(string mode, string owner, TextWriter output, Func<bool> autoIsMax)
    {
        ArgumentNullException.ThrowIfNull(mode);
        switch (mode)
        {
            case "min": return false;
            case "max": return true;
            case "auto": return autoIsMax();
            default:
                output.Write($"WARNING: {owner} mode {mode} is unknown, fallback to auto mode.\n");
                return autoIsMax();
        }
    }
}

/// <summary>
/// Stops training when a monitored value has stopped improving (Keras's <c>EarlyStopping</c>, tf.keras 2.x
/// semantics as in its last 2.x release). At the end of each epoch from <c>startFromEpoch</c> on, the value
/// improves when it beats the best so far by more than <c>minDelta</c>; after <c>patience</c> epochs without
/// improvement (counted from the last epoch that beat both the best and the <c>baseline</c>) it sets
/// <see cref="Model.StopTraining"/>. It never stops after the first epoch (epoch 0).
/// </summary>
/// <example><code>
/// var stop = new EarlyStopping(monitor: "val_loss", patience: 3, restoreBestWeights: true);
/// model.Fit(x, y, epochs: 100, validationSplit: 0.1, callbacks: [stop]);
/// </code></example>
public sealed class EarlyStopping : Callback
{
    private readonly TextWriter? output;
    private readonly bool greater;
    private readonly double minDelta; // signed: added to the improvement test as Keras does
    private Tensor[]? bestWeights;
    private bool warned;

    /// <summary>A callback that stops training when <paramref name="monitor"/> stops improving.</summary>
    /// <param name="monitor">The log key to watch (<c>val_loss</c>, <c>val_accuracy</c>, <c>loss</c>, …).</param>
    /// <param name="minDelta">A change smaller than this (in absolute value) does not count as an improvement.</param>
    /// <param name="patience">Epochs without improvement after which training stops.</param>
    /// <param name="verbose">1 prints <c>Epoch N: early stopping</c> and the weight restoring when training ends.</param>
    /// <param name="mode">"min", "max" or "auto": "max" when the monitor name ends with <c>acc</c>, <c>accuracy</c> or <c>auc</c>, else "min" (Keras's rule). An unknown mode is reported and treated as "auto".</param>
    /// <param name="baseline">When set, the wait count is only restarted by an epoch that beats both the best so far and this value.</param>
    /// <param name="restoreBestWeights">When training ends, put back the weights of the best epoch (or of the first monitored epoch if none improved).</param>
    /// <param name="startFromEpoch">Epochs (0-based, counted from 0) to let pass before watching, for a warm-up.</param>
    /// <param name="output">Where messages and warnings go; the console by default.</param>
    public EarlyStopping(string monitor = "val_loss", double minDelta = 0, int patience = 0, int verbose = 0, string mode = "auto",
        double? baseline = null, bool restoreBestWeights = false, int startFromEpoch = 0, TextWriter? output = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        Monitor = monitor;
        Patience = patience;
        Verbose = verbose;
        Baseline = baseline;
        RestoreBestWeights = restoreBestWeights;
        StartFromEpoch = startFromEpoch;
        this.output = output;
        greater = IsMaxMode(mode, nameof(EarlyStopping), Resolve(output),
            () => monitor.EndsWith("acc", StringComparison.Ordinal) || monitor.EndsWith("accuracy", StringComparison.Ordinal) || monitor.EndsWith("auc", StringComparison.Ordinal));
        this.minDelta = greater ? Math.Abs(minDelta) : -Math.Abs(minDelta);
        Best = greater ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The log key watched.</summary>
    public string Monitor { get; }

    /// <summary>Epochs without improvement after which training stops.</summary>
    public int Patience { get; }

    /// <summary>0 silent, 1 prints when training ends.</summary>
    public int Verbose { get; }

    /// <summary>The value an epoch must beat (as well as the best) to restart the wait count; null for none.</summary>
    public double? Baseline { get; }

    /// <summary>Whether the best epoch's weights are put back when training ends.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The first epoch (0-based) that is watched.</summary>
    public int StartFromEpoch { get; }

    /// <summary>True when larger values are better ("max" mode, or "auto" on an accuracy or AUC).</summary>
    public bool MaximizesMonitor => greater;

    /// <summary>The best value seen in this training (±infinity before any).</summary>
    public double Best { get; private set; }

    /// <summary>The epoch (0-based) of <see cref="Best"/>.</summary>
    public int BestEpoch { get; private set; }

    /// <summary>Epochs counted towards <see cref="Patience"/>.</summary>
    public int Wait { get; private set; }

    /// <summary>The epoch (0-based) at which this callback stopped training; 0 when it did not (as Keras's <c>stopped_epoch</c>).</summary>
    public int StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        // Reset, so that an instance can be reused for another Fit.
        Wait = 0;
        StoppedEpoch = 0;
        Best = greater ? double.NegativeInfinity : double.PositiveInfinity;
        bestWeights = null;
        BestEpoch = 0;
        warned = false;
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (!logs.TryGetValue(Monitor, out var current))
        {
            if (!warned)
            {
                warned = true;
                Resolve(output).Write($"WARNING: Early stopping conditioned on metric `{Monitor}` which is not available. Available metrics are: {string.Join(",", logs.Keys)}\n");
            }
            return;
        }
        if (epoch < StartFromEpoch) return;
        if (RestoreBestWeights && bestWeights is null)
        {
            // Keep the first watched epoch's weights, in case no epoch ever improves.
            bestWeights = AttachedModel.GetWeights();
            BestEpoch = epoch;
        }

        Wait++;
        if (IsImprovement(current, Best))
        {
            Best = current;
            BestEpoch = epoch;
            if (RestoreBestWeights) bestWeights = AttachedModel.GetWeights();
            // Only restart the wait when the value beats both the best and the baseline.
            if (Baseline is not double baseline || IsImprovement(current, baseline)) Wait = 0;
            return;
        }

        if (Wait >= Patience && epoch > 0)
        {
            StoppedEpoch = epoch;
            AttachedModel.StopTraining = true;
        }
    }

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs)
    {
        if (StoppedEpoch > 0 && Verbose > 0)
            Resolve(output).Write($"Epoch {StoppedEpoch + 1}: early stopping\n");
        if (RestoreBestWeights && bestWeights is not null)
        {
            if (Verbose > 0)
                Resolve(output).Write($"Restoring model weights from the end of the best epoch: {BestEpoch + 1}.\n");
            AttachedModel.SetWeights(bestWeights);
        }
    }

    private bool IsImprovement(double value, double reference) =>
        greater ? value - minDelta > reference : value - minDelta < reference;
}

/// <summary>
/// Saves the model at the end of every epoch, or only when a monitored value improved (Keras's
/// <c>ModelCheckpoint</c> with <c>save_freq="epoch"</c>). The path may hold Python format fields filled
/// from the epoch (1-based, as Keras) and the epoch logs: <c>"ckpt/model-{epoch:02d}-{val_loss:.2f}.json"</c>
/// gives <c>ckpt/model-03-0.41.json</c>. The model is written with <see cref="Model.Save"/> (TF.js layers
/// format: the JSON file at the path and the weight file it names beside it, replaced as one step); folders are created.
/// </summary>
/// <remarks>
/// <c>saveWeightsOnly</c> is accepted for Keras code but saves the whole model: the TF.js layers format
/// always pairs the topology with the weights file, and <see cref="Models.LoadModel(string, IEnumerable{Core.LayerKind}?, bool, bool)"/> reads the pair back.
/// </remarks>
/// <example><code>
/// var checkpoint = new ModelCheckpoint("ckpt/best.json", monitor: "val_accuracy", saveBestOnly: true);
/// </code></example>
public sealed class ModelCheckpoint : Callback
{
    private readonly TextWriter? output;
    private readonly bool greater;
    private bool warned;

    /// <summary>A callback that saves the model to <paramref name="filepath"/> at the end of each epoch.</summary>
    /// <param name="filepath">The model path, ending in <c>.keras</c>, <c>.h5</c> or <c>.json</c>, with optional fields such as <c>{epoch:02d}</c> or <c>{val_loss:.2f}</c> (Python <c>str.format</c>).</param>
    /// <param name="monitor">The log key compared when <paramref name="saveBestOnly"/>.</param>
    /// <param name="verbose">1 prints a line when saving or when the value did not improve.</param>
    /// <param name="saveBestOnly">Save only when <paramref name="monitor"/> beats the best value so far.</param>
    /// <param name="saveWeightsOnly">Accepted for Keras code; the whole model is saved either way (see remarks).</param>
    /// <param name="mode">"min", "max" or "auto": "max" when the monitor name contains <c>acc</c> or starts with <c>fmeasure</c>, else "min" (Keras's rule for this callback). An unknown mode is reported and treated as "auto".</param>
    /// <param name="output">Where messages and warnings go; the console by default.</param>
    /// <exception cref="ArgumentException"><paramref name="filepath"/> does not end in a format <see cref="Model.Save(string, string?, IReadOnlyList{Tensor}?)"/> writes (<c>.keras</c>, <c>.h5</c>, <c>.json</c>).</exception>
    public ModelCheckpoint(string filepath, string monitor = "val_loss", int verbose = 0, bool saveBestOnly = false,
        bool saveWeightsOnly = false, string mode = "auto", TextWriter? output = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(filepath);
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        ModelFile.CheckPath(filepath, nameof(ModelCheckpoint), nameof(filepath));
        Filepath = filepath;
        Monitor = monitor;
        Verbose = verbose;
        SaveBestOnly = saveBestOnly;
        SaveWeightsOnly = saveWeightsOnly;
        this.output = output;
        greater = IsMaxMode(mode, nameof(ModelCheckpoint), Resolve(output),
            () => monitor.Contains("acc", StringComparison.Ordinal) || monitor.StartsWith("fmeasure", StringComparison.Ordinal));
        Best = greater ? double.NegativeInfinity : double.PositiveInfinity;
    }

    /// <summary>The path template.</summary>
    public string Filepath { get; }

    /// <summary>The log key compared when <see cref="SaveBestOnly"/>.</summary>
    public string Monitor { get; }

    /// <summary>0 silent, 1 prints when saving.</summary>
    public int Verbose { get; }

    /// <summary>Whether only improvements are saved.</summary>
    public bool SaveBestOnly { get; }

    /// <summary>As passed; the whole model is saved either way.</summary>
    public bool SaveWeightsOnly { get; }

    /// <summary>The best monitored value so far (±infinity before any). Kept across <c>Fit</c> calls, as in Keras.</summary>
    public double Best { get; private set; }

    /// <summary>The path of the last file written, or null.</summary>
    public string? LastSavedPath { get; private set; }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => warned = false;

    /// <summary>The path for epoch <paramref name="epoch"/> (0-based; formatted as <c>epoch + 1</c>) and <paramref name="logs"/>.</summary>
    /// <exception cref="KeyNotFoundException">The path names a field that is not in the logs (Keras's message: <c>Failed to format this callback filepath: "…". Reason: 'key'</c>).</exception>
    /// <exception cref="FormatException">The path is not a valid format string.</exception>
    public string FormatPath(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        try
        {
            return PyFormat.Format(Filepath, key => key == "epoch" ? epoch + 1 : logs.TryGetValue(key, out var v) ? v : null);
        }
        catch (KeyNotFoundException e)
        {
            throw new KeyNotFoundException($"Failed to format this callback filepath: \"{Filepath}\". Reason: {e.Message}", e);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var path = FormatPath(epoch, logs);
        var writer = Resolve(output);
        if (!SaveBestOnly)
        {
            if (Verbose > 0) writer.Write($"\nEpoch {epoch + 1}: saving model to {path}\n");
            Save(path);
            return;
        }
        if (!logs.TryGetValue(Monitor, out var current))
        {
            if (!warned)
            {
                warned = true;
                writer.Write($"WARNING: Can save best model only with {Monitor} available, skipping.\n");
            }
            return;
        }
        if (greater ? current > Best : current < Best)
        {
            if (Verbose > 0)
                writer.Write($"\nEpoch {epoch + 1}: {Monitor} improved from {PyFormat.Fixed(Best, 5)} to {PyFormat.Fixed(current, 5)}, saving model to {path}\n");
            Best = current;
            Save(path);
        }
        else if (Verbose > 0)
        {
            writer.Write($"\nEpoch {epoch + 1}: {Monitor} did not improve from {PyFormat.Fixed(Best, 5)}\n");
        }
    }

    private void Save(string path)
    {
        if (Directory.Exists(path))
            throw new IOException($"Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an existing directory: {path}");
        AttachedModel.Save(path);
        LastSavedPath = path;
    }
}

/// <summary>
/// A callback made of delegates (Keras's <c>LambdaCallback</c>). The batch delegates are called for
/// training batches, as Keras's <c>on_batch_begin</c>/<c>on_batch_end</c>.
/// </summary>
/// <example><code>
/// var log = new LambdaCallback(onEpochEnd: (epoch, logs) => Console.WriteLine($"{epoch}: {logs["loss"]:F4}"));
/// </code></example>
/// <param name="onEpochBegin">Called with the epoch (0-based) and its logs when an epoch begins.</param>
/// <param name="onEpochEnd">Called with the epoch (0-based) and its logs when an epoch ends.</param>
/// <param name="onBatchBegin">Called with the batch (0-based) and its logs before each training batch.</param>
/// <param name="onBatchEnd">Called with the batch (0-based) and the running means after each training batch.</param>
/// <param name="onTrainBegin">Called with the logs when training begins.</param>
/// <param name="onTrainEnd">Called with the logs when training ends.</param>
public sealed class LambdaCallback(
    Action<int, IReadOnlyDictionary<string, double>>? onEpochBegin = null,
    Action<int, IReadOnlyDictionary<string, double>>? onEpochEnd = null,
    Action<int, IReadOnlyDictionary<string, double>>? onBatchBegin = null,
    Action<int, IReadOnlyDictionary<string, double>>? onBatchEnd = null,
    Action<IReadOnlyDictionary<string, double>>? onTrainBegin = null,
    Action<IReadOnlyDictionary<string, double>>? onTrainEnd = null) : Callback
{
    /// <inheritdoc/>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs) => onEpochBegin?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => onEpochEnd?.Invoke(epoch, logs);

    /// <inheritdoc/>
    public override void OnTrainBatchBegin(int batch, IReadOnlyDictionary<string, double> logs) => onBatchBegin?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs) => onBatchEnd?.Invoke(batch, logs);

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => onTrainBegin?.Invoke(logs);

    /// <inheritdoc/>
    public override void OnTrainEnd(IReadOnlyDictionary<string, double> logs) => onTrainEnd?.Invoke(logs);
}

/// <summary>
/// Stops training when a batch's loss is NaN or infinite (Keras's <c>TerminateOnNaN</c>): prints
/// <c>Batch 7: Invalid loss, terminating training</c> and sets <see cref="Model.StopTraining"/>.
/// </summary>
/// <param name="output">Where the message goes; the console by default.</param>
public sealed class TerminateOnNaN(TextWriter? output = null) : Callback
{
    /// <inheritdoc/>
    public override void OnTrainBatchEnd(int batch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
        {
            Resolve(output).Write(string.Create(CultureInfo.InvariantCulture, $"Batch {batch}: Invalid loss, terminating training\n"));
            AttachedModel.StopTraining = true;
        }
    }
}

/// <summary>
/// Sets the learning rate at the start of every epoch from a function of the epoch (0-based) and
/// the current rate (Keras's <c>LearningRateScheduler</c>), and adds the rate to the epoch's logs as
/// <c>learning_rate</c> (Keras 3's key), so that <see cref="History"/> records it.
/// </summary>
/// <example><code>
/// var scheduler = new LearningRateScheduler((epoch, lr) => epoch &lt; 10 ? lr : lr * Math.Exp(-0.1));
/// model.Fit(x, y, epochs: 15, callbacks: [scheduler]);
/// </code></example>
public sealed class LearningRateScheduler : Callback
{
    private readonly Func<int, double, double> schedule;
    private readonly TextWriter? output;

    /// <summary>A scheduler calling <paramref name="schedule"/>(epoch, current rate) before each epoch.</summary>
    /// <param name="schedule">The new rate from the epoch (0-based) and the current rate.</param>
    /// <param name="verbose">1 prints <c>Epoch N: LearningRateScheduler setting learning rate to R.</c> each epoch.</param>
    /// <param name="output">Where messages go; the console by default.</param>
    public LearningRateScheduler(Func<int, double, double> schedule, int verbose = 0, TextWriter? output = null)
    {
        this.schedule = schedule ?? throw new ArgumentNullException(nameof(schedule));
        Verbose = verbose;
        this.output = output;
    }

    /// <summary>A scheduler calling <paramref name="schedule"/>(epoch) before each epoch (Keras's one-argument form).</summary>
    /// <inheritdoc cref="LearningRateScheduler(Func{int, double, double}, int, TextWriter?)"/>
    public LearningRateScheduler(Func<int, double> schedule, int verbose = 0, TextWriter? output = null)
        : this(Wrap(schedule), verbose, output) { }

    private static Func<int, double, double> Wrap(Func<int, double> schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return (epoch, _) => schedule(epoch);
    }

    /// <summary>0 silent, 1 prints the rate set at each epoch.</summary>
    public int Verbose { get; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The model is not compiled, or its optimizer's rate follows a schedule (Keras: not settable).</exception>
    /// <exception cref="ArgumentException">The function returned a rate that is negative, NaN or infinite.</exception>
    public override void OnEpochBegin(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        var model = AttachedModel;
        double rate = schedule(epoch, LearningRates.Current(model));
        if (!(rate >= 0) || !double.IsFinite(rate) || !float.IsFinite((float)rate))
            throw new ArgumentException($"The output of the `schedule` function should be a finite float, 0 or more; at epoch {epoch} it returned {rate.ToString("R", CultureInfo.InvariantCulture)}.");
        LearningRates.Set(model, rate);
        if (Verbose > 0)
            Resolve(output).Write($"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {PyFormat.Repr(rate)}.\n");
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs) => LearningRates.Log(AttachedModel, logs);
}

/// <summary>
/// Multiplies the learning rate by <c>factor</c> when a monitored value has stopped improving
/// (Keras's <c>ReduceLROnPlateau</c>): after <c>patience</c> epochs without an improvement of more
/// than <c>minDelta</c>, the rate becomes max(rate·factor, minLr), then <c>cooldown</c> epochs pass
/// before epochs count again. Every epoch's logs get the rate as <c>learning_rate</c> (Keras 3's key).
/// </summary>
/// <example><code>
/// var reduce = new ReduceLROnPlateau(monitor: "val_loss", factor: 0.2, patience: 5, minLr: 0.001);
/// model.Fit(x, y, epochs: 50, validationSplit: 0.2, callbacks: [reduce]);
/// </code></example>
public sealed class ReduceLROnPlateau : Callback
{
    private readonly TextWriter? output;
    private readonly bool greater;
    private int cooldownCounter;

    /// <summary>A callback that lowers the learning rate when <paramref name="monitor"/> stops improving.</summary>
    /// <param name="monitor">The log key to watch.</param>
    /// <param name="factor">The factor the rate is multiplied by; less than 1.</param>
    /// <param name="patience">Epochs without improvement after which the rate is lowered.</param>
    /// <param name="verbose">1 prints <c>Epoch N: ReduceLROnPlateau reducing learning rate to R.</c> when it does.</param>
    /// <param name="mode">"min", "max" or "auto" ("max" when the monitor name contains <c>acc</c>, Keras's rule). An unknown mode is reported and treated as "auto".</param>
    /// <param name="minDelta">The least change that counts as an improvement.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting epochs without improvement again.</param>
    /// <param name="minLr">The lowest rate it sets.</param>
    /// <param name="output">Where messages and warnings go; the console by default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is 1 or more (Keras: "ReduceLROnPlateau does not support a factor &gt;= 1.0").</exception>
    public ReduceLROnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, int verbose = 0, string mode = "auto",
        double minDelta = 1e-4, int cooldown = 0, double minLr = 0, TextWriter? output = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(monitor);
        if (!(factor < 1.0))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={PyFormat.Repr(factor)}");
        Monitor = monitor;
        Factor = factor;
        Patience = patience;
        Verbose = verbose;
        MinDelta = minDelta;
        Cooldown = cooldown;
        MinLr = minLr;
        this.output = output;
        var writer = Resolve(output);
        if (mode is not ("auto" or "min" or "max"))
        {
            writer.Write($"WARNING: Learning rate reduction mode {mode} is unknown, fallback to auto mode.\n");
            mode = "auto";
        }
        greater = IsMaxMode(mode, nameof(ReduceLROnPlateau), writer, () => monitor.Contains("acc", StringComparison.Ordinal));
        Reset();
    }

    /// <summary>The log key watched.</summary>
    public string Monitor { get; }

    /// <summary>The factor the rate is multiplied by.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement after which the rate is lowered.</summary>
    public int Patience { get; }

    /// <summary>0 silent, 1 prints each reduction.</summary>
    public int Verbose { get; }

    /// <summary>The least change that counts as an improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Epochs after a reduction during which no epoch counts towards <see cref="Patience"/>.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate set.</summary>
    public double MinLr { get; }

    /// <summary>The best monitored value so far (±infinity before any).</summary>
    public double Best { get; private set; }

    /// <summary>Epochs counted towards <see cref="Patience"/>.</summary>
    public int Wait { get; private set; }

    private void Reset()
    {
        Best = greater ? double.NegativeInfinity : double.PositiveInfinity;
        cooldownCounter = 0;
        Wait = 0;
    }

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => Reset();

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A reduction is due and the optimizer's rate follows a schedule (Keras: not settable).</exception>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var model = AttachedModel;
        LearningRates.Log(model, logs);
        if (!logs.TryGetValue(Monitor, out var current))
        {
            Resolve(output).Write($"WARNING: Learning rate reduction is conditioned on metric `{Monitor}` which is not available. Available metrics are: {string.Join(",", logs.Keys)}.\n");
            return;
        }
        if (cooldownCounter > 0)
        {
            cooldownCounter--;
            Wait = 0;
        }
        if (greater ? current > Best + MinDelta : current < Best - MinDelta)
        {
            Best = current;
            Wait = 0;
        }
        else if (cooldownCounter <= 0)
        {
            Wait++;
            if (Wait >= Patience)
            {
                double old = LearningRates.Current(model);
                if (old > (float)MinLr)
                {
                    double rate = Math.Max(old * Factor, MinLr);
                    LearningRates.Set(model, rate);
                    if (Verbose > 0)
                        Resolve(output).Write($"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {PyFormat.Repr(rate)}.\n");
                    cooldownCounter = Cooldown;
                    Wait = 0;
                }
            }
        }
    }
}

/// <summary>How the learning-rate callbacks read, set and log a model's rate, as Keras 3 does.</summary>
internal static class LearningRates
{
    /// <summary>The optimizer's rate as Keras reads it (<c>float(optimizer.learning_rate)</c>: the float32 value as a double).</summary>
    /// <exception cref="InvalidOperationException">Not compiled.</exception>
    public static double Current(Model model) => model.LearningRate;

    /// <summary>Sets a constant rate, kept as the optimizer's float.</summary>
    /// <exception cref="InvalidOperationException">Not compiled, or the rate follows a schedule.</exception>
    public static void Set(Model model, double rate)
    {
        var optimizer = model.Optimizer ?? throw new InvalidOperationException($"Model \"{model.Name}\" has no optimizer: call `Compile()` first.");
        if (optimizer.Schedule is not null)
            throw new InvalidOperationException($"Model \"{model.Name}\": this optimizer was created with a `LearningRateSchedule` object as its `learning_rate` constructor argument, hence its learning rate is not settable. If you need the learning rate to be settable, you should instantiate the optimizer with a float `learning_rate` argument.");
        model.Optimizer = optimizer with { LearningRate = (float)rate };
    }

    /// <summary>Adds <c>learning_rate</c> to the epoch's logs (the dictionary <c>Fit</c> passes, which the callbacks after this one and <see cref="History"/> see).</summary>
    public static void Log(Model model, IReadOnlyDictionary<string, double> logs)
    {
        if (logs is IDictionary<string, double> writable) writable["learning_rate"] = Current(model);
    }
}
