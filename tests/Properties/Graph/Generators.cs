using System.Collections.Immutable;
using System.Globalization;
using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;

namespace DeepGraph.Properties.Graph;

// Inside this namespace `Graph` would name the namespace itself; alias the Core type.
using Graph = DeepGraph.Core.Graph;
using Summary = DeepGraph.Core.Summary;
using Model = DeepGraph.Core.Model;

/// <summary>
/// A random layer stack as the choices that make it: the input's dimensions (batch excluded:
/// (h, w, c) for an image, (n) for a vector) and, per layer, four random numbers that
/// <see cref="Stack.Of"/> turns into a layer that accepts the previous layer's output.
/// Generating choices rather than layers keeps generation total and shrinking simple (drop a step).
/// </summary>
public sealed record StackPlan(int[] InputDims, int[][] Steps, int Seed)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"StackPlan(input=({string.Join(", ", InputDims)}), steps={Generators.Text(Steps)}, seed={Seed}) = {Generators.Safe(() => Stack.Of(this))}";
}

/// <summary>
/// A random DAG as the choices that make it: 1–2 vector inputs, per node four random numbers
/// (see <see cref="Dag.Of"/>), and 1–2 output picks.
/// </summary>
public sealed record DagPlan(int[] InputFeatures, int[][] Steps, int[] OutputPicks, int Seed)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"DagPlan(inputs=[{string.Join(", ", InputFeatures)}], steps={Generators.Text(Steps)}, outputs=[{string.Join(", ", OutputPicks)}], seed={Seed}) = {Generators.Safe(() => Dag.Of(this))}";
}

/// <summary>Fresh layer ids and unique names, counted from one plan so that generation is deterministic.</summary>
internal sealed class Ids(long first = 1)
{
    private long next = first;
    private int names;

    public LayerId Next() => new(next++);

    /// <summary>A name unique among every name this counter gave: <c>prefix_k</c>.</summary>
    public string Name(string prefix) => $"{prefix}_{++names}";
}

/// <summary>A linear stack of layer records on an input layer, with the shape after each layer.</summary>
/// <param name="Input">The input layer.</param>
/// <param name="Layers">The layers, unbuilt (some frozen with <c>Trainable = false</c>).</param>
/// <param name="Shapes">The input's shape, then the shape after each layer.</param>
/// <param name="Seed">The seed the models are built from.</param>
public sealed record Stack(InputLayer Input, ImmutableArray<Layer> Layers, ImmutableArray<Shape> Shapes, int Seed)
{
    private static readonly string[] Acts = ["linear", "relu", "tanh", "sigmoid", "softmax"];

    /// <summary>The id given to models made from a stack (no layer of a plan gets an id this large).</summary>
    public static readonly LayerId ModelId = new(1_000_000);

    /// <summary>The Sequential model of the stack.</summary>
    public Model Sequential(string name = "stack") => Model.Sequential(Input, Layers, name, ModelId, Seed);

    /// <summary>
    /// The functional model of the stack, built by calling each record on a graph directly (not
    /// through <see cref="Conversions"/>), with the same seeds as <see cref="Sequential"/>.
    /// </summary>
    public Model Functional(string name = "stack_functional", int scope = 5)
    {
        var (graph, x) = Graph.Empty(scope).AddInput(Input);
        var source = x;
        for (int i = 0; i < Layers.Length; i++)
        {
            var (next, outs) = graph.Call(Layers[i], [x], Seeds.Derive(Seed, i));
            (graph, x) = (next, outs[0]);
        }
        return Model.Functional(graph, [source], [x], name, ModelId);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Shapes[0]} → " + string.Join(" → ", Layers.Select((l, i) => $"{Generators.Describe(l)} {Shapes[i + 1]}"));

