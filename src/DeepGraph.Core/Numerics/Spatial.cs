using System.Runtime.Intrinsics;
using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>The geometry of a 2-D window slid over an NHWC tensor: what convolution and pooling share.</summary>
/// <param name="Batch">Images.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="C">Channels.</param>
/// <param name="KH">Window height.</param>
/// <param name="KW">Window width.</param>
/// <param name="SH">Stride along height.</param>
/// <param name="SW">Stride along width.</param>
/// <param name="DH">Dilation along height.</param>
/// <param name="DW">Dilation along width.</param>
/// <param name="PadTop">Rows of implicit padding above.</param>
/// <param name="PadLeft">Columns of implicit padding on the left.</param>
/// <param name="OH">Output height.</param>
/// <param name="OW">Output width.</param>
public readonly record struct Window2D(int Batch, int H, int W, int C, int KH, int KW, int SH, int SW, int DH, int DW, int PadTop, int PadLeft, int OH, int OW)
{
    /// <summary>
    /// The window for an NHWC input, with TensorFlow's <c>valid</c>/<c>same</c> padding rule (a
    /// dilation along an axis where the kernel is 1 wide has no effect and is stored as 1).
    /// </summary>
    /// <exception cref="ArgumentException">The input is not fully known, or the window does not fit <see cref="Validate"/>'s limits (shape inference refuses such layers first, naming them).</exception>
    public static Window2D Of(DeepGraph.Shape input, (int H, int W) kernel, (int H, int W) strides, (int H, int W) dilation, DeepGraph.Core.Padding padding)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || !input.IsFullyKnown)
            throw new ArgumentException($"A 2-D window needs a fully known NHWC shape; received {input}.", nameof(input));
        if (kernel.H <= 0 || kernel.W <= 0 || strides.H <= 0 || strides.W <= 0 || dilation.H <= 0 || dilation.W <= 0)
            throw new ArgumentException($"Window sizes, strides and dilations must be positive; received kernel {kernel}, strides {strides}, dilation {dilation}.");
        int n = input[0]!.Value, h = input[1]!.Value, w = input[2]!.Value, c = input[3]!.Value;
        int dh = kernel.H == 1 ? 1 : dilation.H, dw = kernel.W == 1 ? 1 : dilation.W;
        long kh = DeepGraph.Core.Padding2D.EffectiveSize(kernel.H, dh), kw = DeepGraph.Core.Padding2D.EffectiveSize(kernel.W, dw);
        if (kh > int.MaxValue || kw > int.MaxValue)
            throw new ArgumentException($"The window {kernel} with dilation {dilation} spans more cells than an axis can hold.", nameof(dilation));
        int oh = DeepGraph.Core.Padding2D.OutputSize(h, kh, strides.H, padding)!.Value;
        int ow = DeepGraph.Core.Padding2D.OutputSize(w, kw, strides.W, padding)!.Value;
        long top = padding == DeepGraph.Core.Padding.Same ? DeepGraph.Core.Padding2D.SamePadding(h, kh, strides.H).Before : 0;
        long left = padding == DeepGraph.Core.Padding.Same ? DeepGraph.Core.Padding2D.SamePadding(w, kw, strides.W).Before : 0;
        if (top > int.MaxValue || left > int.MaxValue)
            throw new ArgumentException($"The window {kernel} with dilation {dilation} needs more padding than an axis can hold.", nameof(kernel));
        var g = new Window2D(n, h, w, c, kernel.H, kernel.W, strides.H, strides.W, dh, dw, (int)top, (int)left, oh, ow);
        g.CheckGeometry();
        return g;
    }

    /// <summary>
    /// Checks, before a kernel touches memory, that the window is consistent and that its index
    /// arithmetic stays within <see cref="int"/>: sizes positive (batch and spatial sizes may be 0),
    /// padding smaller than the window, every window starting inside the padded input, input length
    /// + padding + span + dilation within 2^31 − 1 along each axis, and the buffers long enough:
    /// <paramref name="inputLength"/> ≥ batch·h·w·c, <paramref name="outputLength"/> ≥ batch·oh·ow·<paramref name="outputChannels"/>.
    /// Constant time: kernels call it once at entry, never per element.
    /// </summary>
    /// <exception cref="ArgumentException">The geometry is inconsistent or a buffer is too short.</exception>
    public void Validate(long inputLength, long outputLength, int outputChannels)
    {
        CheckGeometry();
        if (outputChannels < 0)
            throw new ArgumentException($"Output channels must be non-negative; received {outputChannels} for window {this}.", nameof(outputChannels));
        long input = (long)Batch * H * W * C, output = (long)Batch * OH * OW * outputChannels;
        if (input > int.MaxValue || output > int.MaxValue)
            throw new ArgumentException($"The window {this} covers more values than a tensor holds (input {input}, output {output}).");
        if (inputLength < input)
            throw new ArgumentException($"The input buffer has {inputLength} values; the window {this} reads {input}.", nameof(inputLength));
        if (outputLength < output)
            throw new ArgumentException($"The output buffer has {outputLength} values; the window {this} with {outputChannels} output channels writes {output}.", nameof(outputLength));
    }

    private void CheckGeometry()
    {
        if (Batch < 0 || H < 0 || W < 0 || C < 0 || OH < 0 || OW < 0 || KH <= 0 || KW <= 0 || SH <= 0 || SW <= 0 || DH <= 0 || DW <= 0 || PadTop < 0 || PadLeft < 0)
            throw new ArgumentException($"The window {this} has a negative size or a non-positive window, stride or dilation.");
        CheckAxis("height", H, KH, SH, DH, PadTop, OH);
        CheckAxis("width", W, KW, SW, DW, PadLeft, OW);
    }

    private void CheckAxis(string axis, int n, int k, int s, int d, int pad, int outLen)
    {
        long span = (long)(k - 1) * d + 1;
        if ((long)n + pad + span + d > int.MaxValue)
            throw new ArgumentException($"The window {this} is too large along its {axis}: input {n} + padding {pad} + span {span} + dilation {d} exceed 2147483647.");
        if (pad >= span && pad > 0)
            throw new ArgumentException($"The window {this} has {pad} cells of padding along its {axis}, not less than its span {span}.");
        if (outLen > 0 && (n == 0 || (long)(outLen - 1) * s - pad >= n))
            throw new ArgumentException($"The window {this} has {outLen} outputs along its {axis}, more than windows starting inside an input of {n} with stride {s} and padding {pad}.");
    }

    /// <summary>Output pixels over all images: the rows of the im2col matrix.</summary>
    public int Rows => Batch * OH * OW;

    /// <summary>Values in one patch: the columns of the im2col matrix (Keras's kernel rows, kh·kw·c).</summary>
    public int PatchSize => KH * KW * C;

    /// <summary>True when the patches are the input's pixels themselves (a 1×1 window, stride 1, no padding).</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && SH == 1 && SW == 1 && PadTop == 0 && PadLeft == 0;
}

