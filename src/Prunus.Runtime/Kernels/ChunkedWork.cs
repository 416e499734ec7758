using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// Runs a range body over [0, length) on a <see cref="WorkerPool"/>: in one piece for small lengths, in one chunk per
/// thread beyond <see cref="ParallelThreshold"/> elements. Create once per kernel (at plan time) around a body bound to
/// the kernel's tensors; running it allocates nothing. Chunk bounds are multiples of 16 elements (a cache line).
/// </summary>
public sealed class ChunkedWork : IParallelWork
{
    /// <summary>Elements below which a memory-bound elementwise pass is not worth waking another thread.</summary>
    public const int ParallelThreshold = 1 << 16;

    private readonly Action<int, int> _body;
    private int _length;
    private int _chunks;

    /// <summary>Wraps <paramref name="body"/>(start, count).</summary>
    public ChunkedWork(Action<int, int> body) => _body = body;

    /// <summary>Calls the body over [0, length), split across <paramref name="pool"/> when large and <paramref name="parallel"/>.</summary>
    public void Run(WorkerPool pool, int length, bool parallel = true)
    {
        int chunks = parallel && length > ParallelThreshold ? Math.Min(pool.Threads, length / (ParallelThreshold / 2)) : 1;
        if (chunks <= 1)
        {
            _body(0, length);
            return;
        }
        _length = length;
        _chunks = chunks;
        pool.For(chunks, this);
    }

    /// <inheritdoc/>
    void IParallelWork.Run(int index)
    {
        int start = Bound(index), end = Bound(index + 1);
        if (end > start) _body(start, end - start);
    }

    private int Bound(int index) => index >= _chunks ? _length : (int)((long)_length * index / _chunks) & ~15;
}
