using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Shape inference and parameter counts of the built-in layers, stated as laws over generated
/// shapes and configurations (dimensions kept small so that each law runs in milliseconds).
/// </summary>
public class LayerShapeLaws
{
    private static readonly LayerId Id = new(1);

    /// <summary>One spatial axis of a window op: input length n, window k, stride s.</summary>
    private sealed record Axis(int N, int K, int S);

    /// <summary>An axis where the window fits the input (n ≥ k), for "valid" padding.</summary>
    private static readonly Gen<Axis> FittingAxis =
        from k in Gen.Choose(1, 7)
        from s in Gen.Choose(1, 4)
        from n in Gen.Choose(k, 40)
        select new Axis(n, k, s);

    /// <summary>Any axis, the window possibly larger than the input, for "same" padding.</summary>
    private static readonly Gen<Axis> AnyAxis =
        from k in Gen.Choose(1, 7)
        from s in Gen.Choose(1, 4)
        from n in Gen.Choose(1, 40)
        select new Axis(n, k, s);

    private static readonly Gen<int> Channels = Gen.Choose(1, 8);

    /// <summary>A dimension that is known (1–6) most of the time and unknown sometimes.</summary>
    private static readonly Gen<int?> MaybeDim = Gen.Frequency((4, Gen.Choose(1, 6).Select(d => (int?)d)), (1, Gen.Constant((int?)null)));

    private static Gen<(A, B)> All<A, B>(Gen<A> a, Gen<B> b) => from x in a from y in b select (x, y);

    private static Gen<(A, B, C)> All<A, B, C>(Gen<A> a, Gen<B> b, Gen<C> c) => from x in a from y in b from z in c select (x, y, z);

    private static Gen<(A, B, C, D)> All<A, B, C, D>(Gen<A> a, Gen<B> b, Gen<C> c, Gen<D> d) =>
        from w in a from x in b from y in c from z in d select (w, x, y, z);

    private static Gen<T[]> ArrayOf<T>(Gen<T> gen, int min, int max) =>
        from n in Gen.Choose(min, max)
        from items in gen.ArrayOf(n)
        select items;

    private static int Floor(Axis a) => (a.N - a.K) / a.S + 1;

    private static int Ceil(Axis a) => (a.N + a.S - 1) / a.S;

    private static long Trainable(Layer l) => l.Weights.Where(w => w.Trainable).Sum(w => (long)w.Value.Length);

    private static long NonTrainable(Layer l) => l.Weights.Where(w => !w.Trainable).Sum(w => (long)w.Value.Length);

    /// <summary>True when <paramref name="act"/> throws a <see cref="ShapeError"/> whose message satisfies <paramref name="check"/>.</summary>
    private static bool ThrowsShapeError(Action act, Func<ShapeError, bool> check)
    {
        try
        {
            act();
            return false;
        }
        catch (ShapeError e)
        {
            return check(e);
        }
    }

    private static string Message(Action act)
    {
        try
        {
            act();
            return "(no exception)";
        }
        catch (Exception e)
        {
            return $"{e.GetType().Name}: {e.Message}";
        }
    }

    // ---- Conv2D -------------------------------------------------------------------------

    [Property]
    public Property Conv2D_valid_output_is_floor_of_n_minus_k_over_s_plus_one() =>
        Prop.ForAll(All(All(FittingAxis, FittingAxis), All(Channels, Channels)).ToArbitrary(), t =>
        {
            var ((h, w), (cin, cout)) = t;
            var conv = new Conv2D(cout, (h.K, w.K), (h.S, w.S), "valid") { Id = Id, Name = "conv" };
            var output = conv.OutputShapes([Shape.Batched(h.N, w.N, cin)])[0];
            return (output == Shape.Of(null, Floor(h), Floor(w), cout)).Label($"{h} {w} → {output}");
        });

    [Property]
    public Property Conv2D_same_output_is_ceil_of_n_over_s() =>
        Prop.ForAll(All(All(AnyAxis, AnyAxis), All(Channels, Channels)).ToArbitrary(), t =>
        {
            var ((h, w), (cin, cout)) = t;
            var conv = new Conv2D(cout, (h.K, w.K), (h.S, w.S), "same") { Id = Id, Name = "conv" };
            var output = conv.OutputShapes([Shape.Batched(h.N, w.N, cin)])[0];
            return (output == Shape.Of(null, Ceil(h), Ceil(w), cout)).Label($"{h} {w} → {output}");
        });

