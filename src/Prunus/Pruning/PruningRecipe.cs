using Prunus.Pruning.Criteria;
using Prunus.Pruning.Obs;
using Prunus.Pruning.Structured;
using Prunus.Training;

namespace Prunus.Pruning;

/// <summary>When pruning happens relative to training.</summary>
public enum PruningSchedule
{
    /// <summary>Prune once, then fine-tune for the epochs asked (none: no training at all).</summary>
    OneShot,
    /// <summary>Prune in rounds of equal survivor fractions, fine-tuning between rounds.</summary>
    Iterative,
    /// <summary>Zhu and Gupta's cubic schedule during fine-tuning (<see cref="Schedules.GradualPruning"/>).</summary>
    Gradual,
    /// <summary>Lottery-ticket iterative magnitude pruning with rewinding of the survivors to an early checkpoint.</summary>
    Lottery,
}

/// <summary>Everything a pruning run needs besides the model and the data.</summary>
public sealed record PruningRecipe
{
    /// <summary>How weights are scored.</summary>
    public IImportance Importance { get; init; } = Magnitude.L1;
    /// <summary>How much, where and in what units.</summary>
    public PruningTarget Target { get; init; } = new();
    /// <summary>When pruning happens.</summary>
    public PruningSchedule Schedule { get; init; } = PruningSchedule.OneShot;
    /// <summary>Fine-tuning epochs in all (0: none; iterative and lottery share them among their rounds).</summary>
    public int Epochs { get; init; }
    /// <summary>Pruning rounds of the iterative and lottery schedules.</summary>
    public int Rounds { get; init; } = 3;
    /// <summary>Gradual schedule: fraction of the fine-tuning steps over which sparsity rises (the rest trains at the final masks).</summary>
    public double GradualEndFraction { get; init; } = 0.8;
    /// <summary>Gradual schedule: steps between pruning events.</summary>
    public int GradualFrequency { get; init; } = 100;
    /// <summary>Lottery schedule: training steps of the first round after which the weights are saved as the rewinding point (0: the input weights).</summary>
    public int RewindSteps { get; init; }
    /// <summary>
    /// Training settings of fine-tuning (epochs are set per phase by the runner). The default is the project's recipe
    /// at half the learning rate, as fine-tuning usually is.
    /// </summary>
    public TrainerOptions Training { get; init; } = new() { LearningRate = 0.005 };
    /// <summary>Distill from the unpruned model during fine-tuning (temperature-scaled KL on logits mixed with the label loss).</summary>
    public bool Distill { get; init; }
    /// <summary>Distillation temperature.</summary>
    public double DistillTemperature { get; init; } = 4;
    /// <summary>Weight of the distillation term.</summary>
    public double DistillAlpha { get; init; } = 0.5;
    /// <summary>Images used for calibration (criteria that need data, BatchNorm recalibration).</summary>
    public int CalibrationImages { get; init; } = 1024;
    /// <summary>
    /// When set, masks come from SparseGPT-style OBS reconstruction (<see cref="SparseGpt"/>): the kept weights are
    /// updated to compensate, and <see cref="Importance"/> is not used. One-shot schedule only.
    /// </summary>
    public SparseGptOptions? Obs { get; init; }
    /// <summary>Channel granularity: how channels are scored (null: L1 magnitude aggregated over each group).</summary>
    public IChannelImportance? ChannelImportance { get; init; }
    /// <summary>Channel granularity: keep a multiple of this many channels in each group.</summary>
    public int RoundTo { get; init; } = 1;
    /// <summary>Channel granularity: batches of calibration images over which BatchNorm statistics are recomputed after surgery (0: none).</summary>
    public int RecalibrationBatches { get; init; } = 20;
    /// <summary>Layers (node or weight names) never pruned.</summary>
    public IReadOnlyCollection<string> Ignore { get; init; } = [];
    /// <summary>
    /// With a latency target: the batch sizes at which layer times are measured; the target is the mean fraction of
    /// latency removed over them.
    /// </summary>
    public IReadOnlyList<int> LatencyBatches { get; init; } = [1, 64];

    /// <summary>Throws with a message naming the first bad setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Importance);
        ArgumentNullException.ThrowIfNull(Target);
        Target.Validate();
        Training.Validate();
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must not be negative");
        if (Rounds < 1) throw new ArgumentOutOfRangeException(nameof(Rounds), Rounds, "rounds must be at least 1");
        if (GradualEndFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(GradualEndFraction), GradualEndFraction, "the gradual end fraction must lie in (0, 1]");
        if (GradualFrequency < 1) throw new ArgumentOutOfRangeException(nameof(GradualFrequency), GradualFrequency, "the gradual frequency must be at least one step");
        if (RewindSteps < 0) throw new ArgumentOutOfRangeException(nameof(RewindSteps), RewindSteps, "rewind steps must not be negative");
        if (CalibrationImages < 1) throw new ArgumentOutOfRangeException(nameof(CalibrationImages), CalibrationImages, "calibration needs at least one image");
        if (Schedule == PruningSchedule.Gradual && Epochs < 1)
            throw new ArgumentException("the gradual schedule prunes during training: give at least one epoch");
        if (Schedule == PruningSchedule.Lottery && Epochs < Rounds + 1)
            throw new ArgumentException($"the lottery schedule trains before each of its {Rounds} pruning rounds and once after the last: give at least {Rounds + 1} epochs");
        if (Schedule == PruningSchedule.Lottery && Importance is not Magnitude)
            throw new ArgumentException("the lottery schedule is iterative magnitude pruning: use the magnitude criterion");
        if (Obs is not null && Schedule != PruningSchedule.OneShot)
            throw new ArgumentException("OBS reconstruction prunes in one shot: use the oneshot schedule (with --epochs to fine-tune after it)");
        if (Target.Granularity.IsStructured && Schedule is not (PruningSchedule.OneShot or PruningSchedule.Iterative))
            throw new ArgumentException("channel pruning removes channels in one shot or in rounds with fine-tuning between them: use the oneshot or iterative schedule");
        if (Target.Granularity.IsStructured && Schedule == PruningSchedule.Iterative && Target.LayerSparsity is { Count: > 0 })
            throw new ArgumentException("per-layer sparsities from a sensitivity analysis are applied in one shot: use the oneshot schedule with --sensitivity");
        if (RoundTo < 1) throw new ArgumentOutOfRangeException(nameof(RoundTo), RoundTo, "round-to must be at least 1");
        if (RecalibrationBatches < 0) throw new ArgumentOutOfRangeException(nameof(RecalibrationBatches), RecalibrationBatches, "recalibration batches must not be negative");
        if (Target.Measure == TargetMeasure.Latency && (LatencyBatches.Count == 0 || LatencyBatches.Any(b => b < 1)))
            throw new ArgumentException("a latency target needs one or more batch sizes (each at least 1) at which to time the layers");
        if (Target.Measure == TargetMeasure.Latency && Target.LayerSparsity is { Count: > 0 })
            throw new ArgumentException("per-layer sparsities from a sensitivity analysis are sized by parameters or FLOPs: use a params or flops target with them");
        if (Distill && Epochs == 0) throw new ArgumentException("distillation trains the pruned model: give at least one epoch");
    }
}
