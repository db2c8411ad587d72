using DeepGraph.Core;
namespace DeepGraph;

/// <summary>
/// A value in an op computation: its shape and dtype always, its tensor when the tape computes
/// values (<see cref="OpTape.IsSymbolic"/> false). Ops take and return vars of one tape; a layer
/// written over ops is a function from vars to vars, and the tape it ran on gives its gradients.
/// </summary>
public sealed class Var
{
    internal Var(OpTape tape, int slot, Shape shape, DType dtype, Tensor? value)
    {
        Tape = tape;
        Slot = slot;
        Shape = shape;
        DType = dtype;
        this.value = value;
    }

    private readonly Tensor? value;

    /// <summary>The tape this var belongs to.</summary>
    public OpTape Tape { get; }

    /// <summary>Its position on the tape.</summary>
    internal int Slot { get; }

    /// <summary>The shape: every dimension known when the tape computes values; on a symbolic tape, unknown dimensions are null.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The rank.</summary>
    public int Rank => Shape.Rank;

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">The tape is symbolic (it computes shapes only).</exception>
    public Tensor Value => value ?? throw new InvalidOperationException($"A var of shape {Shape} on a symbolic tape has no value: only its shape and dtype are known while shapes are inferred.");

    /// <summary>Whether the value is there (false on a symbolic tape).</summary>
    public bool HasValue => value is not null;

    /// <summary>Shape and dtype, for debugging.</summary>
    public override string ToString() => $"Var{Shape} {DType.Name()}";

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Var operator +(Var a, Var b) => Ops.Add(a, b);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Var operator -(Var a, Var b) => Ops.Subtract(a, b);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Var operator *(Var a, Var b) => Ops.Multiply(a, b);

    /// <summary>Elementwise quotient with broadcasting.</summary>
    public static Var operator /(Var a, Var b) => Ops.Divide(a, b);

    /// <summary>Negation.</summary>
    public static Var operator -(Var a) => Ops.Negate(a);

    /// <summary>Adds a scalar.</summary>
    public static Var operator +(Var a, float b) => Ops.Add(a, a.Tape.Scalar(b));

    /// <summary>Multiplies by a scalar.</summary>
    public static Var operator *(Var a, float b) => Ops.Multiply(a, a.Tape.Scalar(b));

    /// <summary>Multiplies by a scalar.</summary>
    public static Var operator *(float a, Var b) => Ops.Multiply(b.Tape.Scalar(a), b);
}