    [Property]
    public Property Conv2D_params_are_kh_kw_cin_cout_plus_cout_with_bias() =>
        Prop.ForAll(All(All(Gen.Choose(1, 5), Gen.Choose(1, 5)), All(Channels, Channels), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var ((kh, kw), (cin, cout), useBias) = t;
            var conv = new Conv2D(cout, (kh, kw), useBias: useBias) { Id = Id, Name = "conv" }
                .Build([Shape.Batched(kh + 3, kw + 3, cin)], seed: 1);
            long expected = (long)kh * kw * cin * cout + (useBias ? cout : 0);
            return (conv.ParamCount == expected && Trainable(conv) == expected && NonTrainable(conv) == 0)
                .Label($"k=({kh},{kw}) cin={cin} cout={cout} bias={useBias}: {conv.ParamCount} params, expected {expected}");
        });

    [Property]
    public Property Conv2D_valid_kernel_larger_than_input_raises_ShapeError_naming_the_layer() =>
        Prop.ForAll(All(Gen.Choose(1, 10), Gen.Choose(1, 5), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var (n, extra, tooTall) = t;
            int k = n + extra;
            var conv = new Conv2D(2, tooTall ? (k, 1) : (1, k)) { Id = Id, Name = "too_big_conv" };
            var input = tooTall ? Shape.Batched(n, 40, 3) : Shape.Batched(40, n, 3);
            return ThrowsShapeError(() => conv.OutputShapes([input]),
                    e => e.LayerName == "too_big_conv" && e.Message.Contains("too_big_conv") && e.Message.Contains(input.ToString()))
                .Label(Message(() => conv.OutputShapes([input])));
        });

    // ---- Dense --------------------------------------------------------------------------

    [Property]
    public Property Dense_output_replaces_the_last_axis_by_units() =>
        Prop.ForAll(All(ArrayOf(MaybeDim, 0, 3), Gen.Choose(1, 40), Gen.Choose(1, 40)).ToArbitrary(), t =>
        {
            var (middle, features, units) = t;
            var input = Shape.Of([null, .. middle, features]);
            var output = new Dense(units) { Id = Id, Name = "dense" }.OutputShapes([input])[0];
            return (output == Shape.Of([null, .. middle, units])).Label($"{input} → {output}");
        });

    [Property]
    public Property Dense_params_are_in_times_units_plus_units() =>
        Prop.ForAll(All(Gen.Choose(1, 40), Gen.Choose(1, 40), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var (features, units, useBias) = t;
            var dense = new Dense(units, useBias: useBias) { Id = Id, Name = "dense" }.Build([Shape.Batched(features)], seed: 1);
            long expected = (long)features * units + (useBias ? units : 0);
            return (dense.ParamCount == expected && Trainable(dense) == expected).Label($"{dense.ParamCount} params, expected {expected}");
        });

    [Property]
    public Property Dense_built_for_n_features_called_on_m_raises_ShapeError_with_both_shapes() =>
        Prop.ForAll(All(Gen.Choose(1, 40), Gen.Choose(1, 40)).Where(t => t.Item1 != t.Item2).ToArbitrary(), t =>
        {
            var (n, m) = t;
            var dense = new Dense(3) { Id = Id, Name = "dense_n" }.Build([Shape.Batched(n)], seed: 1);
            var wrong = Shape.Batched(m);
            return ThrowsShapeError(() => dense.OutputShapes([wrong]),
                    e => e.Message.Contains("dense_n") && e.Message.Contains(wrong.ToString()) && e.Message.Contains($"value {n}"))
                .Label(Message(() => dense.OutputShapes([wrong])));
        });

    // ---- Flatten and Reshape ------------------------------------------------------------

    [Property]
    public Property Flatten_output_is_batch_by_product_of_the_rest() =>
        Prop.ForAll(ArrayOf(MaybeDim, 0, 4).ToArbitrary(), rest =>
        {
            var input = Shape.Of([null, .. rest]);
            var output = new Flatten { Id = Id, Name = "flatten" }.OutputShapes([input])[0];
            int? product = rest.Aggregate((int?)1, (p, d) => p * d);
            return (output == Shape.Of(null, product)).Label($"{input} → {output}");
        });

