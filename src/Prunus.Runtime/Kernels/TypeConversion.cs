using System.Numerics;
using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>
/// Element type conversion for Cast, between every storable type: floats to integers truncate toward zero (to 32 and
/// 64 bits saturating at the range, NaN to 0; to 4, 8 and 16 bits through a 64-bit integer, then wrapping, as NumPy
/// and ONNX Runtime do, so -1.0 becomes 255), integers to narrower integers wrap (to 4 bits: the low nibble, sign-extended
/// for int4), anything to bool is "not zero" (NaN is true), bool is 0 or 1. Scalar loops: casts move little data in the models Prunus runs.
/// </summary>
public static class TypeConversion
{
    /// <summary>dst = src converted to dst's element type; both have the same length.</summary>
    public static void Convert(Tensor src, Tensor dst)
    {
        if (src.Length != dst.Length) throw new ArgumentException($"cannot convert {src} into {dst}: lengths differ");
        switch (src.Type)
        {
            case DataType.Float32: From<float>(src.Span<float>(), dst); break;
            case DataType.Float64: From<double>(src.Span<double>(), dst); break;
            case DataType.Int64: From<long>(src.Span<long>(), dst); break;
            case DataType.Int32: From<int>(src.Span<int>(), dst); break;
            case DataType.Int16: From<short>(src.Span<short>(), dst); break;
            case DataType.UInt16: From<ushort>(src.Span<ushort>(), dst); break;
            case DataType.Int8 or DataType.Int4: From<sbyte>(src.Span<sbyte>(), dst); break;
            case DataType.UInt8 or DataType.UInt4: From<byte>(src.Span<byte>(), dst); break;
            case DataType.Bool: FromBool(src.Span<bool>(), dst); break;
            default: throw new NotSupportedException($"cannot convert from {src.Type}");
        }
    }

    private static void From<TFrom>(ReadOnlySpan<TFrom> s, Tensor dst) where TFrom : unmanaged, INumberBase<TFrom>
    {
        switch (dst.Type)
        {
            case DataType.Float32: To(s, dst.Span<float>()); break;
            case DataType.Float64: To(s, dst.Span<double>()); break;
            case DataType.Int64: To(s, dst.Span<long>()); break;
            case DataType.Int32: To(s, dst.Span<int>()); break;
            case DataType.Int16: ToByteWide(s, dst.Span<short>()); break;
            case DataType.UInt16: ToByteWide(s, dst.Span<ushort>()); break;
            case DataType.Int8: ToByteWide(s, dst.Span<sbyte>()); break;
            case DataType.UInt8: ToByteWide(s, dst.Span<byte>()); break;
            case DataType.Int4:
            {
                var d4 = dst.Span<sbyte>();
                ToByteWide(s, d4);
                for (int i = 0; i < d4.Length; i++) d4[i] = (sbyte)((sbyte)(d4[i] << 4) >> 4);
                break;
            }
            case DataType.UInt4:
            {
                var d4 = dst.Span<byte>();
                ToByteWide(s, d4);
                for (int i = 0; i < d4.Length; i++) d4[i] &= 0xF;
                break;
            }
            case DataType.Bool:
                var d = dst.Span<bool>();
                for (int i = 0; i < d.Length; i++) d[i] = !TFrom.IsZero(s[i]);
                break;
            default: throw new NotSupportedException($"cannot convert to {dst.Type}");
        }
    }

    /// <summary>d[i] = s[i] converted: truncating for floats to integers and for wider to narrower integers.</summary>
    public static void To<TFrom, TTo>(ReadOnlySpan<TFrom> s, Span<TTo> d) where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        for (int i = 0; i < d.Length; i++) d[i] = TTo.CreateTruncating(s[i]);
    }

    // To an 8- or 16-bit integer: floats go through long first, so that out-of-range values wrap instead of saturating.
    private static void ToByteWide<TFrom, TTo>(ReadOnlySpan<TFrom> s, Span<TTo> d) where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        if (typeof(TFrom) != typeof(float) && typeof(TFrom) != typeof(double)) { To(s, d); return; }
        for (int i = 0; i < d.Length; i++) d[i] = TTo.CreateTruncating(long.CreateTruncating(s[i]));
    }

    private static void FromBool(ReadOnlySpan<bool> s, Tensor dst)
    {
        switch (dst.Type)
        {
            case DataType.Float32: FromBool(s, dst.Span<float>()); break;
            case DataType.Float64: FromBool(s, dst.Span<double>()); break;
            case DataType.Int64: FromBool(s, dst.Span<long>()); break;
            case DataType.Int32: FromBool(s, dst.Span<int>()); break;
            case DataType.Int16: FromBool(s, dst.Span<short>()); break;
            case DataType.UInt16: FromBool(s, dst.Span<ushort>()); break;
            case DataType.Int8 or DataType.Int4: FromBool(s, dst.Span<sbyte>()); break;
            case DataType.UInt8 or DataType.UInt4: FromBool(s, dst.Span<byte>()); break;
            case DataType.Bool: s.CopyTo(dst.Span<bool>()); break;
            default: throw new NotSupportedException($"cannot convert to {dst.Type}");
        }
    }

    private static void FromBool<TTo>(ReadOnlySpan<bool> s, Span<TTo> d) where TTo : INumberBase<TTo>
    {
        for (int i = 0; i < d.Length; i++) d[i] = s[i] ? TTo.One : TTo.Zero;
    }
}
