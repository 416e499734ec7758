using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class ConvTransposeTests
{
    private static Tensor X0To8 => Tensor.From(Enumerable.Range(0, 9).Select(i => (float)i).ToArray(), 1, 1, 3, 3);
    private static Tensor Ones1x2x3x3 => Tensor.From(Enumerable.Repeat(1f, 18).ToArray(), 1, 2, 3, 3);

    private static float[] TwoChannels(float[] plane) => plane.Concat(plane).ToArray();

    // Expected values below are the ONNX backend test cases for ConvTranspose.
    [Fact]
    public void Auto_pad_same_upper_puts_the_odd_pad_at_the_end()
    {
        var y = new OpCase("ConvTranspose").Input(X0To8).Const(Ones1x2x3x3).Attr("auto_pad", "SAME_UPPER").Attr("strides", 2L, 2L).Run1();
        Assert.Equal([1, 2, 6, 6], y.Shape);
        Assert.Equal(TwoChannels([
            0, 0, 1, 1, 3, 2, 0, 0, 1, 1, 3, 2, 3, 3, 8, 5, 12, 7, 3, 3, 7, 4, 9, 5, 9, 9, 20, 11, 24, 13, 6, 6, 13, 7, 15, 8]), y.Floats.ToArray());
    }

    [Fact]
    public void Output_shape_and_output_padding_extend_the_far_end()
    {
        float[] plane = [
            0, 0, 1, 1, 3, 2, 2, 0, 0, 0, 1, 1, 3, 2, 2, 0, 0, 0, 1, 1, 3, 2, 2, 0,
            3, 3, 7, 4, 9, 5, 5, 0, 3, 3, 7, 4, 9, 5, 5, 0, 3, 3, 7, 4, 9, 5, 5, 0,
            6, 6, 13, 7, 15, 8, 8, 0, 6, 6, 13, 7, 15, 8, 8, 0, 6, 6, 13, 7, 15, 8, 8, 0,
            0, 0, 0, 0, 0, 0, 0, 0];
        var byShape = new OpCase("ConvTranspose").Input(X0To8).Const(Ones1x2x3x3).Attr("strides", 3L, 2L).Attr("output_shape", 10L, 8L).Run1();
        var byPadding = new OpCase("ConvTranspose").Input(X0To8).Const(Ones1x2x3x3).Attr("strides", 3L, 2L).Attr("output_padding", 1L, 1L).Run1();
        Assert.Equal([1, 2, 10, 8], byShape.Shape);
        Assert.Equal(TwoChannels(plane), byShape.Floats.ToArray());
        Assert.Equal(TwoChannels(plane), byPadding.Floats.ToArray());
    }

    [Fact]
    public void Pads_crop_the_output()
    {
        var y = new OpCase("ConvTranspose").Input(X0To8).Const(Ones1x2x3x3).Attr("strides", 3L, 2L).Attr("pads", 1L, 2L, 1L, 2L).Run1();
        Assert.Equal([1, 2, 7, 3], y.Shape);
        Assert.Equal(TwoChannels([1, 1, 3, 1, 1, 3, 7, 4, 9, 7, 4, 9, 7, 4, 9, 13, 7, 15, 13, 7, 15]), y.Floats.ToArray());
    }

    [Fact]
    public void Dilations_spread_the_kernel()
    {
        var x = Tensor.From(new float[] { 3, 8, 1, 9, 5, 7, 3, 2, 6 }, 1, 1, 3, 3);
        var w = Tensor.From(new float[] { 7, 2, 1, 9 }, 1, 1, 2, 2);
        var y = new OpCase("ConvTranspose").Input(x).Input(w).Attr("dilations", 2L, 2L).Run1();
        Assert.Equal(new float[] { 21, 56, 13, 16, 2, 63, 35, 67, 10, 14, 24, 22, 76, 76, 21, 9, 5, 88, 45, 63, 3, 2, 33, 18, 54 }, y.Floats.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Grouped_strided_matches_the_adjoint_of_the_reference_convolution(int group)
    {
        var x = TensorAssert.Random(1, -1, 1, 2, 3, 4, 5);
        var w = TensorAssert.Random(2, -1, 1, 3, 2, 3, 2);
        int kPerGroup = w.Shape[1];
        var b = TensorAssert.Random(3, -1, 1, kPerGroup * group);
        var y = new OpCase("ConvTranspose").Input(x).Input(w).Input(b).Attr("group", (long)group)
            .Attr("strides", 2L, 3L).Attr("dilations", 1L, 2L).Attr("pads", 1L, 0L, 0L, 2L).Attr("output_padding", 1L, 2L).Run1();
        // out = s*(in-1) + op + (k-1)*d + 1 - pads
        int oh = 2 * 3 + 1 + 3 - 1, ow = 3 * 4 + 2 + 3 - 2;
        var g = new ConvGeometry
        {
            N = 2, C = kPerGroup * group, H = oh, W = ow, K = 3, Groups = group, KH = 3, KW = 2, StrideH = 2, StrideW = 3, DilationW = 2,
            PadTop = 1, PadRight = 2, OH = 4, OW = 5,
        };
        Assert.Equal([2, g.C, oh, ow], y.Shape);
        var expected = new float[g.N * g.C * g.InPlane];
        ConvolutionReference.BackwardData(g, w.Floats, x.Floats, expected);
        for (int i = 0; i < expected.Length; i++) expected[i] += b.Floats[i / g.InPlane % g.C];
        TensorAssert.Close(expected, y.Floats, 1e-4, 1e-5);
    }

    [Fact]
    public void One_dimensional_depthwise_matches_reference()
    {
        var x = TensorAssert.Random(4, -1, 1, 2, 3, 6);
        var w = TensorAssert.Random(5, -1, 1, 3, 1, 3);
        var y = new OpCase("ConvTranspose").Input(x).Input(w).Attr("group", 3L).Attr("strides", new[] { 2L }).Run1();
        var g = new ConvGeometry { N = 2, C = 3, H = 1, W = 13, K = 3, Groups = 3, KW = 3, StrideW = 2, OW = 6 };
        Assert.Equal([2, 3, 13], y.Shape);
        var expected = new float[g.N * g.C * g.InPlane];
        ConvolutionReference.BackwardData(g, w.Floats, x.Floats, expected);
        TensorAssert.Close(expected, y.Floats, 1e-4, 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_match_finite_differences(bool training) =>
        GradCheck.Check(new OpCase("ConvTranspose")
            .Input(TensorAssert.Random(11, -1, 1, 2, 2, 3, 4))
            .Input(TensorAssert.Random(12, -1, 1, 2, 2, 3, 2))
            .Input(TensorAssert.Random(13, -1, 1, 4))
            .Attr("group", 2L).Attr("strides", 2L, 1L).Attr("pads", 1L, 0L, 0L, 1L).Attr("output_padding", 1L, 0L).Attr("dilations", 1L, 2L), training);

    [Fact]
    public void Depthwise_gradients_match_finite_differences() =>
        GradCheck.Check(new OpCase("ConvTranspose")
            .Input(TensorAssert.Random(14, -1, 1, 1, 3, 3, 4))
            .Input(TensorAssert.Random(15, -1, 1, 3, 1, 2, 3))
            .Attr("group", 3L).Attr("strides", 2L, 2L).Attr("auto_pad", "SAME_LOWER"), training: true);
}
