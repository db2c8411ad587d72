using DeepGraph.Core;
using DeepGraph.Numerics;
using DeepGraph.Properties.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static DeepGraph.Properties.Execution.Harness;

namespace DeepGraph.Properties.Execution;

/// <summary>
/// Every layer's forward pass, run through <see cref="Executor"/> on the managed GEMM and (as
/// separate tests, skipped when none loads) on every native BLAS, equals a float64 reference written with plain loops (<see cref="Reference"/>) on
/// generated shapes, configurations, weights and inputs, within
/// |got − want| ≤ 1e-4 · max(1, |want|); its output shape is the one shape inference gives.
/// </summary>
public class ForwardReference
{
    private static readonly Gen<int> Seed = Gen.Choose(0, int.MaxValue - 1);
    private static readonly Gen<string> AnyActivation = Gen.Elements(Activations.Names.ToArray());
    private static readonly Gen<bool> Bool = Gen.Elements(true, false);

    private static Property Holds(Gen<LayerCase> cases, IReadOnlyList<IGemm> gemms) =>
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            string? failure = Check(c, gemms);
            return (failure is null).Label(failure is null ? "" : $"{c}: {failure}");
        });

    private static int[] Dims(params int[] dims) => dims;

    /// <summary>Weights uniform in ±1.5/√fanIn, so pre-activations stay of order 1 whatever the fan-in.</summary>
    private static Tensor Weights(Random rng, int fanIn, params int[] shape)
    {
        double a = 1.5 / Math.Sqrt(fanIn);
        return RandomTensor(rng, shape, -a, a);
    }

    // ---- Conv2D -------------------------------------------------------------------------

    /// <summary>One spatial configuration of a convolution.</summary>
    private sealed record ConvGeometry((int H, int W) Kernel, (int H, int W) Strides, (int H, int W) Dilation, bool Same);

    private static readonly Gen<ConvGeometry> GeneralGeometry =
        from kh in Gen.Choose(1, 5)
        from kw in Gen.Choose(1, 5)
        from dilated in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from dh in dilated ? Gen.Choose(1, 2) : Gen.Constant(1)
        from dw in dilated ? Gen.Choose(1, 2) : Gen.Constant(1)
        from sh in dilated ? Gen.Constant(1) : Gen.Choose(1, 3)
        from sw in dilated ? Gen.Constant(1) : Gen.Choose(1, 3)
        from same in Bool
        select new ConvGeometry((kh, kw), (sh, sw), (dh, dw), same);

    /// <summary>1×1 stride 1 (the pointwise path that skips im2col), and 1×1 with strides (im2col).</summary>
    private static readonly Gen<ConvGeometry> OneByOne =
        from strided in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
        from sh in strided ? Gen.Choose(1, 3) : Gen.Constant(1)
        from sw in strided ? Gen.Choose(1, 3) : Gen.Constant(1)
        from same in Bool
        select new ConvGeometry((1, 1), (sh, sw), (1, 1), same);

    private static Gen<LayerCase> ConvCases(Gen<ConvGeometry> geometries) =>
        from g in geometries
        let ekh = (g.Kernel.H - 1) * g.Dilation.H + 1
        let ekw = (g.Kernel.W - 1) * g.Dilation.W + 1
        from h in g.Same ? Gen.Choose(1, 12) : Gen.Choose(ekh, Math.Max(ekh, 12))
        from w in g.Same ? Gen.Choose(1, 12) : Gen.Choose(ekw, Math.Max(ekw, 12))
        from batch in Gen.Choose(1, 3)
        from cin in Gen.Choose(1, 5)
        // Few filters, and counts on either side of the implicit-GEMM kernel's 16/32/64-filter blocks.
        from filters in Gen.OneOf(Gen.Choose(1, 6), Gen.Elements(15, 16, 17, 31, 32, 33, 48, 50, 63, 64, 65, 100))
        from bias in Bool
        from activation in AnyActivation
        from seed in Seed
        select ConvCase(g, batch, h, w, cin, filters, bias, activation, seed);

    private static LayerCase ConvCase(ConvGeometry g, int batch, int h, int w, int cin, int filters, bool bias, string activation, int seed)
    {
        var rng = new Random(seed);
        var kernel = Weights(rng, g.Kernel.H * g.Kernel.W * cin, g.Kernel.H, g.Kernel.W, cin, filters);
        var b = RandomTensor(rng, [filters]);
        var layer = new Conv2D(filters, g.Kernel, g.Strides, g.Same ? "same" : "valid", activation, bias, g.Dilation)
        {
            Id = LayerUnderTest,
            Name = "conv",
        } with { Params = bias ? EquatableArray.Of(kernel, b) : EquatableArray.Of(kernel) };
        double[] k = Wide(kernel), bb = Wide(b);
        return new LayerCase($"Conv2D({filters}, k={g.Kernel}, s={g.Strides}, d={g.Dilation}, {(g.Same ? "same" : "valid")}, bias={bias}, {activation})",
            layer, [Dims(batch, h, w, cin)], seed + 1,
            x => Reference.Conv2D(x[0], k, bias ? bb : null, filters, g.Kernel, g.Strides, g.Dilation, g.Same, activation));
    }

    [Property(MaxTest = 300)]
    public Property Conv2D_equals_the_reference_for_every_kernel_stride_padding_dilation_bias_and_activation() => Conv2D_equals_the_reference_for_every_kernel_stride_padding_dilation_bias_and_activation_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 300)]
    public Property Conv2D_equals_the_reference_for_every_kernel_stride_padding_dilation_bias_and_activation_on_native_BLAS() => Conv2D_equals_the_reference_for_every_kernel_stride_padding_dilation_bias_and_activation_on(NativeOrFail);

    private static Property Conv2D_equals_the_reference_for_every_kernel_stride_padding_dilation_bias_and_activation_on(IReadOnlyList<IGemm> gemms) => Holds(ConvCases(GeneralGeometry), gemms);

    [Property(MaxTest = 80)]
    public Property Conv2D_1x1_equals_the_reference_pointwise_and_strided() => Conv2D_1x1_equals_the_reference_pointwise_and_strided_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 80)]
    public Property Conv2D_1x1_equals_the_reference_pointwise_and_strided_on_native_BLAS() => Conv2D_1x1_equals_the_reference_pointwise_and_strided_on(NativeOrFail);

    private static Property Conv2D_1x1_equals_the_reference_pointwise_and_strided_on(IReadOnlyList<IGemm> gemms) => Holds(ConvCases(OneByOne), gemms);

    /// <summary>Every (kernel, stride, padding) combination once, on a fixed small input: the systematic sweep.</summary>
    [Fact]
    public void Conv2D_every_kernel_stride_and_padding_combination_equals_the_reference() => Conv2D_every_kernel_stride_and_padding_combination_equals_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Conv2D_every_kernel_stride_and_padding_combination_equals_the_reference_on_native_BLAS() => Conv2D_every_kernel_stride_and_padding_combination_equals_the_reference_on(NativeOrFail);

    private static void Conv2D_every_kernel_stride_and_padding_combination_equals_the_reference_on(IReadOnlyList<IGemm> gemms)
    {
        int seed = 0;
        foreach (int kh in new[] { 1, 2, 3, 4, 5 })
            foreach (int kw in new[] { 1, 2, 3, 4, 5 })
                foreach (var s in new[] { (1, 1), (2, 2), (3, 3), (1, 3), (2, 1) })
                    foreach (bool same in new[] { true, false })
                    {
                        var g = new ConvGeometry((kh, kw), s, (1, 1), same);
                        var c = ConvCase(g, 2, 7, 6, 2, 3, seed % 2 == 0, Activations.Names[seed % Activations.Names.Count], seed);
                        seed++;
                        Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
                    }
        foreach (int kh in new[] { 1, 2, 3 })
            foreach (var d in new[] { (1, 2), (2, 1), (2, 2) })
                foreach (bool same in new[] { true, false })
                {
                    var c = ConvCase(new ConvGeometry((kh, 3), (1, 1), d, same), 1, 9, 8, 2, 2, true, "linear", seed++);
                    Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
                }
    }

    /// <summary>
    /// Patches of 5·5·64 = 1600 values: Conv2D.Im2ColBudget / 1600 = 655 output pixels per im2col
    /// tile, so these run in several tiles (the last one ragged, tile edges inside an image and
    /// across the batch). The dot products are 1600 long, so the tolerance is scaled by
    /// √(1600/100) = 4 (float32 accumulation error grows like √k).
    /// </summary>
    [Theory]
    [InlineData(2, 29, 31, 1, 1, 1, 1, "same")]    // 1798 rows: tiles of 655, 655, 488
    [InlineData(1, 40, 40, 1, 1, 2, 1, "valid")]   // dilated (9×5 effective): 32·36 = 1152 rows, 2 tiles
    [InlineData(3, 30, 30, 2, 1, 1, 1, "same")]    // strided: 3·15·30 = 1350 rows, 3 tiles
    public void Conv2D_over_several_im2col_tiles_equals_the_reference(int batch, int h, int w, int sh, int sw, int dh, int dw, string padding) => Conv2D_over_several_im2col_tiles_equals_the_reference_on(ManagedOnly, batch, h, w, sh, sw, dh, dw, padding);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeTheory]
    [InlineData(2, 29, 31, 1, 1, 1, 1, "same")]    // 1798 rows: tiles of 655, 655, 488
    [InlineData(1, 40, 40, 1, 1, 2, 1, "valid")]   // dilated (9×5 effective): 32·36 = 1152 rows, 2 tiles
    [InlineData(3, 30, 30, 2, 1, 1, 1, "same")]    // strided: 3·15·30 = 1350 rows, 3 tiles
    public void Conv2D_over_several_im2col_tiles_equals_the_reference_on_native_BLAS(int batch, int h, int w, int sh, int sw, int dh, int dw, string padding) => Conv2D_over_several_im2col_tiles_equals_the_reference_on(NativeOrFail, batch, h, w, sh, sw, dh, dw, padding);

    private static void Conv2D_over_several_im2col_tiles_equals_the_reference_on(IReadOnlyList<IGemm> gemms, int batch, int h, int w, int sh, int sw, int dh, int dw, string padding)
    {
        const int cin = 64, filters = 3, tile = Conv2D.Im2ColBudget / (5 * 5 * cin);
        var g = new ConvGeometry((5, 5), (sh, sw), (dh, dw), padding == "same");
        var c = ConvCase(g, batch, h, w, cin, filters, true, "linear", 12345) with { Tolerance = 4e-4 };
        long rows = c.Layer.OutputShapes([Shape.Known(batch, h, w, cin)])[0].Product()!.Value / filters;
        Assert.True(rows > tile && rows % tile != 0, $"{rows} rows, {tile} per tile");
        Assert.Null(Check(c, gemms));
    }

    // ---- Dense --------------------------------------------------------------------------

    private static readonly Gen<LayerCase> DenseCases =
        from rank3 in Bool
        from batch in Gen.Choose(1, 4)
        from steps in Gen.Choose(1, 4)
        from inDim in Gen.Choose(1, 8)
        from units in Gen.Choose(1, 6)
        from bias in Bool
        from activation in AnyActivation
        from seed in Seed
        select DenseCase(rank3 ? [batch, steps, inDim] : [batch, inDim], units, bias, activation, seed);

    private static LayerCase DenseCase(int[] input, int units, bool bias, string activation, int seed)
    {
        var rng = new Random(seed);
        int inDim = input[^1];
        var kernel = Weights(rng, inDim, inDim, units);
        var b = RandomTensor(rng, [units]);
        var layer = new Dense(units, activation, bias) { Id = LayerUnderTest, Name = "dense" }
            with { Params = bias ? EquatableArray.Of(kernel, b) : EquatableArray.Of(kernel) };
        double[] k = Wide(kernel), bb = Wide(b);
        return new LayerCase($"Dense({units}, bias={bias}, {activation})", layer, [input], seed + 1,
            x => Reference.Dense(x[0], k, bias ? bb : null, units, activation));
    }

    [Property(MaxTest = 200)]
    public Property Dense_on_rank_2_and_rank_3_equals_the_reference_for_every_activation() => Dense_on_rank_2_and_rank_3_equals_the_reference_for_every_activation_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 200)]
    public Property Dense_on_rank_2_and_rank_3_equals_the_reference_for_every_activation_on_native_BLAS() => Dense_on_rank_2_and_rank_3_equals_the_reference_for_every_activation_on(NativeOrFail);

    private static Property Dense_on_rank_2_and_rank_3_equals_the_reference_for_every_activation_on(IReadOnlyList<IGemm> gemms) => Holds(DenseCases, gemms);

    /// <summary>
    /// A few rows against a kernel of over a million values take the streaming path
    /// (<see cref="DeepGraph.Numerics.SkinnyGemm"/>): every row count it takes, column counts on
    /// either side of its 16- and 64-column blocks, k split over threads unevenly. The dot
    /// products are 70,001 long, so the tolerance scales as for the long convolutions (√(k/100)·1e-4).
    /// </summary>
    [Fact]
    public void Dense_with_few_rows_and_a_large_kernel_equals_the_reference() => Dense_with_few_rows_and_a_large_kernel_equals_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Dense_with_few_rows_and_a_large_kernel_equals_the_reference_on_native_BLAS() => Dense_with_few_rows_and_a_large_kernel_equals_the_reference_on(NativeOrFail);

    private static void Dense_with_few_rows_and_a_large_kernel_equals_the_reference_on(IReadOnlyList<IGemm> gemms)
    {
        foreach (int rows in new[] { 1, 2, 3, 4, 5 })
            foreach (int units in rows % 2 == 0 ? new[] { 16, 100 } : new[] { 17, 64 })
            {
                var c = DenseCase([rows, 70_001], units, rows % 2 == 0, rows == 3 ? "relu" : "linear", 100 * rows + units) with { Tolerance = 3e-3 };
                Assert.True(DeepGraph.Numerics.SkinnyGemm.Applies(rows, 70_001, units) == (rows <= 4 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated));
                Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
            }
    }

    // ---- Pooling ------------------------------------------------------------------------

    private static readonly Gen<LayerCase> PoolCases =
        from max in Bool
        from ph in Gen.Choose(1, 4)
        from pw in Gen.Choose(1, 4)
        from strides in Gen.Elements<(int H, int W)?>(null, (1, 1), (2, 2), (3, 3), (1, 2), (2, 1), (3, 2), (2, 3))
        from same in Bool
        from h in same ? Gen.Choose(1, 10) : Gen.Choose(ph, ph + 7)
        from w in same ? Gen.Choose(1, 10) : Gen.Choose(pw, pw + 7)
        from batch in Gen.Choose(1, 3)
        from c in Gen.Choose(1, 4)
        from seed in Seed
        select PoolCase(max, (ph, pw), strides, same, [batch, h, w, c], seed);

    private static LayerCase PoolCase(bool max, (int H, int W) pool, (int H, int W)? strides, bool same, int[] input, int seed)
    {
        string padding = same ? "same" : "valid";
        Layer layer = max
            ? new MaxPooling2D(pool, strides, padding) { Id = LayerUnderTest, Name = "pool" }
            : new AveragePooling2D(pool, strides, padding) { Id = LayerUnderTest, Name = "pool" };
        return new LayerCase($"{layer.ClassName}(pool={pool}, strides={strides?.ToString() ?? "default"}, {padding})", layer, [input], seed,
            x => Reference.Pool(x[0], max, pool, strides ?? pool, same));
    }

    [Property(MaxTest = 200)]
    public Property Max_and_average_pooling_equal_the_reference_padded_cells_never_counting() => Max_and_average_pooling_equal_the_reference_padded_cells_never_counting_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 200)]
    public Property Max_and_average_pooling_equal_the_reference_padded_cells_never_counting_on_native_BLAS() => Max_and_average_pooling_equal_the_reference_padded_cells_never_counting_on(NativeOrFail);

    private static Property Max_and_average_pooling_equal_the_reference_padded_cells_never_counting_on(IReadOnlyList<IGemm> gemms) => Holds(PoolCases, gemms);

    /// <summary>Edges where the window is mostly padding: average divides by the real cells only, max ignores the padding (all values negative here).</summary>
    [Fact]
    public void Pooling_windows_partly_in_the_padding_count_only_real_cells() => Pooling_windows_partly_in_the_padding_count_only_real_cells_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Pooling_windows_partly_in_the_padding_count_only_real_cells_on_native_BLAS() => Pooling_windows_partly_in_the_padding_count_only_real_cells_on(NativeOrFail);

    private static void Pooling_windows_partly_in_the_padding_count_only_real_cells_on(IReadOnlyList<IGemm> gemms)
    {
        // 1×1 input, 3×3 window, same: one real cell; 2×3 input, 4×4 window stride 3 (padding 1 before, 2 after).
        foreach (var (input, pool, strides) in new[] { (Dims(1, 1, 1, 2), (3, 3), (1, 1)), (Dims(2, 2, 3, 1), (4, 4), (3, 3)), (Dims(1, 5, 4, 3), (2, 3), (2, 2)) })
            foreach (bool max in new[] { true, false })
            {
                var c = PoolCase(max, pool, strides, true, input, 3) with { Data = (rng, n) => Uniform(rng, n, -2, -1) };
                Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
            }
        // Hand-computed: 2×2 input [1 2; 3 4], 2×2 average pooling with strides 1, same → the last row/column average fewer cells.
        var avg = new AveragePooling2D((2, 2), (1, 1), "same") { Id = LayerUnderTest, Name = "pool" };
        var y = Executor.Run(OneLayer(avg, [Dims(1, 2, 2, 1)]), [Tensor.FromArray([1, 2, 3, 4], [1, 2, 2, 1])], new ForwardContext(Managed, new TensorPool()))[0];
        Assert.Equal([2.5f, 3f, 3.5f, 4f], y.ToArray());
    }

    /// <summary>Inputs large enough that pooling splits its images over threads (an odd batch, so the split is uneven).</summary>
    [Fact]
    public void Pooling_split_over_threads_equals_the_reference() => Pooling_split_over_threads_equals_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Pooling_split_over_threads_equals_the_reference_on_native_BLAS() => Pooling_split_over_threads_equals_the_reference_on(NativeOrFail);

    private static void Pooling_split_over_threads_equals_the_reference_on(IReadOnlyList<IGemm> gemms)
    {
        foreach (bool max in new[] { true, false })
            foreach (bool same in new[] { true, false })
            {
                var c = PoolCase(max, (2, 2), null, same, Dims(9, 21, 20, 40), 11);
                Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
            }
    }

    // ---- Global pooling, padding, normalisation -------------------------------------------

    private static readonly Gen<LayerCase> GlobalPoolCases =
        from max in Bool
        from keepDims in Bool
        from batch in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 6)
        from w in Gen.Choose(1, 6)
        from c in Gen.Choose(1, 5)
        from seed in Seed
        select new LayerCase($"Global{(max ? "Max" : "Average")}Pooling2D(keepDims={keepDims})",
            max ? new GlobalMaxPooling2D(keepDims) { Id = LayerUnderTest, Name = "gp" } : new GlobalAveragePooling2D(keepDims) { Id = LayerUnderTest, Name = "gp" },
            [Dims(batch, h, w, c)], seed, x => Reference.GlobalPool(x[0], max, keepDims));

    [Property(MaxTest = 50)]
    public Property Global_pooling_equals_the_reference_with_and_without_keepdims() => Global_pooling_equals_the_reference_with_and_without_keepdims_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 50)]
    public Property Global_pooling_equals_the_reference_with_and_without_keepdims_on_native_BLAS() => Global_pooling_equals_the_reference_with_and_without_keepdims_on(NativeOrFail);

    private static Property Global_pooling_equals_the_reference_with_and_without_keepdims_on(IReadOnlyList<IGemm> gemms) => Holds(GlobalPoolCases, gemms);

    private static readonly Gen<LayerCase> ZeroPadCases =
        from top in Gen.Choose(0, 3)
        from bottom in Gen.Choose(0, 3)
        from left in Gen.Choose(0, 3)
        from right in Gen.Choose(0, 3)
        from batch in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 5)
        from w in Gen.Choose(1, 5)
        from c in Gen.Choose(1, 4)
        from seed in Seed
        select new LayerCase($"ZeroPadding2D((({top}, {bottom}), ({left}, {right})))",
            new ZeroPadding2D(((top, bottom), (left, right))) { Id = LayerUnderTest, Name = "pad" },
            [Dims(batch, h, w, c)], seed, x => Reference.ZeroPad(x[0], top, bottom, left, right));

    [Property(MaxTest = 50)]
    public Property ZeroPadding2D_equals_the_reference_with_asymmetric_padding() => ZeroPadding2D_equals_the_reference_with_asymmetric_padding_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 50)]
    public Property ZeroPadding2D_equals_the_reference_with_asymmetric_padding_on_native_BLAS() => ZeroPadding2D_equals_the_reference_with_asymmetric_padding_on(NativeOrFail);

    private static Property ZeroPadding2D_equals_the_reference_with_asymmetric_padding_on(IReadOnlyList<IGemm> gemms) => Holds(ZeroPadCases, gemms);

    private static readonly Gen<LayerCase> BatchNormCases =
        from rank in Gen.Choose(2, 4)
        from dims in Gen.Choose(1, 4).ArrayOf(rank)
        from axis in Gen.Choose(1, rank - 1)
        from negative in Bool
        from lastSpelledMinusOne in Bool
        from epsilon in Gen.Elements(1e-3, 1e-5, 1e-2, 0.5)
        from center in Bool
        from scale in Bool
        from seed in Seed
        select BatchNormCase(dims, axis == rank - 1 && lastSpelledMinusOne ? -1 : negative ? axis - rank : axis, epsilon, center, scale, seed);

    private static LayerCase BatchNormCase(int[] shape, int axis, double epsilon, bool center, bool scale, int seed)
    {
        var rng = new Random(seed);
        int a = axis < 0 ? axis + shape.Length : axis, features = shape[a];
        var gamma = RandomTensor(rng, [features], 0.5, 1.5);
        var beta = RandomTensor(rng, [features]);
        var mean = RandomTensor(rng, [features]);
        var variance = RandomTensor(rng, [features], 0.25, 2);
        var layer = new BatchNormalization(axis, epsilon: epsilon, center: center, scale: scale) { Id = LayerUnderTest, Name = "bn" }
            with { Params = EquatableArray.Of(new[] { scale ? gamma : null, center ? beta : null, mean, variance }.OfType<Tensor>()) };
        double[] g = Wide(gamma), b = Wide(beta), m = Wide(mean), v = Wide(variance);
        return new LayerCase($"BatchNormalization(axis={axis}, epsilon={epsilon}, center={center}, scale={scale})", layer, [shape], seed + 1,
            x => Reference.BatchNorm(x[0], a, scale ? g : null, center ? b : null, m, v, epsilon));
    }

    [Property(MaxTest = 150)]
    public Property BatchNormalization_equals_the_reference_on_any_axis_with_center_and_scale_on_or_off() => BatchNormalization_equals_the_reference_on_any_axis_with_center_and_scale_on_or_off_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 150)]
    public Property BatchNormalization_equals_the_reference_on_any_axis_with_center_and_scale_on_or_off_on_native_BLAS() => BatchNormalization_equals_the_reference_on_any_axis_with_center_and_scale_on_or_off_on(NativeOrFail);

    private static Property BatchNormalization_equals_the_reference_on_any_axis_with_center_and_scale_on_or_off_on(IReadOnlyList<IGemm> gemms) => Holds(BatchNormCases, gemms);

    // ---- Merges -------------------------------------------------------------------------

    private static readonly Gen<LayerCase> ConcatenateCases =
        from rank in Gen.Choose(2, 4)
        from dims in Gen.Choose(1, 4).ArrayOf(rank)
        from axis in Gen.Choose(1, rank - 1)
        from negative in Bool
        from count in Gen.Choose(2, 3)
        from lengths in Gen.Choose(1, 4).ArrayOf(count)
        from seed in Seed
        let spelled = negative ? axis - rank : axis
        select new LayerCase($"Concatenate(axis={spelled})", new Concatenate(spelled) { Id = LayerUnderTest, Name = "cat" },
            [.. lengths.Select(n => { var s = (int[])dims.Clone(); s[axis] = n; return s; })], seed,
            x => Reference.Concatenate(x, axis));

    [Property(MaxTest = 80)]
    public Property Concatenate_equals_the_reference_on_positive_and_negative_axes() => Concatenate_equals_the_reference_on_positive_and_negative_axes_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 80)]
    public Property Concatenate_equals_the_reference_on_positive_and_negative_axes_on_native_BLAS() => Concatenate_equals_the_reference_on_positive_and_negative_axes_on(NativeOrFail);

    private static Property Concatenate_equals_the_reference_on_positive_and_negative_axes_on(IReadOnlyList<IGemm> gemms) => Holds(ConcatenateCases, gemms);

    private static readonly Gen<LayerCase> MergeCases =
        from product in Bool
        from count in Gen.Choose(2, 3)
        from rank in Gen.Choose(2, 4)
        from dims in Gen.Choose(1, 5).ArrayOf(rank)
        from seed in Seed
        select new LayerCase($"{(product ? "Multiply" : "Add")} of {count}",
            product ? new Multiply { Id = LayerUnderTest, Name = "merge" } : new Add { Id = LayerUnderTest, Name = "merge" },
            [.. Enumerable.Repeat(dims, count)], seed, x => Reference.Merge(x, product));

    [Property(MaxTest = 60)]
    public Property Add_and_Multiply_of_2_and_3_inputs_equal_the_reference() => Add_and_Multiply_of_2_and_3_inputs_equal_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 60)]
    public Property Add_and_Multiply_of_2_and_3_inputs_equal_the_reference_on_native_BLAS() => Add_and_Multiply_of_2_and_3_inputs_equal_the_reference_on(NativeOrFail);

    private static Property Add_and_Multiply_of_2_and_3_inputs_equal_the_reference_on(IReadOnlyList<IGemm> gemms) => Holds(MergeCases, gemms);

    // ---- Reshapes and identities --------------------------------------------------------

    private static readonly Gen<int[]> AnyShape =
        from rank in Gen.Choose(2, 5)
        from dims in Gen.Choose(1, 4).ArrayOf(rank)
        select dims;

    private static readonly Gen<LayerCase> FlattenCases =
        from shape in AnyShape
        from seed in Seed
        select new LayerCase("Flatten", new Flatten { Id = LayerUnderTest, Name = "flatten" }, [shape], seed,
            x => x[0].Reshaped(shape[0], shape[1..].Aggregate(1, (p, d) => p * d)));

    [Property(MaxTest = 40)]
    public Property Flatten_keeps_the_row_major_values() => Flatten_keeps_the_row_major_values_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 40)]
    public Property Flatten_keeps_the_row_major_values_on_native_BLAS() => Flatten_keeps_the_row_major_values_on(NativeOrFail);

    private static Property Flatten_keeps_the_row_major_values_on(IReadOnlyList<IGemm> gemms) => Holds(FlattenCases, gemms);

    /// <summary>A target shape for <paramref name="size"/> values: random factors, one of them possibly written −1.</summary>
    private static Gen<int[]> TargetFor(int size) =>
        from parts in Gen.Choose(1, 3)
        from picks in Gen.Choose(0, 1000).ArrayOf(parts)
        from inferred in Gen.Choose(-1, parts - 1)
        select Factor(size, picks, inferred);

    private static int[] Factor(int size, int[] picks, int inferred)
    {
        var target = new int[picks.Length];
        int rest = size;
        for (int i = 0; i < picks.Length - 1; i++)
        {
            var divisors = Enumerable.Range(1, rest).Where(d => rest % d == 0).ToArray();
            target[i] = divisors[picks[i] % divisors.Length];
            rest /= target[i];
        }
        target[^1] = rest;
        if (inferred >= 0) target[inferred] = -1;
        return target;
    }

    private static readonly Gen<LayerCase> ReshapeCases =
        from shape in AnyShape
        from target in TargetFor(shape[1..].Aggregate(1, (p, d) => p * d))
        from seed in Seed
        let size = shape[1..].Aggregate(1, (p, d) => p * d)
        let known = target.Where(d => d != -1).Aggregate(1, (p, d) => p * d)
        select new LayerCase($"Reshape([{string.Join(", ", target)}])", new Reshape(target) { Id = LayerUnderTest, Name = "reshape" }, [shape], seed,
            x => x[0].Reshaped([shape[0], .. target.Select(d => d == -1 ? size / known : d)]));

    [Property(MaxTest = 60)]
    public Property Reshape_with_and_without_an_inferred_dimension_keeps_the_row_major_values() => Reshape_with_and_without_an_inferred_dimension_keeps_the_row_major_values_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 60)]
    public Property Reshape_with_and_without_an_inferred_dimension_keeps_the_row_major_values_on_native_BLAS() => Reshape_with_and_without_an_inferred_dimension_keeps_the_row_major_values_on(NativeOrFail);

    private static Property Reshape_with_and_without_an_inferred_dimension_keeps_the_row_major_values_on(IReadOnlyList<IGemm> gemms) => Holds(ReshapeCases, gemms);

    private static readonly Gen<LayerCase> DropoutInferenceCases =
        from shape in AnyShape
        from rate in Gen.Elements(0.0, 0.1, 0.5, 0.9)
        from seed in Seed
        select new LayerCase($"Dropout({rate}) at inference", new Dropout(rate) { Id = LayerUnderTest, Name = "dropout" }, [shape], seed, x => x[0]);

    [Property(MaxTest = 30)]
    public Property Dropout_is_the_identity_at_inference() => Dropout_is_the_identity_at_inference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 30)]
    public Property Dropout_is_the_identity_at_inference_on_native_BLAS() => Dropout_is_the_identity_at_inference_on(NativeOrFail);

    private static Property Dropout_is_the_identity_at_inference_on(IReadOnlyList<IGemm> gemms) => Holds(DropoutInferenceCases, gemms);

    // ---- Activations --------------------------------------------------------------------

    /// <summary>Uniform in [−6, 6] with extreme values mixed in (±20, ±100 — but not for exponential, whose e^100 overflows float32 — and 0).</summary>
    private static Func<Random, int, float[]> ActivationData(string activation) => (rng, n) =>
    {
        float[] special = activation == "exponential" ? [0f, 20f, -20f, -100f, 1e-3f] : [0f, 20f, -20f, 100f, -100f, 1e-3f, -1e-3f];
        var data = Uniform(rng, n, -6, 6);
        for (int i = 0; i < n; i++)
            if (rng.Next(4) == 0) data[i] = special[rng.Next(special.Length)];
        return data;
    };

    private static readonly Gen<LayerCase> ActivationCases =
        from activation in AnyActivation
        from spelling in Gen.Elements(0, 1)
        from shape in AnyShape
        from seed in Seed
        select new LayerCase($"Activation({activation})",
            new Activation(spelling == 1 ? CamelCase(activation) : activation) { Id = LayerUnderTest, Name = "act" },
            [shape], seed, x => Reference.Activate(activation, x[0]), ActivationData(activation));

    /// <summary>TF.js's spelling: <c>leaky_relu</c> → <c>leakyRelu</c>.</summary>
    private static string CamelCase(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
    }

    [Property(MaxTest = 200)]
    public Property Activation_layer_equals_the_reference_for_every_function() => Activation_layer_equals_the_reference_for_every_function_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeProperty(MaxTest = 200)]
    public Property Activation_layer_equals_the_reference_for_every_function_on_native_BLAS() => Activation_layer_equals_the_reference_for_every_function_on(NativeOrFail);

    private static Property Activation_layer_equals_the_reference_for_every_function_on(IReadOnlyList<IGemm> gemms) => Holds(ActivationCases, gemms);

    /// <summary>Each activation at least once, on the same inputs (the property draws them at random).</summary>
    [Fact]
    public void Every_activation_equals_the_reference() => Every_activation_equals_the_reference_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Every_activation_equals_the_reference_on_native_BLAS() => Every_activation_equals_the_reference_on(NativeOrFail);

    private static void Every_activation_equals_the_reference_on(IReadOnlyList<IGemm> gemms)
    {
        foreach (var activation in Activations.Names)
        {
            var c = new LayerCase($"Activation({activation})", new Activation(activation) { Id = LayerUnderTest, Name = "act" },
                [Dims(3, 2, 7)], 11, x => Reference.Activate(activation, x[0]), ActivationData(activation));
            Assert.Null(Check(c, gemms) is { } f ? $"{c}: {f}" : null);
        }
    }

    [Fact]
    public void Reference_erf_matches_known_values()
    {
        // erf(0.5), erf(1), erf(2), erf(3) to 16 digits (Abramowitz & Stegun table 7.1 / standard values).
        Assert.Equal(0.5204998778130465, Reference.Erf(0.5), 1e-14);
        Assert.Equal(0.8427007929497149, Reference.Erf(1), 1e-14);
        Assert.Equal(0.9953222650189527, Reference.Erf(2), 1e-14);
        Assert.Equal(0.9999779095030014, Reference.Erf(3), 1e-14);
        Assert.Equal(-0.8427007929497149, Reference.Erf(-1), 1e-14);
    }

    /// <summary>Softmax subtracts the row maximum: huge logits give no NaN or infinity and rows that sum to 1.</summary>
    [Fact]
    public void Softmax_is_stable_on_large_logits() => Softmax_is_stable_on_large_logits_on(ManagedOnly);

    /// <summary>The same on every native CBLAS that loads (skipped, saying why, when none does).</summary>
    [NativeFact]
    public void Softmax_is_stable_on_large_logits_on_native_BLAS() => Softmax_is_stable_on_large_logits_on(NativeOrFail);

    private static void Softmax_is_stable_on_large_logits_on(IReadOnlyList<IGemm> gemms)
    {
        float[] logits = [1000, 1001, 999, -1000, -1001, -1002, 1e30f, 0, -1e30f, 88, 89, 90];
        var softmax = new Activation("softmax") { Id = LayerUnderTest, Name = "softmax" };
        foreach (var gemm in gemms)
        {
            var y = Executor.Run(OneLayer(softmax, [Dims(4, 3)]), [Tensor.FromArray(logits, [4, 3])], new ForwardContext(gemm, new TensorPool()))[0];
            var want = Reference.Activate("softmax", Nd.From(Tensor.FromArray(logits, [4, 3])));
            Assert.Null(Compare(y, want, 1e-5));
            for (int r = 0; r < 4; r++)
                Assert.Equal(1.0, Enumerable.Range(0, 3).Sum(j => (double)y[r, j]), 5);
            Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
        }

        // A Dense whose logits are in the thousands, with softmax: still finite, rows sum to 1.
        var dense = new Dense(3, "softmax", useBias: false) { Id = LayerUnderTest, Name = "dense" }
            with { Params = EquatableArray.Of(Tensor.FromArray([1000, 1001, 999, -2000, 0, 2000], [2, 3])) };
        foreach (var gemm in gemms)
        {
            var y = Executor.Run(OneLayer(dense, [Dims(2, 2)]), [Tensor.FromArray([1, 0, 3, 1], [2, 2])], new ForwardContext(gemm, new TensorPool()))[0];
            Assert.All(y.ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.Equal(1.0, y[0, 0] + (double)y[0, 1] + y[0, 2], 5);
            Assert.Equal(1.0, y[1, 0] + (double)y[1, 1] + y[1, 2], 5);
        }
    }

    // ---- Dropout in training ------------------------------------------------------------

    private static Tensor[] RunDropout(Dropout layer, Tensor x, int seed, Core.Model? model = null) =>
        Executor.Run(model ?? OneLayer(layer, [x.Shape.ToArray()]), [x], new ForwardContext(Managed, new TensorPool(), Training: true, Seed: seed));

    [Property(MaxTest = 30)]
    public Property Dropout_in_training_keeps_x_over_1_minus_rate_or_zero_deterministically_for_a_seed() =>
        Prop.ForAll((from shape in AnyShape
                     from rate in Gen.Elements(0.1, 0.25, 0.5, 0.75, 0.9)
                     from seed in Seed
                     from layerSeed in Gen.Elements<int?>(null, 3, 17)
                     select (shape, rate, seed, layerSeed)).ToArbitrary(), t =>
        {
            var (shape, rate, seed, layerSeed) = t;
            var layer = new Dropout(rate, seed: layerSeed) { Id = LayerUnderTest, Name = "dropout" };
            var model = OneLayer(layer, [shape]);
            // Values in [0.5, 1.5]: never 0, so a zero output is a dropped value.
            var x = RandomTensor(new Random(seed), shape, 0.5, 1.5);
            var y = RunDropout(layer, x, seed, model)[0];
            var again = RunDropout(layer, x, seed, model)[0];
            var xs = x.ToArray();
            var ys = y.ToArray();
            bool valuesOk = ys.Select((v, i) => v == 0 || Math.Abs(v - xs[i] / (1 - rate)) <= 1e-6 * Math.Abs(xs[i] / (1 - rate))).All(b => b);
            return (y.Shape == x.Shape).Label($"shape {y.Shape}")
                .And(valuesOk.Label("an output is neither 0 nor x/(1−rate)"))
                .And(y.Equals(again).Label("two passes with one seed differ"));
        });

    [Fact]
    public void Dropout_in_training_keeps_about_1_minus_rate_of_a_large_tensor_and_another_seed_draws_another_mask()
    {
        const int n = 200_000;
        var x = Tensor.Filled(1f, 4, n / 4);
        foreach (double rate in new[] { 0.1, 0.5, 0.8 })
        {
            var layer = new Dropout(rate) { Id = LayerUnderTest, Name = "dropout" };
            var y = RunDropout(layer, x, 1)[0].ToArray();
            double kept = y.Count(v => v != 0) / (double)n;
            double sigma = Math.Sqrt(rate * (1 - rate) / n);
            Assert.True(Math.Abs(kept - (1 - rate)) < 6 * sigma, $"rate {rate}: kept {kept}");
            Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / (1 - rate)) < 1e-6));
            var other = RunDropout(layer, x, 2)[0].ToArray();
            Assert.NotEqual(y, other);
        }
        // At inference, and with rate 0 in training, the output is the input.
        var identity = new Dropout(0.5) { Id = LayerUnderTest, Name = "dropout" };
        var model = OneLayer(identity, [Dims(4, n / 4)]);
        Assert.Equal(x, Executor.Run(model, [x], new ForwardContext(Managed, new TensorPool()))[0]);
        Assert.Equal(x, RunDropout(new Dropout(0) { Id = LayerUnderTest, Name = "dropout" }, x, 1)[0]);
    }
    /// <summary>
    /// The mask of a Dropout without a seed of its own depends only on the pass's seed and the
    /// layer's name, so it is the same in every process (it once hashed the name with
    /// string.GetHashCode, which .NET randomises per process). A golden value: if the mask's
    /// derivation changes on purpose, update it.
    /// </summary>
    [Fact]
    public void Dropout_mask_without_a_layer_seed_is_the_same_in_every_process()
    {
        var layer = new Dropout(0.5) { Id = LayerUnderTest, Name = "dropout" };
        var y = RunDropout(layer, Tensor.Filled(1f, 1, 64), 1)[0];
        Assert.Equal("1101100010010100110100000111111111001001001000101010010110001011", string.Concat(y.ToArray().Select(v => v == 0 ? '0' : '1')));
    }

    // ---- Shape inference ----------------------------------------------------------------

    /// <summary>
    /// For any layer case: the shape the forward pass produces is what the layer's
    /// <see cref="Layer.OutputShapes"/> infers for the concrete inputs, what the model infers
    /// symbolically (batch None) with the batch filled in, and what the model, as a layer, infers.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property Shape_inference_equals_the_shape_the_forward_pass_produces() =>
        Prop.ForAll(Gen.OneOf(ConvCases(GeneralGeometry), ConvCases(OneByOne), DenseCases, PoolCases, GlobalPoolCases, ZeroPadCases, BatchNormCases,
            ConcatenateCases, MergeCases, FlattenCases, ReshapeCases, DropoutInferenceCases, ActivationCases).ToArbitrary(), c =>
        {
            var model = OneLayer(c.Layer, c.Inputs);
            var inputs = InputsOf(c);
            Shape[] shapes = [.. inputs.Select(t => t.Shape)];
            var got = Executor.Run(model, inputs, new ForwardContext(Managed, new TensorPool()))[0].Shape;
            var inferred = c.Layer.OutputShapes(shapes)[0];
            var symbolic = model.OutputShapesOfModel[0];
            var asLayer = model.OutputShapes(shapes)[0];
            return (got == inferred && got == symbolic.WithBatch(got[0]) && got == asLayer)
                .Label($"{c}: forward {got}, layer infers {inferred}, model {symbolic}, model as a layer {asLayer}");
        });
}
