using DeepGraph.Core;
using DeepGraph.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Numerics;

/// <summary>
/// The recurrent kernels split the batch between threads, each running every step for its own sequences. Law: with the
/// managed GEMM, forward and backward give the same bits on any number of threads — one sequence (nothing to split),
/// fewer sequences than threads, units that are not a multiple of the vector width, masks and reversed runs included.
/// </summary>
public class RecurrenceThreadSplitTests
{
    private sealed record Case(RecurrentCell Cell, int Batch, int Steps, int Features, int Units, int Threads, bool Backwards, bool Masked, bool Zero, int Seed)
    {
        public override string ToString() => $"{Cell} N={Batch} T={Steps} F={Features} u={Units} threads={Threads} backwards={Backwards} masked={Masked} zeroOutput={Zero} seed={Seed}";
    }

    private static readonly Gen<Case> Cases =
        from cell in Gen.Elements(RecurrentCell.Simple, RecurrentCell.Lstm, RecurrentCell.Gru, RecurrentCell.GruResetAfter)
        from batch in Gen.Elements(1, 2, 3, 5)
        from steps in Gen.Choose(1, 4)
        from features in Gen.Choose(1, 5)
        from units in Gen.Elements(1, 7, 16, 17, 33)
        from threads in Gen.Elements(2, 3, 8)
        from backwards in Gen.Elements(true, false)
        from masked in Gen.Elements(true, false)
        from zero in Gen.Elements(true, false)
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(cell, batch, steps, features, units, threads, backwards, masked, zero, seed);

    private static float[] Random(Random random, int length) => [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    /// <summary>Every output of a forward and backward pass on <paramref name="threads"/> threads, concatenated.</summary>
    private static float[] Run(Case c, int threads)
    {
        var random = new Random(c.Seed);
        var spec = new RecurrenceSpec(c.Cell, c.Batch, c.Steps, c.Features, c.Units, ActivationFunction.Tanh, ActivationFunction.Sigmoid, c.Backwards, c.Zero);
        int n = c.Batch, t = c.Steps, f = c.Features, u = c.Units, g = spec.Width;
        var x = Random(random, n * t * f);
        var kernel = Random(random, f * g);
        var recurrent = Random(random, u * g);
        var bias = Random(random, g);
        var recurrentBias = c.Cell == RecurrentCell.GruResetAfter ? Random(random, g) : [];
        // Each sequence keeps its first step; later steps are masked at random.
        int[] mask = c.Masked ? [.. Enumerable.Range(0, n * t).Select(i => i % t == 0 || random.Next(3) > 0 ? 1 : 0)] : [];
        var initial = Random(random, n * u);
        var initialCell = c.Cell == RecurrentCell.Lstm ? Random(random, n * u) : [];
        var dSequence = Random(random, n * t * u);
        var dLast = Random(random, n * u);
        var dLastCell = c.Cell == RecurrentCell.Lstm ? Random(random, n * u) : [];
        var lengths = spec.TraceLengths();
        float[]? Opt(int i) => lengths[i] == 0 ? null : new float[lengths[i]];
        var trace = new RecurrenceTrace(new float[lengths[0]], new float[lengths[1]], new float[lengths[2]], Opt(3), Opt(4), Opt(5), Opt(6));
        // The input enters the trace in processing order [T, N, F], as the layer puts it.
        for (int s = 0; s < t; s++)
            for (int b = 0; b < n; b++)
                x.AsSpan((b * t + spec.TimeOf(s)) * f, f).CopyTo(trace.X.AsSpan((s * n + b) * f, f));
        var gemm = new ManagedGemm(2);
        var sequence = new float[n * t * u];
        var last = new float[n * u];
        var lastCell = c.Cell == RecurrentCell.Lstm ? new float[n * u] : [];
        Recurrence.Forward(spec, gemm, x, mask, kernel, recurrent, bias, recurrentBias, trace, sequence, last, lastCell,
            default, initial, initialCell, threads);
        var dKernel = new float[kernel.Length];
        var dRecurrent = new float[recurrent.Length];
        var dBias = new float[bias.Length];
        var dRecurrentBias = new float[recurrentBias.Length];
        var dx = new float[x.Length];
        var dInitial = new float[initial.Length];
        var dInitialCell = new float[initialCell.Length];
        Recurrence.Backward(spec, gemm, mask, kernel, recurrent, trace, dSequence, dLast, dLastCell, dKernel, dRecurrent, dBias, dRecurrentBias,
            dx, true, new TensorPool(), default, dInitial, dInitialCell, threads);
        return [.. sequence, .. last, .. lastCell, .. dKernel, .. dRecurrent, .. dBias, .. dRecurrentBias, .. dx, .. dInitial, .. dInitialCell];
    }

    [Property(MaxTest = 150)]
    public Property Forward_and_backward_give_the_same_bits_on_any_number_of_threads() =>
        Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var one = Run(c, 1);
            var many = Run(c, c.Threads);
            bool finite = one.All(float.IsFinite);
            bool same = one.Select(BitConverter.SingleToInt32Bits).SequenceEqual(many.Select(BitConverter.SingleToInt32Bits));
            int at = Enumerable.Range(0, one.Length).FirstOrDefault(i => BitConverter.SingleToInt32Bits(one[i]) != BitConverter.SingleToInt32Bits(many[i]), -1);
            return (finite && same).Label($"{c}: {(finite ? $"results differ between 1 and {c.Threads} threads, first at {at} of {one.Length}: {(at < 0 ? 0 : one[at])} vs {(at < 0 ? 0 : many[at])}" : "a result is not finite")}");
        });
}