    /// <summary>
    /// Two shapes with the same number of elements: the same factors, shuffled and grouped
    /// two different ways into dimensions.
    /// </summary>
    private static readonly Gen<(int[] Input, int[] Target)> SameSizeShapes =
        from factors in ArrayOf(Gen.Choose(1, 5), 1, 5)
        from input in Regroup(factors)
        from target in Regroup(factors)
        select (input, target);

    private static Gen<int[]> Regroup(int[] factors) =>
        from shuffled in Gen.Shuffle(factors)
        from cuts in Gen.Elements(true, false).ArrayOf(shuffled.Length - 1)
        select Group(shuffled, cuts);

    /// <summary>Multiplies runs of <paramref name="factors"/>, starting a new dimension after each true cut.</summary>
    private static int[] Group(int[] factors, bool[] cuts)
    {
        var dims = new List<int> { factors[0] };
        for (int i = 1; i < factors.Length; i++)
        {
            if (cuts[i - 1]) dims.Add(factors[i]);
            else dims[^1] *= factors[i];
        }
        return [.. dims];
    }

    [Property]
    public Property Reshape_preserves_the_element_count() =>
        Prop.ForAll(SameSizeShapes.ToArbitrary(), t =>
        {
            var input = Shape.Batched(t.Input);
            var output = new Reshape(t.Target) { Id = Id, Name = "reshape" }.OutputShapes([input])[0];
            return (output == Shape.Batched(t.Target) && output.Product(1) == input.Product(1)).Label($"{input} → {output}");
        });

    [Property]
    public Property Reshape_infers_the_minus_one_dimension() =>
        Prop.ForAll(SameSizeShapes.SelectMany(t => Gen.Choose(0, t.Target.Length - 1), (t, i) => (t.Input, t.Target, Unknown: i)).ToArbitrary(), t =>
        {
            var input = Shape.Batched(t.Input);
            int[] withUnknown = [.. t.Target];
            withUnknown[t.Unknown] = -1;
            var output = new Reshape(withUnknown) { Id = Id, Name = "reshape" }.OutputShapes([input])[0];
            return (output == Shape.Batched(t.Target)).Label($"{input} with [{string.Join(", ", withUnknown)}] → {output}");
        });

    [Property]
    public Property Reshape_minus_one_stays_unknown_when_the_input_has_an_unknown_dimension() =>
        Prop.ForAll(All(Gen.Choose(1, 6), Gen.Choose(1, 6)).ToArbitrary(), t =>
        {
            var (known, target) = t;
            var output = new Reshape([target, -1]) { Id = Id, Name = "reshape" }.OutputShapes([Shape.Of(null, known, null)])[0];
            return output == Shape.Of(null, target, null);
        });

    [Property]
    public Property Reshape_to_another_element_count_raises_ShapeError_naming_layer_and_shapes() =>
        Prop.ForAll(All(ArrayOf(Gen.Choose(1, 6), 1, 3), ArrayOf(Gen.Choose(1, 6), 1, 3))
            .Where(t => t.Item1.Aggregate(1, (p, d) => p * d) != t.Item2.Aggregate(1, (p, d) => p * d)).ToArbitrary(), t =>
        {
            var (dims, target) = t;
            var input = Shape.Batched(dims);
            var reshape = new Reshape(target) { Id = Id, Name = "bad_reshape" };
            return ThrowsShapeError(() => reshape.OutputShapes([input]),
                    e => e.Message.Contains("bad_reshape") && e.Message.Contains("total size of new array must be unchanged")
                         && e.Message.Contains(input.ToString()) && e.Message.Contains($"[{string.Join(", ", target)}]"))
                .Label(Message(() => reshape.OutputShapes([input])));
        });

    [Fact]
    public void Reshape_with_two_unknown_dimensions_raises_ShapeError()
    {
        var e = Assert.Throws<ShapeError>(() => new Reshape([-1, 2, -1]) { Id = Id, Name = "two_unknowns" }.OutputShapes([Shape.Batched(4, 4)]));
        Assert.Contains("two_unknowns", e.Message);
        Assert.Contains("(-1, 2, -1)", e.Message);
        Assert.Contains("(None, 4, 4)", e.Message);
    }

    [Fact]
    public void Reshape_with_minus_one_that_cannot_divide_raises_ShapeError()
    {
        var e = Assert.Throws<ShapeError>(() => new Reshape([4, -1]) { Id = Id, Name = "odd" }.OutputShapes([Shape.Batched(2, 3)]));
        Assert.Equal("Layer \"odd\" (Reshape) total size of new array must be unchanged, input_shape = [2, 3], output_shape = [4, -1]. Input shape (None, 2, 3), target_shape=(4, -1).", e.Message);
    }

