namespace Prunus.Quantization.Observers;

/// <summary>
/// A histogram of signed values built one batch at a time without knowing the final range: <see cref="FineBins"/>
/// bins on each side of zero cover [-R, R], and when a batch reaches beyond R the range doubles (as often as needed)
/// by merging neighbouring bins in pairs, which is exact. Zero is always a bin edge. The methods that read it
/// (<see cref="Absolute"/>, <see cref="Signed"/>, the quantiles) assume values spread uniformly within a bin and
/// within the observed extremes.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _negative; // bin i: -x in [i w, (i + 1) w), x < 0
    private readonly double[] _positive; // bin i: x in [i w, (i + 1) w), x >= 0

    /// <summary>Bins on each side of zero.</summary>
    public int FineBins { get; }
    /// <summary>R: the bins cover [-R, R] (0 while only zeros were seen).</summary>
    public double Range { get; private set; }
    /// <summary>Values added (NaNs are skipped).</summary>
    public double Total { get; private set; }
    /// <summary>Values added that are exactly zero (ReLU outputs hold many; quantization represents them exactly).</summary>
    public double Zeros { get; private set; }
    /// <summary>Smallest value added.</summary>
    public double Min { get; private set; } = double.PositiveInfinity;
    /// <summary>Largest value added.</summary>
    public double Max { get; private set; } = double.NegativeInfinity;
    /// <summary>Largest absolute value added.</summary>
    public double MaxAbs => Total == 0 ? 0 : Math.Max(-Min, Max);

    /// <summary>An empty histogram with <paramref name="fineBins"/> bins per side (at least 16).</summary>
    public Histogram(int fineBins = 8192)
    {
        if (fineBins < 16) throw new ArgumentOutOfRangeException(nameof(fineBins), fineBins, "a histogram needs at least 16 bins per side");
        FineBins = fineBins;
        _negative = new double[fineBins];
        _positive = new double[fineBins];
    }

    /// <summary>Adds the finite values of <paramref name="values"/>.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (float.IsNaN(v)) continue;
            if (float.IsInfinity(v)) throw new ArgumentException("a histogram cannot hold infinite values");
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (min > max) return;
        Grow(Math.Max(-min, max));
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        int last = FineBins - 1;
        double perUnit = Range > 0 ? FineBins / Range : 0;
        long n = 0, zeros = 0;
        foreach (var v in values)
        {
            if (float.IsNaN(v)) continue;
            n++;
            if (v == 0) zeros++;
            if (v >= 0) _positive[Math.Min((int)(v * perUnit), last)]++;
            else _negative[Math.Min((int)(-v * perUnit), last)]++;
        }
        Total += n;
        Zeros += zeros;
    }

    /// <summary>Widens the range to hold <paramref name="maxAbs"/>: the first nonzero value sets it, later ones double it.</summary>
    private void Grow(double maxAbs)
    {
        if (maxAbs <= Range) return;
        if (Range == 0)
        {
            // Only zeros so far: they sit in positive bin 0 whatever the range becomes.
            Range = maxAbs;
            return;
        }
        int doublings = 0;
        double r = Range;
        while (r < maxAbs) { r *= 2; doublings++; }
        int factor = doublings >= 30 ? int.MaxValue : 1 << doublings;
        Merge(_negative, factor);
        Merge(_positive, factor);
        Range = r;
    }

    private static void Merge(double[] bins, int factor)
    {
        for (int i = 0; i < bins.Length; i++)
        {
            if (bins[i] == 0) continue;
            int to = factor == int.MaxValue ? 0 : i / factor;
            if (to == i) continue;
            bins[to] += bins[i];
            bins[i] = 0;
        }
    }

    private double Width => Range / FineBins;

    /// <summary>
    /// Counts of |x| in <paramref name="bins"/> equal bins over [0, <see cref="MaxAbs"/>] (the layout TensorRT's
    /// entropy calibration searches), leaving out exact zeros when <paramref name="withoutZeros"/>. Returns the bin
    /// width too (0 when every value is zero).
    /// </summary>
    public (double[] Counts, double Width) Absolute(int bins, bool withoutZeros = false)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        var counts = new double[bins];
        double top = MaxAbs;
        if (top == 0)
        {
            counts[0] = withoutZeros ? 0 : Total;
            return (counts, 0);
        }
        double w = Width;
        for (int i = 0; i < FineBins; i++)
        {
            double c = _negative[i] + _positive[i] - (withoutZeros && i == 0 ? Zeros : 0);
            if (c != 0) Spread(counts, 0, top, i * w, (i + 1) * w, c);
        }
        return (counts, top / bins);
    }

    /// <summary>
    /// Counts in <paramref name="bins"/> equal bins over [<see cref="Min"/>, <see cref="Max"/>], leaving out exact
    /// zeros when <paramref name="withoutZeros"/>, and the bin width (0 when all values are equal: everything is then
    /// in bin 0).
    /// </summary>
    public (double[] Counts, double Width) Signed(int bins, bool withoutZeros = false)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), bins, "at least one bin");
        var counts = new double[bins];
        if (Total == 0) return (counts, 0);
        if (!(Max > Min))
        {
            counts[0] = withoutZeros ? Total - Zeros : Total;
            return (counts, 0);
        }
        double w = Width;
        for (int i = 0; i < FineBins; i++)
        {
            double positive = _positive[i] - (withoutZeros && i == 0 ? Zeros : 0);
            if (_negative[i] != 0) Spread(counts, Min, Max, -(i + 1) * w, -i * w, _negative[i]);
            if (positive != 0) Spread(counts, Min, Max, i * w, (i + 1) * w, positive);
        }
        return (counts, (Max - Min) / bins);
    }

    /// <summary>
    /// Adds <paramref name="count"/> values spread uniformly over [a, b] ∩ [lo, hi] into the equal bins of
    /// <paramref name="counts"/> over [lo, hi]. A fine bin that holds a range's end extends past it; the values are
    /// known to lie inside, so only the overlap receives them.
    /// </summary>
    private static void Spread(double[] counts, double lo, double hi, double a, double b, double count)
    {
        int n = counts.Length;
        double span = hi - lo;
        a = Math.Max(a, lo);
        b = Math.Min(b, hi);
        double fa = (a - lo) / span * n, fb = (b - lo) / span * n;
        if (!(fb > fa))
        {
            counts[Math.Clamp((int)fa, 0, n - 1)] += count;
            return;
        }
        int first = Math.Clamp((int)fa, 0, n - 1), last = Math.Clamp((int)Math.Ceiling(fb) - 1, 0, n - 1);
        double per = count / (fb - fa);
        for (int j = first; j <= last; j++)
        {
            double overlap = Math.Min(fb, j + 1) - Math.Max(fa, j);
            if (overlap > 0) counts[j] += per * overlap;
        }
    }

    /// <summary>The value below which a fraction <paramref name="q"/> of the values lie (q in [0, 1]).</summary>
    public double Quantile(double q)
    {
        CheckFraction(q);
        if (Total == 0) throw new InvalidOperationException("the histogram is empty");
        double target = q * Total, seen = 0, w = Width;
        for (int i = FineBins - 1; i >= 0; i--)
            if (Cross(_negative[i], -(i + 1) * w, -i * w, Min, Max, ref seen, target, out var x)) return x;
        for (int i = 0; i < FineBins; i++)
            if (Cross(_positive[i], i * w, (i + 1) * w, Min, Max, ref seen, target, out var x)) return x;
        return Max;
    }

    /// <summary>The absolute value below which a fraction <paramref name="q"/> of the |x| lie (q in [0, 1]).</summary>
    public double AbsoluteQuantile(double q)
    {
        CheckFraction(q);
        if (Total == 0) throw new InvalidOperationException("the histogram is empty");
        double target = q * Total, seen = 0, w = Width;
        for (int i = 0; i < FineBins; i++)
            if (Cross(_negative[i] + _positive[i], i * w, (i + 1) * w, 0, MaxAbs, ref seen, target, out var x)) return x;
        return MaxAbs;
    }

    /// <summary>Whether the bin [a, b) (clamped to [lo, hi]) holds the target rank; if so, x interpolates it.</summary>
    private static bool Cross(double count, double a, double b, double lo, double hi, ref double seen, double target, out double x)
    {
        x = 0;
        if (count == 0) return false;
        if (seen + count < target) { seen += count; return false; }
        a = Math.Clamp(a, lo, hi);
        b = Math.Clamp(b, lo, hi);
        x = a + (b - a) * Math.Clamp((target - seen) / count, 0, 1);
        return true;
    }

    private static void CheckFraction(double q)
    {
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "a quantile is a fraction in [0, 1]");
    }
}
