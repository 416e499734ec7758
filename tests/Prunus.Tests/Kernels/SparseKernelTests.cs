using Prunus.Kernels;
using Prunus.Tests.Support;
using Prunus.Threading;

namespace Prunus.Tests.Kernels;

/// <summary>
/// Every sparse kernel against a plain reference: the SIMD tiles against their scalar references at the standard
/// lengths, and the layers (linear, convolution) against the dense double-precision product at random shapes and at
/// densities 0%, 1%, 10%, 50% and 100%, in both layouts, with and without threads.
/// </summary>
[Trait("Category", "Kernel")]
public unsafe class SparseKernelTests
{
    private static readonly WorkerPool Two = new(2);

    public static readonly double[] Densities = [0, 0.01, 0.1, 0.5, 1];

    /// <summary>A rows x cols matrix whose entries are nonzero with probability <paramref name="density"/>.</summary>
    internal static float[] SparseMatrix(int seed, int rows, int cols, double density)
    {
        var rng = new Random(seed);
        var a = new float[rows * cols];
        for (int i = 0; i < a.Length; i++)
            if (rng.NextDouble() < density) a[i] = (float)(rng.NextDouble() * 2 - 1) + (rng.Next(2) == 0 ? 0.01f : -0.01f);
        return a;
    }

