using System.Runtime.InteropServices;
using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>The elements of a tensor as raw bytes, for the integer kernels (which read int8 and uint8 alike and write bytes, int32 or float).</summary>
public static class TensorBytes
{
    /// <summary>The tensor's elements as bytes (uint8, int8, int32 or float32 storage).</summary>
    public static Span<byte> Bytes(this Tensor t) => t.Storage switch
    {
        byte[] => t.Span<byte>(),
        sbyte[] => MemoryMarshal.AsBytes(t.Span<sbyte>()),
        float[] => MemoryMarshal.AsBytes(t.Floats),
        int[] => MemoryMarshal.AsBytes(t.Span<int>()),
        _ => throw new NotSupportedException($"{t.Type} tensors have no byte view for the integer kernels"),
    };
}
