using DeepGraph.Keras;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Graph;

using K = DeepGraph.Keras.Layers;
using KLayer = DeepGraph.Keras.Layer;
using KModel = DeepGraph.Keras.Model;
using static Generators;

/// <summary>
/// The facade twins of the graph laws: the tutorial's conversion loops over generated stacks,
/// and the errors a Keras user meets (disconnected graphs, duplicate names, stale tensors).
/// Every property starts a new session, since the facade keeps one per process.
/// </summary>
public class FacadeLaws
{
    /// <summary>The facade handle for a generated Core record: same class, configuration, name and trainability.</summary>
    private static KLayer ToFacade(Core.Layer r)
    {
        KLayer handle = r switch
        {
            Core.Dense d => K.Dense(d.Units, d.Activation.KerasName, d.UseBias, name: d.Name),
            Core.Conv2D c => K.Conv2D(c.Filters, c.KernelSize, c.Strides, c.Padding.KerasName, c.Activation.KerasName, c.UseBias, c.DilationRate, name: c.Name),
            Core.MaxPooling2D p => K.MaxPooling2D(p.PoolSize, p.Strides, p.Padding.KerasName, name: p.Name),
            Core.AveragePooling2D p => K.AveragePooling2D(p.PoolSize, p.Strides, p.Padding.KerasName, name: p.Name),
            Core.ZeroPadding2D z => K.ZeroPadding2D(z.Padding, name: z.Name),
            Core.BatchNormalization b => K.BatchNormalization(b.Axis, b.Momentum, b.Epsilon, b.Center, b.Scale, name: b.Name),
            Core.Activation a => K.Activation(a.Function.KerasName, name: a.Name),
            Core.Dropout d => K.Dropout(d.Rate, d.Seed, name: d.Name),
            Core.Flatten f => K.Flatten(name: f.Name),
            Core.Reshape s => K.Reshape([.. s.TargetShape], name: s.Name),
            Core.GlobalAveragePooling2D g => K.GlobalAveragePooling2D(g.KeepDims, name: g.Name),
            Core.GlobalMaxPooling2D g => K.GlobalMaxPooling2D(g.KeepDims, name: g.Name),
            _ => throw new NotSupportedException($"No facade factory for {r.ClassName} in this test."),
        };
        if (!r.Trainable) handle.Trainable = false;
        return handle;
    }

    private static List<string> Lines(KModel model)
    {
        var lines = new List<string>();
        model.Summary(lines.Add);
        return lines;
    }

    [Property(MaxTest = 50)]
    public Property Facade_Sequential_to_Functional_to_Sequential_by_the_tutorial_loops_keeps_the_layer_records() =>
        Prop.ForAll(Stacks, plan =>
        {
            Backend.ClearSession();
            var stack = Stack.Of(plan);
            int[] dims = stack.Input.BatchShape.WithoutBatch.ToArray();
            var s = new Sequential(name: "stack");
            s.Add(K.Input(dims, name: stack.Input.Name).Layer);
            foreach (var record in stack.Layers) s.Add(ToFacade(record));

            // The tutorial's loops: Sequential → Functional, then Functional → Sequential.
            var input = K.Input(dims);
            var y = s.Layers[0].Call(input);
            foreach (var layer in s.Layers.Skip(1)) y = layer.Call(y);
            var f = new KModel(input, y, name: "f_model");
            var s2 = new Sequential(name: "s_model");
            foreach (var layer in f.Layers) s2.Add(layer);

            var sLines = Lines(s);
            var s2Lines = Lines(s2);
            var checks = new Checks()
                .Equal(stack.Layers.Length, s.Layers.Count, "the Sequential has every generated layer")
                .Equal(s.Layers.Count + 1, f.Layers.Count, "the functional model adds its input layer")
                .That(ReferenceEquals(f.Layers[0], input.Layer), "the functional model's first layer is its input")
                .That(f.Layers.Skip(1).SequenceEqual(s.Layers, ReferenceEqualityComparer.Instance), "the functional model uses the same handles")
                .That(s2.Layers.SequenceEqual(s.Layers, ReferenceEqualityComparer.Instance), "the new Sequential uses the same handles")
                .That(s.CoreModel.Layers.SequenceEqual(s2.CoreModel.Layers), "same layer records (value equality), Sequential → Sequential")
                .That(f.CoreModel.Layers.Skip(1).SequenceEqual(s.CoreModel.Layers), "same layer records (value equality), Sequential → Functional")
                .That(s.CoreModel.Layers.Select(l => l.Id).SequenceEqual(s2.CoreModel.Layers.Select(l => l.Id)), "same layer ids")
                .That(s.CoreModel.Weights.SequenceEqual(s2.CoreModel.Weights), "same weights")
                .Equal("Model: \"stack\"", sLines[0], "first summary's name line")
                .Equal("Model: \"s_model\"", s2Lines[0], "second summary's name line")
                .That(sLines.Skip(1).SequenceEqual(s2Lines.Skip(1)), $"summary rows equal except the name line:\n{string.Join("\n", sLines)}\n{string.Join("\n", s2Lines)}")
                .That(sLines.SequenceEqual(Core.Summary.Lines(stack.Sequential("stack"))), "the facade's summary is the Core model's of the same records")
                .That(s2.CoreModel == Core.Conversions.ToSequential(f.CoreModel, "s_model", new Core.LayerId(1)), "the loop gives Conversions.ToSequential's model")
                .That(f.CoreModel == Core.Conversions.ToFunctional(s.CoreModel, "f_model", new Core.LayerId(1), f.CoreModel.InputLayers[0]),
                    "the loop gives Conversions.ToFunctional's model");
            return checks.ToProperty();
        });

