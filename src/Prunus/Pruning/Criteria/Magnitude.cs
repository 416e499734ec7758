namespace Prunus.Pruning.Criteria;

/// <summary>
/// Magnitude: |w| (L1) or w^2 (L2). Elementwise both rank the same; they differ once aggregated over a channel or
/// block (sum of |w| vs. sum of squares).
/// </summary>
public sealed class Magnitude(bool squared = false) : IImportance
{
    /// <summary>L1 magnitude (|w|).</summary>
    public static Magnitude L1 { get; } = new();
    /// <summary>L2 magnitude (w^2).</summary>
    public static Magnitude L2 { get; } = new(squared: true);

    /// <inheritdoc/>
    public string Name => squared ? "magnitude-l2" : "magnitude";
    /// <inheritdoc/>
    public CalibrationNeeds Needs => CalibrationNeeds.None;

    /// <inheritdoc/>
    public float[] Score(PrunableLayer layer, LayerStatistics? statistics)
    {
        var w = layer.Weight.Floats;
        var s = new float[w.Length];
        for (int i = 0; i < w.Length; i++) s[i] = squared ? w[i] * w[i] : Math.Abs(w[i]);
        return s;
    }
}
