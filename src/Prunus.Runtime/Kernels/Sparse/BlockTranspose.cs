using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// dst[c, r] = src[r, c] for a rows x cols block: 8 x 8 tiles through AVX registers (unpack, shuffle, lane permute),
/// element by element at the edges and without AVX. Sparse linear layers turn activations [N, in] into [in, N] with it,
/// so that each nonzero weight multiplies a contiguous vector over the batch.
/// </summary>
internal static unsafe class BlockTranspose
{
    /// <summary>Transposes rows x cols of src (row stride lds) into dst (row stride ldd).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(float* src, int rows, int cols, nint lds, float* dst, nint ldd)
    {
        int r = 0;
        if (Avx.IsSupported)
            for (; r + 8 <= rows; r += 8)
            {
                int c = 0;
                for (; c + 8 <= cols; c += 8) Tile8(src + r * lds + c, lds, dst + c * ldd + r, ldd);
                for (; c < cols; c++)
                    for (int q = 0; q < 8; q++) dst[c * ldd + r + q] = src[(r + q) * lds + c];
            }
        for (; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile8(float* s, nint lds, float* d, nint ldd)
    {
        var r0 = Vector256.Load(s); var r1 = Vector256.Load(s + lds);
        var r2 = Vector256.Load(s + 2 * lds); var r3 = Vector256.Load(s + 3 * lds);
        var r4 = Vector256.Load(s + 4 * lds); var r5 = Vector256.Load(s + 5 * lds);
        var r6 = Vector256.Load(s + 6 * lds); var r7 = Vector256.Load(s + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(u0, u4, 0x20).Store(d);
        Avx.Permute2x128(u1, u5, 0x20).Store(d + ldd);
        Avx.Permute2x128(u2, u6, 0x20).Store(d + 2 * ldd);
        Avx.Permute2x128(u3, u7, 0x20).Store(d + 3 * ldd);
        Avx.Permute2x128(u0, u4, 0x31).Store(d + 4 * ldd);
        Avx.Permute2x128(u1, u5, 0x31).Store(d + 5 * ldd);
        Avx.Permute2x128(u2, u6, 0x31).Store(d + 6 * ldd);
        Avx.Permute2x128(u3, u7, 0x31).Store(d + 7 * ldd);
    }

    /// <summary>Element-by-element reference.</summary>
    public static void Reference(float* src, int rows, int cols, nint lds, float* dst, nint ldd)
    {
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = src[r * lds + c];
    }
}
