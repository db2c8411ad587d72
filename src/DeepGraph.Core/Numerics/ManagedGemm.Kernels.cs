// The micro-kernels of ManagedGemm, fully unrolled so that every accumulator is a named local
// the JIT keeps in a register (the AVX-512 tile uses 28 of the 32 zmm registers, leaving two
// for the B row and one for the broadcast A element).
//
// The number of rows and of column vectors a kernel handles are type arguments: structs that
// implement ICount. The JIT compiles every struct instantiation of a generic method on its
// own, with TRows.Value and TCols.Value as constants, so the guarded rows and columns of an
// instantiation fold away: Kernel512<N3, N2> keeps 6 accumulators and the loop of a 3×32 tile,
// exactly as a hand-written 3-row kernel would. One source thus gives the full 14×32 tile, the
// 14×16 tile of a narrow last column panel and the 26 kernels of 1 to 13 rows for the bottom
// edge (a zero-padded full tile would do up to 14 times the work there: Dense at batch 1).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGraph.Numerics;

public sealed unsafe partial class ManagedGemm
{
    /// <summary>A compile-time count for the generic kernels: a struct type argument whose <see cref="Value"/> the JIT folds to a constant.</summary>
    private interface ICount
    {
        /// <summary>The count.</summary>
        static abstract int Value { get; }
    }

    private readonly struct N1 : ICount { public static int Value => 1; }
    private readonly struct N2 : ICount { public static int Value => 2; }
    private readonly struct N3 : ICount { public static int Value => 3; }
    private readonly struct N4 : ICount { public static int Value => 4; }
    private readonly struct N5 : ICount { public static int Value => 5; }
    private readonly struct N6 : ICount { public static int Value => 6; }
    private readonly struct N7 : ICount { public static int Value => 7; }
    private readonly struct N8 : ICount { public static int Value => 8; }
    private readonly struct N9 : ICount { public static int Value => 9; }
    private readonly struct N10 : ICount { public static int Value => 10; }
    private readonly struct N11 : ICount { public static int Value => 11; }
    private readonly struct N12 : ICount { public static int Value => 12; }
    private readonly struct N13 : ICount { public static int Value => 13; }
    private readonly struct N14 : ICount { public static int Value => 14; }

