using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning;

/// <summary>
/// Turns importance scores into masks under a <see cref="PruningTarget"/> (unstructured, N:M and block granularity;
/// channels go through structured pruning). Ranking is deterministic: equal scores are broken by layer order, then by
/// position. Exactly round(sparsity x size) weights are pruned per layer (layer and row scope) or over the pooled layers
/// (global scope); with blocks, whole blocks are pruned until that count is reached. Row scope spreads a layer's count
/// over its rows (each row prunes round(sparsity x its length), give or take the one weight rounding needs).
/// </summary>
public static class MaskSelection
{
    /// <summary>
    /// Masks for <paramref name="layers"/> from <paramref name="scores"/> (one per weight, by weight name). Entries
    /// already zero in <paramref name="previous"/> rank below everything, so that schedules that prune in steps never
    /// revive a weight.
    /// </summary>
    public static PruningMasks Select(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, IReadOnlyDictionary<string, float[]> scores,
        PruningTarget target, PruningMasks? previous = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(target);
        target.Validate();
        if (target.Granularity.IsStructured)
            throw new ArgumentException("channel granularity is structured pruning: use ChannelPruning, not masks");
        if (layers.Count == 0) throw new ArgumentException("the model has no prunable layers (Conv, Gemm or MatMul with a constant float weight)");
        if (target.Scope == PruningScope.Row && target.Granularity is Block { Rows: > 1 } rb)
            throw new ArgumentException($"row scope compares weights within one output row, so blocks must be one row high (1xC), got {rb.Rows}x{rb.Cols}");
        var masks = new PruningMasks(graph);
        var units = new List<Units>(layers.Count);
        foreach (var layer in layers)
        {
            if (!scores.TryGetValue(layer.WeightName, out var s) || s.Length != layer.Size)
                throw new ArgumentException($"no score (or a score of the wrong length) for layer '{layer.Name}'");
            var effective = (float[])s.Clone();
            if (previous?.Masks.GetValueOrDefault(layer.WeightName) is { } old)
            {
                var m = old.Floats;
                for (int i = 0; i < effective.Length; i++) if (m[i] == 0) effective[i] = float.NegativeInfinity;
            }
            if (target.Granularity is NOfM nm)
            {
                masks.Set(layer.WeightName, NOfMMask(layer, effective, nm));
                continue;
            }
            units.Add(Units.For(layer, effective, target.Granularity));
        }
        if (target.Granularity is NOfM) return masks;

        var pooled = new List<Units>();
        foreach (var u in units)
        {
            var explicitSparsity = target.ExplicitSparsity(u.Layer);
            if (target.Scope == PruningScope.Row)
                PruneRows(u, (long)Math.Round((explicitSparsity ?? target.Sparsity) * u.Layer.Size));
            else if (explicitSparsity is { } e || target.Scope == PruningScope.Layer)
                Prune([u], Math.Round((explicitSparsity ?? target.Sparsity) * u.Layer.Size), 0, [1]);
            else pooled.Add(u);
        }
        if (pooled.Count > 0)
            Prune(pooled, target.Sparsity * pooled.Sum(u => u.Layer.Size * target.CostPerWeight(u.Layer)), target.MinDensity,
                pooled.Select(u => target.CostPerWeight(u.Layer)).ToArray());
        foreach (var u in units) masks.Set(u.Layer.WeightName, u.Mask());
        return masks;
    }

    /// <summary>
    /// Prunes the lowest-scoring units of <paramref name="pool"/> until the pruned weights, each weighted by its layer's
    /// <paramref name="cost"/>, reach <paramref name="amount"/>.
    /// </summary>
    private static void Prune(List<Units> pool, double amount, double minDensity, double[] cost)
    {
        if (amount <= 0) return;
        int total = pool.Sum(u => u.Scores.Length);
        var layerOf = new int[total];
        var unitOf = new int[total];
        var keys = new float[total];
        int k = 0;
        for (int l = 0; l < pool.Count; l++)
            for (int i = 0; i < pool[l].Scores.Length; i++, k++) { layerOf[k] = l; unitOf[k] = i; keys[k] = pool[l].Scores[i]; }
        var order = new int[total];
        for (int i = 0; i < total; i++) order[i] = i;
        // Position in the pool breaks ties, so equal scores prune in layer order and then position order.
        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var cap = pool.Select(u => (long)Math.Floor((1 - minDensity) * u.Layer.Size + 1e-9)).ToArray();
        double pruned = 0;
        foreach (var o in order)
        {
            // A unit that would overshoot by more than it fills is skipped (a cheaper one later may fit).
            if (pruned >= amount) break;
            var u = pool[layerOf[o]];
            int size = u.Size(unitOf[o]);
            if (u.PrunedWeights + size > cap[layerOf[o]]) continue;
            double add = size * cost[layerOf[o]];
            if (pruned + add - amount > amount - pruned) continue;
            u.Prune(unitOf[o]);
            pruned += add;
        }
    }

