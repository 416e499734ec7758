using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class QuantizeLinearTests
{
    private static OpCase Q(Tensor x, Tensor scale, Tensor? zeroPoint = null)
    {
        var c = new OpCase("QuantizeLinear").WithOpset(21).Input(x).Const(scale);
        return zeroPoint is null ? c : c.Const(zeroPoint);
    }

    private static Tensor F(params float[] v) => Tensor.From(v, v.Length);

    [Fact]
    public void Ties_round_to_even()
    {
        var y = Q(F(2.5f, -2.5f, 3.5f, -3.5f, 0.5f, 1.5f, -0.5f, 2.4f, 2.6f), Tensor.Scalar(1f), Tensor.Scalar((sbyte)0)).Run1();
        Assert.Equal(DataType.Int8, y.Type);
        Assert.Equal(new sbyte[] { 2, -2, 4, -4, 0, 2, 0, 2, 3 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Ties_are_decided_after_dividing_by_the_scale()
    {
        // 5 / 2 = 2.5 -> 2 and 7 / 2 = 3.5 -> 4, then the zero point is added.
        var y = Q(F(5f, 7f, -5f), Tensor.Scalar(2f), Tensor.Scalar((byte)10)).Run1();
        Assert.Equal(new byte[] { 12, 14, 8 }, y.Span<byte>().ToArray());
    }

    [Fact]
    public void Saturates_to_the_type_range()
    {
        var u = Q(F(-100f, 100f, 0f, 63.5f, 64f), Tensor.Scalar(0.5f), Tensor.Scalar((byte)128)).Run1();
        Assert.Equal(new byte[] { 0, 255, 128, 255, 255 }, u.Span<byte>().ToArray());
        var s = Q(F(1000f, -1000f, 127.4f, -128.6f), Tensor.Scalar(1f), Tensor.Scalar((sbyte)0)).Run1();
        Assert.Equal(new sbyte[] { 127, -128, 127, -128 }, s.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Negative_zero_point_shifts_and_then_saturates()
    {
        var y = Q(F(0f, 3f, -250f, 270f), Tensor.Scalar(2f), Tensor.Scalar((sbyte)-10)).Run1();
        // 0 -> -10; 1.5 -> 2 -> -8; -125 -> -135 -> -128; 135 -> 125.
        Assert.Equal(new sbyte[] { -10, -8, -128, 125 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Without_zero_point_the_output_is_uint8()
    {
        var y = Q(F(1.2f, -1f, 300f), Tensor.Scalar(1f)).Run1();
        Assert.Equal(DataType.UInt8, y.Type);
        Assert.Equal(new byte[] { 1, 0, 255 }, y.Span<byte>().ToArray());
    }

    [Fact]
    public void Nan_goes_to_the_low_end_and_infinities_saturate()
    {
        var y = Q(F(float.NaN, float.PositiveInfinity, float.NegativeInfinity), Tensor.Scalar(1f), Tensor.Scalar((sbyte)3)).Run1();
        Assert.Equal(new sbyte[] { -128, 127, -128 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Output_dtype_chooses_the_type_without_a_zero_point()
    {
        var y = new OpCase("QuantizeLinear").WithOpset(21).Input(F(-3.4f, 200f)).Const(Tensor.Scalar(1f))
            .Attr("output_dtype", (long)DataType.Int8).Run1();
        Assert.Equal(DataType.Int8, y.Type);
        Assert.Equal(new sbyte[] { -3, 127 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Sixteen_bit_types_saturate_to_their_range()
    {
        var s = Q(F(40000f, -40000f, 2.5f), Tensor.Scalar(1f), Tensor.Scalar((short)-1)).Run1();
        Assert.Equal(DataType.Int16, s.Type);
        Assert.Equal(new short[] { 32767, -32768, 1 }, s.Span<short>().ToArray());
        var u = Q(F(70000f, -1f, 1000.5f), Tensor.Scalar(1f), Tensor.Scalar((ushort)0)).Run1();
        Assert.Equal(new ushort[] { 65535, 0, 1000 }, u.Span<ushort>().ToArray());
    }

    [Fact]
    public void Four_bit_types_saturate_to_their_range()
    {
        var s = Q(F(7.6f, -9f, 3f, -8.4f, 2.5f), Tensor.Scalar(1f), QuantTensors.Int4([0])).Run1();
        Assert.Equal(DataType.Int4, s.Type);
        Assert.Equal(new sbyte[] { 7, -8, 3, -8, 2 }, s.Span<sbyte>().ToArray());
        var u = Q(F(7.6f, -9f, 30f, 0.5f), Tensor.Scalar(0.5f), QuantTensors.UInt4([1])).Run1();
        Assert.Equal(DataType.UInt4, u.Type);
        Assert.Equal(new byte[] { 15, 0, 15, 2 }, u.Span<byte>().ToArray());
    }

    [Fact]
    public void Int32_input_quantizes_too()
    {
        var y = Q(Tensor.From(new[] { 5, -5, 1000, 7 }, 4), Tensor.Scalar(2f), Tensor.Scalar((sbyte)1)).Run1();
        Assert.Equal(new sbyte[] { 3, -1, 127, 5 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Int32_input_with_an_int32_scale_from_opset_19()
    {
        var y = new OpCase("QuantizeLinear").WithOpset(19).Input(Tensor.From(new[] { 5, -5, 6 }, 3)).Const(Tensor.Scalar(2)).Const(Tensor.Scalar((byte)10)).Run1();
        Assert.Equal(new byte[] { 12, 8, 13 }, y.Span<byte>().ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Per_axis_uses_one_scale_and_zero_point_per_index(int axis)
    {
        int[] shape = [2, 3, 4];
        int a = axis < 0 ? axis + 3 : axis;
        var x = TensorAssert.Random(axis + 10, -20, 20, shape);
        var scale = Tensor.From(Enumerable.Range(0, shape[a]).Select(i => 0.25f * (i + 1)).ToArray(), shape[a]);
        var zp = Tensor.From(Enumerable.Range(0, shape[a]).Select(i => (sbyte)(3 * i - 4)).ToArray(), shape[a]);
        var y = Q(x, scale, zp).Attr("axis", (long)axis).Run1().Span<sbyte>().ToArray();
        var xs = x.Floats.ToArray();
        for (int e = 0; e < xs.Length; e++)
        {
            int idx = a switch { 0 => e / 12, 1 => e / 4 % 3, _ => e % 4 };
            Assert.Equal(QuantTensors.Expected(xs[e], scale.Floats[idx], zp.Span<sbyte>()[idx], -128, 127), y[e]);
        }
    }

    [Fact]
    public void Per_axis_hand_computed()
    {
        // x [2,2], axis 1: column 0 scale 1 zp 0, column 1 scale 0.5 zp -1.
        var y = Q(Tensor.From(new[] { 1f, 1f, -3f, 2.25f }, 2, 2), Tensor.From(new[] { 1f, 0.5f }, 2), Tensor.From(new sbyte[] { 0, -1 }, 2)).Run1();
        Assert.Equal(new sbyte[] { 1, 1, -3, 3 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Blocked_with_a_partial_last_block()
    {
        // x [2,5], blocks of 2 along axis 1: columns {0,1}, {2,3}, {4}; scale [2,3].
        var x = Tensor.From(new[] { 1f, 2f, 3f, 4f, 5f, -1f, -2f, -3f, -4f, -5f }, 2, 5);
        var scale = Tensor.From(new[] { 1f, 2f, 4f, 0.5f, 1f, 2f }, 2, 3);
        var zp = Tensor.From(new sbyte[] { 0, 1, -1, 2, 0, 0 }, 2, 3);
        var y = Q(x, scale, zp).Attr("axis", 1L).Attr("block_size", 2L).Run1();
        // row 0: 1/1, 2/1 -> 1, 2; 3/2=1.5 -> 2+1, 4/2 -> 2+1; 5/4=1.25 -> 1-1.
        // row 1: -1/0.5, -2/0.5 -> -2+2, -4+2; -3/1, -4/1 -> -3, -4; -5/2=-2.5 -> -2.
        Assert.Equal(new sbyte[] { 1, 2, 3, 3, 0, 0, -2, -3, -4, -2 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Blocked_along_axis_0()
    {
        // x [3,2], blocks of 2 along axis 0: rows {0,1}, {2}; scale [2,2].
        var x = Tensor.From(new[] { 2f, 2f, 4f, 4f, 6f, 6f }, 3, 2);
        var y = Q(x, Tensor.From(new[] { 1f, 2f, 3f, 4f }, 2, 2)).Attr("axis", 0L).Attr("block_size", 2L).Run1();
        Assert.Equal(new byte[] { 2, 1, 4, 2, 2, 2 }, y.Span<byte>().ToArray());
    }

    [Theory]
    [InlineData("scale", "y_scale has 3 values but axis 1")]
    [InlineData("zp", "must have the shape of y_scale")]
    [InlineData("block", "must have shape [2,3]")]
    [InlineData("float8", "float8e4m3fn")]
    [InlineData("dtype", "does not match y_zero_point's type")]
    [InlineData("axis", "axis 3 is outside")]
    [InlineData("rank2", "must be a scalar (per-tensor), 1-D")]
    public void Inconsistent_parameters_are_errors_that_say_what_to_fix(string what, string message)
    {
        var x = Tensor.Zeros(2, 5);
        var c = what switch
        {
            "scale" => Q(x, Tensor.From(new[] { 1f, 1f, 1f }, 3)),
            "zp" => Q(x, Tensor.From(new[] { 1f, 1f, 1f, 1f, 1f }, 5), Tensor.From(new sbyte[] { 0, 0 }, 2)),
            "block" => Q(x, Tensor.From(new[] { 1f, 1f, 1f, 1f }, 2, 2)).Attr("block_size", 2L),
            "float8" => Q(x, Tensor.Scalar(1f)).Attr("output_dtype", 17L),
            "dtype" => Q(x, Tensor.Scalar(1f), Tensor.Scalar((byte)0)).Attr("output_dtype", 3L),
            "axis" => Q(x, Tensor.From(new[] { 1f, 1f }, 2)).Attr("axis", 3L),
            _ => Q(x, Tensor.From(new[] { 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f }, 2, 5)),
        };
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
