using Prunus.Threading;

namespace Prunus.Tests.Threading;

public class WorkerPoolTests
{
    private sealed class Counter(int n) : IParallelWork
    {
        public readonly int[] Hits = new int[n];
        public void Run(int index) => Interlocked.Increment(ref Hits[index]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Runs_every_index_exactly_once_across_many_quick_runs(int threads)
    {
        using var pool = new WorkerPool(threads);
        for (int run = 0; run < 2000; run++)
        {
            int n = run % 17 + 1;
            var c = new Counter(n);
            pool.For(n, c);
            Assert.All(c.Hits, h => Assert.Equal(1, h));
        }
    }

    [Fact]
    public void Wakes_sleeping_workers()
    {
        using var pool = new WorkerPool(2);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        for (int round = 0; round < 3; round++)
        {
            Thread.Sleep(30); // longer than the spin: the worker is asleep
            var work = new SlowWork(seen);
            pool.For(8, work);
            Assert.Equal(8, work.Count);
        }
    }

    private sealed class SlowWork(System.Collections.Concurrent.ConcurrentDictionary<int, bool> seen) : IParallelWork
    {
        public int Count;
        public void Run(int index)
        {
            seen[Environment.CurrentManagedThreadId] = true;
            Thread.Sleep(1);
            Interlocked.Increment(ref Count);
        }
    }

    private sealed class Throwing : IParallelWork
    {
        public void Run(int index)
        {
            if (index == 3) throw new InvalidOperationException("boom");
        }
    }

    [Fact]
    public void Propagates_a_failure_and_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.For(10, new Throwing()));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var c = new Counter(5);
        pool.For(5, c);
        Assert.All(c.Hits, h => Assert.Equal(1, h));
    }

    private sealed class Nested(WorkerPool pool) : IParallelWork
    {
        public readonly Counter Inner = new(16);
        public void Run(int index) => pool.For(4, new Slice(Inner, index));
    }

    private sealed class Slice(Counter inner, int outer) : IParallelWork
    {
        public void Run(int index) => inner.Run(outer * 4 + index);
    }

    [Fact]
    public void Nested_runs_execute_inline()
    {
        using var pool = new WorkerPool(2);
        var n = new Nested(pool);
        pool.For(4, n);
        Assert.All(n.Inner.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Disposing_a_single_thread_pool_is_harmless()
    {
        var pool = new WorkerPool(1);
        pool.Dispose();
        pool.Dispose();
    }
}
