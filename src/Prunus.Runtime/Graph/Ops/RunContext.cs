using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Graph.Ops;

/// <summary>What a kernel may use while running: the worker pool, the mode, and a seeded random stream.</summary>
public sealed class RunContext
{
    /// <summary>Threads for kernels.</summary>
    public WorkerPool Pool { get; set; }
    /// <summary>Training mode: BatchNormalization uses batch statistics, Dropout drops.</summary>
    public bool Training { get; set; }
    private readonly SeededRandom _random = new(0);

    public RunContext(WorkerPool pool, bool training, ulong seed = 0)
    {
        Pool = pool;
        Training = training;
        Reseed(seed);
    }

    /// <summary>Restarts the random stream (the trainer reseeds per step so that resumed runs match).</summary>
    public void Reseed(ulong seed) => _random.Reseed(seed);

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => _random.NextFloat();

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64() => _random.NextUInt64();
}
