using System.Globalization;
using Google.Protobuf.Collections;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using OnnxDataLocation = Prunus.Graph.Onnx.Proto.TensorProto.Types.DataLocation;

namespace Prunus.Graph.Onnx;

/// <summary>
/// Turns TensorProto and SparseTensorProto messages into tensors. Every size is validated against the shape and the
/// byte budget before storage is allocated; every failure is a <see cref="ModelException"/> naming the tensor.
/// </summary>
internal sealed class OnnxTensorDecoder
{
    private readonly string source;
    private readonly string? externalDirectory;
    private readonly OnnxReadOptions options;
    private long bytesUsed;

    public OnnxTensorDecoder(string source, string? externalDirectory, OnnxReadOptions options)
    {
        this.source = source;
        this.externalDirectory = externalDirectory;
        this.options = options;
    }

    /// <summary>An error about this file.</summary>
    public ModelException Error(string message, Exception? inner = null) => new($"{source}: {message}", inner);

    /// <summary>Decodes a dense tensor; <paramref name="what"/> names it in errors ("initializer 'w'").</summary>
    public Tensor Dense(TensorProto t, string what)
    {
        if (t.Segment is not null)
            throw Error($"{what} is one segment of a larger tensor; segmented tensors are not supported");
        int onnxType = t.DataType;
        var type = OnnxDataTypes.StorageFor(onnxType)
            ?? throw Error($"{what} has element type {OnnxDataTypes.Describe(onnxType)}, which Prunus cannot load");
        var shape = Shape(t.Dims, what);
        int count = CountOf(shape);
        Reserve((long)count * type.SizeOf(), what, shape, type);
        long fileBytes = OnnxDataTypes.FileBytes(onnxType, count);

        var storage = DataTypes.NewStorage(type, count);
        if (t.HasDataLocation && t.DataLocation == OnnxDataLocation.External)
            ReadExternal(t, onnxType, storage, fileBytes, what);
        else if (t.HasDataLocation && t.DataLocation != OnnxDataLocation.Default)
            throw Error($"{what} has an unknown data_location ({(int)t.DataLocation})");
        else if (t.HasRawData)
        {
            if (t.RawData.Length != fileBytes)
                throw Error($"{what} has {t.RawData.Length} bytes of raw_data but its shape {ShapeMath.Format(shape)} of {OnnxDataTypes.Describe(onnxType)} needs {fileBytes}");
            LittleEndian.Decode(t.RawData.Span, onnxType, storage);
        }
        else
            DecodeTyped(t, onnxType, storage, shape, what);
        return new Tensor(type, shape, storage);
    }

    /// <summary>Decodes a sparse tensor into a dense one (zeros where no value is given).</summary>
    public Tensor Sparse(SparseTensorProto s, string what)
    {
        if (s.Values is null) throw Error($"{what} is a sparse tensor without values");
        var values = Dense(s.Values, what + " (values)");
        if (values.Rank != 1) throw Error($"{what} has values of shape {ShapeMath.Format(values.Shape)}; sparse values must be one-dimensional [NNZ]");
        int nnz = values.Length;
        var shape = Shape(s.Dims, what);
        int count = CountOf(shape);

        var linear = new long[nnz];
        if (nnz > 0)
        {
            if (s.Indices is null) throw Error($"{what} has {nnz} values but no indices");
            var indices = OnnxDataTypes.IsWideIndexType(s.Indices.DataType) ? WideIndices(s.Indices, what + " (indices)") : Dense(s.Indices, what + " (indices)");
            if (indices.Type is not (DataType.Int64 or DataType.Int32 or DataType.Int8 or DataType.UInt8))
                throw Error($"{what} has indices of type {indices.Type}; sparse indices must be integers");
            if (indices.Rank == 1 && indices.Shape[0] == nnz)
            {
                for (int i = 0; i < nnz; i++)
                {
                    long v = IndexAt(indices, i);
                    if (v < 0 || v >= count) throw Error($"{what}: index {v} of value {i} is outside the {count} elements of shape {ShapeMath.Format(shape)}");
                    linear[i] = v;
                }
            }
            else if (indices.Rank == 2 && indices.Shape[0] == nnz && indices.Shape[1] == shape.Length)
            {
                for (int i = 0; i < nnz; i++)
                {
                    long lin = 0;
                    for (int d = 0; d < shape.Length; d++)
                    {
                        long c = IndexAt(indices, i * shape.Length + d);
                        if (c < 0 || c >= shape[d]) throw Error($"{what}: coordinate {c} of value {i} is outside dimension {d} (size {shape[d]}) of shape {ShapeMath.Format(shape)}");
                        lin = lin * shape[d] + c;
                    }
                    linear[i] = lin;
                }
            }
            else
                throw Error($"{what} has indices of shape {ShapeMath.Format(indices.Shape)}; expected [{nnz}] or [{nnz},{shape.Length}]");
        }

        Reserve((long)count * values.Type.SizeOf(), what, shape, values.Type);
        var dense = DataTypes.NewStorage(values.Type, count);
        Scatter(values.Storage, linear, dense);
        return new Tensor(values.Type, shape, dense);
    }

