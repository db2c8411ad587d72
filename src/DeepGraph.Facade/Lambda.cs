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
        LambdaFunctions.EnsureRegistered();
        return Make(name, inputShape, id => new Core.Lambda(inputs => function(inputs[0]), singleInput: true, source: function) { Id = id, Name = "" });
    }

    /// <summary>Keras's <c>Lambda</c> over several inputs (<c>Lambda(xs => xs[0] * xs[1]).Call(a, b)</c>); see the single-input form.</summary>
    /// <param name="function">The computation from the inputs, in call order.</param>
    /// <param name="name">The layer's name (<c>lambda</c>, <c>lambda_1</c> … by default).</param>
    public static Layer Lambda(Func<IReadOnlyList<Var>, Var> function, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        LambdaFunctions.EnsureRegistered();
        return Make(name, null, id => new Core.Lambda(function, singleInput: false) { Id = id, Name = "" });
    }
}

/// <summary>
/// The functions that Lambda layers may be saved with (Keras's <c>register_keras_serializable</c> on a
/// function, or its <c>custom_objects</c>): a file cannot hold code, so a Lambda is saved as the name
/// its function is registered under, and a program that loads the model registers the same name.
/// </summary>
/// <example><code>
/// Func&lt;Var, Var&gt; square = x => x * x;
/// LambdaFunctions.Register("square", square);
/// var y = Lambda(square).Call(x);            // saved as {"function": "square"}
/// </code></example>
public static class LambdaFunctions
{
    private static readonly Lock Gate = new();
    private static Dictionary<string, Delegate> functions = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="function"/> (one input) under <paramref name="name"/> for every later save and load in this process; a name registered again takes the new function.</summary>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static void Register(string name, Func<Var, Var> function) => Add(name, function);

    /// <summary>Registers <paramref name="function"/> (several inputs) under <paramref name="name"/>; see the one-input form.</summary>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public static void Register(string name, Func<IReadOnlyList<Var>, Var> function) => Add(name, function);

    /// <summary>The name <paramref name="function"/> is registered under, or null.</summary>
    public static string? NameOf(Delegate function)
    {
        ArgumentNullException.ThrowIfNull(function);
        lock (Gate) return functions.FirstOrDefault(p => p.Value.Equals(function)).Key;
    }

    /// <summary>
    /// Registers the Lambda kind (with the functions registered so far, perhaps none) unless it is
    /// known: a Lambda made in this process then meets a clear message when it cannot be saved.
    /// </summary>
    internal static void EnsureRegistered()
    {
        if (Saving.GetRegisteredObject("Lambda") is not null) return;
        lock (Gate)
            if (Saving.GetRegisteredObject("Lambda") is null)
                Saving.RegisterKerasSerializable(Core.Lambda.KindFor(functions));
    }

    private static void Add(string name, Delegate function)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(function);
        lock (Gate)
        {
            functions = new Dictionary<string, Delegate>(functions, StringComparer.Ordinal) { [name] = function };
            Saving.RegisterKerasSerializable(Core.Lambda.KindFor(functions));
        }
    }
}
