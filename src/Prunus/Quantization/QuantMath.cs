using Prunus.Tensors;

namespace Prunus.Quantization;

/// <summary>
/// The arithmetic every quantizer shares: scale and zero point from a real range, and quantize/dequantize with
/// round-half-to-even and saturation to the type's range, exactly as ONNX QuantizeLinear and DequantizeLinear do.
/// </summary>
public static class QuantMath
{
    /// <summary>The smallest normal float32 (numpy's finfo(float32).tiny): smaller scales count as no range.</summary>
    private const float SmallestNormal = 1.17549435e-38f;

    /// <summary>
    /// Scale and zero point mapping the real range [<paramref name="min"/>, <paramref name="max"/>] onto
    /// [QMin, QMax] of <paramref name="spec"/>, computed as ONNX Runtime's quantizer does: the range is widened to
    /// contain 0 (so that zero is exact: padding and ReLU outputs stay exact), made symmetric about 0 when the spec is
    /// symmetric, scale = (max - min) / (QMax - QMin) in float, zero point = round(QMin - min / scale) (or the middle
    /// of the range when symmetric). An empty or all-zero range gives scale 1 and zero point 0.
    /// </summary>
    public static (float Scale, int ZeroPoint) Parameters(double min, double max, QuantizationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (double.IsNaN(min) || double.IsNaN(max)) throw new ArgumentException($"the range [{min}, {max}] is not a number");
        if (min > max) throw new ArgumentException($"the range [{min}, {max}] is empty: its minimum exceeds its maximum");
        min = Math.Min(min, 0);
        max = Math.Max(max, 0);
        if (spec.Symmetric)
        {
            double absMax = Math.Max(-min, max);
            min = -absMax;
            max = absMax;
        }
        int qmin = spec.QMin, qmax = spec.QMax;
        float scale = (float)((max - min) / (qmax - qmin));
        if (!(scale >= SmallestNormal) || !float.IsFinite(scale))
        {
            if (float.IsPositiveInfinity(scale)) throw new ArgumentException($"the range [{min}, {max}] is too wide for float32 scales");
            return (1f, spec.Symmetric ? RoundHalfToEven((qmin + qmax) / 2.0) : Math.Clamp(0, qmin, qmax));
        }
        int zero = spec.Symmetric ? RoundHalfToEven((qmin + qmax) / 2.0) : RoundHalfToEven(qmin - min / scale);
        return (scale, Math.Clamp(zero, qmin, qmax));
    }

    /// <summary>Per-tensor <see cref="QuantizationParameters"/> for the range [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static QuantizationParameters ForRange(double min, double max, QuantizationSpec spec)
    {
        var (s, z) = Parameters(min, max, spec);
        return QuantizationParameters.PerTensor(s, z, spec.Type);
    }

    /// <summary>Rounds to the nearest integer, ties to even (2.5 -> 2, 3.5 -> 4, -2.5 -> -2).</summary>
    public static int RoundHalfToEven(double x) => (int)Math.Clamp(Math.Round(x, MidpointRounding.ToEven), int.MinValue, int.MaxValue);

    /// <summary>
    /// saturate(round_half_even(x / scale) + zeroPoint) into [<paramref name="qmin"/>, <paramref name="qmax"/>]; the
    /// division is in float, as QuantizeLinear computes it. NaN maps to the zero point.
    /// </summary>
    public static int Quantize(float x, float scale, int zeroPoint, int qmin, int qmax)
    {
        float r = MathF.Round(x / scale, MidpointRounding.ToEven);
        if (float.IsNaN(r)) return Math.Clamp(zeroPoint, qmin, qmax);
        double q = (double)r + zeroPoint;
        return q <= qmin ? qmin : q >= qmax ? qmax : (int)q;
    }

    /// <summary>Quantizes into the full range of <paramref name="type"/> (as QuantizeLinear saturates).</summary>
    public static int Quantize(float x, float scale, int zeroPoint, QuantizedType type) => Quantize(x, scale, zeroPoint, type.Min(), type.Max());

