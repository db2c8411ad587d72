using DeepGraph.Core;
using DeepGraph.Keras;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The optimizer state written into a <c>.keras</c> (Keras 3's <c>optimizer/vars</c>) or a legacy <c>.h5</c> (OptimizerV2's
/// <c>optimizer_weights</c>) reads back as the same state, bit for bit, for every optimizer DeepGraph has, with and without
/// a learning-rate schedule, over models whose trainable weights differ in number, shape and layer kind.
/// </summary>
public class OptimizerStateRoundTripTests
{
    private static Core.Model Build(int architecture)
    {
        Backend.ClearSession();
        Keras.Model model = architecture switch
        {
            0 => new Sequential([Input(shape: [5]), Dense(4, activation: "relu"), Dense(2)]),
            1 => new Sequential([Input(shape: [5, 5, 1]), Conv2D(3, 2), BatchNormalization(), Flatten(), Dense(2)]),
            2 => LstmModel(),
            _ => FrozenMiddle(),
        };
        return model.CoreModel;
    }

    private static Keras.Model LstmModel()
    {
        var x = Input(shape: [4, 3]);
        return new Keras.Model(x, Dense(2, name: "out").Call(LSTM(3, name: "rnn").Call(x)), name: "rnn_model");
    }

    /// <summary>A frozen layer between trainable ones: its weights are no trainable variables and get no slots.</summary>
    private static Keras.Model FrozenMiddle()
    {
        var frozen = Dense(3, name: "frozen");
        var model = new Sequential([Input(shape: [4]), Dense(3, name: "first"), frozen, Dense(2, name: "last")]);
        frozen.Trainable = false;
        return model;
    }

    private static Core.Optimizer OptimizerOf(int kind, bool schedule, float rate) => (kind, schedule) switch
    {
        (0, false) => Optimizers.Adam(rate),
        (0, true) => Optimizers.Adam(Schedules.ExponentialDecay(rate, 5, 0.5)),
        (1, false) => Optimizers.SGD(rate, momentum: 0.9),
        (1, true) => Optimizers.SGD(Schedules.ExponentialDecay(rate, 5, 0.5), momentum: 0.5),
        (2, false) => Optimizers.RMSprop(rate),
        (2, true) => Optimizers.RMSprop(Schedules.ExponentialDecay(rate, 5, 0.5), momentum: 0.3),
        (3, false) => Optimizers.RMSprop(rate, momentum: 0.7),
        _ => Optimizers.Adagrad(rate),
    };

    /// <summary>Float values of every kind a slot may hold: zeros of both signs, subnormals, tiny and large magnitudes (non-negative where the update takes the root).</summary>
    private static float[] Values(Random random, int length, bool nonNegative)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            float v = random.Next(8) switch
            {
                0 => 0f,
                1 => -0f,
                2 => float.Epsilon * random.Next(1, 1000),
                _ => (float)(random.NextDouble() * Math.Pow(10, random.Next(-30, 30))),
            };
            values[i] = nonNegative ? Math.Abs(v) : random.Next(2) == 0 ? v : -v;
        }
        return values;
    }

    private sealed record Case(int Architecture, int Kind, bool Schedule, string Format, long Iterations, float Rate, int Seed)
    {
        public override string ToString() => $"architecture {Architecture}, optimizer {Kind}{(Schedule ? " with a schedule" : "")}, {Format}, {Iterations} iterations, rate {Rate}, seed {Seed}";
    }

    private static readonly Gen<Case> Cases =
        from architecture in Gen.Choose(0, 3)
        from kind in Gen.Choose(0, 4)
        from schedule in Gen.Elements(true, false)
        from format in Gen.Elements("keras", "h5")
        from iterations in Gen.Choose(1, int.MaxValue).Select(i => (long)i * (i % 3 == 0 ? 1_000_003 : 1))
        from rate in Gen.Choose(1, 1_000_000).Select(r => r / 1e5f)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(architecture, kind, schedule && kind < 3, format, iterations, rate, seed);

    [Property(MaxTest = 120)]
    public Property The_optimizer_state_written_to_a_keras_file_reads_back_bit_for_bit() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var model = Build(c.Architecture);
            var optimizer = OptimizerOf(c.Kind, c.Schedule, c.Rate);
            var order = OptimizerVariables.TrainableOrder(model);
            var random = new Random(c.Seed);
            // Slot 1 of Adam and slot 0 of RMSprop and Adagrad are rooted by the update: non-negative.
            int rooted = optimizer is Core.Adam ? 1 : optimizer is RmsProp or Core.Adagrad ? 0 : -1;
            var slots = order.Select(w => (IReadOnlyList<float[]>)[.. Enumerable.Range(0, optimizer.SlotCount)
                .Select(k => Values(random, w.Shape.Aggregate(1, (a, d) => a * d), k == rooted))]).ToArray();
            // A legacy .h5 keeps no learning rate (the training_config has it); a schedule has no rate variable.
            float rate = c.Format == "h5" || c.Schedule ? optimizer.LearningRate : c.Rate * 3;
            var written = new OptimizerSnapshot(c.Iterations, rate, slots);
            using var stream = new MemoryStream();
            if (c.Format == "keras") KerasArchive.Write(model, stream, null, null, (optimizer, written));
            else KerasH5.Write(model, stream, null, null, (optimizer, written));
            stream.Position = 0;
            var contents = c.Format == "keras" ? KerasArchive.Read(stream) : KerasH5.Read(stream);
            var (read, why) = KerasOptimizerState.Read(contents.OptimizerState!, optimizer, contents.Model);
            if (read is null) return false.Label($"{c}: {why}");
            bool same = read.Iterations == written.Iterations && BitConverter.SingleToInt32Bits(read.LearningRate) == BitConverter.SingleToInt32Bits(written.LearningRate)
                && read.Slots.Count == written.Slots.Count
                && read.Slots.Zip(written.Slots).All(p => p.First.Count == p.Second.Count
                    && p.First.Zip(p.Second).All(q => q.First.Select(BitConverter.SingleToInt32Bits).SequenceEqual(q.Second.Select(BitConverter.SingleToInt32Bits))));
            var (state, invalid) = OptimizerVariables.Restore(optimizer, contents.Model, read);
            return (same && state is not null && state.Iterations == c.Iterations).Label($"{c}: read back differs ({invalid})");
        });

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData((1L << 53) + 1)]
    public void An_iteration_count_whose_next_steps_cannot_be_counted_exactly_is_not_restored(long iterations)
    {
        // A file may say any int64. At long.MaxValue the next step's count (iterations + 1) overflows to a negative number and
        // Adam's bias correction 1 − β^step becomes infinite: the weights would turn NaN on the first step. Above 2^53 the
        // count is no longer exact in the double the corrections are computed in.
        var model = Build(0);
        var optimizer = Optimizers.Adam(0.01);
        var order = OptimizerVariables.TrainableOrder(model);
        var slots = order.Select(w => (IReadOnlyList<float[]>)[.. Enumerable.Range(0, 2).Select(_ => new float[w.Shape.Aggregate(1, (a, d) => a * d)])]).ToArray();
        var (state, why) = OptimizerVariables.Restore(optimizer, model, new OptimizerSnapshot(iterations, 0.01f, slots));
        Assert.Null(state);
        Assert.Contains("iteration count", why);
        // The largest count allowed is restored.
        Assert.NotNull(OptimizerVariables.Restore(optimizer, model, new OptimizerSnapshot(1L << 53, 0.01f, slots)).State);
    }
}
