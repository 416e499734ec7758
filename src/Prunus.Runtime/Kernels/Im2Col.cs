using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// Lowering of NCHW images to a column matrix and back. For images n0..n0+nc-1 the matrix is cols[C*KH*KW, nc*OH*OW]
/// (row-major, leading dimension nc*OH*OW): row (c*KH + i)*KW + j, column t*OH*OW + oh*OW + ow holds
/// x[n0+t, c, oh*sh - padTop + i*dh, ow*sw - padLeft + j*dw], or 0 where that falls in the padding. A convolution is
/// then W[K, C/G*KH*KW] x cols per group, over the whole chunk of images at once.
/// </summary>
public static class Im2Col
{
    /// <summary>
    /// The outputs o in [0, count) whose input coordinate start + o*stride lies in [0, size), as [lo, hi).
    /// </summary>
    public static (int Lo, int Hi) ValidRange(int start, int stride, int size, int count)
    {
        int lo = start >= 0 ? 0 : (-start + stride - 1) / stride;
        int hi = size - start <= 0 ? 0 : (size - start + stride - 1) / stride;
        lo = Math.Min(lo, count);
        hi = Math.Clamp(hi, lo, count);
        return (lo, hi);
    }

    /// <summary>Fills rows [rowStart, rowEnd) of cols for images n0..n0+nc-1 of x [N,C,H,W].</summary>
    public static void Lower(ConvGeometry g, ReadOnlySpan<float> x, int n0, int nc, Span<float> cols, int rowStart, int rowEnd)
    {
        int p = g.OutPlane, ld = nc * p, plane = g.InPlane, ow = g.OW, sw = g.StrideW;
        if (rowEnd <= rowStart || p == 0) return;
        if (x.Length < (long)(n0 + nc) * g.C * plane || cols.Length < (long)(rowEnd - 1) * ld + ld)
            throw new ArgumentException("im2col buffers are too short for the geometry");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pc = ref MemoryMarshal.GetReference(cols);
        for (int r = rowStart; r < rowEnd; r++)
        {
            int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
            int iw0 = j * g.DilationW - g.PadLeft, ih0 = i * g.DilationH - g.PadTop;
            var (wLo, wHi) = ValidRange(iw0, sw, g.W, ow);
            var (hLo, hHi) = ValidRange(ih0, g.StrideH, g.H, g.OH);
            for (int t = 0; t < nc; t++)
            {
                ref float src = ref Unsafe.Add(ref px, ((n0 + t) * g.C + c) * plane);
                ref float dst = ref Unsafe.Add(ref pc, r * ld + t * p);
                Fill(ref dst, hLo * ow);
                Fill(ref Unsafe.Add(ref dst, hHi * ow), (g.OH - hHi) * ow);
                for (int oh = hLo; oh < hHi; oh++)
                {
                    ref float srow = ref Unsafe.Add(ref src, (ih0 + oh * g.StrideH) * g.W + iw0);
                    ref float drow = ref Unsafe.Add(ref dst, oh * ow);
                    Fill(ref drow, wLo);
                    Fill(ref Unsafe.Add(ref drow, wHi), ow - wHi);
                    if (sw == 1)
                        CopyRun(ref Unsafe.Add(ref srow, wLo), ref Unsafe.Add(ref drow, wLo), wHi - wLo);
                    else
                        for (int o = wLo; o < wHi; o++) Unsafe.Add(ref drow, o) = Unsafe.Add(ref srow, o * sw);
                }
            }
        }
    }

    // Zeroes n floats; inline for the short runs of padding columns.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Fill(ref float dst, int n)
    {
        if (n <= 0) return;
        if (n > 16) { MemoryMarshal.CreateSpan(ref dst, n).Clear(); return; }
        for (int i = 0; i < n; i++) Unsafe.Add(ref dst, i) = 0;
    }

