using System.Numerics;
using System.Runtime.CompilerServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// The M = 1 case (batch-1 inference): y[N] = alpha * x[K] * op(B) + beta * y, memory-bound, so B is streamed exactly
/// once and nothing is packed. Each output column is one sequential multiply-add chain over k (or one fixed-order dot
/// product for transposed B), so the result does not depend on how columns are split between threads.
/// </summary>
internal sealed unsafe class GemmGemv : IParallelWork
{
    /// <summary>Below this many multiply-adds (K N) the product runs on the calling thread.</summary>
    internal static long ParallelMacs = 1 << 17;

    [ThreadStatic] private static GemmGemv? t_cached;

    private GemmArgs _g;
    private float* _x;
    private int _nr, _chunk, _width;

    private static int W => Vector<float>.Count;

    /// <summary>Runs y = C row 0; <paramref name="nr"/> is the panel width when <see cref="GemmArgs.Packed"/> is set.</summary>
    public static void Run(in GemmArgs g, int nr, WorkerPool? pool)
    {
        var job = t_cached ??= new GemmGemv();
        job._g = g;
        job._nr = nr;
        // op(A) row 0 must be contiguous; a transposed A holds it as a column.
        job._x = g.A;
        if (g.TransA && g.Lda != 1)
        {
            float* x = GemmScratch.Get(1, g.K);
            for (int p = 0; p < g.K; p++) x[p] = g.A[p * g.Lda];
            job._x = x;
        }
        // Columns go to threads in groups of whole blocks, so every column is computed by the same code path.
        job._width = g.TransB && g.Packed == null ? 4 : 8 * W;
        int groups = (g.N + job._width - 1) / job._width;
        int threads = pool?.Threads ?? 1;
        if ((long)g.K * g.N < ParallelMacs) threads = 1;
        int tasks = Math.Min(threads, groups);
        job._chunk = (groups + tasks - 1) / tasks * job._width;
        tasks = (g.N + job._chunk - 1) / job._chunk;
        if (tasks <= 1) job.Run(0);
        else pool!.For(tasks, job);
        job._g = default;
    }

    public void Run(int task)
    {
        int j0 = task * _chunk, j1 = Math.Min(_g.N, j0 + _chunk);
        if (_g.Packed != null) Packed(j0, j1);
        else if (_g.TransB) Dots(j0, j1);
        else Rows(j0, j1);
    }

    private void Finish(int j, float acc)
    {
        var st = _g.FinalStore(0, 0, _g.Beta);
        _g.C[j] = st.Finish(acc, _g.C + j, 0, j);
    }

    private void FinishVector(int j, int limit, Vector<float> acc)
    {
        for (int l = 0; l < W && j + l < limit; l++) Finish(j + l, acc[l]);
    }

    /// <summary>Columns of one streaming pass: their sums (4 KB) stay in L1 while B's rows stream through.</summary>
    private const int StreamCols = 1024;

    /// <summary>
    /// Columns [j0, j1) of B stored [K, N]: B is read row by row, sequentially, adding x[p] * B[p, :] into sums kept in
    /// scratch; each column is still one multiply-add chain over p in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rows(int j0, int j1)
    {
        float* x = _x;
        nint ldb = _g.Ldb;
        int k = _g.K, w = W;
        float* acc = GemmScratch.Get(0, StreamCols);
        for (int c0 = j0; c0 < j1; c0 += StreamCols)
        {
            int cols = Math.Min(StreamCols, j1 - c0);
            int vecCols = cols - cols % w;
            new Span<float>(acc, cols).Clear();
            float* row = _g.B + c0;
            for (int p = 0; p < k; p++, row += ldb)
            {
                var xp = new Vector<float>(x[p]);
                int v = 0;
                for (; v + 4 * w <= vecCols; v += 4 * w)
                {
                    Vector.MultiplyAddEstimate(xp, Vector.Load(row + v), Vector.Load(acc + v)).Store(acc + v);
                    Vector.MultiplyAddEstimate(xp, Vector.Load(row + v + w), Vector.Load(acc + v + w)).Store(acc + v + w);
                    Vector.MultiplyAddEstimate(xp, Vector.Load(row + v + 2 * w), Vector.Load(acc + v + 2 * w)).Store(acc + v + 2 * w);
                    Vector.MultiplyAddEstimate(xp, Vector.Load(row + v + 3 * w), Vector.Load(acc + v + 3 * w)).Store(acc + v + 3 * w);
                }
                for (; v < vecCols; v += w)
                    Vector.MultiplyAddEstimate(xp, Vector.Load(row + v), Vector.Load(acc + v)).Store(acc + v);
                for (; v < cols; v++) acc[v] = float.MultiplyAddEstimate(x[p], row[v], acc[v]);
            }
            for (int j = 0; j < cols; j++) Finish(c0 + j, acc[j]);
        }
    }

