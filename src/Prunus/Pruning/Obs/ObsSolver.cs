using Prunus.Threading;

namespace Prunus.Pruning.Obs;

/// <summary>What the mask of one weight matrix must meet.</summary>
internal readonly record struct MatrixTarget(long PruneCount, NOfM? NOfM, bool PerRow);

/// <summary>
/// The SparseGPT column loop (Frantar and Alistarh 2023) on one weight matrix W [rows, cols] against the second moment
/// H = X^T X of its inputs: columns are visited left to right; at the start of every block of columns the weights to
/// prune there are chosen by the OBS saliency w^2 / [H^-1]_jj^2 (with H^-1 restricted to the columns not yet visited),
/// and each pruned weight's error is spread over the later columns of its row through the upper Cholesky factor U of
/// H^-1 (w_k -= (w_j / U_jj) U_jk), which keeps X W^T close to the dense output. Rows are independent once a block's
/// mask is chosen, so they run in parallel.
/// </summary>
internal static class ObsSolver
{
    /// <summary>
    /// Prunes <paramref name="w"/> (row-major, updated in place: pruned entries become 0, kept ones compensate) and
    /// returns the pruned flags (row-major) and the OBS estimate of the added error sum over pruned weights of
    /// (w / U_jj)^2 / 2 in units of H.
    /// </summary>
    public static (bool[] Pruned, double Loss, double Dampening) Prune(double[] w, int rows, int cols, ReadOnlySpan<double> hessian,
        MatrixTarget target, double dampening, int blockSize, WorkerPool pool)
    {
        var pruned = new bool[(long)rows * cols];
        if (rows == 0 || cols == 0 || target.PruneCount <= 0 && target.NOfM is null) return (pruned, 0, 0);
        if (hessian.Length != cols * cols) throw new ArgumentException($"the Hessian must be {cols} x {cols}");

        // An input that is zero on every calibration row: its weights change nothing on the calibration outputs, so
        // they are zeroed (and then pruned first, as SparseGPT does).
        var (u, damp, dead) = HessianInverse.Factor(hessian, cols, dampening);
        for (int j = 0; j < cols; j++)
            if (dead[j])
                for (int r = 0; r < rows; r++) w[r * cols + j] = 0;

        int block = Math.Max(1, blockSize);
        if (target.NOfM is { } nm) block = (block + nm.M - 1) / nm.M * nm.M; // N:M groups never straddle blocks
        var work = new RowWork { W = w, U = u, Pruned = pruned, Rows = rows, Cols = cols, NOfM = target.NOfM };
        int chunks = Math.Min(rows, Math.Max(1, pool.Threads * 4));
        work.Losses = new double[chunks];
        work.Chunks = chunks;
        for (int i1 = 0; i1 < cols; i1 += block)
        {
            int i2 = Math.Min(cols, i1 + block);
            if (target.NOfM is null) ChooseBlockMask(w, u, pruned, rows, cols, i1, i2, target.PruneCount, target.PerRow);
            work.I1 = i1;
            work.I2 = i2;
            pool.For(chunks, work);
        }
        return (pruned, work.Losses.Sum(), damp);
    }

    /// <summary>round(total * c / cols): how many of the first c columns' weights are pruned (exactly total at cols).</summary>
    private static long Cumulative(long total, int c, int cols) => (long)Math.Round((double)total * c / cols);