/// <summary>im2col, pooling and padding kernels on NHWC spans.</summary>
public static class Spatial
{
    /// <summary>
    /// Writes the patches of output pixels <paramref name="rowStart"/> … + <paramref name="rows"/>
    /// (flattened over batch, height, width) as rows of <paramref name="cols"/>, each laid out
    /// (kh, kw, c) like Keras's kernel, with zeros where the window leaves the image.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Im2Col(ReadOnlySpan<float> x, in Window2D g, int rowStart, int rows, Span<float> cols)
    {
        g.Validate(x.Length, 0, 0);
        CheckRows(g, rowStart, rows, cols.Length);
        int patch = g.PatchSize, c = g.C;
        // The first pixel's coordinates by division, the next ones by counting (three divisions a row cost more than a small patch).
        int ox = rowStart % g.OW, oy = rowStart / g.OW % g.OH, b = rowStart / g.OW / g.OH;
        for (int r = 0; r < rows; r++, ox++)
        {
            if (ox == g.OW)
            {
                ox = 0;
                if (++oy == g.OH) (oy, b) = (0, b + 1);
            }
            var dst = cols.Slice(r * patch, patch);
            int ix0 = ox * g.SW - g.PadLeft, iyTop = oy * g.SH - g.PadTop;
            if (g.DW == 1 && ix0 >= 0 && ix0 + g.KW <= g.W && iyTop >= 0 && iyTop + (g.KH - 1) * g.DH < g.H)
            {
                // The whole window inside the image: each kernel row is one contiguous run of kw·c values.
                int run = g.KW * c;
                for (int i = 0; i < g.KH; i++)
                {
                    var from = x.Slice(((b * g.H + iyTop + i * g.DH) * g.W + ix0) * c, run);
                    var to = dst.Slice(i * run, run);
                    if (run <= 16)
                        for (int e = 0; e < run; e++) to[e] = from[e];
                    else
                        from.CopyTo(to);
                }
                continue;
            }
            // The kernel columns j whose input column ix0 + j·dw lies inside the image.
            int jFirst = ix0 >= 0 ? 0 : g.DW == 1 ? -ix0 : (-ix0 + g.DW - 1) / g.DW;
            int jEnd = Math.Min(g.KW, g.DW == 1 ? g.W - ix0 : (g.W - ix0 + g.DW - 1) / g.DW);
            for (int i = 0; i < g.KH; i++)
            {
                var rowDst = dst.Slice(i * g.KW * c, g.KW * c);
                int iy = oy * g.SH - g.PadTop + i * g.DH;
                if (iy < 0 || iy >= g.H || jFirst >= jEnd)
                {
                    rowDst.Clear();
                    continue;
                }
                rowDst[..(jFirst * c)].Clear();
                rowDst[(jEnd * c)..].Clear();
                int src = ((b * g.H + iy) * g.W + ix0 + jFirst * g.DW) * c;
                if (g.DW == 1)
                {
                    int len = (jEnd - jFirst) * c;
                    if (len <= 16)
                    {
                        // Few channels (a first layer's 1 to 3): a call per segment costs more than the copy.
                        for (int e = 0; e < len; e++) rowDst[jFirst * c + e] = x[src + e];
                    }
                    else
                    {
                        x.Slice(src, len).CopyTo(rowDst[(jFirst * c)..]);
                    }
                }
                else
                {
                    for (int j = jFirst; j < jEnd; j++, src += g.DW * c)
                        x.Slice(src, c).CopyTo(rowDst.Slice(j * c, c));
                }
            }
        }
    }

