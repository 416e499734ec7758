using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning.Criteria;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Pruning.Obs;

/// <summary>Settings of <see cref="SparseGpt"/>.</summary>
public sealed record SparseGptOptions
{
    /// <summary>Calibration images, batches, threads and the Hessian size limit.</summary>
    public CalibrationOptions Calibration { get; init; } = new();
    /// <summary>Added to H's diagonal as a fraction of its mean diagonal (the paper's 1%), for a stable inverse.</summary>
    public double Dampening { get; init; } = 0.01;
    /// <summary>Columns per block: the mask of a block is chosen when the loop reaches it (adaptive mask selection).</summary>
    public int BlockSize { get; init; } = 128;
    /// <summary>
    /// True (the paper's procedure): each layer's X^T X is measured on the model whose earlier layers are already
    /// pruned and reconstructed. False: every X^T X comes from the dense model in one pass (faster, less accurate).
    /// </summary>
    public bool Sequential { get; init; } = true;

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Calibration);
        Calibration.Validate();
        if (Dampening < 0 || !double.IsFinite(Dampening)) throw new ArgumentOutOfRangeException(nameof(Dampening), Dampening, "dampening must be a finite non-negative fraction");
        if (BlockSize < 1) throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, "the block size must be at least 1");
    }
}

/// <summary>
/// One-shot pruning with reconstruction in the manner of SparseGPT (Frantar and Alistarh 2023, "SparseGPT: Massive
/// Language Models Can Be Accurately Pruned in One-Shot"): layer by layer, in graph order, the mask and new values of
/// the kept weights are chosen together by the optimal brain surgeon's rule on the layer's input second moment
/// H = X^T X / rows + damp * mean(diag) * I, so that the layer's outputs on calibration data stay close to the dense
/// ones. Unstructured (per-layer, row-balanced or globally allocated sparsity) and N:M.
/// </summary>
/// <remarks>
/// Scope: <see cref="PruningScope.Layer"/> prunes each layer to the target; <see cref="PruningScope.Row"/> also makes
/// every row meet it within every block; <see cref="PruningScope.Global"/> takes each layer's sparsity from a global
/// magnitude ranking (OBS saliencies of different layers are measured in different units), honouring
/// <see cref="PruningTarget.MinDensity"/>. Explicit <see cref="PruningTarget.LayerSparsity"/> ratios always win.
/// A grouped Conv is reconstructed group by group, each against its own inputs' X^T X.
/// </remarks>
public static class SparseGpt
{
    /// <summary>
    /// Prunes <paramref name="layers"/> of <paramref name="graph"/> to <paramref name="target"/>, writing the
    /// reconstructed weights into the graph, and returns the masks, already applied (their <see cref="PruningMasks.Restore"/>
    /// puts the dense weights back). <paramref name="progress"/> receives each finished layer's name and the fraction
    /// of layers done.
    /// </summary>
    public static PruningMasks Prune(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ImageDataset calibration, PruningTarget target,
        SparseGptOptions? options = null, Action<string, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(target);
        options ??= new SparseGptOptions();
        options.Validate();
        target.Validate();
        if (target.Granularity is not (UnstructuredGranularity or NOfM))
            throw new ArgumentException($"SparseGPT prunes single weights or N:M groups, not {target.Granularity}");
        if (layers.Count == 0) throw new ArgumentException("the model has no prunable layers (Conv, Gemm or MatMul with a constant float weight)");
        if (calibration.Count == 0) throw new DataException($"{calibration.Source}: the calibration set is empty");

        var counts = PruneCounts(graph, layers, target);
        var pool = options.Calibration.Pool ?? WorkerPool.Default;
        var order = Calibration.SelectImages(calibration, options.Calibration);
        var runner = new ActivationRunner(graph, layers, calibration, order, options.Calibration);
        var all = options.Sequential ? null : runner.Collect(layers, squares: false, hessian: true);
        var masks = new PruningMasks(graph);
        for (int l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            var stats = all?[layer.WeightName] ?? runner.Collect([layer], squares: false, hessian: true)[layer.WeightName];
            var (weights, keep) = PruneLayer(layer, stats.Hessian!, counts[l], target.Granularity as NOfM, target.Scope == PruningScope.Row, options, pool);
            masks.Set(layer.WeightName, keep);
            masks.Apply(); // saves the dense weights (for Restore) the first time, then zeroes the pruned ones
            layer.Weight.CopyFrom(weights);
            progress?.Invoke(layer.Name, (l + 1.0) / layers.Count);
        }
        return masks;
    }

