using System.Runtime.Intrinsics;
using Prunus.Kernels;
using Prunus.Tests.Support;
using Prunus.Threading;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class GemmTests
{
    /// <summary>Every kernel family; those the machine does not accelerate run emulated, so they get small shapes only.</summary>
    internal static readonly GemmIsa[] AllIsas = [GemmIsa.Vector128, GemmIsa.Vector256, GemmIsa.Vector512];

    private static bool Accelerated(GemmIsa isa) => isa switch
    {
        GemmIsa.Vector512 => Vector512.IsHardwareAccelerated,
        GemmIsa.Vector256 => Vector256.IsHardwareAccelerated,
        _ => true,
    };

    private static float[] Fill(int seed, int length)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    /// <summary>One multiply through a kernel family against <see cref="Gemm.Reference"/>, with padded leading dimensions.</summary>
    private static void Check(GemmIsa isa, bool transA, bool transB, int m, int n, int k, float alpha = 1, float beta = 0,
        int pad = 0, WorkerPool? pool = null, string epilogue = "none", bool packed = false)
    {
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Fill(1, Math.Max(1, (transA ? k : m) * lda));
        var b = Fill(2, Math.Max(1, (transB ? n : k) * ldb));
        var c0 = Fill(3, Math.Max(1, m * ldc));
        // beta = 0 must not read C: NaN there must not reach the result.
        if (beta == 0) Array.Fill(c0, float.NaN);
        var bias = Fill(4, epilogue.StartsWith("row") ? m : n);
        bool relu = epilogue.EndsWith("relu");
        var kind = epilogue.StartsWith("row") ? GemmBias.PerRow : epilogue.StartsWith("col") ? GemmBias.PerColumn : GemmBias.None;
        var epi = new GemmEpilogue(kind, bias, relu);

        var expected = (float[])c0.Clone();
        Gemm.Reference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float v = expected[i * ldc + j] + (kind == GemmBias.PerRow ? bias[i] : kind == GemmBias.PerColumn ? bias[j] : 0);
                expected[i * ldc + j] = relu ? Math.Max(v, 0) : v;
            }
        var actual = (float[])c0.Clone();
        if (packed)
        {
            var pb = Gemm.PackBFor(isa, transB, k, n, b, ldb);
            Gemm.Multiply(transA, m, alpha, a, lda, pb, beta, actual, ldc, epi, pool);
        }
        else Gemm.Run(isa, transA, transB, m, n, k, alpha, a, lda, b, ldb, null, beta, actual, ldc, epi, pool);

        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                // Error bound of a k-term float sum: a few k ulps of the sum of magnitudes.
                double mag = (beta == 0 ? 0 : Math.Abs(beta * c0[i * ldc + j])) + 1e-3
                    + (kind == GemmBias.PerRow ? Math.Abs(bias[i]) : kind == GemmBias.PerColumn ? Math.Abs(bias[j]) : 0);
                for (int p = 0; p < k; p++)
                    mag += Math.Abs(alpha * (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]));
                float e = expected[i * ldc + j], g = actual[i * ldc + j];
                Assert.True(Math.Abs(e - g) <= (k + 8) * 1.2e-7 * mag,
                    $"{isa} tA={transA} tB={transB} {m}x{n}x{k} C[{i},{j}]: expected {e:G9}, got {g:G9}");
            }
        // Padding columns of C are never written.
        for (int i = 0; i < m; i++)
            for (int j = n; j < ldc; j++)
                Assert.Equal(BitConverter.SingleToInt32Bits(c0[i * ldc + j]), BitConverter.SingleToInt32Bits(actual[i * ldc + j]));
    }

    public static TheoryData<string, char, int> OneDimensionData()
    {
        var d = new TheoryData<string, char, int>();
        foreach (var isa in AllIsas)
            foreach (var dim in "mnk")
                foreach (var s in TensorAssert.Sizes) d.Add(isa.ToString(), dim, s);
        return d;
    }

    [Theory]
    [MemberData(nameof(OneDimensionData))]
    public void Matches_reference_when_one_dimension_varies(string isaName, char dim, int size)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                int m = dim == 'm' ? size : 13, n = dim == 'n' ? size : 9, k = dim == 'k' ? size : 11;
                Check(isa, ta, tb, m, n, k);
            }
    }

    public static TheoryData<string, int, int, int> OddShapeData()
    {
        var d = new TheoryData<string, int, int, int>();
        foreach (var isa in AllIsas)
        {
            d.Add(isa.ToString(), 2, 3, 5);
            d.Add(isa.ToString(), 31, 47, 19);
            d.Add(isa.ToString(), 6, 16, 1);
            d.Add(isa.ToString(), 12, 32, 3);
            if (!Accelerated(isa)) continue;
            // Several M blocks (shared packed B), several K blocks, edge tiles in both directions.
            d.Add(isa.ToString(), 151, 35, 530);
            d.Add(isa.ToString(), 301, 50, 60);
            d.Add(isa.ToString(), 5, 203, 300);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(OddShapeData))]
    public void Matches_reference_at_odd_shapes_in_all_transpose_combinations(string isaName, int m, int n, int k)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                Check(isa, ta, tb, m, n, k, pool: TestPools.Two);
    }

    public static TheoryData<string> IsaData()
    {
        var d = new TheoryData<string>();
        foreach (var isa in AllIsas) d.Add(isa.ToString());
        return d;
    }

    [Theory]
    [MemberData(nameof(IsaData))]
    public void Applies_alpha_beta_and_leading_dimensions(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var (m, n, k) in new[] { (1, 37, 23), (2, 21, 40), (19, 33, 29) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    Check(isa, ta, tb, m, n, k, alpha: 0.5f, beta: 0, pad: 3);
                    Check(isa, ta, tb, m, n, k, alpha: -1.5f, beta: 1, pad: 5);
                    Check(isa, ta, tb, m, n, k, alpha: 2f, beta: -0.75f, pad: 1);
                }
    }

    [Theory]
    [MemberData(nameof(IsaData))]
    public void Zero_inner_dimension_scales_c(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        Check(isa, false, false, 7, 5, 0, beta: 0);
        Check(isa, false, false, 7, 5, 0, beta: 0.5f, epilogue: "col+relu");
    }

    [Theory]
    [MemberData(nameof(IsaData))]
    public void Fused_epilogues_match_reference_then_bias_then_relu(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        foreach (var epi in new[] { "col", "row", "col+relu", "row+relu", "relu" })
            foreach (var (m, n, k) in new[] { (1, 45, 20), (3, 17, 9), (29, 70, 37) })
            {
                Check(isa, false, false, m, n, k, epilogue: epi);
                Check(isa, true, true, m, n, k, alpha: 0.5f, beta: 0.25f, pad: 2, epilogue: epi);
            }
    }

    [Theory]
    [MemberData(nameof(IsaData))]
    public void Packed_b_matches_reference(string isaName)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        var shapes = Accelerated(isa)
            ? new[] { (1, 300, 784), (1, 7, 3), (4, 33, 17), (64, 70, 100), (160, 45, 270) }
            : new[] { (1, 37, 13), (4, 33, 17), (14, 45, 9) };
        foreach (var (m, n, k) in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                {
                    Check(isa, ta, tb, m, n, k, packed: true, pool: TestPools.Two);
                    Check(isa, ta, tb, m, n, k, alpha: 0.5f, beta: 1, pad: 2, packed: true, epilogue: "col+relu");
                    Check(isa, ta, tb, m, n, k, packed: true, epilogue: "row");
                }
    }

    public static TheoryData<int, int, int, bool, bool> ThreadData() => new()
    {
        { 301, 203, 290, false, false },
        { 301, 203, 290, true, true },
        { 64, 300, 784, false, true },
        { 50, 4096, 100, false, false },
        { 1, 1000, 300, false, false },
        { 1, 1000, 300, true, true },
        { 3, 2000, 100, false, false },
    };

    [Theory]
    [MemberData(nameof(ThreadData))]
    public void One_and_two_threads_are_bit_identical(int m, int n, int k, bool ta, bool tb)
    {
        var a = Fill(5, m * k);
        var b = Fill(6, k * n);
        var one = new float[m * n];
        var two = new float[m * n];
        var none = new float[m * n];
        var bias = Fill(7, n);
        int lda = ta ? m : k, ldb = tb ? k : n;
        Gemm.Multiply(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0f, one, n, GemmEpilogue.ColumnBias(bias, relu: true), TestPools.One);
        Gemm.Multiply(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0f, two, n, GemmEpilogue.ColumnBias(bias, relu: true), TestPools.Two);
        Gemm.Multiply(ta, tb, m, n, k, 0.7f, a, lda, b, ldb, 0f, none, n, GemmEpilogue.ColumnBias(bias, relu: true));
        Assert.Equal(one, two);
        Assert.Equal(one, none);
        var packed = Gemm.PackB(tb, k, n, b, ldb);
        Array.Clear(two);
        Gemm.Multiply(ta, m, 0.7f, a, lda, packed, 0f, one, n, GemmEpilogue.ColumnBias(bias, relu: true), TestPools.One);
        Gemm.Multiply(ta, m, 0.7f, a, lda, packed, 0f, two, n, GemmEpilogue.ColumnBias(bias, relu: true), TestPools.Two);
        Assert.Equal(one, two);
        Assert.Contains(one, v => v > 0);
    }

    [Fact]
    public void Rejects_short_operands_and_bad_leading_dimensions()
    {
        var x = new float[12];
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 3, 4, 4, 1, x, 3, x, 4, 0, x, 4));
        Assert.Contains("leading dimension of A", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 4, 4, 4, 1, new float[16], 4, x, 4, 0, new float[16], 4));
        Assert.Contains("B has 12 elements", e.Message);
        e = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 3, 4, 3, 1, x, 3, x, 4, 0, x, 4, GemmEpilogue.ColumnBias(new float[3])));
        Assert.Contains("bias", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 4, 3, 1, x, 3, x, 4, 0, x, 4));
    }
}
