using DeepGraph.Core;
using DeepGraph.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using System.Numerics;

namespace DeepGraph.Properties.Layers;

/// <summary>
/// Every size computed from a layer's configuration is checked: absurd configurations (dilations,
/// strides, paddings, units near 2^31) are refused at call time with a <see cref="ShapeError"/>
/// naming the layer and the argument, never an overflow, a wrong shape or memory outside a buffer.
/// </summary>
public class SizeLimits
{
    private static Core.Model OneLayer(Layer layer, params int[][] inputs) => Execution.Harness.OneLayer(layer, inputs);

    private static ShapeError Refused(Action act) => Assert.Throws<ShapeError>(act);

    [Fact]
    public void A_dilation_of_2_to_the_30_with_same_padding_is_refused_naming_the_layer_and_the_argument()
    {
        var conv = new Conv2D(4, (3, 3), padding: "same", dilationRate: (1, 1 << 30)) { Id = new LayerId(5), Name = "dilated" };
        var e = Refused(() => OneLayer(conv, [1, 28, 28, 1]));
        Assert.Equal("dilated", e.LayerName);
        Assert.Contains("dilation_rate", e.Message);
        Assert.Contains("1073741824", e.Message);
        Assert.Contains("\"dilated\"", e.Message);
    }

    [Fact]
    public void A_dilation_whose_window_fits_an_int_but_not_beside_the_input_is_refused_too()
    {
        // (3 − 1)·2^29 + 1 fits an int, but padding and taps around a 28-long axis would not.
        var conv = new Conv2D(4, (3, 3), padding: "same", dilationRate: (1 << 29, 1)) { Id = new LayerId(5), Name = "wide" };
        var e = Refused(() => OneLayer(conv, [1, 28, 28, 1]));
        Assert.Contains("height", e.Message);
        Assert.Contains("536870912", e.Message);
    }

    /// <summary>
    /// The same configurations read from a file (the loader builds through the same records): each
    /// mutant of a convolution fixture either loads and predicts a batch of 2 (and of 0), or is refused
    /// with a documented error naming the layer; none reaches a kernel with an impossible window.
    /// </summary>
    [Theory]
    [InlineData("dilation_rate", "[1, 1073741824]", "same")]
    [InlineData("dilation_rate", "[536870912, 1]", "same")]
    [InlineData("strides", "[2147483647, 2147483647]", "same")]
    [InlineData("strides", "[2147483647, 2147483647]", "valid")]
    [InlineData("kernel_size", "[2147483647, 3]", "same")]
    [InlineData("filters", "0", "valid")]
    [InlineData("filters", "-5", "valid")]
    public void A_model_file_with_an_absurd_convolution_is_refused_by_name_or_runs(string key, string value, string padding)
    {
        var folder = Path.Combine(Serialization.Fixtures.Train, "conv_binary");
        var root = System.Text.Json.Nodes.JsonNode.Parse(Serialization.Fixtures.Json(folder))!;
        var conv = root["modelTopology"]!["config"]!["layers"]!.AsArray().Single(l => (string?)l!["class_name"] == "Conv2D")!["config"]!;
        conv[key] = System.Text.Json.Nodes.JsonNode.Parse(value);
        conv["padding"] = padding;
        var mutant = root.ToJsonString();
        Core.Model model;
        try
        {
            model = DeepGraph.Serialization.TfjsModel.Read(mutant, p => File.ReadAllBytes(Path.Combine(folder, p)));
        }
        catch (Exception e) when (e is ModelFormatError or ShapeError)
        {
            Assert.Contains("conv", e.Message);
            return;
        }
        var context = new ForwardContext(Execution.Harness.Managed, new TensorPool());
        Assert.Equal(2, Executor.Run(model, [Tensor.Zeros(2, 6, 6, 2)], context)[0].Shape[0]);
        Assert.Equal(0, Executor.Run(model, [Tensor.Zeros(0, 6, 6, 2)], context)[0].Shape[0]);
    }

