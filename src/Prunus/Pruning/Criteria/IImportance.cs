namespace Prunus.Pruning.Criteria;

/// <summary>What a criterion needs measured on calibration data before it can score a layer.</summary>
[Flags]
public enum CalibrationNeeds
{
    /// <summary>Nothing: the weights alone decide.</summary>
    None = 0,
    /// <summary>Per reduction column, the sum over calibration rows of the squared input (Wanda's activation norms).</summary>
    InputNorms = 1,
    /// <summary>Per weight, accumulated products of weight and loss gradient (first-order Taylor).</summary>
    Gradients = 2,
    /// <summary>The layer's input second moment X^T X over calibration rows (OBS / SparseGPT).</summary>
    Hessian = 4,
}

/// <summary>
/// An importance criterion: a score for every weight of a layer, higher meaning more important. A pruner removes the
/// lowest scores; structured pruning aggregates the scores of a channel's weights (or, for criteria defined on whole
/// channels such as FPGM, scores channels directly).
/// </summary>
public interface IImportance
{
    /// <summary>Short name as the CLI spells it (magnitude, random, taylor, wanda, ...).</summary>
    string Name { get; }
    /// <summary>What must be collected from data first.</summary>
    CalibrationNeeds Needs { get; }
    /// <summary>One score per entry of <paramref name="layer"/>'s weight, in the weight's memory order.</summary>
    float[] Score(PrunableLayer layer, LayerStatistics? statistics);
}
