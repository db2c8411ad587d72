using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// Whole graphs forward: a model nested as a layer computes what the model computes on its own,
/// and generated DAGs (shared Dense, Add, Multiply, Concatenate, two inputs and outputs) equal a
/// float64 evaluation of the same graph, on both GEMMs.
/// </summary>
public class GraphReference
{
    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue - 1);

    private static Dense DenseWith(long id, string name, int inDim, int units, string activation, bool bias, Random rng)
    {
        double a = 1.5 / Math.Sqrt(inDim);
        var kernel = RandomTensor(rng, [inDim, units], -a, a);
        var b = RandomTensor(rng, [units]);
        return new Dense(units, activation, bias) { Id = new LayerId(id), Name = name }
            with { Params = bias ? EquatableArray.Of(kernel, b) : EquatableArray.Of(kernel) };
    }

    private static Nd ApplyDense(Dense d, Nd x) =>
        Reference.Dense(x, Wide(d.Params[0]), d.UseBias ? Wide(d.Params[1]) : null, d.Units, d.Activation.KerasName);

    // ---- Nested models ------------------------------------------------------------------

    /// <summary>in (h, w, c) → Conv2D 3×3 same → MaxPooling2D same → Flatten → Dense: a small convnet to nest.</summary>
    private static Core.Model Inner(int h, int w, int c, int filters, int units, string activation, Random rng, long id = 200, string name = "inner")
    {
        var kernel = RandomTensor(rng, [3, 3, c, filters], -0.5, 0.5);
        var conv = new Conv2D(filters, (3, 3), padding: "same", activation: "relu") { Id = new LayerId(2), Name = "conv" }
            with { Params = EquatableArray.Of(kernel, RandomTensor(rng, [filters])) };
        int flat = ((h + 1) / 2) * ((w + 1) / 2) * filters;
        return Core.Model.Sequential(new InputLayer(Shape.Batched(h, w, c)) { Id = new LayerId(1), Name = "x" },
            [conv, new MaxPooling2D(padding: "same") { Id = new LayerId(3), Name = "pool" }, new Flatten { Id = new LayerId(4), Name = "flatten" },
             DenseWith(5, "dense", flat, units, activation, true, rng)],
            name, new LayerId(id), seed: 1);
    }

    private sealed record NestCase(int Batch, int H, int W, int C, int Filters, int Units, string Activation, int Seed);

    private static readonly Gen<NestCase> NestCases =
        from batch in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 6)
        from w in Gen.Choose(1, 6)
        from c in Gen.Choose(1, 3)
        from filters in Gen.Choose(1, 4)
        from units in Gen.Choose(1, 5)
        from activation in Gen.Elements(Activations.Names.ToArray())
        from seed in Seed
        select new NestCase(batch, h, w, c, filters, units, activation, seed);

    [Property(MaxTest = 40)]
    public Property A_nested_model_gives_what_the_model_gives_on_its_own() => A_nested_model_gives_what_the_model_gives_on_its_own_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 40)]
    public Property A_nested_model_gives_what_the_model_gives_on_its_own_on_native_BLAS() => A_nested_model_gives_what_the_model_gives_on_its_own_on(NativeOrFail);

    private static Property A_nested_model_gives_what_the_model_gives_on_its_own_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll(NestCases.ToArbitrary(), t =>
        {
            var rng = new Random(t.Seed);
            var inner = Inner(t.H, t.W, t.C, t.Filters, t.Units, t.Activation, rng);
            var x = RandomTensor(rng, [t.Batch, t.H, t.W, t.C]);

            // outer: in → inner → out; and a model nesting that model (two levels).
            var (g, input) = Core.Graph.Empty(Core.Model.ModelScope).AddInput(new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(1), Name = "outer_in" });
            var (g1, o) = g.Call(inner, [input], 3);
            var outer = Core.Model.Functional(g1, [input], [o[0]], "outer", new LayerId(300));
            var (h, input2) = Core.Graph.Empty(Core.Model.ModelScope).AddInput(new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(1), Name = "top_in" });
            var (h1, o2) = h.Call(outer, [input2], 3);
            var top = Core.Model.Functional(h1, [input2], [o2[0]], "top", new LayerId(400));

            var failures = new List<string>();
            foreach (var gemm in gemms)
            {
                var direct = Executor.Run(inner, [x], new ForwardContext(gemm, new TensorPool()))[0];
                var nested = Executor.Run(outer, [x], new ForwardContext(gemm, new TensorPool()))[0];
                var twice = Executor.Run(top, [x], new ForwardContext(gemm, new TensorPool()))[0];
                if (!direct.Equals(nested)) failures.Add($"{gemm.Name}: nested {nested} vs direct {direct}");
                if (!direct.Equals(twice)) failures.Add($"{gemm.Name}: nested twice {twice} vs direct {direct}");
            }
            return (failures.Count == 0).Label(string.Join("; ", failures));
        });

    /// <summary>One nested model called at two sites (shared weights), its results added and fed to a Dense: equals running the inner model on each input and adding in float64.</summary>
    [Property(MaxTest = 30)]
    public Property A_nested_model_called_at_two_sites_equals_the_reference() => A_nested_model_called_at_two_sites_equals_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 30)]
    public Property A_nested_model_called_at_two_sites_equals_the_reference_on_native_BLAS() => A_nested_model_called_at_two_sites_equals_the_reference_on(NativeOrFail);

    private static Property A_nested_model_called_at_two_sites_equals_the_reference_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll(NestCases.ToArbitrary(), t =>
        {
            var rng = new Random(t.Seed);
            var inner = Inner(t.H, t.W, t.C, t.Filters, t.Units, t.Activation, rng);
            var head = DenseWith(20, "head", t.Units, 2, "tanh", true, rng);
            var x1 = RandomTensor(rng, [t.Batch, t.H, t.W, t.C]);
            var x2 = RandomTensor(rng, [t.Batch, t.H, t.W, t.C]);

            var g = Core.Graph.Empty(Core.Model.ModelScope);
            (g, var a) = g.AddInput(new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(1), Name = "a" });
            (g, var b) = g.AddInput(new InputLayer(Shape.Batched(t.H, t.W, t.C)) { Id = new LayerId(2), Name = "b" });
            (g, var ia) = g.Call(inner, [a], 1);
            (g, var ib) = g.Call(inner, [b], 1);
            (g, var sum) = g.Call(new Add { Id = new LayerId(10), Name = "add" }, [ia[0], ib[0]], 1);
            (g, var y) = g.Call(head, [sum[0]], 1);
            var model = Core.Model.Functional(g, [a, b], [y[0], sum[0]], "siamese", new LayerId(99));

            var failures = new List<string>();
            foreach (var gemm in gemms)
            {
                var ra = Nd.From(Executor.Run(inner, [x1], new ForwardContext(gemm, new TensorPool()))[0]);
                var rb = Nd.From(Executor.Run(inner, [x2], new ForwardContext(gemm, new TensorPool()))[0]);
                var wantSum = Reference.Merge([ra, rb], product: false);
                var wantY = ApplyDense(head, wantSum);
                var got = Executor.Run(model, [x1, x2], new ForwardContext(gemm, new TensorPool()));
                if (Compare(got[0], wantY, 1e-4) is { } f0) failures.Add($"{gemm.Name} output 0: {f0}");
                if (Compare(got[1], wantSum, 1e-4) is { } f1) failures.Add($"{gemm.Name} output 1: {f1}");
            }
            return (failures.Count == 0).Label(string.Join("; ", failures));
        });

    // ---- Generated DAGs -----------------------------------------------------------------

    /// <summary>One step of a generated DAG; operand indices are taken modulo the tensors made so far.</summary>
    /// <param name="Kind">0 shared Dense, 1 Add of 2, 2 Add of 3, 3 Multiply, 4 Concatenate then a fresh Dense, 5 fresh Dense, 6 a view (Reshape, Flatten, Dropout, linear Activation), 7 Activation.</param>
    private sealed record Step(int Kind, int A, int B, int C, string Activation);

    private sealed record DagCase(int Batch, int Width, bool TwoInputs, string SharedActivation, Step[] Steps, int SecondOutput, int Seed)
    {
        public override string ToString() =>
            $"batch={Batch} width={Width} twoInputs={TwoInputs} shared={SharedActivation} steps=[{string.Join(", ", Steps.Select(s => $"{s.Kind}({s.A},{s.B},{s.C},{s.Activation})"))}] second={SecondOutput} seed={Seed}";
    }

    private static readonly Gen<string> Smooth = Gen.Elements("linear", "tanh", "sigmoid", "relu", "softsign", "gelu", "softmax");

    private static readonly Gen<DagCase> DagCases =
        from batch in Gen.Choose(1, 4)
        from width in Gen.Choose(1, 5)
        from twoInputs in Gen.Elements(true, false)
        from shared in Smooth
        from count in Gen.Choose(1, 9)
        from steps in (from kind in Gen.Choose(0, 7)
                       from a in Gen.Choose(0, 100)
                       from b in Gen.Choose(0, 100)
                       from c in Gen.Choose(0, 100)
                       from act in Smooth
                       select new Step(kind, a, b, c, act)).ArrayOf(count)
        from second in Gen.Choose(-1, 100)
        from seed in Seed
        select new DagCase(batch, width, twoInputs, shared, steps, second, seed);

    /// <summary>Builds the DAG and, alongside, its float64 evaluation on <paramref name="inputs"/>.</summary>
    private static (Core.Model Model, Nd[] Want) BuildDag(DagCase d, Tensor[] inputs)
    {
        var rng = new Random(d.Seed);
        var g = Core.Graph.Empty(Core.Model.ModelScope);
        var refs = new List<TensorRef>();
        var values = new List<Nd>();
        for (int i = 0; i < inputs.Length; i++)
        {
            (g, var t) = g.AddInput(new InputLayer(Shape.Batched(d.Width)) { Id = new LayerId(1 + i), Name = $"in{i}" });
            refs.Add(t);
            values.Add(Nd.From(inputs[i]));
        }
        var modelInputs = refs.ToList();
        var shared = DenseWith(10, "shared", d.Width, d.Width, d.SharedActivation, true, rng);
        long nextId = 11;
        foreach (var s in d.Steps)
        {
            int n = refs.Count;
            int a = s.A % n, b = s.B % n, c = s.C % n;
            TensorRef made;
            Nd value;
            switch (s.Kind)
            {
                case 0:
                    (g, var o0) = g.Call(shared, [refs[a]], 0);
                    (made, value) = (o0[0], ApplyDense(shared, values[a]));
                    break;
                case 1 or 2 or 3:
                    int[] operands = s.Kind == 2 ? [a, b, c] : [a, b];
                    Layer merge = s.Kind == 3 ? new Multiply { Id = new LayerId(nextId), Name = $"mul{nextId}" } : new Add { Id = new LayerId(nextId), Name = $"add{nextId}" };
                    nextId++;
                    (g, var o1) = g.Call(merge, [.. operands.Select(i => refs[i])], 0);
                    (made, value) = (o1[0], Reference.Merge([.. operands.Select(i => values[i])], product: s.Kind == 3));
                    break;
                case 4:
                    var cat = new Concatenate(Math.Abs(s.C) % 2 == 0 ? -1 : 1) { Id = new LayerId(nextId), Name = $"cat{nextId}" };
                    nextId++;
                    (g, var joined) = g.Call(cat, [refs[a], refs[b]], 0);
                    var project = DenseWith(nextId, $"project{nextId}", 2 * d.Width, d.Width, s.Activation, s.C % 3 != 0, rng);
                    nextId++;
                    (g, var o4) = g.Call(project, [joined[0]], 0);
                    (made, value) = (o4[0], ApplyDense(project, Reference.Concatenate([values[a], values[b]], 1)));
                    break;
                case 6:
                    // Views of a buffer that other layers still read: Reshape to (-1), Flatten, Dropout at inference, linear Activation.
                    Layer view = (s.C % 4) switch
                    {
                        0 => new Reshape([-1]) { Id = new LayerId(nextId), Name = $"reshape{nextId}" },
                        1 => new Flatten { Id = new LayerId(nextId), Name = $"flatten{nextId}" },
                        2 => new Dropout(0.5) { Id = new LayerId(nextId), Name = $"dropout{nextId}" },
                        _ => new Activation("linear") { Id = new LayerId(nextId), Name = $"linear{nextId}" },
                    };
                    nextId++;
                    (g, var o6) = g.Call(view, [refs[a]], 0);
                    (made, value) = (o6[0], values[a]);
                    break;
                case 7:
                    var act = new Activation(s.Activation) { Id = new LayerId(nextId), Name = $"act{nextId}" };
                    nextId++;
                    (g, var o7) = g.Call(act, [refs[a]], 0);
                    (made, value) = (o7[0], Reference.Activate(s.Activation, values[a].Reshaped(values[a].Shape)));
                    break;
                default:
                    var fresh = DenseWith(nextId, $"dense{nextId}", d.Width, d.Width, s.Activation, s.C % 2 == 0, rng);
                    nextId++;
                    (g, var o5) = g.Call(fresh, [refs[a]], 0);
                    (made, value) = (o5[0], ApplyDense(fresh, values[a]));
                    break;
            }
            refs.Add(made);
            values.Add(value);
        }
        // Outputs: the last tensor, and maybe any other (an input, the last one again, a view of a buffer others read …).
        var outputs = new List<int> { refs.Count - 1 };
        if (d.SecondOutput >= 0) outputs.Add(d.SecondOutput % refs.Count);
        var model = Core.Model.Functional(g, modelInputs, [.. outputs.Select(i => refs[i])], "dag", new LayerId(99));
        return (model, [.. outputs.Select(i => values[i])]);
    }

    [Property(MaxTest = 150)]
    public Property A_generated_DAG_equals_its_float64_evaluation() => A_generated_DAG_equals_its_float64_evaluation_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 150)]
    public Property A_generated_DAG_equals_its_float64_evaluation_on_native_BLAS() => A_generated_DAG_equals_its_float64_evaluation_on(NativeOrFail);

    private static Property A_generated_DAG_equals_its_float64_evaluation_on(IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll(DagCases.ToArbitrary(), d =>
        {
            var rng = new Random(d.Seed ^ 0x5eed);
            Tensor[] inputs = [.. Enumerable.Range(0, d.TwoInputs ? 2 : 1).Select(_ => RandomTensor(rng, [d.Batch, d.Width]))];
            var (model, want) = BuildDag(d, inputs);
            var before = inputs.Select(t => t.ToArray()).ToArray();
            var failures = new List<string>();
            foreach (var gemm in gemms)
            {
                var got = Executor.Run(model, inputs, new ForwardContext(gemm, new TensorPool()));
                if (inputs.Select(t => t.ToArray()).Zip(before).Any(p => !p.First.SequenceEqual(p.Second))) failures.Add($"{gemm.Name}: an input was modified");
                if (got.Length != want.Length) failures.Add($"{gemm.Name}: {got.Length} outputs, expected {want.Length}");
                for (int i = 0; i < Math.Min(got.Length, want.Length); i++)
                {
                    if (Compare(got[i], want[i], 1e-4) is { } f) failures.Add($"{gemm.Name} output {i}: {f}");
                    if (got[i].Shape != model.OutputShapesOfModel[i].WithBatch(d.Batch)) failures.Add($"{gemm.Name} output {i}: shape {got[i].Shape}, inferred {model.OutputShapesOfModel[i]}");
                }
            }
            return (failures.Count == 0).Label(string.Join("; ", failures));
        });

    /// <summary>Running one model many times through one pool reuses buffers and gives the same results every time.</summary>
    [Fact]
    public void Repeated_runs_through_one_pool_give_identical_results() => Repeated_runs_through_one_pool_give_identical_results_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Repeated_runs_through_one_pool_give_identical_results_on_native_BLAS() => Repeated_runs_through_one_pool_give_identical_results_on(NativeOrFail);

    private static void Repeated_runs_through_one_pool_give_identical_results_on(IReadOnlyList<IGemm> gemms)
    {
        var d = new DagCase(3, 4, true, "tanh",
            [new Step(0, 0, 0, 0, "relu"), new Step(6, 2, 0, 1, "linear"), new Step(4, 1, 3, 1, "sigmoid"), new Step(1, 2, 3, 0, "linear"),
             new Step(6, 5, 0, 0, "linear"), new Step(0, 6, 0, 0, "relu"), new Step(2, 5, 3, 2, "tanh"), new Step(7, 7, 0, 0, "softmax")], 3, 42);
        var rng = new Random(1);
        Tensor[] inputs = [RandomTensor(rng, [3, 4]), RandomTensor(rng, [3, 4])];
        var (model, want) = BuildDag(d, inputs);
        foreach (var gemm in gemms)
        {
            var pool = new TensorPool();
            var first = Executor.Run(model, inputs, new ForwardContext(gemm, pool));
            for (int i = 0; i < first.Length; i++) Assert.Null(Compare(first[i], want[i], 1e-4));
            for (int run = 0; run < 5; run++)
                Assert.Equal(first, Executor.Run(model, inputs, new ForwardContext(gemm, pool)));
        }
    }
}