    /// <summary>Checks that output pixels <paramref name="rowStart"/> … + <paramref name="rows"/> exist and that a patch matrix of <paramref name="length"/> values holds their patches.</summary>
    internal static void CheckRows(in Window2D g, int rowStart, int rows, int length)
    {
        if (rowStart < 0 || rows < 0 || (long)rowStart + rows > (long)g.Batch * g.OH * g.OW)
            throw new ArgumentOutOfRangeException(nameof(rows), $"Output pixels {rowStart} … {(long)rowStart + rows} are outside the {(long)g.Batch * g.OH * g.OW} of window {g}.");
        if (length < (long)rows * g.PatchSize)
            throw new ArgumentException($"The patch matrix has {length} values; {rows} patches of {g.PatchSize} need {(long)rows * g.PatchSize}.", nameof(length));
    }

    /// <summary>
    /// <see cref="Pool(bool, ReadOnlySpan{float}, in Window2D, Span{float})"/> with the images
    /// split over up to <paramref name="threads"/> threads when there is enough work.
    /// </summary>
    public static void Pool(bool max, float[] x, in Window2D g, float[] y, int threads)
    {
        g.Validate(x.Length, y.Length, g.C);
        var geometry = g;
        int inImage = g.H * g.W * g.C, outImage = g.OH * g.OW * g.C;
        ForImages(g.Batch, (long)g.Batch * inImage < ParallelWork ? 1 : threads, (b0, b1) =>
            Pool(max, x.AsSpan(b0 * inImage, (b1 - b0) * inImage), geometry with { Batch = b1 - b0 }, y.AsSpan(b0 * outImage, (b1 - b0) * outImage)));
    }

    /// <summary>Values below which splitting a pass over threads costs more than it saves.</summary>
    private const long ParallelWork = 1 << 16;

    /// <summary>Runs <paramref name="body"/> on ranges of images [first, last), one range per thread (the pooling kernels' and their gradients' split).</summary>
    internal static void ForImages(int batch, int threads, Action<int, int> body)
    {
        int parts = Math.Min(batch, Math.Max(1, threads));
        if (parts <= 1)
        {
            body(0, batch);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p => body(batch * p / parts, batch * (p + 1) / parts));
    }