    /// <summary>Sparse indices of type int16, uint16, uint32 or uint64, widened to an int64 tensor.</summary>
    private Tensor WideIndices(TensorProto t, string what)
    {
        if (t.Segment is not null) throw Error($"{what} is one segment of a larger tensor; segmented tensors are not supported");
        int onnxType = t.DataType;
        var shape = Shape(t.Dims, what);
        int count = CountOf(shape);
        Reserve((long)count * sizeof(long), what, shape, DataType.Int64);
        long fileBytes = OnnxDataTypes.FileBytes(onnxType, count);
        var storage = new long[count];
        if (t.HasDataLocation && t.DataLocation == OnnxDataLocation.External)
            ReadExternal(t, onnxType, storage, fileBytes, what);
        else if (t.HasRawData)
        {
            if (t.RawData.Length != fileBytes)
                throw Error($"{what} has {t.RawData.Length} bytes of raw_data but its shape {ShapeMath.Format(shape)} of {OnnxDataTypes.Describe(onnxType)} needs {fileBytes}");
            LittleEndian.Decode(t.RawData.Span, onnxType, storage);
        }
        else if (onnxType is OnnxDataTypes.Int16 or OnnxDataTypes.UInt16)
        {
            // 16-bit integers travel one element per int32_data entry.
            if (t.Int32Data.Count != count) throw Error($"{what} has {t.Int32Data.Count} values in int32_data but its shape {ShapeMath.Format(shape)} needs {count}");
            for (int i = 0; i < count; i++) storage[i] = onnxType == OnnxDataTypes.Int16 ? unchecked((short)t.Int32Data[i]) : unchecked((ushort)t.Int32Data[i]);
        }
        else
        {
            if (t.Uint64Data.Count != count) throw Error($"{what} has {t.Uint64Data.Count} values in uint64_data but its shape {ShapeMath.Format(shape)} needs {count}");
            for (int i = 0; i < count; i++) storage[i] = unchecked((long)t.Uint64Data[i]);
        }
        return new Tensor(DataType.Int64, shape, storage);
    }

    /// <summary>Validates dims: each in [0, int.MaxValue], element count within int.</summary>
    private int[] Shape(RepeatedField<long> dims, string what)
    {
        var shape = new int[dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = dims[i];
            if (d < 0) throw Error($"{what} has negative dimension {d} at axis {i}");
            if (d > int.MaxValue) throw Error($"{what} has dimension {d} at axis {i}, larger than Prunus tensors allow");
            shape[i] = (int)d;
            count *= d;  // both factors are at most int.MaxValue, so this cannot overflow before the check
            if (count > int.MaxValue) throw Error($"{what} has shape [{string.Join(",", dims)}] with more than {int.MaxValue} elements");
        }
        return shape;
    }

    private static int CountOf(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return (int)n;
    }

    private void Reserve(long bytes, string what, int[] shape, DataType type)
    {
        if (bytes > options.MaxTensorBytesEach)
            throw Error($"{what} of shape {ShapeMath.Format(shape)} ({type}) needs {bytes} bytes, more than the {options.MaxTensorBytesEach} bytes allowed per tensor (OnnxReadOptions.MaxTensorBytesEach)");
        if (bytesUsed + bytes > options.MaxTensorBytes)
            throw Error($"{what} of shape {ShapeMath.Format(shape)} ({type}) brings the model's tensor data to {bytesUsed + bytes} bytes, more than the {options.MaxTensorBytes} allowed (OnnxReadOptions.MaxTensorBytes)");
        bytesUsed += bytes;
    }