    /// <summary>
    /// Marks the weights of columns [i1, i2) with the lowest OBS saliency: the block's share of <paramref name="total"/>
    /// over all rows, or each row's share when <paramref name="perRow"/>.
    /// </summary>
    private static void ChooseBlockMask(double[] w, double[] u, bool[] pruned, int rows, int cols, int i1, int i2, long total, bool perRow)
    {
        int width = i2 - i1;
        var invD2 = new double[width];
        for (int t = 0; t < width; t++)
        {
            double d = u[(long)(i1 + t) * cols + i1 + t];
            invD2[t] = 1 / (d * d);
        }
        double Score(int r, int t) { double v = w[(long)r * cols + i1 + t]; return v * v * invD2[t]; }
        if (perRow)
        {
            // Row r's share of the layer (cumulative rounding over rows), spread over its blocks the same way, so each
            // row meets its own target exactly and the rows sum to the layer's count.
            var idx = new int[width];
            var rowKeys = new double[width];
            for (int r = 0; r < rows; r++)
            {
                long share = Cumulative(total, r + 1, rows) - Cumulative(total, r, rows);
                long due = Cumulative(share, i2, cols) - Cumulative(share, i1, cols);
                if (due <= 0) continue;
                for (int t = 0; t < width; t++) { idx[t] = t; rowKeys[t] = Score(r, t); }
                Array.Sort(rowKeys, idx);
                for (int k = 0; k < due; k++) pruned[(long)r * cols + i1 + idx[k]] = true;
            }
            return;
        }
        long count = Cumulative(total, i2, cols) - Cumulative(total, i1, cols);
        if (count <= 0) return;
        int n = rows * width;
        var keys = new double[n];
        var ids = new int[n];
        for (int r = 0; r < rows; r++)
            for (int t = 0; t < width; t++) { keys[r * width + t] = Score(r, t); ids[r * width + t] = r * width + t; }
        Array.Sort(keys, ids);
        for (long k = 0; k < count; k++) pruned[(long)(ids[k] / width) * cols + i1 + ids[k] % width] = true;
    }

    /// <summary>Runs one block of columns for a chunk of rows.</summary>
    private sealed class RowWork : IParallelWork
    {
        public double[] W = [], U = [], Losses = [];
        public bool[] Pruned = [];
        public int Rows, Cols, I1, I2, Chunks;
        public NOfM? NOfM;

        public void Run(int index)
        {
            int r0 = (int)((long)Rows * index / Chunks), r1 = (int)((long)Rows * (index + 1) / Chunks);
            int cols = Cols;
            double loss = 0;
            Span<int> group = stackalloc int[NOfM?.M ?? 1];
            for (int r = r0; r < r1; r++)
            {
                var row = new Span<double>(W, r * cols, cols);
                for (int i = I1; i < I2; i++)
                {
                    if (NOfM is { } nm && i % nm.M == 0) ChooseGroup(row, r, i, nm, group);
                    if (!Pruned[(long)r * cols + i]) continue;
                    double d = U[(long)i * cols + i];
                    double e = row[i] / d;
                    row[i] = 0;
                    loss += e * e / 2;
                    if (e != 0) DoubleVectors.Axpy(row[(i + 1)..], -e, new ReadOnlySpan<double>(U, i * cols + i + 1, cols - i - 1));
                }
            }
            Losses[index] += loss;
        }

        /// <summary>Prunes the len - min(len, N) lowest-saliency weights of the group of M starting at column i of row r.</summary>
        private void ChooseGroup(Span<double> row, int r, int i, NOfM nm, Span<int> group)
        {
            int len = Math.Min(nm.M, Cols - i), prune = len - Math.Min(len, nm.N);
            for (int t = 0; t < len; t++) group[t] = i + t;
            var g = group[..len];
            // Insertion sort by saliency (groups are a handful of weights); earlier position first among equals.
            for (int a = 1; a < len; a++)
            {
                int x = g[a];
                double sx = Saliency(row, x);
                int b = a - 1;
                while (b >= 0 && Saliency(row, g[b]) > sx) { g[b + 1] = g[b]; b--; }
                g[b + 1] = x;
            }
            for (int t = 0; t < prune; t++) Pruned[(long)r * Cols + g[t]] = true;
        }

        private double Saliency(Span<double> row, int j)
        {
            double d = U[(long)j * Cols + j];
            return row[j] * row[j] / (d * d);
        }
    }
}
