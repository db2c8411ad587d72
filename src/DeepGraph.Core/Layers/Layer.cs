namespace DeepGraph.Core;

/// <summary>
/// The stable identity of a layer. Two graph nodes that name the same id are two calls of one
/// layer (a shared layer, one set of weights); two layers with equal records but different ids
/// are different layers that happen to hold the same values.
/// </summary>
public readonly record struct LayerId(long Value)
{
    /// <summary>The number, for debugging.</summary>
    public override string ToString() => $"#{Value}";
}

/// <summary>
/// What a layer's <see cref="Layer.Backward"/> reads and writes for one call: the call's
/// inputs and outputs from the forward pass, what <see cref="Layer.ForwardTrain"/> saved, the
/// gradient of the loss with respect to each output, and the buffers it adds gradients into.
/// </summary>
public sealed class BackwardArgs
{
    /// <summary>The call's inputs, as the forward pass saw them.</summary>
    public required IReadOnlyList<Tensor> Inputs { get; init; }

    /// <summary>The call's outputs, as the forward pass computed them.</summary>
    public required IReadOnlyList<Tensor> Outputs { get; init; }

    /// <summary>What <see cref="Layer.ForwardTrain"/> returned for this call.</summary>
    public required IReadOnlyList<Tensor> Saved { get; init; }

    /// <summary>
    /// d(loss)/d(output k), one per output, with the output's shape. The buffers are the
    /// trainer's and are not read after this call: a layer may use them as scratch (a fused
    /// activation's derivative is applied to them in place).
    /// </summary>
    public required IReadOnlyList<Tensor> OutputGrads { get; init; }

    /// <summary>Buffers to add d(loss)/d(input k) into, with the input's shape; null where no gradient is needed.</summary>
    public required IReadOnlyList<Tensor?> InputGrads { get; init; }

    /// <summary>
    /// Per input, true when <see cref="InputGrads"/>[k] holds no gradient yet and has not been
    /// zeroed: the layer must write every element rather than add. Only layers whose
    /// <see cref="Layer.WritesInputGradients"/> is true are given such buffers; empty means all false.
    /// </summary>
    public IReadOnlyList<bool> InputGradsUnset { get; init; } = [];

    /// <summary>Whether input <paramref name="k"/>'s gradient buffer must be written rather than added to.</summary>
    public bool Unset(int k) => k < InputGradsUnset.Count && InputGradsUnset[k];

    /// <summary>
    /// Buffers to add d(loss)/d(weight i) into, in the order of the layer's weights, each with
    /// the weight's shape; null where none is needed (a frozen layer, a non-trainable weight such
    /// as a moving mean). Empty for a layer without weights.
    /// </summary>
    public required IReadOnlyList<Tensor?> ParamGrads { get; init; }
}

/// <summary>One weight of a built layer: its role (<c>kernel</c>, <c>bias</c>, <c>moving_mean</c> …), value and whether training changes it.</summary>
public sealed record Weight(string Role, Tensor Value, bool Trainable);

/// <summary>
/// An immutable layer record: configuration and, once built, weights. A layer knows how to
/// infer its output shapes from its input shapes (raising <see cref="ShapeError"/> for shapes
/// it cannot take), how to build its weights from a seed, and how many parameters it holds.
/// Equality is by value — class, name, trainability, configuration and weights — and ignores
/// <see cref="Id"/>, which is identity.
/// </summary>
public abstract record Layer
{
    /// <summary>The layer's identity (see <see cref="LayerId"/>).</summary>
    public required LayerId Id { get; init; }

    /// <summary>The layer's name, unique within a model.</summary>
    public required string Name { get; init; }

    /// <summary>When false, training leaves every weight of this layer unchanged and the summary counts them as non-trainable.</summary>
    public bool Trainable { get; init; } = true;

    /// <summary>The Keras class name the summary prints (<c>Dense</c>, <c>Conv2D</c>, <c>Functional</c> …).</summary>
    public abstract string ClassName { get; }

    /// <summary>True once the layer holds its weights (always true for layers without weights).</summary>
    public virtual bool IsBuilt => true;

