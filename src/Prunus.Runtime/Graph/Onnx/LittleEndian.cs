using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>
/// Converts tensor storage to and from ONNX's byte encoding: fixed-width little-endian elements, one byte per bool,
/// 16-bit floats as their bit patterns.
/// </summary>
internal static class LittleEndian
{
    /// <summary>
    /// Decodes <paramref name="source"/> (elements of ONNX type <paramref name="onnxType"/>) into
    /// <paramref name="storage"/>, whose length times the file element size equals the source length.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> source, int onnxType, Array storage)
    {
        switch (onnxType)
        {
            case OnnxDataTypes.Float16:
            {
                var dst = (float[])storage;
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)));
                return;
            }
            case OnnxDataTypes.BFloat16:
            {
                var dst = (float[])storage;
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)));
                return;
            }
            case OnnxDataTypes.Int4 or OnnxDataTypes.UInt4:
                UnpackFourBit(source, onnxType == OnnxDataTypes.Int4, storage);
                return;
            case OnnxDataTypes.Int16 or OnnxDataTypes.UInt16 or OnnxDataTypes.UInt32 or OnnxDataTypes.UInt64 when storage is long[]:
            {
                // Sparse indices of the integer types Prunus has no tensors of, widened to int64.
                var dst = (long[])storage;
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = onnxType switch
                    {
                        OnnxDataTypes.Int16 => BinaryPrimitives.ReadInt16LittleEndian(source.Slice(2 * i, 2)),
                        OnnxDataTypes.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(2 * i, 2)),
                        OnnxDataTypes.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(4 * i, 4)),
                        // Above long.MaxValue reads as negative, which the index checks reject.
                        _ => unchecked((long)BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(8 * i, 8))),
                    };
                return;
            }
            case (int)DataType.Bool:
            {
                // Any non-zero byte is true; copying the bytes as they are could create bool values other than 0 and 1.
                var dst = (bool[])storage;
                for (int i = 0; i < dst.Length; i++) dst[i] = source[i] != 0;
                return;
            }
            default:
                source.CopyTo(Bytes(storage));
                SwapIfBigEndian(storage);
                return;
        }
    }

    /// <summary>The elements of <paramref name="t"/> in ONNX's little-endian byte encoding (a new array).</summary>
    public static byte[] Encode(Tensor t)
    {
        if (t.Type is DataType.Int4 or DataType.UInt4) return PackFourBit(t);
        if (t.Type == DataType.Bool)
        {
            var src = t.Span<bool>();
            var bools = new byte[src.Length];
            for (int i = 0; i < src.Length; i++) bools[i] = src[i] ? (byte)1 : (byte)0;
            return bools;
        }
        byte[] bytes = t.Type switch
        {
            DataType.Float32 => MemoryMarshal.AsBytes(t.Span<float>()).ToArray(),
            DataType.Float64 => MemoryMarshal.AsBytes(t.Span<double>()).ToArray(),
            DataType.Int64 => MemoryMarshal.AsBytes(t.Span<long>()).ToArray(),
            DataType.Int32 => MemoryMarshal.AsBytes(t.Span<int>()).ToArray(),
            DataType.Int16 => MemoryMarshal.AsBytes(t.Span<short>()).ToArray(),
            DataType.UInt16 => MemoryMarshal.AsBytes(t.Span<ushort>()).ToArray(),
            DataType.Int8 => MemoryMarshal.AsBytes(t.Span<sbyte>()).ToArray(),
            DataType.UInt8 => t.Span<byte>().ToArray(),
            _ => throw new ModelException($"tensor {t} has a data type that cannot be written to ONNX"),
        };
        if (!BitConverter.IsLittleEndian) SwapInPlace(bytes, t.Type.SizeOf());
        return bytes;
    }

    /// <summary>The storage array viewed as bytes (machine order); bool storage excluded by callers.</summary>
    public static Span<byte> Bytes(Array storage) => storage switch
    {
        float[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        double[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        long[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        int[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        short[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        ushort[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        sbyte[] a => MemoryMarshal.AsBytes(a.AsSpan()),
        byte[] a => a,
        _ => throw new InvalidOperationException($"no byte view for {storage.GetType().Name}"),
    };

    /// <summary>Turns little-endian elements just copied into <paramref name="storage"/> into machine order.</summary>
    public static void SwapIfBigEndian(Array storage)
    {
        if (BitConverter.IsLittleEndian) return;
        int size = DataTypes.Of(storage).SizeOf();
        if (size > 1) SwapInPlace(Bytes(storage), size);
    }

    /// <summary>
    /// 4-bit elements packed two per byte, the first in the low nibble; with an odd count the last high nibble is 0.
    /// Values are taken modulo 16 (a Prunus Int4/UInt4 tensor holds them in range).
    /// </summary>
    public static byte[] PackFourBit(Tensor t)
    {
        var packed = new byte[(t.Length + 1) / 2];
        var values = t.Type == DataType.Int4 ? MemoryMarshal.AsBytes(t.Span<sbyte>()) : t.Span<byte>();
        for (int i = 0; i < values.Length; i++)
            packed[i >> 1] |= (byte)((values[i] & 0xF) << ((i & 1) * 4));
        return packed;
    }

    /// <summary>
    /// Unpacks two 4-bit elements per byte (low nibble first) into one per element of <paramref name="storage"/>
    /// (sbyte[] sign-extended when <paramref name="signed"/>, else byte[]).
    /// </summary>
    public static void UnpackFourBit(ReadOnlySpan<byte> source, bool signed, Array storage)
    {
        if (signed)
        {
            var dst = (sbyte[])storage;
            for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)((sbyte)(source[i >> 1] >> ((i & 1) * 4) << 4) >> 4);
        }
        else
        {
            var dst = (byte[])storage;
            for (int i = 0; i < dst.Length; i++) dst[i] = (byte)((source[i >> 1] >> ((i & 1) * 4)) & 0xF);
        }
    }

    /// <summary>bfloat16 is the upper half of a float32's bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    private static void SwapInPlace(Span<byte> bytes, int size)
    {
        for (int i = 0; i + size <= bytes.Length; i += size) bytes.Slice(i, size).Reverse();
    }
}
