using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning.Structured;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Pruning.Sensitivity;

/// <summary>
/// Sensitivity of structured pruning, per channel group: each prunable dependency group in turn loses each fraction of
/// its channels (the lowest-scoring ones) while every other group stays whole, the smaller model is built and
/// evaluated on a validation split. A group's cost is the parameters and FLOPs its channels carry (what removing all
/// of them would remove, measured from the largest fraction analysed), so the same <see cref="SensitivityAllocation"/>
/// turns the report into per-group fractions, which structured pruning applies through
/// <see cref="ChannelPruningOptions.GroupAmounts"/> (keyed by the group's root producer).
/// </summary>
public static class ChannelSensitivity
{
    /// <summary>Analyses the prunable groups of <paramref name="graph"/> (which is not changed).</summary>
    public static SensitivityReport Run(ModelGraph graph, ImageDataset validation, IChannelImportance importance,
        IReadOnlyList<double>? fractions = null, IReadOnlyCollection<string>? ignore = null, WorkerPool? pool = null,
        Action<double, string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(importance);
        fractions ??= SensitivityAnalysis.DefaultSparsities;
        if (fractions.Count == 0 || fractions.Any(f => f is <= 0 or >= 1 || double.IsNaN(f)))
            throw new ArgumentException("channel fractions must lie in (0, 1)");
        var sorted = fractions.Distinct().Order().ToArray();
        var analysis = ChannelDependencies.Find(graph);
        var ignored = new HashSet<string>(ignore ?? [], StringComparer.Ordinal);
        var groups = analysis.Prunable.Where(g => !g.Producers.Any(ignored.Contains)).ToList();
        if (groups.Count == 0) throw new ArgumentException($"model '{graph.Name}' has no prunable channel group");
        double baseline = new Evaluator(graph, 1000, pool).Evaluate(validation).Accuracy;
        var result = new List<LayerSensitivity>();
        int done = 0, total = groups.Count * sorted.Length;
        foreach (var group in groups)
        {
            var points = new List<SensitivityPoint>();
            (long Params, long Flops) costAtLargest = (0, 0);
            double largest = 0;
            foreach (var f in sorted)
            {
                var options = new ChannelPruningOptions { Amount = 0, GroupAmounts = new Dictionary<string, double> { [group.Root] = f } };
                var selection = ChannelPruning.Select(analysis, importance, options);
                int removed = selection.Count(group.Id);
                var pruned = ChannelPruning.Apply(analysis, selection);
                points.Add(new SensitivityPoint((double)removed / group.Channels, new Evaluator(pruned.Graph, 1000, pool).Evaluate(validation).Accuracy));
                if (removed > 0 && (double)removed / group.Channels >= largest)
                {
                    largest = (double)removed / group.Channels;
                    costAtLargest = (pruned.Report.ParametersBefore - pruned.Report.ParametersAfter, pruned.Report.FlopsBefore - pruned.Report.FlopsAfter);
                }
                progress?.Invoke((double)++done / total, $"{group.Root} at {f:P0}");
            }
            // Rounding to whole channels may map two fractions to the same count: keep one point per fraction removed.
            var distinct = points.Where(p => p.Sparsity > 0).GroupBy(p => p.Sparsity).Select(g => g.First()).ToList();
            long paramsCost = largest > 0 ? (long)Math.Round(costAtLargest.Params / largest) : 0;
            long flopsCost = largest > 0 ? (long)Math.Round(costAtLargest.Flops / largest) : 0;
            result.Add(new LayerSensitivity(group.Root, $"group of {group.Channels} channels", paramsCost, flopsCost, distinct));
        }
        return new SensitivityReport(graph.Name, importance.Name, "channel", validation.Count, baseline, result);
    }
}
