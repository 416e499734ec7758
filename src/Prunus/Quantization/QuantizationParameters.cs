using Prunus.Tensors;

namespace Prunus.Quantization;

/// <summary>
/// Scales and zero points of a quantized tensor: q = saturate(round_half_even(x / scale) + zeroPoint) and
/// x ≈ (q - zeroPoint) · scale, as ONNX QuantizeLinear and DequantizeLinear define them. One pair for the whole
/// tensor (<see cref="Axis"/> null), or one per index of dimension <see cref="Axis"/>.
/// </summary>
public sealed class QuantizationParameters
{
    /// <summary>Scales: one, or one per channel.</summary>
    public float[] Scales { get; }
    /// <summary>Zero points, as many as scales, inside the type's range.</summary>
    public int[] ZeroPoints { get; }
    /// <summary>The integer type.</summary>
    public QuantizedType Type { get; }
    /// <summary>The channel dimension of per-channel parameters; null when per tensor.</summary>
    public int? Axis { get; }

    /// <summary>Per-channel parameters along <paramref name="axis"/> (or per tensor when it is null: one scale).</summary>
    public QuantizationParameters(float[] scales, int[] zeroPoints, QuantizedType type, int? axis)
    {
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(zeroPoints);
        if (scales.Length == 0 || scales.Length != zeroPoints.Length)
            throw new ArgumentException($"{scales.Length} scales and {zeroPoints.Length} zero points: give as many of each, at least one");
        if (axis is null && scales.Length != 1) throw new ArgumentException($"per-tensor parameters have one scale, got {scales.Length}");
        foreach (var s in scales)
            if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentException($"scale {s} is not a positive finite number");
        foreach (var z in zeroPoints)
            if (z < type.Min() || z > type.Max()) throw new ArgumentException($"zero point {z} is outside the {type.Name()} range [{type.Min()}, {type.Max()}]");
        Scales = scales;
        ZeroPoints = zeroPoints;
        Type = type;
        Axis = axis;
    }

    /// <summary>Per-tensor parameters.</summary>
    public static QuantizationParameters PerTensor(float scale, int zeroPoint, QuantizedType type) => new([scale], [zeroPoint], type, null);

    /// <summary>Whether there is one scale per channel.</summary>
    public bool PerChannel => Axis is not null;

    /// <summary>The scale of per-tensor parameters.</summary>
    public float Scale => PerChannel ? throw new InvalidOperationException("per-channel parameters have several scales") : Scales[0];

    /// <summary>The zero point of per-tensor parameters.</summary>
    public int ZeroPoint => PerChannel ? throw new InvalidOperationException("per-channel parameters have several zero points") : ZeroPoints[0];

    /// <summary>Number of channels (1 when per tensor).</summary>
    public int Channels => Scales.Length;

    /// <summary>The scales as an ONNX tensor: a float scalar per tensor, a 1-D vector per channel.</summary>
    public Tensor ScaleTensor() => PerChannel ? Tensor.From((float[])Scales.Clone(), Scales.Length) : Tensor.Scalar(Scales[0]);

    /// <summary>The zero points as an ONNX tensor of the quantized type: a scalar per tensor, a 1-D vector per channel.</summary>
    public Tensor ZeroPointTensor()
    {
        var t = Tensor.Zeros(Type.ToDataType(), PerChannel ? [ZeroPoints.Length] : []);
        if (Type.IsSigned()) for (int i = 0; i < ZeroPoints.Length; i++) t.Span<sbyte>()[i] = (sbyte)ZeroPoints[i];
        else for (int i = 0; i < ZeroPoints.Length; i++) t.Span<byte>()[i] = (byte)ZeroPoints[i];
        return t;
    }

    /// <summary>One quantization step of channel <paramref name="channel"/>: the largest rounding error is half of it.</summary>
    public float Step(int channel = 0) => Scales[channel];

    /// <inheritdoc/>
    public override string ToString() => PerChannel
        ? $"{Type.Name()} per channel (axis {Axis}): {Scales.Length} scales in [{Scales.Min():G4}, {Scales.Max():G4}]"
        : $"{Type.Name()} scale {Scales[0]:G6} zero point {ZeroPoints[0]}";
}