    // ---- Pooling ------------------------------------------------------------------------

    private static Pooling2D Pool(bool max, (int, int)? size, (int, int)? strides, string padding) =>
        max ? new MaxPooling2D(size, strides, padding) { Id = Id, Name = "pool" } : new AveragePooling2D(size, strides, padding) { Id = Id, Name = "pool" };

    [Property]
    public Property Pooling2D_valid_output_is_floor_of_n_minus_k_over_s_plus_one() =>
        Prop.ForAll(All(All(FittingAxis, FittingAxis), Channels, Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var ((h, w), c, max) = t;
            var output = Pool(max, (h.K, w.K), (h.S, w.S), "valid").OutputShapes([Shape.Batched(h.N, w.N, c)])[0];
            return (output == Shape.Of(null, Floor(h), Floor(w), c)).Label($"{h} {w} max={max} → {output}");
        });

    [Property]
    public Property Pooling2D_same_output_is_ceil_of_n_over_s() =>
        Prop.ForAll(All(All(AnyAxis, AnyAxis), Channels, Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var ((h, w), c, max) = t;
            var output = Pool(max, (h.K, w.K), (h.S, w.S), "same").OutputShapes([Shape.Batched(h.N, w.N, c)])[0];
            return (output == Shape.Of(null, Ceil(h), Ceil(w), c)).Label($"{h} {w} max={max} → {output}");
        });

    [Property]
    public Property Pooling2D_default_strides_are_the_pool_size() =>
        Prop.ForAll(All(All(FittingAxis, FittingAxis), Gen.Elements("valid", "same"), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var ((h, w), padding, max) = t;
            var input = Shape.Batched(h.N, w.N, 3);
            var byDefault = Pool(max, (h.K, w.K), null, padding);
            var explicitly = Pool(max, (h.K, w.K), (h.K, w.K), padding);
            return (byDefault.Strides == (h.K, w.K) && byDefault.OutputShapes([input])[0] == explicitly.OutputShapes([input])[0])
                .Label($"{h} {w} {padding}");
        });

    [Property]
    public Property Pooling2D_default_pool_size_halves_even_inputs() =>
        Prop.ForAll(All(Gen.Choose(1, 20), Gen.Choose(1, 20)).ToArbitrary(), t =>
            new MaxPooling2D { Id = Id, Name = "pool" }.OutputShapes([Shape.Batched(2 * t.Item1, 2 * t.Item2, 5)])[0] == Shape.Batched(t.Item1, t.Item2, 5));

    [Property]
    public Property Pooling2D_valid_window_larger_than_input_raises_ShapeError() =>
        Prop.ForAll(All(Gen.Choose(1, 10), Gen.Choose(1, 5), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var (n, extra, max) = t;
            var pool = Pool(max, (n + extra, 1), null, "valid") with { Name = "big_pool" };
            var input = Shape.Batched(n, 8, 2);
            return ThrowsShapeError(() => pool.OutputShapes([input]), e => e.Message.Contains("big_pool") && e.Message.Contains(input.ToString()))
                .Label(Message(() => pool.OutputShapes([input])));
        });

    // ---- Padding and global pooling -----------------------------------------------------

    [Property]
    public Property ZeroPadding2D_adds_the_padding_to_height_and_width() =>
        Prop.ForAll(All(All(MaybeDim, MaybeDim, MaybeDim), All(Gen.Choose(0, 4), Gen.Choose(0, 4)), All(Gen.Choose(0, 4), Gen.Choose(0, 4))).ToArbitrary(), t =>
        {
            var ((h, w, c), (top, bottom), (left, right)) = t;
            var output = new ZeroPadding2D(((top, bottom), (left, right))) { Id = Id, Name = "pad" }.OutputShapes([Shape.Of(null, h, w, c)])[0];
            return (output == Shape.Of(null, h + top + bottom, w + left + right, c)).Label($"({h}, {w}) → {output}");
        });

