using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class PoolTests
{
    public static readonly Dictionary<string, ConvGeometry> Geometries = new()
    {
        ["lenet-2x2-s2"] = Make(2, 3, 8, 8, 2, 2, 2, 2),
        ["lenet5-pool1-tiled"] = Make(3, 20, 24, 24, 2, 2, 2, 2),
        ["lenet-pool1-odd"] = Make(2, 3, 24, 35, 2, 2, 2, 2),
        ["resnet-3x3-s2-p1"] = Make(2, 2, 9, 7, 3, 3, 2, 2, pt: 1, pl: 1, pb: 1, pr: 1),
        ["asym-dil2"] = Make(1, 3, 7, 9, 2, 3, 1, 2, dh: 2, dw: 2, pt: 2, pl: 0, pb: 1, pr: 2),
        ["ceil-overhang"] = Make(1, 2, 5, 6, 2, 3, 2, 2, ceil: true),
        ["1d"] = Make(2, 2, 1, 11, 1, 3, 1, 2, pl: 1, pr: 1),
        ["big-pads"] = Make(1, 1, 3, 4, 2, 2, 2, 2, pt: 1, pl: 1, pb: 2, pr: 3),
        ["s1-3x3-p1"] = Make(2, 2, 6, 19, 3, 3, 1, 1, pt: 1, pl: 1, pb: 1, pr: 1),
        ["s1-dil3-asym"] = Make(1, 2, 5, 23, 2, 3, 1, 1, dh: 2, dw: 3, pt: 0, pl: 2, pb: 1, pr: 0),
        ["s3-kernel-wider-than-row"] = Make(1, 1, 4, 3, 2, 5, 1, 3, pl: 2, pr: 2),
    };

    public static TheoryData<string> GeometryNames() => new(Geometries.Keys);

    private static ConvGeometry Make(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int dh = 1, int dw = 1,
        int pt = 0, int pl = 0, int pb = 0, int pr = 0, bool ceil = false) => new()
    {
        N = n, C = c, H = h, W = w, K = c, Groups = c, KH = kh, KW = kw, StrideH = sh, StrideW = sw, DilationH = dh, DilationW = dw,
        PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
        OH = ConvGeometry.OutputSize(h, kh, sh, dh, pt, pb, ceil), OW = ConvGeometry.OutputSize(w, kw, sw, dw, pl, pr, ceil),
    };

    /// <summary>A permutation of well separated values, so that finite differences never change a window's argmax.</summary>
    private static Tensor Distinct(int seed, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, t.Length).OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < t.Length; i++) t.Floats[i] = order[i] * 0.1f - t.Length * 0.05f;
        return t;
    }

    [Theory]
    [MemberData(nameof(GeometryNames))]
    public void Kernels_match_reference(string name)
    {
        var g = Geometries[name];
        var x = TensorAssert.Random(3, -1, 1, g.N * g.C * g.InPlane).Floats.ToArray();
        int outLen = g.N * g.C * g.OutPlane;

        var maxRef = new float[outLen];
        var idx = new long[outLen];
        PoolingReference.Max(g, x, maxRef, idx);
        var max = new float[outLen];
        new Pooling(g, PoolKind.Max, false).Forward(x, max, TestPools.Two);
        Assert.Equal(maxRef, max);

        // Max backward routes each dy to the reference's argmax.
        var dy = TensorAssert.Random(4, -1, 1, outLen).Floats.ToArray();
        var dx = new float[x.Length];
        var dxRef = new float[x.Length];
        for (int o = 0; o < outLen; o++) if (idx[o] >= 0) dxRef[idx[o]] += dy[o];
        new Pooling(g, PoolKind.Max, false).Backward(x, max, dy, dx, TestPools.Two);
        TensorAssert.Close(dxRef, dx, 1e-6, 1e-6);

        foreach (bool include in new[] { false, true })
        {
            var avgRef = new float[outLen];
            PoolingReference.Average(g, x, avgRef, include);
            var avg = new float[outLen];
            var pooling = new Pooling(g, PoolKind.Average, include);
            pooling.Forward(x, avg, TestPools.Two);
            TensorAssert.Close(avgRef, avg, 1e-5, 1e-6, $"average include={include}");

            // The average backward is the adjoint of the forward: <dy, A x> = <A^T dy, x>.
            var adx = new float[x.Length];
            pooling.Backward(default, default, dy, adx, TestPools.One);
            double lhs = 0, rhs = 0;
            for (int o = 0; o < outLen; o++) lhs += (double)dy[o] * avgRef[o];
            for (int i = 0; i < x.Length; i++) rhs += (double)adx[i] * x[i];
            Assert.Equal(lhs, rhs, 1e-4);
        }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Row_kernels_match_reference_at_every_width(int width)
    {
        int k = width >= 2 ? 2 : 1;
        // 2x2 stride 2 (LeNet), and 3-wide stride 1 with padding (the contiguous SIMD path).
        foreach (var g in new[] { Make(1, 2, 3, width, 2, k, 1, k), Make(1, 2, 3, width, 2, 3, 1, 1, pl: 1, pr: 1) })
        {
            var x = TensorAssert.Random(width, -1, 1, g.N * g.C * g.InPlane).Floats.ToArray();
            int outLen = g.N * g.C * g.OutPlane;
            var expected = new float[outLen];
            var actual = new float[outLen];
            PoolingReference.Max(g, x, expected, default);
            new Pooling(g, PoolKind.Max, false).Forward(x, actual, TestPools.One);
            Assert.Equal(expected, actual);
            PoolingReference.Average(g, x, expected, false);
            new Pooling(g, PoolKind.Average, false).Forward(x, actual, TestPools.One);
            TensorAssert.Close(expected, actual, 1e-5, 1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Tiled_2x2_kernel_matches_reference_at_every_width(int half)
    {
        // Planes pooled as one stream of row pairs: odd plane counts, blocks that end mid-plane, rows narrower than a vector.
        foreach (var threads in new[] { TestPools.One, TestPools.Two })
        {
            var g = Make(3, 7, 6, 2 * half, 2, 2, 2, 2);
            Assert.True(PoolingKernels.Is2x2Tiled(g));
            var x = TensorAssert.Random(half, -1, 1, g.N * g.C * g.InPlane).Floats.ToArray();
            int outLen = g.N * g.C * g.OutPlane;
            var expected = new float[outLen];
            var actual = new float[outLen];
            PoolingReference.Max(g, x, expected, default);
            new Pooling(g, PoolKind.Max, false).Forward(x, actual, threads);
            Assert.Equal(expected, actual);
        }
    }

    private static Tensor OneTo(int n, params int[] shape) => Tensor.From(Enumerable.Range(1, n).Select(i => (float)i).ToArray(), shape);

    // The next three are ONNX backend test cases.
    [Fact]
    public void Max_with_indices_and_precomputed_pads()
    {
        var r = new OpCase("MaxPool").Input(OneTo(25, 1, 1, 5, 5)).Attr("kernel_shape", 5L, 5L).Attr("pads", 2L, 2L, 2L, 2L).Outputs(2).Run();
        Assert.Equal(new float[] { 13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25 }, r[0].Floats.ToArray());
        Assert.Equal(DataType.Int64, r[1].Type);
        Assert.Equal(new long[] { 12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24 }, r[1].Span<long>().ToArray());
    }

    [Fact]
    public void Max_indices_in_column_major_storage_order()
    {
        var r = new OpCase("MaxPool").Input(OneTo(25, 1, 1, 5, 5)).Attr("kernel_shape", 2L, 2L).Attr("strides", 2L, 2L).Attr("storage_order", 1L)
            .Outputs(2).Run();
        Assert.Equal(new float[] { 7, 9, 17, 19 }, r[0].Floats.ToArray());
        Assert.Equal(new long[] { 6, 16, 8, 18 }, r[1].Span<long>().ToArray());
    }

    [Fact]
    public void Max_ceil_mode_adds_the_partial_window()
    {
        var y = new OpCase("MaxPool").Input(OneTo(16, 1, 1, 4, 4)).Attr("kernel_shape", 3L, 3L).Attr("strides", 2L, 2L).Attr("ceil_mode", 1L).Run1();
        Assert.Equal([1, 1, 2, 2], y.Shape);
        Assert.Equal(new float[] { 11, 12, 15, 16 }, y.Floats.ToArray());
    }

    [Fact]
    public void Ceil_mode_drops_a_window_that_would_start_in_the_end_padding()
    {
        // in 5, k 2, s 2, pad end 2: ceil gives 4 windows, but the 4th would start at 6, past the input: PyTorch keeps 3.
        var y = new OpCase("MaxPool").Input(OneTo(5, 1, 1, 5)).Attr("kernel_shape", new[] { 2L }).Attr("strides", new[] { 2L })
            .Attr("pads", 0L, 2L).Attr("ceil_mode", 1L).Run1();
        Assert.Equal([1, 1, 3], y.Shape);
        Assert.Equal(new float[] { 2, 4, 5 }, y.Floats.ToArray());
    }

    [Theory]
    [InlineData(0, new float[] { 1, 2.5f, 5.5f, 7 })]
    [InlineData(1, new float[] { 0.25f, 1.25f, 2.75f, 7 })]
    public void Average_divides_by_inside_or_padded_taps(long include, float[] expected)
    {
        var y = new OpCase("AveragePool").Input(OneTo(9, 1, 1, 3, 3)).Attr("kernel_shape", 2L, 2L).Attr("strides", 2L, 2L)
            .Attr("pads", 1L, 1L, 1L, 1L).Attr("count_include_pad", include).Run1();
        Assert.Equal(expected, y.Floats.ToArray());
    }

    [Fact]
    public void Average_ceil_mode_does_not_count_taps_past_the_padded_input()
    {
        var y = new OpCase("AveragePool").Input(OneTo(5, 1, 1, 5)).Attr("kernel_shape", new[] { 2L }).Attr("strides", new[] { 2L })
            .Attr("ceil_mode", 1L).Attr("count_include_pad", 1L).Run1();
        Assert.Equal(new float[] { 1.5f, 3.5f, 5 }, y.Floats.ToArray());
    }

    [Fact]
    public void Same_upper_pool_keeps_ceil_of_input_over_stride()
    {
        var x = TensorAssert.Random(5, -1, 1, 1, 2, 7, 5);
        var y = new OpCase("AveragePool").Input(x).Attr("kernel_shape", 3L, 2L).Attr("strides", 2L, 2L).Attr("auto_pad", "SAME_UPPER").Run1();
        Assert.Equal([1, 2, 4, 3], y.Shape);
        // H: total pad (4-1)*2+3-7 = 2 -> 1,1; W: (3-1)*2+2-5 = 1 -> 0,1.
        var g = new ConvGeometry { N = 1, C = 2, K = 2, Groups = 2, H = 7, W = 5, KH = 3, KW = 2, StrideH = 2, StrideW = 2, PadTop = 1, PadBottom = 1, PadRight = 1, OH = 4, OW = 3 };
        var expected = new float[y.Length];
        PoolingReference.Average(g, x.Floats, expected, false);
        TensorAssert.Close(expected, y.Floats, 1e-5, 1e-6);
    }

    [Fact]
    public void Missing_kernel_shape_is_reported() =>
        Assert.Contains("kernel_shape", Assert.ThrowsAny<PrunusException>(() => new OpCase("MaxPool").Input(Tensor.Zeros(1, 1, 4, 4)).Run1()).Message);

    [Fact]
    public void Global_pools_reduce_every_spatial_axis()
    {
        var x = TensorAssert.Random(6, -1, 1, 2, 3, 4, 5);
        var avg = new OpCase("GlobalAveragePool").Input(x).Run1();
        var max = new OpCase("GlobalMaxPool").Input(x).Run1();
        Assert.Equal([2, 3, 1, 1], avg.Shape);
        for (int p = 0; p < 6; p++)
        {
            var plane = x.Floats.Slice(p * 20, 20).ToArray();
            Assert.Equal(plane.Average(), avg.Floats[p], 1e-5);
            Assert.Equal(plane.Max(), max.Floats[p]);
        }
    }

    [Fact]
    public void Max_gradient_matches_finite_differences() =>
        GradCheck.Check(new OpCase("MaxPool").Input(Distinct(7, 2, 2, 5, 6)).Attr("kernel_shape", 3L, 2L).Attr("strides", 2L, 1L)
            .Attr("pads", 1L, 0L, 1L, 1L).Attr("dilations", 1L, 2L), training: true);

    [Fact]
    public void Average_gradient_matches_finite_differences() =>
        GradCheck.Check(new OpCase("AveragePool").Input(TensorAssert.Random(8, -1, 1, 2, 2, 5, 6)).Attr("kernel_shape", 3L, 3L)
            .Attr("strides", 2L, 2L).Attr("pads", 1L, 0L, 1L, 2L).Attr("ceil_mode", 1L).Attr("count_include_pad", 1L));

    [Fact]
    public void Global_gradients_match_finite_differences()
    {
        GradCheck.Check(new OpCase("GlobalAveragePool").Input(TensorAssert.Random(9, -1, 1, 2, 3, 3, 4)));
        GradCheck.Check(new OpCase("GlobalMaxPool").Input(Distinct(10, 2, 3, 3, 4)));
    }
}
