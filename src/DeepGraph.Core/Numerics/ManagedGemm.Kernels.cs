// The micro-kernels of ManagedGemm, fully unrolled so that every accumulator is a named local
// the JIT keeps in a register (the AVX-512 tile uses 28 of the 32 zmm registers, leaving two
// for the B row and one for the broadcast A element).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGraph.Numerics;

public sealed unsafe partial class ManagedGemm
{
    /// <summary>AVX-512: a 14×32 tile of C from packed panels (A: 14 per k step, B: 32 per k step); 28 zmm accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Full(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        Vector512<float> c12_0 = default; Vector512<float> c12_1 = default;
        Vector512<float> c13_0 = default; Vector512<float> c13_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0); c12_1 = Avx512F.FusedMultiplyAdd(a12, b1, c12_1);
            Vector512<float> a13 = Vector512.Create(a[13]);
            c13_0 = Avx512F.FusedMultiplyAdd(a13, b0, c13_0); c13_1 = Avx512F.FusedMultiplyAdd(a13, b1, c13_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); Store512(r + 16, c9_1, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); Store512(r + 16, c10_1, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta); Store512(r + 16, c11_1, va, vb, beta); r += ldc;
        Store512(r, c12_0, va, vb, beta); Store512(r + 16, c12_1, va, vb, beta); r += ldc;
        Store512(r, c13_0, va, vb, beta); Store512(r + 16, c13_1, va, vb, beta);
    }

    /// <summary>AVX-512: a 14×16 tile, for the last column panel when at most 16 columns are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Half(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        Vector512<float> c12_0 = default;
        Vector512<float> c13_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0);
            Vector512<float> a13 = Vector512.Create(a[13]);
            c13_0 = Avx512F.FusedMultiplyAdd(a13, b0, c13_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta); r += ldc;
        Store512(r, c12_0, va, vb, beta); r += ldc;
        Store512(r, c13_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 1 row of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows1(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 2 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows2(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 3 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows3(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 4 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows4(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 5 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows5(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 6 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows6(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 7 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows7(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 8 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows8(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 9 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows9(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 10 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows10(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); Store512(r + 16, c9_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 11 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows11(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); Store512(r + 16, c9_1, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); Store512(r + 16, c10_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 12 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows12(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); Store512(r + 16, c9_1, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); Store512(r + 16, c10_1, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta); Store512(r + 16, c11_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 13 rows of a 14-row A panel times a 32-wide B panel, for the bottom edge of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512Rows13(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default; Vector512<float> c0_1 = default;
        Vector512<float> c1_0 = default; Vector512<float> c1_1 = default;
        Vector512<float> c2_0 = default; Vector512<float> c2_1 = default;
        Vector512<float> c3_0 = default; Vector512<float> c3_1 = default;
        Vector512<float> c4_0 = default; Vector512<float> c4_1 = default;
        Vector512<float> c5_0 = default; Vector512<float> c5_1 = default;
        Vector512<float> c6_0 = default; Vector512<float> c6_1 = default;
        Vector512<float> c7_0 = default; Vector512<float> c7_1 = default;
        Vector512<float> c8_0 = default; Vector512<float> c8_1 = default;
        Vector512<float> c9_0 = default; Vector512<float> c9_1 = default;
        Vector512<float> c10_0 = default; Vector512<float> c10_1 = default;
        Vector512<float> c11_0 = default; Vector512<float> c11_1 = default;
        Vector512<float> c12_0 = default; Vector512<float> c12_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> b1 = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0); c12_1 = Avx512F.FusedMultiplyAdd(a12, b1, c12_1);
            a += 14;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); Store512(r + 16, c0_1, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); Store512(r + 16, c1_1, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); Store512(r + 16, c2_1, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); Store512(r + 16, c3_1, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); Store512(r + 16, c4_1, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); Store512(r + 16, c5_1, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); Store512(r + 16, c6_1, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); Store512(r + 16, c7_1, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); Store512(r + 16, c8_1, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); Store512(r + 16, c9_1, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); Store512(r + 16, c10_1, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta); Store512(r + 16, c11_1, va, vb, beta); r += ldc;
        Store512(r, c12_0, va, vb, beta); Store512(r + 16, c12_1, va, vb, beta);
    }

    /// <summary>AVX-512: the first 1 row of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows1(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 2 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows2(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 3 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows3(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 4 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows4(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 5 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows5(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 6 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows6(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 7 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows7(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 8 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows8(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 9 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows9(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 10 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows10(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 11 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows11(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 12 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows12(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta);
    }

    /// <summary>AVX-512: the first 13 rows of a 14-row A panel times a 16-wide B panel, for the bottom right corner of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512HalfRows13(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = default;
        Vector512<float> c1_0 = default;
        Vector512<float> c2_0 = default;
        Vector512<float> c3_0 = default;
        Vector512<float> c4_0 = default;
        Vector512<float> c5_0 = default;
        Vector512<float> c6_0 = default;
        Vector512<float> c7_0 = default;
        Vector512<float> c8_0 = default;
        Vector512<float> c9_0 = default;
        Vector512<float> c10_0 = default;
        Vector512<float> c11_0 = default;
        Vector512<float> c12_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.Load(b);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c12_0 = Avx512F.FusedMultiplyAdd(a12, b0, c12_0);
            a += 14;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        float* r = c;
        Store512(r, c0_0, va, vb, beta); r += ldc;
        Store512(r, c1_0, va, vb, beta); r += ldc;
        Store512(r, c2_0, va, vb, beta); r += ldc;
        Store512(r, c3_0, va, vb, beta); r += ldc;
        Store512(r, c4_0, va, vb, beta); r += ldc;
        Store512(r, c5_0, va, vb, beta); r += ldc;
        Store512(r, c6_0, va, vb, beta); r += ldc;
        Store512(r, c7_0, va, vb, beta); r += ldc;
        Store512(r, c8_0, va, vb, beta); r += ldc;
        Store512(r, c9_0, va, vb, beta); r += ldc;
        Store512(r, c10_0, va, vb, beta); r += ldc;
        Store512(r, c11_0, va, vb, beta); r += ldc;
        Store512(r, c12_0, va, vb, beta);
    }

    /// <summary>AVX-512: a tile of 1 to 14 rows by 32 columns (16 when <paramref name="narrow"/>), stored with alpha and beta.</summary>
    private static void Kernel512Rows(bool narrow, int rows, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        if (narrow)
        {
            switch (rows)
            {
                case 1: Kernel512HalfRows1(kc, a, b, c, ldc, alpha, beta); break;
                case 2: Kernel512HalfRows2(kc, a, b, c, ldc, alpha, beta); break;
                case 3: Kernel512HalfRows3(kc, a, b, c, ldc, alpha, beta); break;
                case 4: Kernel512HalfRows4(kc, a, b, c, ldc, alpha, beta); break;
                case 5: Kernel512HalfRows5(kc, a, b, c, ldc, alpha, beta); break;
                case 6: Kernel512HalfRows6(kc, a, b, c, ldc, alpha, beta); break;
                case 7: Kernel512HalfRows7(kc, a, b, c, ldc, alpha, beta); break;
                case 8: Kernel512HalfRows8(kc, a, b, c, ldc, alpha, beta); break;
                case 9: Kernel512HalfRows9(kc, a, b, c, ldc, alpha, beta); break;
                case 10: Kernel512HalfRows10(kc, a, b, c, ldc, alpha, beta); break;
                case 11: Kernel512HalfRows11(kc, a, b, c, ldc, alpha, beta); break;
                case 12: Kernel512HalfRows12(kc, a, b, c, ldc, alpha, beta); break;
                case 13: Kernel512HalfRows13(kc, a, b, c, ldc, alpha, beta); break;
                default: Kernel512Half(kc, a, b, c, ldc, alpha, beta); break;
            }
        }
        else
        {
            switch (rows)
            {
                case 1: Kernel512Rows1(kc, a, b, c, ldc, alpha, beta); break;
                case 2: Kernel512Rows2(kc, a, b, c, ldc, alpha, beta); break;
                case 3: Kernel512Rows3(kc, a, b, c, ldc, alpha, beta); break;
                case 4: Kernel512Rows4(kc, a, b, c, ldc, alpha, beta); break;
                case 5: Kernel512Rows5(kc, a, b, c, ldc, alpha, beta); break;
                case 6: Kernel512Rows6(kc, a, b, c, ldc, alpha, beta); break;
                case 7: Kernel512Rows7(kc, a, b, c, ldc, alpha, beta); break;
                case 8: Kernel512Rows8(kc, a, b, c, ldc, alpha, beta); break;
                case 9: Kernel512Rows9(kc, a, b, c, ldc, alpha, beta); break;
                case 10: Kernel512Rows10(kc, a, b, c, ldc, alpha, beta); break;
                case 11: Kernel512Rows11(kc, a, b, c, ldc, alpha, beta); break;
                case 12: Kernel512Rows12(kc, a, b, c, ldc, alpha, beta); break;
                case 13: Kernel512Rows13(kc, a, b, c, ldc, alpha, beta); break;
                default: Kernel512Full(kc, a, b, c, ldc, alpha, beta); break;
            }
        }
    }

    /// <summary>AVX2: a 6×16 tile (12 ymm accumulators, fits the 16 registers of AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256Full(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = default; Vector256<float> c0_1 = default;
        Vector256<float> c1_0 = default; Vector256<float> c1_1 = default;
        Vector256<float> c2_0 = default; Vector256<float> c2_1 = default;
        Vector256<float> c3_0 = default; Vector256<float> c3_1 = default;
        Vector256<float> c4_0 = default; Vector256<float> c4_1 = default;
        Vector256<float> c5_0 = default; Vector256<float> c5_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c0_0 = Fma256(a0, b0, c0_0); c0_1 = Fma256(a0, b1, c0_1);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c1_0 = Fma256(a1, b0, c1_0); c1_1 = Fma256(a1, b1, c1_1);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c2_0 = Fma256(a2, b0, c2_0); c2_1 = Fma256(a2, b1, c2_1);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c3_0 = Fma256(a3, b0, c3_0); c3_1 = Fma256(a3, b1, c3_1);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c4_0 = Fma256(a4, b0, c4_0); c4_1 = Fma256(a4, b1, c4_1);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c5_0 = Fma256(a5, b0, c5_0); c5_1 = Fma256(a5, b1, c5_1);
            a += 6;
            b += 16;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        float* r = c;
        Store256(r, c0_0, va, vb, beta); Store256(r + 8, c0_1, va, vb, beta); r += ldc;
        Store256(r, c1_0, va, vb, beta); Store256(r + 8, c1_1, va, vb, beta); r += ldc;
        Store256(r, c2_0, va, vb, beta); Store256(r + 8, c2_1, va, vb, beta); r += ldc;
        Store256(r, c3_0, va, vb, beta); Store256(r + 8, c3_1, va, vb, beta); r += ldc;
        Store256(r, c4_0, va, vb, beta); Store256(r + 8, c4_1, va, vb, beta); r += ldc;
        Store256(r, c5_0, va, vb, beta); Store256(r + 8, c5_1, va, vb, beta);
    }

    /// <summary>AVX2: a 6×8 tile, for the last column panel when at most 8 columns are left.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256Half(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = default;
        Vector256<float> c1_0 = default;
        Vector256<float> c2_0 = default;
        Vector256<float> c3_0 = default;
        Vector256<float> c4_0 = default;
        Vector256<float> c5_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c0_0 = Fma256(a0, b0, c0_0);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c1_0 = Fma256(a1, b0, c1_0);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c2_0 = Fma256(a2, b0, c2_0);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c3_0 = Fma256(a3, b0, c3_0);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c4_0 = Fma256(a4, b0, c4_0);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c5_0 = Fma256(a5, b0, c5_0);
            a += 6;
            b += 8;
        }
        Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);
        float* r = c;
        Store256(r, c0_0, va, vb, beta); r += ldc;
        Store256(r, c1_0, va, vb, beta); r += ldc;
        Store256(r, c2_0, va, vb, beta); r += ldc;
        Store256(r, c3_0, va, vb, beta); r += ldc;
        Store256(r, c4_0, va, vb, beta); r += ldc;
        Store256(r, c5_0, va, vb, beta);
    }

    /// <summary>Portable Vector&lt;T&gt;: a 4×(2·width) tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelVFull(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        int w = Vector<float>.Count;
        Vector<float> c0_0 = default; Vector<float> c0_1 = default;
        Vector<float> c1_0 = default; Vector<float> c1_1 = default;
        Vector<float> c2_0 = default; Vector<float> c2_1 = default;
        Vector<float> c3_0 = default; Vector<float> c3_1 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector<float> b0 = *(Vector<float>*)(b);
            Vector<float> b1 = *(Vector<float>*)(b + w);
            Vector<float> a0 = new Vector<float>(a[0]);
            c0_0 = c0_0 + a0 * b0; c0_1 = c0_1 + a0 * b1;
            Vector<float> a1 = new Vector<float>(a[1]);
            c1_0 = c1_0 + a1 * b0; c1_1 = c1_1 + a1 * b1;
            Vector<float> a2 = new Vector<float>(a[2]);
            c2_0 = c2_0 + a2 * b0; c2_1 = c2_1 + a2 * b1;
            Vector<float> a3 = new Vector<float>(a[3]);
            c3_0 = c3_0 + a3 * b0; c3_1 = c3_1 + a3 * b1;
            a += 4;
            b += 2 * w;
        }
        Vector<float> va = new Vector<float>(alpha), vb = new Vector<float>(beta);
        float* r = c;
        StoreV(r, c0_0, va, vb, beta); StoreV(r + w, c0_1, va, vb, beta); r += ldc;
        StoreV(r, c1_0, va, vb, beta); StoreV(r + w, c1_1, va, vb, beta); r += ldc;
        StoreV(r, c2_0, va, vb, beta); StoreV(r + w, c2_1, va, vb, beta); r += ldc;
        StoreV(r, c3_0, va, vb, beta); StoreV(r + w, c3_1, va, vb, beta);
    }

    /// <summary>Portable Vector&lt;T&gt;: a 4×width tile, for the last narrow column panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelVHalf(int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        int w = Vector<float>.Count;
        Vector<float> c0_0 = default;
        Vector<float> c1_0 = default;
        Vector<float> c2_0 = default;
        Vector<float> c3_0 = default;
        for (int p = 0; p < kc; p++)
        {
            Vector<float> b0 = *(Vector<float>*)(b);
            Vector<float> a0 = new Vector<float>(a[0]);
            c0_0 = c0_0 + a0 * b0;
            Vector<float> a1 = new Vector<float>(a[1]);
            c1_0 = c1_0 + a1 * b0;
            Vector<float> a2 = new Vector<float>(a[2]);
            c2_0 = c2_0 + a2 * b0;
            Vector<float> a3 = new Vector<float>(a[3]);
            c3_0 = c3_0 + a3 * b0;
            a += 4;
            b += 1 * w;
        }
        Vector<float> va = new Vector<float>(alpha), vb = new Vector<float>(beta);
        float* r = c;
        StoreV(r, c0_0, va, vb, beta); r += ldc;
        StoreV(r, c1_0, va, vb, beta); r += ldc;
        StoreV(r, c2_0, va, vb, beta); r += ldc;
        StoreV(r, c3_0, va, vb, beta);
    }

}