    [Fact]
    public void The_convolution_kernel_refuses_an_inconsistent_window_before_touching_memory()
    {
        if (!DirectConv.IsSupported) return;
        var x = new float[28 * 28];
        var y = new float[28 * 28 * 16];
        var kernel = new float[9 * 16];
        // What the unchecked shape inference used to hand the kernel: a dilation whose span overflows.
        var overflowing = new Window2D(1, 28, 28, 1, 3, 3, 1, 1, 1, 1 << 30, 1, 0, 28, 28);
        Assert.Throws<ArgumentException>(() => DirectConv.Run(x, overflowing, kernel, default, 16, y, 1));
        // A window whose sizes are sound but whose buffers are too short.
        var sound = new Window2D(1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 1, 28, 28);
        Assert.Throws<ArgumentException>(() => DirectConv.Run(x.AsSpan(0, 100), sound, kernel, default, 16, y, 1));
        Assert.Throws<ArgumentException>(() => DirectConv.Run(x, sound, kernel, default, 16, y.AsSpan(0, 100), 1));
        // 29 rows of output still start inside the input (the last at row 27, under one cell of padding); 30 do not.
        Assert.Throws<ArgumentException>(() => Spatial.Pool(true, x, sound with { OH = 30 }, y));
        Assert.ThrowsAny<ArgumentException>(() => Spatial.Im2Col(x, sound, 0, 785, new float[785 * 9]));
    }

    /// <summary>Window fields from a mix of small, zero, negative and huge values.</summary>
    private static readonly Gen<int> AnyField = Gen.Frequency(
        (6, Gen.Choose(1, 6)),
        (1, Gen.Choose(-3, 0)),
        (1, Gen.Elements(1 << 30, (1 << 30) + 1, int.MaxValue, int.MaxValue - 1, 1 << 29, 46341)));

