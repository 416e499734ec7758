using Prunus.Graph;
using Prunus.Pruning.Criteria;

namespace Prunus.Pruning;

/// <summary>Scores layers with a criterion and applies the masks a target selects (unstructured, N:M, blocks).</summary>
public static class Pruner
{
    /// <summary>The criterion's scores for every layer, by weight name.</summary>
    public static Dictionary<string, float[]> Score(IReadOnlyList<PrunableLayer> layers, IImportance importance,
        IReadOnlyDictionary<string, LayerStatistics>? statistics = null)
    {
        ArgumentNullException.ThrowIfNull(importance);
        var scores = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            var stats = statistics?.GetValueOrDefault(layer.WeightName);
            if (importance.Needs != CalibrationNeeds.None && stats is null)
                throw new ArgumentException($"the {importance.Name} criterion needs calibration data for layer '{layer.Name}'");
            var s = importance.Score(layer, stats);
            if (s.Length != layer.Size) throw new InvalidOperationException($"{importance.Name} gave {s.Length} scores for the {layer.Size} weights of '{layer.Name}'");
            scores[layer.WeightName] = s;
        }
        return scores;
    }

    /// <summary>
    /// Scores, selects and applies masks to <paramref name="graph"/>'s weights (originals kept in the result until
    /// made permanent). Entries pruned in <paramref name="previous"/> stay pruned.
    /// </summary>
    public static PruningMasks Prune(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, IImportance importance, PruningTarget target,
        IReadOnlyDictionary<string, LayerStatistics>? statistics = null, PruningMasks? previous = null)
    {
        var masks = MaskSelection.Select(graph, layers, Score(layers, importance, statistics), target, previous);
        masks.Apply();
        return masks;
    }
}