    /// <summary>Turns a plan into layers, each chosen among those that accept the current shape.</summary>
    public static Stack Of(StackPlan plan)
    {
        var ids = new Ids();
        var input = new InputLayer(Shape.Batched(plan.InputDims)) { Id = ids.Next(), Name = ids.Name("input") };
        var shape = input.BatchShape;
        var layers = ImmutableArray.CreateBuilder<Layer>();
        var shapes = ImmutableArray.CreateBuilder<Shape>();
        shapes.Add(shape);
        foreach (var r in plan.Steps)
        {
            var layer = shape.Rank == 4 ? ImageLayer(shape, r, ids) : VectorLayer(shape, r, ids);
            if (r[3] % 5 == 0) layer = layer with { Trainable = false };
            shape = layer.OutputShapes([shape])[0];
            layers.Add(layer);
            shapes.Add(shape);
        }
        return new Stack(input, layers.ToImmutable(), shapes.ToImmutable(), plan.Seed);
    }

    private static Layer ImageLayer(Shape shape, int[] r, Ids ids)
    {
        int h = shape[1]!.Value, w = shape[2]!.Value;
        string act = Acts[r[2] / 7 % Acts.Length];
        int stride = 1 + r[1] / 7 % 2;
        switch (r[0] % 10)
        {
            case 0:
                return new Conv2D(1 + r[3] % 4, (1 + r[1] % Math.Min(h, 3), 1 + r[2] % Math.Min(w, 3)), (stride, stride), "valid", act, useBias: r[3] / 7 % 3 != 0)
                { Id = ids.Next(), Name = ids.Name("conv2d") };
            case 1:
                return new Conv2D(1 + r[3] % 4, (1 + r[1] % 3, 1 + r[2] % 3), (stride, stride), "same", act) { Id = ids.Next(), Name = ids.Name("conv2d") };
            case 2:
            {
                int p = Math.Min(2, Math.Min(h, w));
                return new MaxPooling2D((p, p), padding: r[1] % 2 == 0 ? "valid" : "same") { Id = ids.Next(), Name = ids.Name("max_pooling2d") };
            }
            case 3:
            {
                int p = Math.Min(2, Math.Min(h, w));
                return new AveragePooling2D((p, p), (stride, stride), r[1] % 2 == 0 ? "valid" : "same") { Id = ids.Next(), Name = ids.Name("average_pooling2d") };
            }
            case 4:
            {
                var (top, bottom) = h + 2 <= 16 ? (r[1] % 2, r[1] / 2 % 2) : (0, 0);
                var (left, right) = w + 2 <= 16 ? (r[2] % 2, r[2] / 2 % 2) : (0, 0);
                return new ZeroPadding2D(((top, bottom), (left, right))) { Id = ids.Next(), Name = ids.Name("zero_padding2d") };
            }
            case 5:
                return new BatchNormalization(center: r[1] % 3 != 0, scale: r[2] % 3 != 0) { Id = ids.Next(), Name = ids.Name("batch_normalization") };
            case 6:
                return new Activation(act) { Id = ids.Next(), Name = ids.Name("activation") };
            case 7:
                return new Dropout(r[1] % 9 / 10.0) { Id = ids.Next(), Name = ids.Name("dropout") };
            case 8:
                return new Flatten { Id = ids.Next(), Name = ids.Name("flatten") };
            default:
                return r[1] % 2 == 0
                    ? new GlobalAveragePooling2D { Id = ids.Next(), Name = ids.Name("global_average_pooling2d") }
                    : new GlobalMaxPooling2D { Id = ids.Next(), Name = ids.Name("global_max_pooling2d") };
        }
    }

