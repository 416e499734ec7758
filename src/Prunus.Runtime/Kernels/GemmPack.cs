using System.Runtime.Intrinsics;

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
                for (int p = 0; p < kc; p++, s += lda, d += mr)
                    for (int i = 0; i < rows; i++) d[i] = s[i];
            }
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
    /// Packs rows [p0, p0 + kc) x columns [j0, j0 + nr) of op(B), nr &lt;= <paramref name="width"/>, into one panel
    /// dst[kc, width], zero-padding columns nr..width.
    /// </summary>
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
}
