using Prunus.Graph;
using Prunus.Pruning.Criteria;
using Prunus.Training;

namespace Prunus.Pruning.Schedules;

/// <summary>
/// Gradual pruning with the cubic schedule of Zhu and Gupta (2017, "To prune, or not to prune"):
/// s(t) = s_f + (s_i - s_f) (1 - (t - t_0) / (t_end - t_0))^3, applied every <see cref="Frequency"/> steps from
/// <see cref="StartStep"/> to <see cref="EndStep"/>, after which the masks stay fixed. Pruning happens in the trainer's
/// step-start hook, so it is part of training and resumes with it; pruned weights never come back (each step's masks
/// rank the previous step's pruned entries lowest).
/// </summary>
public sealed class GradualPruning : ITrainingCallback
{
    private readonly ModelGraph _graph;
    private readonly IReadOnlyList<PrunableLayer> _layers;
    private readonly IImportance _importance;
    private readonly PruningTarget _target;

    /// <summary>Sparsity at the first pruning step.</summary>
    public double InitialSparsity { get; }
    /// <summary>Global step of the first pruning.</summary>
    public long StartStep { get; }
    /// <summary>Global step at which the final sparsity is reached.</summary>
    public long EndStep { get; }
    /// <summary>Steps between pruning events.</summary>
    public int Frequency { get; }
    /// <summary>The current masks (null before the first pruning step).</summary>
    public PruningMasks? Masks { get; private set; }
    /// <summary>Called with (step, sparsity) after each pruning event.</summary>
    public Action<long, double>? Pruned { get; set; }

    /// <summary>Prunes <paramref name="layers"/> from <paramref name="initialSparsity"/> to <paramref name="target"/>'s sparsity.</summary>
    public GradualPruning(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, IImportance importance, PruningTarget target,
        double initialSparsity, long startStep, long endStep, int frequency)
    {
        target.Validate();
        if (importance.Needs != CalibrationNeeds.None)
            throw new ArgumentException($"gradual pruning re-scores the weights during training; the {importance.Name} criterion needs calibration data, use magnitude or random");
        if (target.Granularity is NOfM or { IsStructured: true })
            throw new ArgumentException($"gradual pruning raises sparsity step by step, which {target.Granularity} granularity does not allow");
        if (initialSparsity < 0 || initialSparsity > target.Sparsity) throw new ArgumentOutOfRangeException(nameof(initialSparsity), initialSparsity, "the initial sparsity must lie in [0, final sparsity]");
        if (startStep < 0 || endStep < startStep) throw new ArgumentOutOfRangeException(nameof(endStep), endStep, "the end step must not come before the start step");
        if (frequency < 1) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "the pruning frequency must be at least one step");
        _graph = graph;
        _layers = layers;
        _importance = importance;
        _target = target;
        InitialSparsity = initialSparsity;
        StartStep = startStep;
        EndStep = endStep;
        Frequency = frequency;
    }

    /// <summary>The schedule's sparsity at global step <paramref name="step"/>.</summary>
    public double SparsityAt(long step)
    {
        if (step < StartStep) return 0;
        if (step >= EndStep) return _target.Sparsity;
        double progress = (double)(step - StartStep) / (EndStep - StartStep);
        return _target.Sparsity + (InitialSparsity - _target.Sparsity) * Math.Pow(1 - progress, 3);
    }

    /// <inheritdoc/>
    public void OnStepStart(Trainer trainer)
    {
        long t = trainer.GlobalStep;
        // Due on the schedule's grid, and once at or after the end step if the grid did not land on it.
        if (t >= StartStep && ((t - StartStep) % Frequency == 0 || t >= EndStep)) PruneTo(trainer, SparsityAt(t));
    }

    /// <summary>Sparsity of the last pruning event (-1 before the first).</summary>
    public double LastSparsity { get; private set; } = -1;

    /// <summary>Prunes to <paramref name="sparsity"/> now and holds the masks in training.</summary>
    public void PruneTo(Trainer trainer, double sparsity)
    {
        if (sparsity <= LastSparsity || sparsity <= 0) return; // nothing new to prune
        Masks = Pruner.Prune(_graph, _layers, _importance, _target with { Sparsity = sparsity }, previous: Masks);
        Masks.AttachTo(trainer);
        LastSparsity = sparsity;
        Pruned?.Invoke(trainer.GlobalStep, sparsity);
    }
}
