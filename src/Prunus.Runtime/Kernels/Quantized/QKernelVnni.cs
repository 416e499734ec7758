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

    public static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile) where TR : struct, IRows =>
        QTile16<VnniStep<TDot, TSide>>.Run<TR>(groups, a, ars, aqs, b, bs, tile);
}

/// <summary>A byte-quad step: the unsigned bytes (activations) against the signed ones (weights), four products per lane.</summary>
internal struct VnniStep<TDot, TSide> : IQStep256 where TDot : struct, IDot4 where TSide : struct, IUnsignedSide
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Step(Vector256<int> acc, Vector256<int> x, Vector256<int> b) =>
        TSide.InA ? TDot.Dot(acc, x.AsByte(), b.AsSByte()) : TDot.Dot(acc, b.AsByte(), x.AsSByte());
}
