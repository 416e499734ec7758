using System.Numerics;
using System.Runtime.InteropServices;
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
    private double[] _xt = [];

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

    /// <summary>
    /// Sums for rows of <paramref name="reduction"/> columns in <paramref name="groups"/> groups; <paramref name="transposed"/>
    /// is scratch for the Hessian (grown when too short; accumulators that never run at once may share it).
    /// </summary>
    public StatisticsAccumulator(int reduction, int groups, bool squares, bool hessian, WorkerPool pool, double[]? transposed = null)
    {
        _xt = transposed ?? [];
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
            // Transposed and padded to whole vectors: XT [R, n], each column's values over the block's rows contiguous.
            int n = (count + Vector<double>.Count - 1) / Vector<double>.Count * Vector<double>.Count;
            if (_xt.Length < r * n) _xt = new double[r * n];
            for (int j = 0; j < r; j++)
            {
                var dst = _xt.AsSpan(j * n, n);
                for (int t = 0; t < count; t++) dst[t] = block[t * r + j];
                dst[count..].Clear();
            }
            _work.H = h;
            _work.Offset = (long)group * r * r;
            _work.XT = _xt;
            _work.N = n;
            // Tile rows interleaved over the work items balance the triangle between threads.
            _work.Items = Math.Min(_work.TileRows, Math.Max(1, _pool.Threads * 4));
            _pool.For(_work.Items, _work);
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

    /// <summary>
    /// H[i, j] += dot(XT[i], XT[j]) over the upper triangle in 4 x 4 tiles (16 accumulators, 8 loads per 16 multiply-adds);
    /// work item k takes tile rows k, k + Items, ... Diagonal tiles also fill some lower entries, which
    /// <see cref="ToStatistics"/> overwrites from the upper ones.
    /// </summary>
    private sealed class HessianWork : IParallelWork
    {
        public double[] H = [], XT = [];
        public long Offset;
        public int R, N, Items;
        public int TileRows => (R + 3) / 4;

        public void Run(int index)
        {
            for (int ti = index; ti < TileRows; ti += Items)
                for (int tj = ti; tj < TileRows; tj++)
                {
                    int i0 = ti * 4, j0 = tj * 4;
                    if (i0 + 4 <= R && j0 + 4 <= R) Tile(i0, j0);
                    else Edge(i0, j0);
                }
        }

        private void Edge(int i0, int j0)
        {
            for (int i = i0; i < Math.Min(R, i0 + 4); i++)
                for (int j = j0; j < Math.Min(R, j0 + 4); j++)
                    H[Offset + (long)i * R + j] += DoubleVectors.Dot(XT.AsSpan(i * N, N), XT.AsSpan(j * N, N));
        }

        private void Tile(int i0, int j0)
        {
            var a0 = Rows(i0); var a1 = Rows(i0 + 1); var a2 = Rows(i0 + 2); var a3 = Rows(i0 + 3);
            var b0 = Rows(j0); var b1 = Rows(j0 + 1); var b2 = Rows(j0 + 2); var b3 = Rows(j0 + 3);
            Vector<double> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default,
                c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int k = 0; k < a0.Length; k++)
            {
                var y0 = b0[k]; var y1 = b1[k]; var y2 = b2[k]; var y3 = b3[k];
                var x = a0[k];
                c00 += x * y0; c01 += x * y1; c02 += x * y2; c03 += x * y3;
                x = a1[k];
                c10 += x * y0; c11 += x * y1; c12 += x * y2; c13 += x * y3;
                x = a2[k];
                c20 += x * y0; c21 += x * y1; c22 += x * y2; c23 += x * y3;
                x = a3[k];
                c30 += x * y0; c31 += x * y1; c32 += x * y2; c33 += x * y3;
            }
            Store(i0, j0, c00, c01, c02, c03);
            Store(i0 + 1, j0, c10, c11, c12, c13);
            Store(i0 + 2, j0, c20, c21, c22, c23);
            Store(i0 + 3, j0, c30, c31, c32, c33);
        }

        private ReadOnlySpan<Vector<double>> Rows(int i) => MemoryMarshal.Cast<double, Vector<double>>(XT.AsSpan(i * N, N));

        private void Store(int i, int j0, Vector<double> c0, Vector<double> c1, Vector<double> c2, Vector<double> c3)
        {
            long at = Offset + (long)i * R + j0;
            H[at] += Vector.Sum(c0);
            H[at + 1] += Vector.Sum(c1);
            H[at + 2] += Vector.Sum(c2);
            H[at + 3] += Vector.Sum(c3);
        }
    }
}
