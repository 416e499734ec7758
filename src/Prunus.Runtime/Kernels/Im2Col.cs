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
        for (int r = rowStart; r < rowEnd; r++)
        {
            int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
            int iw0 = j * g.DilationW - g.PadLeft, ih0 = i * g.DilationH - g.PadTop;
            var (wLo, wHi) = ValidRange(iw0, sw, g.W, ow);
            var (hLo, hHi) = ValidRange(ih0, g.StrideH, g.H, g.OH);
            for (int t = 0; t < nc; t++)
            {
                var src = x.Slice(((n0 + t) * g.C + c) * plane, plane);
                var dst = cols.Slice(r * ld + t * p, p);
                dst[..(hLo * ow)].Clear();
                dst[(hHi * ow)..].Clear();
                for (int oh = hLo; oh < hHi; oh++)
                {
                    var srow = src.Slice((ih0 + oh * g.StrideH) * g.W, g.W);
                    var drow = dst.Slice(oh * ow, ow);
                    drow[..wLo].Clear();
                    drow[wHi..].Clear();
                    if (sw == 1)
                        srow.Slice(iw0 + wLo, wHi - wLo).CopyTo(drow[wLo..wHi]);
                    else
                        for (int o = wLo; o < wHi; o++) drow[o] = srow[iw0 + o * sw];
                }
            }
        }
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
                            ChannelMath.AddInPlace(drow.Slice(iw0 + wLo, wHi - wLo), srow[wLo..wHi]);
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
