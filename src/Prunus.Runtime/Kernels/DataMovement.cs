using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>
/// Element moves for shape ops (transpose, slice, concat, split), for every element type. Moves never look at values,
/// so they work on the storage reinterpreted by element width (1, 4 or 8 bytes) instead of once per element type.
/// </summary>
public static class DataMovement
{
    /// <summary>The elements of <paramref name="t"/> reinterpreted as <typeparamref name="T"/>, which must have the element's width.</summary>
    public static Span<T> As<T>(Tensor t) where T : unmanaged
    {
        Debug.Assert(Unsafe.SizeOf<T>() == t.Type.SizeOf(), "element width mismatch");
        ref byte first = ref MemoryMarshal.GetArrayDataReference(t.Storage);
        return MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref Unsafe.Add(ref first, (nint)t.Offset * Unsafe.SizeOf<T>())), t.Length);
    }

    /// <summary>The bytes of <paramref name="t"/>'s elements.</summary>
    public static Span<byte> Bytes(Tensor t)
    {
        int size = t.Type.SizeOf();
        ref byte first = ref MemoryMarshal.GetArrayDataReference(t.Storage);
        return MemoryMarshal.CreateSpan(ref Unsafe.Add(ref first, (nint)t.Offset * size), t.Length * size);
    }

    /// <summary>
    /// Simplifies a strided walk: drops size-1 dimensions and merges neighbours that are contiguous in the source
    /// (stride[d] == stride[d+1] * shape[d+1]). The walk visits the same elements in the same order.
    /// </summary>
    public static (int[] Shape, int[] Strides) Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        var s = new List<int>(shape.Length);
        var st = new List<int>(shape.Length);
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return ([0], [1]);
            if (shape[d] == 1) continue;
            if (s.Count > 0 && st[^1] == strides[d] * shape[d]) { s[^1] *= shape[d]; st[^1] = strides[d]; }
            else { s.Add(shape[d]); st.Add(strides[d]); }
        }
        return (s.ToArray(), st.ToArray());
    }

    /// <summary>
    /// dst[j] = src[offset + Σ i_d * strides[d]], where (i_0..i_{r-1}) is the row-major index of j in <paramref name="shape"/>:
    /// transpose and slice with any steps. Works on any element type of equal type in src and dst.
    /// </summary>
    public static void Gather(Tensor src, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Tensor dst)
    {
        switch (src.Type.SizeOf())
        {
            case 1: Gather(As<byte>(src), offset, shape, strides, As<byte>(dst)); break;
            case 2: Gather(As<short>(src), offset, shape, strides, As<short>(dst)); break;
            case 4: Gather(As<int>(src), offset, shape, strides, As<int>(dst)); break;
            case 8: Gather(As<long>(src), offset, shape, strides, As<long>(dst)); break;
            default: throw new NotSupportedException($"element width {src.Type.SizeOf()} of {src.Type}");
        }
    }

    /// <summary>The strided gather of <see cref="Gather(Tensor, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Tensor)"/> on typed spans.</summary>
    public static void Gather<T>(ReadOnlySpan<T> src, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<T> dst) where T : unmanaged
    {
        int total = dst.Length;
        if (total == 0) return;
        int rank = shape.Length;
        if (rank == 0) { dst[0] = src[offset]; return; }
        int inner = shape[rank - 1], innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int s = offset;
        for (int j = 0; j < total; j += inner)
        {
            if (innerStride == 1) src.Slice(s, inner).CopyTo(dst.Slice(j, inner));
            else
            {
                var row = dst.Slice(j, inner);
                for (int k = 0, p = s; k < row.Length; k++, p += innerStride) row[k] = src[p];
            }
            s = Advance(index, shape, strides, s);
        }
    }

    /// <summary>dst[offset + Σ i_d * strides[d]] += src[j]: the gradient of <see cref="Gather{T}"/> (positions must be distinct).</summary>
    public static void ScatterAdd(ReadOnlySpan<float> src, Span<float> dst, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int total = src.Length;
        if (total == 0) return;
        int rank = shape.Length;
        if (rank == 0) { dst[offset] += src[0]; return; }
        int inner = shape[rank - 1], innerStride = strides[rank - 1];
        Span<int> index = stackalloc int[rank];
        int s = offset;
        for (int j = 0; j < total; j += inner)
        {
            if (innerStride == 1) Elementwise.AddInPlace(dst.Slice(s, inner), src.Slice(j, inner));
            else
            {
                var row = src.Slice(j, inner);
                for (int k = 0, p = s; k < row.Length; k++, p += innerStride) dst[p] += row[k];
            }
            s = Advance(index, shape, strides, s);
        }
    }

    /// <summary>Scalar reference of the strided gather: each element's source position computed from scratch.</summary>
    public static void GatherReference<T>(ReadOnlySpan<T> src, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<T> dst) where T : unmanaged
    {
        for (int j = 0; j < dst.Length; j++) dst[j] = src[SourceIndex(j, offset, shape, strides)];
    }

    /// <summary>Scalar reference of <see cref="ScatterAdd"/>.</summary>
    public static void ScatterAddReference(ReadOnlySpan<float> src, Span<float> dst, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        for (int j = 0; j < src.Length; j++) dst[SourceIndex(j, offset, shape, strides)] += src[j];
    }

    private static int SourceIndex(int j, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int p = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            p += j % shape[d] * strides[d];
            j /= shape[d];
        }
        return p;
    }

    // Steps the odometer over all but the innermost dimension; returns the new source position.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Advance(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int s)
    {
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            s += strides[d];
            if (++index[d] < shape[d]) return s;
            s -= strides[d] * shape[d];
            index[d] = 0;
        }
        return s;
    }

    /// <summary>
    /// For o in [0, outer): copies <paramref name="block"/> elements from src[o*srcStride + srcStart] to dst[o*dstStride + dstStart].
    /// Concat and Split are this, per input or output. Spans may be bytes (element counts then scaled by width).
    /// </summary>
    public static void CopyBlocks<T>(ReadOnlySpan<T> src, int srcStride, int srcStart, Span<T> dst, int dstStride, int dstStart, int outer, int block)
    {
        if (block == 0) return;
        for (int o = 0; o < outer; o++)
            src.Slice(o * srcStride + srcStart, block).CopyTo(dst.Slice(o * dstStride + dstStart, block));
    }

    /// <summary>As <see cref="CopyBlocks{T}"/> but dst += src: the gradient of a block copy.</summary>
    public static void AddBlocks(ReadOnlySpan<float> src, int srcStride, int srcStart, Span<float> dst, int dstStride, int dstStart, int outer, int block)
    {
        if (block == 0) return;
        for (int o = 0; o < outer; o++)
            Elementwise.AddInPlace(dst.Slice(o * dstStride + dstStart, block), src.Slice(o * srcStride + srcStart, block));
    }
}
