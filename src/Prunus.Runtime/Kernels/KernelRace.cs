using System.Diagnostics;

namespace Prunus.Kernels;

/// <summary>
/// A choice between kernels that compute the same bits, made by timing them on the layer's own calls. The first calls
/// go round the candidates: one warm-up call each (thread-local buffers, first-call code), then
/// <see cref="Rounds"/> timed calls each, alternating so that a machine whose speed drifts treats them alike; the
/// candidate with the fastest single call then runs every later call. Used where the crossover between two exact
/// kernels depends on the batch, the thread count and the machine more than a fixed rule captures: on LeNet-5's
/// 90%-sparse int8 first layer (AMD EPYC, AVX2, two threads) the direct integer convolution was faster at batch 64 and
/// the float-carried one in all 40 alternating rounds at batch 1. The results do not depend on the winner, only the
/// time does. Not thread-safe: one caller at a time, as a plan runs its steps.
/// </summary>
internal sealed class KernelRace
{
    /// <summary>Timed calls per candidate.</summary>
    public const int Rounds = 3;

    /// <summary>Off with PRUNUS_RACE=0: the first candidate then always runs (for timing against a fixed choice).</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("PRUNUS_RACE") != "0";

    private readonly double[] _best;
    private int _calls;
    private long _started;

    /// <summary>A race between <paramref name="candidates"/> kernels (at least two).</summary>
    public KernelRace(int candidates)
    {
        if (candidates < 2) throw new ArgumentOutOfRangeException(nameof(candidates), "a race needs at least two candidates");
        _best = Enumerable.Repeat(double.PositiveInfinity, candidates).ToArray();
    }

    /// <summary>The candidate that runs from now on, or -1 while the race goes on.</summary>
    public int Winner { get; private set; } = -1;

    /// <summary>Each candidate's fastest timed call in milliseconds (infinity before its first).</summary>
    public IReadOnlyList<double> BestMs => _best;

    /// <summary>The candidate to run for this call; while the race goes on, the clock starts (stop it with <see cref="Done"/>).</summary>
    public int Pick()
    {
        if (Winner >= 0) return Winner;
        _started = Stopwatch.GetTimestamp();
        return _calls % _best.Length;
    }

    /// <summary>Ends a call that <see cref="Pick"/> started: its time counts unless it was the candidate's warm-up.</summary>
    public void Done()
    {
        if (Winner >= 0) return;
        int n = _best.Length, candidate = _calls % n;
        double ms = Stopwatch.GetElapsedTime(_started).TotalMilliseconds;
        if (_calls >= n) _best[candidate] = Math.Min(_best[candidate], ms);
        if (++_calls == n * (Rounds + 1)) Winner = Array.IndexOf(_best, _best.Min());
    }
}
