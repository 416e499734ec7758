using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class ConvIntegerTests
{
    [Fact]
    public void Padding_adds_nothing_after_the_zero_point_is_subtracted()
    {
        // x' = x - 1 = [[0,1,2],[3,4,5],[6,7,8]], a 2x2 kernel of ones, pads 1: sums of x' over each window.
        var y = new OpCase("ConvInteger").WithOpset(10)
            .Input(Tensor.From(Enumerable.Range(1, 9).Select(v => (byte)v).ToArray(), 1, 1, 3, 3))
            .Const(Tensor.From(new byte[] { 1, 1, 1, 1 }, 1, 1, 2, 2))
            .Const(Tensor.Scalar((byte)1))
            .Attr("pads", 1L, 1L, 1L, 1L).Run1();
        Assert.Equal([1, 1, 4, 4], y.Shape);
        Assert.Equal(new[] { 0, 1, 3, 2, 3, 8, 12, 7, 9, 20, 24, 13, 6, 13, 15, 8 }, y.Span<int>().ToArray());
    }

    [Fact]
    public void Groups_strides_auto_pad_and_per_channel_weight_zero_points_match_a_plain_reference()
    {
        // x [2,4,7,6] int8, w [6,2,3,3] uint8 in 2 groups, stride 2, SAME_UPPER: pads (1,1) on both axes.
        var rng = new Random(12);
        var x = Enumerable.Range(0, 2 * 4 * 7 * 6).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var w = Enumerable.Range(0, 6 * 2 * 9).Select(_ => (byte)rng.Next(256)).ToArray();
        var zw = Enumerable.Range(0, 6).Select(_ => (byte)rng.Next(256)).ToArray();
        const sbyte zx = 7;
        var y = new OpCase("ConvInteger").Input(Tensor.From(x, 2, 4, 7, 6)).Const(Tensor.From(w, 6, 2, 3, 3))
            .Const(Tensor.Scalar(zx)).Const(Tensor.From(zw, 6))
            .Attr("group", 2L).Attr("strides", 2L, 2L).Attr("auto_pad", "SAME_UPPER").Run1();
        Assert.Equal([2, 6, 4, 3], y.Shape);
        var g = new ConvGeometry { N = 2, C = 4, H = 7, W = 6, K = 6, Groups = 2, KH = 3, KW = 3, StrideH = 2, StrideW = 2,
            PadTop = 1, PadBottom = 1, PadLeft = 0, PadRight = 1, OH = 4, OW = 3 };
        var expected = new float[2 * 6 * 12];
        ConvolutionReference.Forward(g, x.Select(v => (float)(v - zx)).ToArray(), w.Select((v, i) => (float)(v - zw[i / 18])).ToArray(), default, expected);
        Assert.Equal(expected.Select(v => (int)v).ToArray(), y.Span<int>().ToArray());
    }

    [Fact]
    public void One_and_three_spatial_axes()
    {
        var y1 = new OpCase("ConvInteger").Input(Tensor.From(new byte[] { 1, 2, 3, 4 }, 1, 1, 4)).Const(Tensor.From(new byte[] { 1, 2 }, 1, 1, 2))
            .Attr("dilations", new long[] { 2 }).Run1();
        Assert.Equal(new[] { 1 + 6, 2 + 8 }, y1.Span<int>().ToArray());
        var y3 = new OpCase("ConvInteger").Input(Tensor.From(Enumerable.Range(0, 8).Select(v => (sbyte)v).ToArray(), 1, 1, 2, 2, 2))
            .Const(Tensor.From(Enumerable.Repeat((sbyte)1, 8).ToArray(), 1, 1, 2, 2, 2)).Run1();
        Assert.Equal([1, 1, 1, 1, 1], y3.Shape);
        Assert.Equal(28, y3.Span<int>()[0]);
    }

    [Theory]
    [InlineData("x-zp", "x_zero_point must be a single value")]
    [InlineData("w-zp", "w_zero_point [2] must be a single value (per-tensor) or [3]")]
    [InlineData("group", "group 2 must be positive and divide")]
    public void Inconsistent_inputs_are_errors(string what, string message)
    {
        var x = Tensor.From(new byte[1 * 3 * 4 * 4], 1, 3, 4, 4);
        var w = Tensor.From(new byte[3 * 3 * 4], 3, 3, 2, 2);
        var c = what switch
        {
            "x-zp" => new OpCase("ConvInteger").Input(x).Const(w).Const(Tensor.From(new byte[2], 2)),
            "w-zp" => new OpCase("ConvInteger").Input(x).Const(w).Absent().Const(Tensor.From(new byte[2], 2)),
            _ => new OpCase("ConvInteger").Input(x).Const(w).Attr("group", 2L),
        };
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
