namespace Prunus.Quantization;

/// <summary>Whether one scale (and zero point) serves a whole tensor or each channel has its own.</summary>
public enum ScaleGranularity
{
    /// <summary>One scale and zero point for the whole tensor.</summary>
    PerTensor,
    /// <summary>One scale and zero point per output channel (weights; the axis depends on the op).</summary>
    PerChannel,
}

/// <summary>
/// How a tensor is quantized: into which integer type, symmetric about zero or not, and with one scale per tensor or
/// per channel. Symmetric signed types use [-max, max] (e.g. [-127, 127]) so that zero sits in the middle and the
/// zero point is 0; symmetric unsigned types put the zero point at the middle of the range (128 for uint8), as
/// ONNX Runtime's quantizer does.
/// </summary>
/// <param name="Type">The integer type.</param>
/// <param name="Symmetric">Whether the real range is made symmetric about zero.</param>
/// <param name="Granularity">Per tensor or per channel.</param>
public sealed record QuantizationSpec(QuantizedType Type, bool Symmetric, ScaleGranularity Granularity = ScaleGranularity.PerTensor)
{
    /// <summary>Weights as ONNX Runtime quantizes them by default: int8, symmetric, per channel.</summary>
    public static QuantizationSpec DefaultWeights { get; } = new(QuantizedType.Int8, true, ScaleGranularity.PerChannel);

    /// <summary>Activations as ONNX Runtime quantizes them by default: uint8, asymmetric, per tensor.</summary>
    public static QuantizationSpec DefaultActivations { get; } = new(QuantizedType.UInt8, false);

    /// <summary>Smallest integer used (the type's minimum, or -max for symmetric signed types).</summary>
    public int QMin => Symmetric && Type.IsSigned() ? -Type.Max() : Type.Min();

    /// <summary>Largest integer used.</summary>
    public int QMax => Type.Max();

    /// <summary>Number of integer steps between QMin and QMax.</summary>
    public int Steps => QMax - QMin;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type.Name()} {(Symmetric ? "symmetric" : "asymmetric")} {(Granularity == ScaleGranularity.PerChannel ? "per-channel" : "per-tensor")}";
}
