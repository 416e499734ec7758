using System.Numerics;

namespace Prunus.Kernels;

/// <summary>
/// Integer convolution with exact int32 accumulation over any number of spatial axes (a <see cref="WindowGeometryNd"/>):
/// y[n,k,o] = Σ_c Σ_t (x[n,c,in(o,t)] − zx) · (w[k,c,t] − zw[k]), where taps in the padding contribute nothing (the
/// spec pads x with its zero point). x [N,C,in...], w [K,C/G,kernel...], y [N,K,out...]; zw has 1 or K entries.
/// <see cref="Reference{TX, TW}"/> is the direct definition; <see cref="Forward{TX, TW}"/> lowers each image and group to
/// a matrix and runs <see cref="IntegerMatMul.Multiply(int, int, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{int})"/>.
/// </summary>
public static class IntegerConvolution
{
    /// <summary>The direct loops.</summary>
    public static void Reference<TX, TW>(WindowGeometryNd g, ReadOnlySpan<TX> x, int zx, ReadOnlySpan<TW> w, ReadOnlySpan<int> zw, Span<int> y)
        where TX : unmanaged, IBinaryInteger<TX> where TW : unmanaged, IBinaryInteger<TW>
    {
        Check(g, x.Length, w.Length, zw.Length, y.Length);
        int cg = g.Cg, kg = g.Kg, taps = g.TapCount;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int c0 = k / kg * cg, zwk = zw.Length == 1 ? zw[0] : zw[k];
                for (int o = 0; o < g.OutPlane; o++)
                {
                    int s = 0;
                    for (int c = 0; c < cg; c++)
                        for (int t = 0; t < taps; t++)
                        {
                            int off = g.Taps[o * taps + t];
                            if (off < 0) continue;
                            int xv = int.CreateTruncating(x[(n * g.C + c0 + c) * g.InPlane + off]) - zx;
                            int wv = int.CreateTruncating(w[(k * cg + c) * taps + t]) - zwk;
                            s = unchecked(s + xv * wv);
                        }
                    y[(n * g.K + k) * g.OutPlane + o] = s;
                }
            }
    }

    /// <summary>Ints of scratch <see cref="Forward{TX, TW}"/> needs: the shifted weights and one lowered image group.</summary>
    public static int ScratchLength(WindowGeometryNd g) => g.K * g.Cg * g.TapCount + g.Cg * g.TapCount * g.OutPlane;

    /// <summary>The same result through lowering: per image and group, cols [Cg·taps, out] = x − zx (0 in the padding), y = (w − zw) · cols.</summary>
    public static void Forward<TX, TW>(WindowGeometryNd g, ReadOnlySpan<TX> x, int zx, ReadOnlySpan<TW> w, ReadOnlySpan<int> zw, Span<int> y, Span<int> scratch)
        where TX : unmanaged, IBinaryInteger<TX> where TW : unmanaged, IBinaryInteger<TW>
    {
        Check(g, x.Length, w.Length, zw.Length, y.Length);
        int cg = g.Cg, kg = g.Kg, taps = g.TapCount, rows = cg * taps, plane = g.OutPlane;
        var weights = scratch[..(g.K * rows)];
        var cols = scratch.Slice(g.K * rows, rows * plane);
        for (int k = 0; k < g.K; k++)
        {
            int zwk = zw.Length == 1 ? zw[0] : zw[k];
            for (int r = 0; r < rows; r++) weights[k * rows + r] = int.CreateTruncating(w[k * rows + r]) - zwk;
        }
        for (int n = 0; n < g.N; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                for (int c = 0; c < cg; c++)
                {
                    var plane0 = x.Slice((n * g.C + group * cg + c) * g.InPlane, g.InPlane);
                    for (int t = 0; t < taps; t++)
                    {
                        var dst = cols.Slice((c * taps + t) * plane, plane);
                        for (int o = 0; o < plane; o++)
                        {
                            int off = g.Taps[o * taps + t];
                            dst[o] = off < 0 ? 0 : int.CreateTruncating(plane0[off]) - zx;
                        }
                    }
                }
                IntegerMatMul.Multiply(kg, plane, rows, weights.Slice(group * kg * rows, kg * rows), cols,
                    y.Slice((n * g.K + group * kg) * plane, kg * plane));
            }
    }

    private static void Check(WindowGeometryNd g, int x, int w, int zw, int y)
    {
        if (x < g.N * g.C * g.InPlane || w < g.K * g.Cg * g.TapCount || y < g.N * g.K * g.OutPlane)
            throw new ArgumentException($"tensors of {x}, {w} and {y} elements do not fit the convolution's shapes");
        if (zw != 1 && zw != g.K) throw new ArgumentException($"the weight zero point needs 1 or {g.K} entries, got {zw}");
    }
}
