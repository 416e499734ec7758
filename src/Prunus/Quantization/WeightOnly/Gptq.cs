using Prunus.Pruning.Obs;
using Prunus.Threading;

namespace Prunus.Quantization.WeightOnly;

/// <summary>
/// GPTQ (Frantar et al. 2023, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers") on
/// one weight matrix W [rows, cols] against the second moment H = X^T X of its inputs: columns are quantized one at a
/// time, and each one's rounding error is spread over the columns not yet quantized through the upper Cholesky factor
/// U of H^-1 (w_k -= (w_j - q_j) / U_jj · U_jk), so that X W^T stays close to its float value where round-to-nearest
/// would let the errors add up. Group scales are set when the loop reaches a group's first column, from the group's
/// values at that point (already compensating earlier errors). With act-order the columns are visited by decreasing
/// H_jj (the inputs with the most energy first), while groups stay runs of consecutive columns, as the file format
/// needs. Rows are independent given U and run in parallel.
/// </summary>
public static class Gptq
{
    /// <summary>
    /// Quantizes <paramref name="weights"/> (row-major [rows, cols]; not changed) given its inputs' second moment
    /// <paramref name="hessian"/> [cols, cols] (X^T X at any positive scale), in groups of <paramref name="groupSize"/>
    /// columns. Returns the quantized matrix and the GPTQ estimate of the added output error, sum over entries of
    /// ((w - q) / U_jj)^2 / 2 in the units of the damped H.
    /// </summary>
    public static (GroupQuantizedMatrix Matrix, double Error) QuantizeMatrix(ReadOnlySpan<float> weights, int rows, int cols, ReadOnlySpan<double> hessian,
        int groupSize, QuantizationSpec spec, double dampening = 0.01, bool actOrder = false, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (rows < 0 || cols < 0 || weights.Length != (long)rows * cols) throw new ArgumentException($"weights must hold {rows} x {cols} values, got {weights.Length}");
        if (hessian.Length != (long)cols * cols) throw new ArgumentException($"the Hessian must hold {cols} x {cols} values, got {hessian.Length}");
        if (dampening < 0 || !double.IsFinite(dampening)) throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "dampening must be a finite non-negative fraction");
        var matrix = new GroupQuantizedMatrix(rows, cols, groupSize, spec);
        if (rows == 0 || cols == 0) return (matrix, 0);

        int[]? order = null;
        if (actOrder)
        {
            var diag = new double[cols];
            for (int j = 0; j < cols; j++) diag[j] = hessian[j * cols + j];
            // Decreasing H_jj; ties keep column order, so the visit is deterministic.
            order = Enumerable.Range(0, cols).OrderByDescending(j => diag[j]).ThenBy(j => j).ToArray();
        }
        // Dead inputs (zero on every calibration row) decouple from the rest in H, so their weights are simply rounded.
        var (u, _, _) = HessianInverse.Factor(hessian, cols, dampening, order);
        var work = new RowWork(weights.ToArray(), u, matrix, order ?? Enumerable.Range(0, cols).ToArray(), Math.Min(rows, Math.Max(1, (pool ?? WorkerPool.Default).Threads * 4)));
        (pool ?? WorkerPool.Default).For(work.Chunks, work);
        return (matrix, work.Losses.Sum());
    }

    /// <summary>The column loop for a chunk of rows.</summary>
    private sealed class RowWork(float[] weights, double[] u, GroupQuantizedMatrix matrix, int[] order, int chunks) : IParallelWork
    {
        public int Chunks { get; } = chunks;
        public double[] Losses { get; } = new double[chunks];

        public void Run(int index)
        {
            int rows = matrix.Rows, cols = matrix.Columns;
            int r0 = (int)((long)rows * index / Chunks), r1 = (int)((long)rows * (index + 1) / Chunks);
            var position = new int[cols]; // column -> its place in the visit order
            for (int t = 0; t < cols; t++) position[order[t]] = t;
            var row = new double[cols];   // in visit order
            var started = new bool[matrix.Groups];
            var group = new double[matrix.GroupSize];
            double loss = 0;
            for (int r = r0; r < r1; r++)
            {
                for (int t = 0; t < cols; t++) row[t] = weights[(long)r * cols + order[t]];
                Array.Clear(started);
                for (int t = 0; t < cols; t++)
                {
                    int j = order[t], g = matrix.GroupOf(j);
                    if (!started[g])
                    {
                        var (start, length) = matrix.GroupColumns(g);
                        for (int i = 0; i < length; i++) group[i] = row[position[start + i]];
                        matrix.SetGroupRange(r, g, group.AsSpan(0, length));
                        started[g] = true;
                    }
                    double w = row[t];
                    double e = (w - matrix.Round(r, j, w)) / u[(long)t * cols + t];
                    loss += e * e / 2;
                    if (e != 0 && t + 1 < cols)
                        Pruning.DoubleVectors.Axpy(row.AsSpan(t + 1), -e, new ReadOnlySpan<double>(u, t * cols + t + 1, cols - t - 1));
                }
            }
            Losses[index] = loss;
        }
    }
}