    /// <summary>Columns [j0, j1) from pre-packed panels: eight vector slots (of one or more panels) at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Packed(int j0, int j1)
    {
        float* x = _x;
        int k = _g.K, w = W, nr = _nr, j = j0;
        // Panels are zero-padded to a multiple of nr columns, so whole vectors may be read up to there.
        int end = j1 == _g.N ? (j1 + nr - 1) / nr * nr : j1;
        float* Slot(int col) => _g.Packed + (nint)(col / nr) * k * nr + col % nr;
        for (; j + 8 * w <= end; j += 8 * w)
        {
            float* b0 = Slot(j), b1 = Slot(j + w), b2 = Slot(j + 2 * w), b3 = Slot(j + 3 * w);
            float* b4 = Slot(j + 4 * w), b5 = Slot(j + 5 * w), b6 = Slot(j + 6 * w), b7 = Slot(j + 7 * w);
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            for (nint p = 0, o = 0; p < k; p++, o += nr)
            {
                var xp = new Vector<float>(x[p]);
                s0 = Vector.MultiplyAddEstimate(xp, Vector.Load(b0 + o), s0);
                s1 = Vector.MultiplyAddEstimate(xp, Vector.Load(b1 + o), s1);
                s2 = Vector.MultiplyAddEstimate(xp, Vector.Load(b2 + o), s2);
                s3 = Vector.MultiplyAddEstimate(xp, Vector.Load(b3 + o), s3);
                s4 = Vector.MultiplyAddEstimate(xp, Vector.Load(b4 + o), s4);
                s5 = Vector.MultiplyAddEstimate(xp, Vector.Load(b5 + o), s5);
                s6 = Vector.MultiplyAddEstimate(xp, Vector.Load(b6 + o), s6);
                s7 = Vector.MultiplyAddEstimate(xp, Vector.Load(b7 + o), s7);
            }
            FinishVector(j, j1, s0); FinishVector(j + w, j1, s1); FinishVector(j + 2 * w, j1, s2); FinishVector(j + 3 * w, j1, s3);
            FinishVector(j + 4 * w, j1, s4); FinishVector(j + 5 * w, j1, s5); FinishVector(j + 6 * w, j1, s6); FinishVector(j + 7 * w, j1, s7);
        }
        for (; j < j1; j += w)
        {
            float* b = Slot(j);
            Vector<float> s = default;
            for (nint p = 0, o = 0; p < k; p++, o += nr) s = Vector.MultiplyAddEstimate(new Vector<float>(x[p]), Vector.Load(b + o), s);
            FinishVector(j, j1, s);
        }
    }

    /// <summary>Columns [j0, j1) of B stored [N, K]: dot products, four rows of B sharing each load of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Dots(int j0, int j1)
    {
        int j = j0;
        for (; j + 4 <= j1; j += 4)
        {
            float* r0 = _g.B + (nint)j * _g.Ldb, r1 = r0 + _g.Ldb, r2 = r1 + _g.Ldb, r3 = r2 + _g.Ldb;
            Vector<float> s0 = default, s1 = default, s2 = default, s3 = default;
            int k = _g.K, w = W, p = 0;
            for (; p + w <= k; p += w)
            {
                var xv = Vector.Load(_x + p);
                s0 = Vector.MultiplyAddEstimate(xv, Vector.Load(r0 + p), s0);
                s1 = Vector.MultiplyAddEstimate(xv, Vector.Load(r1 + p), s1);
                s2 = Vector.MultiplyAddEstimate(xv, Vector.Load(r2 + p), s2);
                s3 = Vector.MultiplyAddEstimate(xv, Vector.Load(r3 + p), s3);
            }
            Finish(j, Tail(Vector.Sum(s0), r0, p));
            Finish(j + 1, Tail(Vector.Sum(s1), r1, p));
            Finish(j + 2, Tail(Vector.Sum(s2), r2, p));
            Finish(j + 3, Tail(Vector.Sum(s3), r3, p));
        }
        for (; j < j1; j++)
        {
            float* r = _g.B + (nint)j * _g.Ldb;
            Vector<float> s = default;
            int k = _g.K, w = W, p = 0;
            for (; p + w <= k; p += w) s = Vector.MultiplyAddEstimate(Vector.Load(_x + p), Vector.Load(r + p), s);
            Finish(j, Tail(Vector.Sum(s), r, p));
        }
    }

    private float Tail(float s, float* row, int p)
    {
        for (; p < _g.K; p++) s = float.MultiplyAddEstimate(_x[p], row[p], s);
        return s;
    }
}