    internal static float[] Fill(int seed, int n)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    /// <summary>|expected - actual| within 1e-5 of the larger of |expected| and the sum of the magnitudes of its terms.</summary>
    private static void Near(float expected, float actual, double magnitude, string what)
    {
        double tol = 1e-5 * Math.Max(Math.Abs(expected), magnitude) + 1e-6;
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:G9}, got {actual:G9}");
    }

    public static TheoryData<int, SparseLayout> LengthData()
    {
        var d = new TheoryData<int, SparseLayout>();
        foreach (var n in TensorAssert.Sizes)
            foreach (var layout in new[] { SparseLayout.Csr, SparseLayout.Block4 }) d.Add(n, layout);
        return d;
    }

    /// <summary>The register tiles against their scalar reference over L = the standard lengths, bias, residual and Relu.</summary>
    [Theory]
    [MemberData(nameof(LengthData))]
    public void Tiles_match_scalar_reference(int length, SparseLayout layout)
    {
        const int rows = 7, depth = 13;
        var s = SparseRows.FromDense(SparseMatrix(length + 1, rows, depth, 0.4), rows, depth, depth);
        int ld = length + 3;
        var op = SparseOperand.Create(s, layout, d => d * ld);
        int w = System.Numerics.Vector<float>.Count;
        var x = Fill(2, depth * ld + w);
        var bias = Fill(3, rows);
        var res = Fill(4, rows * ld);
        foreach (bool relu in new[] { false, true })
            foreach (bool residual in new[] { false, true })
            {
                var fast = new float[rows * ld];
                var slow = new float[rows * ld];
                Array.Fill(fast, 99f);
                Array.Fill(slow, 99f);
                fixed (float* px = x, pb = bias, pr = res, pf = fast, ps = slow)
                {
                    var a = new SpmmArgs { X = px, Y = pf, Ldy = ld, RowBias = pb, Residual = residual ? pr : null, LdRes = ld, Relu = relu };
                    op.Run(a, 0, op.Units, 0, length);
                    a.Y = ps;
                    op.RunReference(a, 0, op.Units, 0, length);
                }
                for (int i = 0; i < fast.Length; i++)
                    Near(slow[i], fast[i], 13 * 2, $"{layout} L={length} relu={relu} res={residual} [{i}]");
                // Columns past L are never written.
                for (int r = 0; r < rows; r++)
                    for (int l = length; l < ld; l++) Assert.Equal(99f, fast[r * ld + l]);
            }
    }

    [Theory]
    [MemberData(nameof(LengthData))]
    public void Gemv_matches_scalar_reference(int depth, SparseLayout layout)
    {
        const int rows = 11;
        var s = SparseRows.FromDense(SparseMatrix(depth + 5, rows, depth, 0.6), rows, depth, Math.Max(depth, 1));
        var op = SparseOperand.Create(s, layout, d => d);
        var x = Fill(6, Math.Max(depth, 1));
        var bias = Fill(7, rows);
        foreach (bool relu in new[] { false, true })
        {
            var fast = new float[rows];
            var slow = new float[rows];
            fixed (float* px = x, pb = bias, pf = fast, ps = slow)
            {
                if (layout == SparseLayout.Block4) SparseGemv.Block4(op, px, 0, op.Units, pf, pb, relu);
                else SparseGemv.Csr(op, px, 0, op.Units, pf, pb, relu);
                SparseGemv.Reference(op, px, 0, op.Units, ps, pb, relu);
            }
            for (int i = 0; i < rows; i++) Near(slow[i], fast[i], depth + 1, $"{layout} D={depth} relu={relu} [{i}]");
        }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Transpose_matches_reference(int n)
    {
        foreach (var (rows, cols) in new[] { (n, 9), (17, n), (8, n) })
        {
            var src = Fill(n, rows * cols + 1);
            var fast = new float[cols * (rows + 2)];
            var slow = new float[cols * (rows + 2)];
            fixed (float* ps = src, pf = fast, pr = slow)
            {
                BlockTranspose.Run(ps, rows, cols, cols, pf, rows + 2);
                BlockTranspose.Reference(ps, rows, cols, cols, pr, rows + 2);
            }
            Assert.Equal(slow, fast);
        }
    }

    public static TheoryData<double, SparseLayout> DensityData()
    {
        var d = new TheoryData<double, SparseLayout>();
        foreach (var density in Densities)
            foreach (var layout in new[] { SparseLayout.Csr, SparseLayout.Block4 }) d.Add(density, layout);
        return d;
    }

    /// <summary>Sparse linear layers against the dense double-precision product, over random shapes and batches.</summary>
    [Theory]
    [MemberData(nameof(DensityData))]
    public void Linear_matches_dense(double density, SparseLayout layout)
    {
        var rng = new Random((int)(density * 1000) + (int)layout);
        foreach (int m in new[] { 1, 3, 64, 70 })
            for (int trial = 0; trial < 2; trial++)
            {
                int k = rng.Next(1, 90), n = rng.Next(1, 75);
                bool transA = rng.Next(2) == 0, transB = rng.Next(2) == 0;
                var b = SparseMatrix(rng.Next(), transB ? n : k, transB ? k : n, density);
                var a = Fill(rng.Next(), m * k);
                var bias = Fill(rng.Next(), n);
                float alpha = trial == 0 ? 1 : 0.5f;
                var act = trial == 0 ? FusedActivation.None : rng.Next(2) == 0 ? new FusedActivation(ActivationKind.Relu) : new FusedActivation(ActivationKind.Tanh);
                var expected = new float[m * n];
                Gemm.Reference(transA, transB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, 0, expected, n);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) expected[i * n + j] += bias[j];
                act.ApplyReference(expected);
                foreach (var pool in new WorkerPool?[] { null, Two })
                {
                    var layer = new SparseLinear(m, k, n, b, transB, alpha, transA, layout) { Activation = act };
                    var actual = new float[m * n];
                    layer.Forward(a, bias, actual, pool);
                    string what = $"{layout} d={density} m={m} k={k} n={n} tA={transA} tB={transB} {act}";
                    for (int i = 0; i < expected.Length; i++) Near(expected[i], actual[i], k * 0.5, what + $" [{i}]");
                }
            }
    }

    /// <summary>
    /// Sparse convolutions against the dense reference convolution: every lowering (stride-1 ones both as shifted
    /// copies and read by rows, in place or padded, with partial last vectors and planes taller than a tile), groups,
    /// pads, dilation, residual, whole images per thread and images split over threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(DensityData))]
    public void Convolution_matches_dense(double density, SparseLayout layout)
    {
        var rng = new Random((int)(density * 1000) + 7 * (int)layout);
        ConvGeometry[] shapes =
        [
            Geometry(1, 1, 12, 11, 6, 5, 5, 1, 0, 1, 1),
            Geometry(3, 4, 9, 10, 8, 3, 3, 1, 1, 1, 2),
            Geometry(2, 6, 11, 9, 5, 3, 2, 2, 1, 1, 1),
            Geometry(1, 5, 7, 7, 9, 1, 1, 1, 0, 1, 1),
            Geometry(9, 3, 8, 8, 4, 3, 3, 1, 2, 2, 1),
            Geometry(1, 2, 1, 30, 3, 1, 4, 1, 1, 1, 1),
            Geometry(2, 6, 12, 20, 10, 5, 5, 1, 0, 1, 1),
            Geometry(1, 8, 20, 19, 8, 3, 3, 1, 1, 1, 1),
            Geometry(1, 3, 10, 12, 4, 3, 5, 1, 0, 1, 1),
            Geometry(2, 4, 28, 28, 6, 3, 3, 2, 1, 1, 1),
            Geometry(1, 5, 21, 35, 9, 3, 3, 2, 1, 1, 1),
            Geometry(1, 4, 31, 33, 6, 5, 5, 3, 2, 1, 2),
            Geometry(1, 6, 19, 17, 7, 3, 3, 2, 0, 2, 1),
        ];
        foreach (var g in shapes)
        {
            var w = SparseMatrix(rng.Next(), g.K, g.GroupColRows, density);
            var x = Fill(rng.Next(), g.N * g.C * g.InPlane);
            var bias = Fill(rng.Next(), g.K);
            var res = Fill(rng.Next(), g.N * g.K * g.OutPlane);
            var expected = new float[g.N * g.K * g.OutPlane];
            ConvolutionReference.Forward(g, x, w, bias, expected);
            foreach (bool residual in new[] { false, true })
            {
                var act = residual ? new FusedActivation(ActivationKind.Relu) : new FusedActivation(ActivationKind.Sigmoid);
                var want = (float[])expected.Clone();
                if (residual) for (int i = 0; i < want.Length; i++) want[i] += res[i];
                act.ApplyReference(want);
                foreach (var pool in new WorkerPool?[] { null, Two })
                foreach (bool rowsAllowed in new[] { false, true })
                {
                    var conv = new SparseConvolution(g, SparseConvolution.RowsOf(g, w), layout, rowsAllowed) { Activation = act };
                    Assert.Equal(SparseConvolution.ChooseLowering(g, rowsAllowed), conv.Lowering);
                    var actual = new float[want.Length];
                    conv.Forward(x, bias, residual ? res : default, actual, pool);
                    string what = $"{layout} d={density} {g} res={residual} {conv.Describe()}";
                    for (int i = 0; i < want.Length; i++) Near(want[i], actual[i], g.GroupColRows * 0.5, what + $" [{i}]");
                }
            }
        }
    }

    internal static ConvGeometry Geometry(int n, int c, int h, int w, int k, int kh, int kw, int stride, int pad, int dilation, int groups)
    {
        int oh = ConvGeometry.OutputSize(h, kh, stride, dilation, pad, pad), ow = ConvGeometry.OutputSize(w, kw, stride, dilation, pad, pad);
        return new ConvGeometry
        {
            N = n, C = c, H = h, W = w, K = k, Groups = groups, KH = kh, KW = kw, StrideH = stride, StrideW = stride,
            DilationH = dilation, DilationW = dilation, PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad, OH = oh, OW = ow,
        };
    }

    [Fact]
    public void Pattern_finds_n_of_m_blocks_and_runs()
    {
        // 2:4: two of every four columns kept in every row.
        var nm = new float[8 * 16];
        for (int r = 0; r < 8; r++)
            for (int g = 0; g < 4; g++) { nm[r * 16 + 4 * g + (r + g) % 4] = 1; nm[r * 16 + 4 * g + (r + g + 1) % 4] = 2; }
        var p = SparsePattern.Analyze(SparseRows.FromDense(nm, 8, 16, 16));
        Assert.True(p.IsNOfM);
        Assert.Equal((2, 4), (p.N, p.M));
        Assert.Equal("2:4", p.ToString());

        // 8x1 blocks: rows in groups of eight share their columns.
        var blocks = new float[16 * 10];
        for (int r = 0; r < 16; r++) { blocks[r * 10 + (r / 8) * 3] = r + 1; blocks[r * 10 + 7] = -r - 1; }
        p = SparsePattern.Analyze(SparseRows.FromDense(blocks, 16, 10, 10));
        Assert.Equal(8, p.BlockRows);
        Assert.Equal(1.0, p.Fill4, 6);
        Assert.False(p.IsNOfM);

        // 1x4 runs.
        var runs = new float[3 * 16];
        for (int c = 4; c < 8; c++) runs[c] = 1;
        for (int c = 12; c < 16; c++) runs[2 * 16 + c] = 1;
        p = SparsePattern.Analyze(SparseRows.FromDense(runs, 3, 16, 16));
        Assert.Equal(4, p.BlockCols);

        // A random 10% matrix has no structure (and is not called 2:4 even where no group holds three).
        p = SparsePattern.Analyze(SparseRows.FromDense(SparseMatrix(5, 40, 64, 0.1), 40, 64, 64));
        Assert.Equal("unstructured", p.ToString());
        Assert.True(p.Fill4 > 2);
    }

    [Fact]
    public void Rows_round_trip_through_dense_and_transposed_storage()
    {
        var a = SparseMatrix(9, 5, 7, 0.3);
        var s = SparseRows.FromDense(a, 5, 7, 7);
        Assert.Equal(a, s.ToDense());
        Assert.Equal(SparseRows.CountNonZeros(a), s.NonZeros);
        // The same matrix stored transposed ([7, 5]).
        var t = new float[35];
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 7; c++) t[c * 5 + r] = a[r * 7 + c];
        Assert.Equal(a, SparseRows.FromDense(t, 5, 7, 5, transposed: true).ToDense());
        Assert.Throws<ArgumentException>(() => new SparseRows(2, 3, [0, 1, 1], [3], [1f]));
    }

    [Fact]
    public void Selection_keeps_dense_weights_dense_and_picks_layouts_by_cost()
    {
        // Fewer than 5% zeros: dense whatever the shape.
        var almostDense = SparseMatrix(1, 64, 64, 0.97);
        Assert.Null(SparseSelection.ForLinear(64, 64, 64, almostDense, true, 1, false));
        // Batch 1: 2% unstructured rows are too short for CSR's per-row cost; the blocks win.
        var veryRare = SparseMatrix(2, 300, 784, 0.02);
        Assert.Equal(SparseLayout.Block4, SparseSelection.ForLinear(1, 784, 300, veryRare, true, 1, false)!.Layout);
        // Batch 1 at 50% unstructured: dense.
        Assert.Null(SparseSelection.ForLinear(1, 784, 300, SparseMatrix(3, 300, 784, 0.5), true, 1, false));
        // Batch 64 at 10%: CSR (the blocks' fill costs real multiply-adds there); at 50%: dense.
        Assert.Equal(SparseLayout.Csr, SparseSelection.ForLinear(64, 784, 300, SparseMatrix(4, 300, 784, 0.1), true, 1, false)!.Layout);
        Assert.Null(SparseSelection.ForLinear(64, 784, 300, SparseMatrix(5, 300, 784, 0.5), true, 1, false));
        // Stride-1 5x5 convolutions, and strided ones whose output rows hold a vector (read from the stride phases):
        // sparse up to high densities; strided ones on im2col (narrower outputs) only when quite sparse.
        var g = Geometry(1, 20, 12, 12, 50, 5, 5, 1, 0, 1, 1);
        Assert.NotNull(SparseSelection.ForConvolution(g, SparseMatrix(6, 50, 500, 0.8)));
        var phases = Geometry(1, 32, 16, 16, 64, 3, 3, 2, 1, 1, 1);
        Assert.Equal(SparseLowering.Rows, SparseSelection.ForConvolution(phases, SparseMatrix(7, 64, 288, 0.6))!.Lowering);
        var strided = Geometry(1, 32, 6, 6, 64, 3, 3, 2, 1, 1, 1); // 3 outputs per row: narrower than any vector
        Assert.Null(SparseSelection.ForConvolution(strided, SparseMatrix(7, 64, 288, 0.6)));
        Assert.Equal(SparseLowering.Im2Col, SparseSelection.ForConvolution(strided, SparseMatrix(8, 64, 288, 0.1))!.Lowering);
    }
}
