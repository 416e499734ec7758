using Prunus.Tensors;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>Quantized test tensors and the plain formulas the quantization tests compare with.</summary>
internal static class QuantTensors
{
    /// <summary>An Int4 tensor (one value per sbyte) of <paramref name="values"/> and <paramref name="shape"/> (1-D when omitted).</summary>
    public static Tensor Int4(sbyte[] values, params int[] shape) => new(DataType.Int4, shape.Length == 0 && values.Length != 1 ? [values.Length] : shape, values);

    /// <summary>A UInt4 tensor (one value per byte).</summary>
    public static Tensor UInt4(byte[] values, params int[] shape) => new(DataType.UInt4, shape.Length == 0 && values.Length != 1 ? [values.Length] : shape, values);

    /// <summary>saturate(round_half_even(x / s) + zp), computed in double from float32 division.</summary>
    public static int Expected(float x, float s, int zp, int lo, int hi)
    {
        double q = Math.Round((double)(x / s), MidpointRounding.ToEven) + zp;
        return double.IsNaN(q) ? lo : (int)Math.Clamp(q, lo, hi);
    }
}
