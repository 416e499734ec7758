using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// The batch-1 integer product y[N] = x[K] W[K, N], memory-bound: the weights are streamed once, as stored bytes.
/// Pairs families keep them int8/uint8 as they came, in panels of 16 columns (for each word step, 16 columns x 2
/// bytes) and widen them on the fly; the activation row is widened once (value minus zero point), and a weight zero
/// point, when not 0, is corrected for in the output stage (t -= z_w Σ x'). The VNNI family streams its ordinary
/// B panels (signed bytes, four k per word) against the unsigned activation quads.
/// </summary>
internal sealed unsafe class QGemv : IParallelWork
{
    /// <summary>Columns per panel.</summary>
    public const int Panel = 16;

    /// <summary>Below this many multiply-adds (K N) the product runs on the calling thread.</summary>
    internal static long ParallelMacs = 1 << 17;

    [ThreadStatic] private static QGemv? t_cached;

    private QIsa _isa;
    private int* _x;
    private byte* _w;
    private int _groups, _n, _panelsPerTask;
    private bool _signed;
    private QStore _st;

    /// <summary>
    /// The pairs families' weight layout: op(W)[K, N] (stored [K, N], or [N, K] when <paramref name="transposed"/>) as
    /// bytes [panel][word][16 columns][2], unchanged values, zero padding.
    /// </summary>
    public static byte[] PackBytes(int k, int n, ReadOnlySpan<byte> w, int ldw, bool transposed)
    {
        int groups = (k + 1) / 2, panels = (n + Panel - 1) / Panel;
        var packed = GC.AllocateArray<byte>(panels * groups * Panel * 2 + 64, pinned: true);
        for (int j = 0; j < n; j++)
            for (int t = 0; t < k; t++)
                packed[((j / Panel * groups + t / 2) * Panel + j % Panel) * 2 + t % 2] = w[transposed ? j * ldw + t : t * ldw + j];
        return packed;
    }

    /// <summary>
    /// y row 0 through <paramref name="st"/>: <paramref name="x"/> is the activation row in words of
    /// <paramref name="isa"/>'s encoding (groups words), <paramref name="w"/> the weights in this class's layout (pairs
    /// families; <paramref name="signedWeights"/> says how to widen them) or the VNNI B panels.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(QIsa isa, int* x, int groups, byte* w, bool signedWeights, int n, in QStore st, WorkerPool? pool)
    {
        if (n <= 0) return;
        var job = t_cached ??= new QGemv();
        job._isa = isa;
        job._signed = signedWeights;
        job._x = x;
        job._w = w;
        job._groups = groups;
        job._n = n;
        job._st = st;
        int panels = (n + Panel - 1) / Panel;
        int threads = pool?.Threads ?? 1;
        if ((long)groups * 2 * n < ParallelMacs) threads = 1;
        // Blocks of four panels (64 columns) per kernel call; several parts per thread so that a descheduled thread holds up less.
        int blocks = (panels + 3) / 4;
        int tasks = Math.Min(blocks, threads == 1 ? 1 : 2 * threads);
        job._panelsPerTask = (blocks + tasks - 1) / tasks * 4;
        tasks = (panels + job._panelsPerTask - 1) / job._panelsPerTask;
        if (tasks <= 1) job.Run(0);
        else pool!.For(tasks, job);
        job._x = null;
        job._w = null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int task)
    {
        int p0 = task * _panelsPerTask, p1 = Math.Min((_n + Panel - 1) / Panel, p0 + _panelsPerTask);
        bool signed = _signed;
        for (int p = p0; p < p1; p++)
        {
            switch (_isa)
            {
                case QIsa.Vector256: if (signed) Pairs256<Signed>(p); else Pairs256<Unsigned>(p); break;
                case QIsa.Vector128: if (signed) Pairs128<Signed>(p); else Pairs128<Unsigned>(p); break;
                case QIsa.Vnni256: Quads<VnniDot>(p); break;
                default: Quads<EmulatedDot>(p); break;
            }
        }
    }

    private interface ISign { static abstract bool Value { get; } }
    private struct Signed : ISign { public static bool Value => true; }
    private struct Unsigned : ISign { public static bool Value => false; }

