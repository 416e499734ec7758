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
/// ONNX Runtime's quantizer does. A reduced range uses one bit less, as ONNX Runtime's reduce_range does ([-64, 64]
/// for int8, [0, 127] for uint8): on x86 CPUs without VNNI, ONNX Runtime multiplies uint8 by int8 with VPMADDUBSW,
/// whose int16 sums of two products saturate unless the weights keep to 7 bits.
/// </summary>
/// <param name="Type">The integer type.</param>
/// <param name="Symmetric">Whether the real range is made symmetric about zero.</param>
/// <param name="Granularity">Per tensor or per channel.</param>
/// <param name="ReduceRange">Whether to use one bit less than the type holds.</param>
public sealed record QuantizationSpec(QuantizedType Type, bool Symmetric, ScaleGranularity Granularity = ScaleGranularity.PerTensor, bool ReduceRange = false)
{
    /// <summary>Weights as ONNX Runtime quantizes them by default: int8, symmetric, per channel, full range (the quantizers' options add the reduced range).</summary>
    public static QuantizationSpec DefaultWeights { get; } = new(QuantizedType.Int8, true, ScaleGranularity.PerChannel);

    /// <summary>Activations as ONNX Runtime quantizes them by default: uint8, asymmetric, per tensor.</summary>
    public static QuantizationSpec DefaultActivations { get; } = new(QuantizedType.UInt8, false);

    /// <summary>Smallest integer used (the type's minimum, or -max for symmetric signed types).</summary>
    public int QMin => ReduceRange ? (Type.IsSigned() ? -(Type.Max() + 1) / 2 : 0) : Symmetric && Type.IsSigned() ? -Type.Max() : Type.Min();

    /// <summary>Largest integer used.</summary>
    public int QMax => ReduceRange ? (Type.IsSigned() ? (Type.Max() + 1) / 2 : Type.Max() / 2) : Type.Max();

    /// <summary>Number of integer steps between QMin and QMax.</summary>
    public int Steps => QMax - QMin;

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type.Name()}{(ReduceRange ? " (reduced range)" : "")} {(Symmetric ? "symmetric" : "asymmetric")} {(Granularity == ScaleGranularity.PerChannel ? "per-channel" : "per-tensor")}";
}
