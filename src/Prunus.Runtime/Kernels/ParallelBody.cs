using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A loop body for <see cref="WorkerPool.For"/>, created once per kernel so that running it allocates nothing. The body
/// reads its operands from fields of its owner, set before each run.
/// </summary>
internal sealed class ParallelBody(Action<int> body) : IParallelWork
{
    public void Run(int index) => body(index);

    /// <summary>
    /// Runs the body for [0, count): on the pool when there is enough work (about <paramref name="floats"/> elements
    /// touched in all) to pay for waking the workers, else inline on the caller.
    /// </summary>
    public void For(WorkerPool? pool, int count, long floats)
    {
        if (pool is null || pool.Threads == 1 || count == 1 || floats < 32 * 1024)
            for (int i = 0; i < count; i++) body(i);
        else
            pool.For(count, this);
    }
}

/// <summary>Float tensors as memory, so kernels can hand them to parallel loop bodies without copying.</summary>
public static class TensorMemoryExtensions
{
    /// <summary>The elements of a float tensor as writable memory.</summary>
    public static Memory<float> FloatMemory(this Tensor t) => new((float[])t.Storage, t.Offset, t.Length);

    /// <summary>The elements of a float tensor, or empty memory for an absent tensor.</summary>
    public static Memory<float> FloatMemoryOrEmpty(this Tensor? t) => t is null ? Memory<float>.Empty : t.FloatMemory();
}
