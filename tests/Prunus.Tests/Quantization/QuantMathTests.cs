using Prunus.Quantization;
using Prunus.Tensors;

namespace Prunus.Tests.Quantization;

public sealed class QuantMathTests
{
    [Theory]
    [InlineData(2.5f, 2)]
    [InlineData(3.5f, 4)]
    [InlineData(-2.5f, -2)]
    [InlineData(-3.5f, -4)]
    [InlineData(0.5f, 0)]
    [InlineData(1.5f, 2)]
    [InlineData(2.4999998f, 2)]
    public void Quantize_rounds_half_to_even(float x, int expected) =>
        Assert.Equal(expected, QuantMath.Quantize(x, 1f, 0, QuantizedType.Int8));

    [Fact]
    public void Quantize_matches_the_onnx_specification_example()
    {
        // QuantizeLinear's example: scale 2, zero point 128, uint8.
        float[] x = [0, 2, 3, 1000, -254, -1000];
        int[] expected = [128, 129, 130, 255, 1, 0];
        Assert.Equal(expected, x.Select(v => QuantMath.Quantize(v, 2f, 128, QuantizedType.UInt8)));
    }

    [Fact]
    public void Quantize_saturates_to_the_type_and_maps_nan_to_the_zero_point()
    {
        Assert.Equal(127, QuantMath.Quantize(1e9f, 0.1f, 0, QuantizedType.Int8));
        Assert.Equal(-128, QuantMath.Quantize(-1e9f, 0.1f, 0, QuantizedType.Int8));
        Assert.Equal(15, QuantMath.Quantize(100f, 1f, 0, QuantizedType.UInt4));
        Assert.Equal(-8, QuantMath.Quantize(-100f, 1f, 0, QuantizedType.Int4));
        Assert.Equal(3, QuantMath.Quantize(float.NaN, 1f, 3, QuantizedType.UInt8));
        Assert.Equal(int.MaxValue, QuantMath.QuantizeInt32(1e30f, 1e-3));
        Assert.Equal(-2, QuantMath.QuantizeInt32(-2.5f, 1.0));
        Assert.Equal(-4, QuantMath.QuantizeInt32(-3.5f, 1.0));
    }

    [Theory]
    [InlineData(QuantizedType.Int8, -128, 127, 8)]
    [InlineData(QuantizedType.UInt8, 0, 255, 8)]
    [InlineData(QuantizedType.Int4, -8, 7, 4)]
    [InlineData(QuantizedType.UInt4, 0, 15, 4)]
    public void Types_know_their_ranges(QuantizedType type, int min, int max, int bits)
    {
        Assert.Equal(min, type.Min());
        Assert.Equal(max, type.Max());
        Assert.Equal(bits, type.Bits());
        Assert.Equal(type, QuantizedTypes.Parse(type.Name().ToUpperInvariant()));
    }

    [Fact]
    public void Symmetric_signed_specs_leave_out_the_most_negative_value()
    {
        Assert.Equal(-127, new QuantizationSpec(QuantizedType.Int8, true).QMin);
        Assert.Equal(-128, new QuantizationSpec(QuantizedType.Int8, false).QMin);
        Assert.Equal(0, new QuantizationSpec(QuantizedType.UInt8, true).QMin);
        Assert.Equal(-7, new QuantizationSpec(QuantizedType.Int4, true).QMin);
    }

    [Theory]
    [InlineData(QuantizedType.Int8, true, -64, 64)]
    [InlineData(QuantizedType.Int8, false, -64, 64)]
    [InlineData(QuantizedType.UInt8, false, 0, 127)]
    public void Reduced_ranges_use_one_bit_less_as_onnx_runtime_does(QuantizedType type, bool symmetric, int qmin, int qmax)
    {
        var spec = new QuantizationSpec(type, symmetric, ReduceRange: true);
        Assert.Equal(qmin, spec.QMin);
        Assert.Equal(qmax, spec.QMax);
        var (s, _) = QuantMath.Parameters(-1, 1, spec);
        Assert.Equal(2f / (qmax - qmin), s);
    }

