namespace Prunus.Kernels;

/// <summary>
/// Where each element of a tensor finds its scale and zero point in linear quantization. The tensor is viewed as
/// [Outer, AxisLength, Inner] around the quantization axis; element (o, a, i) uses parameter
/// o·OuterStride + (a / BlockSize)·AxisStride + i·InnerStride. Per-tensor: every stride 0. Per-axis: AxisStride 1.
/// Blocked (parameters of shape [.., ceil(AxisLength / BlockSize), ..]): OuterStride = blocks·Inner, AxisStride = Inner,
/// InnerStride 1.
/// </summary>
public readonly record struct QuantizationLayout(int Outer, int AxisLength, int Inner, int BlockSize, int OuterStride, int AxisStride, int InnerStride)
{
    /// <summary>Elements of the tensor.</summary>
    public int Length => Outer * AxisLength * Inner;

    /// <summary>Number of scale (and zero point) values the layout reads.</summary>
    public int ParameterCount => OuterStride == 0 ? (AxisStride == 0 ? 1 : AxisLength) : Outer * OuterStride;

    /// <summary>One scale for all <paramref name="length"/> elements.</summary>
    public static QuantizationLayout PerTensor(int length) => new(1, 1, length, 1, 0, 0, 0);

    /// <summary>One scale per index of <paramref name="axis"/> (already in [0, rank)) of <paramref name="shape"/>.</summary>
    public static QuantizationLayout PerAxis(int[] shape, int axis)
    {
        var (outer, d, inner) = Split(shape, axis);
        return new(outer, d, inner, 1, 0, 1, 0);
    }

    /// <summary>One scale per block of <paramref name="blockSize"/> consecutive indices of <paramref name="axis"/>, per position of the other axes.</summary>
    public static QuantizationLayout Blocked(int[] shape, int axis, int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), "block size must be positive");
        var (outer, d, inner) = Split(shape, axis);
        int blocks = (d + blockSize - 1) / blockSize;
        return new(outer, d, inner, blockSize, blocks * inner, inner, 1);
    }

    /// <summary>The parameter index of flat element <paramref name="index"/>.</summary>
    public int ParameterIndex(int index)
    {
        int i = index % Inner, rest = index / Inner;
        int a = rest % AxisLength, o = rest / AxisLength;
        return o * OuterStride + a / BlockSize * AxisStride + i * InnerStride;
    }

    private static (int Outer, int D, int Inner) Split(int[] shape, int axis)
    {
        if ((uint)axis >= (uint)shape.Length) throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is outside a shape of rank {shape.Length}");
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }
}
