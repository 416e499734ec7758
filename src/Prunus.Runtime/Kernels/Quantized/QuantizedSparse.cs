using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>A dense integer layer whose constant weights are mostly zero (placeholder: never chosen yet).</summary>
public sealed class QuantizedSparseLinear
{
    internal static QuantizedSparseLinear? Choose(int m, int k, int n, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool transB, bool inputSigned, int inputZero, QuantizedOutput output) => null;

    public string Describe() => "qsparse";

    public void SetInputZero(int zero) { }

    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool) => throw new NotSupportedException();
}

/// <summary>An integer convolution whose constant weights are mostly zero (placeholder: never chosen yet).</summary>
public sealed class QuantizedSparseConvolution
{
    internal static QuantizedSparseConvolution? Choose(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output) => null;

    public string Describe() => "qsparse";

    public void SetInputZero(int zero) { }

    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool) => throw new NotSupportedException();
}
