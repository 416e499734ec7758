using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// 6 x 8 micro-kernel for AVX2 machines without VNNI, on uint8 x int8 byte quads with vpmaddubsw, which multiplies
/// 32 byte pairs per instruction but saturates its int16 pair sums. Exactness comes from the weights: each int8
/// weight w is stored as two bytes, w = 16 wh + wl with wl in [-8, 7] and wh in [-8, 8], so every pair sum is at most
/// 255 · 8 · 2 = 4080 in magnitude and eight of them accumulate in int16 without overflow (32640). Every eight word
/// steps the int16 sums are widened with vpmaddwd (by 16 and by 1) into the int32 sums, kept in the tile scratch.
/// Two vpmaddubsw per 32 multiply-adds, at the rate of two per cycle, against one vpmaddwd per 16 at one per cycle
/// for the pairs family. Activations are the unsigned side (int8 ones shifted by +128, compensated in the bias, as
/// for VNNI). The split weights take two words per group: in a B panel the NR high words then the NR low words, in
/// an A panel the MR high then the MR low.
/// </summary>
internal unsafe struct QKernelSplit<TSide> : IQMicroKernel where TSide : struct, IUnsignedSide
{
    /// <summary>Word steps accumulated in int16 between widenings.</summary>
    public const int Steps = 8;

    public static QIsa Isa => QIsa.Split256;
    public static int MR => 6;
    public static int NR => 8;
    public static int AWords => TSide.InA ? 1 : 2;
    public static int BWords => TSide.InA ? 2 : 1;


    /// <summary>h += u·sh and l += u·sl pairwise (vpmaddubsw), u the unsigned bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(ref Vector256<short> h, ref Vector256<short> l, Vector256<int> u, Vector256<int> sh, Vector256<int> sl)
    {
        h = Avx2.Add(h, Avx2.MultiplyAddAdjacent(u.AsByte(), sh.AsSByte()));
        l = Avx2.Add(l, Avx2.MultiplyAddAdjacent(u.AsByte(), sl.AsSByte()));
    }

    /// <summary>tile row += 16 Σ h + Σ l, pairs of int16 widened to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Flush(int* row, Vector256<short> h, Vector256<short> l)
    {
        var t = Avx2.Add(Avx2.MultiplyAddAdjacent(h, Vector256.Create((short)16)), Avx2.MultiplyAddAdjacent(l, Vector256.Create((short)1)));
        Avx.Store(row, Avx2.Add(Avx.LoadVector256(row), t));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile)
        where TR : struct, IRows
    {
        for (int r = 0; r < TR.Value; r++) Avx.Store(tile + r * 8, Vector256<int>.Zero);
        for (int q0 = 0; q0 < groups; q0 += Steps)
        {
            int steps = Math.Min(Steps, groups - q0);
            Vector256<short> h0 = default, l0 = default, h1 = default, l1 = default, h2 = default, l2 = default;
            Vector256<short> h3 = default, l3 = default, h4 = default, l4 = default, h5 = default, l5 = default;
            if (TSide.InA)
            {
                // Dense layers: A holds activation quads (broadcast), B the split weights of 8 columns.
                int* a0 = a, a1 = a + ars, a2 = a + 2 * ars, a3 = a + 3 * ars, a4 = a + 4 * ars, a5 = a + 5 * ars;
                for (int q = 0; q < steps; q++, b += bs)
                {
                    var bh = Avx.LoadVector256(b);
                    var bl = Avx.LoadVector256(b + 8);
                    Step(ref h0, ref l0, Vector256.Create(*a0), bh, bl);
                    if (TR.Value > 1) Step(ref h1, ref l1, Vector256.Create(*a1), bh, bl);
                    if (TR.Value > 2) Step(ref h2, ref l2, Vector256.Create(*a2), bh, bl);
                    if (TR.Value > 3) Step(ref h3, ref l3, Vector256.Create(*a3), bh, bl);
                    if (TR.Value > 4) Step(ref h4, ref l4, Vector256.Create(*a4), bh, bl);
                    if (TR.Value > 5) Step(ref h5, ref l5, Vector256.Create(*a5), bh, bl);
                    a0 += aqs; a1 += aqs; a2 += aqs; a3 += aqs; a4 += aqs; a5 += aqs;
                }
                a += steps * aqs;
            }
            else
            {
                // Convolutions: A holds the split weights (broadcast), B the activation quads of 8 pixels.
                // Packed split weights: per group the MR high words then the MR low ones (aqs = 2 MR).
                for (int q = 0; q < steps; q++, a += aqs, b += bs)
                {
                    var x = Avx.LoadVector256(b);
                    Step(ref h0, ref l0, x, Vector256.Create(a[0]), Vector256.Create(a[6]));
                    if (TR.Value > 1) Step(ref h1, ref l1, x, Vector256.Create(a[1]), Vector256.Create(a[7]));
                    if (TR.Value > 2) Step(ref h2, ref l2, x, Vector256.Create(a[2]), Vector256.Create(a[8]));
                    if (TR.Value > 3) Step(ref h3, ref l3, x, Vector256.Create(a[3]), Vector256.Create(a[9]));
                    if (TR.Value > 4) Step(ref h4, ref l4, x, Vector256.Create(a[4]), Vector256.Create(a[10]));
                    if (TR.Value > 5) Step(ref h5, ref l5, x, Vector256.Create(a[5]), Vector256.Create(a[11]));
                }
            }
            Flush(tile, h0, l0);
            if (TR.Value > 1) Flush(tile + 8, h1, l1);
            if (TR.Value > 2) Flush(tile + 16, h2, l2);
            if (TR.Value > 3) Flush(tile + 24, h3, l3);
            if (TR.Value > 4) Flush(tile + 32, h4, l4);
            if (TR.Value > 5) Flush(tile + 40, h5, l5);
        }
    }

    /// <summary>The high and low parts of a weight, w = 16 wh + wl, wl in [-8, 7], wh in [-8, 8].</summary>
    public static (sbyte High, sbyte Low) Split(sbyte w)
    {
        int low = ((w + 8) & 15) - 8;
        return ((sbyte)((w - low) / 16), (sbyte)low);
    }
}
