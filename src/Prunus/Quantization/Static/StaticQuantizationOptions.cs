using Prunus.Pruning;
using Prunus.Quantization.Observers;

namespace Prunus.Quantization.Static;

/// <summary>
/// What static (post-training, calibrated) quantization does. The defaults are ONNX Runtime's QDQ defaults with
/// 7-bit weights (its reduce_range) and bias correction: on x86 CPUs without VNNI, ONNX Runtime's uint8 x int8 kernels
/// add pairs of products in int16 and saturate on full-range weights (LeNet-5 measured here: 0.41 points lost in ONNX
/// Runtime against 0.13 in exact arithmetic); with 7-bit weights every engine computes the exact sums, and the
/// accuracy of the models measured did not change.
/// </summary>
public sealed record StaticQuantizationOptions
{
    /// <summary>Activations: uint8 asymmetric per tensor by default (activations are always per tensor).</summary>
    public QuantizationSpec Activations { get; init; } = QuantizationSpec.DefaultActivations;
    /// <summary>Weights: int8 symmetric per channel in 7 bits ([-64, 64]) by default.</summary>
    public QuantizationSpec Weights { get; init; } = QuantizationSpec.DefaultWeights with { ReduceRange = true };
    /// <summary>How activation ranges are calibrated.</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;
    /// <summary>The percentile kept by <see cref="CalibrationMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = 99.99;
    /// <summary>How weight ranges are chosen (per channel or per tensor as <see cref="Weights"/> says).</summary>
    public WeightRangeMethod WeightRange { get; init; } = WeightRangeMethod.MinMax;
    /// <summary>Calibration images, batch size, seed and threads.</summary>
    public CalibrationOptions Sampling { get; init; } = new();
    /// <summary>Fold the mean per-channel output error of each quantized layer, measured on the calibration images, into its bias.</summary>
    public bool BiasCorrection { get; init; } = true;
    /// <summary>
    /// Accuracy points (percent) the quantized model may lose on the validation data; when it loses more, the most
    /// sensitive layers stay in float until it does not. Null: quantize every layer.
    /// </summary>
    public double? MaxLoss { get; init; }
    /// <summary>
    /// Whether a layer output that is a model output (the logits) is quantized too, as ONNX Runtime's quantizer does
    /// (the default). Logits in 256 levels make ties between the top classes: LeNet-5 and LeNet-300-100 lost 0.14
    /// points to them here; false leaves them float (the last layer's weights and input stay quantized).
    /// </summary>
    public bool QuantizeOutputs { get; init; } = true;
    /// <summary>Layers (node or weight names) kept in float.</summary>
    public IReadOnlyCollection<string> Exclude { get; init; } = [];

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Activations);
        ArgumentNullException.ThrowIfNull(Weights);
        ArgumentNullException.ThrowIfNull(Sampling);
        Sampling.Validate();
        if (Activations.Type.Bits() != 8 || Weights.Type.Bits() != 8)
            throw new ArgumentException($"static quantization stores 8-bit activations and weights, not {Activations.Type.Name()} and {Weights.Type.Name()}");
        if (Activations.Granularity != ScaleGranularity.PerTensor) throw new ArgumentException("activations are quantized per tensor");
        if (!(Percentile > 0 && Percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(Percentile), Percentile, "the percentile must lie in (0, 100]");
        if (MaxLoss is { } m && !(m >= 0 && m <= 100)) throw new ArgumentOutOfRangeException(nameof(MaxLoss), m, "the accuracy loss budget is in points and must lie in [0, 100]");
    }
}
