namespace Prunus.Kernels;

/// <summary>Which way a fused GEMM bias runs: one value per output column (length N) or per output row (length M).</summary>
public enum GemmBias
{
    /// <summary>No bias.</summary>
    None,
    /// <summary>bias[j] is added to every element of column j (a dense layer's bias: Y[M,N] = X W + b[N]).</summary>
    PerColumn,
    /// <summary>bias[i] is added to every element of row i (a lowered convolution's bias: Y[K, HW] = W X + b[K]).</summary>
    PerRow,
}

/// <summary>
/// Work fused into the last pass over C, so that Gemm + bias (+ Relu) reads and writes C once:
/// C = relu?(alpha * op(A) * op(B) + beta * C + bias). The bias span is only read during the call.
/// </summary>
public readonly ref struct GemmEpilogue
{
    /// <summary>Bias values: length N for <see cref="GemmBias.PerColumn"/>, M for <see cref="GemmBias.PerRow"/>.</summary>
    public ReadOnlySpan<float> Bias { get; }
    /// <summary>How <see cref="Bias"/> is broadcast.</summary>
    public GemmBias Kind { get; }
    /// <summary>Whether max(x, 0) is applied after the bias.</summary>
    public bool Relu { get; }

    /// <summary>An epilogue with the given bias (may be empty with <see cref="GemmBias.None"/>) and optional Relu.</summary>
    public GemmEpilogue(GemmBias kind, ReadOnlySpan<float> bias, bool relu)
    {
        Kind = kind;
        Bias = bias;
        Relu = relu;
    }

    /// <summary>Nothing fused: plain GEMM.</summary>
    public static GemmEpilogue None => default;

    /// <summary>Adds bias[j] to column j, then optionally Relu.</summary>
    public static GemmEpilogue ColumnBias(ReadOnlySpan<float> bias, bool relu = false) => new(GemmBias.PerColumn, bias, relu);

    /// <summary>Adds bias[i] to row i, then optionally Relu.</summary>
    public static GemmEpilogue RowBias(ReadOnlySpan<float> bias, bool relu = false) => new(GemmBias.PerRow, bias, relu);

    /// <summary>Only Relu, no bias.</summary>
    public static GemmEpilogue ReluOnly => new(GemmBias.None, default, true);
}