    /// <summary>
    /// Prunes one weight matrix <paramref name="weights"/> [rows, cols] (row-major, updated in place) given its inputs'
    /// second moment <paramref name="hessian"/> [cols, cols] (X^T X at any positive scale): <paramref name="pruneCount"/>
    /// weights, or N:M along each row when <paramref name="nOfM"/> is given. Returns the keep mask (row-major, true =
    /// kept) and the OBS estimate of the squared output error added, sum over pruned weights of w^2 / (2 [H^-1]_jj)
    /// in the units of the (damped) H.
    /// </summary>
    public static (bool[] Keep, double Error) PruneMatrix(double[] weights, int rows, int cols, double[] hessian, long pruneCount, NOfM? nOfM = null,
        bool rowBalanced = false, double dampening = 0.01, int blockSize = 128, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(hessian);
        if (rows < 0 || cols < 0 || weights.Length != (long)rows * cols) throw new ArgumentException($"weights must hold {rows} x {cols} values, got {weights.Length}");
        if (hessian.Length != (long)cols * cols) throw new ArgumentException($"the Hessian must hold {cols} x {cols} values, got {hessian.Length}");
        if (pruneCount < 0 || pruneCount > weights.Length) throw new ArgumentOutOfRangeException(nameof(pruneCount), pruneCount, $"must lie in [0, {weights.Length}]");
        var (pruned, loss, _) = ObsSolver.Prune(weights, rows, cols, hessian, new MatrixTarget(pruneCount, nOfM, rowBalanced), dampening, blockSize, pool ?? WorkerPool.Default);
        var keep = new bool[pruned.Length];
        for (int i = 0; i < keep.Length; i++) keep[i] = !pruned[i];
        return (keep, loss);
    }

    /// <summary>Weights to prune per layer (unused under N:M, whose pattern fixes it).</summary>
    private static long[] PruneCounts(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, PruningTarget target)
    {
        var counts = new long[layers.Count];
        if (target.Granularity is NOfM) return counts;
        if (target.Scope != PruningScope.Global)
        {
            for (int l = 0; l < layers.Count; l++)
                counts[l] = (long)Math.Round((target.ExplicitSparsity(layers[l]) ?? target.Sparsity) * layers[l].Size);
            return counts;
        }
        // Global: the per-layer counts of a global magnitude ranking (explicit ratios and the density floor included).
        var scores = layers.ToDictionary(l => l.WeightName, l => Magnitude.L1.Score(l, null), StringComparer.Ordinal);
        var masks = MaskSelection.Select(graph, layers, scores, target with { Granularity = Granularity.Unstructured });
        for (int l = 0; l < layers.Count; l++)
        {
            long zeros = 0;
            foreach (var v in masks.Masks[layers[l].WeightName].Floats) if (v == 0) zeros++;
            counts[l] = zeros;
        }
        return counts;
    }

    /// <summary>Reconstructs one layer (group by group for a grouped conv); returns its new weights and keep mask.</summary>
    private static (Tensor Weights, Tensor Keep) PruneLayer(PrunableLayer layer, double[] hessian, long count, NOfM? nm, bool rowBalanced,
        SparseGptOptions options, WorkerPool pool)
    {
        int groups = layer.Groups, r = layer.Reduction, perGroup = layer.Outputs / groups;
        var src = layer.Weight.Floats;
        var weights = new float[layer.Size];
        var keep = new float[layer.Size];
        var w = new double[(long)perGroup * r];
        for (int g = 0; g < groups; g++)
        {
            for (int i = 0; i < perGroup; i++)
                for (int c = 0; c < r; c++) w[i * r + c] = src[layer.Index(g * perGroup + i, c)];
            long groupCount = (long)Math.Round((double)count * (g + 1) / groups) - (long)Math.Round((double)count * g / groups);
            var (pruned, _, _) = ObsSolver.Prune(w, perGroup, r, hessian.AsSpan(g * r * r, r * r), new MatrixTarget(groupCount, nm, rowBalanced),
                options.Dampening, options.BlockSize, pool);
            for (int i = 0; i < perGroup; i++)
                for (int c = 0; c < r; c++)
                {
                    int at = layer.Index(g * perGroup + i, c);
                    bool p = pruned[i * r + c];
                    weights[at] = p ? 0 : (float)w[i * r + c];
                    keep[at] = p ? 0 : 1;
                }
        }
        return (Tensor.From(weights, layer.Weight.Shape), Tensor.From(keep, layer.Weight.Shape));
    }
}
