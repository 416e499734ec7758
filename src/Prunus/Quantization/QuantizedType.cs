using Prunus.Tensors;

namespace Prunus.Quantization;

/// <summary>The integer type quantized values are stored in.</summary>
public enum QuantizedType
{
    /// <summary>Signed 8-bit, [-128, 127] (ONNX INT8).</summary>
    Int8,
    /// <summary>Unsigned 8-bit, [0, 255] (ONNX UINT8).</summary>
    UInt8,
    /// <summary>Signed 4-bit, [-8, 7] (ONNX INT4, packed two per byte in files).</summary>
    Int4,
    /// <summary>Unsigned 4-bit, [0, 15] (ONNX UINT4, packed two per byte in files).</summary>
    UInt4,
}

/// <summary>Facts about <see cref="QuantizedType"/> values: ranges, widths, ONNX type numbers, names.</summary>
public static class QuantizedTypes
{
    /// <summary>Bits per value.</summary>
    public static int Bits(this QuantizedType type) => type is QuantizedType.Int8 or QuantizedType.UInt8 ? 8 : 4;

    /// <summary>Whether the type holds negative values.</summary>
    public static bool IsSigned(this QuantizedType type) => type is QuantizedType.Int8 or QuantizedType.Int4;

    /// <summary>Smallest value of the type (-128, 0, -8, 0).</summary>
    public static int Min(this QuantizedType type) => type.IsSigned() ? -(1 << (type.Bits() - 1)) : 0;

    /// <summary>Largest value of the type (127, 255, 7, 15).</summary>
    public static int Max(this QuantizedType type) => type.IsSigned() ? (1 << (type.Bits() - 1)) - 1 : (1 << type.Bits()) - 1;

    /// <summary>The ONNX TensorProto.DataType number (INT8 3, UINT8 2, INT4 22, UINT4 21).</summary>
    public static int OnnxType(this QuantizedType type) => type switch
    {
        QuantizedType.Int8 => 3,
        QuantizedType.UInt8 => 2,
        QuantizedType.Int4 => 22,
        _ => 21,
    };

    /// <summary>The tensor data type (4-bit types keep one value per byte in memory and are packed in files).</summary>
    public static DataType ToDataType(this QuantizedType type) => type switch
    {
        QuantizedType.Int8 => DataType.Int8,
        QuantizedType.UInt8 => DataType.UInt8,
        QuantizedType.Int4 => DataType.Int4,
        _ => DataType.UInt4,
    };

    /// <summary>The quantized type of tensor data type <paramref name="type"/>.</summary>
    public static QuantizedType FromDataType(DataType type) => type switch
    {
        DataType.Int8 => QuantizedType.Int8,
        DataType.UInt8 => QuantizedType.UInt8,
        DataType.Int4 => QuantizedType.Int4,
        DataType.UInt4 => QuantizedType.UInt4,
        _ => throw new ArgumentException($"{type} is not a quantized type (int8, uint8, int4 or uint4)"),
    };

    /// <summary>The lower-case name used on command lines and in reports: int8, uint8, int4, uint4.</summary>
    public static string Name(this QuantizedType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses int8, uint8, int4 or uint4 (any case); throws with the accepted names otherwise.</summary>
    public static QuantizedType Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "int8" => QuantizedType.Int8,
        "uint8" => QuantizedType.UInt8,
        "int4" => QuantizedType.Int4,
        "uint4" => QuantizedType.UInt4,
        _ => throw new ArgumentException($"'{text}' is not a quantized type; choose int8, uint8, int4 or uint4"),
    };
}
