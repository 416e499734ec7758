namespace Prunus.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Double-precision C[M,N] = op(A)[M,K] * op(B)[K,N] (C overwritten), row-major with row strides lda/ldb/ldc. A plain
    /// loop in i-p-j order (B's rows read contiguously): double products are rare in the models Prunus runs.
    /// </summary>
    public static void MultiplyFloat64(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), "matrix dimensions must not be negative");
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                double av = transA ? a[p * lda + i] : a[i * lda + p];
                if (!transB)
                {
                    var br = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += av * br[j];
                }
                else
                    for (int j = 0; j < n; j++) row[j] += av * b[j * ldb + p];
            }
        }
    }
}
