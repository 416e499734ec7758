using System.Runtime.CompilerServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// The operands of one integer product C[M, N] = A[M, K] B[K, N] in words (see <see cref="QPack"/>): A either packed
/// (constant weights, MR-row panels) or a word matrix [M, groups] read in place; B either packed (NR-column panels)
/// or a word matrix [groups, N] read in place or packed per panel. Columns of C come in segments: column j lies in
/// segment s = j / SegCols, whose first SegValid columns are real and live at C + s * SegStride (elements); a
/// convolution's chunk of images is one segment per image, each padded to whole panels.
/// </summary>
internal unsafe struct QGemmArgs
{
    public int M, N, Groups;
    public int* A;
    public nint Lda;
    public int* PackedA;
    public int* B;
    public nint Ldb;
    public int* PackedB;
    public QStore Store;
    public int SegCols, SegValid;
    public nint SegStride;

    /// <summary>A single segment: C[M, N] with the store's own row stride.</summary>
    public void OneSegment()
    {
        SegCols = int.MaxValue;
        SegValid = N;
        SegStride = 0;
    }
}

/// <summary>
/// Integer GEMM entry points and the scalar reference. The product is exact: operands are widened (or dotted in
/// fours by VNNI) into int32 sums with no saturation anywhere, so every family gives the reference's integers, and the
/// fused output stage (<see cref="QuantizedOutput"/>) then gives the reference's bytes or floats bit for bit.
/// </summary>
internal static unsafe class QGemm
{
    /// <summary>Runs one product on the family <paramref name="isa"/> (which the operands were packed for).</summary>
    public static void Run(QIsa isa, in QGemmArgs g, WorkerPool? pool)
    {
        if (g.M <= 0 || g.N <= 0) return;
        switch (isa)
        {
            case QIsa.Vector256: QGemmJob<QKernel256>.Run(g, pool); break;
            case QIsa.Vector128: QGemmJob<QKernel128>.Run(g, pool); break;
            case QIsa.Split256:
                if (g.PackedA != null) QGemmJob<QKernelSplit<UnsignedB>>.Run(g, pool);
                else QGemmJob<QKernelSplit<UnsignedA>>.Run(g, pool);
                break;
            case QIsa.Vnni256:
                if (g.PackedA != null) QGemmJob<QKernelVnni<VnniDot, UnsignedB>>.Run(g, pool);
                else QGemmJob<QKernelVnni<VnniDot, UnsignedA>>.Run(g, pool);
                break;
            default:
                if (g.PackedA != null) QGemmJob<QKernelVnni<EmulatedDot, UnsignedB>>.Run(g, pool);
                else QGemmJob<QKernelVnni<EmulatedDot, UnsignedA>>.Run(g, pool);
                break;
        }
    }

    /// <summary>
    /// The exact int32 sums Σ_k (a[i, k] - za[i]) (b[k, j] - zb[j]) with a [M, K] row-major and b [K, N] row-major (or
    /// [N, K] when <paramref name="transB"/>), in plain loops.
    /// </summary>
    public static int[] Reference(int m, int n, int k, QBytes a, int lda, QBytes b, int ldb, bool transB)
    {
        var c = new int[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int s = 0;
                int za = a.ZeroOf(i), zb = b.ZeroOf(j);
                for (int p = 0; p < k; p++)
                    s = unchecked(s + (a.Value(i * lda + p) - za) * (b.Value(transB ? j * ldb + p : p * ldb + j) - zb));
                c[i * n + j] = s;
            }
        return c;
    }
}

/// <summary>
/// The blocked integer GEMM for one micro-kernel family, the integer twin of <see cref="GemmJob{TK}"/>: M cut into
/// blocks, N into column chunks, a task is one (M block, column chunk) pair over all of K (sums are never split, so
/// the result is the same for any thread count). K is not blocked: C holds final 8-bit values, not partial sums, and
/// the words of a panel (K/2 or K/4 of them) stay in cache for the layer sizes quantized models have.
/// </summary>
internal sealed unsafe class QGemmJob<TK> : IParallelWork where TK : struct, IQMicroKernel
{
    /// <summary>Below this many multiply-adds (M N K) a product runs on the calling thread.</summary>
    internal static double ParallelMacs = 1 << 19;

