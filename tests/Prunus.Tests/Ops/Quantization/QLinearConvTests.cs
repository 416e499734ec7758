using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class QLinearConvTests
{
    [Fact]
    public void Hand_computed_with_bias_and_a_tie()
    {
        // x' = [1,2,3] (x 11..13, zp 10), w' = [1,1] (w 2, zp 1): acc [3,5] + bias 2 = [5,7]; x 0.5 * 1 / 1 -> 2.5, 3.5 -> 2, 4; + 3.
        var y = new OpCase("QLinearConv").WithOpset(10)
            .Input(Tensor.From(new byte[] { 11, 12, 13 }, 1, 1, 3)).Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar((byte)10))
            .Const(Tensor.From(new byte[] { 2, 2 }, 1, 1, 2)).Const(Tensor.Scalar(1f)).Const(Tensor.Scalar((byte)1))
            .Const(Tensor.Scalar(1f)).Const(Tensor.Scalar((byte)3)).Const(Tensor.From(new[] { 2 }, 1)).Run1();
        Assert.Equal(DataType.UInt8, y.Type);
        Assert.Equal(new byte[] { 5, 7 }, y.Span<byte>().ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Per_channel_int8_weights_match_a_plain_reference(bool perChannel)
    {
        // x [1,4,6,5] uint8, w [6,2,3,3] int8 (2 groups), pads 1: y int8 [1,6,6,5].
        var rng = new Random(perChannel ? 21 : 22);
        var x = Enumerable.Range(0, 4 * 30).Select(_ => (byte)rng.Next(256)).ToArray();
        var w = Enumerable.Range(0, 6 * 18).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        var sw = Enumerable.Range(0, perChannel ? 6 : 1).Select(_ => 0.002f + (float)rng.NextDouble() * 0.01f).ToArray();
        var bias = Enumerable.Range(0, 6).Select(_ => rng.Next(-2000, 2000)).ToArray();
        const float sx = 0.02f, sy = 0.15f;
        const byte zx = 120;
        const sbyte zy = -4;
        var y = new OpCase("QLinearConv")
            .Input(Tensor.From(x, 1, 4, 6, 5)).Const(Tensor.Scalar(sx)).Const(Tensor.Scalar(zx))
            .Const(Tensor.From(w, 6, 2, 3, 3)).Const(perChannel ? Tensor.From(sw, 6) : Tensor.Scalar(sw[0]))
            .Const(perChannel ? Tensor.From(new sbyte[6], 6) : Tensor.Scalar((sbyte)0))
            .Const(Tensor.Scalar(sy)).Const(Tensor.Scalar(zy)).Const(Tensor.From(bias, 6))
            .Attr("group", 2L).Attr("pads", 1L, 1L, 1L, 1L).Run1();
        Assert.Equal(DataType.Int8, y.Type);
        var g = new ConvGeometry { N = 1, C = 4, H = 6, W = 5, K = 6, Groups = 2, KH = 3, KW = 3, PadTop = 1, PadBottom = 1, PadLeft = 1, PadRight = 1, OH = 6, OW = 5 };
        var acc = new float[6 * 30];
        ConvolutionReference.Forward(g, x.Select(v => (float)(v - zx)).ToArray(), w.Select(v => (float)v).ToArray(), default, acc);
        var got = y.Span<sbyte>().ToArray();
        Assert.True(got.Distinct().Count() > 10, "outputs barely vary");
        for (int i = 0; i < acc.Length; i++)
        {
            int k = i / 30;
            float v = MathF.Round(((int)acc[i] + bias[k]) * (sx * sw[perChannel ? k : 0] / sy)) + zy;
            Assert.Equal((sbyte)Math.Clamp(v, -128, 127), got[i]);
        }
    }

    [Theory]
    [InlineData("bias-type", "B must be int32")]
    [InlineData("bias-shape", "B must be [2]")]
    [InlineData("w-scale", "w_scale [3] must be a single value (per-tensor) or [2]")]
    [InlineData("x-scale", "x_scale must be a single value")]
    public void Inconsistent_inputs_are_errors(string what, string message)
    {
        var c = new OpCase("QLinearConv").Input(Tensor.From(new byte[9], 1, 1, 3, 3))
            .Const(what == "x-scale" ? Tensor.From(new[] { 1f, 1f }, 2) : Tensor.Scalar(1f)).Const(Tensor.Scalar((byte)0))
            .Const(Tensor.From(new sbyte[8], 2, 1, 2, 2)).Const(what == "w-scale" ? Tensor.From(new[] { 1f, 1f, 1f }, 3) : Tensor.Scalar(1f))
            .Const(Tensor.Scalar((sbyte)0)).Const(Tensor.Scalar(1f)).Const(Tensor.Scalar((byte)0))
            .Const(what switch { "bias-type" => Tensor.From(new[] { 1f, 1f }, 2), "bias-shape" => Tensor.From(new[] { 1, 1, 1 }, 3), _ => Tensor.From(new[] { 1, 1 }, 2) });
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
