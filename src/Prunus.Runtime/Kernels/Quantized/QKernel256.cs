using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>One word step of a 6 x 16 kernel: acc plus the products of a broadcast A word and 8 B words.</summary>
internal interface IQStep256
{
    static abstract Vector256<int> Step(Vector256<int> acc, Vector256<int> x, Vector256<int> b);
}

/// <summary>
/// The 6 x 16 tile body over 32-bit words the AVX2 families share (<see cref="QKernel256"/>, <see cref="QKernelVnni{TDot, TSide}"/>):
/// per word step, two B loads, six broadcasts and twelve <typeparamref name="TStep"/> steps into twelve int32 accumulators.
/// </summary>
internal static unsafe class QTile16<TStep> where TStep : struct, IQStep256
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile) where TR : struct, IRows
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Row pointers; rows past TR are never read.
        int* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars, a4 = a + 4 * ars, a5 = a + 5 * ars;
        for (int q = 0; q < groups; q++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var x = Vector256.Create(*a0);
            c00 = TStep.Step(c00, x, b0); c01 = TStep.Step(c01, x, b1);
            if (TR.Value > 1) { x = Vector256.Create(*a1); c10 = TStep.Step(c10, x, b0); c11 = TStep.Step(c11, x, b1); }
            if (TR.Value > 2) { x = Vector256.Create(*a2); c20 = TStep.Step(c20, x, b0); c21 = TStep.Step(c21, x, b1); }
            if (TR.Value > 3) { x = Vector256.Create(*a3); c30 = TStep.Step(c30, x, b0); c31 = TStep.Step(c31, x, b1); }
            if (TR.Value > 4) { x = Vector256.Create(*a4); c40 = TStep.Step(c40, x, b0); c41 = TStep.Step(c41, x, b1); }
            if (TR.Value > 5) { x = Vector256.Create(*a5); c50 = TStep.Step(c50, x, b0); c51 = TStep.Step(c51, x, b1); }
            a0 += aqs; a1 += aqs; a2 += aqs; a3 += aqs; a4 += aqs; a5 += aqs;
            b += bs;
        }
        Out(c00, c01, 0, tile);
        if (TR.Value > 1) Out(c10, c11, 1, tile);
        if (TR.Value > 2) Out(c20, c21, 2, tile);
        if (TR.Value > 3) Out(c30, c31, 3, tile);
        if (TR.Value > 4) Out(c40, c41, 4, tile);
        if (TR.Value > 5) Out(c50, c51, 5, tile);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Out(Vector256<int> v0, Vector256<int> v1, int r, int* tile)
    {
        Avx.Store(tile + r * 16, v0);
        Avx.Store(tile + r * 16 + 8, v1);
    }
}

/// <summary>
/// 6 x 16 integer micro-kernel on int16 pairs (AVX2): twelve vpmaddwd per word step, 192 multiply-adds. Exact: each
/// sum of a pair of products fits int32, and int32 accumulation wraps as the reference's does.
/// </summary>
internal unsafe struct QKernel256 : IQMicroKernel, IQStep256
{
    public static QIsa Isa => QIsa.Vector256;
    public static int MR => 6;
    public static int NR => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<int> x, Vector256<int> b) => QVector256.Madd(acc, x, b);

    public static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile) where TR : struct, IRows =>
        QTile16<QKernel256>.Run<TR>(groups, a, ars, aqs, b, bs, tile);
}

/// <summary>6 x 8 integer micro-kernel on int16 pairs with 4-lane vectors (SSE2, or portable Vector128 elsewhere).</summary>
internal unsafe struct QKernel128 : IQMicroKernel
{
    public static QIsa Isa => QIsa.Vector128;
    public static int MR => 6;
    public static int NR => 8;


    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile)
        where TR : struct, IRows
    {
        Vector128<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Row pointers; rows past TR are never read.
        int* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars, a4 = a + 4 * ars, a5 = a + 5 * ars;
        for (int q = 0; q < groups; q++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var x = Vector128.Create(*a0);
            c00 = QVector128.Madd(c00, x, b0); c01 = QVector128.Madd(c01, x, b1);
            if (TR.Value > 1) { x = Vector128.Create(*a1); c10 = QVector128.Madd(c10, x, b0); c11 = QVector128.Madd(c11, x, b1); }
            if (TR.Value > 2) { x = Vector128.Create(*a2); c20 = QVector128.Madd(c20, x, b0); c21 = QVector128.Madd(c21, x, b1); }
            if (TR.Value > 3) { x = Vector128.Create(*a3); c30 = QVector128.Madd(c30, x, b0); c31 = QVector128.Madd(c31, x, b1); }
            if (TR.Value > 4) { x = Vector128.Create(*a4); c40 = QVector128.Madd(c40, x, b0); c41 = QVector128.Madd(c41, x, b1); }
            if (TR.Value > 5) { x = Vector128.Create(*a5); c50 = QVector128.Madd(c50, x, b0); c51 = QVector128.Madd(c51, x, b1); }
            a0 += aqs; a1 += aqs; a2 += aqs; a3 += aqs; a4 += aqs; a5 += aqs;
            b += bs;
        }
        Out(c00, c01, 0, tile);
        if (TR.Value > 1) Out(c10, c11, 1, tile);
        if (TR.Value > 2) Out(c20, c21, 2, tile);
        if (TR.Value > 3) Out(c30, c31, 3, tile);
        if (TR.Value > 4) Out(c40, c41, 4, tile);
        if (TR.Value > 5) Out(c50, c51, 5, tile);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Out(Vector128<int> v0, Vector128<int> v1, int r, int* tile)
    {
        v0.Store(tile + r * 8);
        v1.Store(tile + r * 8 + 4);
    }
}
