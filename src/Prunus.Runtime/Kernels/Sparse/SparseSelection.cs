namespace Prunus.Kernels;

/// <summary>
/// The plan-time choice between dense and sparse kernels for a constant weight, from its actual zeros (whoever made
/// them) and the layer's shape. A sparse kernel costs about <c>c * stored entries</c> against the dense kernel's
/// <c>rows * columns</c>, so sparse wins below a crossover density that depends on the kind of product. The
/// crossovers were measured on a 2-core AMD EPYC (Zen 3, AVX2) with
/// <c>dotnet bench/Prunus.Benchmarks/bin/Release/net10.0/Prunus.Benchmarks.dll sparse-sweep --threads 1</c>, which
/// times dense and sparse kernels over densities 0.02 to 1 at LeNet-5, MLP and ResNet-like shapes (thread CPU time,
/// minimum of 41 repeats; docs/benchmarks.md has the table):
/// <list type="bullet">
/// <item>batch 1 (sparse dot products: about 2 nonzeros per ns with gathers, and a cost per row, against 14 dense
/// multiply-adds per ns): 0.05 to 0.12 in CSR, and up to 0.3 for exact 4x1 blocks; chosen by estimated time
/// (<see cref="GemvChoice"/>), which also picks the block layout on unstructured rows too short for CSR to pay;</item>
/// <item>batch 64 (vector over the batch): 0.3 to 0.42;</item>
/// <item>stride-1 convolutions with kernels above 1x1: sparse was faster even at density 1 (LeNet-5's 5x5 layers,
/// a 3x3 ResNet layer), so any weight with enough zeros runs sparse; 1x1: 0.5 (batch 1) to 0.85 (batch 64);</item>
/// <item>strided convolutions (im2col lowering per image): 0.3 to 0.4;</item>
/// <item>layers with fewer than 16 outputs, where the dense GEMM's tiles are mostly empty: sparse won up to 0.6
/// (batch 1, in the time estimate) and at any density (batch 64).</item>
/// </list>
/// The four-row block layout, measured on exact 4x1 blocks (<c>sparse-sweep --structured</c>), cost 0.24 to 0.42 of a
/// CSR nonzero per stored entry at batch 1 (one load of x feeds four rows), 0.52 to 0.66 in linear layers at batch 64,
/// and 0.63 to 0.86 in convolutions that sum over at least 64 taps, but 1.6 in LeNet-5's first layer (25 taps, where
/// its narrower tiles' overhead dominates). It is chosen when its stored entries, fill included, cost less than the
/// nonzeros do in CSR. Weights with fewer than <see cref="MinZeros"/> zeros always stay dense.
/// </summary>
public static class SparseSelection
{
    /// <summary>Fraction of zeros below which a weight is not considered sparse at all.</summary>
    public const double MinZeros = 0.05;

