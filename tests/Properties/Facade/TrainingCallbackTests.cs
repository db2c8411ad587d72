using System.Globalization;
using System.Text.RegularExpressions;
using DeepGraph.Keras;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Facade;

/// <summary>
/// The training-loop pieces <c>Fit</c> drives, checked against tf.keras 2.x's output and semantics:
/// the progress bar's text, EarlyStopping, ModelCheckpoint, History, TerminateOnNaN, LambdaCallback.
/// Hooks are called by hand here, as <c>Fit</c> would call them.
/// </summary>
public sealed class TrainingCallbackTests
{
    private static readonly IReadOnlyDictionary<string, double> NoLogs = new Dictionary<string, double>();

    private static IReadOnlyDictionary<string, double> Logs(params (string Key, double Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value);

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class Clock
    {
        public double Now;
        public Func<double> Read => () => Now;
    }

    // ---------------------------------------------------------------- progress bar, verbose 1

    private static string RunTenSteps(bool interactive)
    {
        var clock = new Clock();
        var output = new StringWriter();
        var bar = new ProgressBar(10, output, verbose: 1, interactive: interactive, clock: clock.Read);
        clock.Now = 2.0;
        bar.Update(1, [("loss", 0.5), ("accuracy", 0.25)]);
        clock.Now = 2.02; // within Keras's 0.05 s: not drawn
        bar.Update(2, [("loss", 0.45), ("accuracy", 0.3)]);
        clock.Now = 10.0;
        bar.Update(5, [("loss", 0.4), ("accuracy", 0.5)]);
        clock.Now = 18.0;
        bar.Update(9, [("loss", 0.35), ("accuracy", 0.75)]);
        clock.Now = 20.0;
        bar.Update(10, [("loss", 0.3012), ("accuracy", 0.8921), ("val_loss", 0.00042), ("val_accuracy", 0.9)], finalize: true);
        return output.ToString();
    }

    [Fact]
    public void Interactive_verbose_1_redraws_in_place_with_eta_and_ends_the_epoch_with_time_per_step()
    {
        // Per step: (now - time after step 1) / (steps - 1) = 2 s; ETA = 2 s × steps left, truncated.
        // The third line is one character shorter than the second ("2s" after "10s"): padded with a space.
        Assert.Equal(
            "\r 1/10 [==>...........................] - ETA: 18s - loss: 0.5000 - accuracy: 0.2500" +
            "\r 5/10 [==============>...............] - ETA: 10s - loss: 0.4000 - accuracy: 0.5000" +
            "\r 9/10 [==========================>...] - ETA: 2s - loss: 0.3500 - accuracy: 0.7500 " +
            "\r10/10 [==============================] - 20s 2s/step - loss: 0.3012 - accuracy: 0.8921 - val_loss: 4.2000e-04 - val_accuracy: 0.9000\n",
            RunTenSteps(interactive: true));
    }

    [Fact]
    public void Redirected_verbose_1_prints_one_line_per_epoch_without_carriage_returns()
    {
        Assert.Equal(
            "10/10 [==============================] - 20s 2s/step - loss: 0.3012 - accuracy: 0.8921 - val_loss: 4.2000e-04 - val_accuracy: 0.9000\n",
            RunTenSteps(interactive: false));
    }

    private static string RunEpoch(int target, double firstStepAt, double stepTime, bool interactive = false, int verbose = 1,
        IReadOnlyList<(string, double)>? values = null)
    {
        values ??= [("loss", 0.3012), ("accuracy", 0.8921)];
        var clock = new Clock();
        var output = new StringWriter();
        var bar = new ProgressBar(target, output, verbose, interactive, clock.Read);
        clock.Now = firstStepAt;
        for (int step = 1; step <= target; step++)
        {
            bar.Update(step, values, finalize: false);
            clock.Now = firstStepAt + step * stepTime;
        }
        clock.Now = firstStepAt + (target - 1) * stepTime;
        bar.Update(target, values, finalize: true);
        return output.ToString();
    }

    [Fact]
    public void The_mnist_epoch_line_reads_as_keras_prints_it()
    {
        Assert.Equal("469/469 [==============================] - 4s 8ms/step - loss: 0.3012 - accuracy: 0.8921\n",
            RunEpoch(469, firstStepAt: 0.5, stepTime: 0.008));
    }

    [Fact]
    public void Time_per_step_is_shown_in_seconds_milliseconds_or_microseconds_as_keras_chooses()
    {
        Assert.EndsWith("] - 6s 3s/step - loss: 0.3012 - accuracy: 0.8921\n", RunEpoch(2, firstStepAt: 3, stepTime: 3));
        Assert.EndsWith("] - 2s 1s/step - loss: 0.3012 - accuracy: 0.8921\n", RunEpoch(3, firstStepAt: 0.2, stepTime: 1.0));
        Assert.EndsWith("] - 1s 999ms/step - loss: 0.3012 - accuracy: 0.8921\n", RunEpoch(2, firstStepAt: 0.2, stepTime: 0.999));
        Assert.EndsWith("] - 0s 50us/step - loss: 0.3012 - accuracy: 0.8921\n", RunEpoch(1000, firstStepAt: 0.001, stepTime: 0.00005));
        Assert.EndsWith("] - 0s 0s/step - loss: 0.3012 - accuracy: 0.8921\n", RunEpoch(5, firstStepAt: 0, stepTime: 0));
        Assert.Equal(" 4s/epoch", ProgressBar.FormatTime(3.752, "epoch"));
        Assert.Equal(" 8ms/step", ProgressBar.FormatTime(0.008, "step"));
        Assert.Equal(" 1000ms/step", ProgressBar.FormatTime(0.9996, "step")); // Keras picks the unit before rounding
        Assert.Equal(" 1us/step", ProgressBar.FormatTime(1e-6, "step"));
    }

    [Fact]
    public void Values_above_a_thousandth_take_four_decimals_and_smaller_ones_scientific_notation()
    {
        var line = RunEpoch(3, 1, 1, values: [("loss", 0.0005), ("a", 0.001), ("b", 0.0011), ("c", -0.5), ("d", -0.0005), ("e", 12345.678), ("f", 0.0), ("g", double.NaN), ("h", double.PositiveInfinity)]);
        Assert.EndsWith(" - loss: 5.0000e-04 - a: 1.0000e-03 - b: 0.0011 - c: -0.5000 - d: -5.0000e-04 - e: 12345.6780 - f: 0.0000e+00 - g: nan - h: inf\n", line);
    }

    [Fact]
    public void Eta_is_truncated_and_shown_as_seconds_minutes_or_hours()
    {
        Assert.Equal("59s", ProgressBar.FormatEta(59.99));
        Assert.Equal("60s", ProgressBar.FormatEta(60));
        Assert.Equal("1:05", ProgressBar.FormatEta(65.7));
        Assert.Equal("1:01:05", ProgressBar.FormatEta(3665.2));
        Assert.Equal("27:46:38", ProgressBar.FormatEta(99998));

        var clock = new Clock();
        var output = new StringWriter();
        var bar = new ProgressBar(100, output, 1, interactive: true, clock.Read);
        clock.Now = 1;
        bar.Update(1, []);
        Assert.Equal("\r  1/100 [..............................] - ETA: 1:39", output.ToString());
    }

    [Fact]
    public void The_first_step_is_left_out_of_the_time_per_step_once_there_are_more()
    {
        // Step 1 takes 10 s (graph tracing, in Keras); the next 4 take 1 s each: 1s/step, not 3s/step.
        var clock = new Clock();
        var output = new StringWriter();
        var bar = new ProgressBar(5, output, 1, interactive: false, clock.Read);
        for (int step = 1; step <= 5; step++)
        {
            clock.Now = 10 + (step - 1);
            bar.Update(step, [("loss", 1.0)]);
        }
        bar.Update(5, [("loss", 1.0)], finalize: true);
        Assert.Equal("5/5 [==============================] - 14s 1s/step - loss: 1.0000\n", output.ToString());
    }

    // ---------------------------------------------------------------- progress bar, verbose 2

    [Fact]
    public void Verbose_2_prints_one_line_at_the_end_with_epoch_and_step_times()
    {
        var clock = new Clock();
        var output = new StringWriter();
        var bar = new ProgressBar(469, output, verbose: 2, interactive: true, clock.Read);
        for (int step = 1; step < 469; step++)
        {
            clock.Now = step * 0.008;
            bar.Update(step, [("loss", 0.5), ("accuracy", 0.5)]);
        }
        Assert.Equal("", output.ToString());
        clock.Now = 3.752;
        bar.Update(469, [("loss", 0.3012), ("accuracy", 0.8921)], finalize: true);
        Assert.Equal("469/469 - 4s - loss: 0.3012 - accuracy: 0.8921 - 4s/epoch - 8ms/step\n", output.ToString());
    }

    [Fact]
    public void Verbose_2_shows_negative_values_in_scientific_notation_as_keras_does()
    {
        // Keras's verbose-2 branch tests "avg > 1e-3" without abs().
        Assert.Equal("3/3 - 1s - loss: -5.0000e-01 - accuracy: 0.5000 - 1s/epoch - 333ms/step\n",
            RunEpoch(3, 0.5, 0.25, verbose: 2, values: [("loss", -0.5), ("accuracy", 0.5)]));
    }

    [Fact]
    public void Verbose_0_prints_nothing_and_the_epoch_header_follows_keras()
    {
        Assert.Equal("", RunEpoch(3, 1, 1, verbose: 0));

        var output = new StringWriter();
        ProgressBar.WriteEpochHeader(output, verbose: 1, epoch: 2, epochs: 10);
        ProgressBar.WriteEpochHeader(output, verbose: 2, epoch: 0, epochs: 2);
        ProgressBar.WriteEpochHeader(output, verbose: 1, epoch: 0, epochs: 1); // one epoch: no header
        ProgressBar.WriteEpochHeader(output, verbose: 0, epoch: 0, epochs: 5);
        Assert.Equal("Epoch 3/10\nEpoch 1/2\n", output.ToString());
    }

    [Fact]
    public void Only_the_console_on_a_terminal_is_interactive()
    {
        Assert.False(ProgressBar.IsInteractive(new StringWriter()));
        Assert.Equal(!Console.IsOutputRedirected, ProgressBar.IsInteractive(Console.Out));
    }

    // ---------------------------------------------------------------- Python number formatting

    [Fact]
    public void Numbers_are_formatted_and_rounded_as_python_formats_them()
    {
        Assert.Equal("1.0312", PyFormat.Fixed(1.03125, 4)); // an exact tie rounds to even, as Python
        Assert.Equal("2", PyFormat.Fixed(2.5, 0));
        Assert.Equal("4", PyFormat.Fixed(3.5, 0));
        Assert.Equal("-0.0000", PyFormat.Fixed(-0.00001, 4));
        Assert.Equal("inf", PyFormat.Fixed(double.PositiveInfinity, 5));
        Assert.Equal("-5.0000e-04", PyFormat.Exponent(-0.0005, 4));
        Assert.Equal("0.0000e+00", PyFormat.Exponent(0, 4));
        Assert.Equal("1.0000e+05", PyFormat.Exponent(99999.5, 4));
        Assert.Equal("1.0", PyFormat.Repr(1.0));
        Assert.Equal("0.0001", PyFormat.Repr(0.0001));
        Assert.Equal("1e-05", PyFormat.Repr(1e-5));
        Assert.Equal("1e+16", PyFormat.Repr(1e16));
        Assert.Equal("1234567890123456.0", PyFormat.Repr(1234567890123456.0));
        Assert.Equal("1.2345678901234568e+17", PyFormat.Repr(123456789012345678.0));
        Assert.Equal("0.30000000000000004", PyFormat.Repr(0.1 + 0.2));

        // Python: '{epoch:02d}-{val_loss:.2f}-…'.format(epoch=3, val_loss=0.12345, a=12345.678, …)
        var values = new Dictionary<string, object> { ["epoch"] = 3, ["val_loss"] = 0.12345, ["a"] = 12345.678, ["b"] = 0.8921, ["c"] = 1e-5, ["d"] = 1e16, ["e"] = 0.1 + 0.2, ["f"] = 100.0, ["g"] = 0.5, ["h"] = 1234567.0, ["i"] = 1234567.891 };
        Assert.Equal("03-0.12-1.235e+04-89.2%-   3-1e-05-1e+16-0.30000000000000004-1e+02-0.5-1.23457e+06-1,234,567.89-003-       1e-05-{x}",
            PyFormat.Format("{epoch:02d}-{val_loss:.2f}-{a:.3e}-{b:.1%}-{epoch:>4}-{c}-{d}-{e}-{f:.3}-{g:.3}-{h:g}-{i:,.2f}-{epoch:03}-{c!r:>12}-{{x}}",
                k => values.GetValueOrDefault(k)));
        Assert.Throws<KeyNotFoundException>(() => PyFormat.Format("{missing}", _ => null));
        Assert.Throws<FormatException>(() => PyFormat.Format("a}b", _ => null));
        Assert.Throws<FormatException>(() => PyFormat.Format("{loss:d}", _ => 0.5)); // Python: Unknown format code 'd' for object of type 'float'
    }

    [Property(MaxTest = 500)]
    public bool Repr_round_trips_and_fixed_and_exponent_are_within_half_a_unit_of_the_last_digit(double x)
    {
        if (!double.IsFinite(x)) return true;
        var inv = CultureInfo.InvariantCulture;
        bool repr = double.Parse(PyFormat.Repr(x), inv) == x;
        bool fixedOk = Math.Abs(x) > 1e12 || Math.Abs(double.Parse(PyFormat.Fixed(x, 4), inv) - x) <= 0.5e-4 * (1 + 1e-9) + Math.Abs(x) * 1e-15;
        bool exponent = x == 0 || Math.Abs(x) > 1e300 /* 1.7977e+308 parses as infinity */ || Math.Abs(double.Parse(PyFormat.Exponent(x, 4), inv) - x) <= Math.Abs(x) * 0.5e-4 * 1.0000001;
        return repr && fixedOk && exponent;
    }

    // ---------------------------------------------------------------- EarlyStopping

    private static Model SmallModel()
    {
        Backend.ClearSession();
        var input = Input(shape: [2]);
        return new Model(input, Dense(1).Call(input));
    }

    private static Tensor[] Weights(float k) => [Tensor.FromArray([k, k], [2, 1]), Tensor.FromArray([k], [1])];

    /// <summary>Runs epochs as Fit does: weights <c>Weights(epoch)</c> during epoch <c>epoch</c>, <paramref name="values"/> of <paramref name="key"/> at its end; stops when asked.</summary>
    private static int RunEpochs(Callback callback, Model model, string key, params double[] values)
    {
        callback.Model = model;
        model.StopTraining = false;
        callback.OnTrainBegin(NoLogs);
        int epochsRun = 0;
        IReadOnlyDictionary<string, double> logs = NoLogs;
        for (int epoch = 0; epoch < values.Length && !model.StopTraining; epoch++)
        {
            callback.OnEpochBegin(epoch, NoLogs);
            model.SetWeights(Weights(epoch));
            logs = Logs(("loss", 1.0), (key, values[epoch]));
            callback.OnEpochEnd(epoch, logs);
            epochsRun++;
        }
        callback.OnTrainEnd(logs);
        return epochsRun;
    }

    [Fact]
    public void Early_stopping_stops_after_patience_epochs_without_improvement()
    {
        var model = SmallModel();
        var stop = new EarlyStopping(monitor: "val_loss", patience: 2);
        Assert.Equal(4, RunEpochs(stop, model, "val_loss", 1.0, 0.9, 0.95, 0.92, 0.5, 0.4));
        Assert.True(model.StopTraining);
        Assert.Equal(3, stop.StoppedEpoch);
        Assert.Equal(0.9, stop.Best);
        Assert.Equal(1, stop.BestEpoch);

        // Reused: OnTrainBegin resets it; improving every epoch never stops.
        Assert.Equal(4, RunEpochs(stop, model, "val_loss", 4, 3, 2, 1));
        Assert.False(model.StopTraining);
        Assert.Equal(0, stop.StoppedEpoch);

        // patience 0 stops at the first epoch without improvement, but never after epoch 0.
        var eager = new EarlyStopping(monitor: "val_loss");
        Assert.Equal(3, RunEpochs(eager, model, "val_loss", 1.0, 0.5, 0.5, 0.1));
        Assert.Equal(2, eager.StoppedEpoch);
    }

    [Fact]
    public void Early_stopping_counts_a_change_below_min_delta_as_no_improvement()
    {
        var model = SmallModel();
        var stop = new EarlyStopping(monitor: "loss_x", minDelta: -0.1, patience: 1); // the sign is ignored, as Keras's abs()
        Assert.Equal(2, RunEpochs(stop, model, "loss_x", 1.0, 0.95, 0.5));
        Assert.Equal(1, stop.StoppedEpoch);
        Assert.Equal(1.0, stop.Best);

        var enough = new EarlyStopping(monitor: "loss_x", minDelta: 0.1, patience: 1);
        Assert.Equal(3, RunEpochs(enough, model, "loss_x", 1.0, 0.89, 0.78));
        Assert.Equal(0, enough.StoppedEpoch);
        Assert.Equal(0.78, enough.Best);
    }

    [Fact]
    public void Early_stopping_maximizes_accuracy_and_auc_in_auto_mode()
    {
        Assert.True(new EarlyStopping("val_accuracy").MaximizesMonitor);
        Assert.True(new EarlyStopping("acc").MaximizesMonitor);
        Assert.True(new EarlyStopping("val_auc").MaximizesMonitor);
        Assert.False(new EarlyStopping("val_loss").MaximizesMonitor);
        Assert.False(new EarlyStopping("val_accuracy", mode: "min").MaximizesMonitor);
        Assert.True(new EarlyStopping("val_loss", mode: "max").MaximizesMonitor);

        var model = SmallModel();
        var stop = new EarlyStopping(monitor: "val_accuracy", patience: 2, minDelta: 0.01);
        Assert.Equal(4, RunEpochs(stop, model, "val_accuracy", 0.5, 0.6, 0.605, 0.58, 0.9));
        Assert.Equal(3, stop.StoppedEpoch);
        Assert.Equal(0.6, stop.Best);

        var warnings = new StringWriter();
        Assert.True(new EarlyStopping("val_accuracy", mode: "sideways", output: warnings).MaximizesMonitor);
        Assert.Equal("WARNING: EarlyStopping mode sideways is unknown, fallback to auto mode.\n", warnings.ToString());
    }

    [Fact]
    public void Early_stopping_with_a_baseline_restarts_the_wait_only_for_epochs_that_beat_it()
    {
        var model = SmallModel();
        // Never better than the baseline: the wait keeps counting from epoch 0, and stops at the first non-improving epoch past patience.
        var stop = new EarlyStopping(monitor: "val_loss", patience: 2, baseline: 0.5);
        Assert.Equal(2, RunEpochs(stop, model, "val_loss", 0.9, 0.95, 0.97, 0.1));
        Assert.Equal(1, stop.StoppedEpoch);

        // Beating the baseline at epoch 1 restarts the wait.
        var beaten = new EarlyStopping(monitor: "val_loss", patience: 2, baseline: 0.5);
        Assert.Equal(4, RunEpochs(beaten, model, "val_loss", 0.6, 0.4, 0.45, 0.45, 0.1));
        Assert.Equal(3, beaten.StoppedEpoch);
    }

    [Fact]
    public void Early_stopping_restores_the_weights_of_the_best_epoch_and_says_so()
    {
        var model = SmallModel();
        var output = new StringWriter();
        var stop = new EarlyStopping(monitor: "val_loss", patience: 2, verbose: 1, restoreBestWeights: true, output: output);
        Assert.Equal(4, RunEpochs(stop, model, "val_loss", 1.0, 0.5, 0.7, 0.8, 0.1));
        Assert.Equal(Weights(1), model.GetWeights());
        Assert.Equal("Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n", output.ToString());

        // Not stopped: the best epoch's weights are still put back when training ends.
        var output2 = new StringWriter();
        var quiet = new EarlyStopping(monitor: "val_loss", patience: 5, verbose: 1, restoreBestWeights: true, output: output2);
        Assert.Equal(3, RunEpochs(quiet, model, "val_loss", 0.3, 0.2, 0.25));
        Assert.Equal(Weights(1), model.GetWeights());
        Assert.Equal("Restoring model weights from the end of the best epoch: 2.\n", output2.ToString());

        // Without restoreBestWeights the last weights stay.
        RunEpochs(new EarlyStopping(monitor: "val_loss", patience: 1), model, "val_loss", 0.3, 0.2, 0.25);
        Assert.Equal(Weights(2), model.GetWeights());
    }

    [Fact]
    public void Early_stopping_waits_for_start_from_epoch()
    {
        var model = SmallModel();
        var stop = new EarlyStopping(monitor: "val_loss", patience: 1, startFromEpoch: 3, restoreBestWeights: true);
        Assert.Equal(5, RunEpochs(stop, model, "val_loss", 0.1, 0.9, 0.9, 0.8, 0.85, 0.1));
        Assert.Equal(4, stop.StoppedEpoch);
        Assert.Equal(0.8, stop.Best);
        Assert.Equal(Weights(3), model.GetWeights()); // epoch 0 was best but not watched
    }

    [Fact]
    public void Early_stopping_on_a_missing_key_warns_once_and_never_stops()
    {
        var model = SmallModel();
        var output = new StringWriter();
        var stop = new EarlyStopping(monitor: "val_loss", output: output);
        Assert.Equal(4, RunEpochs(stop, model, "accuracy", 0.5, 0.4, 0.3, 0.2));
        Assert.False(model.StopTraining);
        Assert.Equal("WARNING: Early stopping conditioned on metric `val_loss` which is not available. Available metrics are: loss,accuracy\n", output.ToString());
    }

    [Fact]
    public void A_callback_driven_without_a_model_says_so()
    {
        var stop = new EarlyStopping(monitor: "loss", patience: 0);
        stop.OnTrainBegin(NoLogs);
        stop.OnEpochEnd(0, Logs(("loss", 1.0)));
        var error = Assert.Throws<InvalidOperationException>(() => stop.OnEpochEnd(1, Logs(("loss", 2.0))));
        Assert.Contains("EarlyStopping is not attached to a model", error.Message);
    }

    // ---------------------------------------------------------------- ModelCheckpoint

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("deepgraph-ckpt-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    [Fact]
    public void Checkpoint_paths_are_formatted_from_the_one_based_epoch_and_the_logs()
    {
        using var dir = new TempDir();
        var model = SmallModel();
        var output = new StringWriter();
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "ckpt", "model-{epoch:02d}-{val_loss:.2f}.json"), verbose: 1, output: output) { Model = model };
        checkpoint.OnTrainBegin(NoLogs);
        model.SetWeights(Weights(7));
        checkpoint.OnEpochEnd(2, Logs(("loss", 0.5), ("val_loss", 0.41666)));

        var saved = Path.Combine(dir.Path, "ckpt", "model-03-0.42.json");
        Assert.True(File.Exists(saved));
        Assert.Matches("^model-03-0\\.42\\.weights\\.[0-9a-f]{16}\\.bin$", Models.WeightsFileName(saved));
        Assert.True(File.Exists(Path.Combine(dir.Path, "ckpt", Models.WeightsFileName(saved))));
        Assert.Equal(saved, checkpoint.LastSavedPath);
        Assert.Equal(Weights(7), Models.LoadModel(saved).GetWeights());
        Assert.Equal($"\nEpoch 3: saving model to {saved}\n", output.ToString());

        Assert.Equal("e12.json", new ModelCheckpoint("e{epoch}.json").FormatPath(11, NoLogs));
        var error = Assert.Throws<KeyNotFoundException>(() => new ModelCheckpoint("m-{val_los:.2f}.json").FormatPath(0, Logs(("val_loss", 1))));
        Assert.Equal("Failed to format this callback filepath: \"m-{val_los:.2f}.json\". Reason: 'val_los'", error.Message);
    }

