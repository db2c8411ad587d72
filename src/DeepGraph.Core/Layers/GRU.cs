using System.Text.Json.Nodes;
using DeepGraph.Numerics;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>GRU</c>, gates z, r, h in the kernels' column blocks: z = ra(x·W_z + h·U_z + b_z), r = ra(x·W_r + h·U_r + b_r),
/// and with <see cref="ResetAfter"/> (Keras's default since 2.3) ĥ = act(x·W_h + b_h + r∘(h·U_h + b_rh)), the bias
/// (2, 3·units) holding the input bias then the recurrent one; without it (TF.js, Keras 1) ĥ = act(x·W_h + b_h +
/// (r∘h)·U_h), bias (3·units). Then h = z∘h + (1 − z)∘ĥ. Input (batch, steps, features) → (batch, units), or
/// (batch, steps, units) with <c>return_sequences</c>.
/// </summary>
/// <example><code>new GRU(6) { Id = id, Name = "gru" }   // (None, 7, 3) → (None, 6), 3·18 + 6·18 + 2·18 = 198 params</code></example>
public sealed record GRU : RecurrentLayer
{
    /// <summary>A GRU of <paramref name="units"/> units; the arguments are Keras's (see <see cref="RecurrentLayer"/>).</summary>
    /// <param name="units">The state's size.</param>
    /// <param name="activation">The candidate's activation (tanh).</param>
    /// <param name="recurrentActivation">The gates' activation (Keras's default sigmoid; TF.js's hard_sigmoid).</param>
    /// <param name="useBias">Whether the cell adds biases.</param>
    /// <param name="returnSequences">Output every step's h.</param>
    /// <param name="returnState">Also output the final h.</param>
    /// <param name="goBackwards">Run the steps from last to first.</param>
    /// <param name="stateful">Must be false.</param>
    /// <param name="dropout">Input dropout rate in training: one mask per sample and feature for every step.</param>
    /// <param name="recurrentDropout">State dropout rate (kept; training with a rate in (0, 1) is not supported yet).</param>
    /// <param name="unroll">Accepted and ignored.</param>
    /// <param name="resetAfter">Apply the reset gate after the recurrent product (Keras's default, true); false is TF.js's only form.</param>
    /// <exception cref="ArgumentException">Units not positive, or <paramref name="stateful"/> true.</exception>
    public GRU(int units, ActivationFunction? activation = null, ActivationFunction? recurrentActivation = null, bool useBias = true,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0,
        bool unroll = false, bool resetAfter = true)
        : base(units, activation, useBias, returnSequences, returnState, goBackwards, stateful, dropout, recurrentDropout, unroll)
    {
        GateActivation = recurrentActivation ?? ActivationFunction.Sigmoid;
        ResetAfter = resetAfter;
    }

    private ActivationFunction GateActivation { get; }

    /// <inheritdoc/>
    public override ActivationFunction RecurrentActivation => GateActivation;

    /// <summary>Keras's <c>reset_after</c>: the reset gate multiplies h·U_h + b_rh (true, Keras's default) rather than h (false, TF.js).</summary>
    public bool ResetAfter { get; }

    /// <inheritdoc/>
    public override string ClassName => "GRU";

    /// <inheritdoc/>
    internal override RecurrentCell Cell => ResetAfter ? RecurrentCell.GruResetAfter : RecurrentCell.Gru;

    /// <inheritdoc/>
    protected override Shape BiasShape => ResetAfter ? Shape.Known(2, 3 * Units) : Shape.Known(3 * Units);

    /// <summary>
    /// Keras's <c>GRU</c> config (TF.js's keys and order). <c>recurrent_activation</c> absent means Keras's sigmoid;
    /// <c>reset_after</c> absent means Keras's true (TF.js always writes false).
    /// </summary>
    public static LayerKind Kind { get; } = LayerKind.Of<GRU>("GRU",
        (c, id, name) =>
        {
            var a = ReadCommon(c);
            return new GRU(a.Units, a.Activation, ActivationFunction.Parse(c.OptionalString("recurrent_activation", "sigmoid")), a.UseBias,
                a.ReturnSequences, a.ReturnState, a.GoBackwards, a.Stateful, a.Dropout, a.RecurrentDropout, a.Unroll, c.Bool("reset_after", true)) { Id = id, Name = name };
        },
        l => l.WriteCommon(l.RecurrentActivation, new JsonObject { ["implementation"] = null, ["reset_after"] = l.ResetAfter }));
}