    [Property(MaxTest = 50)]
    public Property Facade_model_whose_output_does_not_depend_on_its_input_is_Graph_disconnected() =>
        Prop.ForAll(Arb.From(
            from n in Gen.Choose(1, 8) from m in Gen.Choose(1, 8) from depth in Gen.Choose(1, 3)
            from units in Gen.Choose(1, 8).ArrayOf(3) from merge in Gen.Elements(false, true)
            select (n, m, depth, units, merge)), t =>
        {
            Backend.ClearSession();
            var (n, m, depth, units, merge) = t;
            var a = K.Input([n], name: "a");
            var b = K.Input([m], name: "b");
            var y = b;
            for (int i = 0; i < depth; i++) y = (i % 2 == 0 ? K.Dense(units[i]) : K.Activation("relu")).Call(y);
            // Either the output depends on b only, or it merges a's branch with b's.
            if (merge) y = K.Concatenate().Call(K.Dense(units[2]).Call(a), y);
            var error = Thrown(() => new KModel(a, y));
            var checks = new Checks()
                .That(error is GraphError, $"throws GraphError, got {error?.GetType().Name ?? "nothing"}: {error?.Message}")
                .That(error?.Message.StartsWith("Graph disconnected", StringComparison.Ordinal) == true, $"message starts with 'Graph disconnected': {error?.Message}");
            var connected = Thrown(() => new KModel(merge ? [a, b] : [b], y));
            return checks.That(connected is null, $"with every input given, the model builds: {connected?.Message}").ToProperty();
        });

    [Property(MaxTest = 50)]
    public Property Facade_two_layers_named_alike_in_a_model_raise_GraphError_is_used_2_times() =>
        Prop.ForAll(Arb.From(
            from n in Gen.Choose(1, 8) from k in Gen.Choose(2, 4)
            from i in Gen.Choose(0, k - 2) from j in Gen.Choose(i + 1, k - 1)
            from units in Gen.Choose(1, 8).ArrayOf(4)
            select (n, k, i, j, units)), t =>
        {
            Backend.ClearSession();
            var (n, k, i, j, units) = t;
            var x = K.Input([n]);
            var y = x;
            for (int l = 0; l < k; l++)
            {
                string? name = l == i || l == j ? "twin" : null;
                y = (l % 2 == 0 ? K.Dense(units[l], name: name) : K.Activation("tanh", name: name)).Call(y);
            }
            var error = Thrown(() => new KModel(x, y));
            return new Checks()
                .That(error is GraphError, $"throws GraphError, got {error?.GetType().Name ?? "nothing"}: {error?.Message}")
                .That(error?.Message.Contains("is used 2 times") == true && error.Message.Contains("\"twin\""), $"message: {error?.Message}")
                .ToProperty();
        });

    [Property(MaxTest = 50)]
    public Property Facade_tensor_from_before_ClearSession_raises_GraphError() =>
        Prop.ForAll(Arb.From(from n in Gen.Choose(1, 8) from u in Gen.Choose(1, 8) from use in Gen.Choose(0, 3) select (n, u, use)), t =>
        {
            var (n, u, use) = t;
            Backend.ClearSession();
            var x = K.Input([n]);
            var y = K.Dense(u).Call(x);
            Backend.ClearSession();
            var fresh = K.Dense(u, name: "fresh");
            Action act = use switch
            {
                0 => () => fresh.Call(x),
                1 => () => fresh.Call(y),
                2 => () => _ = new KModel(x, fresh.Call(K.Input([n]))),
                _ => () => K.Add().Call(y, K.Input([u])),
            };
            var error = Thrown(act);
            var checks = new Checks()
                .That(error is GraphError, $"case {use}: throws GraphError, got {error?.GetType().Name ?? "nothing"}: {error?.Message}");
            if (use < 2) checks.That(!fresh.Built, "the refused layer is not built");
            var again = K.Dense(u).Call(K.Input([n]));
            return checks.Equal(Shape.Batched(u), again.Shape, "the new session still works").ToProperty();
        });
}