    [Property]
    public Property ZeroPadding2D_int_and_pair_forms_are_symmetric() =>
        Prop.ForAll(All(Gen.Choose(0, 4), Gen.Choose(0, 4)).ToArbitrary(), t =>
        {
            var (ph, pw) = t;
            var pair = new ZeroPadding2D((ph, pw)) { Id = Id, Name = "pad" };
            var single = new ZeroPadding2D(ph) { Id = Id, Name = "pad" };
            return pair == new ZeroPadding2D(((ph, ph), (pw, pw))) { Id = Id, Name = "pad" }
                && single == new ZeroPadding2D(((ph, ph), (ph, ph))) { Id = Id, Name = "pad" };
        });

    [Property]
    public Property GlobalPooling2D_output_is_batch_by_channels() =>
        Prop.ForAll(All(All(MaybeDim, MaybeDim, MaybeDim), Gen.Elements(true, false), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var ((h, w, c), average, keepDims) = t;
            Layer pool = average ? new GlobalAveragePooling2D(keepDims) { Id = Id, Name = "gp" } : new GlobalMaxPooling2D(keepDims) { Id = Id, Name = "gp" };
            var output = pool.OutputShapes([Shape.Of(null, h, w, c)])[0];
            return (output == (keepDims ? Shape.Of(null, 1, 1, c) : Shape.Of(null, c))).Label($"→ {output}");
        });

    // ---- BatchNormalization -------------------------------------------------------------

    [Property]
    public Property BatchNormalization_has_4C_params_half_of_them_trainable() =>
        Prop.ForAll(All(ArrayOf(Gen.Choose(1, 6), 0, 2), Gen.Choose(1, 40)).ToArbitrary(), t =>
        {
            var (spatial, c) = t;
            var input = Shape.Batched([.. spatial, c]);
            var bn = new BatchNormalization { Id = Id, Name = "bn" }.Build([input], seed: 1);
            return (bn.ParamCount == 4L * c && Trainable(bn) == 2L * c && NonTrainable(bn) == 2L * c && bn.OutputShapes([input])[0] == input)
                .Label($"{input}: {bn.ParamCount} params, {Trainable(bn)} trainable");
        });

    [Property]
    public Property BatchNormalization_without_center_or_scale_drops_beta_or_gamma() =>
        Prop.ForAll(All(Gen.Choose(1, 40), Gen.Elements(true, false), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var (c, center, scale) = t;
            var bn = new BatchNormalization(center: center, scale: scale) { Id = Id, Name = "bn" }.Build([Shape.Batched(3, c)], seed: 1);
            long trainable = (center ? c : 0) + (scale ? c : 0);
            string[] roles = [.. scale ? ["gamma"] : Array.Empty<string>(), .. center ? ["beta"] : Array.Empty<string>(), "moving_mean", "moving_variance"];
            return (Trainable(bn) == trainable && NonTrainable(bn) == 2L * c && bn.Weights.Select(w => w.Role).SequenceEqual(roles))
                .Label($"center={center} scale={scale}: {string.Join(", ", bn.Weights.Select(w => w.Role))}");
        });

    [Property]
    public Property BatchNormalization_on_another_axis_counts_that_axis() =>
        Prop.ForAll(All(Gen.Choose(1, 10), Gen.Choose(1, 10), Gen.Choose(1, 10), Gen.Elements(1, 2, 3, -1, -2, -3)).ToArbitrary(), t =>
        {
            var (h, w, c, axis) = t;
            var input = Shape.Batched(h, w, c);
            var bn = new BatchNormalization(axis) { Id = Id, Name = "bn" }.Build([input], seed: 1);
            return (bn.ParamCount == 4L * input[axis]!.Value).Label($"axis {axis}: {bn.ParamCount}");
        });

    // ---- Merges -------------------------------------------------------------------------

    [Property]
    public Property Concatenate_output_axis_is_the_sum_of_the_inputs() =>
        Prop.ForAll(All(ArrayOf(MaybeDim, 1, 3), ArrayOf(MaybeDim, 2, 4)).SelectMany(
            t => Gen.Choose(1, t.Item1.Length), (t, axis) => (Common: t.Item1, Along: t.Item2, Axis: axis)).ToArbitrary(), t =>
        {
            // Inputs (None, common…) with the dimension at `axis` replaced by each `along` entry.
            var inputs = t.Along.Select(d => Shape.Of([null, .. t.Common]).With(t.Axis, d)).ToList();
            int? sum = t.Along.Aggregate((int?)0, (s, d) => s + d);
            var expected = Shape.Of([null, .. t.Common]).With(t.Axis, sum);
            int negative = t.Axis - inputs[0].Rank;
            var byPositive = new Concatenate(t.Axis) { Id = Id, Name = "concat" }.OutputShapes(inputs)[0];
            var byNegative = new Concatenate(negative) { Id = Id, Name = "concat" }.OutputShapes(inputs)[0];
            return (byPositive == expected && byNegative == expected).Label($"{string.Join(", ", inputs)} axis {t.Axis} → {byPositive}");
        });