    /// <summary>(q - zeroPoint) · scale, as DequantizeLinear computes it.</summary>
    public static float Dequantize(int q, float scale, int zeroPoint) => (q - zeroPoint) * scale;

    /// <summary>The value <paramref name="x"/> becomes after quantizing and dequantizing (fake quantization).</summary>
    public static float FakeQuantize(float x, float scale, int zeroPoint, int qmin, int qmax) =>
        Dequantize(Quantize(x, scale, zeroPoint, qmin, qmax), scale, zeroPoint);

    /// <summary>
    /// Quantizes a 32-bit accumulator value such as a bias, x / scale rounded half to even and saturated to the int32
    /// range (bias zero points are 0). The division is in double: a bias scale s_x · s_w can be tiny.
    /// </summary>
    public static int QuantizeInt32(float x, double scale)
    {
        double r = Math.Round(x / scale, MidpointRounding.ToEven);
        if (double.IsNaN(r)) return 0;
        return r <= int.MinValue ? int.MinValue : r >= int.MaxValue ? int.MaxValue : (int)r;
    }

    /// <summary>
    /// Quantizes a float tensor with <paramref name="parameters"/> into a tensor of its type (same shape), saturating
    /// to [<paramref name="qmin"/>, <paramref name="qmax"/>] (default: the type's range; symmetric weights pass the
    /// spec's narrower range).
    /// </summary>
    public static Tensor QuantizeTensor(Tensor x, QuantizationParameters parameters, int? qmin = null, int? qmax = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (x.Type != DataType.Float32) throw new ArgumentException($"only float32 tensors are quantized, got {x.Type}");
        int lo = qmin ?? parameters.Type.Min(), hi = qmax ?? parameters.Type.Max();
        var q = Tensor.Zeros(parameters.Type.ToDataType(), (int[])x.Shape.Clone());
        var src = x.Floats;
        int inner = Inner(x.Shape, parameters);
        if (parameters.Type.IsSigned())
        {
            var dst = q.Span<sbyte>();
            for (int i = 0; i < dst.Length; i++)
            {
                int c = i / inner % parameters.Channels;
                dst[i] = (sbyte)Quantize(src[i], parameters.Scales[c], parameters.ZeroPoints[c], lo, hi);
            }
        }
        else
        {
            var dst = q.Span<byte>();
            for (int i = 0; i < dst.Length; i++)
            {
                int c = i / inner % parameters.Channels;
                dst[i] = (byte)Quantize(src[i], parameters.Scales[c], parameters.ZeroPoints[c], lo, hi);
            }
        }
        return q;
    }

    /// <summary>Dequantizes an int8 or uint8 tensor with <paramref name="parameters"/> into float.</summary>
    public static Tensor DequantizeTensor(Tensor q, QuantizationParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(parameters);
        var x = Tensor.Zeros((int[])q.Shape.Clone());
        var dst = x.Floats;
        int inner = Inner(q.Shape, parameters);
        for (int i = 0; i < dst.Length; i++)
        {
            int c = i / inner % parameters.Channels;
            dst[i] = Dequantize((int)q.GetAsDouble(i), parameters.Scales[c], parameters.ZeroPoints[c]);
        }
        return x;
    }

    /// <summary>
    /// Elements per step of the channel axis (the product of the dimensions after it); with per-tensor parameters
    /// (one channel) any positive value serves, since the channel index is then taken modulo 1.
    /// </summary>
    private static int Inner(int[] shape, QuantizationParameters p)
    {
        if (p.Axis is not int axis) return 1;
        if (axis < 0 || axis >= shape.Length || shape[axis] != p.Channels)
            throw new ArgumentException($"{p.Channels} per-channel parameters along axis {axis} do not fit a tensor of shape {ShapeMath.Format(shape)}");
        return Math.Max(1, ShapeMath.Size(shape[(axis + 1)..]));
    }
}