    private static Layer VectorLayer(Shape shape, int[] r, Ids ids)
    {
        int n = shape[-1]!.Value;
        string act = Acts[r[2] / 7 % Acts.Length];
        switch (r[0] % 8)
        {
            case 3:
                return new Dropout(r[1] % 9 / 10.0) { Id = ids.Next(), Name = ids.Name("dropout") };
            case 4:
                return new Activation(act) { Id = ids.Next(), Name = ids.Name("activation") };
            case 5:
                return new BatchNormalization(center: r[1] % 3 != 0, scale: r[2] % 3 != 0) { Id = ids.Next(), Name = ids.Name("batch_normalization") };
            case 6 when shape.Rank == 2:
            {
                // (None, n) → (None, a, n / a) for a divisor a of n.
                int[] divisors = [.. Enumerable.Range(1, n).Where(a => n % a == 0)];
                int a = divisors[r[1] % divisors.Length];
                return new Reshape(r[2] % 2 == 0 ? [a, -1] : [a, n / a]) { Id = ids.Next(), Name = ids.Name("reshape") };
            }
            case 6:
                return new Reshape([-1]) { Id = ids.Next(), Name = ids.Name("reshape") };
            case 7 when shape.Rank == 3:
                return new Flatten { Id = ids.Next(), Name = ids.Name("flatten") };
            case 7 when n <= 16:
                // Back to an image: (None, n) → (None, 1, n, 1).
                return new Reshape([1, n, 1]) { Id = ids.Next(), Name = ids.Name("reshape") };
            default:
                return new Dense(1 + r[1] % 8, act, useBias: r[3] / 7 % 3 != 0) { Id = ids.Next(), Name = ids.Name("dense") };
        }
    }
}

