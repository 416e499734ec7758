using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// 6 x 8 micro-kernel on 4-float vectors (SSE, NEON): the fallback when 8-float vectors are not accelerated. Same register
/// plan as the 256-bit kernel: 12 accumulators, 2 B loads, 1 broadcast.
/// </summary>
internal unsafe struct GemmKernel128 : IMicroKernel
{
    public static int MR => 6;
    public static int NR => 8;
    public static int KC => 256;
    public static int MC => 144;
    public static GemmIsa Isa => GemmIsa.Vector128;

    public static void Tile(int rows, int kc, float* a, float* b, nint bs, float* c, nint ldc, in GemmStore st)
    {
        switch (rows)
        {
            case 6: Run<R6>(kc, a, b, bs, c, ldc, st); break;
            case 5: Run<R5>(kc, a, b, bs, c, ldc, st); break;
            case 4: Run<R4>(kc, a, b, bs, c, ldc, st); break;
            case 3: Run<R3>(kc, a, b, bs, c, ldc, st); break;
            case 2: Run<R2>(kc, a, b, bs, c, ldc, st); break;
            default: Run<R1>(kc, a, b, bs, c, ldc, st); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma(Vector128<float> x, Vector128<float> y, Vector128<float> acc) =>
        Vector128.MultiplyAddEstimate(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TR>(int kc, float* a, float* b, nint bs, float* c, nint ldc, in GemmStore st) where TR : struct, IRows
    {
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        // Start fetching the C tile now: its lines (likely in L2/L3 after the previous K block) arrive during the loop.
        if (Sse.IsSupported)
            for (int r = 0; r < TR.Value; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + 7);
            }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var x = Vector128.Create(a[0]);
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            if (TR.Value > 1) { x = Vector128.Create(a[1]); c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11); }
            if (TR.Value > 2) { x = Vector128.Create(a[2]); c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21); }
            if (TR.Value > 3) { x = Vector128.Create(a[3]); c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31); }
            if (TR.Value > 4) { x = Vector128.Create(a[4]); c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41); }
            if (TR.Value > 5) { x = Vector128.Create(a[5]); c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51); }
            a += 6;
            b += bs;
        }
        Store(c, c00, c01, st, 0);
        if (TR.Value > 1) Store(c + ldc, c10, c11, st, 1);
        if (TR.Value > 2) Store(c + 2 * ldc, c20, c21, st, 2);
        if (TR.Value > 3) Store(c + 3 * ldc, c30, c31, st, 3);
        if (TR.Value > 4) Store(c + 4 * ldc, c40, c41, st, 4);
        if (TR.Value > 5) Store(c + 5 * ldc, c50, c51, st, 5);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector128<float> v0, Vector128<float> v1, in GemmStore st, int row)
    {
        var alpha = Vector128.Create(st.Alpha);
        v0 *= alpha;
        v1 *= alpha;
        if (st.Beta != 0)
        {
            var beta = Vector128.Create(st.Beta);
            v0 += beta * Vector128.Load(c);
            v1 += beta * Vector128.Load(c + 4);
        }
        if (st.ColBias != null)
        {
            v0 += Vector128.Load(st.ColBias);
            v1 += Vector128.Load(st.ColBias + 4);
        }
        if (st.RowBias != null)
        {
            var r = Vector128.Create(st.RowBias[row]);
            v0 += r;
            v1 += r;
        }
        if (st.Relu)
        {
            v0 = GemmVec.Relu(v0);
            v1 = GemmVec.Relu(v1);
        }
        v0.Store(c);
        v1.Store(c + 4);
    }
}
