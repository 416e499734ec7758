using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// Packing of GEMM operands into the contiguous panels the micro-kernels stream through. Packing is where transposes
/// are absorbed: the kernels only ever see row-panels of A and column-panels of B.
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>
    /// Packs rows [i0, i0 + mc) x columns [p0, p0 + kc) of op(A) into panels of <paramref name="mr"/> rows: panel q starts
    /// at dst + q * mr * kc and holds element (i, p) at [p * mr + i]. A short last panel is not padded (its kernel reads
    /// only its own rows).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA(bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, int mr, float* dst)
    {
        for (int q = 0; q < mc; q += mr)
        {
            int rows = Math.Min(mr, mc - q);
            float* d = dst + (nint)q * kc;
            if (transA)
            {
                // A is stored [K, M]: the rows of one k step are contiguous.
                float* s = a + (nint)p0 * lda + i0 + q;
                if (rows == 6 && mr == 6)
                    for (int p = 0; p < kc; p++, s += lda, d += 6)
                    {
                        // Two overlapping 4-float moves cover the 6 rows without reading past them.
                        var lo = Vector128.Load(s);
                        var hi = Vector128.Load(s + 2);
                        lo.Store(d);
                        hi.Store(d + 2);
                    }
                else if (rows == 12 && mr == 12)
                    for (int p = 0; p < kc; p++, s += lda, d += 12)
                    {
                        Vector128.Load(s).Store(d);
                        Vector128.Load(s + 4).Store(d + 4);
                        Vector128.Load(s + 8).Store(d + 8);
                    }
                else
                    for (int p = 0; p < kc; p++, s += lda, d += mr)
                        for (int i = 0; i < rows; i++) d[i] = s[i];
            }
            else if (Avx.IsSupported && rows == mr && mr % 6 == 0 && mr <= 16)
                PackARowsAvx(a + (nint)(i0 + q) * lda + p0, lda, kc, mr, d);
            else if (rows == 6 && mr == 6)
            {
                float* s0 = a + (nint)(i0 + q) * lda + p0;
                float* s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
                for (int p = 0; p < kc; p++, d += 6)
                {
                    d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p];
                    d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p];
                }
            }
            else
            {
                for (int i = 0; i < rows; i++)
                {
                    float* s = a + (nint)(i0 + q + i) * lda + p0;
                    float* di = d + i;
                    for (int p = 0; p < kc; p++) di[(nint)p * mr] = s[p];
                }
            }
        }
    }

    /// <summary>
    /// A full panel of <paramref name="mr"/> (6 or 12) rows of a row-major A: 8 k steps at a time, each group of up to 8
    /// rows is transposed in registers and stored as 8-float columns. A store may spill past its group's values into
    /// the next column's first rows, which a later store overwrites; the last one spills up to 4 floats past the panel
    /// (into the next panel, packed later, or the scratch slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackARowsAvx(float* src, nint lda, int kc, int mr, float* d)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8, src += 8, d += 8 * mr)
        {
            // Lower row groups go first: their spill lands on the next column's upper rows, stored afterwards.
            for (int r0 = (mr - 1) / 8 * 8; r0 >= 0; r0 -= 8)
            {
                int n = Math.Min(8, mr - r0);
                float* s = src + r0 * lda;
                var x0 = Avx.LoadVector256(s);
                var x1 = n > 1 ? Avx.LoadVector256(s + lda) : default;
                var x2 = n > 2 ? Avx.LoadVector256(s + 2 * lda) : default;
                var x3 = n > 3 ? Avx.LoadVector256(s + 3 * lda) : default;
                var x4 = n > 4 ? Avx.LoadVector256(s + 4 * lda) : default;
                var x5 = n > 5 ? Avx.LoadVector256(s + 5 * lda) : default;
                var x6 = n > 6 ? Avx.LoadVector256(s + 6 * lda) : default;
                var x7 = n > 7 ? Avx.LoadVector256(s + 7 * lda) : default;
                Transpose8x8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7);
                float* o = d + r0;
                Avx.Store(o, x0); Avx.Store(o + mr, x1); Avx.Store(o + 2 * mr, x2); Avx.Store(o + 3 * mr, x3);
                Avx.Store(o + 4 * mr, x4); Avx.Store(o + 5 * mr, x5); Avx.Store(o + 6 * mr, x6); Avx.Store(o + 7 * mr, x7);
            }
        }
        for (; p < kc; p++, src++, d += mr)
            for (int i = 0; i < mr; i++) d[i] = src[i * lda];
    }

    /// <summary>In-register transpose: on return xj holds column j of the 8 x 8 block whose rows were x0..x7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref Vector256<float> x0, ref Vector256<float> x1, ref Vector256<float> x2, ref Vector256<float> x3,
        ref Vector256<float> x4, ref Vector256<float> x5, ref Vector256<float> x6, ref Vector256<float> x7)
    {
        var t0 = Avx.UnpackLow(x0, x1); var t1 = Avx.UnpackHigh(x0, x1);
        var t2 = Avx.UnpackLow(x2, x3); var t3 = Avx.UnpackHigh(x2, x3);
        var t4 = Avx.UnpackLow(x4, x5); var t5 = Avx.UnpackHigh(x4, x5);
        var t6 = Avx.UnpackLow(x6, x7); var t7 = Avx.UnpackHigh(x6, x7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        x0 = Avx.Permute2x128(s0, s4, 0x20); x4 = Avx.Permute2x128(s0, s4, 0x31);
        x1 = Avx.Permute2x128(s1, s5, 0x20); x5 = Avx.Permute2x128(s1, s5, 0x31);
        x2 = Avx.Permute2x128(s2, s6, 0x20); x6 = Avx.Permute2x128(s2, s6, 0x31);
        x3 = Avx.Permute2x128(s3, s7, 0x20); x7 = Avx.Permute2x128(s3, s7, 0x31);
    }

    /// <summary>
    /// Packs rows [p0, p0 + kc) x columns [j0, j0 + nr) of op(B), nr &lt;= <paramref name="width"/>, into one panel
    /// dst[kc, width], zero-padding columns nr..width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackBPanel(bool transB, float* b, nint ldb, int p0, int kc, int j0, int nr, int width, float* dst)
    {
        if (!transB)
        {
            float* s = b + (nint)p0 * ldb + j0;
            if (nr == width && Vector256.IsHardwareAccelerated && width % 8 == 0)
            {
                for (int p = 0; p < kc; p++, s += ldb, dst += width)
                    for (int j = 0; j < width; j += 8) Vector256.Load(s + j).Store(dst + j);
            }
            else
            {
                for (int p = 0; p < kc; p++, s += ldb, dst += width)
                {
                    int j = 0;
                    for (; j < nr; j++) dst[j] = s[j];
                    for (; j < width; j++) dst[j] = 0;
                }
            }
            return;
        }
        // B is stored [N, K]: column j of op(B) is a contiguous row of storage.
        if (Avx.IsSupported && nr == width && width % 8 == 0)
        {
            PackBTransposedAvx(b + (nint)j0 * ldb + p0, ldb, kc, width, dst);
            return;
        }
        for (int j = 0; j < nr; j++)
        {
            float* s = b + (nint)(j0 + j) * ldb + p0;
            float* d = dst + j;
            for (int p = 0; p < kc; p++) d[(nint)p * width] = s[p];
        }
        if (nr < width)
            for (int p = 0; p < kc; p++)
                for (int j = nr; j < width; j++) dst[(nint)p * width + j] = 0;
    }

    /// <summary>A full panel of a transposed B: 8 x 8 blocks (8 storage rows, 8 k steps) transposed in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackBTransposedAvx(float* src, nint ldb, int kc, int width, float* dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            for (int j = 0; j < width; j += 8)
            {
                float* s = src + j * ldb + p;
                var x0 = Avx.LoadVector256(s); var x1 = Avx.LoadVector256(s + ldb);
                var x2 = Avx.LoadVector256(s + 2 * ldb); var x3 = Avx.LoadVector256(s + 3 * ldb);
                var x4 = Avx.LoadVector256(s + 4 * ldb); var x5 = Avx.LoadVector256(s + 5 * ldb);
                var x6 = Avx.LoadVector256(s + 6 * ldb); var x7 = Avx.LoadVector256(s + 7 * ldb);
                Transpose8x8(ref x0, ref x1, ref x2, ref x3, ref x4, ref x5, ref x6, ref x7);
                float* o = dst + (nint)p * width + j;
                Avx.Store(o, x0); Avx.Store(o + width, x1); Avx.Store(o + 2 * width, x2); Avx.Store(o + 3 * width, x3);
                Avx.Store(o + 4 * width, x4); Avx.Store(o + 5 * width, x5); Avx.Store(o + 6 * width, x6); Avx.Store(o + 7 * width, x7);
            }
        }
        for (; p < kc; p++)
            for (int j = 0; j < width; j++) dst[(nint)p * width + j] = src[j * ldb + p];
    }
}
