namespace Prunus.Tests.Quantization;

/// <summary>Samples of known distributions for observer tests, seeded.</summary>
internal static class Distributions
{
    public static float[] Uniform(int n, double lo, double hi, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(lo + (hi - lo) * rng.NextDouble())).ToArray();
    }

    /// <summary>Standard normal samples times <paramref name="sigma"/> (Box-Muller).</summary>
    public static float[] Normal(int n, double sigma, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = 1 - rng.NextDouble(), v = rng.NextDouble();
            x[i] = (float)(sigma * Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }
        return x;
    }

    /// <summary>Laplace samples of scale <paramref name="b"/> (inverse CDF).</summary>
    public static float[] Laplace(int n, double b, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
        {
            double u = rng.NextDouble() - 0.5;
            x[i] = (float)(-b * Math.Sign(u) * Math.Log(1 - 2 * Math.Abs(u)));
        }
        return x;
    }

    /// <summary>The exact q-quantile of the samples (sorted, linear between ranks).</summary>
    public static double Quantile(IEnumerable<float> values, double q)
    {
        var s = values.Select(v => (double)v).Order().ToArray();
        double pos = q * (s.Length - 1);
        int i = (int)Math.Floor(pos);
        return i + 1 < s.Length ? s[i] + (s[i + 1] - s[i]) * (pos - i) : s[^1];
    }

    /// <summary>Feeds <paramref name="values"/> to <paramref name="observe"/> in batches of <paramref name="batch"/>.</summary>
    public static void InBatches(float[] values, int batch, Action<ReadOnlySpan<float>> observe)
    {
        for (int i = 0; i < values.Length; i += batch) observe(values.AsSpan(i, Math.Min(batch, values.Length - i)));
    }
}
