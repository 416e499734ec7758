namespace Prunus.Threading;

/// <summary>A unit of parallel work: <see cref="Run"/> is called once for each index in [0, count).</summary>
public interface IParallelWork
{
    /// <summary>Does the work of one index. Different indices must write disjoint memory.</summary>
    void Run(int index);
}

/// <summary>
/// A small fixed pool of worker threads for kernels. The calling thread takes part, so a pool of N threads starts N-1
/// workers. Workers spin briefly before sleeping because kernel calls come in quick succession and waking a sleeping
/// thread costs more than a small kernel. Results never depend on which thread ran an index.
/// </summary>
public sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim _wake;
    private IParallelWork? _work;
    private int _count;
    private int _next;
    private int _pending;
    private volatile int _generation;
    private volatile bool _disposed;
    private Exception? _error;
    private readonly object _runLock = new();

    /// <summary>Number of threads that execute work, including the caller.</summary>
    public int Threads { get; }

    /// <summary>A pool with <paramref name="threads"/> threads in all (at least 1).</summary>
    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "thread count must be at least 1");
        Threads = threads;
        _wake = new SemaphoreSlim(0);
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"prunus-worker-{i + 1}" };
            _workers[i].Start();
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

    /// <summary>Runs <paramref name="work"/> for every index in [0, count) and returns when all are done.</summary>
    public void For(int count, IParallelWork work)
    {
        if (count <= 0) return;
        if (count == 1 || Threads == 1)
        {
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        lock (_runLock)
        {
            _work = work;
            _count = count;
            _error = null;
            Volatile.Write(ref _next, 0);
            int helpers = Math.Min(_workers.Length, count - 1);
            Volatile.Write(ref _pending, helpers);
            _generation++;
            _wake.Release(helpers);
            Drain();
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) > 0) spin.SpinOnce(-1);
            _work = null;
            if (_error is { } e) throw new AggregateException("a parallel kernel failed", e);
        }
    }

    private void Drain()
    {
        var work = _work!;
        int i;
        while ((i = Interlocked.Increment(ref _next) - 1) < _count)
        {
            try { work.Run(i); }
            catch (Exception e) { _error ??= e; }
        }
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _wake.Wait();
            if (_disposed) return;
            Drain();
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Release(_workers.Length);
    }
}
