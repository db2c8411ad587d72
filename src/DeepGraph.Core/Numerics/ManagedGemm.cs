using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DeepGraph.Numerics;

/// <summary>Which micro-kernel a <see cref="ManagedGemm"/> runs.</summary>
public enum ManagedGemmKernel
{
    /// <summary>The widest one this CPU accelerates: <see cref="Vector512"/>, else <see cref="Vector256"/>, else <see cref="Portable"/>.</summary>
    Auto,

    /// <summary>AVX-512 FMA, a 14×32 register tile (needs AVX-512F).</summary>
    Vector512,

    /// <summary>256-bit vectors (FMA when the CPU has it), a 6×16 register tile (needs hardware 256-bit vectors).</summary>
    Vector256,

    /// <summary><see cref="System.Numerics.Vector{T}"/> of the platform's width, a 4×(2·width) tile; runs everywhere.</summary>
    Portable,
}

/// <summary>
/// A managed <see cref="IGemm"/>: the GotoBLAS/BLIS algorithm in C#. C is cut into column
/// blocks of NC and op(B) into row blocks of KC; each KC×NC block of op(B) is packed into
/// contiguous column panels (NR wide) that stay in the last-level cache, each MC×KC block of
/// op(A) into row panels (MR tall) that stay in L2, and an unrolled MR×NR micro-kernel keeps
/// its tile of C in vector registers while it streams the two panels (one B row of NR floats
/// and MR broadcast A elements per step of k). Transposes are absorbed by the packing (16×16
/// register transposes with AVX-512); ragged edges by zero-padded panels, kernels of 1 to 13
/// rows for the bottom edge (AVX-512) and a scratch tile for the rest; large problems are split
/// into row or column stripes over <see cref="DegreeOfParallelism"/> threads, each packing its
/// own panels.
/// </summary>
/// <remarks>
/// No state is shared between calls: the packing buffers are rented from
/// <see cref="ArrayPool{T}.Shared"/> per call and per thread, so one instance may be used from
/// several threads at once.
/// </remarks>
public sealed unsafe partial class ManagedGemm : IGemm
{
    /// <summary>Below this many multiply-adds a problem runs on the calling thread alone: forking costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 21;

    private readonly Blocking blocking;

    /// <summary>A GEMM that uses every core (<see cref="Environment.ProcessorCount"/>) and the widest kernel the CPU accelerates.</summary>
    public ManagedGemm() : this(Environment.ProcessorCount) { }