    /// <summary>Batch 1, estimated ns per dense multiply-add (packed GEMV), see <see cref="GemvChoice"/>.</summary>
    internal static double GemvDenseNs = 0.07;
    /// <summary>Batch 1, ns per CSR nonzero (gathers).</summary>
    internal static double GemvNonzeroNs = 0.6;
    /// <summary>Batch 1, ns per CSR row.</summary>
    internal static double GemvRowNs = 10;
    /// <summary>Batch 1, ns per stored entry of the four-row block layout.</summary>
    internal static double GemvBlockEntryNs = 0.17;
    /// <summary>Batch above 1 (transposed operand, vector over the batch).</summary>
    internal static double SpmmCrossover = 0.35;
    /// <summary>Layers with fewer outputs than this run sparse at any density at batch above 1.</summary>
    internal static int NarrowOutputs = 16;
    /// <summary>Stride-1 convolutions with kernels above 1x1 (shift lowering): any weight with enough zeros.</summary>
    internal static double ConvShiftCrossover = 1;
    /// <summary>1x1 stride-1 convolutions (the lowering is a copy; the dense GEMM needs none).</summary>
    internal static double ConvPointwiseCrossover = 0.5;
    /// <summary>Strided convolutions (im2col lowering).</summary>
    internal static double ConvIm2ColCrossover = 0.3;
    /// <summary>Cost of a stored entry of the four-row block layout relative to a CSR nonzero, linear layers at batch above 1.</summary>
    internal static double SpmmBlockCost = 0.6;
    /// <summary>The same for convolutions summing over at least <see cref="ConvBlockTaps"/> taps; below, <see cref="ConvShortBlockCost"/>.</summary>
    internal static double ConvBlockCost = 0.8;
    internal static int ConvBlockTaps = 64;
    internal static double ConvShortBlockCost = 1.5;

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
        if (m == 1)
        {
            var choice = GemvChoice(rows);
            return choice is { } l ? new SparseLinear(m, k, n, transA, rows, l) { Activation = activation } : null;
        }
        var layout = Layout(rows, SpmmBlockCost, out double cost);
        double crossover = n < NarrowOutputs ? 1 : SpmmCrossover;
        return cost <= crossover ? new SparseLinear(m, k, n, transA, rows, layout) { Activation = activation } : null;
    }

    /// <summary>A sparse convolution for <paramref name="g"/> with weight <paramref name="w"/> when sparse enough, else null.</summary>
    public static SparseConvolution? ForConvolution(ConvGeometry g, ReadOnlySpan<float> w, FusedActivation activation = default)
    {
        if (!Enabled || !SparseConvolution.Supports(g) || !HasZeros(w) && !DirectForDense(g)) return null;
        var rows = SparseConvolution.RowsOf(g, w);
        var layout = Layout(rows, g.GroupColRows >= ConvBlockTaps ? ConvBlockCost : ConvShortBlockCost, out double cost);
        double crossover = g.KH * g.KW == 1 ? ConvPointwiseCrossover
            : SparseConvolution.ChooseLowering(g) == SparseLowering.Im2Col ? ConvIm2ColCrossover : ConvShiftCrossover;
        return cost <= crossover ? new SparseConvolution(g, rows, layout) { Activation = activation } : null;
    }

    /// <summary>
    /// Batch 1: the layout with the lowest estimated time, or null when the dense kernel's is lower. Estimates in ns
    /// from the single-thread sweep: dense GEMV 0.07 per multiply-add over outputs rounded up to its 16-column panels,
    /// plus 1000 per call; CSR 0.6 per nonzero plus 10 per row (the row's horizontal sum and scalar tail) plus 300 per
    /// call; four-row blocks 0.17 per stored entry plus 300 per call.
    /// </summary>
    internal static SparseLayout? GemvChoice(SparseRows s)
    {
        double dense = GemvDenseNs * s.Cols * ((s.Rows + 15) / 16 * 16) + 1000;
        double csr = GemvNonzeroNs * s.NonZeros + GemvRowNs * s.Rows + 300;
        double block = GemvBlockEntryNs * s.NonZeros * SparsePattern.RowBlockFill(s, 4) + 300;
        if (Math.Min(csr, block) >= dense) return null;
        return block < csr ? SparseLayout.Block4 : SparseLayout.Csr;
    }

    /// <summary>
    /// Whether a dense weight still runs on the direct kernel (each tap a multiply-add over a contiguous run of the
    /// image, weights in four-row blocks) rather than im2col and the GEMM: kernels above 1x1, stride 1 or output rows of
    /// at least a vector (read from the image's stride phases), and images
    /// small enough that the shifted copies or rows stay in cache. Measured with `conv-timing --direct` (AMD EPYC,
    /// AVX2, two threads; im2col+GEMM against direct, microseconds at batch 1 / milliseconds at batch 64):
    /// 32x14x14->32 3x3 75/44 us, 8.2/2.4 ms; 64x7x7->64 112/59 us, 3.6/2.8 ms; 44x7x7->48 67/31 us, 2.0/1.5 ms;
    /// 64x56x56->64 3.4/4.3 ms, 214/162 ms; 128x28x28->128 3.0/3.1 ms, 128/138 ms; 256x14x14->256 3.8/2.8 ms,
    /// 192/189 ms (one thread: 4.3/5.4 and 246/343 ms). In whole models (resnet-8, batch 64) its 3x3 layers went
    /// from 3.6-4.5 ms to 1.9-2.8 ms each. Above <see cref="DirectDenseImage"/> input floats the GEMM stays.
    /// </summary>
    internal static bool DirectForDense(ConvGeometry g) => g.KH * g.KW > 1 && SparseConvolution.ChooseLowering(g) != SparseLowering.Im2Col
        && (long)g.C * (g.H + g.PadTop + g.PadBottom) * (g.W + g.PadLeft + g.PadRight) <= DirectDenseImage;

    /// <summary>Largest padded input image (floats) that a dense weight runs on the direct kernel.</summary>
    internal static long DirectDenseImage = 64 << 10;

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