    /// <summary>Words of A per M block at most: an MC x groups block of about 128 KB stays in L2.</summary>
    internal static int ABlockWords = 1 << 15;

    [ThreadStatic] private static QGemmJob<TK>? t_cached;

    private QGemmArgs _g;
    private int _mcStep, _chunkCols, _nChunks;
    private bool _directB;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(in QGemmArgs g, WorkerPool? pool)
    {
        int mr = TK.MR, nr = TK.NR;
        int mcStep = g.PackedA != null ? g.M : Math.Max(mr, ABlockWords / Math.Max(1, g.Groups));
        mcStep = Math.Min(mcStep, 144);
        int mBlocks = (g.M + mcStep - 1) / mcStep;
        mcStep = (g.M + mBlocks - 1) / mBlocks;
        mcStep = (mcStep + mr - 1) / mr * mr;
        mBlocks = (g.M + mcStep - 1) / mcStep;
        int threads = pool?.Threads ?? 1;
        if ((double)g.M * g.N * Math.Max(1, g.Groups) * 2 < ParallelMacs) threads = 1;

        var job = t_cached ??= new QGemmJob<TK>();
        job._g = g;
        job._mcStep = mcStep;
        job._directB = g.PackedB == null && mcStep <= mr;
        int panels = (g.N + nr - 1) / nr;
        int nChunks = threads == 1 ? 1 : 2 * threads / Gcd(mBlocks, 2 * threads);
        nChunks = Math.Clamp(nChunks, 1, panels);
        int chunkPanels = (panels + nChunks - 1) / nChunks;
        job._nChunks = (panels + chunkPanels - 1) / chunkPanels;
        job._chunkCols = chunkPanels * nr;
        int tasks = mBlocks * job._nChunks;
        if (threads == 1 || tasks == 1)
            for (int t = 0; t < tasks; t++) job.Run(t);
        else
            pool!.For(tasks, job);
        job._g = default;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int task)
    {
        int mr = TK.MR, nr = TK.NR;
        ref readonly QGemmArgs g = ref _g;
        int groups = g.Groups;
        int i0 = task / _nChunks * _mcStep, mc = Math.Min(_mcStep, g.M - i0);
        int j0 = task % _nChunks * _chunkCols, j1 = Math.Min(g.N, j0 + _chunkCols);
        int* scratch = (int*)GemmScratch.Get(0, groups * nr * TK.BWords + mr * nr + 32);
        int* bbuf = scratch;
        int* tile = bbuf + groups * nr * TK.BWords;
        // A packed (constant weights): MR-row panels. A word matrix (activations) is read in place, row by row: the
        // kernels broadcast one word per row and step, so packing it would only copy it.
        nint ars = g.PackedA != null ? 1 : g.Lda;
        nint aqs = g.PackedA != null ? mr * TK.AWords : 1;
        int* ap = g.PackedA != null ? g.PackedA + (nint)i0 * groups * TK.AWords : g.A + (nint)i0 * g.Lda;
        nint aPanel = g.PackedA != null ? (nint)groups * TK.AWords : g.Lda;

        for (int j = j0; j < j1; j += nr)
        {
            int seg = j / g.SegCols, jj = j - seg * g.SegCols;
            int cols = Math.Min(Math.Min(nr, g.SegValid - jj), g.N - j);
            if (cols <= 0) continue;
            int* bp;
            nint bs = nr;
            if (g.PackedB != null)
            {
                bp = g.PackedB + (nint)(j / nr) * groups * nr * TK.BWords;
                bs = nr * TK.BWords;
            }
            else if (_directB && j + nr <= g.N) { bp = g.B + j; bs = g.Ldb; }
            else
            {
                GemmPack.PackBPanel(false, (float*)g.B, g.Ldb, 0, groups, j, Math.Min(nr, g.N - j), nr, (float*)bbuf);
                bp = bbuf;
            }
            var st = g.Store;
            st.C += seg * g.SegStride * (st.Bytes ? 1 : 4);
            for (int i = 0; i < mc; i += mr)
            {
                int rows = Math.Min(mr, mc - i);
                QTiles.Tile<TK>(rows, groups, ap + i * aPanel, ars, aqs, bp, bs, tile);
                st.FinishTile(tile, nr, rows, i0 + i, jj, cols);
            }
        }
    }
}