    /// <summary>
    /// The shapes of the tensors a call on inputs of shapes <paramref name="inputs"/> produces.
    /// A built layer also checks that the inputs fit its weights.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take these shapes.</exception>
    public abstract IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs);

    /// <summary>
    /// The dtypes of the tensors a call on inputs of dtypes <paramref name="inputs"/> produces: one
    /// per output, or a single dtype for every output. The default is float32 for every output
    /// (what Keras's float layers give, int32 inputs included: their ops promote int32 to float32).
    /// Layers that pass their input through (Flatten, Reshape) keep its dtype.
    /// </summary>
    public virtual IReadOnlyList<DType> OutputDTypes(IReadOnlyList<DType> inputs) => [DType.Float32];

    /// <summary>
    /// The dtype the layer computes input <paramref name="index"/> in; float32 unless overridden (an
    /// Embedding takes int32). A walker converts a tensor of another dtype before the call, as
    /// Keras's ops do: int32 and bool become float32 exactly; float32 becomes int32 when its values
    /// are integral and is refused, naming the value, when they are not.
    /// </summary>
    public virtual DType InputDType(int index) => DType.Float32;

    /// <summary>
    /// The layer with its weights made for inputs of shapes <paramref name="inputs"/>, drawn
    /// from <paramref name="seed"/>. A layer already built is returned as it is once its
    /// weights are checked against the inputs.
    /// </summary>
    /// <exception cref="ShapeError">The layer cannot take these shapes.</exception>
    public virtual Layer Build(IReadOnlyList<Shape> inputs, int seed)
    {
        OutputShapes(inputs);
        return this;
    }

    /// <summary>
    /// Computes a call's outputs into <paramref name="outputs"/>, which the executor has
    /// allocated with the shapes <see cref="OutputShapes"/> gives (their contents are undefined),
    /// from <paramref name="inputs"/>, whose shapes have been checked.
    /// </summary>
    public abstract void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs);

    /// <summary>
    /// True when the single output is the single input's values under the output shape
    /// (Flatten, Reshape, Dropout at inference): the executor then passes a view and does not
    /// call <see cref="Forward"/>.
    /// </summary>
    public virtual bool ForwardIsView(ForwardContext context) => false;

    /// <summary>
    /// The forward pass of a training step: computes the outputs as <see cref="Forward"/> does
    /// (with <see cref="ForwardContext.Training"/> set) and returns what <see cref="Backward"/>
    /// will need beyond the inputs and outputs (a pre-activation, a dropout mask, batch
    /// statistics). Saved tensors are rented from <see cref="ForwardContext.Pool"/>; the trainer
    /// gives them back after the backward pass. The default saves nothing.
    /// </summary>
    public virtual IReadOnlyList<Tensor> ForwardTrain(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        Forward(context, inputs, outputs);
        return [];
    }

    /// <summary>
    /// The backward (vector-Jacobian) pass of one call: from the gradient of the loss with
    /// respect to each output, <b>adds</b> the gradient with respect to each input into
    /// <see cref="BackwardArgs.InputGrads"/> and with respect to each weight into
    /// <see cref="BackwardArgs.ParamGrads"/> (both zeroed by the trainer before the first call
    /// that adds into them, so that shared layers and tensors read twice sum their gradients).
    /// A null buffer means that gradient is not needed and need not be computed.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer cannot be trained.</exception>
    /// <remarks>The trainer saves zeroing a buffer when the layer can write its gradient instead (<see cref="WritesInputGradients"/>).</remarks>
    public virtual void Backward(ForwardContext context, BackwardArgs args) =>
        throw new NotSupportedException($"Layer \"{Name}\" ({ClassName}) has no backward pass, so a model containing it cannot be trained.");

    /// <summary>
    /// The record after a training pass's update of the layer's state, from what
    /// <see cref="ForwardTrain"/> saved for one call (BatchNormalization moves its moving statistics
    /// toward the batch's); this record itself when the call changes no state. The default changes none.
    /// The trainer applies the calls' updates in call order, each to the record the previous one gave.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="saved"/> is not what <see cref="ForwardTrain"/> saves for this layer.</exception>
    public virtual Layer WithState(IReadOnlyList<Tensor> saved) => this;

    /// <summary>
    /// True when <see cref="Backward"/> honours <see cref="BackwardArgs.InputGradsUnset"/>: given a
    /// buffer marked unset, it writes the whole gradient instead of adding, so the trainer need not
    /// zero it first (for a tensor only this call reads).
    /// </summary>
    public virtual bool WritesInputGradients => false;

    /// <summary>
    /// Keras's <c>supports_masking</c>: true when the layer accepts inputs that carry a mask and, unless it
    /// overrides <see cref="ComputeMask"/>, passes its first input's mask on to every output (Dense,
    /// Activation, Dropout, normalisations). A layer that does not support masking drops a mask it is given,
    /// as Keras 3 does: the layers after it see none.
    /// </summary>
    public virtual bool SupportsMasking => false;

    /// <summary>
    /// The masks of a call's outputs (one per output, null where an output carries none; empty when none
    /// does), from the call's inputs, its input masks (<see cref="ForwardContext.InputMasks"/>) and its
    /// computed outputs. The default passes the first input's mask on when <see cref="SupportsMasking"/>;
    /// a layer that makes a mask (Embedding with <c>mask_zero</c>, Masking) or changes one (a recurrent layer
    /// without <c>return_sequences</c>, a global pooling, a merge) overrides it. Masks are small bool tensors
    /// the walkers do not pool.
    /// </summary>
    public virtual IReadOnlyList<Tensor?> ComputeMask(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(outputs);
        return SupportsMasking ? Masks.ForEach(context.MaskOf(0), outputs.Count) : [];
    }

    /// <summary>The layer's weights in Keras's order; empty until built.</summary>
    public virtual IReadOnlyList<Weight> Weights => [];

    /// <summary>Total number of scalars in <see cref="Weights"/>.</summary>
    public long ParamCount => Weights.Sum(w => (long)w.Value.Length);

    /// <summary>Value equality that ignores <see cref="Id"/>.</summary>
    public virtual bool Equals(Layer? other) =>
        other is not null && EqualityContract == other.EqualityContract && Name == other.Name && Trainable == other.Trainable;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(EqualityContract, Name, Trainable);

    /// <summary>The single input of a one-input layer.</summary>
    /// <exception cref="ShapeError">There is not exactly one input.</exception>
    protected Shape Single(IReadOnlyList<Shape> inputs)
    {
        if (inputs.Count != 1)
            throw Error($"expects 1 input tensor, but it received {inputs.Count}: {string.Join(", ", inputs)}.");
        return inputs[0];
    }

    /// <summary>Checks that <paramref name="input"/> has rank <paramref name="rank"/>, in Keras's words.</summary>
    protected void RequireRank(Shape input, int rank)
    {
        if (input.Rank != rank)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected ndim={rank}, found ndim={input.Rank}. Full shape received: {input}");
    }

    /// <summary>Checks that <paramref name="input"/> has rank at least <paramref name="rank"/>.</summary>
    protected void RequireMinRank(Shape input, int rank)
    {
        if (input.Rank < rank)
            throw Error($"Input 0 of layer \"{Name}\" is incompatible with the layer: expected min_ndim={rank}, found ndim={input.Rank}. Full shape received: {input}");
    }

    /// <summary>
    /// Returns <paramref name="output"/> after checking that one sample of it (every axis but the
    /// batch) fits a tensor (<see cref="TensorLimits.MaxElements"/> values); the batch is checked
    /// when the model runs, against the memory available.
    /// </summary>
    /// <exception cref="ShapeError">One sample alone is too large; the message names the layer, the shape and its size in bytes.</exception>
    protected Shape Fits(Shape output, string what = "an output")
    {
        if (output.Rank > 1 && output.Product(1) is long perSample && perSample > TensorLimits.MaxElements)
            throw Error($"would produce {what} of shape {output}: {TensorLimits.Describe(perSample)} per sample, more than one tensor can hold ({TensorLimits.MaxElements:N0} values). Use fewer units, filters or a smaller input.");
        return output;
    }

    /// <summary>
    /// Refuses an input with a 0 along an axis the layer computes over (after the batch, whose 0 every layer takes):
    /// its output would be made of no input values.
    /// </summary>
    /// <exception cref="ShapeError">Axis <paramref name="axis"/> of <paramref name="input"/> is 0.</exception>
    protected void RequireNonEmpty(Shape input, int axis, string what)
    {
        if (input[axis] == 0)
            throw Error($"cannot take an input with 0 {what}: received input shape {input}. Every axis but the batch must be at least 1 here.");
    }

    /// <summary>A <see cref="ShapeError"/> for this layer; the message is prefixed with the layer's name and class unless it names the layer already.</summary>
    protected ShapeError Error(string message) =>
        new(Name, message.Contains($"\"{Name}\"") ? message : $"Layer \"{Name}\" ({ClassName}) {message}");

    /// <summary>An <see cref="ArgumentException"/> for an invalid constructor argument, in Keras's words.</summary>
    protected static ArgumentException InvalidArgument(string argument, string expected, object? received) =>
        new($"Received an invalid value for `{argument}`, expected {expected}. Received: {argument}={received}");
}
