namespace Prunus.Kernels;

/// <summary>
/// Batch normalization of one channel c of x [N,C,S] (S = product of the spatial axes; planes of S floats): statistics,
/// the per-channel affine y = a·x + b, and gradients. Sums run per plane in SIMD float and across planes in double.
/// <see cref="BatchNormalizationReference"/> is the scalar reference.
/// </summary>
public static class BatchNormalizationKernels
{
    /// <summary>The affine form of normalization with fixed statistics: a = scale/√(var+ε), b = bias - mean·a.</summary>
    public static (float A, float B) Fold(float scale, float bias, float mean, float variance, float epsilon)
    {
        float a = scale / MathF.Sqrt(variance + epsilon);
        return (a, bias - mean * a);
    }

    /// <summary>Mean and biased (population) variance of channel c, in two passes.</summary>
    public static (float Mean, float Variance) Statistics(ReadOnlySpan<float> x, int n, int channels, int plane, int c)
    {
        long count = (long)n * plane;
        if (count == 0) return (0, 0);
        double s = 0;
        for (int i = 0; i < n; i++) s += ChannelMath.Sum(x.Slice((i * channels + c) * plane, plane));
        float mean = (float)(s / count);
        double q = 0;
        for (int i = 0; i < n; i++) q += ChannelMath.SumSquaredDeviation(x.Slice((i * channels + c) * plane, plane), mean);
        return (mean, (float)(q / count));
    }

    /// <summary>y = a·x + b over channel c.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, int n, int channels, int plane, int c, float a, float b)
    {
        for (int i = 0; i < n; i++)
        {
            int o = (i * channels + c) * plane;
            ChannelMath.Affine(x.Slice(o, plane), a, b, y.Slice(o, plane));
        }
    }

    /// <summary>
    /// Gradients of channel c when the statistics came from this batch (they depend on x):
    /// dx += scale·invStd·(dy - mean(dy) - x̂·mean(dy·x̂)); returns (dScale, dBias) = (Σ dy·x̂, Σ dy). dx may be empty.
    /// </summary>
    public static (float DScale, float DBias) BackwardBatch(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx,
        int n, int channels, int plane, int c, float mean, float invStd, float scale)
    {
        long count = (long)n * plane;
        if (count == 0) return (0, 0);
        double sdy = 0, sdyx = 0;
        for (int i = 0; i < n; i++)
        {
            int o = (i * channels + c) * plane;
            sdy += ChannelMath.Sum(dy.Slice(o, plane));
            sdyx += ChannelMath.DotCentered(dy.Slice(o, plane), x.Slice(o, plane), mean);
        }
        if (!dx.IsEmpty)
        {
            // dx = α·dy + β·x + γ with the mean terms folded into β and γ.
            double alpha = (double)scale * invStd;
            double beta = -alpha * invStd * invStd * sdyx / count;
            double gamma = -alpha * sdy / count - beta * mean;
            for (int i = 0; i < n; i++)
            {
                int o = (i * channels + c) * plane;
                ChannelMath.AccumulateAffine2(dy.Slice(o, plane), (float)alpha, x.Slice(o, plane), (float)beta, (float)gamma, dx.Slice(o, plane));
            }
        }
        return ((float)(sdyx * invStd), (float)sdy);
    }

    /// <summary>
    /// Gradients of channel c with fixed statistics (inference mode): dx += a·dy; returns (Σ dy·(x-mean)·invStd, Σ dy).
    /// </summary>
    public static (float DScale, float DBias) BackwardFixed(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx,
        int n, int channels, int plane, int c, float mean, float invStd, float a)
    {
        double sdy = 0, sdyx = 0;
        for (int i = 0; i < n; i++)
        {
            int o = (i * channels + c) * plane;
            sdy += ChannelMath.Sum(dy.Slice(o, plane));
            sdyx += ChannelMath.DotCentered(dy.Slice(o, plane), x.Slice(o, plane), mean);
            if (!dx.IsEmpty) ChannelMath.Axpy(a, dy.Slice(o, plane), dx.Slice(o, plane));
        }
        return ((float)(sdyx * invStd), (float)sdy);
    }
}

/// <summary>Direct double-precision batch normalization over whole tensors, for tests.</summary>
public static class BatchNormalizationReference
{
    /// <summary>Training forward: batch mean and biased variance per channel, y = (x-mean)/√(var+ε)·scale + bias.</summary>
    public static void TrainingForward(ReadOnlySpan<float> x, int n, int channels, int plane, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias,
        float epsilon, Span<float> y, Span<float> mean, Span<float> variance)
    {
        for (int c = 0; c < channels; c++)
        {
            double s = 0, q = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) s += x[(i * channels + c) * plane + p];
            double m = s / (n * plane);
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * channels + c) * plane + p] - m; q += d * d; }
            double v = q / (n * plane);
            mean[c] = (float)m;
            variance[c] = (float)v;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int o = (i * channels + c) * plane + p;
                    y[o] = (float)((x[o] - m) / Math.Sqrt(v + epsilon) * scale[c] + bias[c]);
                }
        }
    }

    /// <summary>Training backward by the textbook formulas: dx, dscale, dbias accumulate.</summary>
    public static void TrainingBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, int channels, int plane, ReadOnlySpan<float> scale,
        float epsilon, Span<float> dx, Span<float> dscale, Span<float> dbias)
    {
        int m = n * plane;
        for (int c = 0; c < channels; c++)
        {
            double s = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) s += x[(i * channels + c) * plane + p];
            double mean = s / m, q = 0;
            for (int i = 0; i < n; i++) for (int p = 0; p < plane; p++) { double d = x[(i * channels + c) * plane + p] - mean; q += d * d; }
            double istd = 1 / Math.Sqrt(q / m + epsilon);
            double sdy = 0, sdyxhat = 0;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int o = (i * channels + c) * plane + p;
                    sdy += dy[o];
                    sdyxhat += dy[o] * (x[o] - mean) * istd;
                }
            dscale[c] += (float)sdyxhat;
            dbias[c] += (float)sdy;
            for (int i = 0; i < n; i++)
                for (int p = 0; p < plane; p++)
                {
                    int o = (i * channels + c) * plane + p;
                    double xhat = (x[o] - mean) * istd;
                    dx[o] += (float)(scale[c] * istd * (dy[o] - sdy / m - xhat * sdyxhat / m));
                }
        }
    }
}