    /// <summary>Writes the 16 columns of panel p from its sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Finish(int p, int* sums)
    {
        int col = p * Panel, cols = Math.Min(Panel, _n - col);
        _st.FinishRow(sums, 0, col, cols);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pairs256<TS>(int p) where TS : struct, ISign
    {
        byte* w = _w + (nint)p * _groups * Panel * 2;
        int* x = _x;
        Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default;
        int g = 0;
        // Two word steps per iteration into separate accumulators, to overlap the widening loads.
        for (; g + 2 <= _groups; g += 2, w += 4 * Panel)
        {
            var x0 = Vector256.Create(x[g]);
            var x1 = Vector256.Create(x[g + 1]);
            a0 = QVector256.Madd(a0, x0, Widen<TS>(w));
            a1 = QVector256.Madd(a1, x0, Widen<TS>(w + 16));
            b0 = QVector256.Madd(b0, x1, Widen<TS>(w + 32));
            b1 = QVector256.Madd(b1, x1, Widen<TS>(w + 48));
        }
        if (g < _groups)
        {
            var x0 = Vector256.Create(x[g]);
            a0 = QVector256.Madd(a0, x0, Widen<TS>(w));
            a1 = QVector256.Madd(a1, x0, Widen<TS>(w + 16));
        }
        int* sums = stackalloc int[Panel];
        Avx.Store(sums, Avx2.Add(a0, b0));
        Avx.Store(sums + 8, Avx2.Add(a1, b1));
        Finish(p, sums);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Widen<TS>(byte* p) where TS : struct, ISign =>
        (TS.Value ? Avx2.ConvertToVector256Int16((sbyte*)p) : Avx2.ConvertToVector256Int16(p)).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pairs128<TS>(int p) where TS : struct, ISign
    {
        byte* w = _w + (nint)p * _groups * Panel * 2;
        int* x = _x;
        Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int g = 0; g < _groups; g++, w += 2 * Panel)
        {
            var xv = Vector128.Create(x[g]);
            a0 = QVector128.Madd(a0, xv, Widen128<TS>(w));
            a1 = QVector128.Madd(a1, xv, Widen128<TS>(w + 8));
            a2 = QVector128.Madd(a2, xv, Widen128<TS>(w + 16));
            a3 = QVector128.Madd(a3, xv, Widen128<TS>(w + 24));
        }
        int* sums = stackalloc int[Panel];
        a0.Store(sums);
        a1.Store(sums + 4);
        a2.Store(sums + 8);
        a3.Store(sums + 12);
        Finish(p, sums);
    }

    /// <summary>Eight bytes widened to eight int16 (four pair words).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Widen128<TS>(byte* p) where TS : struct, ISign
    {
        if (Sse41.IsSupported) return (TS.Value ? Sse41.ConvertToVector128Int16((sbyte*)p) : Sse41.ConvertToVector128Int16(p)).AsInt32();
        var v = Vector128.Create(*(ulong*)p, 0UL).AsByte();
        return (TS.Value ? Vector128.WidenLower(v.AsSByte()) : Vector128.WidenLower(v).AsInt16()).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Quads<TDot>(int p) where TDot : struct, IDot4
    {
        int* w = (int*)_w + (nint)p * _groups * Panel;
        int* x = _x;
        Vector256<int> a0 = default, a1 = default, b0 = default, b1 = default;
        int g = 0;
        for (; g + 2 <= _groups; g += 2, w += 2 * Panel)
        {
            var x0 = Vector256.Create(x[g]).AsByte();
            var x1 = Vector256.Create(x[g + 1]).AsByte();
            a0 = TDot.Dot(a0, x0, Avx.LoadVector256(w).AsSByte());
            a1 = TDot.Dot(a1, x0, Avx.LoadVector256(w + 8).AsSByte());
            b0 = TDot.Dot(b0, x1, Avx.LoadVector256(w + 16).AsSByte());
            b1 = TDot.Dot(b1, x1, Avx.LoadVector256(w + 24).AsSByte());
        }
        if (g < _groups)
        {
            var x0 = Vector256.Create(x[g]).AsByte();
            a0 = TDot.Dot(a0, x0, Avx.LoadVector256(w).AsSByte());
            a1 = TDot.Dot(a1, x0, Avx.LoadVector256(w + 8).AsSByte());
        }
        int* sums = stackalloc int[Panel];
        Avx.Store(sums, Avx2.Add(a0, b0));
        Avx.Store(sums + 8, Avx2.Add(a1, b1));
        Finish(p, sums);
    }
}
