using System.Text.Json.Nodes;
using DeepGraph.Numerics;
using System.Numerics.Tensors;
namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>Activation</c>: an activation function applied elementwise, as a layer of its own.
/// The output has the shape of the input.
/// </summary>
/// <example><code>new Activation("relu") { Id = id, Name = "activation" }</code></example>
public sealed record Activation : Layer
{
    /// <summary>A layer applying <paramref name="activation"/> (a name converts: any name <see cref="ActivationFunction.Parse"/> accepts).</summary>
    /// <exception cref="ArgumentException">An activation given by name is unknown.</exception>
    public Activation(ActivationFunction activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        Function = activation;
    }

    /// <summary>The activation function (Keras's <c>activation</c>; a member cannot share the record's name).</summary>
    public ActivationFunction Function { get; }

    /// <inheritdoc/>
    public override string ClassName => "Activation";

    /// <summary>An input's mask passes through to the output, as in Keras.</summary>
    public override bool SupportsMasking => true;

    /// <inheritdoc/>
    public override IReadOnlyList<Shape> OutputShapes(IReadOnlyList<Shape> inputs) => [Single(inputs)];

    /// <inheritdoc/>
    public override bool ForwardIsView(ForwardContext context) => Function == ActivationFunction.Linear;

    /// <summary>The activation of the input, elementwise (softmax over the last axis).</summary>
    public override void Forward(ForwardContext context, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor> outputs)
    {
        var y = outputs[0].Data.AsSpan();
        inputs[0].Span.CopyTo(y);
        Activate.InPlace(Function, y, inputs[0].Shape[-1]!.Value);
    }

    /// <summary>
    /// Adds dy ⊙ f′(x) to the input gradient (<see cref="ActivationGrad"/>; from the output, and
    /// from the input for the activations whose derivative needs it). Nothing is saved: the
    /// call's input and output are all it reads.
    /// </summary>
    public override void Backward(ForwardContext context, BackwardArgs args)
    {
        if (args.InputGrads[0] is not { } dx) return;
        var dy = args.OutputGrads[0].Span;
        if (Function == ActivationFunction.Linear)
        {
            TensorPrimitives.Add(dx.Span, dy, dx.Data);
            return;
        }
        var local = context.Pool.Rent(dy.Length);
        try
        {
            var x = ActivationGrad.NeedsInput(Function) ? args.Inputs[0].Span : default;
            ActivationGrad.Backward(Function, x, args.Outputs[0].Span, dy, local, args.Inputs[0].Shape[-1]!.Value);
            TensorPrimitives.Add(dx.Span, local, dx.Data);
        }
        finally
        {
            context.Pool.Return(local);
        }
    }

    // ---- config codec (Keras / TF.js) ---------------------------------------------------------

    /// <summary>Keras's <c>Activation</c> config: <c>activation</c>, the function's name.</summary>
    public static LayerKind Kind { get; } = LayerKind.Of<Activation>("Activation",
        (c, id, name) => new Activation(ActivationFunction.Parse(c.OptionalString("activation") ?? throw c.Error("activation", "an activation name"))) { Id = id, Name = name },
        a => new JsonObject { ["activation"] = a.Function.KerasName });
}
