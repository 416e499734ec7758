using System.Diagnostics;

namespace Prunus.Threading;

/// <summary>A unit of parallel work: <see cref="Run"/> is called once for each index in [0, count).</summary>
public interface IParallelWork
{
    /// <summary>Does the work of one index. Different indices must write disjoint memory.</summary>
    void Run(int index);
}

/// <summary>Running a piece of parallel work.</summary>
public static class ParallelWorkExtensions
{
    /// <summary>Indices [0, <paramref name="tasks"/>) on the pool when <paramref name="parallel"/> and there is more than one, else in order on the caller.</summary>
    public static void RunAll(this IParallelWork work, int tasks, bool parallel, WorkerPool? pool)
    {
        if (!parallel || tasks == 1 || pool is null)
            for (int t = 0; t < tasks; t++) work.Run(t);
        else pool.For(tasks, work);
    }
}

/// <summary>
/// A small fixed pool of worker threads for kernels. The calling thread takes part, so a pool of N threads starts N-1
/// workers. Indices are claimed one at a time from a shared counter by whichever thread is free, and the caller
/// returns as soon as every index has run: it never waits for a worker that has not woken up yet, so a small kernel
/// pays no wake-up latency (the caller simply runs it alone). Workers spin briefly before sleeping because kernel calls
/// come in quick succession. Results never depend on which thread ran an index. A <see cref="For"/> issued from inside
/// a work item of the same pool runs inline on that thread.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker polls for new work before it sleeps.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 microseconds

    // The claim word: generation in the high 32 bits, next index in the low 32. A claim is a compare-exchange that
    // fails once the generation moves on, so a late worker can never take an index of a finished or later run.
    private long _state;
    private IParallelWork? _work;
    private int _count;
    private int _done;
    private Exception? _error;
    private volatile bool _disposed;
    private readonly Worker[] _workers;
    private readonly object _runLock = new();

    [ThreadStatic] private static WorkerPool? t_running;

    private sealed class Worker
    {
        public readonly SemaphoreSlim Wake = new(0);
        /// <summary>1 while the worker is (about to be) blocked on <see cref="Wake"/>; whoever resets it to 0 owns the wake-up.</summary>
        public int Sleeping;
    }

    /// <summary>Number of threads that execute work, including the caller.</summary>
    public int Threads { get; }

    /// <summary>A pool with <paramref name="threads"/> threads in all (at least 1).</summary>
    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be at least 1");
        Threads = threads;
        _workers = new Worker[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            var w = _workers[i] = new Worker();
            new Thread(() => WorkerLoop(w)) { IsBackground = true, Name = $"prunus-worker-{i + 1}" }.Start();
        }
    }

    private static WorkerPool? _default;

    /// <summary>The process-wide pool, sized by <see cref="SetDefaultThreads"/> (default: all cores).</summary>
    public static WorkerPool Default => _default ??= new WorkerPool(Environment.ProcessorCount);

    /// <summary>Replaces the process-wide pool with one of <paramref name="threads"/> threads.</summary>
    public static void SetDefaultThreads(int threads)
    {
        var old = _default;
        if (old is not null && old.Threads == threads) return;
        _default = new WorkerPool(threads);
        old?.Dispose();
    }

    private static int Generation(long state) => (int)(state >> 32);

    /// <summary>Runs <paramref name="work"/> for every index in [0, count) and returns when all are done.</summary>
    public void For(int count, IParallelWork work)
    {
        if (count <= 0) return;
        if (count == 1 || _workers.Length == 0 || t_running == this)
        {
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_runLock)
        {
            // Close the previous run to claims before its fields are replaced, then publish the new generation.
            long old = Volatile.Read(ref _state);
            int gen = Generation(old) + 1;
            Interlocked.Exchange(ref _state, old | int.MaxValue);
            _work = work;
            _count = count;
            _error = null;
            Volatile.Write(ref _done, 0);
            Interlocked.Exchange(ref _state, (long)gen << 32);
            foreach (var w in _workers)
                if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();

            var previous = t_running;
            t_running = this;
            try { RunClaims(gen); }
            finally { t_running = previous; }
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) < count) spin.SpinOnce(-1);
            _work = null;
            if (_error is { } e) throw new AggregateException("a parallel kernel failed", e);
        }
    }

    /// <summary>Claims and runs indices of generation <paramref name="gen"/> until none are left.</summary>
    private void RunClaims(int gen)
    {
        while (true)
        {
            long s = Volatile.Read(ref _state);
            if (Generation(s) != gen) return;
            int index = (int)s;
            var work = _work;
            int count = _count;
            if (index >= count || work is null) return;
            if (Interlocked.CompareExchange(ref _state, s + 1, s) != s) continue;
            try { work.Run(index); }
            catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); }
            finally { Interlocked.Increment(ref _done); }
        }
    }

    private void WorkerLoop(Worker w)
    {
        t_running = this;
        int seen = Generation(Volatile.Read(ref _state));
        while (!_disposed)
        {
            int gen = Generation(Volatile.Read(ref _state));
            if (gen == seen) gen = WaitForGeneration(w, seen);
            if (_disposed) return;
            seen = gen;
            RunClaims(gen);
        }
    }

    /// <summary>Spins, then sleeps, until the generation differs from <paramref name="seen"/>; returns the new one.</summary>
    private int WaitForGeneration(Worker w, int seen)
    {
        long until = Stopwatch.GetTimestamp() + SpinTicks;
        int gen;
        while ((gen = Generation(Volatile.Read(ref _state))) == seen)
        {
            if (Stopwatch.GetTimestamp() > until)
            {
                // Announce the sleep with a full fence, then re-check: a publisher that sees the flag wakes us.
                Interlocked.Exchange(ref w.Sleeping, 1);
                if (Generation(Volatile.Read(ref _state)) == seen && !_disposed) w.Wake.Wait();
                else if (Interlocked.Exchange(ref w.Sleeping, 0) == 0) w.Wake.Wait(); // a publisher claimed the flag: take its signal
                until = Stopwatch.GetTimestamp() + SpinTicks;
                if (_disposed) return seen;
                continue;
            }
            Thread.SpinWait(20);
        }
        return gen;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Interlocked.Add(ref _state, 1L << 32);
        foreach (var w in _workers)
            if (Interlocked.Exchange(ref w.Sleeping, 0) == 1) w.Wake.Release();
    }
}
