using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class DequantizeLinearTests
{
    private static OpCase DQ(Tensor x, Tensor scale, Tensor? zeroPoint = null)
    {
        var c = new OpCase("DequantizeLinear").WithOpset(21).Input(x).Const(scale);
        return zeroPoint is null ? c : c.Const(zeroPoint);
    }

    [Fact]
    public void Int8_with_negative_zero_point()
    {
        var y = DQ(Tensor.From(new sbyte[] { -128, -10, 0, 127 }, 4), Tensor.Scalar(0.5f), Tensor.Scalar((sbyte)-10)).Run1();
        Assert.Equal(DataType.Float32, y.Type);
        Assert.Equal(new[] { -59f, 0f, 5f, 68.5f }, y.Floats.ToArray());
    }

    [Fact]
    public void Uint8_and_int32_and_no_zero_point()
    {
        Assert.Equal(new[] { -256f, 0f, 254f }, DQ(Tensor.From(new byte[] { 0, 128, 255 }, 3), Tensor.Scalar(2f), Tensor.Scalar((byte)128)).Run1().Floats.ToArray());
        Assert.Equal(new[] { 0f, 25.5f }, DQ(Tensor.From(new byte[] { 0, 255 }, 2), Tensor.Scalar(0.1f)).Run1().Floats.ToArray().Select(v => MathF.Round(v, 4)));
        Assert.Equal(new[] { -3000f, 7f }, DQ(Tensor.From(new[] { -6000, 14 }, 2), Tensor.Scalar(0.5f)).Run1().Floats.ToArray());
    }

    [Fact]
    public void Sixteen_and_four_bit_inputs()
    {
        Assert.Equal(new[] { -32768f, 32766f }, DQ(Tensor.From(new short[] { -32767, 32767 }, 2), Tensor.Scalar(1f), Tensor.Scalar((short)1)).Run1().Floats.ToArray());
        Assert.Equal(new[] { 0f, 65535f }, DQ(Tensor.From(new ushort[] { 0, 65535 }, 2), Tensor.Scalar(1f)).Run1().Floats.ToArray());
        var y4 = DQ(QuantTensors.Int4([-8, -1, 0, 7, 3], 5), Tensor.Scalar(0.25f), QuantTensors.Int4([-1])).Run1();
        Assert.Equal(new[] { -1.75f, 0f, 0.25f, 2f, 1f }, y4.Floats.ToArray());
        var u4 = DQ(QuantTensors.UInt4([0, 15, 8], 3), Tensor.Scalar(2f), QuantTensors.UInt4([8])).Run1();
        Assert.Equal(new[] { -16f, 14f, 0f }, u4.Floats.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Per_axis_uses_one_scale_and_zero_point_per_index(int axis)
    {
        int[] shape = [3, 2, 5];
        int a = axis < 0 ? axis + 3 : axis;
        var rng = new Random(axis + 5);
        var xs = Enumerable.Range(0, 30).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var scale = Enumerable.Range(0, shape[a]).Select(i => 0.125f * (i + 1)).ToArray();
        var zp = Enumerable.Range(0, shape[a]).Select(i => (sbyte)(5 * i - 7)).ToArray();
        var y = DQ(Tensor.From(xs, shape), Tensor.From(scale, shape[a]), Tensor.From(zp, shape[a])).Attr("axis", (long)axis).Run1().Floats.ToArray();
        for (int e = 0; e < xs.Length; e++)
        {
            int idx = a switch { 0 => e / 10, 1 => e / 5 % 2, _ => e % 5 };
            Assert.Equal(((float)xs[e] - zp[idx]) * scale[idx], y[e]);
        }
    }

    [Fact]
    public void Blocked_with_a_partial_last_block_on_int4_weights()
    {
        // W [2,5] int4, blocks of 2 along axis 1 (the weight-only layout): scale [2,3], no zero point.
        var w = QuantTensors.Int4([1, 2, 3, 4, 5, -1, -2, -3, -4, -5], 2, 5);
        var scale = Tensor.From(new[] { 1f, 2f, 4f, 0.5f, 1f, 2f }, 2, 3);
        var y = DQ(w, scale).Attr("axis", 1L).Attr("block_size", 2L).Run1();
        Assert.Equal(new[] { 1f, 2f, 6f, 8f, 20f, -0.5f, -1f, -3f, -4f, -10f }, y.Floats.ToArray());
    }

    [Fact]
    public void Round_trip_error_is_at_most_half_a_step()
    {
        var x = TensorAssert.Random(3, -4, 4, 4, 33);
        const float s = 0.05f;
        var q = new OpCase("QuantizeLinear").Input(x).Const(Tensor.Scalar(s)).Const(Tensor.Scalar((sbyte)3)).Run1();
        var y = DQ(q, Tensor.Scalar(s), Tensor.Scalar((sbyte)3)).Run1();
        for (int i = 0; i < x.Length; i++) Assert.True(MathF.Abs(y.Floats[i] - x.Floats[i]) <= s / 2 + 1e-6f, $"[{i}] {x.Floats[i]} -> {y.Floats[i]}");
    }

    [Theory]
    [InlineData("zp-type", "x_zero_point must have x's type")]
    [InlineData("x-type", "x must be one of")]
    [InlineData("dtype", "float16")]
    public void Inconsistent_inputs_are_errors(string what, string message)
    {
        var c = what switch
        {
            "zp-type" => DQ(Tensor.From(new sbyte[] { 1 }, 1), Tensor.Scalar(1f), Tensor.Scalar((byte)0)),
            "x-type" => DQ(Tensor.From(new[] { 1f }, 1), Tensor.Scalar(1f)),
            _ => DQ(Tensor.From(new sbyte[] { 1 }, 1), Tensor.Scalar(1f)).Attr("output_dtype", 10L),
        };
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
