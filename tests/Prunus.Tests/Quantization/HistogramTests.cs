using Prunus.Quantization.Observers;

namespace Prunus.Tests.Quantization;

public sealed class HistogramTests
{
    [Fact]
    public void Growing_the_range_keeps_every_count()
    {
        var h = new Histogram(64);
        h.Add([0.5f, -0.25f, 0f]);
        Assert.Equal(0.5, h.Range);
        h.Add([3f, -7f]);
        Assert.Equal(8, h.Range); // doubled four times
        Assert.Equal(5, h.Total);
        var (counts, width) = h.Absolute(7);
        Assert.Equal(1.0, width);
        Assert.Equal(5, counts.Sum(), 9);
        // |x| of 0, 0.25, 0.5 lie in [0, 1); 3 in [3, 4); 7 at the top end, in the last bin.
        Assert.Equal(3, counts[0], 9);
        Assert.Equal(1, counts[3], 9);
        Assert.Equal(1, counts[6], 9);
        Assert.Equal(-7, h.Min);
        Assert.Equal(3, h.Max);
    }

    [Fact]
    public void Only_zeros_fill_bin_zero_until_a_range_appears()
    {
        var h = new Histogram(32);
        h.Add([0f, 0f, float.NaN]);
        Assert.Equal(2, h.Total);
        Assert.Equal(0, h.Range);
        Assert.Equal(0, h.Absolute(4).Width);
        h.Add([2f]);
        var (counts, _) = h.Signed(4);
        Assert.Equal(2, counts[0], 9);
        Assert.Equal(1, counts[3], 9);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999)]
    public void Quantiles_of_a_normal_distribution_match_the_samples(double q)
    {
        var x = Distributions.Normal(100_000, 2, seed: 3);
        var h = new Histogram();
        Distributions.InBatches(x, 4096, h.Add);
        Assert.Equal(Distributions.Quantile(x, q), h.Quantile(q), 2e-2);
        Assert.Equal(Distributions.Quantile(x.Select(Math.Abs), q), h.AbsoluteQuantile(q), 2e-2);
    }

    [Fact]
    public void Signed_bins_of_a_uniform_distribution_are_flat()
    {
        var x = Distributions.Uniform(200_000, -1, 3, seed: 4);
        var h = new Histogram();
        Distributions.InBatches(x, 1000, h.Add);
        var (counts, width) = h.Signed(100);
        Assert.Equal(4.0 / 100, width, 4);
        Assert.Equal(200_000, counts.Sum(), 6);
        foreach (var c in counts) Assert.InRange(c, 2000 * 0.9, 2000 * 1.1);
    }

    [Fact]
    public void Exact_zeros_are_counted_and_can_be_left_out()
    {
        var h = new Histogram(64);
        h.Add([0f, 0f, 0f, 0.001f, 1f, -0.5f]);
        Assert.Equal(3, h.Zeros);
        var (all, _) = h.Absolute(4);
        var (nonzero, _) = h.Absolute(4, withoutZeros: true);
        Assert.Equal(4, all[0], 9);      // three zeros and 0.001
        Assert.Equal(1, nonzero[0], 9);
        Assert.Equal(3, h.Signed(4, withoutZeros: true).Counts.Sum(), 9);
    }
}
