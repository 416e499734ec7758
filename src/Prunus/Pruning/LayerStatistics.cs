namespace Prunus.Pruning;

/// <summary>
/// What calibration measured for one layer. Rows are the vectors the layer's weight matrix multiplies: an image's
/// features for Gemm, each position of each token for MatMul, each output position's im2col column for Conv.
/// Fields a criterion did not ask for are null.
/// </summary>
public sealed class LayerStatistics
{
    /// <summary>Calibration rows seen.</summary>
    public long Rows { get; set; }
    /// <summary>
    /// Per reduction column j: sum over rows of x_j^2 (length <see cref="PrunableLayer.Reduction"/>; for a grouped conv,
    /// per group concatenated, group g at g*R, since each group reads its own input channels).
    /// </summary>
    public double[]? InputSquaredSums { get; set; }
    /// <summary>Per weight (memory order): sum over calibration batches of (w * dL/dw)^2.</summary>
    public double[]? TaylorSums { get; set; }
    /// <summary>Calibration batches that contributed to <see cref="TaylorSums"/>.</summary>
    public int GradientBatches { get; set; }
    /// <summary>X^T X over rows, [Reduction, Reduction] row-major, per conv group concatenated (group g at g*R*R).</summary>
    public double[]? Hessian { get; set; }
}
