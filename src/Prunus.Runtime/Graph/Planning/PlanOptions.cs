using Prunus.Threading;

namespace Prunus.Graph.Planning;

/// <summary>How a plan is compiled.</summary>
public sealed class PlanOptions
{
    /// <summary>Training mode: batch statistics, active dropout, gradients for trainable initializers, no buffer reuse.</summary>
    public bool Training { get; init; }

    /// <summary>
    /// Whether initializers are fixed for the plan's life, so kernels may fold, transform or pre-pack them. Ignored
    /// (taken as false) when training. An inference plan over weights that are still changing must set this false.
    /// </summary>
    public bool ConstantWeights { get; init; } = true;

    /// <summary>Graph inputs to compute gradients for (used by gradient checks).</summary>
    public IReadOnlySet<string> InputGradients { get; init; } = new HashSet<string>();

    /// <summary>Intermediate values to keep readable after a run (calibration, activation statistics).</summary>
    public IReadOnlySet<string> KeepValues { get; init; } = new HashSet<string>();

    /// <summary>Threads for kernels; null uses <see cref="WorkerPool.Default"/>.</summary>
    public WorkerPool? Pool { get; init; }

    /// <summary>Seed of the plan's random stream (Dropout).</summary>
    public ulong Seed { get; init; }

    internal bool WeightsAreConstant => ConstantWeights && !Training;
    internal bool NeedsGradients => Training || InputGradients.Count > 0;
}
