using DeepGraph.Core;

namespace DeepGraph.Keras;

public static partial class Layers
{
    /// <summary>
    /// Keras's <c>Lambda</c>: <paramref name="function"/> over <see cref="Ops"/> as a layer without
    /// weights (<c>Lambda(x => x * x)</c>). The output shape comes from running the function on the
    /// input's shape alone, so it must compute with ops, never read <see cref="Var.Value"/>; it is
    /// trained through with gradients from the ops' tape. A model holding a Lambda can be saved only
    /// when the function is registered under a name (a function is code, which a file cannot hold).
    /// </summary>
    /// <param name="function">The computation from the one input.</param>
    /// <param name="name">The layer's name (<c>lambda</c>, <c>lambda_1</c> … by default).</param>
    /// <param name="inputShape">The input shape without the batch, which a Sequential model uses for its input.</param>
    public static Layer Lambda(Func<Var, Var> function, string? name = null, int[]? inputShape = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Make(name, inputShape, id => new Core.Lambda(inputs => function(inputs[0]), singleInput: true, source: function) { Id = id, Name = "" });
    }

    /// <summary>Keras's <c>Lambda</c> over several inputs (<c>Lambda(xs => xs[0] * xs[1]).Call(a, b)</c>); see the single-input form.</summary>
    /// <param name="function">The computation from the inputs, in call order.</param>
    /// <param name="name">The layer's name (<c>lambda</c>, <c>lambda_1</c> … by default).</param>
    public static Layer Lambda(Func<IReadOnlyList<Var>, Var> function, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return Make(name, null, id => new Core.Lambda(function, singleInput: false) { Id = id, Name = "" });
    }
}
