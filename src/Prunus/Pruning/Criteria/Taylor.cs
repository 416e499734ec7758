namespace Prunus.Pruning.Criteria;

/// <summary>
/// First-order Taylor importance (Molchanov et al. 2019, "Importance Estimation for Neural Network Pruning"): the score
/// of a weight is its squared contribution to the loss change, (w * dL/dw)^2, averaged over calibration batches. The
/// squared form (rather than |w * dL/dw|) is kept so that a channel's or block's score, aggregated over its weights,
/// is a sum of per-weight squared contributions, on the same footing as the L2 magnitude; elementwise both rank alike.
/// </summary>
public sealed class Taylor : IImportance
{
    /// <summary>The criterion (it has no settings).</summary>
    public static Taylor Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "taylor";
    /// <inheritdoc/>
    public CalibrationNeeds Needs => CalibrationNeeds.Gradients;

    /// <inheritdoc/>
    public float[] Score(PrunableLayer layer, LayerStatistics? statistics)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var sums = statistics?.TaylorSums
            ?? throw new ArgumentException($"taylor needs the gradients of layer '{layer.Name}' from calibration data");
        if (sums.Length != layer.Size) throw new ArgumentException($"layer '{layer.Name}' has {sums.Length} Taylor sums for {layer.Size} weights");
        double scale = 1.0 / Math.Max(1, statistics.GradientBatches);
        var s = new float[sums.Length];
        for (int i = 0; i < s.Length; i++) s[i] = (float)(sums[i] * scale);
        return s;
    }
}
