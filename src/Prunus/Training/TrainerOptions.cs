using System.Globalization;
using Prunus.Data;
using Prunus.Threading;

namespace Prunus.Training;

/// <summary>
/// How a <see cref="Trainer"/> trains. The defaults are the reference recipe of the project's benchmarks:
/// SGD, learning rate 0.01, momentum 0.9, weight decay 5e-4, batch 64.
/// </summary>
public sealed record TrainerOptions
{
    /// <summary>Epochs to train (a resumed run continues up to this many in all).</summary>
    public int Epochs { get; init; } = 1;
    /// <summary>Images per step; the last step of an epoch takes the remainder unless <see cref="DropLast"/>.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Base learning rate, shaped by <see cref="Schedule"/>.</summary>
    public double LearningRate { get; init; } = 0.01;
    /// <summary>SGD momentum (ignored by Adam and AdamW).</summary>
    public double Momentum { get; init; } = 0.9;
    /// <summary>Weight decay: L2 in the gradient for SGD and Adam, decoupled for AdamW.</summary>
    public double WeightDecay { get; init; } = 5e-4;
    /// <summary>Nesterov momentum for SGD.</summary>
    public bool Nesterov { get; init; }
    /// <summary>Which optimizer.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Sgd;
    /// <summary>Adam's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;
    /// <summary>Adam's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam's denominator term.</summary>
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Learning-rate schedule over the run.</summary>
    public LrSchedule Schedule { get; init; } = LrSchedule.Constant();
    /// <summary>Label smoothing of the cross-entropy loss, in [0, 1).</summary>
    public float LabelSmoothing { get; init; }
    /// <summary>Seed of shuffling, augmentation and dropout (weights are initialized by whoever built the graph).</summary>
    public ulong Seed { get; init; }
    /// <summary>Whether each epoch visits the images in a fresh seeded order.</summary>
    public bool Shuffle { get; init; } = true;
    /// <summary>Whether to skip the last, smaller batch of each epoch.</summary>
    public bool DropLast { get; init; }
    /// <summary>Training-time augmentation, or null for none.</summary>
    public Augmentation? Augmentation { get; init; }
    /// <summary>Threads for kernels; null uses a pool of <see cref="Threads"/> threads, or <see cref="WorkerPool.Default"/> if that is 0.</summary>
    public WorkerPool? Pool { get; init; }
    /// <summary>Size of the pool the trainer makes when <see cref="Pool"/> is null (0: the process-wide pool).</summary>
    public int Threads { get; init; }
    /// <summary>If set, the loss mixes in distillation from this teacher's logits.</summary>
    public Distillation? Distillation { get; init; }
    /// <summary>If set, a checkpoint is written here at the end of every epoch and when training stops early.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Throws with a message that names the first bad setting.</summary>
    public void Validate()
    {
        if (Epochs < 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must not be negative");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "the batch size must be at least 1");
        if (LearningRate < 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "the learning rate must not be negative");
        if (Momentum < 0) throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "momentum must not be negative");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "weight decay must not be negative");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "label smoothing must lie in [0, 1)");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "threads must not be negative");
        if (Augmentation is { Pad: < 0 }) throw new ArgumentOutOfRangeException(nameof(Augmentation), Augmentation.Pad, "the crop padding must not be negative");
        ArgumentNullException.ThrowIfNull(Schedule);
        Distillation?.Validate();
    }

    /// <summary>
    /// The settings that determine the trajectory of a run, as text: a checkpoint records it so that a resume with
    /// different settings is refused. Epochs, threads and the checkpoint path are left out: a run may be extended, and
    /// the thread count changes at most the rounding.
    /// </summary>
    public string TrajectoryDescription()
    {
        var c = CultureInfo.InvariantCulture;
        var parts = new List<string>
        {
            $"batch={BatchSize}", $"drop_last={DropLast}", $"optimizer={Optimizer}", $"lr={LearningRate.ToString("R", c)}",
            $"weight_decay={WeightDecay.ToString("R", c)}", $"schedule={Schedule}",
            $"label_smoothing={LabelSmoothing.ToString("R", c)}", $"seed={Seed}", $"shuffle={Shuffle}",
            $"augmentation={(Augmentation is { IsNone: false } a ? $"pad {a.Pad}, flip {a.HorizontalFlip}" : "none")}",
        };
        if (Distillation is { } d)
            parts.Add($"distillation=T {d.Temperature.ToString("R", c)}, alpha {d.Alpha.ToString("R", c)}, teacher {d.Teacher.Name}");
        if (Optimizer == OptimizerKind.Sgd) parts.Add($"momentum={Momentum.ToString("R", c)}; nesterov={Nesterov}");
        else parts.Add($"betas={Beta1.ToString("R", c)},{Beta2.ToString("R", c)}; eps={Epsilon.ToString("R", c)}");
        return string.Join("; ", parts);
    }
}
