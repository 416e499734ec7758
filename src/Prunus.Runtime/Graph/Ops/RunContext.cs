using Prunus.Threading;

namespace Prunus.Graph.Ops;

/// <summary>What a kernel may use while running: the worker pool, the mode, and a seeded random stream.</summary>
public sealed class RunContext
{
    /// <summary>Threads for kernels.</summary>
    public WorkerPool Pool { get; set; }
    /// <summary>Training mode: BatchNormalization uses batch statistics, Dropout drops.</summary>
    public bool Training { get; set; }
    private ulong _state;

    public RunContext(WorkerPool pool, bool training, ulong seed = 0)
    {
        Pool = pool;
        Training = training;
        Reseed(seed);
    }

    /// <summary>Restarts the random stream (the trainer reseeds per step so that resumed runs match).</summary>
    public void Reseed(ulong seed) => _state = seed * 0x9E3779B97F4A7C15UL + 0x2545F4914F6CDD1DUL;

    /// <summary>Next 64 random bits (splitmix64).</summary>
    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));
}