    /// <summary>
    /// Max or average pooling with window (kh, kw) of <paramref name="g"/>. Cells of the padding
    /// never count: max ignores them, average divides by the number of real cells in the window.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Pool(bool max, ReadOnlySpan<float> x, in Window2D g, Span<float> y)
    {
        g.Validate(x.Length, y.Length, g.C);
        int c = g.C;
        for (int b = 0; b < g.Batch; b++)
        for (int oy = 0; oy < g.OH; oy++)
        {
            int y0 = Math.Max(oy * g.SH - g.PadTop, 0), y1 = Math.Min(oy * g.SH - g.PadTop + g.KH, g.H);
            for (int ox = 0; ox < g.OW; ox++)
            {
                int x0 = Math.Max(ox * g.SW - g.PadLeft, 0), x1 = Math.Min(ox * g.SW - g.PadLeft + g.KW, g.W);
                var dst = y.Slice(((b * g.OH + oy) * g.OW + ox) * c, c);
                float scale = 1f / ((y1 - y0) * (x1 - x0));
                // Channels in vectors of 16, the window's cells folded in registers; the last channels one by one.
                int ch = 0;
                for (; ch + 16 <= c; ch += 16)
                {
                    var acc = Vector512.Create(x.Slice(((b * g.H + y0) * g.W + x0) * c + ch, 16));
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++)
                    {
                        var v = Vector512.Create(x.Slice(((b * g.H + iy) * g.W + ix) * c + ch, 16));
                        acc = max ? Vector512.Max(acc, v) : acc + v;
                    }
                    (max ? acc : acc * scale).CopyTo(dst.Slice(ch, 16));
                }
                for (; ch < c; ch++)
                {
                    float acc = x[((b * g.H + y0) * g.W + x0) * c + ch];
                    for (int iy = y0; iy < y1; iy++)
                    for (int ix = iy == y0 ? x0 + 1 : x0; ix < x1; ix++)
                    {
                        float v = x[((b * g.H + iy) * g.W + ix) * c + ch];
                        acc = max ? MathF.Max(acc, v) : acc + v;
                    }
                    dst[ch] = max ? acc : acc * scale;
                }
            }
        }
    }

    /// <summary>Max or mean over height and width: (batch, h, w, c) → (batch, c).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void GlobalPool(bool max, ReadOnlySpan<float> x, int batch, int pixels, int c, Span<float> y)
    {
        if (batch < 0 || pixels <= 0 || c < 0 || x.Length < (long)batch * pixels * c || y.Length < (long)batch * c)
            throw new ArgumentException($"Global pooling of {batch} images of {pixels} pixels × {c} channels does not fit buffers of {x.Length} and {y.Length} values.", nameof(x));
        for (int b = 0; b < batch; b++)
        {
            var dst = y.Slice(b * c, c);
            var image = x.Slice(b * pixels * c, pixels * c);
            image[..c].CopyTo(dst);
            for (int p = 1; p < pixels; p++)
            {
                var src = image.Slice(p * c, c);
                if (max) TensorPrimitives.Max(dst, src, dst);
                else TensorPrimitives.Add(dst, src, dst);
            }
            if (!max) TensorPrimitives.Multiply(dst, 1f / pixels, dst);
        }
    }

    /// <summary>Checks a zero padding's sizes against its buffers (the padded tensor within one array).</summary>
    internal static void CheckPadding(int inner, int batch, int h, int w, int c, int top, int bottom, int left, int right, int outer)
    {
        long oh = (long)h + top + bottom, ow = (long)w + left + right;
        if (batch < 0 || h < 0 || w < 0 || c < 0 || top < 0 || bottom < 0 || left < 0 || right < 0 || (long)batch * oh * ow * c > Array.MaxLength
            || inner < (long)batch * h * w * c || outer < (long)batch * oh * ow * c)
            throw new ArgumentException($"Zero padding ({top}, {bottom}), ({left}, {right}) of ({batch}, {h}, {w}, {c}) does not fit buffers of {inner} and {outer} values.");
    }

    /// <summary>Copies each image into the middle of a zero border: (top, bottom) rows and (left, right) columns.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void ZeroPad(ReadOnlySpan<float> x, int batch, int h, int w, int c, int top, int bottom, int left, int right, Span<float> y)
    {
        CheckPadding(x.Length, batch, h, w, c, top, bottom, left, right, y.Length);
        int oh = h + top + bottom, ow = w + left + right;
        y.Clear();
        for (int b = 0; b < batch; b++)
        for (int iy = 0; iy < h; iy++)
            x.Slice(((b * h + iy) * w) * c, w * c).CopyTo(y[(((b * oh + iy + top) * ow + left) * c)..]);
    }
}
