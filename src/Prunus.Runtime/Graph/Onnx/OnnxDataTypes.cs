using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>How ONNX element types (TensorProto.DataType numbers) map onto what Prunus can store.</summary>
internal static class OnnxDataTypes
{
    public const int Float16 = 10;
    public const int BFloat16 = 16;
    public const int UInt16 = 4;
    public const int Int16 = 5;
    public const int UInt32 = 12;
    public const int UInt64 = 13;
    public const int UInt4 = 21;
    public const int Int4 = 22;

    /// <summary>
    /// Integer types Prunus stores no tensors of but reads as sparse indices (widened to int64): ONNX Runtime writes
    /// and accepts int16 indices, and the standard does not restrict their type.
    /// </summary>
    public static bool IsWideIndexType(int onnxType) => onnxType is Int16 or UInt16 or UInt32 or UInt64;

    private static readonly string[] Names =
    [
        "undefined", "float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16",
        "float64", "uint32", "uint64", "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
        "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1", "float8e8m0",
    ];

    /// <summary>A readable name with the number, for error messages: "string (8)".</summary>
    public static string Describe(int onnxType) =>
        onnxType >= 0 && onnxType < Names.Length ? $"{Names[onnxType]} ({onnxType})" : $"unknown type number {onnxType}";

    /// <summary>
    /// The Prunus storage type for an ONNX element type, or null when Prunus cannot hold it. float16 and bfloat16 are
    /// widened to float32 on import (Prunus computes in float32; the file's precision is not kept); the 4-bit types are
    /// unpacked to one value per byte.
    /// </summary>
    public static DataType? StorageFor(int onnxType) => onnxType switch
    {
        (int)DataType.Float32 or (int)DataType.UInt8 or (int)DataType.Int8 or (int)DataType.Int32
            or (int)DataType.Int64 or (int)DataType.Bool or (int)DataType.Float64
            or Int16 or UInt16 or Int4 or UInt4 => (DataType)onnxType,
        Float16 or BFloat16 => DataType.Float32,
        _ => null,
    };

    /// <summary>Whether the type packs two elements per byte in files (uint4, int4).</summary>
    public static bool IsFourBit(int onnxType) => onnxType is Int4 or UInt4;

    /// <summary>
    /// Bytes of the file's encoding (raw_data or external data) of <paramref name="count"/> elements of a type
    /// StorageFor or IsWideIndexType accepts: 4-bit types pack two elements per byte, the last byte half filled when
    /// the count is odd.
    /// </summary>
    public static long FileBytes(int onnxType, long count) => onnxType switch
    {
        Int4 or UInt4 => (count + 1) / 2,
        Float16 or BFloat16 or Int16 or UInt16 => 2 * count,
        UInt32 => 4 * count,
        UInt64 => 8 * count,
        _ => ((DataType)onnxType).SizeOf() * count,
    };
}