    [Fact]
    public void Checkpoint_with_save_best_only_saves_only_improvements()
    {
        using var dir = new TempDir();
        var model = SmallModel();
        var output = new StringWriter();
        var pattern = Path.Combine(dir.Path, "best-{epoch}.json");
        var checkpoint = new ModelCheckpoint(pattern, monitor: "val_loss", verbose: 1, saveBestOnly: true, output: output);
        RunEpochs(checkpoint, model, "val_loss", 0.5, 0.6, 0.4, 0.4);

        Assert.Equal(["best-1.json", "best-1.weights.bin", "best-3.json", "best-3.weights.bin"],
            Directory.GetFiles(dir.Path).Select(f => Regex.Replace(Path.GetFileName(f), @"\.weights\.[0-9a-f]{16}\.bin$", ".weights.bin")).Order(StringComparer.Ordinal));
        Assert.Equal(Weights(2), Models.LoadModel(Path.Combine(dir.Path, "best-3.json")).GetWeights());
        Assert.Equal(0.4, checkpoint.Best);
        Assert.Equal(
            $"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {Path.Combine(dir.Path, "best-1.json")}\n" +
            "\nEpoch 2: val_loss did not improve from 0.50000\n" +
            $"\nEpoch 3: val_loss improved from 0.50000 to 0.40000, saving model to {Path.Combine(dir.Path, "best-3.json")}\n" +
            "\nEpoch 4: val_loss did not improve from 0.40000\n",
            output.ToString());
    }