    /// <summary>
    /// AVX-512: the first <typeparamref name="TRows"/> (1 to 14) rows of a 14-row A panel times a
    /// B panel of <typeparamref name="TCols"/> (1 or 2) vectors of 16 columns, stored into C with
    /// alpha and beta. &lt;N14, N2&gt; is the full 14×32 tile (28 zmm accumulators), &lt;N14, N1&gt;
    /// the 14×16 tile of a narrow last column panel, fewer rows the bottom edge of C.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512<TRows, TCols>(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        where TRows : struct, ICount
        where TCols : struct, ICount
    {
        int rows = TRows.Value;
        bool two = TCols.Value == 2;
        Vector512<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector512<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector512<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        Vector512<float> c6_0 = default, c6_1 = default, c7_0 = default, c7_1 = default;
        Vector512<float> c8_0 = default, c8_1 = default, c9_0 = default, c9_1 = default;
        Vector512<float> c10_0 = default, c10_1 = default, c11_0 = default, c11_1 = default;
        Vector512<float> c12_0 = default, c12_1 = default, c13_0 = default, c13_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b), b1 = two ? Vector512.Load(b + 16) : default;
            { var x = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(x, b0, c0_0); if (two) c0_1 = Avx512F.FusedMultiplyAdd(x, b1, c0_1); }
            if (rows > 1) { var x = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(x, b0, c1_0); if (two) c1_1 = Avx512F.FusedMultiplyAdd(x, b1, c1_1); }
            if (rows > 2) { var x = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(x, b0, c2_0); if (two) c2_1 = Avx512F.FusedMultiplyAdd(x, b1, c2_1); }
            if (rows > 3) { var x = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(x, b0, c3_0); if (two) c3_1 = Avx512F.FusedMultiplyAdd(x, b1, c3_1); }
            if (rows > 4) { var x = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(x, b0, c4_0); if (two) c4_1 = Avx512F.FusedMultiplyAdd(x, b1, c4_1); }
            if (rows > 5) { var x = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(x, b0, c5_0); if (two) c5_1 = Avx512F.FusedMultiplyAdd(x, b1, c5_1); }
            if (rows > 6) { var x = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(x, b0, c6_0); if (two) c6_1 = Avx512F.FusedMultiplyAdd(x, b1, c6_1); }
            if (rows > 7) { var x = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(x, b0, c7_0); if (two) c7_1 = Avx512F.FusedMultiplyAdd(x, b1, c7_1); }
            if (rows > 8) { var x = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(x, b0, c8_0); if (two) c8_1 = Avx512F.FusedMultiplyAdd(x, b1, c8_1); }
            if (rows > 9) { var x = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(x, b0, c9_0); if (two) c9_1 = Avx512F.FusedMultiplyAdd(x, b1, c9_1); }
            if (rows > 10) { var x = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(x, b0, c10_0); if (two) c10_1 = Avx512F.FusedMultiplyAdd(x, b1, c10_1); }
            if (rows > 11) { var x = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(x, b0, c11_0); if (two) c11_1 = Avx512F.FusedMultiplyAdd(x, b1, c11_1); }
            if (rows > 12) { var x = Vector512.Create(a[12]); c12_0 = Avx512F.FusedMultiplyAdd(x, b0, c12_0); if (two) c12_1 = Avx512F.FusedMultiplyAdd(x, b1, c12_1); }
            if (rows > 13) { var x = Vector512.Create(a[13]); c13_0 = Avx512F.FusedMultiplyAdd(x, b0, c13_0); if (two) c13_1 = Avx512F.FusedMultiplyAdd(x, b1, c13_1); }
            a += 14;
            b += 16 * TCols.Value;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        { Store512(r, c0_0, va, vb, beta); if (two) Store512(r + 16, c0_1, va, vb, beta); r += ldc; }
        if (rows > 1) { Store512(r, c1_0, va, vb, beta); if (two) Store512(r + 16, c1_1, va, vb, beta); r += ldc; }
        if (rows > 2) { Store512(r, c2_0, va, vb, beta); if (two) Store512(r + 16, c2_1, va, vb, beta); r += ldc; }
        if (rows > 3) { Store512(r, c3_0, va, vb, beta); if (two) Store512(r + 16, c3_1, va, vb, beta); r += ldc; }
        if (rows > 4) { Store512(r, c4_0, va, vb, beta); if (two) Store512(r + 16, c4_1, va, vb, beta); r += ldc; }
        if (rows > 5) { Store512(r, c5_0, va, vb, beta); if (two) Store512(r + 16, c5_1, va, vb, beta); r += ldc; }
        if (rows > 6) { Store512(r, c6_0, va, vb, beta); if (two) Store512(r + 16, c6_1, va, vb, beta); r += ldc; }
        if (rows > 7) { Store512(r, c7_0, va, vb, beta); if (two) Store512(r + 16, c7_1, va, vb, beta); r += ldc; }
        if (rows > 8) { Store512(r, c8_0, va, vb, beta); if (two) Store512(r + 16, c8_1, va, vb, beta); r += ldc; }
        if (rows > 9) { Store512(r, c9_0, va, vb, beta); if (two) Store512(r + 16, c9_1, va, vb, beta); r += ldc; }
        if (rows > 10) { Store512(r, c10_0, va, vb, beta); if (two) Store512(r + 16, c10_1, va, vb, beta); r += ldc; }
        if (rows > 11) { Store512(r, c11_0, va, vb, beta); if (two) Store512(r + 16, c11_1, va, vb, beta); r += ldc; }
        if (rows > 12) { Store512(r, c12_0, va, vb, beta); if (two) Store512(r + 16, c12_1, va, vb, beta); r += ldc; }
        if (rows > 13) { Store512(r, c13_0, va, vb, beta); if (two) Store512(r + 16, c13_1, va, vb, beta); r += ldc; }
    }

    /// <summary>AVX-512: a tile of 1 to 14 rows by 32 columns (16 when <paramref name="narrow"/>), stored with alpha and beta.</summary>
    private static void Kernel512Rows(bool narrow, int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        if (narrow) Kernel512Rows<N1>(rows, kc, a, b, c, ldc, alpha, beta);
        else Kernel512Rows<N2>(rows, kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>Dispatches a run-time row count (1 to 14) to the kernel instantiation for it.</summary>
    private static void Kernel512Rows<TCols>(int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        where TCols : struct, ICount
    {
        switch (rows)
        {
            case 1: Kernel512<N1, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 2: Kernel512<N2, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 3: Kernel512<N3, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 4: Kernel512<N4, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 5: Kernel512<N5, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 6: Kernel512<N6, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 7: Kernel512<N7, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 8: Kernel512<N8, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 9: Kernel512<N9, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 10: Kernel512<N10, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 11: Kernel512<N11, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 12: Kernel512<N12, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            case 13: Kernel512<N13, TCols>(kc, a, b, c, ldc, alpha, beta); break;
            default: Kernel512<N14, TCols>(kc, a, b, c, ldc, alpha, beta); break;
        }
    }

    /// <summary>
    /// AVX2: a 6×16 tile (12 ymm accumulators, fits the 16 registers of AVX2) when
    /// <typeparamref name="TCols"/> is 2 vectors of 8, a 6×8 tile for the last column panel when
    /// at most 8 columns are left.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256<TCols>(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        where TCols : struct, ICount
    {
        bool two = TCols.Value == 2;
        Vector256<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector256<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        Vector256<float> c4_0 = default, c4_1 = default, c5_0 = default, c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = two ? Vector256.Load(b + 8) : default;
            { var x = Vector256.Create(a[0]); c0_0 = Fma256(x, b0, c0_0); if (two) c0_1 = Fma256(x, b1, c0_1); }
            { var x = Vector256.Create(a[1]); c1_0 = Fma256(x, b0, c1_0); if (two) c1_1 = Fma256(x, b1, c1_1); }
            { var x = Vector256.Create(a[2]); c2_0 = Fma256(x, b0, c2_0); if (two) c2_1 = Fma256(x, b1, c2_1); }
            { var x = Vector256.Create(a[3]); c3_0 = Fma256(x, b0, c3_0); if (two) c3_1 = Fma256(x, b1, c3_1); }
            { var x = Vector256.Create(a[4]); c4_0 = Fma256(x, b0, c4_0); if (two) c4_1 = Fma256(x, b1, c4_1); }
            { var x = Vector256.Create(a[5]); c5_0 = Fma256(x, b0, c5_0); if (two) c5_1 = Fma256(x, b1, c5_1); }
            a += 6;
            b += 8 * TCols.Value;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        float* r = c;
        Store256(r, c0_0, va, vb, beta); if (two) Store256(r + 8, c0_1, va, vb, beta); r += ldc;
        Store256(r, c1_0, va, vb, beta); if (two) Store256(r + 8, c1_1, va, vb, beta); r += ldc;
        Store256(r, c2_0, va, vb, beta); if (two) Store256(r + 8, c2_1, va, vb, beta); r += ldc;
        Store256(r, c3_0, va, vb, beta); if (two) Store256(r + 8, c3_1, va, vb, beta); r += ldc;
        Store256(r, c4_0, va, vb, beta); if (two) Store256(r + 8, c4_1, va, vb, beta); r += ldc;
        Store256(r, c5_0, va, vb, beta); if (two) Store256(r + 8, c5_1, va, vb, beta);
    }

    /// <summary>
    /// Portable <see cref="Vector{T}"/>: a 4×(2·width) tile when <typeparamref name="TCols"/> is 2,
    /// a 4×width tile for the last narrow column panel.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelV<TCols>(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
        where TCols : struct, ICount
    {
        int w = Vector<float>.Count;
        bool two = TCols.Value == 2;
        Vector<float> c0_0 = default, c0_1 = default, c1_0 = default, c1_1 = default;
        Vector<float> c2_0 = default, c2_1 = default, c3_0 = default, c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector<float> b0 = *(Vector<float>*)b, b1 = two ? *(Vector<float>*)(b + w) : default;
            { var x = new Vector<float>(a[0]); c0_0 += x * b0; if (two) c0_1 += x * b1; }
            { var x = new Vector<float>(a[1]); c1_0 += x * b0; if (two) c1_1 += x * b1; }
            { var x = new Vector<float>(a[2]); c2_0 += x * b0; if (two) c2_1 += x * b1; }
            { var x = new Vector<float>(a[3]); c3_0 += x * b0; if (two) c3_1 += x * b1; }
            a += 4;
            b += w * TCols.Value;
        }
        Vector<float> va = new(alpha), vb = new(beta);
        float* r = c;
        StoreV(r, c0_0, va, vb, beta); if (two) StoreV(r + w, c0_1, va, vb, beta); r += ldc;
        StoreV(r, c1_0, va, vb, beta); if (two) StoreV(r + w, c1_1, va, vb, beta); r += ldc;
        StoreV(r, c2_0, va, vb, beta); if (two) StoreV(r + w, c2_1, va, vb, beta); r += ldc;
        StoreV(r, c3_0, va, vb, beta); if (two) StoreV(r + w, c3_1, va, vb, beta);
    }
}
