using Prunus.Graph;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>
/// The direct N-D path of Conv, ConvTranspose, MaxPool and AveragePool (three or more spatial axes): its kernels against
/// the 2-D references on 2-D geometries, the 3-D ops against the 2-D ops on a depth of one, and gradients.
/// </summary>
[Trait("Category", "Kernel")]
public class WindowNdTests
{
    private static AttributeValue Ints(params long[] v) => AttributeValue.Of(v);

    // Strides, dilation, asymmetric pads and groups: N2, C6 7x9 -> K4 (groups 2), kernel 3x2.
    private static readonly ConvGeometry G2 = new()
    {
        N = 2, C = 6, H = 7, W = 9, K = 4, Groups = 2, KH = 3, KW = 2, StrideH = 2, StrideW = 1, DilationH = 2, DilationW = 1,
        PadTop = 1, PadLeft = 0, PadBottom = 2, PadRight = 1, OH = 3, OW = 9,
    };

    private static WindowGeometryNd AsNd(ConvGeometry g) => new(g.N, g.C, g.K, g.Groups, [g.H, g.W], [g.OH, g.OW], [g.KH, g.KW],
        [g.StrideH, g.StrideW], [g.DilationH, g.DilationW], [g.PadTop, g.PadLeft], [g.PadBottom, g.PadRight]);

    [Fact]
    public void Convolution_kernels_match_the_2d_references()
    {
        var nd = AsNd(G2);
        var x = TensorAssert.Random(1, -1, 1, 2, 6, 7, 9).Floats.ToArray();
        var w = TensorAssert.Random(2, -1, 1, 4, 3, 3, 2).Floats.ToArray();
        var b = TensorAssert.Random(3, -1, 1, 4).Floats.ToArray();
        var dy = TensorAssert.Random(4, -1, 1, 2, 4, 3, 9).Floats.ToArray();

        var (y, yRef) = (new float[dy.Length], new float[dy.Length]);
        WindowNd.ConvForward(nd, x, w, b, y);
        ConvolutionReference.Forward(G2, x, w, b, yRef);
        TensorAssert.Close(yRef, y, 1e-5, 1e-6);
        WindowNd.ConvForward(nd, x, w, b, y, accumulate: true);
        TensorAssert.Close(yRef.Select(v => 2 * v).ToArray(), y, 1e-5, 1e-6);

        var (dx, dxRef) = (new float[x.Length], new float[x.Length]);
        WindowNd.ConvBackwardData(nd, w, dy, dx);
        ConvolutionReference.BackwardData(G2, w, dy, dxRef);
        TensorAssert.Close(dxRef, dx, 1e-5, 1e-6);

        var (dw, dwRef, db, dbRef) = (new float[w.Length], new float[w.Length], new float[4], new float[4]);
        WindowNd.ConvBackwardWeights(nd, x, dy, dw, db);
        ConvolutionReference.BackwardWeights(G2, x, dy, dwRef, dbRef);
        TensorAssert.Close(dwRef, dw, 1e-5, 1e-5);
        TensorAssert.Close(dbRef, db, 1e-5, 1e-5);
    }

    [Fact]
    public void Pooling_kernels_match_the_2d_references()
    {
        var g = G2 with { K = 6, Groups = 1 };
        var nd = AsNd(g);
        var x = TensorAssert.Random(5, -1, 1, 2, 6, 7, 9).Floats.ToArray();
        int outputs = 2 * 6 * g.OutPlane;
        var (y, yRef, i, iRef) = (new float[outputs], new float[outputs], new long[outputs], new long[outputs]);
        WindowNd.MaxForward(nd, x, y, i);
        PoolingReference.Max(g, x, yRef, iRef);
        Assert.Equal(yRef, y);
        Assert.Equal(iRef, i);
        foreach (bool includePad in new[] { false, true })
        {
            WindowNd.AverageForward(nd, includePad, x, y);
            PoolingReference.Average(g, x, yRef, includePad);
            TensorAssert.Close(yRef, y, 1e-5, 1e-6);
        }
    }