/// <summary>
/// A generated DAG: the graph after every call (<see cref="History"/>, with a snapshot of each
/// taken when it was made), its tensors with their feature sizes, and the model from the inputs
/// that reach the chosen outputs to those outputs.
/// </summary>
public sealed record Dag(
    ImmutableArray<Graph> History,
    ImmutableArray<(ImmutableArray<Node> Nodes, ImmutableArray<KeyValuePair<LayerId, Layer>> Layers)> Snapshots,
    ImmutableArray<TensorRef> Tensors,
    ImmutableArray<TensorRef> Inputs,
    ImmutableArray<TensorRef> Outputs,
    Model Model,
    long NextId)
{
    /// <summary>The id of a model made from a DAG.</summary>
    public static readonly LayerId ModelId = new(2_000_000);

    /// <summary>The scope of the generated graphs.</summary>
    public const int Scope = 3;

    /// <summary>The final graph.</summary>
    public Graph Graph => History[^1];

    /// <inheritdoc/>
    public override string ToString()
    {
        var g = Graph;
        string T(TensorRef t) => $"{g.LayerOf(t).Name}:{t.Node}";
        var nodes = g.Nodes.Select(n => $"{Generators.Describe(g.Layers[n.Layer])}({string.Join(", ", n.Inputs.Select(T))}){n.OutputShapes[0]}");
        return $"[{string.Join("; ", nodes)}] inputs=[{string.Join(", ", Inputs.Select(T))}] outputs=[{string.Join(", ", Outputs.Select(T))}]";
    }

    /// <summary>
    /// Turns a plan into a DAG. Each step picks an existing tensor and adds, by its first number:
    /// Dense, Activation, BatchNormalization, Add/Multiply over 2–3 tensors of its size (projecting
    /// another tensor with a new Dense when none has it), Concatenate over 2–3 tensors, a second
    /// call of a Dense already used (a shared layer), or a small nested functional model.
    /// </summary>
    public static Dag Of(DagPlan plan) => new Builder(plan).Build();

    private sealed class Builder(DagPlan plan)
    {
        private static readonly string[] Acts = ["linear", "relu", "tanh", "sigmoid"];
        private readonly Ids ids = new();
        private readonly List<Graph> history = [];
        private readonly List<(ImmutableArray<Node>, ImmutableArray<KeyValuePair<LayerId, Layer>>)> snapshots = [];
        private readonly List<(TensorRef T, int F)> tensors = [];
        private readonly List<LayerId> dense = [];
        private Graph graph = Graph.Empty(Scope);
        private int calls;

        public Dag Build()
        {
            var inputs = new List<TensorRef>();
            foreach (var f in plan.InputFeatures)
                inputs.Add(Call(new InputLayer(Shape.Batched(f)) { Id = ids.Next(), Name = ids.Name("input") }));
            foreach (var r in plan.Steps) Step(r);

            var outputs = new List<TensorRef> { tensors[^1].T };
            foreach (var pick in plan.OutputPicks.Skip(1))
            {
                var t = tensors[pick % tensors.Count].T;
                if (!outputs.Contains(t)) outputs.Add(t);
            }
            var reached = Ancestors(graph, outputs);
            var modelInputs = inputs.Where(t => reached.Contains(t.Node)).ToImmutableArray();
            var model = Model.Functional(graph, modelInputs, outputs, "dag", ModelId);
            return new Dag([.. history], [.. snapshots], [.. tensors.Select(t => t.T)], modelInputs, [.. outputs], model, ids.Next().Value);
        }

        private (TensorRef T, int F) Pick(int r) => tensors[r % tensors.Count];

        private Layer MaybeFrozen(Layer layer, int r) => r % 6 == 0 ? layer with { Trainable = false } : layer;

        private TensorRef Call(Layer layer, params TensorRef[] inputs)
        {
            var (next, outs) = graph.Call(layer, inputs, Seeds.Derive(plan.Seed, calls++));
            graph = next;
            history.Add(next);
            snapshots.Add(([.. next.Nodes], [.. next.Layers]));
            tensors.Add((outs[0], next.ShapeOf(outs[0])[-1]!.Value));
            if (layer is Dense && !dense.Contains(layer.Id)) dense.Add(layer.Id);
            return outs[0];
        }

        private TensorRef NewDense(int units, TensorRef on, int r) =>
            Call(MaybeFrozen(new Dense(units, Acts[r / 7 % Acts.Length]) { Id = ids.Next(), Name = ids.Name("dense") }, r), on);

        private void Step(int[] r)
        {
            var t = Pick(r[1]);
            switch (r[0] % 10)
            {
                case 2:
                    Call(new Activation(Acts[r[2] % Acts.Length]) { Id = ids.Next(), Name = ids.Name("activation") }, t.T);
                    break;
                case 3:
                    Call(MaybeFrozen(new BatchNormalization() { Id = ids.Next(), Name = ids.Name("batch_normalization") }, r[3]), t.T);
                    break;
                case 4 or 5:
                {
                    var same = tensors.Where(u => u.F == t.F && u.T != t.T).Select(u => u.T).ToList();
                    if (same.Count == 0) same.Add(NewDense(t.F, Pick(r[3]).T, r[2]));
                    int k = 2 + r[2] % 2;
                    var operands = new List<TensorRef> { t.T };
                    for (int j = 1; j < k; j++) operands.Add(same[(r[3] / (j * 11)) % same.Count]);
                    Layer merge = r[0] % 10 == 4
                        ? new Add { Id = ids.Next(), Name = ids.Name("add") }
                        : new Multiply { Id = ids.Next(), Name = ids.Name("multiply") };
                    Call(merge, [.. operands]);
                    break;
                }
                case 6:
                {
                    int k = 2 + r[2] % 2;
                    var operands = new List<TensorRef> { t.T };
                    for (int j = 1; j < k; j++) operands.Add(Pick(r[3] / (j * 11)).T);
                    Call(new Concatenate() { Id = ids.Next(), Name = ids.Name("concatenate") }, [.. operands]);
                    break;
                }
                case 7 or 8 when dense.Count > 0:
                {
                    // A shared layer: the record already in the graph (same id, built), called again.
                    var layer = (Dense)graph.Layers[dense[r[2] % dense.Count]];
                    var fitting = tensors.Where(u => u.F == layer.InputDim).ToList();
                    Call(layer, fitting[r[3] % fitting.Count].T);
                    break;
                }
                case 9:
                    Call(Nested(t.F, r[2], r[3]), t.T);
                    break;
                default:
                    NewDense(1 + r[2] % 8, t.T, r[3]);
                    break;
            }
        }

        /// <summary>A small functional model (Dense, then sometimes BatchNormalization) for inputs of <paramref name="features"/>.</summary>
        private Model Nested(int features, int r2, int r3)
        {
            var (inner, x) = Graph.Empty(scope: 1).AddInput(new InputLayer(Shape.Batched(features)) { Id = ids.Next(), Name = ids.Name("nested_input") });
            var source = x;
            Layer[] layers =
            [
                MaybeFrozen(new Dense(1 + r3 % 8, "relu") { Id = ids.Next(), Name = ids.Name("nested_dense") }, r3 / 5),
                .. r2 % 2 == 0 ? [MaybeFrozen(new BatchNormalization() { Id = ids.Next(), Name = ids.Name("nested_batch_normalization") }, r3 / 25)] : Array.Empty<Layer>(),
            ];
            for (int i = 0; i < layers.Length; i++)
            {
                var (next, outs) = inner.Call(layers[i], [x], Seeds.Derive(r3, i));
                (inner, x) = (next, outs[0]);
            }
            var model = Model.Functional(inner, [source], [x], ids.Name("nested_model"), ids.Next());
            return r2 / 2 % 3 == 0 ? model with { Trainable = false } : model;
        }
    }

    /// <summary>The ids of the nodes <paramref name="outputs"/> depend on, themselves included.</summary>
    public static HashSet<int> Ancestors(Graph graph, IEnumerable<TensorRef> outputs)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>(outputs.Select(t => t.Node));
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            if (!seen.Add(n)) continue;
            foreach (var t in graph.Nodes[n].Inputs) stack.Push(t.Node);
        }
        return seen;
    }
}

