namespace Prunus.Quantization.Observers;

/// <summary>The searches behind the entropy and MSE observers, on histogram counts.</summary>
internal static class RangeSearch
{
    /// <summary>
    /// The number of histogram bins i in [<paramref name="levels"/>, counts.Length] that minimizes the KL divergence
    /// between P, the first i bins with everything beyond folded into bin i - 1 (the clipped distribution), and Q,
    /// the same i bins merged into <paramref name="levels"/> groups and spread back evenly over the bins that P holds
    /// (the distribution after quantizing): TensorRT's entropy calibration, with the smoothing of ONNX Runtime's
    /// (1e-4 of a count moved to empty bins) so that Q may be empty where P is not.
    /// </summary>
    public static int EntropyBins(double[] counts, int levels)
    {
        int bins = counts.Length;
        if (levels >= bins) return bins;
        var suffix = new double[bins + 1];
        for (int i = bins - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + counts[i];
        var p = new double[bins];
        var q = new double[bins];
        int best = bins;
        double bestDivergence = double.PositiveInfinity;
        for (int i = levels; i <= bins; i++)
        {
            Array.Copy(counts, p, i);
            p[i - 1] += suffix[i];
            int merged = i / levels;
            for (int j = 0; j < levels; j++)
            {
                int start = j * merged, stop = j == levels - 1 ? i : start + merged;
                double sum = 0;
                int nonzero = 0;
                for (int k = start; k < stop; k++)
                {
                    sum += counts[k];
                    if (p[k] != 0) nonzero++;
                }
                for (int k = start; k < stop; k++) q[k] = p[k] != 0 && nonzero > 0 ? sum / nonzero : 0;
            }
            double d = Divergence(p, q, i);
            // Ties keep the wider range: clipping more for no gain in divergence only loses outliers.
            if (d < bestDivergence - 1e-12 * Math.Abs(bestDivergence) || double.IsPositiveInfinity(bestDivergence))
            {
                bestDivergence = d;
                best = i;
            }
        }
        return best;
    }

    /// <summary>KL(P || Q) over the first <paramref name="n"/> entries, both smoothed then normalized.</summary>
    private static double Divergence(double[] p, double[] q, int n)
    {
        const double eps = 1e-4;
        Smooth(p, n, eps, out double pSum);
        Smooth(q, n, eps, out double qSum);
        if (pSum <= 0 || qSum <= 0) return double.PositiveInfinity;
        double d = 0;
        for (int k = 0; k < n; k++)
        {
            if (p[k] <= 0) continue;
            double pk = p[k] / pSum, qk = q[k] / qSum;
            d += qk > 0 ? pk * Math.Log(pk / qk) : double.PositiveInfinity;
        }
        return d;
    }

    /// <summary>Moves <paramref name="eps"/> onto each empty entry, taken evenly from the others (the total is kept).</summary>
    private static void Smooth(double[] h, int n, double eps, out double sum)
    {
        int zeros = 0;
        sum = 0;
        for (int k = 0; k < n; k++)
        {
            if (h[k] == 0) zeros++;
            sum += h[k];
        }
        int nonzeros = n - zeros;
        if (nonzeros == 0 || zeros == 0) return;
        double take = eps * zeros / nonzeros;
        for (int k = 0; k < n; k++) h[k] = h[k] == 0 ? eps : h[k] - take;
    }

    /// <summary>
    /// Expected squared quantization error of values with a histogram (equal bins from lo) quantized with a scale
    /// over a representable range [low, high]: values inside add the rounding noise scale²/12, values outside their
    /// squared distance to the range (bin centres stand for their values).
    /// </summary>
    public sealed class ErrorModel
    {
        private readonly double[] _n, _s1, _s2; // prefix sums over bins of count, count · centre, count · centre²
        private readonly double _lo, _width;
        private readonly int _bins;

        public ErrorModel(double[] counts, double lo, double width)
        {
            _bins = counts.Length;
            _lo = lo;
            _width = width;
            _n = new double[_bins + 1];
            _s1 = new double[_bins + 1];
            _s2 = new double[_bins + 1];
            for (int b = 0; b < _bins; b++)
            {
                double c = lo + (b + 0.5) * width;
                _n[b + 1] = _n[b] + counts[b];
                _s1[b + 1] = _s1[b] + counts[b] * c;
                _s2[b + 1] = _s2[b] + counts[b] * c * c;
            }
        }

        /// <summary>Bins whose centre lies below <paramref name="x"/>.</summary>
        private int Below(double x) => _width <= 0 ? (x > _lo ? _bins : 0)
            : Math.Clamp((int)Math.Ceiling((x - _lo) / _width - 0.5), 0, _bins);

        /// <summary>The expected total squared error (sum over values).</summary>
        public double Error(double scale, double low, double high)
        {
            int a = Below(low), b = Below(high);
            b = Math.Max(a, b);
            // Σ n (c - t)² over a prefix range = S2 - 2 t S1 + t² N.
            double under = _s2[a] - 2 * low * _s1[a] + low * low * _n[a];
            double overN = _n[_bins] - _n[b], overS1 = _s1[_bins] - _s1[b], overS2 = _s2[_bins] - _s2[b];
            double over = overS2 - 2 * high * overS1 + high * high * overN;
            double inside = (_n[b] - _n[a]) * scale * scale / 12;
            return Math.Max(0, under) + Math.Max(0, over) + inside;
        }
    }

    /// <summary>The scale and the real range [Low, High] that the quantizer represents when asked for [min, max].</summary>
    public static (double Scale, double Low, double High) Represented(double min, double max, QuantizationSpec spec)
    {
        var (s, z) = QuantMath.Parameters(min, max, spec);
        return (s, (double)(spec.QMin - z) * s, (double)(spec.QMax - z) * s);
    }

    /// <summary>
    /// The clipping range of values with histogram <paramref name="counts"/> over [<paramref name="lo"/>,
    /// <paramref name="hi"/>] that minimizes the expected squared error for <paramref name="spec"/>. Symmetric
    /// quantization and one-sided data search one threshold t (range [-t, t] ∩ data); two-sided asymmetric
    /// quantization searches both ends on a grid of <paramref name="grid"/> steps each.
    /// </summary>
    public static (double Min, double Max) MseRange(double[] counts, double lo, double hi, QuantizationSpec spec, int grid = 256)
    {
        if (!(hi > lo)) return (lo, hi);
        var model = new ErrorModel(counts, lo, (hi - lo) / counts.Length);
        double bestError = double.PositiveInfinity, bestMin = lo, bestMax = hi;
        void Try(double min, double max)
        {
            var (s, low, high) = Represented(min, max, spec);
            double e = model.Error(s, low, high);
            if (e < bestError * (1 - 1e-12)) { bestError = e; bestMin = min; bestMax = max; }
        }
        bool oneSided = lo >= 0 || hi <= 0;
        if (spec.Symmetric || oneSided)
        {
            double top = Math.Max(-lo, hi);
            int steps = Math.Max(grid, counts.Length);
            // From the full range down, so that ties keep the wider range.
            for (int j = steps; j >= 1; j--)
            {
                double t = top * j / steps;
                Try(Math.Max(lo, -t), Math.Min(hi, t));
            }
        }
        else
        {
            for (int a = grid; a >= 1; a--)
                for (int b = grid; b >= 1; b--)
                    Try(lo * a / grid, hi * b / grid);
        }
        return (bestMin, bestMax);
    }
}
