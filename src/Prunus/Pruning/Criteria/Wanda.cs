namespace Prunus.Pruning.Criteria;

/// <summary>
/// Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for Large Language Models"): the score of weight
/// (i, j) is |W_ij| * ||X_j||, the weight's magnitude times the L2 norm over calibration rows of the input it multiplies,
/// an estimate of how much the weight contributes to the output. The paper compares weights within each output row;
/// prune with <see cref="PruningScope.Row"/> for that, or <see cref="PruningScope.Layer"/> to compare across the layer.
/// Scores of different layers are not on a common scale, so a global ranking is not meaningful.
/// </summary>
public sealed class Wanda : IImportance
{
    /// <summary>The criterion (it has no settings).</summary>
    public static Wanda Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "wanda";
    /// <inheritdoc/>
    public CalibrationNeeds Needs => CalibrationNeeds.InputNorms;

    /// <inheritdoc/>
    public float[] Score(PrunableLayer layer, LayerStatistics? statistics)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var sums = statistics?.InputSquaredSums
            ?? throw new ArgumentException($"wanda needs the input norms of layer '{layer.Name}' from calibration data");
        int r = layer.Reduction, perGroup = layer.Outputs / layer.Groups;
        if (sums.Length != r * layer.Groups)
            throw new ArgumentException($"layer '{layer.Name}' has {sums.Length} input norms, expected {r * layer.Groups} ({layer.Groups} group(s) of {r})");
        var norms = new double[sums.Length];
        for (int j = 0; j < norms.Length; j++) norms[j] = Math.Sqrt(sums[j]);
        var w = layer.Weight.Floats;
        var s = new float[w.Length];
        for (int row = 0; row < layer.Outputs; row++)
        {
            int offset = row / perGroup * r; // a grouped conv's row reads its own group's inputs
            for (int c = 0; c < r; c++)
            {
                int i = layer.Index(row, c);
                s[i] = (float)(Math.Abs(w[i]) * norms[offset + c]);
            }
        }
        return s;
    }
}