    // dst += src over n floats, inline for short rows (no overlapping trick: adds must not repeat).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRun(ref float src, ref float dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref dst, (nuint)i) + Vector256.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                (Vector128.LoadUnsafe(ref dst, (nuint)i) + Vector128.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) += Unsafe.Add(ref src, i);
    }

    // Copies n floats. Output rows are short (often 8 to 56 floats), where a memmove call costs more than the copy:
    // whole vectors, then one last vector ending exactly at n (overlapping what was already copied).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRun(ref float src, ref float dst, int n)
    {
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            int i = 0;
            for (; i <= n - 8; i += 8) Vector256.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
            if (i < n) Vector256.LoadUnsafe(ref src, (nuint)(n - 8)).StoreUnsafe(ref dst, (nuint)(n - 8));
            return;
        }
        if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            int i = 0;
            for (; i <= n - 4; i += 4) Vector128.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
            if (i < n) Vector128.LoadUnsafe(ref src, (nuint)(n - 4)).StoreUnsafe(ref dst, (nuint)(n - 4));
            return;
        }
        for (int i = 0; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
    }

    /// <summary>
    /// Adds cols back into dx [N,C,H,W] (the adjoint of <see cref="Lower"/>) for the planes (c, t) numbered
    /// c*nc + t in [itemStart, itemEnd); different items write different planes.
    /// </summary>
    public static void AddBack(ConvGeometry g, ReadOnlySpan<float> cols, int n0, int nc, Span<float> dx, int itemStart, int itemEnd)
    {
        int p = g.OutPlane, ld = nc * p, plane = g.InPlane, ow = g.OW, sw = g.StrideW;
        for (int item = itemStart; item < itemEnd; item++)
        {
            int c = item / nc, t = item % nc;
            var dst = dx.Slice(((n0 + t) * g.C + c) * plane, plane);
            for (int i = 0; i < g.KH; i++)
            {
                int ih0 = i * g.DilationH - g.PadTop;
                var (hLo, hHi) = ValidRange(ih0, g.StrideH, g.H, g.OH);
                for (int j = 0; j < g.KW; j++)
                {
                    int iw0 = j * g.DilationW - g.PadLeft;
                    var (wLo, wHi) = ValidRange(iw0, sw, g.W, ow);
                    if (wHi <= wLo) continue;
                    var src = cols.Slice(((c * g.KH + i) * g.KW + j) * ld + t * p, p);
                    for (int oh = hLo; oh < hHi; oh++)
                    {
                        var drow = dst.Slice((ih0 + oh * g.StrideH) * g.W, g.W);
                        var srow = src.Slice(oh * ow, ow);
                        if (sw == 1)
                            AddRun(ref MemoryMarshal.GetReference(srow[wLo..wHi]), ref MemoryMarshal.GetReference(drow.Slice(iw0 + wLo, wHi - wLo)), wHi - wLo);
                        else
                            for (int o = wLo; o < wHi; o++) drow[iw0 + o * sw] += srow[o];
                    }
                }
            }
        }
    }
}

/// <summary>Element-by-element references of <see cref="Im2Col"/>, for tests.</summary>
public static class Im2ColReference
{
    public static void Lower(ConvGeometry g, ReadOnlySpan<float> x, int n0, int nc, Span<float> cols)
    {
        int p = g.OutPlane, ld = nc * p;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                    for (int t = 0; t < nc; t++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                                bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                                cols[((c * g.KH + i) * g.KW + j) * ld + t * p + oh * g.OW + ow] =
                                    inside ? x[(((n0 + t) * g.C + c) * g.H + ih) * g.W + iw] : 0;
                            }
    }

    public static void AddBack(ConvGeometry g, ReadOnlySpan<float> cols, int n0, int nc, Span<float> dx)
    {
        int p = g.OutPlane, ld = nc * p;
        for (int c = 0; c < g.C; c++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                    for (int t = 0; t < nc; t++)
                        for (int oh = 0; oh < g.OH; oh++)
                            for (int ow = 0; ow < g.OW; ow++)
                            {
                                int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                                if (ih >= 0 && ih < g.H && iw >= 0 && iw < g.W)
                                    dx[(((n0 + t) * g.C + c) * g.H + ih) * g.W + iw] += cols[((c * g.KH + i) * g.KW + j) * ld + t * p + oh * g.OW + ow];
                            }
    }
}
