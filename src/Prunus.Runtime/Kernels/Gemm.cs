using System.Runtime.Intrinsics;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// Single-precision matrix multiply, row-major: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, where op(X) is X
/// or its transpose. lda/ldb/ldc are row strides of the stored matrices. beta = 0 means C is not read.
/// </summary>
/// <remarks>
/// The fast path packs A and B into panels and runs a register-tiled micro-kernel (AVX-512, AVX2 or 128-bit vectors,
/// whichever the machine accelerates) over cache blocks; M = 1 takes a streaming matrix-vector path. With a pool of
/// several threads, large products are split over tiles of C, never over K, so the result is bit-identical for any
/// thread count. A null pool runs on the calling thread.
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>The kernel family this machine uses.</summary>
    internal static readonly GemmIsa DefaultIsa =
        Vector512.IsHardwareAccelerated ? GemmIsa.Vector512
        : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256
        : GemmIsa.Vector128;

    /// <summary>Name of the micro-kernel in use, for profiles: "gemm-avx512", "gemm-avx2" or "gemm-v128".</summary>
    public static string KernelName => DefaultIsa switch
    {
        GemmIsa.Vector512 => "gemm-avx512",
        GemmIsa.Vector256 => "gemm-avx2",
        _ => "gemm-v128",
    };

    /// <summary>The fast path: C = alpha * op(A) * op(B) + beta * C.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc, WorkerPool? pool = null)
        => Run(DefaultIsa, transA, transB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc, default, pool);

    /// <summary>The fast path with a fused epilogue: C = relu?(alpha * op(A) * op(B) + beta * C + bias).</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmEpilogue epilogue, WorkerPool? pool = null)
        => Run(DefaultIsa, transA, transB, m, n, k, alpha, a, lda, b, ldb, null, beta, c, ldc, epilogue, pool);

    /// <summary>
    /// C[M,N] = relu?(alpha * op(A)[M,K] * B + beta * C + bias) with B pre-packed by <see cref="PackB"/> (K and N come
    /// from it). The path for constant weights: no packing of B happens in the call.
    /// </summary>
    public static void Multiply(bool transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, GemmEpilogue epilogue = default, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        Run(b.Isa, transA, false, m, b.N, b.K, alpha, a, lda, default, b.N, b, beta, c, ldc, epilogue, pool);
    }

    /// <summary>
    /// Packs op(B)[K,N] (B stored [K,N] with row stride ldb, or [N,K] when <paramref name="transB"/>) once, for many
    /// <see cref="Multiply(bool, int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int, GemmEpilogue, WorkerPool?)"/> calls.
    /// </summary>
    public static PackedMatrix PackB(bool transB, int k, int n, ReadOnlySpan<float> b, int ldb) => PackBFor(DefaultIsa, transB, k, n, b, ldb);

    internal static PackedMatrix PackBFor(GemmIsa isa, bool transB, int k, int n, ReadOnlySpan<float> b, int ldb)
    {
        if (k < 0 || n < 0) throw new ArgumentOutOfRangeException(k < 0 ? nameof(k) : nameof(n), "matrix dimensions must not be negative");
        CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb);
        int nr = isa switch { GemmIsa.Vector512 => GemmKernel512.NR, GemmIsa.Vector256 => GemmKernel256.NR, _ => GemmKernel128.NR };
        var packed = new PackedMatrix(isa, k, n, nr);
        fixed (float* pb = b)
        {
            float* dst = packed.Data;
            for (int j = 0; j < n; j += nr, dst += (nint)k * nr)
                GemmPack.PackBPanel(transB, pb, ldb, 0, k, j, Math.Min(nr, n - j), nr, dst);
        }
        return packed;
    }

    /// <summary>The shared entry: validates, pins, and hands raw pointers to the kernel family's driver.</summary>
    internal static void Run(GemmIsa isa, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, PackedMatrix? packed, float beta,
        Span<float> c, int ldc, GemmEpilogue epilogue, WorkerPool? pool)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(m < 0 ? nameof(m) : n < 0 ? nameof(n) : nameof(k), "matrix dimensions must not be negative");
        CheckOperand("A", a, transA ? k : m, transA ? m : k, lda);
        if (packed is null) CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb);
        CheckOperand("C", c, m, n, ldc);
        int biasLength = epilogue.Kind switch { GemmBias.PerColumn => n, GemmBias.PerRow => m, _ => 0 };
        if (epilogue.Bias.Length < biasLength)
            throw new ArgumentException($"the {epilogue.Kind} bias has {epilogue.Bias.Length} values but needs {biasLength}", nameof(epilogue));
        if (m == 0 || n == 0) return;

        fixed (float* pa = a, pb = b, pc = c, pbias = epilogue.Bias)
        {
            var g = new GemmArgs
            {
                TransA = transA, TransB = transB, M = m, N = n, K = k, Alpha = alpha, Beta = beta,
                A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc,
                Packed = packed is null ? null : packed.Data,
                ColBias = epilogue.Kind == GemmBias.PerColumn ? pbias : null,
                RowBias = epilogue.Kind == GemmBias.PerRow ? pbias : null,
                Relu = epilogue.Relu,
            };
            if (k == 0) ScaleOnly(g);
            else if (isa == GemmIsa.Vector512) Dispatch<GemmKernel512>(g, pool);
            else if (isa == GemmIsa.Vector256) Dispatch<GemmKernel256>(g, pool);
            else Dispatch<GemmKernel128>(g, pool);
        }
        GC.KeepAlive(packed);
    }

    private static void Dispatch<TK>(in GemmArgs g, WorkerPool? pool) where TK : struct, IMicroKernel
    {
        if (g.M == 1) GemmGemv.Run(g, TK.NR, pool);
        else GemmJob<TK>.Run(g, pool);
    }

    /// <summary>K = 0: the product is zero, so C = beta * C plus the epilogue.</summary>
    private static void ScaleOnly(in GemmArgs g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* cr = g.C + i * g.Ldc;
            var st = g.FinalStore(i, 0, g.Beta);
            for (int j = 0; j < g.N; j++) cr[j] = st.Finish(0, cr + j, 0, j);
        }
    }

    /// <summary>Throws unless <paramref name="data"/> holds a rows x cols matrix with row stride <paramref name="ld"/>.</summary>
    private static void CheckOperand(string name, ReadOnlySpan<float> data, int rows, int cols, int ld)
    {
        if (ld < cols || ld < 0)
            throw new ArgumentException($"leading dimension of {name} is {ld} but its stored rows are {cols} wide; it must be at least {cols}");
        if (rows == 0 || cols == 0) return;
        long need = (long)(rows - 1) * ld + cols;
        if (data.Length < need)
            throw new ArgumentException($"{name} has {data.Length} elements but a {rows}x{cols} matrix with row stride {ld} needs {need}");
    }

    /// <summary>Plain triple loop with double accumulation: the reference every fast path is tested against.</summary>
    public static void Reference(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                float prior = beta == 0 ? 0 : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * s) + prior;
            }
    }
}
