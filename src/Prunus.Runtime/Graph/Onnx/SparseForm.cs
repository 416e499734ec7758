using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>Splits a dense tensor into its non-zero values and their linear indices (ONNX's [NNZ] sparse form).</summary>
internal static class SparseForm
{
    /// <summary>Values [NNZ] of the tensor's type and int64 indices [NNZ] in ascending order.</summary>
    public static (Tensor Values, Tensor Indices) Of(Tensor t) => t.Type switch
    {
        DataType.Float32 => Of(t.Span<float>()),
        DataType.Float64 => Of(t.Span<double>()),
        DataType.Int64 => Of(t.Span<long>()),
        DataType.Int32 => Of(t.Span<int>()),
        DataType.Int8 => Of(t.Span<sbyte>()),
        DataType.UInt8 => Of(t.Span<byte>()),
        DataType.Bool => Of(t.Span<bool>()),
        _ => throw new ModelException($"tensor {t} has a data type that cannot be written to ONNX"),
    };

    private static (Tensor, Tensor) Of<T>(ReadOnlySpan<T> data) where T : unmanaged, IEquatable<T>
    {
        // Equals treats -0.0 as zero and keeps NaN, which is what "non-zero" should mean here.
        int nnz = 0;
        foreach (var v in data) if (!v.Equals(default)) nnz++;
        var values = new T[nnz];
        var indices = new long[nnz];
        int k = 0;
        for (int i = 0; i < data.Length; i++)
        {
            if (data[i].Equals(default)) continue;
            values[k] = data[i];
            indices[k++] = i;
        }
        return (Tensor.From(values, nnz), Tensor.From(indices, nnz));
    }
}
