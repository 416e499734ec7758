using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Pruning.Criteria;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Pruning.Sensitivity;

/// <summary>
/// Accuracy against sparsity for each layer on its own: every layer is pruned in turn to each sparsity (with the
/// criterion and granularity given, per-layer scope) while all others stay intact, and the model is evaluated on a
/// validation split. Weights are restored after each point, so the graph ends as it started.
/// </summary>
public static class SensitivityAnalysis
{
    /// <summary>The sparsities analysed when none are given.</summary>
    public static IReadOnlyList<double> DefaultSparsities { get; } = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98];

    /// <summary>
    /// Analyses <paramref name="layers"/> of <paramref name="graph"/> on <paramref name="validation"/>;
    /// <paramref name="progress"/> gets (fraction done, what).
    /// </summary>
    public static SensitivityReport Run(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ImageDataset validation,
        IImportance importance, Granularity granularity, IReadOnlyList<double>? sparsities = null,
        IReadOnlyDictionary<string, LayerStatistics>? statistics = null, WorkerPool? pool = null, Action<double, string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(validation);
        sparsities ??= DefaultSparsities;
        if (sparsities.Count == 0 || sparsities.Any(s => s is <= 0 or >= 1 || double.IsNaN(s)))
            throw new ArgumentException("sensitivity sparsities must lie in (0, 1)");
        if (granularity.IsStructured) throw new ArgumentException("per-layer sensitivity of channel pruning is analysed by structured pruning's groups");
        var evaluator = new Evaluator(graph, 1000, pool);
        double baseline = evaluator.Evaluate(validation).Accuracy;
        var summary = ModelSummary.Of(graph);
        var scores = Pruner.Score(layers, importance, statistics);
        var result = new List<LayerSensitivity>();
        var sorted = sparsities.Distinct().Order().ToArray();
        int done = 0, total = layers.Count * sorted.Length;
        foreach (var layer in layers)
        {
            var points = new List<SensitivityPoint>();
            foreach (var s in sorted)
            {
                var target = new PruningTarget { Sparsity = s, Scope = PruningScope.Layer, Granularity = granularity };
                var masks = MaskSelection.Select(graph, [layer], scores, target);
                masks.Apply();
                points.Add(new SensitivityPoint(s, evaluator.Evaluate(validation).Accuracy));
                masks.Restore();
                progress?.Invoke((double)++done / total, $"{layer.Name} at {s:P0}");
            }
            long flops = summary.Layers.FirstOrDefault(l => l.Name == layer.Node.Name)?.Flops ?? 0;
            result.Add(new LayerSensitivity(layer.Name, layer.WeightName, layer.Size, flops, points));
        }
        return new SensitivityReport(graph.Name, importance.Name, granularity.ToString()!, validation.Count, baseline, result);
    }
}
