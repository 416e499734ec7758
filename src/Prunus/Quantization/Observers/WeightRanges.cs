using Prunus.Tensors;

namespace Prunus.Quantization.Observers;

/// <summary>How the range of a weight (or of each of its channels) is chosen.</summary>
public enum WeightRangeMethod
{
    /// <summary>The exact extremes (ONNX Runtime's and PyTorch's default for weights).</summary>
    MinMax,
    /// <summary>The range, shrunk from the extremes, with the least squared error over the actual weights.</summary>
    Mse,
}

/// <summary>
/// Scales and zero points of constant weights, per tensor or per channel, from the exact weight values (no
/// calibration data needed). A channel is the set of entries with one index along the channel axis.
/// </summary>
public static class WeightRanges
{
    /// <summary>Fractions of the extremes the MSE search tries: 1, 0.99, ..., 0.20.</summary>
    private const int MseSteps = 80;

    /// <summary>
    /// Parameters of <paramref name="weight"/> for <paramref name="spec"/>: per channel along
    /// <paramref name="axis"/> when the spec says per channel, else per tensor.
    /// </summary>
    public static QuantizationParameters Parameters(Tensor weight, QuantizationSpec spec, int axis, WeightRangeMethod method = WeightRangeMethod.MinMax)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(spec);
        if (weight.Type != DataType.Float32) throw new ArgumentException($"weights to quantize must be float32, got {weight.Type}");
        var w = weight.Floats;
        if (spec.Granularity == ScaleGranularity.PerTensor)
        {
            var (s, z) = ChannelParameters(w, 0, 1, w.Length, 1, spec, method);
            return QuantizationParameters.PerTensor(s, z, spec.Type);
        }
        if (axis < 0 || axis >= weight.Rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"the channel axis must lie in [0, {weight.Rank}) for {weight}");
        int channels = weight.Shape[axis];
        int inner = ShapeMath.Size(weight.Shape[(axis + 1)..]);
        int outer = channels == 0 || inner == 0 ? 0 : w.Length / (channels * inner);
        var scales = new float[channels];
        var zeros = new int[channels];
        for (int k = 0; k < channels; k++)
            (scales[k], zeros[k]) = ChannelParameters(w, k * inner, channels * inner, outer, inner, spec, method);
        return new QuantizationParameters(scales, zeros, spec.Type, axis);
    }

    /// <summary>
    /// Scale and zero point of one channel: <paramref name="blocks"/> runs of <paramref name="run"/> contiguous
    /// values, the first at <paramref name="start"/>, each <paramref name="stride"/> after the previous.
    /// </summary>
    private static (float, int) ChannelParameters(ReadOnlySpan<float> w, int start, int stride, int blocks, int run, QuantizationSpec spec, WeightRangeMethod method)
    {
        float min = 0, max = 0;
        for (int b = 0; b < blocks; b++)
            foreach (var v in w.Slice(start + b * stride, run))
            {
                if (!float.IsFinite(v)) throw new ArgumentException($"a weight holds {v}: it cannot be quantized");
                min = Math.Min(min, v);
                max = Math.Max(max, v);
            }
        if (method == WeightRangeMethod.MinMax || (min == 0 && max == 0)) return QuantMath.Parameters(min, max, spec);
        (float, int) best = QuantMath.Parameters(min, max, spec);
        double bestError = double.PositiveInfinity;
        for (int step = 0; step < MseSteps; step++)
        {
            double f = 1 - step / 100.0;
            var (s, z) = QuantMath.Parameters(min * f, max * f, spec);
            double e = 0;
            for (int b = 0; b < blocks && e < bestError; b++)
                foreach (var v in w.Slice(start + b * stride, run))
                {
                    double d = v - QuantMath.FakeQuantize(v, s, z, spec.QMin, spec.QMax);
                    e += d * d;
                }
            if (e < bestError) { bestError = e; best = (s, z); }
        }
        return best;
    }
}
