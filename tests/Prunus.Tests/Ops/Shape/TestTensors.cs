using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Ops.Shape;

/// <summary>Small builders for shape-op tests: sequences of every element type and plain reference walks.</summary>
internal static class TestTensors
{
    /// <summary>Float tensor 0, 1, 2, ... of the given shape.</summary>
    public static Tensor Seq(params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < t.Length; i++) t.Floats[i] = i;
        return t;
    }

    /// <summary>Int64 tensor 0, 1, 2, ... (offset by a large value so that the high bytes matter).</summary>
    public static Tensor SeqLong(params int[] shape)
    {
        var t = Tensor.Zeros(DataType.Int64, shape);
        for (int i = 0; i < t.Length; i++) t.Span<long>()[i] = (1L << 40) + i;
        return t;
    }

    /// <summary>A tensor of <paramref name="type"/> whose element i encodes i (modulo the type's range).</summary>
    public static Tensor SeqOf(DataType type, params int[] shape)
    {
        var t = Tensor.Zeros(type, shape);
        for (int i = 0; i < t.Length; i++)
            switch (type)
            {
                case DataType.Float32: t.Floats[i] = i; break;
                case DataType.Int64: t.Span<long>()[i] = (1L << 40) + i; break;
                case DataType.Int32: t.Span<int>()[i] = 100000 + i; break;
                case DataType.Int8: t.Span<sbyte>()[i] = (sbyte)(i % 200 - 100); break;
                case DataType.UInt8: t.Span<byte>()[i] = (byte)(i % 251); break;
                case DataType.Bool: t.Span<bool>()[i] = i % 3 == 1; break;
                default: throw new NotSupportedException(type.ToString());
            }
        return t;
    }

    public static Tensor Longs(params long[] values) => Tensor.From(values, values.Length);

    public static AttributeValue Ints(params long[] values) => AttributeValue.Of(values);

    /// <summary>Elements of any tensor as doubles, for comparisons across types.</summary>
    public static double[] Values(Tensor t) => Enumerable.Range(0, t.Length).Select(t.GetAsDouble).ToArray();

    /// <summary>Plain transpose by index arithmetic: output axis d is input axis perm[d].</summary>
    public static double[] Transpose(double[] x, int[] shape, int[] perm)
    {
        var outShape = perm.Select(p => shape[p]).ToArray();
        var inStrides = ShapeMath.Strides(shape);
        var y = new double[x.Length];
        for (int j = 0; j < y.Length; j++)
        {
            int rem = j, src = 0;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                src += rem % outShape[d] * inStrides[perm[d]];
                rem /= outShape[d];
            }
            y[j] = x[src];
        }
        return y;
    }

    public static readonly DataType[] AllTypes = [DataType.Float32, DataType.Int64, DataType.Int32, DataType.Int8, DataType.UInt8, DataType.Bool];

    public static TheoryData<DataType> TypeData()
    {
        var d = new TheoryData<DataType>();
        foreach (var t in AllTypes) d.Add(t);
        return d;
    }
}