    /// <summary>A GEMM with a given number of threads and kernel.</summary>
    /// <param name="degreeOfParallelism">The most threads one call uses (≥ 1).</param>
    /// <param name="kernel">The micro-kernel; <see cref="ManagedGemmKernel.Auto"/> picks the widest one the CPU accelerates.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="degreeOfParallelism"/> is less than 1.</exception>
    /// <exception cref="ArgumentException">The requested kernel needs instructions this CPU lacks.</exception>
    public ManagedGemm(int degreeOfParallelism, ManagedGemmKernel kernel = ManagedGemmKernel.Auto)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degreeOfParallelism, 1);
        DegreeOfParallelism = degreeOfParallelism;
        Kernel = Choose(kernel);
        blocking = Blocking.For(Kernel);
        Name = Kernel switch
        {
            ManagedGemmKernel.Vector512 => "managed (AVX-512 FMA)",
            ManagedGemmKernel.Vector256 => Fma.IsSupported ? "managed (AVX2 FMA)" : "managed (256-bit vectors)",
            _ => $"managed (Vector<T>, {Vector<float>.Count} lanes)",
        };
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The most threads one call uses.</summary>
    public int DegreeOfParallelism { get; }

    private ManagedGemm? serial;

    /// <summary>
    /// A managed GEMM on one thread, shared (it holds no state that changes): for kernels that split their own work between
    /// threads when the caller's GEMM has no <see cref="IGemm.SingleThreaded"/> form (a native BLAS).
    /// </summary>
    internal static IGemm Serial { get; } = new ManagedGemm(1);

    /// <summary>This kernel on one thread (this instance when it already is).</summary>
    public IGemm SingleThreaded => DegreeOfParallelism == 1 ? this : serial ??= new ManagedGemm(1, Kernel);

    /// <summary>The micro-kernel this instance runs (never <see cref="ManagedGemmKernel.Auto"/>).</summary>
    public ManagedGemmKernel Kernel { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Whether this CPU can run <paramref name="kernel"/> (<see cref="ManagedGemmKernel.Auto"/> and <see cref="ManagedGemmKernel.Portable"/> always can).</summary>
    /// <param name="kernel">The kernel to ask about.</param>
    public static bool IsSupported(ManagedGemmKernel kernel) => kernel switch
    {
        ManagedGemmKernel.Vector512 => Avx512F.IsSupported,
        ManagedGemmKernel.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    private static ManagedGemmKernel Choose(ManagedGemmKernel kernel)
    {
        if (kernel == ManagedGemmKernel.Auto)
            return Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? ManagedGemmKernel.Vector512
                : Vector256.IsHardwareAccelerated ? ManagedGemmKernel.Vector256
                : ManagedGemmKernel.Portable;
        if (!Enum.IsDefined(kernel))
            throw new ArgumentException($"Unknown managed GEMM kernel {(int)kernel}.", nameof(kernel));
        if (!IsSupported(kernel))
            throw new ArgumentException(
                kernel == ManagedGemmKernel.Vector512
                    ? "The Vector512 kernel needs AVX-512F, which this CPU does not have."
                    : "The Vector256 kernel needs hardware 256-bit vectors, which this CPU does not have.", nameof(kernel));
        return kernel;
    }

    /// <inheritdoc/>
    public void Sgemm(bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        GemmArguments.Validate(transA, transB, m, n, k, a, lda, b, ldb, c, ldc);
        if (GemmArguments.TryTrivial(m, n, k, alpha, beta, c, ldc)) return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var problem = new Problem(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            Run(problem);
        }
    }

    /// <summary>The validated arguments of one call, with pinned pointers.</summary>
    private readonly struct Problem(bool transA, bool transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        public readonly bool TransA = transA, TransB = transB;
        public readonly int M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc;
        public readonly float Alpha = alpha, Beta = beta;
        public readonly float* A = a, B = b, C = c;
    }

    /// <summary>Splits the problem into row or column stripes of C, one per thread, and runs them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Run(Problem p)
    {
        int mr = blocking.MR, nr = blocking.NR;
        int tilesM = Ceil(p.M, mr), tilesN = Ceil(p.N, nr);
        long work = (long)p.M * p.N * p.K;
        bool wide = Kernel == ManagedGemmKernel.Vector512;
        int threads = work < ParallelThreshold ? 1 : Math.Min(DegreeOfParallelism, Math.Max(wide ? p.M : tilesM, tilesN));
        if (threads <= 1)
        {
            RunStripe(p, 0, p.M, 0, p.N);
            return;
        }

        // Each thread packs its own panels, so splitting rows of C repacks all of op(B) per
        // thread and splitting columns repacks all of op(A). Pick the split whose slowest
        // thread finishes first, counting the kernel (≈ 32 multiply-adds a cycle) and the
        // packing (per element ≈ 1 cycle for a scalar gather, 1/4 for a 16×16 transpose, 1/8
        // for a contiguous copy). With the AVX-512 row-edge kernels a stripe of any height costs
        // its height, so rows split evenly (m = 128 as 64 + 64, not 70 + 58); otherwise a
        // partial tile costs a whole one and stripes follow the tiles.
        int rowStep = wide ? Ceil(p.M, threads) : Ceil(tilesM, threads) * mr;
        int colStep = Ceil(tilesN, threads) * nr;
        double rowsOfA = wide ? p.M : tilesM * mr;
        double packA = p.TransA || wide ? 0.25 : 1, packB = !p.TransB ? 0.125 : wide ? 0.25 : 1;
        double byRows = (double)rowStep * tilesN * nr * p.K / 32 + packB * p.K * p.N + packA * rowStep * p.K;
        double byCols = rowsOfA * colStep * p.K / 32 + packA * p.K * p.M + packB * colStep * p.K;
        bool canRows = p.M > rowStep, canCols = p.N > colStep;
        if (!canRows && !canCols)
        {
            RunStripe(p, 0, p.M, 0, p.N);
            return;
        }
        bool splitRows = canRows && (!canCols || byRows <= byCols);
        int step = splitRows ? rowStep : colStep;
        int extent = splitRows ? p.M : p.N;
        int parts = Ceil(extent, step);
        var options = new ParallelOptions { MaxDegreeOfParallelism = parts };
        Parallel.For(0, parts, options, t =>
        {
            int start = t * step, end = Math.Min(extent, start + step);
            if (splitRows) RunStripe(p, start, end, 0, p.N);
            else RunStripe(p, 0, p.M, start, end);
        });
    }

    /// <summary>C[i0..i1, j0..j1) on the calling thread: the five loops around the micro-kernel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RunStripe(Problem p, int i0, int i1, int j0, int j1)
    {
        var bl = blocking;
        int mLen = i1 - i0, nLen = j1 - j0;
        // Even blocks: k = KC + 1 as one block of KC and one of 1 would waste the second pass.
        int kc0 = Ceil(p.K, Ceil(p.K, bl.KC));
        int mc0 = Ceil(Ceil(mLen, Ceil(mLen, bl.MC)), bl.MR) * bl.MR;
        int nc0 = Ceil(Ceil(nLen, Ceil(nLen, bl.NC)), bl.NR) * bl.NR;
        const int Align = 16; // floats: 64 bytes
        float[] aBuffer = ArrayPool<float>.Shared.Rent(mc0 * kc0 + Align + PackSlack);
        float[] bBuffer = ArrayPool<float>.Shared.Rent(nc0 * kc0 + Align + PackSlack);
        float* tile = stackalloc float[bl.MR * bl.NR];
        try
        {
            fixed (float* aRaw = aBuffer, bRaw = bBuffer)
            {
                float* aPack = AlignUp(aRaw), bPack = AlignUp(bRaw);
                for (int jc = j0; jc < j1; jc += nc0)
                {
                    int nc = Math.Min(nc0, j1 - jc);
                    for (int pc = 0; pc < p.K; pc += kc0)
                    {
                        int kc = Math.Min(kc0, p.K - pc);
                        PackB(p, pc, kc, jc, nc, bPack);
                        float beta = pc == 0 ? p.Beta : 1f;
                        for (int ic = i0; ic < i1; ic += mc0)
                        {
                            int mc = Math.Min(mc0, i1 - ic);
                            PackA(p, ic, mc, pc, kc, aPack);
                            Macro(kc, mc, nc, aPack, bPack, p.C + (long)ic * p.Ldc + jc, p.Ldc, p.Alpha, beta, tile);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(aBuffer);
            ArrayPool<float>.Shared.Return(bBuffer);
        }
    }

    /// <summary>One packed mc×kc block of op(A) times one packed kc×nc block of op(B) into C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Macro(int kc, int mc, int nc, float* aPack, float* bPack, float* c, int ldc, float alpha, float beta, float* tile)
    {
        int MR = blocking.MR, NR = blocking.NR, half = NR / 2;
        for (int jr = 0; jr < nc; jr += NR)
        {
            int nr = Math.Min(NR, nc - jr);
            bool narrow = nr <= half;
            int width = narrow ? half : NR;
            float* bp = bPack + (long)jr * kc;
            for (int ir = 0; ir < mc; ir += MR)
            {
                int mr = Math.Min(MR, mc - ir);
                float* ap = aPack + (long)ir * kc;
                float* cp = c + (long)ir * ldc + jr;
                if (mr == MR && nr == width)
                {
                    MicroKernel(narrow, kc, ap, bp, cp, ldc, alpha, beta);
                }
                else if (Kernel == ManagedGemmKernel.Vector512)
                {
                    // Edges with AVX-512: a kernel of just the rows that are left (m = 128 leaves
                    // 2 of 14) rather than a full tile of padding; columns past the edge through
                    // the scratch tile and masked stores.
                    if (nr == width) Kernel512Rows(narrow, mr, kc, ap, bp, cp, ldc, alpha, beta);
                    else
                    {
                        Kernel512Rows(narrow, mr, kc, ap, bp, tile, width, 1f, 0f);
                        Merge512(tile, width, cp, ldc, mr, nr, alpha, beta);
                    }
                }
                else
                {
                    MicroKernel(narrow, kc, ap, bp, tile, width, 1f, 0f);
                    Merge(tile, width, cp, ldc, mr, nr, alpha, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MicroKernel(bool narrow, int kc, float* a, float* b, float* c, int ldc, float alpha, float beta)
    {
        switch (Kernel)
        {
            case ManagedGemmKernel.Vector512:
                if (narrow) Kernel512<N14, N1>(kc, a, b, c, ldc, alpha, beta);
                else Kernel512<N14, N2>(kc, a, b, c, ldc, alpha, beta);
                break;
            case ManagedGemmKernel.Vector256:
                if (narrow) Kernel256<N1>(kc, a, b, c, ldc, alpha, beta);
                else Kernel256<N2>(kc, a, b, c, ldc, alpha, beta);
                break;
            default:
                if (narrow) KernelV<N1>(kc, a, b, c, ldc, alpha, beta);
                else KernelV<N2>(kc, a, b, c, ldc, alpha, beta);
                break;
        }
    }

    /// <summary>C[0..mr, 0..nr) ← alpha·tile + beta·C for a ragged edge tile (C not read when beta = 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge(float* tile, int ldt, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        for (int i = 0; i < mr; i++)
        {
            float* t = tile + i * ldt, r = c + (long)i * ldc;
            if (beta == 0f) for (int j = 0; j < nr; j++) r[j] = alpha * t[j];
            else if (beta == 1f) for (int j = 0; j < nr; j++) r[j] += alpha * t[j];
            else for (int j = 0; j < nr; j++) r[j] = alpha * t[j] + beta * r[j];
        }
    }

    /// <summary>
    /// <see cref="Merge"/> with AVX-512 masked loads and stores: the lanes past column nr are
    /// neither read nor written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Merge512(float* tile, int ldt, float* c, int ldc, int mr, int nr, float alpha, float beta)
    {
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        for (int j = 0; j < nr; j += 16)
        {
            var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(nr - j)).AsSingle();
            for (int i = 0; i < mr; i++)
            {
                float* r = c + (long)i * ldc + j;
                var v = Vector512.Load(tile + i * ldt + j) * va;
                if (beta != 0f) v = Avx512F.FusedMultiplyAdd(Avx512F.MaskLoad(r, mask, Vector512<float>.Zero), vb, v);
                Avx512F.MaskStore(r, mask, v);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Ceil(int x, int y) => (x + y - 1) / y;

    private static float* AlignUp(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> acc, Vector512<float> alpha, Vector512<float> vbeta, float beta)
    {
        if (beta == 0f) Vector512.Store(acc * alpha, c);
        else if (beta == 1f) Vector512.Store(Avx512F.FusedMultiplyAdd(acc, alpha, Vector512.Load(c)), c);
        else Vector512.Store(Avx512F.FusedMultiplyAdd(acc, alpha, Vector512.Load(c) * vbeta), c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Fma256(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : c + a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> acc, Vector256<float> alpha, Vector256<float> vbeta, float beta)
    {
        if (beta == 0f) Vector256.Store(acc * alpha, c);
        else if (beta == 1f) Vector256.Store(Fma256(acc, alpha, Vector256.Load(c)), c);
        else Vector256.Store(Fma256(acc, alpha, Vector256.Load(c) * vbeta), c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreV(float* c, Vector<float> acc, Vector<float> alpha, Vector<float> vbeta, float beta)
    {
        if (beta == 0f) Unsafe.WriteUnaligned(c, acc * alpha);
        else if (beta == 1f) Unsafe.WriteUnaligned(c, Unsafe.ReadUnaligned<Vector<float>>(c) + acc * alpha);
        else Unsafe.WriteUnaligned(c, Unsafe.ReadUnaligned<Vector<float>>(c) * vbeta + acc * alpha);
    }

    /// <summary>Register tile (MR×NR) and cache blocks (MC×KC of A in L2, KC×NC of B in L3) of one kernel.</summary>
    private readonly record struct Blocking(int MR, int NR, int MC, int KC, int NC)
    {
        public static Blocking For(ManagedGemmKernel kernel) => kernel switch
        {
            // Zen 5 here: 48 KiB L1d, 1 MiB L2 per core. A KC×32 B panel (32 KiB at KC = 256)
            // is reused from L1 across the A panels of an MC block (MC×KC = 336 KiB in L2).
            ManagedGemmKernel.Vector512 => new(14, 32, 14 * 24, 256, 4096),
            ManagedGemmKernel.Vector256 => new(6, 16, 6 * 40, 256, 4096),
            _ => new(4, 2 * Vector<float>.Count, 4 * 40, 256, 4096),
        };
    }
}
