using Prunus.Quantization;
using Prunus.Quantization.Observers;

namespace Prunus.Tests.Quantization;

public sealed class ObserverTests
{
    private static readonly QuantizationSpec Int8Symmetric = new(QuantizedType.Int8, true);
    private static readonly QuantizationSpec UInt8 = new(QuantizedType.UInt8, false);

    private static T Fed<T>(T observer, float[] values, int batch = 4096) where T : Observer
    {
        Distributions.InBatches(values, batch, observer.Observe);
        return observer;
    }

    [Fact]
    public void MinMax_gives_the_exact_extremes_and_their_parameters()
    {
        var x = Distributions.Uniform(10_000, -0.7, 2.3, seed: 1);
        var o = Fed(new MinMaxObserver(), x, 999);
        Assert.Equal(x.Min(), o.Range(UInt8).Min);
        Assert.Equal(x.Max(), o.Range(UInt8).Max);
        Assert.Equal(10_000, o.Count);
        Assert.Equal(11, o.Batches);
        var p = o.Parameters(UInt8);
        Assert.Equal(QuantMath.Parameters(x.Min(), x.Max(), UInt8), (p.Scale, p.ZeroPoint));
    }

    [Fact]
    public void An_observer_that_saw_nothing_says_so()
    {
        var o = new MinMaxObserver();
        o.Observe([float.NaN]);
        Assert.Contains("run calibration", Assert.Throws<InvalidOperationException>(() => o.Range(UInt8)).Message);
        Assert.Throws<ArgumentException>(() => o.Observe([1f, float.PositiveInfinity]));
    }

    [Fact]
    public void Moving_average_follows_batches_by_its_momentum()
    {
        var o = new MovingAverageMinMaxObserver(momentum: 0.1);
        o.Observe([-1f, 1f]);
        o.Observe([-1f, 1f]);
        o.Observe([-3f, 11f]); // one extreme batch moves the range by a tenth of its excess
        var (lo, hi) = o.Range(UInt8);
        Assert.Equal(-1.2f, lo, 5);
        Assert.Equal(2.0f, hi, 5);
        Assert.Equal(11f, o.Max); // the exact extremes are still known
        Assert.Throws<ArgumentOutOfRangeException>(() => new MovingAverageMinMaxObserver(0));
    }

    [Fact]
    public void Percentile_keeps_the_given_share_of_a_normal_distribution()
    {
        var x = Distributions.Normal(200_000, 1, seed: 2);
        var o = Fed(new PercentileObserver(99.9), x);
        // Symmetric: the 99.9th percentile of |x| (about 3.29 sigma).
        var (lo, hi) = o.Range(Int8Symmetric);
        double t = Distributions.Quantile(x.Select(Math.Abs), 0.999);
        Assert.Equal(t, hi, t * QuantizationBudgets.HistogramRelative);
        Assert.Equal(-t, lo, t * QuantizationBudgets.HistogramRelative);
        // Asymmetric: 0.05 % cut from each end.
        (lo, hi) = o.Range(UInt8);
        Assert.Equal(Distributions.Quantile(x, 0.0005), lo, 3.29 * QuantizationBudgets.HistogramRelative);
        Assert.Equal(Distributions.Quantile(x, 0.9995), hi, 3.29 * QuantizationBudgets.HistogramRelative);
    }

    [Fact]
    public void Percentile_of_one_signed_values_cuts_only_the_top()
    {
        var x = Distributions.Normal(100_000, 1, seed: 3).Select(Math.Abs).ToArray();
        var (lo, hi) = Fed(new PercentileObserver(99), x).Range(UInt8);
        Assert.Equal(x.Min(), lo);
        double q = Distributions.Quantile(x, 0.99);
        Assert.Equal(q, hi, q * QuantizationBudgets.HistogramRelative);
    }

    [Fact]
    public void Entropy_keeps_a_uniform_range_whole()
    {
        var x = Distributions.Uniform(100_000, -1, 1, seed: 4);
        var (lo, hi) = Fed(new EntropyObserver(), x).Range(Int8Symmetric);
        Assert.True(hi > 0.97 && lo < -0.97, $"uniform data should not be clipped, got [{lo}, {hi}]");
    }

