namespace Prunus.Kernels;

/// <summary>
/// The plan-time choice between dense and sparse kernels for a constant weight, from its actual zeros (whoever made
/// them) and the layer's shape. A sparse kernel costs about <c>c * stored entries</c> against the dense kernel's
/// <c>rows * columns</c>, so sparse wins below a crossover density that depends on the kind of product; the
/// crossovers below were measured with <c>dotnet bench/Prunus.Benchmarks/bin/Release/net10.0/Prunus.Benchmarks.dll
/// sparse-sweep</c> (dense against sparse over densities and the LeNet-5, MLP and ResNet-like shapes, 1 and 2 threads;
/// see docs/benchmarks.md). Weights with fewer than <see cref="MinZeros"/> zeros always stay dense.
/// </summary>
public static class SparseSelection
{
    /// <summary>Fraction of zeros below which a weight is not considered sparse at all.</summary>
    public const double MinZeros = 0.05;

    /// <summary>Batch 1 (sparse dot products): sparse below this density (CSR; the block layout is compared by its fill).</summary>
    internal static double GemvCrossover = 0.3;
    /// <summary>Batch above 1 (transposed operand, vector over the batch).</summary>
    internal static double SpmmCrossover = 0.4;
    /// <summary>Stride-1 convolutions (shift lowering).</summary>
    internal static double ConvShiftCrossover = 0.95;
    /// <summary>Strided convolutions (im2col lowering).</summary>
    internal static double ConvIm2ColCrossover = 0.5;
    /// <summary>Cost of a stored entry of the four-row block layout relative to a CSR nonzero, batch 1 (one load of x feeds four rows).</summary>
    internal static double GemvBlockCost = 0.35;
    /// <summary>The same for the tiled products (one load of X feeds four multiply-adds, but the fill's are real).</summary>
    internal static double SpmmBlockCost = 0.8;

    /// <summary>Whether sparse kernels may be chosen at all (false: every layer stays dense, for comparisons).</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("PRUNUS_SPARSE") != "0";

    /// <summary>
    /// A sparse layer for y[M, N] = op(A)[M, K] * alpha op(B)[K, N] when its weight B is sparse enough for the shape,
    /// else null (dense is faster).
    /// </summary>
    public static SparseLinear? ForLinear(int m, int k, int n, ReadOnlySpan<float> b, bool transB, float alpha, bool transA,
        FusedActivation activation = default)
    {
        if (!Enabled || m < 1 || (long)k * n == 0 || !HasZeros(b)) return null;
        var rows = SparseRows.FromDense(b, n, k, transB ? k : n, transposed: !transB, scale: alpha);
        var layout = Layout(rows, m == 1 ? GemvBlockCost : SpmmBlockCost, out double cost);
        return cost <= (m == 1 ? GemvCrossover : SpmmCrossover) ? new SparseLinear(m, k, n, transA, rows, layout) { Activation = activation } : null;
    }

    /// <summary>A sparse convolution for <paramref name="g"/> with weight <paramref name="w"/> when sparse enough, else null.</summary>
    public static SparseConvolution? ForConvolution(ConvGeometry g, ReadOnlySpan<float> w, FusedActivation activation = default)
    {
        if (!Enabled || !SparseConvolution.Supports(g) || !HasZeros(w)) return null;
        var rows = SparseConvolution.RowsOf(g, w);
        var layout = Layout(rows, SpmmBlockCost, out double cost);
        double crossover = g.StrideH == 1 && g.StrideW == 1 ? ConvShiftCrossover : ConvIm2ColCrossover;
        return cost <= crossover ? new SparseConvolution(g, rows, layout) { Activation = activation } : null;
    }

    /// <summary>True when at least <see cref="MinZeros"/> of the weight is zero.</summary>
    private static bool HasZeros(ReadOnlySpan<float> w) => !w.IsEmpty && SparseRows.CountNonZeros(w) <= (1 - MinZeros) * w.Length;

    /// <summary>
    /// The cheaper layout for <paramref name="s"/> and its cost as an equivalent CSR density: the four-row blocks when
    /// their stored entries (fill included) times <paramref name="blockCost"/> undercut the nonzeros.
    /// </summary>
    private static SparseLayout Layout(SparseRows s, double blockCost, out double cost)
    {
        double density = s.Density;
        double fill = SparsePattern.RowBlockFill(s, 4);
        double block = density * fill * blockCost;
        cost = Math.Min(density, block);
        return block < density ? SparseLayout.Block4 : SparseLayout.Csr;
    }
}
