using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// Layer normalization of one row: y = (x − mean)·invStd·scale + bias with invStd = 1/√(var + ε), var the biased
/// variance of the row. Empty <c>bias</c> means no bias. The forward form is vectorized and has a scalar reference.
/// </summary>
public static class LayerNorm
{
    /// <summary>Normalizes one row; returns the row's mean and inverse standard deviation.</summary>
    public static void Row(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, float epsilon,
        Span<float> y, out float mean, out float invStd)
    {
        int n = x.Length;
        if (n == 0) { mean = 0; invStd = 1f / MathF.Sqrt(epsilon); return; }
        mean = RowReduce.Reduce<RowReduce.Sum>(x) / n;
        float ss = 0;
        int i = SquaredDeviationPart<Vector512<float>, F512>(x, mean, 0, ref ss);
        i = SquaredDeviationPart<Vector256<float>, F256>(x, mean, i, ref ss);
        i = SquaredDeviationPart<Vector128<float>, F128>(x, mean, i, ref ss);
        for (; i < n; i++) { float d = x[i] - mean; ss += d * d; }
        invStd = 1f / MathF.Sqrt(ss / n + epsilon);

        i = OutputPart<Vector512<float>, F512>(x, scale, bias, mean, invStd, y, 0);
        i = OutputPart<Vector256<float>, F256>(x, scale, bias, mean, invStd, y, i);
        i = OutputPart<Vector128<float>, F128>(x, scale, bias, mean, invStd, y, i);
        for (; i < n; i++) y[i] = (x[i] - mean) * invStd * scale[i] + (bias.IsEmpty ? 0 : bias[i]);
    }

    /// <summary>Scalar reference of <see cref="Row"/> (statistics in double).</summary>
    public static void RowReference(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, float epsilon,
        Span<float> y, out float mean, out float invStd)
    {
        int n = x.Length;
        double m = 0, v = 0;
        for (int i = 0; i < n; i++) m += x[i];
        m = n == 0 ? 0 : m / n;
        for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
        v = n == 0 ? 0 : v / n;
        double inv = 1 / Math.Sqrt(v + epsilon);
        for (int i = 0; i < n; i++) y[i] = (float)((x[i] - m) * inv * scale[i] + (bias.IsEmpty ? 0 : bias[i]));
        mean = (float)m;
        invStd = (float)inv;
    }

    /// <summary>
    /// Gradient of one row. Adds into dx (if not empty), dScale and dBias (accumulated over rows; skipped if empty).
    /// dMean and dInvStd are the gradients reaching the optional Mean and InvStdDev outputs (0 if none).
    /// </summary>
    public static void RowBackward(ReadOnlySpan<float> x, float mean, float invStd, ReadOnlySpan<float> scale, ReadOnlySpan<float> dy,
        Span<float> dx, Span<float> dScale, Span<float> dBias, float dMean = 0, float dInvStd = 0)
    {
        int n = x.Length;
        if (n == 0) return;
        if (!dx.IsEmpty)
        {
            // With xc = x − mean and g = dy·scale: dx = invStd·g − invStd·Σg/n − xc·(invStd³·Σ(g·xc) + dInvStd·invStd³)/n + dMean/n.
            double sumG = 0, sumGx = 0;
            for (int i = 0; i < n; i++)
            {
                float g = dy[i] * scale[i];
                sumG += g;
                sumGx += g * (x[i] - mean);
            }
            float inv3 = invStd * invStd * invStd;
            float c0 = (float)((dMean - invStd * sumG) / n);
            float c1 = (float)(-(inv3 * sumGx + dInvStd * inv3) / n);
            for (int i = 0; i < n; i++) dx[i] += invStd * scale[i] * dy[i] + c0 + c1 * (x[i] - mean);
        }
        if (!dScale.IsEmpty)
            for (int i = 0; i < n; i++) dScale[i] += dy[i] * (x[i] - mean) * invStd;
        if (!dBias.IsEmpty) Elementwise.AddInPlace(dBias.Slice(0, n), dy.Slice(0, n));
    }

    private static int SquaredDeviationPart<TV, TW>(ReadOnlySpan<float> x, float mean, int i, ref float sum)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        int n = x.Length;
        if (!TW.IsAccelerated || n - i < TW.Count) return i;
        var m = TW.Create(mean);
        var acc = TW.Create(0);
        for (; i <= n - TW.Count; i += TW.Count)
        {
            var d = TW.Subtract(TW.Load(x, i), m);
            acc = TW.Add(acc, TW.Multiply(d, d));
        }
        sum += TW.Sum(acc);
        return i;
    }

    private static int OutputPart<TV, TW>(ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, float mean, float invStd, Span<float> y, int i)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        int n = x.Length;
        if (!TW.IsAccelerated) return i;
        var m = TW.Create(mean);
        var inv = TW.Create(invStd);
        bool hasBias = !bias.IsEmpty;
        for (; i <= n - TW.Count; i += TW.Count)
        {
            var v = TW.Multiply(TW.Multiply(TW.Subtract(TW.Load(x, i), m), inv), TW.Load(scale, i));
            if (hasBias) v = TW.Add(v, TW.Load(bias, i));
            TW.Store(v, y, i);
        }
        return i;
    }
}
