namespace Prunus.Pruning.Obs;

/// <summary>
/// The inverse of a layer's damped input second moment H = X^T X, in the form the optimal-brain-surgeon family of
/// column solvers (SparseGPT for pruning, GPTQ for quantization) consumes it: the upper Cholesky factor U of
/// (H + damp·mean(diag H)·I)^-1, whose row j past the diagonal spreads column j's error over the later columns.
/// </summary>
internal static class HessianInverse
{
    /// <summary>
    /// U for <paramref name="hessian"/> [cols, cols] (row-major, any positive scale), visiting the columns in
    /// <paramref name="order"/> (U is then the factor of H permuted by it; null keeps the natural order). Inputs that
    /// are zero on every calibration row (zero diagonal) get the mean diagonal so that H stays invertible; they are
    /// returned as dead (in original column numbers) for the solver to treat. The dampening starts at
    /// <paramref name="dampening"/> and grows tenfold while H is not numerically positive definite (collinear inputs),
    /// as the papers advise; the one used is returned.
    /// </summary>
    public static (double[] U, double Dampening, bool[] Dead) Factor(ReadOnlySpan<double> hessian, int cols, double dampening, int[]? order = null)
    {
        if (hessian.Length != (long)cols * cols) throw new ArgumentException($"the Hessian must be {cols} x {cols}");
        var h = new double[(long)cols * cols];
        if (order is null) hessian.CopyTo(h);
        else
            for (int a = 0; a < cols; a++)
                for (int b = 0; b < cols; b++) h[a * cols + b] = hessian[order[a] * cols + order[b]];
        var dead = new bool[cols];
        double mean = 0;
        int live = 0;
        for (int j = 0; j < cols; j++)
            if (h[j * cols + j] > 0) { mean += h[j * cols + j]; live++; }
        mean = live == 0 ? 1 : mean / live;
        for (int j = 0; j < cols; j++)
        {
            if (h[j * cols + j] > 0) continue;
            h[j * cols + j] = mean;
            dead[order?[j] ?? j] = true;
        }
        var u = new double[(long)cols * cols];
        double damp = dampening;
        while (true)
        {
            var d = (double[])h.Clone();
            for (int j = 0; j < cols; j++) d[j * cols + j] += damp * mean;
            if (SpdFactor.InverseUpperFactor(d, cols, u)) return (u, damp, dead);
            damp = Math.Max(damp * 10, 1e-6);
            if (damp > 1e6) throw new InvalidOperationException("the input second moment is not positive definite even with heavy dampening");
        }
    }
}
