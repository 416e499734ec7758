namespace Prunus.Tests.Quantization;

/// <summary>
/// Named error budgets of the quantization tests, each in the unit it names, so that a loosened bound is a visible
/// change of one line rather than a number edited inside a test.
/// </summary>
internal static class QuantizationBudgets
{
    /// <summary>Round-trip error of a value inside the range: half a quantization step (in steps).</summary>
    public const double RoundTripSteps = 0.5;

    /// <summary>
    /// Prunus's QDQ model against ONNX Runtime's execution of the same file (in steps of the output's scale):
    /// ONNX Runtime runs integer kernels that requantize once per layer, Prunus dequantizes and computes in float,
    /// so an output may land one step apart.
    /// </summary>
    public const double OnnxRuntimeSteps = 1.0;

    /// <summary>Outputs of an int8 static QDQ model of a small net against its float outputs (relative to max |float|).</summary>
    public const double StaticOutputRelative = 0.05;

    /// <summary>Outputs of a dynamically quantized Gemm/MatMul model against float (relative to max |float|).</summary>
    public const double DynamicOutputRelative = 0.03;

    /// <summary>Accuracy points a quickly trained tiny model may lose to static int8 quantization.</summary>
    public const double StaticAccuracyPoints = 1.0;

    /// <summary>Relative error of a histogram-based quantile or threshold against the exact one on known distributions.</summary>
    public const double HistogramRelative = 0.02;
}
