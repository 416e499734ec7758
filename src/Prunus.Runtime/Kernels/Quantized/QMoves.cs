using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// Byte moves of the integer lowerings: short runs (a row of a small output plane is often 8 to 32 bytes, where a
/// memmove call costs more than the copy) copied with whole vectors and one last vector ending exactly at the run's
/// end, optionally flipping the top bit (int8 to uint8 order); and a 16 x 16 byte transpose.
/// </summary>
internal static unsafe class QMoves
{
    /// <summary>dst[i] = src[i] ^ flip for i &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(byte* src, byte* dst, int n, byte flip = 0)
    {
        if (n >= 16)
        {
            var f = Vector128.Create(flip);
            int i = 0;
            for (; i + 16 <= n; i += 16) (Vector128.Load(src + i) ^ f).Store(dst + i);
            if (i < n) (Vector128.Load(src + n - 16) ^ f).Store(dst + n - 16);
            return;
        }
        if (n >= 8)
        {
            ulong f = flip * 0x0101010101010101UL;
            *(ulong*)dst = *(ulong*)src ^ f;
            *(ulong*)(dst + n - 8) = *(ulong*)(src + n - 8) ^ f;
            return;
        }
        for (int i = 0; i < n; i++) dst[i] = (byte)(src[i] ^ flip);
    }

    /// <summary>
    /// dst[c * ldd + r] = src[r * lds + c] ^ flip for r &lt; rows, c &lt; cols: 16 x 16 blocks through SSE2 unpacks,
    /// the edges one byte at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(byte* src, int rows, int cols, nint lds, byte* dst, nint ldd, byte flip)
    {
        int r = 0;
        if (Sse2.IsSupported)
            for (; r + 16 <= rows; r += 16)
            {
                int c = 0;
                for (; c + 16 <= cols; c += 16) Block16(src + r * lds + c, lds, dst + c * ldd + r, ldd, flip);
                for (; c < cols; c++)
                    for (int q = 0; q < 16; q++) dst[c * ldd + r + q] = (byte)(src[(r + q) * lds + c] ^ flip);
            }
        for (; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * ldd + r] = (byte)(src[r * lds + c] ^ flip);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block16(byte* s, nint lds, byte* d, nint ldd, byte flip)
    {
        var f = Vector128.Create(flip);
        var b = stackalloc Vector128<byte>[16];
        // Bytes of row pairs interleaved: b[2i] holds columns 0-7 of rows 2i, 2i+1; b[2i+1] columns 8-15.
        for (int i = 0; i < 8; i++)
        {
            var a0 = Sse2.LoadVector128(s + 2 * i * lds) ^ f;
            var a1 = Sse2.LoadVector128(s + (2 * i + 1) * lds) ^ f;
            b[2 * i] = Sse2.UnpackLow(a0, a1);
            b[2 * i + 1] = Sse2.UnpackHigh(a0, a1);
        }
        // 32-bit units: rows 4i..4i+3 of one column; c[4i + j] holds columns 4j..4j+3.
        var c = stackalloc Vector128<byte>[16];
        for (int i = 0; i < 4; i++)
        {
            var p0 = b[4 * i].AsInt16(); var p1 = b[4 * i + 1].AsInt16(); var p2 = b[4 * i + 2].AsInt16(); var p3 = b[4 * i + 3].AsInt16();
            c[4 * i] = Sse2.UnpackLow(p0, p2).AsByte();
            c[4 * i + 1] = Sse2.UnpackHigh(p0, p2).AsByte();
            c[4 * i + 2] = Sse2.UnpackLow(p1, p3).AsByte();
            c[4 * i + 3] = Sse2.UnpackHigh(p1, p3).AsByte();
        }
        // 64-bit units: rows 8h..8h+7 of one column; e[8h + j] holds columns 2j, 2j+1.
        var e = stackalloc Vector128<byte>[16];
        for (int h = 0; h < 2; h++)
            for (int j = 0; j < 4; j++)
            {
                var q0 = c[8 * h + j].AsInt32();
                var q1 = c[8 * h + 4 + j].AsInt32();
                e[8 * h + 2 * j] = Sse2.UnpackLow(q0, q1).AsByte();
                e[8 * h + 2 * j + 1] = Sse2.UnpackHigh(q0, q1).AsByte();
            }
        // Columns: the rows 0-7 half and the rows 8-15 half joined.
        for (int j = 0; j < 8; j++)
        {
            var lo = e[j].AsInt64();
            var hi = e[8 + j].AsInt64();
            Sse2.Store(d + 2 * j * ldd, Sse2.UnpackLow(lo, hi).AsByte());
            Sse2.Store(d + (2 * j + 1) * ldd, Sse2.UnpackHigh(lo, hi).AsByte());
        }
    }
}