    [Property]
    public Property Concatenate_with_mismatched_non_axis_dims_raises_ShapeError_listing_the_shapes() =>
        Prop.ForAll(All(Gen.Choose(1, 10), Gen.Choose(1, 10), Gen.Choose(1, 10), Gen.Choose(1, 10)).Where(t => t.Item1 != t.Item2).ToArbitrary(), t =>
        {
            var (h1, h2, c1, c2) = t;
            Shape[] inputs = [Shape.Batched(h1, c1), Shape.Batched(h2, c2)];
            var concat = new Concatenate { Id = Id, Name = "cat" };
            return ThrowsShapeError(() => concat.OutputShapes(inputs),
                    e => e.Message.Contains("cat") && e.Message.Contains($"input_shape=[{inputs[0]}, {inputs[1]}]"))
                .Label(Message(() => concat.OutputShapes(inputs)));
        });

    [Fact]
    public void Concatenate_of_different_ranks_lists_the_shapes_in_Keras_words()
    {
        var e = Assert.Throws<ShapeError>(() => new Concatenate { Id = Id, Name = "cat" }.OutputShapes([Shape.Batched(3), Shape.Batched(4, 2)]));
        Assert.Contains("A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape=[(None, 3), (None, 4, 2)]", e.Message);
    }

    [Fact]
    public void Concatenate_needs_two_inputs_and_a_non_batch_axis()
    {
        var concat = new Concatenate { Id = Id, Name = "cat" };
        Assert.Contains("at least 1 input.", Assert.Throws<ShapeError>(() => concat.OutputShapes([])).Message);
        Assert.Contains("at least 2 inputs", Assert.Throws<ShapeError>(() => concat.OutputShapes([Shape.Batched(3)])).Message);
        Assert.Contains("batch", Assert.Throws<ShapeError>(() => new Concatenate(0) { Id = Id, Name = "cat" }.OutputShapes([Shape.Batched(3), Shape.Batched(3)])).Message);
        Assert.Throws<ShapeError>(() => new Concatenate(2) { Id = Id, Name = "cat" }.OutputShapes([Shape.Batched(3), Shape.Batched(3)]));
    }

    [Property]
    public Property Add_and_Multiply_of_mismatched_shapes_raise_ShapeError() =>
        // Same rank and no dimension 1, so the law also holds if the merges learn Keras's broadcasting.
        Prop.ForAll(ArrayOf(Gen.Choose(2, 6), 1, 3).SelectMany(a => Gen.Choose(2, 6).ArrayOf(a.Length), (a, b) => (a, b))
            .Where(t => !t.a.SequenceEqual(t.b)).SelectMany(_ => Gen.Elements(true, false), (t, add) => (t.a, t.b, add)).ToArbitrary(), t =>
        {
            var (a, b, add) = t;
            Layer merge = add ? new Add { Id = Id, Name = "merge" } : new Multiply { Id = Id, Name = "merge" };
            Shape[] inputs = [Shape.Batched(a), Shape.Batched(b)];
            return ThrowsShapeError(() => merge.OutputShapes(inputs),
                    e => e.Message.Contains("merge") && e.Message.Contains(inputs[0].ToString()) && e.Message.Contains(inputs[1].ToString()))
                .Label(Message(() => merge.OutputShapes(inputs)));
        });

    [Property]
    public Property Add_and_Multiply_of_equal_shapes_keep_the_shape() =>
        Prop.ForAll(All(ArrayOf(Gen.Choose(1, 6), 1, 3), Gen.Choose(2, 4), Gen.Elements(true, false)).ToArbitrary(), t =>
        {
            var (dims, count, add) = t;
            Layer merge = add ? new Add { Id = Id, Name = "merge" } : new Multiply { Id = Id, Name = "merge" };
            var shape = Shape.Batched(dims);
            return merge.OutputShapes(Enumerable.Repeat(shape, count).ToList())[0] == shape;
        });
}