    [Fact]
    public void Entropy_clips_rare_outliers_of_a_normal_distribution()
    {
        var x = Distributions.Normal(100_000, 1, seed: 5);
        x[17] = 40;
        x[99] = -25;
        var o = Fed(new EntropyObserver(), x);
        var (lo, hi) = o.Range(Int8Symmetric);
        // The bulk (|x| < 4.5) is kept, the two outliers are not.
        Assert.InRange(hi, 2.5, 12);
        Assert.Equal(-hi, lo);
        Assert.Equal(128, o.Levels(Int8Symmetric));
    }

    [Fact]
    public void Entropy_on_one_signed_values_in_uint8_uses_all_256_levels()
    {
        var x = Distributions.Normal(100_000, 1, seed: 6).Select(v => Math.Max(0f, v)).ToArray();
        x[3] = 30;
        var o = Fed(new EntropyObserver(), x);
        Assert.Equal(256, o.Levels(UInt8));
        var (lo, hi) = o.Range(UInt8);
        Assert.Equal(0, lo);
        Assert.InRange(hi, 2.5, 12);
    }

    [Fact]
    public void Entropy_is_not_pulled_down_by_the_zeros_of_a_relu()
    {
        // Mostly zeros, the rest spread up to 6: the zeros are exact in any range and must not decide the threshold.
        var x = Distributions.Laplace(100_000, 1, seed: 10).Select(v => v < 0.6f ? 0f : v).ToArray();
        var (_, hi) = Fed(new EntropyObserver(), x).Range(UInt8);
        Assert.True(x.Count(v => v == 0) > 60_000);
        Assert.True(hi > 0.5 * x.Max(), $"threshold {hi} of a maximum {x.Max()}");
    }

    [Theory]
    [InlineData("normal", 3.92)]   // Banner et al. (ACIQ), 8 bits: 3.92 sigma
    [InlineData("laplace", 9.89)]  // and 9.89 b
    public void Mse_finds_the_known_optimal_clipping_of_8_bit_quantization(string distribution, double expected)
    {
        var x = distribution == "normal" ? Distributions.Normal(400_000, 1, seed: 7) : Distributions.Laplace(400_000, 1, seed: 7);
        var (lo, hi) = Fed(new MseObserver(), x).Range(Int8Symmetric);
        Assert.Equal(-lo, hi, 6);
        Assert.InRange(hi, expected * 0.85, expected * 1.15);
        Assert.True(hi < x.Max(Math.Abs), "the extremes are clipped");
    }

    [Fact]
    public void Mse_two_sided_asymmetric_search_beats_the_extremes()
    {
        var x = Distributions.Laplace(200_000, 1, seed: 8).Select(v => v + 2).ToArray();
        var mse = Fed(new MseObserver(), x);
        var (lo, hi) = mse.Range(UInt8);
        Assert.True(lo > x.Min() && hi < x.Max(), $"[{lo}, {hi}] should lie inside [{x.Min()}, {x.Max()}]");
        Assert.True(Error(x, mse.Parameters(UInt8), UInt8) < Error(x, QuantMath.ForRange(x.Min(), x.Max(), UInt8), UInt8));
    }

    private static double Error(float[] x, QuantizationParameters p, QuantizationSpec spec) =>
        x.Sum(v => { double d = v - QuantMath.FakeQuantize(v, p.Scale, p.ZeroPoint, spec.QMin, spec.QMax); return d * d; });

    [Fact]
    public void Calibration_methods_parse_and_create_their_observers()
    {
        foreach (var name in CalibrationMethods.Names)
        {
            var method = CalibrationMethods.Parse(name);
            Assert.Equal(name, method.Name());
            Assert.Equal(name, method.Create().Name);
        }
        Assert.Contains("choose one of", Assert.Throws<ArgumentException>(() => CalibrationMethods.Parse("kl")).Message);
    }
}
