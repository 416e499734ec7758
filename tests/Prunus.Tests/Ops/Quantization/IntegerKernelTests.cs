using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>The integer matmul and convolution paths against their scalar references, and the requantization rule.</summary>
[Trait("Category", "Kernel")]
public class IntegerKernelTests
{
    private static T[] Bytes<T>(Random rng, int n) where T : unmanaged =>
        typeof(T) == typeof(byte)
            ? (T[])(object)Enumerable.Range(0, n).Select(_ => (byte)rng.Next(256)).ToArray()
            : (T[])(object)Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Matmul_matches_reference_with_per_row_and_per_column_zero_points(int size)
    {
        var rng = new Random(size);
        foreach (var (m, n, k) in new[] { (3, size, 7), (5, 3, size), (size % 17, 2, 3) })
        {
            var a = Bytes<byte>(rng, m * k);
            var b = Bytes<sbyte>(rng, k * n);
            var za = Enumerable.Range(0, m).Select(_ => rng.Next(256)).ToArray();
            var zb = Enumerable.Range(0, n).Select(_ => rng.Next(-128, 128)).ToArray();
            foreach (var (zaUse, zbUse) in new[] { (za, zb), (new[] { 128 }, new[] { -3 }) })
            {
                if (zaUse.Length == 0 || zbUse.Length == 0) continue;
                var fast = new int[m * n];
                var reference = new int[m * n];
                IntegerMatMul.Multiply<byte, sbyte>(m, n, k, a, zaUse, b, zbUse, fast, new int[IntegerMatMul.ScratchLength(k, n)]);
                IntegerMatMul.Reference<byte, sbyte>(m, n, k, a, zaUse, b, zbUse, reference);
                Assert.Equal(reference, fast);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        long s = 0;
                        for (int p = 0; p < k; p++) s += (a[i * k + p] - (long)zaUse[zaUse.Length == 1 ? 0 : i]) * (b[p * n + j] - (long)zbUse[zbUse.Length == 1 ? 0 : j]);
                        Assert.Equal(s, reference[i * n + j]);
                    }
            }
        }
    }

    [Fact]
    public void Matmul_accumulation_wraps_in_int32_like_the_reference()
    {
        const int k = 40000;
        var a = Enumerable.Repeat((byte)255, k).ToArray();
        var b = Enumerable.Repeat((byte)255, k).ToArray();
        var fast = new int[1];
        var reference = new int[1];
        IntegerMatMul.Multiply<byte, byte>(1, 1, k, a, [0], b, [0], fast, new int[k]);
        IntegerMatMul.Reference<byte, byte>(1, 1, k, a, [0], b, [0], reference);
        Assert.Equal(unchecked((int)(255L * 255 * k)), reference[0]);
        Assert.Equal(reference, fast);
    }

    [Fact]
    public void Int32_matmul_matches_its_reference()
    {
        var rng = new Random(4);
        foreach (var size in TensorAssert.Sizes)
        {
            int m = 3, n = size, k = 5;
            var a = Enumerable.Range(0, m * k).Select(_ => rng.Next(-300, 300)).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => rng.Next(-300, 300)).ToArray();
            var fast = new int[m * n];
            var reference = new int[m * n];
            IntegerMatMul.Multiply(m, n, k, a, b, fast);
            IntegerMatMul.MultiplyReference(m, n, k, a, b, reference);
            Assert.Equal(reference, fast);
        }
    }

    public static TheoryData<string> ConvCases() => ["1d", "2d", "2d-pad-stride", "2d-dilation-group", "depthwise", "3d"];

    private static WindowGeometryNd Geometry(string kind) => kind switch
    {
        "1d" => new(2, 3, 4, 1, [17], [15], [3], [1], [1], [0], [0]),
        "2d" => new(1, 2, 3, 1, [7, 6], [5, 4], [3, 3], [1, 1], [1, 1], [0, 0], [0, 0]),
        "2d-pad-stride" => new(2, 3, 5, 1, [7, 8], [4, 4], [3, 2], [2, 2], [1, 1], [1, 0], [1, 1]),
        "2d-dilation-group" => new(1, 4, 6, 2, [9, 9], [5, 7], [3, 2], [1, 1], [2, 2], [0, 0], [0, 0]),
        "depthwise" => new(1, 5, 5, 5, [6, 6], [6, 6], [3, 3], [1, 1], [1, 1], [1, 1], [1, 1]),
        _ => new(1, 2, 2, 1, [4, 5, 3], [4, 3, 3], [2, 3, 2], [1, 1, 1], [1, 1, 1], [1, 0, 1], [0, 0, 0]),
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Convolution_matches_reference_with_per_channel_weight_zero_points(string kind)
    {
        var g = Geometry(kind);
        var rng = new Random(kind.Length);
        var x = Bytes<byte>(rng, g.N * g.C * g.InPlane);
        var w = Bytes<sbyte>(rng, g.K * g.Cg * g.TapCount);
        var zw = Enumerable.Range(0, g.K).Select(_ => rng.Next(-5, 5)).ToArray();
        var fast = new int[g.N * g.K * g.OutPlane];
        var reference = new int[fast.Length];
        IntegerConvolution.Forward<byte, sbyte>(g, x, 131, w, zw, fast, new int[IntegerConvolution.ScratchLength(g)]);
        IntegerConvolution.Reference<byte, sbyte>(g, x, 131, w, zw, reference);
        Assert.Equal(reference, fast);
        Assert.Contains(reference, v => v != 0);
        // Against the float reference convolution of the shifted values (exact in double at these sizes), for 1-D and 2-D.
        if (g.Input.Length > 2) return;
        var xs = x.Select(v => (float)(v - 131)).ToArray();
        var ws = w.Select((v, i) => (float)(v - zw[i / (g.Cg * g.TapCount)])).ToArray();
        var y = new float[fast.Length];
        bool oneD = g.Input.Length == 1;
        var cg = new ConvGeometry
        {
            N = g.N, C = g.C, K = g.K, Groups = g.Groups, H = oneD ? 1 : g.Input[0], W = g.Input[^1], KH = oneD ? 1 : g.Kernel[0], KW = g.Kernel[^1],
            StrideH = oneD ? 1 : g.Strides[0], StrideW = g.Strides[^1], DilationH = oneD ? 1 : g.Dilations[0], DilationW = g.Dilations[^1],
            PadTop = oneD ? 0 : g.PadsBegin[0], PadLeft = g.PadsBegin[^1], PadBottom = oneD ? 0 : g.PadsEnd[0], PadRight = g.PadsEnd[^1],
            OH = oneD ? 1 : g.Output[0], OW = g.Output[^1],
        };
        ConvolutionReference.Forward(cg, xs, ws, default, y);
        Assert.Equal(y.Select(v => (int)v).ToArray(), reference);
    }

    [Fact]
    public void Requantization_rounds_ties_to_even_and_saturates()
    {
        Assert.Equal(2, Requantization.One(5, 0.5f, 0, -128, 127));
        Assert.Equal(4, Requantization.One(7, 0.5f, 0, -128, 127));
        Assert.Equal(-2, Requantization.One(-5, 0.5f, 0, -128, 127));
        Assert.Equal(12, Requantization.One(5, 0.5f, 10, 0, 255));
        Assert.Equal(255, Requantization.One(100000, 0.5f, 10, 0, 255));
        Assert.Equal(-128, Requantization.One(-100000, 0.5f, 10, -128, 127));
        Assert.Equal(0.125f * 0.5f / 0.25f, Requantization.Multiplier(0.125f, 0.5f, 0.25f));
    }
}
