using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// 12 x 32 micro-kernel on 16-float vectors (AVX-512): 24 accumulators, 2 B loads and 1 broadcast per step leave a
/// margin in the 32 vector registers so that the JIT never spills inside the loop. KC = 192 keeps a 192 x 32 B panel
/// (24 KB) in a 32-48 KB L1. (Chosen by the same reasoning as the measured AVX2 blocking; no AVX-512 machine was at
/// hand to tune it.)
/// </summary>
internal unsafe struct GemmKernel512 : IMicroKernel
{
    public static int MR => 12;
    public static int NR => 32;
    public static int KC => 192;
    public static int MC => 144;
    public static GemmIsa Isa => GemmIsa.Vector512;

    public static void Tile(int rows, int kc, float* a, float* b, nint bs, float* c, nint ldc, in GemmStore st)
    {
        switch (rows)
        {
            case 12: Run<R12>(kc, a, b, bs, c, ldc, st); break;
            case 11: Run<R11>(kc, a, b, bs, c, ldc, st); break;
            case 10: Run<R10>(kc, a, b, bs, c, ldc, st); break;
            case 9: Run<R9>(kc, a, b, bs, c, ldc, st); break;
            case 8: Run<R8>(kc, a, b, bs, c, ldc, st); break;
            case 7: Run<R7>(kc, a, b, bs, c, ldc, st); break;
            case 6: Run<R6>(kc, a, b, bs, c, ldc, st); break;
            case 5: Run<R5>(kc, a, b, bs, c, ldc, st); break;
            case 4: Run<R4>(kc, a, b, bs, c, ldc, st); break;
            case 3: Run<R3>(kc, a, b, bs, c, ldc, st); break;
            case 2: Run<R2>(kc, a, b, bs, c, ldc, st); break;
            default: Run<R1>(kc, a, b, bs, c, ldc, st); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> acc) =>
        Vector512.MultiplyAddEstimate(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TR>(int kc, float* a, float* b, nint bs, float* c, nint ldc, in GemmStore st) where TR : struct, IRows
    {
        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default, c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default;
        Vector512<float> c6a = default, c6b = default, c7a = default, c7b = default, c8a = default, c8b = default, c9a = default, c9b = default, c10a = default, c10b = default, c11a = default, c11b = default;
        // Start fetching the C tile now: its lines (likely in L2/L3 after the previous K block) arrive during the loop.
        if (Sse.IsSupported)
            for (int r = 0; r < TR.Value; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + 31);
            }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]);
            c0a = Fma(x, b0, c0a); c0b = Fma(x, b1, c0b);
            if (TR.Value > 1) { x = Vector512.Create(a[1]); c1a = Fma(x, b0, c1a); c1b = Fma(x, b1, c1b); }
            if (TR.Value > 2) { x = Vector512.Create(a[2]); c2a = Fma(x, b0, c2a); c2b = Fma(x, b1, c2b); }
            if (TR.Value > 3) { x = Vector512.Create(a[3]); c3a = Fma(x, b0, c3a); c3b = Fma(x, b1, c3b); }
            if (TR.Value > 4) { x = Vector512.Create(a[4]); c4a = Fma(x, b0, c4a); c4b = Fma(x, b1, c4b); }
            if (TR.Value > 5) { x = Vector512.Create(a[5]); c5a = Fma(x, b0, c5a); c5b = Fma(x, b1, c5b); }
            if (TR.Value > 6) { x = Vector512.Create(a[6]); c6a = Fma(x, b0, c6a); c6b = Fma(x, b1, c6b); }
            if (TR.Value > 7) { x = Vector512.Create(a[7]); c7a = Fma(x, b0, c7a); c7b = Fma(x, b1, c7b); }
            if (TR.Value > 8) { x = Vector512.Create(a[8]); c8a = Fma(x, b0, c8a); c8b = Fma(x, b1, c8b); }
            if (TR.Value > 9) { x = Vector512.Create(a[9]); c9a = Fma(x, b0, c9a); c9b = Fma(x, b1, c9b); }
            if (TR.Value > 10) { x = Vector512.Create(a[10]); c10a = Fma(x, b0, c10a); c10b = Fma(x, b1, c10b); }
            if (TR.Value > 11) { x = Vector512.Create(a[11]); c11a = Fma(x, b0, c11a); c11b = Fma(x, b1, c11b); }
            a += 12;
            b += bs;
        }
        Store(c, c0a, c0b, st, 0);
        if (TR.Value > 1) Store(c + ldc, c1a, c1b, st, 1);
        if (TR.Value > 2) Store(c + 2 * ldc, c2a, c2b, st, 2);
        if (TR.Value > 3) Store(c + 3 * ldc, c3a, c3b, st, 3);
        if (TR.Value > 4) Store(c + 4 * ldc, c4a, c4b, st, 4);
        if (TR.Value > 5) Store(c + 5 * ldc, c5a, c5b, st, 5);
        if (TR.Value > 6) Store(c + 6 * ldc, c6a, c6b, st, 6);
        if (TR.Value > 7) Store(c + 7 * ldc, c7a, c7b, st, 7);
        if (TR.Value > 8) Store(c + 8 * ldc, c8a, c8b, st, 8);
        if (TR.Value > 9) Store(c + 9 * ldc, c9a, c9b, st, 9);
        if (TR.Value > 10) Store(c + 10 * ldc, c10a, c10b, st, 10);
        if (TR.Value > 11) Store(c + 11 * ldc, c11a, c11b, st, 11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, in GemmStore st, int row)
    {
        var alpha = Vector512.Create(st.Alpha);
        v0 *= alpha;
        v1 *= alpha;
        if (st.Beta != 0)
        {
            var beta = Vector512.Create(st.Beta);
            v0 += beta * Vector512.Load(c);
            v1 += beta * Vector512.Load(c + 16);
        }
        if (st.ColBias != null)
        {
            v0 += Vector512.Load(st.ColBias);
            v1 += Vector512.Load(st.ColBias + 16);
        }
        if (st.RowBias != null)
        {
            var r = Vector512.Create(st.RowBias[row]);
            v0 += r;
            v1 += r;
        }
        if (st.Relu)
        {
            v0 = GemmVec.Relu(v0);
            v1 = GemmVec.Relu(v1);
        }
        v0.Store(c);
        v1.Store(c + 16);
    }
}
