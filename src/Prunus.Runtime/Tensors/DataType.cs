namespace Prunus.Tensors;

/// <summary>Element types, numbered as ONNX's TensorProto.DataType so that import and export are a direct mapping.</summary>
public enum DataType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float64 = 11,
}

/// <summary>Facts about <see cref="DataType"/> values.</summary>
public static class DataTypes
{
    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DataType type) => type switch
    {
        DataType.Float32 or DataType.Int32 => 4,
        DataType.Int64 or DataType.Float64 => 8,
        DataType.UInt8 or DataType.Int8 or DataType.Bool => 1,
        _ => throw new NotSupportedException($"data type {type} has no storage in Prunus"),
    };

    /// <summary>Allocates a zeroed array of the storage type for <paramref name="type"/>.</summary>
    public static Array NewStorage(DataType type, int length) => type switch
    {
        DataType.Float32 => new float[length],
        DataType.Float64 => new double[length],
        DataType.Int64 => new long[length],
        DataType.Int32 => new int[length],
        DataType.Int8 => new sbyte[length],
        DataType.UInt8 => new byte[length],
        DataType.Bool => new bool[length],
        _ => throw new NotSupportedException($"data type {type} has no storage in Prunus"),
    };

    /// <summary>The data type of a storage array (float[] is Float32, and so on).</summary>
    public static DataType Of(Array storage) => storage switch
    {
        float[] => DataType.Float32,
        double[] => DataType.Float64,
        long[] => DataType.Int64,
        int[] => DataType.Int32,
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
        if (typeof(T) == typeof(sbyte)) return DataType.Int8;
        if (typeof(T) == typeof(byte)) return DataType.UInt8;
        if (typeof(T) == typeof(bool)) return DataType.Bool;
        throw new NotSupportedException($"element type {typeof(T).Name} has no Prunus data type");
    }
}
