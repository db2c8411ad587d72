using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Training;

/// <summary>
/// Reverse mode over whole graphs: the gradient of the total loss with respect to every weight
/// equals central finite differences of the loss itself, on models where gradients must be
/// summed — a Dense shared at two sites, a tensor read by several layers, a nested model called
/// twice, two outputs with weighted losses — and through a training-mode BatchNormalization.
/// </summary>
public sealed class GraphGradients
{
    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue - 1);

    private static T Built<T>(T layer, Random rng, params int[][] shapes) where T : WeightedLayer =>
        layer with { Params = EquatableArray.Of(shapes.Select(s => RandomTensor(rng, s, -0.8, 0.8))) };

    private static InputLayer In(long id, string name, params int[] shape) => new(Shape.Batched(shape)) { Id = new LayerId(id), Name = name };

    /// <summary>Two inputs; a Dense shared by both; the shared output read by two heads and an Add; outputs: a regression and a softmax.</summary>
    private static Model SharedDag(Random rng)
    {
        var shared = Built(new Dense(5, "tanh") { Id = new LayerId(10), Name = "shared" }, rng, [4, 5], [5]);
        var headA = Built(new Dense(2) { Id = new LayerId(11), Name = "head_a" }, rng, [10, 2], [2]);
        var mix = Built(new Dense(3, "softmax") { Id = new LayerId(12), Name = "head_b" }, rng, [5, 3], [3]);
        var (g, a) = Core.Graph.Empty(0).AddInput(In(1, "a", 4));
        (g, var b) = g.AddInput(In(2, "b", 4));
        (g, var sa) = g.Call(shared, [a], 0);
        (g, var sb) = g.Call(shared, [b], 0);
        (g, var cat) = g.Call(new Concatenate() { Id = new LayerId(20), Name = "cat" }, [sa[0], sb[0]], 0);
        (g, var sum) = g.Call(new Add() { Id = new LayerId(21), Name = "sum" }, [sa[0], sb[0]], 0);
        (g, var prod) = g.Call(new Multiply() { Id = new LayerId(22), Name = "prod" }, [sum[0], sa[0]], 0);
        (g, var ya) = g.Call(headA, [cat[0]], 0);
        (g, var yb) = g.Call(mix, [prod[0]], 0);
        return Model.Functional(g, [a, b], [ya[0], yb[0]], "shared_dag", new LayerId(99));
    }

    /// <summary>A nested Sequential (Dense → BatchNormalization → Dense) called on a computed tensor and on an input, then merged with that tensor.</summary>
    private static Model NestedTwice(Random rng)
    {
        var inner = Model.Sequential(In(30, "x", 3), [
            Built(new Dense(4, "sigmoid") { Id = new LayerId(31), Name = "inner_dense" }, rng, [3, 4], [4]),
            Built(new BatchNormalization() { Id = new LayerId(32), Name = "inner_bn" }, rng, [4], [4], [4], [4]) with { },
            Built(new Dense(2, "tanh") { Id = new LayerId(33), Name = "inner_out" }, rng, [4, 2], [2]),
        ], "inner", new LayerId(34), seed: 0);
        // Moving variance must be positive; the others may be anything.
        var bn = (BatchNormalization)inner.Graph.Layers[new LayerId(32)];
        inner = inner.WithLayers([bn with { Params = EquatableArray.Of(bn.Params[0], bn.Params[1], bn.Params[2], Tensor.Filled(1.3f, 4)) }]);
        var pre = Built(new Dense(3, "tanh") { Id = new LayerId(39), Name = "pre" }, rng, [3, 3], [3]);
        var head = Built(new Dense(1) { Id = new LayerId(40), Name = "head" }, rng, [5, 1], [1]);
        var (g, a) = Core.Graph.Empty(0).AddInput(In(1, "a", 3));
        (g, var b) = g.AddInput(In(2, "b", 3));
        (g, var p) = g.Call(pre, [a], 0);
        (g, var ia) = g.Call(inner, [p[0]], 0); // "pre" feeds the nested model and the concatenation: two gradients to sum
        (g, var ib) = g.Call(inner, [b], 0);
        (g, var sub) = g.Call(new Multiply() { Id = new LayerId(41), Name = "prod" }, [ia[0], ib[0]], 0);
        (g, var cat) = g.Call(new Concatenate() { Id = new LayerId(42), Name = "cat" }, [sub[0], p[0]], 0);
        (g, var y) = g.Call(head, [cat[0]], 0);
        return Model.Functional(g, [a, b], [y[0]], "nested_twice", new LayerId(98));
    }

    /// <summary>Conv2D → training-mode BatchNormalization → max pooling → Flatten → Dense.</summary>
    private static Model ConvNet(Random rng)
    {
        return Model.Sequential(In(1, "img", 5, 5, 2), [
            Built(new Conv2D(3, (3, 3), padding: "same", activation: "tanh") { Id = new LayerId(2), Name = "conv" }, rng, [3, 3, 2, 3], [3]),
            new BatchNormalization() { Id = new LayerId(3), Name = "bn" } with { Params = EquatableArray.Of(RandomTensor(rng, [3]), RandomTensor(rng, [3]), Tensor.Zeros(3), Tensor.Filled(1f, 3)) },
            new AveragePooling2D((2, 2), null, "same") { Id = new LayerId(4), Name = "pool" },
            new Flatten() { Id = new LayerId(5), Name = "flat" },
            Built(new Dense(2, "sigmoid") { Id = new LayerId(6), Name = "out" }, rng, [27, 2], [2]),
        ], "convnet", new LayerId(97), seed: 0);
    }

    private static (Model Model, TrainingConfig Config, Tensor[] X, Tensor[] Y) Case(int which, int seed)
    {
        var rng = new Random(seed);
        int batch = 3;
        return which switch
        {
            0 => (SharedDag(rng), new TrainingConfig(new Sgd(), EquatableArray.Of<Loss>(new MeanSquaredError(), new CategoricalCrossentropy()),
                    EquatableArray.Of(0.7, 1.3), EquatableArray.Of(EquatableArray<Metric>.Empty, EquatableArray<Metric>.Empty)),
                [RandomTensor(rng, [batch, 4]), RandomTensor(rng, [batch, 4])],
                [RandomTensor(rng, [batch, 2]), OneHot(rng, batch, 3)]),
            1 => (NestedTwice(rng), TrainingConfig.Of(new Sgd(), new Huber(0.5)),
                [RandomTensor(rng, [batch, 3]), RandomTensor(rng, [batch, 3])], [RandomTensor(rng, [batch, 1])]),
            _ => (ConvNet(rng), TrainingConfig.Of(new Sgd(), new BinaryCrossentropy()),
                [RandomTensor(rng, [batch, 5, 5, 2])], [Tensor.FromArray([.. Enumerable.Range(0, batch * 2).Select(_ => (float)rng.Next(2))], [batch, 2])]),
        };
    }

    private static Tensor OneHot(Random rng, int batch, int classes)
    {
        var v = new float[batch * classes];
        for (int i = 0; i < batch; i++) v[i * classes + rng.Next(classes)] = 1;
        return Tensor.FromArray(v, [batch, classes]);
    }

    private static double Loss(Model model, TrainingConfig config, Tensor[] x, Tensor[] y)
    {
        var (g, logs) = Trainer.ComputeGradients(model, x, y, config, new ForwardContext(Managed, new TensorPool(), Training: true));
        g.Dispose();
        return logs.Loss;
    }

    private static Model With(Model model, WeightedLayer layer, int index, float[] values) =>
        Trainer.Replace(model, new Dictionary<LayerId, Layer>
        {
            [layer.Id] = layer with { Params = EquatableArray.Of(layer.Params.Select((p, i) => i == index ? Tensor.FromArray(values, p.Shape.ToArray()) : p)) },
        });

    [Property(MaxTest = 12)]
    public Property The_gradient_of_every_weight_equals_finite_differences_of_the_loss() =>
        Prop.ForAll((from which in Gen.Choose(0, 2) from seed in Seed select (which, seed)).ToArbitrary(), t =>
        {
            var (model, config, x, y) = Case(t.which, t.seed);
            var (gradients, _) = Trainer.ComputeGradients(model, x, y, config, new ForwardContext(Managed, new TensorPool(), Training: true));
            using (gradients)
            {
                const float h = 1e-2f;
                foreach (var layer in Trainer.AllLayers(model).Values.OfType<WeightedLayer>())
                {
                    var grads = gradients.Of(layer.Id);
                    for (int p = 0; p < layer.Params.Count; p++)
                    {
                        var values = layer.Params[p].ToArray();
                        bool trained = layer.Weights[p].Trainable;
                        if (!trained)
                        {
                            if (grads is not null && grads[p] is not null) return false.Label($"{layer.Name} weight {p} is not trainable but has a gradient");
                            continue;
                        }
                        if (grads?[p] is not { } g) return false.Label($"{layer.Name} weight {p} has no gradient");
                        for (int i = 0; i < values.Length; i++)
                        {
                            float v = values[i];
                            values[i] = v + h;
                            double plus = Loss(With(model, layer, p, values), config, x, y);
                            values[i] = v - h;
                            double minus = Loss(With(model, layer, p, values), config, x, y);
                            values[i] = v;
                            double fd = (plus - minus) / (2 * h), analytic = g.Span[i];
                            if (Math.Abs(fd - analytic) > 2e-3 * Math.Max(1, Math.Abs(fd)))
                                return false.Label($"{model.Name} seed {t.seed}: d loss / d {layer.Name}[{p}][{i}] = {analytic}, finite difference {fd}");
                        }
                    }
                }
            }
            return true.ToProperty();
        });
}
