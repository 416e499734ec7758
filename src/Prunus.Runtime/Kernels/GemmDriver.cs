using System.Runtime.CompilerServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>The operands of one GEMM call as raw pointers (pinned by the caller for the call's duration).</summary>
internal unsafe struct GemmArgs
{
    public bool TransA, TransB;
    public int M, N, K;
    public float Alpha, Beta;
    public float* A, B, C;
    public nint Lda, Ldb, Ldc;
    /// <summary>Pre-packed op(B) in panels of the kernel's NR (then B and TransB are unused), or null.</summary>
    public float* Packed;
    public float* ColBias, RowBias;
    public bool Relu;

    /// <summary>The epilogue as a store descriptor for the tile at (row0, col0).</summary>
    public readonly GemmStore FinalStore(int row0, int col0, float beta) => new()
    {
        Alpha = Alpha,
        Beta = beta,
        ColBias = ColBias == null ? null : ColBias + col0,
        RowBias = RowBias == null ? null : RowBias + row0,
        Relu = Relu,
    };
}

/// <summary>
/// The blocked GEMM for one micro-kernel family: K cut into blocks of at most KC, M into blocks of at most MC, N into
/// column chunks; a task is one (M block, column chunk) pair and runs all K blocks in order, so that no element's sum is
/// ever split between threads. Every element gets the same sequence of operations whatever the partition (edge tiles
/// go through a scratch tile written by the same kernel), hence results are bit-identical for any thread count.
/// </summary>
internal sealed unsafe class GemmJob<TK> : IParallelWork where TK : struct, IMicroKernel
{
    /// <summary>
    /// Below this many flops (2 M N K) a GEMM runs on the calling thread. Measured on 2 shared cores: two threads lost
    /// at 1 MFLOP (64x100x80: 66 vs 57 GFLOP/s, best of runs) and won at 3.8 MFLOP (64x300x100: 63 vs 75).
    /// </summary>
    internal static double ParallelFlops = 2e6;

    /// <summary>Largest K block (tunable for measurements; defaults to the kernel's).</summary>
    internal static int KcMax = TK.KC;

    /// <summary>Largest M block (tunable for measurements; defaults to the kernel's).</summary>
    internal static int McMax = TK.MC;

    /// <summary>
    /// Row blocks at most this tall read B in place (no packing) when B is not transposed and its rows are at most
    /// <see cref="DirectBStride"/> apart (one row tile always does). Packing copies all of B once, which a short row block
    /// (a convolution at batch 1 with few output channels: 8-24 rows, 49-784 columns) does not win back; rows far apart
    /// (B much wider than the L1's pages cover) stream better packed. Measured on AVX2 with `gemm-gflops --set directb=`
    /// (2 threads): 16x784x144 88 -> 110 GFLOP/s, 8x784x108 36-43 -> 56-64; 20x36864x25 63-68 -> 35-50 unpacked.
    /// </summary>
    internal static int DirectBRows = Math.Max(TK.MR, 24);

    /// <summary>Widest row stride of B (floats) that a row block taller than one tile still reads in place.</summary>
    internal static int DirectBStride = 4096;

    /// <summary>Widest column chunk of a task (0: no limit), so that its C block can stay in L2 across K blocks.</summary>
    internal static int ChunkCols;

    /// <summary>Most floats of B packed at once for sharing between M blocks; wider B is done in column groups.</summary>
    internal static int SharedBFloats = 1 << 21;

    [ThreadStatic] private static GemmJob<TK>? t_cached;

    private GemmArgs _g;
    private int _kcStep, _mcStep, _chunkCols, _nChunks;
    private bool _directB;
    // Phase of a pool run: packing the shared B (index = panel group) or computing (index = task).
    private bool _packing;
    private int _packPanels;

    public static void Run(in GemmArgs g, WorkerPool? pool)
    {
        int mr = TK.MR, nr = TK.NR;
        int kBlocks = (g.K + KcMax - 1) / KcMax;
        int kcStep = (g.K + kBlocks - 1) / kBlocks;
        int mBlocks = (g.M + McMax - 1) / McMax;
        int mcStep = (g.M + mBlocks - 1) / mBlocks;
        mcStep = (mcStep + mr - 1) / mr * mr;
        mBlocks = (g.M + mcStep - 1) / mcStep;
        int threads = pool?.Threads ?? 1;
        if (2.0 * g.M * g.N * g.K < ParallelFlops) threads = 1;

        var job = t_cached ??= new GemmJob<TK>();
        job._kcStep = kcStep;
        job._mcStep = mcStep;
        job._directB = g.Packed == null && !g.TransB && (mcStep <= mr || mcStep <= DirectBRows && g.Ldb <= DirectBStride);
        // Several M blocks reuse each B panel: pack B once, shared by all tasks, rather than once per M block.
        if (mBlocks > 1 && g.Packed == null)
        {
            int groupCols = Math.Max(nr, SharedBFloats / Math.Max(1, g.K) / nr * nr);
            float* shared = GemmScratch.Get(1, (int)Math.Min((long)g.K * groupCols, (long)g.K * ((g.N + nr - 1) / nr * nr)));
            for (int j0 = 0; j0 < g.N; j0 += groupCols)
            {
                var sub = g;
                sub.N = Math.Min(groupCols, g.N - j0);
                sub.B = g.TransB ? g.B + j0 * g.Ldb : g.B + j0;
                sub.C = g.C + j0;
                if (sub.ColBias != null) sub.ColBias += j0;
                sub.Packed = shared;
                int panels = (sub.N + nr - 1) / nr;
                job._g = sub;
                job._packing = true;
                job._packPanels = Math.Max(1, (panels + 4 * threads - 1) / (4 * threads));
                job.Execute((panels + job._packPanels - 1) / job._packPanels, threads, pool);
                job._packing = false;
                job.Execute(job.Partition(mBlocks, threads), threads, pool);
            }
        }
        else
        {
            job._g = g;
            job.Execute(job.Partition(mBlocks, threads), threads, pool);
        }
        job._g = default;
    }

    /// <summary>Cuts N into column chunks for the current operands; returns the task count.</summary>
    private int Partition(int mBlocks, int threads)
    {
        int nr = TK.NR;
        int panels = (_g.N + nr - 1) / nr;
        // Tasks are about equal, so a task count that is a multiple of the thread count balances the load.
        int nChunks = threads == 1 ? 1 : threads / Gcd(mBlocks, threads);
        if (ChunkCols > 0) nChunks = Math.Max(nChunks, (panels * nr + ChunkCols - 1) / ChunkCols);
        nChunks = Math.Clamp(nChunks, 1, panels);
        int chunkPanels = (panels + nChunks - 1) / nChunks;
        _nChunks = (panels + chunkPanels - 1) / chunkPanels;
        _chunkCols = chunkPanels * nr;
        return mBlocks * _nChunks;
    }

    private void Execute(int tasks, int threads, WorkerPool? pool)
    {
        if (threads == 1 || tasks == 1)
            for (int t = 0; t < tasks; t++) Run(t);
        else
            pool!.For(tasks, this);
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>Packs panels [index * _packPanels, ...) of the shared B (full K each).</summary>
    private void PackShared(int index)
    {
        int nr = TK.NR;
        ref readonly GemmArgs g = ref _g;
        int first = index * _packPanels, end = Math.Min((g.N + nr - 1) / nr, first + _packPanels);
        for (int q = first; q < end; q++)
            GemmPack.PackBPanel(g.TransB, g.B, g.Ldb, 0, g.K, q * nr, Math.Min(nr, g.N - q * nr), nr, g.Packed + (nint)q * g.K * nr);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int task)
    {
        if (_packing)
        {
            PackShared(task);
            return;
        }
        int mr = TK.MR, nr = TK.NR;
        ref readonly GemmArgs g = ref _g;
        int i0 = task / _nChunks * _mcStep, mc = Math.Min(_mcStep, g.M - i0);
        int j0 = task % _nChunks * _chunkCols, j1 = Math.Min(g.N, j0 + _chunkCols);
        // 16 floats of slack: the vectorized A packing may spill a few floats past the last panel.
        int aFloats = (_mcStep * _kcStep + 16 + 15) & ~15;
        float* ap = GemmScratch.Get(0, aFloats + _kcStep * nr + mr * nr);
        float* bbuf = ap + aFloats;
        float* tile = bbuf + _kcStep * nr;
        var raw = new GemmStore { Alpha = 1 };

        for (int p0 = 0; p0 < g.K; p0 += _kcStep)
        {
            int kc = Math.Min(_kcStep, g.K - p0);
            bool last = p0 + kc >= g.K;
            // Later K blocks add to the partial sums already in C.
            float beta = p0 == 0 ? g.Beta : 1f;
            var st = new GemmStore { Alpha = g.Alpha, Beta = beta };
            GemmPack.PackA(g.TransA, g.A, g.Lda, i0, mc, p0, kc, mr, ap);
            for (int j = j0; j < j1; j += nr)
            {
                int cols = Math.Min(nr, j1 - j);
                float* bp;
                nint bs = nr;
                if (g.Packed != null) bp = g.Packed + (nint)(j / nr) * g.K * nr + (nint)p0 * nr;
                else if (_directB && cols == nr) { bp = g.B + (nint)p0 * g.Ldb + j; bs = g.Ldb; }
                else
                {
                    GemmPack.PackBPanel(g.TransB, g.B, g.Ldb, p0, kc, j, cols, nr, bbuf);
                    bp = bbuf;
                }
                for (int i = 0; i < mc; i += mr)
                {
                    int rows = Math.Min(mr, mc - i);
                    var tst = last ? g.FinalStore(i0 + i, j, beta) : st;
                    float* cp = g.C + (nint)(i0 + i) * g.Ldc + j;
                    if (cols == nr)
                    {
                        TK.Tile(rows, kc, ap + (nint)i * kc, bp, bs, cp, g.Ldc, tst);
                        continue;
                    }
                    TK.Tile(rows, kc, ap + (nint)i * kc, bp, bs, tile, nr, raw);
                    for (int r = 0; r < rows; r++)
                    {
                        float* cr = cp + r * g.Ldc;
                        for (int q = 0; q < cols; q++) cr[q] = tst.Finish(tile[r * nr + q], cr + q, r, q);
                    }
                }
            }
        }
    }
}
