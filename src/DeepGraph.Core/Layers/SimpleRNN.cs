using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>SimpleRNN</c>: h = activation(x·kernel + h·recurrent_kernel + bias) at each step, from h = 0.
/// Input (batch, steps, features) → (batch, units), or (batch, steps, units) with <c>return_sequences</c>.
/// Weights: kernel (features, units), recurrent_kernel (units, units), bias (units).
/// </summary>
/// <example><code>new SimpleRNN(8) { Id = id, Name = "simple_rnn" }   // (None, 10, 4) → (None, 8), 4·8 + 8·8 + 8 = 104 params</code></example>
public sealed record SimpleRNN : RecurrentLayer
{
    /// <summary>A simple recurrent layer of <paramref name="units"/> units; the arguments are Keras's (see <see cref="RecurrentLayer"/>).</summary>
    /// <exception cref="ArgumentException">Units not positive, or <paramref name="stateful"/> true.</exception>
    public SimpleRNN(int units, ActivationFunction? activation = null, bool useBias = true, bool returnSequences = false, bool returnState = false,
        bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0, bool unroll = false)
        : base(units, activation, useBias, returnSequences, returnState, goBackwards, stateful, dropout, recurrentDropout, unroll)
    {
    }

    /// <inheritdoc/>
    public override string ClassName => "SimpleRNN";

    /// <inheritdoc/>
    internal override RecurrentCell Cell => RecurrentCell.Simple;

    /// <summary>Keras's <c>SimpleRNN</c> config (TF.js's keys and order).</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<SimpleRNN>("SimpleRNN",
        (c, id, name) =>
        {
            var a = ReadCommon(c);
            return new SimpleRNN(a.Units, a.Activation, a.UseBias, a.ReturnSequences, a.ReturnState, a.GoBackwards, a.Stateful, a.Dropout, a.RecurrentDropout, a.Unroll) { Id = id, Name = name };
        },
        l => l.WriteCommon(null));
}
