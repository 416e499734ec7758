namespace Prunus.Pruning.Obs;

/// <summary>Dense symmetric positive definite factorizations in double precision (row-major n x n).</summary>
internal static class SpdFactor
{
    /// <summary>
    /// The upper triangular U with U^T U = A^-1 (the upper Cholesky factor of A's inverse), written into
    /// <paramref name="u"/>; false when A is not positive definite. A is read only.
    /// </summary>
    /// <remarks>
    /// Factor A = R R^T with R upper triangular (Cholesky run from the last index backwards); then
    /// A^-1 = R^-T R^-1 = U^T U with U = R^-1, so one factorization and one triangular inverse suffice.
    /// </remarks>
    public static bool InverseUpperFactor(double[] a, int n, double[] u)
    {
        var r = new double[(long)n * n];
        for (int j = n - 1; j >= 0; j--)
        {
            var rj = new ReadOnlySpan<double>(r, j * n + j + 1, n - j - 1);
            double d = a[j * n + j] - DoubleVectors.Dot(rj, rj);
            if (!(d > 0) || !double.IsFinite(d)) return false;
            double rjj = Math.Sqrt(d);
            r[j * n + j] = rjj;
            for (int i = 0; i < j; i++)
                r[i * n + j] = (a[i * n + j] - DoubleVectors.Dot(new ReadOnlySpan<double>(r, i * n + j + 1, n - j - 1), rj)) / rjj;
        }
        // R U = I, row by row from the bottom: U[i, :] = (e_i - sum over k > i of R[i,k] U[k, :]) / R[i,i].
        Array.Clear(u, 0, n * n);
        for (int i = n - 1; i >= 0; i--)
        {
            var ui = new Span<double>(u, i * n, n);
            for (int k = i + 1; k < n; k++)
            {
                double rik = r[i * n + k];
                if (rik != 0) DoubleVectors.Axpy(ui[k..], -rik, new ReadOnlySpan<double>(u, k * n + k, n - k));
            }
            ui[i] += 1;
            double inv = 1 / r[i * n + i];
            for (int k = i; k < n; k++) ui[k] *= inv;
        }
        return true;
    }
}