    [Fact]
    public void Checkpoint_on_accuracy_keeps_the_highest_and_one_fixed_path_is_overwritten()
    {
        using var dir = new TempDir();
        var model = SmallModel();
        var path = Path.Combine(dir.Path, "best.json");
        var checkpoint = new ModelCheckpoint(path, monitor: "val_accuracy", saveBestOnly: true, saveWeightsOnly: true);
        RunEpochs(checkpoint, model, "val_accuracy", 0.5, 0.7, 0.6);
        Assert.Equal(0.7, checkpoint.Best);
        Assert.Equal(Weights(1), Models.LoadModel(path).GetWeights());
    }

    [Fact]
    public void Checkpoint_with_save_best_only_and_no_monitored_value_warns_once_and_saves_nothing()
    {
        using var dir = new TempDir();
        var model = SmallModel();
        var output = new StringWriter();
        var checkpoint = new ModelCheckpoint(Path.Combine(dir.Path, "m.json"), saveBestOnly: true, output: output);
        RunEpochs(checkpoint, model, "accuracy", 0.5, 0.6);
        Assert.Empty(Directory.GetFiles(dir.Path));
        Assert.Equal("WARNING: Can save best model only with val_loss available, skipping.\n", output.ToString());
    }

    // ---------------------------------------------------------------- History, TerminateOnNaN, LambdaCallback