    [Fact]
    public void Parameters_follow_onnx_runtime()
    {
        var u8 = new QuantizationSpec(QuantizedType.UInt8, false);
        // [-1, 1] over 255 steps: 1 / float32(2/255) is 127.49999, so the zero point is 127 (as numpy computes it).
        var (s, z) = QuantMath.Parameters(-1, 1, u8);
        Assert.Equal(2f / 255, s);
        Assert.Equal(127, z);
        // A range without zero is widened to contain it.
        (s, z) = QuantMath.Parameters(2, 4, u8);
        Assert.Equal(4f / 255, s);
        Assert.Equal(0, z);
        (s, z) = QuantMath.Parameters(-4, -2, u8);
        Assert.Equal(4f / 255, s);
        Assert.Equal(255, z);
        // Symmetric int8 uses [-127, 127] and zero point 0; symmetric uint8 puts zero at 128.
        (s, z) = QuantMath.Parameters(-0.5, 1.27, new QuantizationSpec(QuantizedType.Int8, true));
        Assert.Equal((float)(2.54 / 254), s);
        Assert.Equal(0, z);
        (s, z) = QuantMath.Parameters(0, 2.55, new QuantizationSpec(QuantizedType.UInt8, true));
        Assert.Equal((float)(5.1 / 255), s);
        Assert.Equal(128, z);
        // Asymmetric int8.
        (s, z) = QuantMath.Parameters(0, 2.55, new QuantizationSpec(QuantizedType.Int8, false));
        Assert.Equal((float)(2.55 / 255), s);
        Assert.Equal(-128, z);
        // Nothing to represent: scale 1.
        Assert.Equal((1f, 0), QuantMath.Parameters(0, 0, u8));
        Assert.Equal((1f, 128), QuantMath.Parameters(0, 0, new QuantizationSpec(QuantizedType.UInt8, true)));
        Assert.Throws<ArgumentException>(() => QuantMath.Parameters(1, -1, u8));
        Assert.Throws<ArgumentException>(() => QuantMath.Parameters(double.NaN, 1, u8));
    }

    [Theory]
    [InlineData(QuantizedType.UInt8, false)]
    [InlineData(QuantizedType.Int8, false)]
    [InlineData(QuantizedType.Int8, true)]
    [InlineData(QuantizedType.UInt8, true)]
    [InlineData(QuantizedType.Int4, true)]
    public void Values_inside_the_range_round_trip_within_half_a_step(QuantizedType type, bool symmetric)
    {
        var spec = new QuantizationSpec(type, symmetric);
        var rng = new Random(5);
        double lo = -rng.NextDouble() * 3, hi = rng.NextDouble() * 5;
        var (s, z) = QuantMath.Parameters(lo, hi, spec);
        for (int i = 0; i < 2000; i++)
        {
            float x = (float)(lo + (hi - lo) * rng.NextDouble());
            float back = QuantMath.FakeQuantize(x, s, z, spec.QMin, spec.QMax);
            Assert.True(Math.Abs(back - x) <= QuantizationBudgets.RoundTripSteps * s * (1 + 1e-5), $"{x} -> {back} with scale {s}");
        }
        // Zero is exact.
        Assert.Equal(0f, QuantMath.FakeQuantize(0f, s, z, spec.QMin, spec.QMax));
    }

    [Fact]
    public void Tensors_quantize_per_channel_along_an_axis()
    {
        var x = Tensor.From(new float[] { 1, 2, 4, -1, -2, -4 }, 2, 3);
        var p = new QuantizationParameters([1f, 2f, 4f], [0, 0, 0], QuantizedType.Int8, axis: 1);
        var q = QuantMath.QuantizeTensor(x, p);
        Assert.Equal(DataType.Int8, q.Type);
        Assert.Equal(new sbyte[] { 1, 1, 1, -1, -1, -1 }, q.Span<sbyte>().ToArray());
        Assert.Equal(x.Floats.ToArray(), QuantMath.DequantizeTensor(q, p).Floats.ToArray());
        var rows = new QuantizationParameters([0.5f, 0.25f], [10, 20], QuantizedType.UInt8, axis: 0);
        var qr = QuantMath.QuantizeTensor(x, rows);
        Assert.Equal(new byte[] { 12, 14, 18, 16, 12, 4 }, qr.Span<byte>().ToArray());
        Assert.Throws<ArgumentException>(() => QuantMath.QuantizeTensor(x, new QuantizationParameters([1f, 1f], [0, 0], QuantizedType.Int8, axis: 1)));
    }

    [Fact]
    public void Parameters_check_what_they_are_given()
    {
        Assert.Throws<ArgumentException>(() => new QuantizationParameters([0f], [0], QuantizedType.Int8, null));
        Assert.Throws<ArgumentException>(() => new QuantizationParameters([1f], [300], QuantizedType.UInt8, null));
        Assert.Throws<ArgumentException>(() => new QuantizationParameters([1f, 2f], [0], QuantizedType.Int8, 0));
        var p = QuantizationParameters.PerTensor(0.5f, 7, QuantizedType.UInt8);
        Assert.Equal(0, p.ScaleTensor().Rank);
        Assert.Equal(DataType.UInt8, p.ZeroPointTensor().Type);
        Assert.Equal(7, p.ZeroPointTensor().Span<byte>()[0]);
        var c = new QuantizationParameters([1f, 2f], [-1, 1], QuantizedType.Int8, 0);
        Assert.Equal([2], c.ScaleTensor().Shape);
        Assert.Equal(new sbyte[] { -1, 1 }, c.ZeroPointTensor().Span<sbyte>().ToArray());
    }
}
