namespace Prunus.Quantization.Observers;

/// <summary>
/// Watches the values of one tensor over calibration batches and proposes the real range to quantize it to. Every
/// observer also keeps the exact minimum and maximum seen; what it proposes may clip outliers (percentile, entropy,
/// MSE) or follow a moving average (moving-average min/max).
/// </summary>
public abstract class Observer
{
    /// <summary>Short name for reports: minmax, moving-average, percentile, entropy, mse.</summary>
    public abstract string Name { get; }

    /// <summary>Values seen (NaNs are skipped and not counted).</summary>
    public long Count { get; private set; }

    /// <summary>Smallest value seen (+∞ before any).</summary>
    public float Min { get; private set; } = float.PositiveInfinity;

    /// <summary>Largest value seen (-∞ before any).</summary>
    public float Max { get; private set; } = float.NegativeInfinity;

    /// <summary>Batches seen (calls of <see cref="Observe"/> with at least one value).</summary>
    public int Batches { get; private set; }

    /// <summary>Takes in one batch of the tensor's values.</summary>
    public void Observe(ReadOnlySpan<float> values)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        int n = 0;
        foreach (var v in values)
        {
            if (float.IsNaN(v)) continue;
            n++;
            if (v < min) min = v;
            if (v > max) max = v;
        }
        if (n == 0) return;
        if (float.IsInfinity(min) || float.IsInfinity(max))
            throw new ArgumentException($"the observed tensor holds infinite values ({min} .. {max}): it cannot be quantized");
        Count += n;
        Batches++;
        Min = Math.Min(Min, min);
        Max = Math.Max(Max, max);
        Add(values, min, max);
    }

    /// <summary>Lets a subclass take in a batch whose finite extremes are <paramref name="min"/> and <paramref name="max"/>.</summary>
    protected abstract void Add(ReadOnlySpan<float> values, float min, float max);

    /// <summary>
    /// The real range [min, max] to quantize into <paramref name="spec"/> (the quantizer widens it to contain 0).
    /// Throws when nothing was observed.
    /// </summary>
    public (float Min, float Max) Range(QuantizationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Count == 0) throw new InvalidOperationException($"the {Name} observer has seen no values: run calibration first");
        var (lo, hi) = Propose(spec);
        return (Math.Clamp(lo, Min, Max), Math.Clamp(hi, Min, Max));
    }

    /// <summary>The range the method proposes; <see cref="Range"/> clamps it into the observed extremes.</summary>
    protected abstract (float Min, float Max) Propose(QuantizationSpec spec);

    /// <summary>Per-tensor scale and zero point of <see cref="Range"/> for <paramref name="spec"/>.</summary>
    public QuantizationParameters Parameters(QuantizationSpec spec)
    {
        var (lo, hi) = Range(spec);
        return QuantMath.ForRange(lo, hi, spec);
    }
}

/// <summary>The exact minimum and maximum over all batches (ONNX Runtime's default MinMax calibration).</summary>
public sealed class MinMaxObserver : Observer
{
    /// <inheritdoc/>
    public override string Name => "minmax";

    /// <inheritdoc/>
    protected override void Add(ReadOnlySpan<float> values, float min, float max) { }

    /// <inheritdoc/>
    protected override (float Min, float Max) Propose(QuantizationSpec spec) => (Min, Max);
}

/// <summary>
/// Exponential moving averages of each batch's minimum and maximum: m ← m + c · (batch − m), started at the first
/// batch's (PyTorch's MovingAverageMinMaxObserver). Rare extreme batches move the range only by c of their excess.
/// </summary>
public sealed class MovingAverageMinMaxObserver : Observer
{
    private double _min, _max;

    /// <summary>The averaging constant c in (0, 1].</summary>
    public double Momentum { get; }

    /// <summary>
    /// An observer with averaging constant <paramref name="momentum"/>. PyTorch uses 0.01 over thousands of training
    /// batches; calibration sees a few batches, so the default 0.1 lets later batches count.
    /// </summary>
    public MovingAverageMinMaxObserver(double momentum = 0.1)
    {
        if (!(momentum > 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "the averaging constant must lie in (0, 1]");
        Momentum = momentum;
    }

    /// <inheritdoc/>
    public override string Name => "moving-average";

    /// <inheritdoc/>
    protected override void Add(ReadOnlySpan<float> values, float min, float max)
    {
        if (Batches == 1)
        {
            _min = min;
            _max = max;
            return;
        }
        _min += Momentum * (min - _min);
        _max += Momentum * (max - _max);
    }

    /// <inheritdoc/>
    protected override (float Min, float Max) Propose(QuantizationSpec spec) => ((float)_min, (float)_max);
}
