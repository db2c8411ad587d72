using System.Numerics.Tensors;

namespace DeepGraph.Numerics;

/// <summary>The scatter half of a convolution's backward pass: patch gradients added back onto the image.</summary>
public static class ConvGrad
{
    /// <summary>
    /// col2im, the adjoint of <see cref="Spatial.Im2Col"/>: adds each row of <paramref name="cols"/>
    /// (the gradient of the patch of output pixel <paramref name="rowStart"/> + r, laid out
    /// (kh, kw, c)) onto the input positions that patch read; cells the window took from the
    /// padding are dropped.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Col2Im(ReadOnlySpan<float> cols, in Window2D g, int rowStart, int rows, Span<float> dx)
    {
        int patch = g.PatchSize, c = g.C;
        for (int r = 0; r < rows; r++)
        {
            int pixel = rowStart + r;
            int ox = pixel % g.OW, rest = pixel / g.OW, oy = rest % g.OH, b = rest / g.OH;
            var src = cols.Slice(r * patch, patch);
            int ix0 = ox * g.SW - g.PadLeft;
            int jFirst = ix0 >= 0 ? 0 : (-ix0 + g.DW - 1) / g.DW;
            int jEnd = Math.Min(g.KW, (g.W - ix0 + g.DW - 1) / g.DW);
            if (jFirst >= jEnd) continue;
            for (int i = 0; i < g.KH; i++)
            {
                int iy = oy * g.SH - g.PadTop + i * g.DH;
                if (iy < 0 || iy >= g.H) continue;
                var rowSrc = src.Slice(i * g.KW * c, g.KW * c);
                int dst = ((b * g.H + iy) * g.W + ix0 + jFirst * g.DW) * c;
                if (g.DW == 1)
                {
                    int len = (jEnd - jFirst) * c;
                    var d = dx.Slice(dst, len);
                    TensorPrimitives.Add(d, rowSrc.Slice(jFirst * c, len), d);
                }
                else
                {
                    for (int j = jFirst; j < jEnd; j++, dst += g.DW * c)
                    {
                        var d = dx.Slice(dst, c);
                        TensorPrimitives.Add(d, rowSrc.Slice(j * c, c), d);
                    }
                }
            }
        }
    }
}
