using Prunus.Quantization;
using Prunus.Quantization.Observers;
using Prunus.Tensors;

namespace Prunus.Tests.Quantization;

public sealed class WeightRangesTests
{
    [Fact]
    public void Conv_weights_get_one_symmetric_scale_per_output_channel()
    {
        // W [K=2, C=1, 2, 2]: channel 0 peaks at 1.27, channel 1 at -2.54.
        var w = Tensor.From(new float[] { 0.1f, -1.27f, 0.5f, 0f, 2f, -2.54f, 1f, 0.3f }, 2, 1, 2, 2);
        var p = WeightRanges.Parameters(w, QuantizationSpec.DefaultWeights, axis: 0);
        Assert.Equal(0, p.Axis);
        Assert.Equal(0.01f, p.Scales[0], 6);
        Assert.Equal(0.02f, p.Scales[1], 6);
        Assert.Equal([0, 0], p.ZeroPoints);
        var q = QuantMath.QuantizeTensor(w, p, -127, 127);
        Assert.Equal(new sbyte[] { 10, -127, 50, 0, 100, -127, 50, 15 }, q.Span<sbyte>().ToArray());
    }

    [Fact]
    public void MatMul_weights_are_per_column_and_per_tensor_on_request()
    {
        // W [K_in=2, N_out=3]: columns have maxima 1, 2, 4.
        var w = Tensor.From(new float[] { 1, -2, -0.5f, 0.5f, 1, -4 }, 2, 3);
        var p = WeightRanges.Parameters(w, QuantizationSpec.DefaultWeights, axis: 1);
        Assert.Equal(new[] { 1f / 127, 2f / 127, 4f / 127 }, p.Scales);
        var t = WeightRanges.Parameters(w, QuantizationSpec.DefaultWeights with { Granularity = ScaleGranularity.PerTensor }, axis: 1);
        Assert.False(t.PerChannel);
        Assert.Equal(4f / 127, t.Scale);
        var a = WeightRanges.Parameters(w, new QuantizationSpec(QuantizedType.UInt8, false, ScaleGranularity.PerChannel), axis: 1);
        Assert.Equal(1f / 255, a.Scales[0]);
        Assert.Equal(0, a.ZeroPoints[0]);
        Assert.Equal(255, a.ZeroPoints[2]); // column 2 lies in [-4, -0.5]
    }

    [Fact]
    public void Mse_weight_ranges_clip_an_outlier_and_lower_the_error()
    {
        var values = Distributions.Normal(4000, 0.1, seed: 9);
        values[7] = 3;
        var w = Tensor.From(values, 1, 4000);
        var spec = new QuantizationSpec(QuantizedType.Int4, true, ScaleGranularity.PerChannel);
        var minmax = WeightRanges.Parameters(w, spec, 0, WeightRangeMethod.MinMax);
        var mse = WeightRanges.Parameters(w, spec, 0, WeightRangeMethod.Mse);
        Assert.True(mse.Scales[0] < minmax.Scales[0]);
        double Error(QuantizationParameters p) => values.Sum(v => Math.Pow(v - QuantMath.FakeQuantize(v, p.Scales[0], 0, spec.QMin, spec.QMax), 2));
        Assert.True(Error(mse) < Error(minmax));
    }

    [Fact]
    public void All_zero_channels_get_scale_one()
    {
        var w = Tensor.Zeros(3, 4);
        var p = WeightRanges.Parameters(w, QuantizationSpec.DefaultWeights, 0, WeightRangeMethod.Mse);
        Assert.All(p.Scales, s => Assert.Equal(1f, s));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightRanges.Parameters(w, QuantizationSpec.DefaultWeights, 2));
    }
}