    [Fact]
    public void Three_d_ops_on_a_depth_of_one_equal_the_2d_ops()
    {
        var x4 = TensorAssert.Random(6, -1, 1, 2, 3, 5, 6);
        var x5 = x4.Clone().Reshape(2, 3, 1, 5, 6);
        Tensor Flat(Tensor t) => t.Reshape(t.Shape.Where((_, i) => i != 2).ToArray());

        var w4 = TensorAssert.Random(7, -1, 1, 4, 3, 3, 2);
        var conv4 = new OpCase("Conv").Input(x4).Const(w4).Attr("strides", Ints(2, 1)).Attr("pads", Ints(1, 0, 1, 1)).Run1();
        var conv5 = new OpCase("Conv").Input(x5).Const(w4.Clone().Reshape(4, 3, 1, 3, 2)).Attr("strides", Ints(1, 2, 1)).Attr("pads", Ints(0, 1, 0, 0, 1, 1)).Run1();
        TensorAssert.Close(conv4, Flat(conv5), 1e-5, 1e-6);

        var wt = TensorAssert.Random(8, -1, 1, 3, 2, 2, 3);
        var t4 = new OpCase("ConvTranspose").Input(x4).Const(wt).Attr("strides", Ints(2, 2)).Attr("output_padding", Ints(1, 0)).Run1();
        var t5 = new OpCase("ConvTranspose").Input(x5).Const(wt.Clone().Reshape(3, 2, 1, 2, 3)).Attr("strides", Ints(1, 2, 2)).Attr("output_padding", Ints(0, 1, 0)).Run1();
        TensorAssert.Close(t4, Flat(t5), 1e-5, 1e-6);

        var m4 = new OpCase("MaxPool").Input(x4).Attr("kernel_shape", Ints(2, 3)).Attr("pads", Ints(1, 1, 0, 1)).Attr("ceil_mode", 1L).Run1();
        var m5 = new OpCase("MaxPool").Input(x5).Attr("kernel_shape", Ints(1, 2, 3)).Attr("pads", Ints(0, 1, 1, 0, 0, 1)).Attr("ceil_mode", 1L).Run1();
        TensorAssert.Close(m4, Flat(m5));

        var a4 = new OpCase("AveragePool").Input(x4).Attr("kernel_shape", Ints(3, 3)).Attr("pads", Ints(1, 1, 1, 1)).Attr("strides", Ints(2, 2)).Run1();
        var a5 = new OpCase("AveragePool").Input(x5).Attr("kernel_shape", Ints(1, 3, 3)).Attr("pads", Ints(0, 1, 1, 0, 1, 1)).Attr("strides", Ints(1, 2, 2)).Run1();
        TensorAssert.Close(a4, Flat(a5), 1e-5, 1e-6);
    }

    [Fact]
    public void Three_d_pools_by_hand()
    {
        // [1,1,2,2,2] holding 0..7: one 2x2x2 window.
        var x = Tensor.From(Enumerable.Range(0, 8).Select(i => (float)i).ToArray(), 1, 1, 2, 2, 2);
        var max = new OpCase("MaxPool").Input(x).Attr("kernel_shape", Ints(2, 2, 2)).Outputs(2).Run();
        Assert.Equal([1, 1, 1, 1, 1], max[0].Shape);
        Assert.Equal(7f, max[0].Floats[0]);
        Assert.Equal(7L, max[1].Span<long>()[0]);
        // With a pad of one before each axis the corner window holds only x[0] (count_include_pad: 8 taps).
        var avg = new OpCase("AveragePool").Input(x).Attr("kernel_shape", Ints(2, 2, 2)).Attr("pads", Ints(1, 1, 1, 0, 0, 0)).Attr("count_include_pad", 1L).Run1();
        Assert.Equal([1, 1, 2, 2, 2], avg.Shape);
        Assert.Equal(0f, avg.Floats[0]);
        Assert.Equal((0 + 1 + 2 + 3 + 4 + 5 + 6 + 7) / 8f, avg.Floats[7], 1e-6);
        Assert.Contains("storage_order", Assert.Throws<ModelException>(() =>
            new OpCase("MaxPool").Input(x).Attr("kernel_shape", Ints(2, 2, 2)).Attr("storage_order", 1L).Run1()).Message);
    }

    [Fact]
    public void Three_d_conv_gradients_for_x_w_and_b() =>
        GradCheck.Check(new OpCase("Conv").Input(TensorAssert.Random(9, -1, 1, 2, 4, 3, 4, 3)).Input(TensorAssert.Random(10, -1, 1, 4, 2, 2, 3, 2))
            .Input(TensorAssert.Random(11, -1, 1, 4)).Attr("group", 2L).Attr("strides", Ints(1, 2, 1)).Attr("dilations", Ints(1, 1, 2))
            .Attr("pads", Ints(1, 0, 1, 0, 1, 1)), eps: 1e-2f);

    [Fact]
    public void Three_d_conv_transpose_gradients_for_x_w_and_b() =>
        GradCheck.Check(new OpCase("ConvTranspose").Input(TensorAssert.Random(12, -1, 1, 1, 2, 2, 3, 2)).Input(TensorAssert.Random(13, -1, 1, 2, 3, 2, 2, 3))
            .Input(TensorAssert.Random(14, -1, 1, 3)).Attr("strides", Ints(2, 1, 2)).Attr("pads", Ints(0, 1, 0, 1, 0, 1)), eps: 1e-2f);

    [Fact]
    public void Three_d_pool_gradients()
    {
        // Distinct values keep every window's maximum away from ties.
        var x = Tensor.From(Enumerable.Range(0, 2 * 3 * 4 * 3).Select(i => (float)((i * 37 % 72) - 36) / 10).ToArray(), 1, 2, 3, 4, 3);
        GradCheck.Check(new OpCase("MaxPool").Input(x).Attr("kernel_shape", Ints(2, 2, 2)).Attr("pads", Ints(0, 1, 0, 1, 0, 1)), eps: 1e-2f);
        GradCheck.Check(new OpCase("AveragePool").Input(x).Attr("kernel_shape", Ints(2, 3, 2)).Attr("pads", Ints(1, 1, 0, 0, 1, 1))
            .Attr("count_include_pad", 1L), eps: 1e-2f);
        GradCheck.Check(new OpCase("AveragePool").Input(x).Attr("kernel_shape", Ints(2, 2, 2)).Attr("strides", Ints(1, 2, 1)), eps: 1e-2f);
    }
}