    /// <summary>
    /// Any geometry, however absurd, either runs within its buffers (values past the lengths it
    /// claims stay untouched) or is refused with an <see cref="ArgumentException"/> at the kernel's entry.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property Any_window_either_stays_within_its_buffers_or_is_refused_at_entry() =>
        Prop.ForAll(AnyField.ArrayOf(14).ToArbitrary(), f =>
        {
            var g = new Window2D(f[0] % 3, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10] - 1, f[11] - 1, f[12], f[13]);
            const int length = 4096, guard = 64;
            var x = new float[length];
            var y = Enumerable.Repeat(float.NaN, length + guard).ToArray();
            long written = Math.Max(0, (long)g.Batch * g.OH * g.OW * g.C);
            bool refused = false;
            try
            {
                Spatial.Pool(true, x.AsSpan(), g, y.AsSpan(0, length));
            }
            catch (ArgumentException)
            {
                refused = true;
            }
            bool guardIntact = y.AsSpan(length).ToArray().All(float.IsNaN);
            bool withinClaimed = refused || y.AsSpan((int)Math.Min(written, length), length - (int)Math.Min(written, length)).ToArray().All(float.IsNaN);
            return (guardIntact && withinClaimed).Label($"{g}: refused={refused}");
        });

    [Fact]
    public void A_stride_of_int_max_with_same_padding_gives_one_output_per_axis_not_zero()
    {
        var conv = new Conv2D(2, (3, 3), strides: (int.MaxValue, int.MaxValue), padding: "same") { Id = new LayerId(5), Name = "far" };
        var model = OneLayer(conv, [1, 28, 28, 1]);
        Assert.Equal(Shape.Of(null, 1, 1, 2), model.OutputShapesOfModel[0]);
        var pool = new MaxPooling2D((2, 2), (int.MaxValue, int.MaxValue), "same") { Id = new LayerId(5), Name = "far_pool" };
        Assert.Equal(Shape.Of(null, 1, 1, 3), pool.OutputShapes([Shape.Batched(28, 28, 3)])[0]);

        // The one output pixel is the window at the top-left corner (the input is longer than the kernel: no padding),
        // which is what a stride-1 "valid" convolution with the same weights computes first.
        var built = (Conv2D)model.Graph.Layers[conv.Id];
        var dense = new Conv2D(2, (3, 3)) { Id = new LayerId(6), Name = "near" } with { Params = built.Params };
        var rng = new Random(3);
        var x = Execution.Harness.RandomTensor(rng, [2, 28, 28, 1]);
        var context = new ForwardContext(Execution.Harness.Managed, new TensorPool());
        var far = Executor.Run(model, [x], context)[0];
        var near = Executor.Run(OneLayer(dense, [1, 28, 28, 1]), [x], context)[0];
        Assert.Equal(Shape.Known(2, 1, 1, 2), far.Shape);
        for (int b = 0; b < 2; b++)
            for (int f = 0; f < 2; f++)
                Assert.Equal(near[b, 0, 0, f], far[b, 0, 0, f], 5);
    }

    /// <summary>Lengths and strides over the whole int range, edges near 2^31 − 1 often.</summary>
    private static readonly Gen<int> Length = Gen.Frequency(
        (2, Gen.Choose(0, 64)), (2, Gen.Choose(0, int.MaxValue)), (1, Gen.Choose(int.MaxValue - 64, int.MaxValue)));

    private static readonly Gen<int> Positive = Length.Select(n => Math.Max(n, 1));

    [Property(MaxTest = 1000)]
    public Property Same_padding_gives_ceil_n_over_s_for_every_n_and_s_up_to_int_max() =>
        Prop.ForAll(Length.ToArbitrary(), Positive.ToArbitrary(), (n, s) =>
        {
            var want = (BigInteger.Parse(n.ToString()) + s - 1) / s;
            return (Padding2D.OutputSize(n, 3, s, "same") == (int)want).Label($"n={n}, s={s}: want {want}, got {Padding2D.OutputSize(n, 3, s, "same")}");
        });

    [Property(MaxTest = 1000)]
    public Property Valid_padding_gives_floor_n_minus_k_over_s_plus_one_and_same_padding_covers_the_input() =>
        Prop.ForAll(Length.ToArbitrary(), Positive.ToArbitrary(), Positive.ToArbitrary(), (n, k, s) =>
        {
            var got = Padding2D.OutputSize(n, k, s, "valid")!.Value;
            var want = n < k ? BigInteger.Zero : (new BigInteger(n) - k) / s + 1;
            var (before, after) = Padding2D.SamePadding(n, k, s);
            var outLen = new BigInteger(Padding2D.OutputSize(n, k, s, "same")!.Value);
            // TensorFlow's rule: the padded input is exactly as long as the windows need (or the input, whichever is longer).
            var covered = outLen == 0 ? 0 : (outLen - 1) * s + k;
            bool sameOk = before >= 0 && after - before is 0 or 1 && BigInteger.Max(covered, n) == n + before + after;
            return (got == want && sameOk).Label($"n={n}, k={k}, s={s}: valid {got} (want {want}), same pad ({before}, {after})");
        });

    [Fact]
    public void ZeroPadding2D_of_2_to_the_30_is_refused_naming_the_layer_and_the_padding()
    {
        var pad = new ZeroPadding2D(1 << 30) { Id = new LayerId(5), Name = "huge_pad" };
        var e = Refused(() => OneLayer(pad, [1, 28, 28, 1]));
        Assert.Equal("huge_pad", e.LayerName);
        Assert.Contains("padding", e.Message);
        Assert.Contains("1073741824", e.Message);
        // Each axis fits an int, but one sample does not fit a tensor: refused with its size in bytes.
        var wide = new ZeroPadding2D(1 << 20) { Id = new LayerId(5), Name = "wide_pad" };
        var f = Refused(() => OneLayer(wide, [1, 1, 1, 1]));
        Assert.Contains("bytes", f.Message);
        Assert.Contains("\"wide_pad\"", f.Message);
    }

    [Fact]
    public void Conv2D_with_100000_filters_on_500_by_500_is_refused_at_call_time_with_the_bytes()
    {
        var conv = new Conv2D(100000, (1, 1)) { Id = new LayerId(5), Name = "many_filters" };
        var e = Refused(() => OneLayer(conv, [1, 500, 500, 3]));
        Assert.Equal("many_filters", e.LayerName);
        Assert.Contains("25,000,000,000 values", e.Message);
        Assert.Contains("100,000,000,000 bytes", e.Message);
    }

    [Fact]
    public void Dense_with_int_max_units_or_a_kernel_beyond_an_array_is_refused_at_build()
    {
        var e = Refused(() => OneLayer(new Dense(int.MaxValue) { Id = new LayerId(5), Name = "too_wide" }, [1, 4]));
        Assert.Equal("too_wide", e.LayerName);
        Assert.Contains("bytes", e.Message);
        // The output fits (2^29 per sample), the kernel (16 × 2^29) does not: named as the weight.
        var f = Refused(() => OneLayer(new Dense(1 << 29) { Id = new LayerId(5), Name = "big_kernel" }, [1, 16]));
        Assert.Contains("'kernel'", f.Message);
        Assert.Contains("(16, 536870912)", f.Message);
    }

    [Fact]
    public void Reshape_Flatten_and_Concatenate_refuse_a_sample_larger_than_a_tensor()
    {
        Refused(() => OneLayer(new Reshape([1 << 16, 1 << 16]) { Id = new LayerId(5), Name = "r" }, [1, 4]));
        var concat = new Concatenate() { Id = new LayerId(5), Name = "cat" };
        var e = Refused(() => concat.OutputShapes([Shape.Batched(1 << 30), Shape.Batched(1 << 30)]));
        Assert.Equal("cat", e.LayerName);
        Refused(() => new InputLayer(Shape.Batched(1 << 16, 1 << 16)) { Id = new LayerId(1), Name = "in" }.OutputShapes([]));
    }

    [Fact]
    public void Tensor_Zeros_beyond_an_array_throws_InsufficientMemory_with_the_bytes_not_Overflow()
    {
        var e = Assert.Throws<InsufficientMemoryException>(() => Tensor.Zeros(65536, 65536));
        Assert.Contains("17,179,869,184 bytes", e.Message);
        Assert.Throws<InsufficientMemoryException>(() => new TensorPool().RentTensor(Shape.Known(1 << 20, 1 << 20, 1 << 20)));
        Assert.Equal(long.MaxValue, Shape.Known(1 << 30, 1 << 30, 1 << 30).Product());
        Assert.Equal(0, Shape.Known(1 << 30, 1 << 30, 1 << 30, 0).Product());
    }

    [Fact]
    public void A_zero_along_an_axis_a_layer_computes_over_is_refused_naming_the_layer()
    {
        Assert.Equal("d", Refused(() => new Dense(3) { Id = new LayerId(5), Name = "d" }.OutputShapes([Shape.Batched(0)])).LayerName);
        Assert.Equal("c", Refused(() => new Conv2D(3, (1, 1)) { Id = new LayerId(5), Name = "c" }.OutputShapes([Shape.Batched(4, 4, 0)])).LayerName);
        Assert.Equal("g", Refused(() => new GlobalAveragePooling2D() { Id = new LayerId(5), Name = "g" }.OutputShapes([Shape.Batched(0, 4, 2)])).LayerName);
        // Layers that only move values take a 0 anywhere.
        Assert.Equal(Shape.Of(null, 0), new Flatten { Id = new LayerId(5), Name = "f" }.OutputShapes([Shape.Batched(0, 3)])[0]);
        // A 0 in a configuration is refused when the record is made, naming the argument.
        Assert.Contains("units", Assert.Throws<ArgumentException>(() => new Dense(0) { Id = new LayerId(5), Name = "d" }).Message);
        Assert.Contains("filters", Assert.Throws<ArgumentException>(() => new Conv2D(0, (3, 3)) { Id = new LayerId(5), Name = "c" }).Message);
        Assert.Contains("target_shape", Assert.Throws<ArgumentException>(() => new Reshape([0, 2]) { Id = new LayerId(5), Name = "r" }).Message);
    }

    /// <summary>A configuration number: small, zero, negative or near 2^30 and 2^31.</summary>
    private static readonly Gen<int> ConfigNumber = Gen.Frequency(
        (5, Gen.Choose(1, 5)),
        (1, Gen.Choose(-2, 0)),
        (2, Gen.Elements(1 << 15, 1 << 16, 1 << 29, 1 << 30, (1 << 30) + 1, int.MaxValue - 1, int.MaxValue)));

    private static readonly Gen<int> InputDim = Gen.Frequency((5, Gen.Choose(1, 30)), (1, Gen.Elements(1 << 15, 1 << 20, 1 << 30, int.MaxValue)));

    /// <summary>A layer (or the refusal of its constructor) from generated numbers.</summary>
    private static Layer? Make(int kind, int[] n)
    {
        var id = new LayerId(5);
        const string name = "under_test";
        try
        {
            return kind switch
            {
                0 => new Conv2D(n[0], (n[1], n[2]), (n[3], n[4]), n[5] % 2 == 0 ? "same" : "valid") { Id = id, Name = name },
                1 => new Conv2D(n[0], (n[1], n[2]), padding: n[5] % 2 == 0 ? "same" : "valid", dilationRate: (n[3], n[4])) { Id = id, Name = name },
                2 => new MaxPooling2D((n[1], n[2]), (n[3], n[4]), n[5] % 2 == 0 ? "same" : "valid") { Id = id, Name = name },
                3 => new AveragePooling2D((n[1], n[2]), (n[3], n[4]), n[5] % 2 == 0 ? "same" : "valid") { Id = id, Name = name },
                4 => new ZeroPadding2D(((n[1], n[2]), (n[3], n[4]))) { Id = id, Name = name },
                5 => new Dense(n[0]) { Id = id, Name = name },
                6 => new Reshape([n[1], n[2], -1]) { Id = id, Name = name },
                _ => new Reshape([n[1], n[2]]) { Id = id, Name = name },
            };
        }
        catch (ArgumentException e) when (e is not ShapeError)
        {
            return null; // refused at construction: only when a number is out of range
        }
    }

    /// <summary>
    /// For any configuration with huge, zero or negative numbers on any input: the record is refused
    /// at construction (an ArgumentException naming the argument), or shape inference refuses it with
    /// a ShapeError naming the layer, or the output and every weight fit one tensor; and for windowed
    /// layers the kernels' window agrees with the inferred shape.
    /// </summary>
    [Property(MaxTest = 500)]
    public Property Any_configuration_is_refused_by_name_or_gives_shapes_that_fit_a_tensor() =>
        Prop.ForAll(Gen.Choose(0, 7).ToArbitrary(), ConfigNumber.ArrayOf(6).ToArbitrary(), InputDim.ArrayOf(3).ToArbitrary(), (kind, n, dims) =>
        {
            var layer = Make(kind, n);
            if (layer is null) return n.Any(v => v <= 0).Label("constructor refused positive numbers");
            var input = kind is 5 or 6 or 7 ? Shape.Batched(dims[0]) : Shape.Batched(dims[0], dims[1], dims[2]);
            try
            {
                new InputLayer(input) { Id = new LayerId(1), Name = "in" }.OutputShapes([]);
            }
            catch (ShapeError)
            {
                return true.Label("input itself too large");
            }
            try
            {
                var output = layer.OutputShapes([input])[0];
                var weights = layer is WeightedLayer w ? w.WeightSpecs([input]) : [];
                bool fits = output.Product(1) <= TensorLimits.MaxElements && weights.All(s => s.Shape.Product() <= TensorLimits.MaxElements);
                bool windowAgrees = true;
                if (layer is Conv2D or Pooling2D)
                {
                    var batch = input.WithBatch(2);
                    var g = layer is Conv2D c
                        ? Window2D.Of(batch, c.KernelSize, c.Strides, c.DilationRate, c.Padding)
                        : Window2D.Of(batch, ((Pooling2D)layer).PoolSize, ((Pooling2D)layer).Strides, (1, 1), ((Pooling2D)layer).Padding);
                    windowAgrees = g.OH == output[1] && g.OW == output[2];
                }
                return (fits && windowAgrees).Label($"{layer} on {input} → {output}, weights {string.Join(", ", weights.Select(s => s.Shape))}");
            }
            catch (ShapeError e)
            {
                return (e.LayerName == "under_test" && e.Message.Contains("\"under_test\"")).Label(e.Message);
            }
        });
}
