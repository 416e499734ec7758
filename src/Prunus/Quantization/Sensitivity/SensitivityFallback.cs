namespace Prunus.Quantization.Sensitivity;

/// <summary>What the fallback measured and decided.</summary>
/// <param name="Quantized">Names of the layers left quantized.</param>
/// <param name="SoloLoss">Accuracy points lost with each layer quantized alone (measured only when the full model missed the budget).</param>
/// <param name="Baseline">Float accuracy on the validation data.</param>
/// <param name="FullAccuracy">Accuracy with every layer quantized.</param>
/// <param name="Accuracy">Accuracy of the final choice.</param>
/// <param name="Steps">Layers moved back to float, in order, with the accuracy after each.</param>
public sealed record FallbackResult(IReadOnlySet<string> Quantized, IReadOnlyDictionary<string, double> SoloLoss, double Baseline,
    double FullAccuracy, double Accuracy, IReadOnlyList<(string Layer, double Accuracy)> Steps)
{
    /// <summary>Accuracy points lost by the final choice.</summary>
    public double Loss => (Baseline - Accuracy) * 100;
}

/// <summary>
/// Keeps the layers most sensitive to quantization in float until the measured accuracy loss fits a budget: if the
/// fully quantized model loses more than the budget, each layer is quantized alone and measured, then layers return
/// to float from the most sensitive down, the whole model measured after each, until the loss is within budget.
/// </summary>
public static class SensitivityFallback
{
    /// <summary>
    /// Runs the search over <paramref name="layers"/> (names); <paramref name="accuracyOf"/> builds and evaluates the
    /// model with the given layers quantized. <paramref name="maxLoss"/> is in accuracy points (percent).
    /// </summary>
    public static FallbackResult Run(IReadOnlyList<string> layers, Func<IReadOnlyCollection<string>, double> accuracyOf, double baseline,
        double maxLoss, Action<double, string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(accuracyOf);
        if (!(maxLoss >= 0)) throw new ArgumentOutOfRangeException(nameof(maxLoss), maxLoss, "the loss budget must be at least 0 points");
        bool Within(double accuracy) => (baseline - accuracy) * 100 <= maxLoss + 1e-9;
        var all = layers.ToList();
        double full = accuracyOf(all);
        var steps = new List<(string, double)>();
        var solo = new Dictionary<string, double>(StringComparer.Ordinal);
        if (Within(full)) return new FallbackResult(all.ToHashSet(StringComparer.Ordinal), solo, baseline, full, full, steps);
        int done = 0, total = all.Count * 2;
        foreach (var l in all)
        {
            solo[l] = (baseline - accuracyOf([l])) * 100;
            progress?.Invoke((double)++done / total, $"{l} alone: {solo[l]:+0.00;-0.00} pt");
        }
        var kept = all.ToList();
        double accuracy = full;
        // Most sensitive first; ties in graph order.
        foreach (var l in all.OrderByDescending(l => solo[l]).ThenBy(all.IndexOf))
        {
            kept.Remove(l);
            accuracy = kept.Count == 0 ? baseline : accuracyOf(kept);
            steps.Add((l, accuracy));
            progress?.Invoke((double)++done / total, $"{l} kept in float: {(baseline - accuracy) * 100:F2} pt lost");
            if (Within(accuracy)) break;
        }
        return new FallbackResult(kept.ToHashSet(StringComparer.Ordinal), solo, baseline, full, accuracy, steps);
    }
}
