using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// Softmax cross-entropy on logits, averaged over the batch, with optional label smoothing (PyTorch semantics: the
/// target is (1 - s) on the true class plus s / K on every class).
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Mean loss over the first <paramref name="count"/> rows of <paramref name="logits"/> (read as [B, K] with K =
    /// Length / B, so [B, 1, 1, K] works too). Writes dLoss/dLogits = (softmax - target) / count into those rows of
    /// <paramref name="gradient"/> (same shape as the logits) and zeros its other rows, if it is given.
    /// </summary>
    public static double Compute(Tensor logits, ReadOnlySpan<int> labels, Tensor? gradient, float labelSmoothing = 0, int count = -1)
    {
        int rows = logits.Rank == 0 ? 1 : logits.Shape[0];
        if (count < 0) count = rows;
        if (count > rows || labels.Length < count)
            throw new ArgumentException($"{count} rows requested from logits {logits} with {labels.Length} labels");
        int k = rows == 0 ? 0 : logits.Length / rows;
        if (labelSmoothing is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "label smoothing must lie in [0, 1]");
        if (gradient is not null && (gradient.Length != logits.Length || gradient.Type != DataType.Float32))
            throw new ArgumentException($"gradient {gradient} does not match logits {logits}");
        var x = logits.Floats;
        var g = gradient is null ? default : gradient.Floats;
        if (gradient is not null) g[(count * k)..].Clear();
        if (count == 0) return 0;
        double total = 0;
        double off = labelSmoothing / k, on = 1 - labelSmoothing + off;
        float invCount = 1f / count;
        for (int b = 0; b < count; b++)
        {
            int y = labels[b];
            if ((uint)y >= (uint)k) throw new ArgumentOutOfRangeException(nameof(labels), $"label {y} of row {b} is outside the {k} classes of the logits");
            var row = x.Slice(b * k, k);
            float max = float.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            double logSum = Math.Log(sum) + max;
            // loss = -sum_j q_j log p_j = logSum - sum_j q_j x_j
            double dot = 0;
            if (labelSmoothing != 0)
                for (int j = 0; j < k; j++) dot += off * row[j];
            dot += (on - off) * row[y];
            total += logSum - dot;
            if (gradient is null) continue;
            var grow = g.Slice(b * k, k);
            for (int j = 0; j < k; j++)
            {
                double p = Math.Exp(row[j] - logSum);
                grow[j] = (float)(p - (j == y ? on : off)) * invCount;
            }
        }
        return total / count;
    }

    /// <summary>Number of the first <paramref name="count"/> rows whose largest logit is at the label (first maximum wins ties).</summary>
    public static int CountCorrect(Tensor logits, ReadOnlySpan<int> labels, int count = -1)
    {
        int rows = logits.Rank == 0 ? 1 : logits.Shape[0];
        if (count < 0) count = rows;
        if (count == 0) return 0;
        int k = logits.Length / rows;
        var x = logits.Floats;
        int correct = 0;
        for (int b = 0; b < count; b++)
        {
            var row = x.Slice(b * k, k);
            int best = 0;
            for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
            if (best == labels[b]) correct++;
        }
        return correct;
    }
}

/// <summary>Mean squared error: mean over all elements of (prediction - target)^2 (PyTorch's MSELoss, reduction 'mean').</summary>
public static class MeanSquaredError
{
    /// <summary>The loss; writes dLoss/dPrediction = 2 (prediction - target) / n into <paramref name="gradient"/> if given.</summary>
    public static double Compute(Tensor prediction, Tensor target, Tensor? gradient)
    {
        if (prediction.Length != target.Length)
            throw new ArgumentException($"prediction {prediction} and target {target} differ in size");
        if (gradient is not null && gradient.Length != prediction.Length)
            throw new ArgumentException($"gradient {gradient} does not match prediction {prediction}");
        int n = prediction.Length;
        if (n == 0) return 0;
        var p = prediction.Floats;
        var t = target.Floats;
        var g = gradient is null ? default : gradient.Floats;
        double sum = 0;
        float scale = 2f / n;
        for (int i = 0; i < n; i++)
        {
            float d = p[i] - t[i];
            sum += (double)d * d;
            if (gradient is not null) g[i] = d * scale;
        }
        return sum / n;
    }
}
