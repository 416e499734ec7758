using System.Text.Json.Nodes;

namespace Prunus.Pruning.Sensitivity;

/// <summary>Per-layer sparsities chosen to meet a global target, and the accuracy loss the analysis predicts for them.</summary>
/// <param name="Measure">What the target counts.</param>
/// <param name="Target">Fraction of the analysed layers' parameters (or FLOPs) to remove.</param>
/// <param name="Sparsity">Sparsity per layer (node name).</param>
/// <param name="PredictedLoss">Sum over layers of each layer's own accuracy loss at its sparsity (an estimate: losses are not exactly additive).</param>
public sealed record Allocation(TargetMeasure Measure, double Target, IReadOnlyDictionary<string, double> Sparsity, double PredictedLoss)
{
    /// <summary>The allocation as JSON.</summary>
    public JsonObject ToJson() => new()
    {
        ["measure"] = Measure == TargetMeasure.Flops ? "flops" : "params",
        ["target"] = Target,
        ["predicted_loss"] = PredictedLoss,
        ["sparsity"] = new JsonObject(Sparsity.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))),
    };
}

/// <summary>
/// Chooses per-layer sparsities that remove a given fraction of parameters or FLOPs with the least predicted accuracy
/// loss. Each layer's loss curve is made non-decreasing (the worst loss at or below each sparsity) and interpolated
/// linearly between analysed points; a greedy search then repeatedly raises the layer whose next analysed sparsity
/// costs the least predicted loss per removed parameter (or FLOP), and the last step is cut short to land on the
/// target exactly. Greedy on marginal cost is optimal when each curve is convex, and a sound heuristic otherwise.
/// </summary>
public static class SensitivityAllocation
{
    /// <summary>The allocation for removing <paramref name="target"/> of the analysed layers' <paramref name="measure"/>.</summary>
    public static Allocation Allocate(SensitivityReport report, double target, TargetMeasure measure)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (target is < 0 or >= 1 || double.IsNaN(target)) throw new ArgumentOutOfRangeException(nameof(target), target, "the target must lie in [0, 1)");
        if (report.Layers.Count == 0) throw new ArgumentException("the sensitivity report has no layers");
        int n = report.Layers.Count;
        var levels = new List<(double S, double Loss)>[n];
        var cost = new double[n];
        for (int l = 0; l < n; l++)
        {
            var layer = report.Layers[l];
            cost[l] = measure == TargetMeasure.Flops ? layer.Flops : layer.Params;
            var list = new List<(double, double)> { (0, 0) };
            double worst = 0;
            foreach (var p in layer.Points.Where(p => p.Sparsity > 0).OrderBy(p => p.Sparsity))
            {
                worst = Math.Max(worst, report.BaselineAccuracy - p.Accuracy);
                list.Add((p.Sparsity, worst));
            }
            levels[l] = list;
        }
        double total = cost.Sum(), need = target * total, removed = 0;
        var level = new int[n];
        var sparsity = new double[n];
        while (removed < need - 1e-9 * total)
        {
            int best = -1;
            double bestRate = double.PositiveInfinity;
            for (int l = 0; l < n; l++)
            {
                if (level[l] + 1 >= levels[l].Count || cost[l] == 0) continue;
                var (s0, loss0) = levels[l][level[l]];
                var (s1, loss1) = levels[l][level[l] + 1];
                double rate = (loss1 - loss0) / ((s1 - s0) * cost[l]);
                if (rate < bestRate) { bestRate = rate; best = l; }
            }
            if (best < 0)
                throw new ArgumentException($"the target removes {target:P0} of the {(measure == TargetMeasure.Flops ? "FLOPs" : "parameters")}, more than every layer at " +
                    "its highest analysed sparsity removes; analyse higher sparsities");
            var (a, _) = levels[best][level[best]];
            var (b, _) = levels[best][level[best] + 1];
            double step = (b - a) * cost[best];
            if (removed + step >= need)
            {
                sparsity[best] = a + (need - removed) / cost[best];
                removed = need;
                break;
            }
            level[best]++;
            sparsity[best] = b;
            removed += step;
        }
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        double predicted = 0;
        for (int l = 0; l < n; l++)
        {
            result[report.Layers[l].Layer] = sparsity[l];
            predicted += LossAt(levels[l], sparsity[l]);
        }
        return new Allocation(measure, target, result, predicted);
    }

    private static double LossAt(List<(double S, double Loss)> curve, double s)
    {
        for (int i = 1; i < curve.Count; i++)
            if (s <= curve[i].S)
            {
                var (s0, l0) = curve[i - 1];
                var (s1, l1) = curve[i];
                return s1 == s0 ? l1 : l0 + (l1 - l0) * (s - s0) / (s1 - s0);
            }
        return curve[^1].Loss;
    }
}
