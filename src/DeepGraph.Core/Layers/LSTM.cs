using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>LSTM</c>: z = x·kernel + h·recurrent_kernel + bias cut into the gates i, f, c, o; i, f, o =
/// recurrent_activation (sigmoid); c = f∘c + i∘activation(z_c); h = o∘activation(c). Input (batch, steps, features) →
/// (batch, units), or (batch, steps, units) with <c>return_sequences</c>; with <c>return_state</c> also h and c.
/// Weights: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units).
/// </summary>
/// <example><code>new LSTM(128) { Id = id, Name = "lstm" }   // (None, 200, 128) → (None, 128), 131,584 params</code></example>
public sealed record LSTM : RecurrentLayer
{
    /// <summary>An LSTM of <paramref name="units"/> units; the arguments are Keras's (see <see cref="RecurrentLayer"/>).</summary>
    /// <param name="units">The state's size.</param>
    /// <param name="activation">The cell's activation (tanh).</param>
    /// <param name="recurrentActivation">The gates' activation (Keras's default sigmoid; TF.js's hard_sigmoid).</param>
    /// <param name="useBias">Whether the cell adds a bias.</param>
    /// <param name="unitForgetBias">Keras's <c>unit_forget_bias</c>: the forget gate's bias starts at 1.</param>
    /// <param name="returnSequences">Output every step's h.</param>
    /// <param name="returnState">Also output the final h and c.</param>
    /// <param name="goBackwards">Run the steps from last to first.</param>
    /// <param name="stateful">Must be false.</param>
    /// <param name="dropout">Input dropout rate in training: one mask per sample and feature for every step.</param>
    /// <param name="recurrentDropout">State dropout rate (kept; training with a rate in (0, 1) is not supported yet).</param>
    /// <param name="unroll">Accepted and ignored.</param>
    /// <exception cref="ArgumentException">Units not positive, or <paramref name="stateful"/> true.</exception>
    public LSTM(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true, bool unitForgetBias = true,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0, bool unroll = false)
        : base(units, activation, useBias, returnSequences, returnState, goBackwards, stateful, dropout, recurrentDropout, unroll)
    {
        GateActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        UnitForgetBias = unitForgetBias;
    }

    private ActivationFunction GateActivation { get; }

    /// <inheritdoc/>
    public override ActivationFunction RecurrentActivation => GateActivation;

    /// <summary>Keras's <c>unit_forget_bias</c>: the forget gate's bias starts at 1.</summary>
    public bool UnitForgetBias { get; }

    /// <inheritdoc/>
    public override string ClassName => "LSTM";

    /// <inheritdoc/>
    internal override RecurrentCell Cell => RecurrentCell.Lstm;

    /// <inheritdoc/>
    protected override Initializer BiasInitializer => UnitForgetBias ? new UnitForgetBias(Units) : Constant.Zeros;

    /// <summary>
    /// Keras's <c>LSTM</c> config (TF.js's keys and order). <c>recurrent_activation</c> absent means Keras's sigmoid (TF.js
    /// always writes it); <c>unit_forget_bias</c> absent or null means true.
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<LSTM>("LSTM",
        (c, id, name) =>
        {
            var a = ReadCommon(c);
            return new LSTM(a.Units, a.Activation, ActivationFunction.Parse(c.OptionalString("recurrent_activation", "sigmoid")), a.UseBias,
                c.Bool("unit_forget_bias", true), a.ReturnSequences, a.ReturnState, a.GoBackwards, a.Stateful, a.Dropout, a.RecurrentDropout, a.Unroll) { Id = id, Name = name };
        },
        l => l.WriteCommon(l.RecurrentActivation, new JsonObject { ["implementation"] = null }, l.UnitForgetBias, writeUnitForgetBias: true));
}
