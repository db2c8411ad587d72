using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGraph.Numerics;

// Packing: copies blocks of op(A) and op(B) into the panel layout the micro-kernel streams.
// The two transposing cases (A stored m×k, B stored n×k) move 16×16 blocks through AVX-512
// registers when the Vector512 kernel runs; for the Dense shapes (long k, few rows) a scalar
// gather of A would cost a quarter of the kernel's time.
public sealed unsafe partial class ManagedGemm
{
    /// <summary>Floats the packing may write past the end of a packed block (the overlapping 16-wide stores of a 14-row transpose).</summary>
    private const int PackSlack = 16;

    /// <summary>
    /// Packs op(A)[i0..i0+mc, p0..p0+kc) as row panels of MR: panel r holds, for each step p of k,
    /// the MR elements op(A)[i0 + r·MR + i, p0 + p] side by side; rows past the edge are zeros.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackA(Problem p, int i0, int mc, int p0, int kc, float* dst)
    {
        int MR = blocking.MR;
        bool wide = Kernel == ManagedGemmKernel.Vector512;
        for (int ir = 0; ir < mc; ir += MR)
        {
            int mr = Math.Min(MR, mc - ir);
            float* d = dst + (long)ir * kc;
            if (!p.TransA)
            {
                // op(A)(i, p) = a[i·lda + p]: a transpose of an mr×kc block.
                float* s = p.A + (long)(i0 + ir) * p.Lda + p0;
                int q = 0;
                if (wide)
                    for (; q + 16 <= kc; q += 16)
                        Transpose16(s + q, p.Lda, mr, d + q * MR, MR);
                for (int i = 0; i < MR; i++)
                {
                    float* si = s + (long)i * p.Lda;
                    for (int r = q; r < kc; r++) d[r * MR + i] = i < mr ? si[r] : 0f;
                }
            }
            else
            {
                // op(A)(i, p) = a[p·lda + i]: each step of k is a contiguous run of mr elements.
                for (int q = 0; q < kc; q++)
                {
                    float* s = p.A + (long)(p0 + q) * p.Lda + i0 + ir;
                    float* dq = d + q * MR;
                    if (mr == MR && MR is >= 8 and <= 16 && Vector256.IsHardwareAccelerated)
                    {
                        // Two 8-wide copies that overlap in the middle cover 8 to 16 elements.
                        Vector256.Store(Vector256.Load(s), dq);
                        Vector256.Store(Vector256.Load(s + MR - 8), dq + MR - 8);
                        continue;
                    }
                    int i = 0;
                    for (; i < mr; i++) dq[i] = s[i];
                    for (; i < MR; i++) dq[i] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0..p0+kc, j0..j0+nc) as column panels of NR (the last one NR/2 wide when at
    /// most NR/2 columns are left): for each step of k, the panel's row side by side; columns
    /// past the edge are zeros. Panel r starts at r·NR·kc.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackB(Problem p, int p0, int kc, int j0, int nc, float* dst)
    {
        int NR = blocking.NR, half = NR / 2;
        bool wide = Kernel == ManagedGemmKernel.Vector512;
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            int width = nr <= half ? half : NR;
            float* d = dst + (long)jr * kc;
            if (!p.TransB)
            {
                // op(B)(p, j) = b[p·ldb + j]: each step of k is a contiguous run of nr elements.
                for (int q = 0; q < kc; q++)
                {
                    float* s = p.B + (long)(p0 + q) * p.Ldb + j0 + jr;
                    float* dq = d + q * width;
                    if (nr == width) Copy(s, dq, width);
                    else if (wide)
                    {
                        // A narrow edge: masked loads read only the nr columns, the rest is zero.
                        for (int j = 0; j < width; j += 16)
                        {
                            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr - j)).AsSingle();
                            Vector512.Store(Avx512F.MaskLoad(s + j, mask, Vector512<float>.Zero), dq + j);
                        }
                    }
                    else
                    {
                        int j = 0;
                        for (; j < nr; j++) dq[j] = s[j];
                        for (; j < width; j++) dq[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)(p, j) = b[j·ldb + p]: a transpose of an nr×kc block, 16 columns of C at a time.
                float* s = p.B + (long)(j0 + jr) * p.Ldb + p0;
                int q = 0;
                if (wide)
                    for (; q + 16 <= kc; q += 16)
                        for (int jb = 0; jb < nr; jb += 16)
                            Transpose16(s + (long)jb * p.Ldb + q, p.Ldb, Math.Min(16, nr - jb), d + q * width + jb, width);
                for (int j = 0; j < width; j++)
                {
                    float* sj = s + (long)j * p.Ldb;
                    for (int r = q; r < kc; r++) d[r * width + j] = j < nr ? sj[r] : 0f;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* s, float* d, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= count; i += 16) Vector512.Store(Vector512.Load(s + i), d + i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= count; i += 8) Vector256.Store(Vector256.Load(s + i), d + i);
        for (; i < count; i++) d[i] = s[i];
    }

    /// <summary>
    /// Reads a rows×16 block (rows ≤ 16, the missing rows taken as zeros) and writes its
    /// transpose as 16 rows of 16 floats, row q at <paramref name="dst"/> + q·<paramref name="dstStride"/>.
    /// The rows are written in order, so a stride below 16 is allowed: each row's tail is
    /// overwritten by the next row, and the last one writes up to 16 − stride floats past the block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16(float* src, long srcStride, int rows, float* dst, long dstStride)
    {
        Vector512<float> r0 = Row(src, srcStride, 0, rows), r1 = Row(src, srcStride, 1, rows),
            r2 = Row(src, srcStride, 2, rows), r3 = Row(src, srcStride, 3, rows),
            r4 = Row(src, srcStride, 4, rows), r5 = Row(src, srcStride, 5, rows),
            r6 = Row(src, srcStride, 6, rows), r7 = Row(src, srcStride, 7, rows),
            r8 = Row(src, srcStride, 8, rows), r9 = Row(src, srcStride, 9, rows),
            r10 = Row(src, srcStride, 10, rows), r11 = Row(src, srcStride, 11, rows),
            r12 = Row(src, srcStride, 12, rows), r13 = Row(src, srcStride, 13, rows),
            r14 = Row(src, srcStride, 14, rows), r15 = Row(src, srcStride, 15, rows);

        // Interleave pairs of rows (32-bit elements), then pairs of pairs (64-bit), then 128-bit
        // lanes twice: the classic four-stage 16×16 transpose.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE);
        r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE);
        r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE);
        r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE);
        r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);

        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
        t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD);
        t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88);
        t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD);
        t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);

        Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0x88), dst);
        Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0x88), dst + dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0x88), dst + 2 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0x88), dst + 3 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0x88), dst + 4 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0x88), dst + 5 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0x88), dst + 6 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0x88), dst + 7 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t0, t8, 0xDD), dst + 8 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t1, t9, 0xDD), dst + 9 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t2, t10, 0xDD), dst + 10 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t3, t11, 0xDD), dst + 11 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t4, t12, 0xDD), dst + 12 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t5, t13, 0xDD), dst + 13 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t6, t14, 0xDD), dst + 14 * dstStride);
        Vector512.Store(Avx512F.Shuffle4x128(t7, t15, 0xDD), dst + 15 * dstStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Row(float* src, long stride, int i, int rows) =>
        i < rows ? Vector512.Load(src + i * stride) : Vector512<float>.Zero;
}
