namespace Prunus.Tensors;

/// <summary>Element types, numbered as ONNX's TensorProto.DataType so that import and export are a direct mapping.</summary>
public enum DataType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float64 = 11,
    /// <summary>4-bit unsigned integer [0, 15]: one value per byte in memory, packed two per byte in ONNX files.</summary>
    UInt4 = 21,
    /// <summary>4-bit signed integer [-8, 7]: one value per sbyte in memory, packed two per byte in ONNX files.</summary>
    Int4 = 22,
}

/// <summary>Facts about <see cref="DataType"/> values.</summary>
public static class DataTypes
{
    /// <summary>Bytes per element in memory (4-bit types take a whole byte each; files pack them).</summary>
    public static int SizeOf(this DataType type) => type switch
    {
        DataType.Float32 or DataType.Int32 => 4,
        DataType.Int64 or DataType.Float64 => 8,
        DataType.Int16 or DataType.UInt16 => 2,
        DataType.UInt8 or DataType.Int8 or DataType.Bool or DataType.Int4 or DataType.UInt4 => 1,
        _ => throw new NotSupportedException($"data type {type} has no storage in Prunus"),
    };

    /// <summary>
    /// The type whose storage array holds <paramref name="type"/>: itself, except Int4 (in sbyte[], as Int8) and UInt4
    /// (in byte[], as UInt8). Buffers of equal storage type may be shared.
    /// </summary>
    public static DataType StorageType(this DataType type) => type switch
    {
        DataType.Int4 => DataType.Int8,
        DataType.UInt4 => DataType.UInt8,
        _ => type,
    };

    /// <summary>The smallest and largest value of an integer type of at most 32 bits (the range quantization saturates to).</summary>
    public static (int Min, int Max) IntegerRange(this DataType type) => type switch
    {
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.UInt4 => (0, 15),
        DataType.Int4 => (-8, 7),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        _ => throw new NotSupportedException($"data type {type} is not an integer type of at most 32 bits"),
    };

    /// <summary>Allocates a zeroed array of the storage type for <paramref name="type"/>.</summary>
    public static Array NewStorage(DataType type, int length) => type switch
    {
        DataType.Float32 => new float[length],
        DataType.Float64 => new double[length],
        DataType.Int64 => new long[length],
        DataType.Int32 => new int[length],
        DataType.Int16 => new short[length],
        DataType.UInt16 => new ushort[length],
        DataType.Int8 or DataType.Int4 => new sbyte[length],
        DataType.UInt8 or DataType.UInt4 => new byte[length],
        DataType.Bool => new bool[length],
        _ => throw new NotSupportedException($"data type {type} has no storage in Prunus"),
    };

    /// <summary>The data type of a storage array (float[] is Float32, sbyte[] Int8, and so on; see <see cref="StorageType"/>).</summary>
    public static DataType Of(Array storage) => storage switch
    {
        float[] => DataType.Float32,
        double[] => DataType.Float64,
        long[] => DataType.Int64,
        int[] => DataType.Int32,
        short[] => DataType.Int16,
        ushort[] => DataType.UInt16,
        sbyte[] => DataType.Int8,
        byte[] => DataType.UInt8,
        bool[] => DataType.Bool,
        _ => throw new NotSupportedException($"storage {storage.GetType().Name} has no Prunus data type"),
    };

    /// <summary>The data type stored by a CLR element type.</summary>
    public static DataType Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return DataType.Float32;
        if (typeof(T) == typeof(double)) return DataType.Float64;
        if (typeof(T) == typeof(long)) return DataType.Int64;
        if (typeof(T) == typeof(int)) return DataType.Int32;
        if (typeof(T) == typeof(short)) return DataType.Int16;
        if (typeof(T) == typeof(ushort)) return DataType.UInt16;
        if (typeof(T) == typeof(sbyte)) return DataType.Int8;
        if (typeof(T) == typeof(byte)) return DataType.UInt8;
        if (typeof(T) == typeof(bool)) return DataType.Bool;
        throw new NotSupportedException($"element type {typeof(T).Name} has no Prunus data type");
    }
}
