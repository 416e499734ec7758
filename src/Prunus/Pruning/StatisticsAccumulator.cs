using Prunus.Threading;

namespace Prunus.Pruning;

/// <summary>
/// Sums over calibration rows for one layer: per reduction column the sum of x_j^2, and the upper triangle of X^T X,
/// each kept per conv group (group g at g*R and g*R*R). Rows arrive in blocks [count, R] of doubles.
/// </summary>
internal sealed class StatisticsAccumulator
{
    private readonly WorkerPool _pool;
    private readonly HessianWork _work;

    /// <summary>Columns of one group's rows.</summary>
    public int Reduction { get; }
    /// <summary>Conv groups, each with its own statistics.</summary>
    public int Groups { get; }
    /// <summary>Rows seen (each group sees the same rows).</summary>
    public long Rows { get; private set; }
    /// <summary>Per group and column: sum of x^2, or null when not collected.</summary>
    public double[]? Squares { get; }
    /// <summary>Per group: the upper triangle of X^T X (row-major R x R; lower half filled by <see cref="ToStatistics"/>).</summary>
    public double[]? Hessian { get; }

    public StatisticsAccumulator(int reduction, int groups, bool squares, bool hessian, WorkerPool pool)
    {
        Reduction = reduction;
        Groups = groups;
        _pool = pool;
        if (squares) Squares = new double[(long)groups * reduction];
        if (hessian) Hessian = new double[checked((long)groups * reduction * reduction)];
        _work = new HessianWork { R = reduction };
    }

    /// <summary>Adds <paramref name="count"/> rows of <paramref name="block"/> (row-major [count, R]) to group <paramref name="group"/>.</summary>
    public void Add(int group, double[] block, int count)
    {
        int r = Reduction;
        if (group == 0) Rows += count;
        if (Squares is { } sq)
        {
            var s = sq.AsSpan(group * r, r);
            for (int row = 0; row < count; row++)
            {
                var x = block.AsSpan(row * r, r);
                for (int j = 0; j < r; j++) s[j] += x[j] * x[j];
            }
        }
        if (Hessian is { } h && count > 0)
        {
            _work.H = h;
            _work.Offset = (long)group * r * r;
            _work.Block = block;
            _work.Count = count;
            // Interleaved rows balance the triangle's work between threads.
            _work.Stride = Math.Min(r, Math.Max(1, _pool.Threads * 8));
            _pool.For(_work.Stride, _work);
            _work.Block = [];
        }
    }

    /// <summary>The sums as a <see cref="LayerStatistics"/> (the Hessian made symmetric).</summary>
    public LayerStatistics ToStatistics()
    {
        if (Hessian is { } h)
        {
            int r = Reduction;
            for (int g = 0; g < Groups; g++)
            {
                long o = (long)g * r * r;
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < i; j++) h[o + (long)i * r + j] = h[o + (long)j * r + i];
            }
        }
        return new LayerStatistics { Rows = Rows, InputSquaredSums = Squares, Hessian = Hessian };
    }

    /// <summary>H[i, i..R) += sum over the block's rows of x_i * x[i..R), for rows i = index, index + stride, ...</summary>
    private sealed class HessianWork : IParallelWork
    {
        public double[] H = [];
        public double[] Block = [];
        public long Offset;
        public int R, Count, Stride;

        public void Run(int index)
        {
            for (int i = index; i < R; i += Stride)
            {
                var target = new Span<double>(H, (int)(Offset + (long)i * R + i), R - i);
                for (int row = 0; row < Count; row++)
                {
                    double xi = Block[row * R + i];
                    if (xi == 0) continue; // ReLU outputs and padding are often zero
                    DoubleVectors.Axpy(target, xi, new ReadOnlySpan<double>(Block, row * R + i, R - i));
                }
            }
        }
    }
}
