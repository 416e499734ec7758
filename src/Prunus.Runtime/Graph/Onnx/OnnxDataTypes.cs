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
    /// widened to float32 on import (Prunus computes in float32; the file's precision is not kept).
    /// </summary>
    public static DataType? StorageFor(int onnxType) => onnxType switch
    {
        (int)DataType.Float32 or (int)DataType.UInt8 or (int)DataType.Int8 or (int)DataType.Int32
            or (int)DataType.Int64 or (int)DataType.Bool or (int)DataType.Float64 => (DataType)onnxType,
        Float16 or BFloat16 => DataType.Float32,
        _ => null,
    };

    /// <summary>Bytes per element of the file's encoding (raw_data or external data) of a type StorageFor accepts.</summary>
    public static int FileElementSize(int onnxType) => onnxType switch
    {
        Float16 or BFloat16 or Int16 or UInt16 => 2,
        UInt32 => 4,
        UInt64 => 8,
        _ => ((DataType)onnxType).SizeOf(),
    };
}