/// <summary>A summary table read back: the Param # column, the Connected to entries and the totals.</summary>
public sealed record SummaryTable(int Width, bool HasConnectedTo, ImmutableArray<long> ParamColumn, ImmutableArray<string> ConnectedTo,
    long Total, long Trainable, long NonTrainable)
{
    /// <summary>Parses <see cref="Summary.Lines"/> output, finding the columns from the header row.</summary>
    public static SummaryTable Parse(IReadOnlyList<string> lines)
    {
        var header = lines[2];
        int paramStart = header.IndexOf("Param #", StringComparison.Ordinal);
        int connectedStart = header.IndexOf("Connected to", StringComparison.Ordinal);
        int paramEnd = connectedStart >= 0 ? connectedStart : header.Length;
        int totalAt = lines.ToList().FindIndex(l => l.StartsWith("Total params: ", StringComparison.Ordinal));
        var parameters = ImmutableArray.CreateBuilder<long>();
        var connected = ImmutableArray.CreateBuilder<string>();
        for (int i = 4; i < totalAt; i++)
        {
            var row = lines[i];
            if (row.Length > 0 && (row.All(c => c == '_') || row.All(c => c == '='))) continue;
            var p = row[paramStart..Math.Min(paramEnd, row.Length)].Trim();
            if (p.Length > 0) parameters.Add(long.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture));
            if (connectedStart >= 0 && row.Length > connectedStart)
            {
                var c = row[connectedStart..].Trim();
                if (c.Length > 0) connected.Add(c);
            }
        }
        long Count(string prefix) =>
            long.Parse(lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        return new SummaryTable(lines[1].Length, connectedStart >= 0, parameters.ToImmutable(), connected.ToImmutable(),
            Count("Total params: "), Count("Trainable params: "), Count("Non-trainable params: "));
    }
}

/// <summary>FsCheck generators and shrinkers for <see cref="StackPlan"/> and <see cref="DagPlan"/>, and small helpers.</summary>
public static class Generators
{
    /// <summary>Four random numbers for one step.</summary>
    private static readonly Gen<int[]> StepGen = Gen.Choose(0, 9999).ArrayOf(4);

    private static Gen<int[][]> Steps(int min, int max) =>
        from n in Gen.Choose(min, max)
        from steps in StepGen.ArrayOf(n)
        select steps;

    /// <summary>An image input (h, w ≤ 16, c ≤ 4) or a vector input (≤ 16 features), then 1–8 layers.</summary>
    public static readonly Gen<StackPlan> StackPlans =
        from image in Gen.Elements(true, false)
        from dims in image
            ? (from h in Gen.Choose(1, 16) from w in Gen.Choose(1, 16) from c in Gen.Choose(1, 4) select new[] { h, w, c })
            : Gen.Choose(1, 16).Select(n => new[] { n })
        from steps in Steps(1, 8)
        from seed in Gen.Choose(0, 1000)
        select new StackPlan(dims, steps, seed);