    private void DecodeTyped(TensorProto t, int onnxType, Array storage, int[] shape, string what)
    {
        int count = storage.Length;
        switch (onnxType)
        {
            case (int)DataType.Float32:
                Check(t.FloatData.Count, "float_data");
                t.FloatData.CopyTo((float[])storage, 0);
                break;
            case (int)DataType.Float64:
                Check(t.DoubleData.Count, "double_data");
                t.DoubleData.CopyTo((double[])storage, 0);
                break;
            case (int)DataType.Int64:
                Check(t.Int64Data.Count, "int64_data");
                t.Int64Data.CopyTo((long[])storage, 0);
                break;
            case (int)DataType.Int32:
                Check(t.Int32Data.Count, "int32_data");
                t.Int32Data.CopyTo((int[])storage, 0);
                break;
            case OnnxDataTypes.Int4 or OnnxDataTypes.UInt4:
            {
                // Two 4-bit elements per int32_data entry, the first in the low nibble.
                int entries = (count + 1) / 2;
                if (t.Int32Data.Count != entries)
                    throw t.Int32Data.Count == 0
                        ? Error($"{what} has no data for the {count} elements of its shape {ShapeMath.Format(shape)} (neither raw_data nor int32_data)")
                        : Error($"{what} has {t.Int32Data.Count} values in int32_data but its shape {ShapeMath.Format(shape)} of 4-bit elements needs {entries} (two per entry)");
                var packed = new byte[entries];
                for (int i = 0; i < entries; i++) packed[i] = unchecked((byte)t.Int32Data[i]);
                LittleEndian.Decode(packed, onnxType, storage);
                break;
            }
            default:
            {
                // int8, uint8, int16, uint16, bool and the 16-bit floats travel one element per int32_data entry.
                Check(t.Int32Data.Count, "int32_data");
                var src = t.Int32Data;
                switch (storage)
                {
                    case sbyte[] s: for (int i = 0; i < count; i++) s[i] = unchecked((sbyte)src[i]); break;
                    case byte[] b: for (int i = 0; i < count; i++) b[i] = unchecked((byte)src[i]); break;
                    case short[] s: for (int i = 0; i < count; i++) s[i] = unchecked((short)src[i]); break;
                    case ushort[] u: for (int i = 0; i < count; i++) u[i] = unchecked((ushort)src[i]); break;
                    case bool[] b: for (int i = 0; i < count; i++) b[i] = src[i] != 0; break;
                    case float[] f when onnxType == OnnxDataTypes.Float16:
                        for (int i = 0; i < count; i++) f[i] = (float)BitConverter.UInt16BitsToHalf(unchecked((ushort)src[i]));
                        break;
                    case float[] f:
                        for (int i = 0; i < count; i++) f[i] = LittleEndian.BFloat16ToSingle(unchecked((ushort)src[i]));
                        break;
                }
                break;
            }
        }

        void Check(int have, string field)
        {
            if (have == count) return;
            throw have == 0
                ? Error($"{what} has no data for the {count} elements of its shape {ShapeMath.Format(shape)} (neither raw_data nor {field})")
                : Error($"{what} has {have} values in {field} but its shape {ShapeMath.Format(shape)} needs {count}");
        }
    }

    private void ReadExternal(TensorProto t, int onnxType, Array storage, long expectedBytes, string what)
    {
        string? location = null;
        long offset = 0;
        long? length = null;
        foreach (var e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset": offset = ParseSize(e.Value, "offset"); break;
                case "length": length = ParseSize(e.Value, "length"); break;
            }
        }
        if (string.IsNullOrEmpty(location)) throw Error($"{what} stores its data externally but gives no location");
        if (externalDirectory is null)
            throw Error($"{what} stores its data in the external file '{location}'; load the model from its path, or set OnnxReadOptions.ExternalDataDirectory");

        string path = ExternalPaths.Resolve(externalDirectory, location, m => Error($"{what}: {m}"));
        var file = new FileInfo(path);
        if (!file.Exists) throw Error($"{what}: external data file '{location}' does not exist in {externalDirectory}");
        long fileLength = file.Length;
        if (offset > fileLength) throw Error($"{what}: offset {offset} is beyond the end of external data file '{location}' ({fileLength} bytes)");
        long len = length ?? fileLength - offset;
        if (len > fileLength - offset)
            throw Error($"{what}: bytes [{offset}, {offset + len}) lie beyond the end of external data file '{location}' ({fileLength} bytes)");
        if (len != expectedBytes)
            throw Error($"{what} has {len} bytes of external data but its shape [{string.Join(",", t.Dims)}] of {OnnxDataTypes.Describe(onnxType)} needs {expectedBytes}");

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            stream.Seek(offset, SeekOrigin.Begin);
            bool direct = onnxType == (int)DataTypes.Of(storage) && storage is not bool[];
            if (direct)
            {
                // Read straight into the tensor's storage: no second copy of a possibly large tensor.
                stream.ReadExactly(LittleEndian.Bytes(storage));
                LittleEndian.SwapIfBigEndian(storage);
            }
            else
            {
                var buffer = new byte[len];
                stream.ReadExactly(buffer);
                LittleEndian.Decode(buffer, onnxType, storage);
            }
        }
        catch (IOException e)
        {
            throw Error($"{what}: cannot read external data file '{location}': {e.Message}", e);
        }

        long ParseSize(string text, string key) =>
            long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw Error($"{what} has external data {key} '{text}', which is not a non-negative integer");
    }

    private static long IndexAt(Tensor indices, int i) => indices.Type switch
    {
        DataType.Int64 => indices.Span<long>()[i],
        DataType.Int32 => indices.Span<int>()[i],
        DataType.Int8 => indices.Span<sbyte>()[i],
        _ => indices.Span<byte>()[i],
    };

    private static void Scatter(Array values, long[] linear, Array dense)
    {
        switch (values)
        {
            case float[] v: Scatter(v, linear, (float[])dense); break;
            case double[] v: Scatter(v, linear, (double[])dense); break;
            case long[] v: Scatter(v, linear, (long[])dense); break;
            case int[] v: Scatter(v, linear, (int[])dense); break;
            case short[] v: Scatter(v, linear, (short[])dense); break;
            case ushort[] v: Scatter(v, linear, (ushort[])dense); break;
            case sbyte[] v: Scatter(v, linear, (sbyte[])dense); break;
            case byte[] v: Scatter(v, linear, (byte[])dense); break;
            case bool[] v: Scatter(v, linear, (bool[])dense); break;
        }
    }

    private static void Scatter<T>(T[] values, long[] linear, T[] dense)
    {
        for (int i = 0; i < linear.Length; i++) dense[linear[i]] = values[i];
    }
}
