namespace Prunus.Quantization.Observers;

/// <summary>An observer that keeps a <see cref="Observers.Histogram"/> of the values and searches it for a range.</summary>
public abstract class HistogramObserver : Observer
{
    /// <summary>Bins of the histogram the search runs on (2048, as TensorRT and ONNX Runtime calibrate).</summary>
    public int Bins { get; }

    /// <summary>The histogram of everything observed.</summary>
    public Histogram Histogram { get; }

    /// <summary>An observer whose search runs on <paramref name="bins"/> bins.</summary>
    protected HistogramObserver(int bins)
    {
        if (bins < 16) throw new ArgumentOutOfRangeException(nameof(bins), bins, "a histogram search needs at least 16 bins");
        Bins = bins;
        // Four times finer than the search: after the range has doubled, at least twice as fine.
        Histogram = new Histogram(Math.Max(8192, 4 * bins));
    }

    /// <inheritdoc/>
    protected override void Add(ReadOnlySpan<float> values, float min, float max) => Histogram.Add(values);

    /// <summary>Clips [Min, Max] to [-t, t].</summary>
    protected (float Min, float Max) Clip(double t) => ((float)Math.Max(Min, -t), (float)Math.Min(Max, t));
}

/// <summary>
/// Clips the rarest values: symmetric quantization keeps the given percentile of |x|; asymmetric quantization cuts
/// half the remainder from each end (all of it from one end when the values are all of one sign), as ONNX Runtime's
/// percentile calibration does.
/// </summary>
public sealed class PercentileObserver : HistogramObserver
{
    /// <summary>The percentile kept, in (0, 100].</summary>
    public double Percentile { get; }

    /// <summary>An observer keeping <paramref name="percentile"/> percent of the values (99.99 by default).</summary>
    public PercentileObserver(double percentile = 99.99, int bins = 2048) : base(bins)
    {
        if (!(percentile > 0 && percentile <= 100)) throw new ArgumentOutOfRangeException(nameof(percentile), percentile, "the percentile must lie in (0, 100]");
        Percentile = percentile;
    }

    /// <inheritdoc/>
    public override string Name => "percentile";

    /// <inheritdoc/>
    protected override (float Min, float Max) Propose(QuantizationSpec spec)
    {
        double keep = Percentile / 100;
        if (Min >= 0) return (Min, (float)Histogram.Quantile(keep));
        if (Max <= 0) return ((float)Histogram.Quantile(1 - keep), Max);
        if (spec.Symmetric) return Clip(Histogram.AbsoluteQuantile(keep));
        double cut = (1 - keep) / 2;
        return ((float)Histogram.Quantile(cut), (float)Histogram.Quantile(1 - cut));
    }
}

/// <summary>
/// Entropy calibration (TensorRT; ONNX Runtime's "Entropy"): the threshold t on |x| whose clipped and quantized
/// distribution is closest in KL divergence to the observed one, searched over a histogram of |x| in 2048 bins.
/// The quantized distribution has as many levels as the type offers on one side of zero: 2^(bits-1), or 2^bits for
/// asymmetric quantization of values that are all of one sign (ReLU outputs in uint8). Exact zeros are left out of the
/// histogram: quantization represents them exactly, and the spike of a ReLU's zeros, spread over the first merged level
/// of the quantized candidate, would otherwise dominate the divergence and favour harsh clipping (on LeNet-5's fc1
/// output, 63% zeros, the threshold fell from 5.9 to 1.7 of a maximum of 6.8).
/// </summary>
public sealed class EntropyObserver : HistogramObserver
{
    /// <summary>An entropy observer searching <paramref name="bins"/> bins.</summary>
    public EntropyObserver(int bins = 2048) : base(bins) { }

    /// <inheritdoc/>
    public override string Name => "entropy";

    /// <summary>The quantized levels on one side of zero for <paramref name="spec"/> and the observed signs.</summary>
    public int Levels(QuantizationSpec spec)
    {
        bool oneSided = Min >= 0 || Max <= 0;
        return !spec.Symmetric && oneSided ? spec.Steps + 1 : 1 << (spec.Type.Bits() - 1);
    }

    /// <inheritdoc/>
    protected override (float Min, float Max) Propose(QuantizationSpec spec)
    {
        var (counts, width) = Histogram.Absolute(Bins, withoutZeros: true);
        if (width == 0 || counts.Sum() == 0) return (Min, Max);
        int i = RangeSearch.EntropyBins(counts, Math.Min(Levels(spec), Bins));
        return Clip(i * width);
    }
}

/// <summary>
/// The clipping range that minimizes the expected squared quantization error over the observed distribution
/// (rounding noise scale²/12 inside the range, squared distance outside), searched on a histogram of 2048 bins.
/// Exact zeros are left out: quantization represents them exactly, so they add no error at any range.
/// </summary>
public sealed class MseObserver : HistogramObserver
{
    /// <summary>An MSE observer searching <paramref name="bins"/> bins.</summary>
    public MseObserver(int bins = 2048) : base(bins) { }

    /// <inheritdoc/>
    public override string Name => "mse";

    /// <inheritdoc/>
    protected override (float Min, float Max) Propose(QuantizationSpec spec)
    {
        var (counts, width) = Histogram.Signed(Bins, withoutZeros: true);
        if (width == 0 || counts.Sum() == 0) return (Min, Max);
        var (lo, hi) = RangeSearch.MseRange(counts, Min, Max, spec);
        return ((float)lo, (float)hi);
    }
}
