using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class ConvTests
{
    private static Tensor Reference(ConvGeometry g, Tensor x, Tensor w, Tensor? b, bool oneD = false)
    {
        var y = new float[g.N * g.K * g.OutPlane];
        ConvolutionReference.Forward(g, x.Floats, w.Floats, b is null ? default : b.Floats, y);
        return oneD ? Tensor.From(y, g.N, g.K, g.OW) : Tensor.From(y, g.N, g.K, g.OH, g.OW);
    }

    [Fact]
    public void Forward_with_stride_asymmetric_pads_and_dilation_matches_reference()
    {
        var x = TensorAssert.Random(1, -1, 1, 2, 3, 7, 9);
        var w = TensorAssert.Random(2, -1, 1, 4, 3, 3, 2);
        var b = TensorAssert.Random(3, -1, 1, 4);
        var y = new OpCase("Conv").Input(x).Input(w).Input(b)
            .Attr("strides", 2L, 2L).Attr("pads", 1L, 0L, 2L, 1L).Attr("dilations", 2L, 1L).Run1();
        var g = new ConvGeometry
        {
            N = 2, C = 3, H = 7, W = 9, K = 4, KH = 3, KW = 2, StrideH = 2, StrideW = 2, DilationH = 2, PadTop = 1, PadBottom = 2, PadRight = 1,
            OH = 3, OW = 5,
        };
        Assert.Equal([2, 4, 3, 5], y.Shape);
        TensorAssert.Close(Reference(g, x, w, b), y, 1e-4, 1e-5);
    }

    [Fact]
    public void Grouped_and_depthwise_match_reference()
    {
        var x = TensorAssert.Random(4, -1, 1, 2, 6, 7, 9);
        foreach (int group in new[] { 3, 6 })
        {
            var w = TensorAssert.Random(5, -1, 1, 12, 6 / group, 3, 3);
            var y = new OpCase("Conv").Input(x).Const(w).Attr("group", (long)group).Attr("strides", 2L, 1L).Attr("pads", 0L, 1L, 1L, 2L).Run1();
            var g = new ConvGeometry
            {
                N = 2, C = 6, H = 7, W = 9, K = 12, Groups = group, KH = 3, KW = 3, StrideH = 2, PadLeft = 1, PadBottom = 1, PadRight = 2,
                OH = 3, OW = 10,
            };
            TensorAssert.Close(Reference(g, x, w, null), y, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void One_dimensional_matches_reference()
    {
        var x = TensorAssert.Random(6, -1, 1, 2, 3, 11);
        var w = TensorAssert.Random(7, -1, 1, 2, 3, 3);
        var y = new OpCase("Conv").Input(x).Input(w).Attr("strides", new[] { 2L }).Attr("pads", 1L, 2L).Attr("dilations", new[] { 2L }).Run1();
        var g = new ConvGeometry { N = 2, C = 3, H = 1, W = 11, K = 2, KW = 3, StrideW = 2, DilationW = 2, PadLeft = 1, PadRight = 2, OW = 5 };
        Assert.Equal([2, 2, 5], y.Shape);
        TensorAssert.Close(Reference(g, x, w, null, oneD: true), y, 1e-4, 1e-5);
    }

    [Theory]
    [InlineData("SAME_UPPER", 1, 2, 1, 2)]
    [InlineData("SAME_LOWER", 2, 1, 2, 1)]
    [InlineData("VALID", 0, 0, 0, 0)]
    public void Auto_pad_resolves_pads(string autoPad, int pt, int pb, int pl, int pr)
    {
        var x = TensorAssert.Random(8, -1, 1, 1, 2, 7, 9);
        var w = TensorAssert.Random(9, -1, 1, 3, 2, 4, 4);
        var y = new OpCase("Conv").Input(x).Input(w).Attr("auto_pad", autoPad).Attr("strides", 2L, 2L).Attr("kernel_shape", 4L, 4L).Run1();
        int oh = autoPad == "VALID" ? 2 : 4, ow = autoPad == "VALID" ? 3 : 5;
        var g = new ConvGeometry
        {
            N = 1, C = 2, H = 7, W = 9, K = 3, KH = 4, KW = 4, StrideH = 2, StrideW = 2, PadTop = pt, PadBottom = pb, PadLeft = pl, PadRight = pr,
            OH = oh, OW = ow,
        };
        Assert.Equal([1, 3, oh, ow], y.Shape);
        TensorAssert.Close(Reference(g, x, w, null), y, 1e-4, 1e-5);
    }

    [Fact]
    public void Hand_computed_3x3_with_padding()
    {
        // ONNX's conv_with_padding example: x = 0..24 on 5x5, w = ones(3x3), pads 1.
        var x = Tensor.From(Enumerable.Range(0, 25).Select(i => (float)i).ToArray(), 1, 1, 5, 5);
        var w = Tensor.From(Enumerable.Repeat(1f, 9).ToArray(), 1, 1, 3, 3);
        var y = new OpCase("Conv").Input(x).Const(w).Attr("pads", 1L, 1L, 1L, 1L).Run1();
        Assert.Equal(new float[] { 12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84 },
            y.Floats.ToArray());
    }

    [Fact]
    public void Mismatched_channels_are_reported()
    {
        var c = new OpCase("Conv").Input(Tensor.Zeros(1, 4, 5, 5)).Input(Tensor.Zeros(2, 3, 3, 3));
        var e = Assert.ThrowsAny<PrunusException>(() => c.Run1());
        Assert.Contains("input channels", e.Message);
        var k = new OpCase("Conv").Input(Tensor.Zeros(1, 3, 5, 5)).Input(Tensor.Zeros(2, 3, 3, 3)).Attr("kernel_shape", 2L, 2L);
        Assert.Contains("kernel_shape", Assert.ThrowsAny<PrunusException>(() => k.Run1()).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_match_finite_differences(bool training) =>
        GradCheck.Check(new OpCase("Conv")
            .Input(TensorAssert.Random(11, -1, 1, 2, 2, 5, 6))
            .Input(TensorAssert.Random(12, -1, 1, 3, 2, 3, 2))
            .Input(TensorAssert.Random(13, -1, 1, 3))
            .Attr("strides", 2L, 1L).Attr("pads", 1L, 0L, 2L, 1L).Attr("dilations", 1L, 2L), training);

    [Fact]
    public void Depthwise_gradients_match_finite_differences() =>
        GradCheck.Check(new OpCase("Conv")
            .Input(TensorAssert.Random(14, -1, 1, 2, 3, 5, 6))
            .Input(TensorAssert.Random(15, -1, 1, 6, 1, 3, 3))
            .Input(TensorAssert.Random(16, -1, 1, 6))
            .Attr("group", 3L).Attr("strides", 1L, 2L).Attr("pads", 1L, 2L, 0L, 1L), training: true);

    [Fact]
    public void Grouped_1d_gradients_match_finite_differences() =>
        GradCheck.Check(new OpCase("Conv")
            .Input(TensorAssert.Random(17, -1, 1, 2, 4, 9))
            .Input(TensorAssert.Random(18, -1, 1, 4, 2, 3))
            .Attr("group", 2L).Attr("strides", new[] { 2L }).Attr("pads", 2L, 1L).Attr("dilations", new[] { 2L }));

    [Fact]
    public void Pointwise_gradients_match_finite_differences() =>
        GradCheck.Check(new OpCase("Conv")
            .Input(TensorAssert.Random(19, -1, 1, 2, 3, 16, 16))
            .Input(TensorAssert.Random(20, -1, 1, 2, 3, 1, 1))
            .Input(TensorAssert.Random(21, -1, 1, 2)), maxPoints: 30);
}
