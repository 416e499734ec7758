using Prunus.Pruning;
using Prunus.Quantization.Observers;

namespace Prunus.Quantization.Qat;

/// <summary>How <see cref="QatPreparation"/> makes a float model ready for quantization-aware training.</summary>
public sealed record QatOptions
{
    /// <summary>
    /// Weights: int8 symmetric per output channel in 7 bits ([-64, 64]) by default, as static quantization's default
    /// (ONNX Runtime's u8s8 kernels on x86 CPUs without VNNI saturate on full-range weights); int4 symmetric also works.
    /// </summary>
    public QuantizationSpec Weights { get; init; } = QuantizationSpec.DefaultWeights with { ReduceRange = true };
    /// <summary>Activations: uint8 asymmetric per tensor by default (ONNX Runtime's default), or int8.</summary>
    public QuantizationSpec Activations { get; init; } = QuantizationSpec.DefaultActivations;
    /// <summary>
    /// Learned step sizes (LSQ, Esser et al. 2020): every scale is a trained parameter, initialized from its range.
    /// Without it, weight scales follow the current weights (max |w| per channel at every step) and activation scales
    /// stay at their calibrated values.
    /// </summary>
    public bool LearnedScales { get; init; }
    /// <summary>Whether the model's outputs (the logits) are quantized too, as ONNX Runtime's quantizer does; false leaves them float.</summary>
    public bool QuantizeOutputs { get; init; } = true;
    /// <summary>Which observer sets the initial activation ranges on the calibration images.</summary>
    public CalibrationMethod Calibration { get; init; } = CalibrationMethod.MinMax;
    /// <summary>Calibration images and batches of the initial activation ranges.</summary>
    public CalibrationOptions CalibrationImages { get; init; } = new() { Images = 512 };
    /// <summary>Names of layers (nodes or weights) to keep in float.</summary>
    public IReadOnlyCollection<string> Ignore { get; init; } = [];

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Weights);
        ArgumentNullException.ThrowIfNull(Activations);
        ArgumentNullException.ThrowIfNull(CalibrationImages);
        ArgumentNullException.ThrowIfNull(Ignore);
        CalibrationImages.Validate();
        if (!Weights.Symmetric || !Weights.Type.IsSigned())
            throw new ArgumentException($"QAT quantizes weights symmetrically into a signed type (int8 or int4), not {Weights}");
        if (Activations.Type.Bits() != 8)
            throw new ArgumentException($"activations are quantized to 8 bits (uint8 or int8), not {Activations.Type.Name()}");
        if (Activations.Granularity != ScaleGranularity.PerTensor)
            throw new ArgumentException("activations have one scale per tensor");
    }
}
