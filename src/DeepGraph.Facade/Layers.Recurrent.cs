using DeepGraph.Core;

namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// Keras's <c>SimpleRNN</c>: h = activation(x·kernel + h·recurrent_kernel + bias) over the steps of
    /// (batch, steps, features) → (batch, units), or (batch, steps, units) with <paramref name="returnSequences"/>.
    /// </summary>
    /// <param name="units">The state's size.</param>
    /// <param name="activation">The activation (Keras's default tanh).</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="returnSequences">Output every step's state, not only the last.</param>
    /// <param name="returnState">Also output the final state (call with <c>CallMany</c>).</param>
    /// <param name="goBackwards">Run the steps from last to first (a sequence output is in that order).</param>
    /// <param name="stateful">Must be false: stateful layers are not supported.</param>
    /// <param name="dropout">Input dropout rate in training: one mask per sample and feature for every step (Keras clips rates into [0, 1]).</param>
    /// <param name="recurrentDropout">State dropout rate (kept in the configuration; training with a rate in (0, 1) is not supported yet).</param>
    /// <param name="unroll">Accepted and ignored (the numbers are the same).</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="inputShape">(steps, features), for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">Units not positive, <paramref name="stateful"/> true, or an unknown activation.</exception>
    public static Layer SimpleRNN(int units, string activation = "tanh", bool useBias = true, bool returnSequences = false, bool returnState = false,
        bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0, bool unroll = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.SimpleRNN(units, ActivationFunction.Parse(activation), useBias, returnSequences, returnState, goBackwards, stateful,
            dropout, recurrentDropout, unroll) { Id = id, Name = "" });

    /// <summary>
    /// Keras's <c>LSTM</c>: gates i, f, c, o from x·kernel + h·recurrent_kernel + bias; c = f∘c + i∘tanh(z_c), h = o∘tanh(c).
    /// (batch, steps, features) → (batch, units), or (batch, steps, units) with <paramref name="returnSequences"/>; with
    /// <paramref name="returnState"/> the outputs are [output, h, c] (call with <c>CallMany</c>).
    /// </summary>
    /// <param name="units">The state's size.</param>
    /// <param name="activation">The cell's activation (tanh).</param>
    /// <param name="recurrentActivation">The gates' activation (Keras's default sigmoid; TF.js's default is hard_sigmoid).</param>
    /// <param name="useBias">Whether a bias is added.</param>
    /// <param name="unitForgetBias">The forget gate's bias starts at 1 (Keras's default).</param>
    /// <param name="returnSequences">Output every step's h, not only the last.</param>
    /// <param name="returnState">Also output the final h and c.</param>
    /// <param name="goBackwards">Run the steps from last to first (a sequence output is in that order).</param>
    /// <param name="stateful">Must be false: stateful layers are not supported.</param>
    /// <param name="dropout">Input dropout rate in training: one mask per sample and feature for every step (Keras clips rates into [0, 1]).</param>
    /// <param name="recurrentDropout">State dropout rate (kept in the configuration; training with a rate in (0, 1) is not supported yet).</param>
    /// <param name="unroll">Accepted and ignored (the numbers are the same).</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="inputShape">(steps, features), for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">Units not positive, <paramref name="stateful"/> true, or an unknown activation.</exception>
    public static Layer LSTM(int units, string activation = "tanh", string recurrentActivation = "sigmoid", bool useBias = true, bool unitForgetBias = true,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0,
        bool unroll = false, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.LSTM(units, ActivationFunction.Parse(activation), ActivationFunction.Parse(recurrentActivation), useBias, unitForgetBias,
            returnSequences, returnState, goBackwards, stateful, dropout, recurrentDropout, unroll) { Id = id, Name = "" });

    /// <summary>
    /// Keras's <c>GRU</c>: gates z, r and the candidate ĥ; h = z∘h + (1 − z)∘ĥ. With <paramref name="resetAfter"/> (Keras's
    /// default) ĥ = tanh(x·W_h + b_h + r∘(h·U_h + b_rh)) and the bias is (2, 3·units); without it (TF.js's only form)
    /// ĥ = tanh(x·W_h + b_h + (r∘h)·U_h).
    /// </summary>
    /// <param name="units">The state's size.</param>
    /// <param name="activation">The candidate's activation (tanh).</param>
    /// <param name="recurrentActivation">The gates' activation (Keras's default sigmoid; TF.js's default is hard_sigmoid).</param>
    /// <param name="useBias">Whether biases are added.</param>
    /// <param name="returnSequences">Output every step's h, not only the last.</param>
    /// <param name="returnState">Also output the final h.</param>
    /// <param name="goBackwards">Run the steps from last to first (a sequence output is in that order).</param>
    /// <param name="stateful">Must be false: stateful layers are not supported.</param>
    /// <param name="dropout">Input dropout rate in training: one mask per sample and feature for every step (Keras clips rates into [0, 1]).</param>
    /// <param name="recurrentDropout">State dropout rate (kept in the configuration; training with a rate in (0, 1) is not supported yet).</param>
    /// <param name="unroll">Accepted and ignored (the numbers are the same).</param>
    /// <param name="resetAfter">Apply the reset gate after the recurrent product (Keras's default true).</param>
    /// <param name="name">The layer's name.</param>
    /// <param name="inputShape">(steps, features), for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">Units not positive, <paramref name="stateful"/> true, or an unknown activation.</exception>
    public static Layer GRU(int units, string activation = "tanh", string recurrentActivation = "sigmoid", bool useBias = true,
        bool returnSequences = false, bool returnState = false, bool goBackwards = false, bool stateful = false, double dropout = 0, double recurrentDropout = 0,
        bool unroll = false, bool resetAfter = true, string? name = null, int[]? inputShape = null) =>
        Make(name, inputShape, id => new Core.GRU(units, ActivationFunction.Parse(activation), ActivationFunction.Parse(recurrentActivation), useBias,
            returnSequences, returnState, goBackwards, stateful, dropout, recurrentDropout, unroll, resetAfter) { Id = id, Name = "" });

    /// <summary>
    /// Keras's <c>Bidirectional</c>: runs <paramref name="layer"/> forward and a copy of it backward (its own weights) and merges
    /// the two: <c>concat</c> (default), <c>sum</c>, <c>mul</c>, <c>ave</c>, or null for the two outputs apart. The layer's own
    /// weights are not used: the wrapper makes <c>forward_NAME</c> and <c>backward_NAME</c> weights.
    /// </summary>
    /// <param name="layer">A SimpleRNN, LSTM or GRU (not yet called).</param>
    /// <param name="mergeMode"><c>concat</c>, <c>sum</c>, <c>mul</c>, <c>ave</c>, or null.</param>
    /// <param name="backwardLayer">The layer to run backward (with the other <c>goBackwards</c>); by default a copy of <paramref name="layer"/>.</param>
    /// <param name="name">The wrapper's name.</param>
    /// <param name="inputShape">(steps, features), for a Sequential model's first layer.</param>
    /// <exception cref="ArgumentException">A layer that is not recurrent, an unknown merge mode, or a backward layer that does not match.</exception>
    public static Layer Bidirectional(Layer layer, string? mergeMode = "concat", Layer? backwardLayer = null, string? name = null, int[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        static RecurrentLayer Recurrent(Layer l, string argument) => l.Record as RecurrentLayer
            ?? throw new ArgumentException($"Please initialize `Bidirectional` layer with a `keras.layers.RNN` instance. Received: {argument}={l.Name} ({l.ClassName})", argument);
        var forward = Recurrent(layer, nameof(layer));
        var backward = backwardLayer is null ? null : Recurrent(backwardLayer, nameof(backwardLayer));
        return Make(name, inputShape, id => new Core.Bidirectional(forward, mergeMode, backward) { Id = id, Name = "" });
    }
}