    /// <summary>1–2 vector inputs (≤ 8 features), 1–8 nodes, 1–2 outputs.</summary>
    public static readonly Gen<DagPlan> DagPlans =
        from inputs in Gen.Choose(1, 8).ArrayOf(2).SelectMany(a => Gen.Choose(1, 2), (a, n) => a[..n])
        from steps in Steps(1, 8)
        from outputs in Gen.Choose(0, 9999).ArrayOf(2).SelectMany(a => Gen.Choose(1, 2), (a, n) => a[..n])
        from seed in Gen.Choose(0, 1000)
        select new DagPlan(inputs, steps, outputs, seed);

    private static IEnumerable<int[][]> DropOne(int[][] steps) =>
        steps.Length <= 1 ? [] : Enumerable.Range(0, steps.Length).Select(i => steps.Where((_, j) => j != i).ToArray());

    /// <summary>Stacks, shrinking by dropping a step.</summary>
    public static Arbitrary<StackPlan> Stacks => Arb.From(StackPlans, p => DropOne(p.Steps).Select(s => p with { Steps = s }));

    /// <summary>DAGs, shrinking by dropping a step, an output or an input.</summary>
    public static Arbitrary<DagPlan> Dags => Arb.From(DagPlans, p =>
        DropOne(p.Steps).Select(s => p with { Steps = s })
            .Concat(p.OutputPicks.Length > 1 ? [p with { OutputPicks = p.OutputPicks[..1] }] : [])
            .Concat(p.InputFeatures.Length > 1 ? [p with { InputFeatures = p.InputFeatures[..1] }] : []));

    /// <summary>A step list as text.</summary>
    public static string Text(int[][] steps) => "[" + string.Join(" ", steps.Select(s => "[" + string.Join(",", s) + "]")) + "]";

    /// <summary>A layer as <c>name:Class</c>, marked when frozen.</summary>
    public static string Describe(Layer l) => $"{l.Name}:{l.ClassName}{(l.Trainable ? "" : "(frozen)")}";

    /// <summary>
    /// The non-trainable parameters a model should report, computed leaf by leaf: every weight of
    /// a frozen layer (or of any layer inside a frozen model), plus BatchNormalization's moving
    /// mean and variance (2 × features) in layers that are not frozen.
    /// </summary>
    public static long ExpectedNonTrainable(Layer layer, bool enclosingTrainable = true)
    {
        bool trainable = enclosingTrainable && layer.Trainable;
        return layer switch
        {
            Model m => m.Graph.Layers.Values.Sum(l => ExpectedNonTrainable(l, trainable)),
            _ when !trainable => layer.ParamCount,
            BatchNormalization bn => 2L * bn.Features!.Value,
            _ => 0,
        };
    }

    /// <summary>Collects failed checks; <see cref="ToProperty"/> passes when none failed and labels the failures.</summary>
    public sealed class Checks
    {
        private readonly List<string> failures = [];

        /// <summary>Records <paramref name="what"/> as failed unless <paramref name="ok"/>.</summary>
        public Checks That(bool ok, string what)
        {
            if (!ok) failures.Add(what);
            return this;
        }

        /// <summary>Records a failure unless <paramref name="expected"/> equals <paramref name="actual"/>.</summary>
        public Checks Equal<T>(T expected, T actual, string what) =>
            That(EqualityComparer<T>.Default.Equals(expected, actual), $"{what}: expected {expected}, got {actual}");

        /// <summary>True when every check passed, labelled with the failures.</summary>
        public Property ToProperty() => (failures.Count == 0).Label(string.Join("\n", failures));
    }

    /// <summary>The value's text, or the exception's when making it fails.</summary>
    public static string Safe(Func<object> make)
    {
        try
        {
            return make().ToString() ?? "";
        }
        catch (Exception e)
        {
            return $"<{e.GetType().Name}: {e.Message}>";
        }
    }

    /// <summary>The exception <paramref name="act"/> throws, or null.</summary>
    public static Exception? Thrown(Action act)
    {
        try
        {
            act();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