    [Fact]
    public void History_records_every_epoch_log_in_key_order()
    {
        var history = new History();
        history.OnTrainBegin(NoLogs);
        history.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 0.9, ["accuracy"] = 0.5, ["val_loss"] = 1.0, ["val_accuracy"] = 0.4 });
        history.OnEpochEnd(1, new Dictionary<string, double> { ["loss"] = 0.7, ["accuracy"] = 0.6, ["val_loss"] = 0.8, ["val_accuracy"] = 0.55 });

        Assert.Equal([0, 1], history.Epoch);
        Assert.Equal(["loss", "accuracy", "val_loss", "val_accuracy"], history.HistoryData.Keys);
        Assert.Equal([0.4, 0.55], history.HistoryData["val_accuracy"]);
        Assert.Equal([0.9, 0.7], history["loss"]);
        Assert.Equal(4, history.HistoryData.Count);
        Assert.True(history.HistoryData.TryGetValue("accuracy", out var accuracy) && accuracy.SequenceEqual([0.5, 0.6]));
        var error = Assert.Throws<KeyNotFoundException>(() => history["acc"]);
        Assert.Contains("[loss, accuracy, val_loss, val_accuracy]", error.Message);
        Assert.IsNotType<List<double>>(history["loss"]);

        // As in Keras, a new training clears the epoch list but appends to the values.
        history.OnTrainBegin(NoLogs);
        history.OnEpochEnd(0, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.Equal([0], history.Epoch);
        Assert.Equal([0.9, 0.7, 0.5], history["loss"]);
    }

    [Fact]
    public void Terminate_on_nan_stops_on_a_nan_or_infinite_batch_loss()
    {
        var model = SmallModel();
        var output = new StringWriter();
        var terminate = new TerminateOnNaN(output) { Model = model };
        terminate.OnTrainBatchEnd(0, Logs(("loss", 0.5)));
        terminate.OnTrainBatchEnd(1, Logs(("accuracy", double.NaN)));
        Assert.False(model.StopTraining);
        terminate.OnTrainBatchEnd(7, Logs(("loss", double.NaN)));
        Assert.True(model.StopTraining);
        model.StopTraining = false;
        terminate.OnTrainBatchEnd(8, Logs(("loss", double.NegativeInfinity)));
        Assert.True(model.StopTraining);
        Assert.Equal("Batch 7: Invalid loss, terminating training\nBatch 8: Invalid loss, terminating training\n", output.ToString());
    }

    [Fact]
    public void Lambda_callback_calls_the_delegates_it_was_given()
    {
        var calls = new List<string>();
        var callback = new LambdaCallback(
            onEpochBegin: (e, _) => calls.Add($"epoch begin {e}"),
            onEpochEnd: (e, logs) => calls.Add($"epoch end {e} {logs["loss"]}"),
            onBatchBegin: (b, _) => calls.Add($"batch begin {b}"),
            onBatchEnd: (b, logs) => calls.Add($"batch end {b} {logs["loss"]}"),
            onTrainBegin: _ => calls.Add("train begin"),
            onTrainEnd: logs => calls.Add($"train end {logs.Count}"));
        callback.OnTrainBegin(NoLogs);
        callback.OnEpochBegin(0, NoLogs);
        callback.OnTrainBatchBegin(0, NoLogs);
        callback.OnTrainBatchEnd(0, Logs(("loss", 2)));
        callback.OnTestBatchEnd(0, Logs(("loss", 3))); // no delegate for test batches
        callback.OnEpochEnd(0, Logs(("loss", 1)));
        callback.OnTrainEnd(Logs(("loss", 1)));
        Assert.Equal(["train begin", "epoch begin 0", "batch begin 0", "batch end 0 2", "epoch end 0 1", "train end 1"], calls);

        var empty = new LambdaCallback();
        empty.OnEpochEnd(0, NoLogs); // does nothing
    }
}
