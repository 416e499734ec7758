namespace Prunus.Training;

/// <summary>What a schedule counts in: optimizer steps, or whole epochs (the rate then changes only between epochs).</summary>
public enum ScheduleUnit
{
    /// <summary>Optimizer steps.</summary>
    Step,
    /// <summary>Completed epochs.</summary>
    Epoch,
}

/// <summary>
/// A learning-rate schedule: the rate at each point of a run as a function of the base rate. Schedules are records,
/// so equal settings compare equal and print the same (that text enters a checkpoint's configuration hash).
/// </summary>
public abstract record LrSchedule
{
    /// <summary>Whether <see cref="Rate"/>'s time counts steps or epochs.</summary>
    public ScheduleUnit Unit { get; init; } = ScheduleUnit.Epoch;

    /// <summary>The rate at time <paramref name="t"/> (in <see cref="Unit"/>s since the start) for base rate <paramref name="baseRate"/>.</summary>
    public abstract double Rate(double baseRate, long t);

    /// <summary>The rate at global optimizer step <paramref name="step"/> of a run with <paramref name="stepsPerEpoch"/> steps per epoch.</summary>
    public virtual double RateAt(double baseRate, long step, int stepsPerEpoch) =>
        Rate(baseRate, TimeAt(step, stepsPerEpoch));

    /// <summary>Global step <paramref name="step"/> in units of <see cref="Unit"/>.</summary>
    protected long TimeAt(long step, int stepsPerEpoch)
    {
        if (stepsPerEpoch <= 0) throw new ArgumentOutOfRangeException(nameof(stepsPerEpoch), stepsPerEpoch, "an epoch must have at least one step");
        return Unit == ScheduleUnit.Step ? step : step / stepsPerEpoch;
    }

    /// <summary>Steps in <paramref name="t"/> units of <see cref="Unit"/>.</summary>
    protected long ToSteps(long t, int stepsPerEpoch) => Unit == ScheduleUnit.Step ? t : t * stepsPerEpoch;

    /// <summary>The base rate throughout.</summary>
    public static LrSchedule Constant() => new ConstantSchedule();
    /// <summary>Multiplies the rate by <paramref name="gamma"/> every <paramref name="stepSize"/> units.</summary>
    public static LrSchedule StepDecay(int stepSize, double gamma, ScheduleUnit unit = ScheduleUnit.Epoch) =>
        new StepSchedule(stepSize, gamma) { Unit = unit };
    /// <summary>Half a cosine from the base rate down to <paramref name="floor"/> over <paramref name="length"/> units.</summary>
    public static LrSchedule Cosine(long length, double floor = 0, ScheduleUnit unit = ScheduleUnit.Epoch) =>
        new CosineSchedule(length, floor) { Unit = unit };
}

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : LrSchedule
{
    /// <inheritdoc/>
    public override double Rate(double baseRate, long t) => baseRate;
}

/// <summary>base * gamma^floor(t / StepSize) (PyTorch's StepLR).</summary>
public sealed record StepSchedule : LrSchedule
{
    /// <summary>Units between decays.</summary>
    public int StepSize { get; }
    /// <summary>Factor applied at each decay.</summary>
    public double Gamma { get; }

    /// <summary>Creates the schedule.</summary>
    public StepSchedule(int stepSize, double gamma)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "the step size must be positive");
        if (gamma <= 0) throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be positive");
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <inheritdoc/>
    public override double Rate(double baseRate, long t) => baseRate * Math.Pow(Gamma, t / StepSize);
}

/// <summary>floor + (base - floor) * (1 + cos(pi * t / Length)) / 2 for t &lt; Length, then floor (cosine annealing).</summary>
public sealed record CosineSchedule : LrSchedule
{
    /// <summary>Units from the base rate to the floor.</summary>
    public long Length { get; }
    /// <summary>The final rate.</summary>
    public double Floor { get; }

    /// <summary>Creates the schedule.</summary>
    public CosineSchedule(long length, double floor = 0)
    {
        if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), length, "the cosine length must be positive");
        if (floor < 0) throw new ArgumentOutOfRangeException(nameof(floor), floor, "the floor must not be negative");
        Length = length;
        Floor = floor;
    }

    /// <inheritdoc/>
    public override double Rate(double baseRate, long t) =>
        t >= Length ? Floor : Floor + (baseRate - Floor) * (1 + Math.Cos(Math.PI * t / Length)) / 2;
}

/// <summary>
/// Linear warm-up over the first Length units, reaching the base rate at the last of them (unit t &lt; Length runs at
/// base * (StartFactor + (1 - StartFactor) * (t + 1) / Length), so no step is wasted at rate 0), then
/// <see cref="Then"/>, in its own unit, with its time starting at zero when the warm-up ends.
/// </summary>
public sealed record WarmupSchedule : LrSchedule
{
    /// <summary>Warm-up units.</summary>
    public long Length { get; }
    /// <summary>Fraction of the base rate the ramp starts from.</summary>
    public double StartFactor { get; }
    /// <summary>The schedule after the warm-up.</summary>
    public LrSchedule Then { get; }

    /// <summary>Creates the schedule.</summary>
    public WarmupSchedule(long length, LrSchedule then, double startFactor = 0)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "the warm-up length must not be negative");
        if (startFactor is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "the start factor must lie in [0, 1]");
        Length = length;
        StartFactor = startFactor;
        Then = then ?? throw new ArgumentNullException(nameof(then));
    }

    /// <inheritdoc/>
    public override double Rate(double baseRate, long t) =>
        t < Length ? baseRate * (StartFactor + (1 - StartFactor) * (t + 1) / Length) : Then.Rate(baseRate, t - Length);

    /// <inheritdoc/>
    public override double RateAt(double baseRate, long step, int stepsPerEpoch)
    {
        long t = TimeAt(step, stepsPerEpoch);
        if (t < Length) return Rate(baseRate, t);
        return Then.RateAt(baseRate, step - ToSteps(Length, stepsPerEpoch), stepsPerEpoch);
    }
}