    /// <summary>Prunes <paramref name="count"/> weights of one layer, spread evenly over its rows, lowest scores first within each row.</summary>
    private static void PruneRows(Units u, long count)
    {
        var layer = u.Layer;
        int rows = layer.Outputs;
        var unitsOfRow = new int[u.BlocksPerRow == 0 ? layer.Reduction : u.BlocksPerRow];
        for (int r = 0; r < rows && count > 0; r++)
        {
            // Cumulative rounding: rows end with exactly `count` pruned (blocks may overshoot by less than a block).
            long due = (long)Math.Round((double)count * (r + 1) / rows) - u.PrunedWeights;
            if (due <= 0) continue;
            for (int c = 0; c < unitsOfRow.Length; c++) unitsOfRow[c] = u.BlocksPerRow == 0 ? layer.Index(r, c) : r * u.BlocksPerRow + c;
            var scores = u.Scores;
            Array.Sort(unitsOfRow, (a, b) => scores[a] != scores[b] ? scores[a].CompareTo(scores[b]) : a.CompareTo(b));
            long pruned = 0;
            foreach (var unit in unitsOfRow)
            {
                if (pruned >= due) break;
                u.Prune(unit);
                pruned += u.Size(unit);
            }
        }
    }

    private static Tensor NOfMMask(PrunableLayer layer, float[] scores, NOfM nm)
    {
        var mask = new float[layer.Size];
        var idx = new int[nm.M];
        for (int r = 0; r < layer.Outputs; r++)
            for (int c0 = 0; c0 < layer.Reduction; c0 += nm.M)
            {
                int len = Math.Min(nm.M, layer.Reduction - c0);
                for (int j = 0; j < len; j++) idx[j] = layer.Index(r, c0 + j);
                // Keep the N highest of the group (earlier position first among equals).
                var group = idx.AsSpan(0, len).ToArray();
                Array.Sort(group, (a, b) => scores[a] != scores[b] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
                for (int j = 0; j < Math.Min(nm.N, len); j++) mask[group[j]] = 1;
            }
        return Tensor.From(mask, layer.Weight.Shape);
    }

    /// <summary>A layer cut into pruning units (single weights or blocks), with their scores and what is pruned so far.</summary>
    private sealed class Units
    {
        public required PrunableLayer Layer { get; init; }
        public required float[] Scores { get; init; }
        public int BlockRows { get; init; } = 1;
        public int BlockCols { get; init; } = 1;
        public int BlocksPerRow { get; init; }
        public bool[] Pruned { get; private set; } = [];
        public long PrunedWeights { get; private set; }

        public static Units For(PrunableLayer layer, float[] scores, Granularity granularity)
        {
            if (granularity is not Block b) return new Units { Layer = layer, Scores = scores, Pruned = new bool[scores.Length] };
            int br = (layer.Outputs + b.Rows - 1) / b.Rows, bc = (layer.Reduction + b.Cols - 1) / b.Cols;
            var blockScores = new float[br * bc];
            for (int i = 0; i < br; i++)
                for (int j = 0; j < bc; j++)
                {
                    double sum = 0;
                    int n = 0;
                    for (int r = i * b.Rows; r < Math.Min(layer.Outputs, (i + 1) * b.Rows); r++)
                        for (int c = j * b.Cols; c < Math.Min(layer.Reduction, (j + 1) * b.Cols); c++, n++)
                            sum += scores[layer.Index(r, c)];
                    blockScores[i * bc + j] = (float)(sum / n);
                }
            return new Units { Layer = layer, Scores = blockScores, BlockRows = b.Rows, BlockCols = b.Cols, BlocksPerRow = bc, Pruned = new bool[blockScores.Length] };
        }

        public int Size(int unit)
        {
            if (BlocksPerRow == 0) return 1;
            int i = unit / BlocksPerRow, j = unit % BlocksPerRow;
            return (Math.Min(Layer.Outputs, (i + 1) * BlockRows) - i * BlockRows) * (Math.Min(Layer.Reduction, (j + 1) * BlockCols) - j * BlockCols);
        }

        public void Prune(int unit)
        {
            Pruned[unit] = true;
            PrunedWeights += Size(unit);
        }

        public Tensor Mask()
        {
            var mask = new float[Layer.Size];
            if (BlocksPerRow == 0)
            {
                for (int i = 0; i < mask.Length; i++) mask[i] = Pruned[i] ? 0 : 1;
                return Tensor.From(mask, Layer.Weight.Shape);
            }
            for (int r = 0; r < Layer.Outputs; r++)
                for (int c = 0; c < Layer.Reduction; c++)
                    mask[Layer.Index(r, c)] = Pruned[r / BlockRows * BlocksPerRow + c / BlockCols] ? 0 : 1;
            return Tensor.From(mask, Layer.Weight.Shape);
        }
    }
}
