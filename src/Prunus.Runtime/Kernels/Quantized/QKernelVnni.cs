using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>acc + Σ_{t&lt;4} u[4l+t] s[4l+t] per int32 lane l, u unsigned and s signed bytes (vpdpbusd, no saturation).</summary>
internal interface IDot4
{
    static abstract Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s);
}

/// <summary>The AVX-VNNI instruction.</summary>
internal struct VnniDot : IDot4
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s) => AvxVnni.MultiplyWideningAndAdd(acc, u, s);
}

/// <summary>
/// The same sums from AVX2: even and odd bytes widened to int16 (zero-extended for u, sign-extended for s), two
/// vpmaddwd. Lets the VNNI layouts, kernels and drivers be tested on machines without VNNI.
/// </summary>
internal struct EmulatedDot : IDot4
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        var u16 = u.AsInt16();
        var s16 = s.AsInt16();
        var even = Avx2.MultiplyAddAdjacent(Avx2.And(u16, Vector256.Create((short)0xFF)), Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(s16, 8), 8));
        var odd = Avx2.MultiplyAddAdjacent(Avx2.ShiftRightLogical(u16, 8), Avx2.ShiftRightArithmetic(s16, 8));
        return Avx2.Add(acc, Avx2.Add(even, odd));
    }
}

/// <summary>Which operand holds the unsigned activation bytes: A (dense layers, A = activations) or B (convolutions).</summary>
internal interface IUnsignedSide { static abstract bool InA { get; } }
internal struct UnsignedA : IUnsignedSide { public static bool InA => true; }
internal struct UnsignedB : IUnsignedSide { public static bool InA => false; }

/// <summary>
/// 6 x 16 micro-kernel on byte quads: per word step (four k values), two B loads, six broadcasts and twelve
/// uint8 x int8 dot products of four into int32 accumulators, 384 multiply-adds. The activations are the unsigned side
/// (int8 activations shifted by +128, compensated in the bias), the weights the signed one.
/// </summary>
internal unsafe struct QKernelVnni<TDot, TSide> : IQMicroKernel where TDot : struct, IDot4 where TSide : struct, IUnsignedSide
{
    public static QIsa Isa => typeof(TDot) == typeof(VnniDot) ? QIsa.Vnni256 : QIsa.Vnni256Emulated;
    public static int MR => 6;
    public static int NR => 16;

    public static void Tile(int rows, int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile, bool full, in QStore st, int row0, int col0)
    {
        switch (rows)
        {
            case 6: Run<R6>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
            case 5: Run<R5>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
            case 4: Run<R4>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
            case 3: Run<R3>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
            case 2: Run<R2>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
            default: Run<R1>(groups, a, ars, aqs, b, bs, tile, full, st, row0, col0); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<int> acc, Vector256<int> x, Vector256<int> b) =>
        TSide.InA ? TDot.Dot(acc, x.AsByte(), b.AsSByte()) : TDot.Dot(acc, b.AsByte(), x.AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile, bool full, in QStore st, int row0, int col0)
        where TR : struct, IRows
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
            c00 = Step(c00, x, b0); c01 = Step(c01, x, b1);
            if (TR.Value > 1) { x = Vector256.Create(*a1); c10 = Step(c10, x, b0); c11 = Step(c11, x, b1); }
            if (TR.Value > 2) { x = Vector256.Create(*a2); c20 = Step(c20, x, b0); c21 = Step(c21, x, b1); }
            if (TR.Value > 3) { x = Vector256.Create(*a3); c30 = Step(c30, x, b0); c31 = Step(c31, x, b1); }
            if (TR.Value > 4) { x = Vector256.Create(*a4); c40 = Step(c40, x, b0); c41 = Step(c41, x, b1); }
            if (TR.Value > 5) { x = Vector256.Create(*a5); c50 = Step(c50, x, b0); c51 = Step(c51, x, b1); }
            a0 += aqs; a1 += aqs; a2 += aqs; a3 += aqs; a4 += aqs; a5 += aqs;
            b += bs;
        }
        QKernel256.Out(c00, c01, 0, tile, full, st, row0, col0);
        if (TR.Value > 1) QKernel256.Out(c10, c11, 1, tile, full, st, row0, col0);
        if (TR.Value > 2) QKernel256.Out(c20, c21, 2, tile, full, st, row0, col0);
        if (TR.Value > 3) QKernel256.Out(c30, c31, 3, tile, full, st, row0, col0);
        if (TR.Value > 4) QKernel256.Out(c40, c41, 4, tile, full, st, row0, col0);
        if (TR.Value > 5) QKernel256.Out(c50, c51, 5, tile, full, st, row0, col0);
    }
}
