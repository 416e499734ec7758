namespace Prunus.Kernels;

/// <summary>
/// Direct-loop convolution over NCHW with groups, strides, dilations and asymmetric pads: the plain scalar reference
/// the lowered (im2col + GEMM) and depthwise paths are tested against. x [N,C,H,W], w [K,C/G,KH,KW], y [N,K,OH,OW].
/// </summary>
public static class ConvolutionReference
{
    /// <summary>y = conv(x, w) + b (b may be empty).</summary>
    public static void Forward(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y)
    {
        int cg = g.Cg, kg = g.Kg;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int c0 = k / kg * cg;
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        double s = b.IsEmpty ? 0 : b[k];
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < g.KH; i++)
                            {
                                int ih = oh * g.StrideH - g.PadTop + i * g.DilationH;
                                if (ih < 0 || ih >= g.H) continue;
                                for (int j = 0; j < g.KW; j++)
                                {
                                    int iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if (iw < 0 || iw >= g.W) continue;
                                    s += (double)x[((n * g.C + c0 + c) * g.H + ih) * g.W + iw] * w[((k * cg + c) * g.KH + i) * g.KW + j];
                                }
                            }
                        y[((n * g.K + k) * g.OH + oh) * g.OW + ow] = (float)s;
                    }
            }
    }

    /// <summary>dx += d(conv)/dx applied to dy (the transposed convolution of dy with w).</summary>
    public static void BackwardData(ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int cg = g.Cg, kg = g.Kg;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int c0 = k / kg * cg;
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        float d = dy[((n * g.K + k) * g.OH + oh) * g.OW + ow];
                        for (int c = 0; c < cg; c++)
                            for (int i = 0; i < g.KH; i++)
                            {
                                int ih = oh * g.StrideH - g.PadTop + i * g.DilationH;
                                if (ih < 0 || ih >= g.H) continue;
                                for (int j = 0; j < g.KW; j++)
                                {
                                    int iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if (iw < 0 || iw >= g.W) continue;
                                    dx[((n * g.C + c0 + c) * g.H + ih) * g.W + iw] += d * w[((k * cg + c) * g.KH + i) * g.KW + j];
                                }
                            }
                    }
            }
    }

    /// <summary>dw += Σ dy·x over the windows; db[k] += Σ dy[:,k] when db is not empty.</summary>
    public static void BackwardWeights(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> db)
    {
        int cg = g.Cg, kg = g.Kg;
        for (int k = 0; k < g.K; k++)
        {
            int c0 = k / kg * cg;
            if (!db.IsEmpty)
            {
                double s = 0;
                for (int n = 0; n < g.N; n++)
                    for (int p = 0; p < g.OutPlane; p++) s += dy[(n * g.K + k) * g.OutPlane + p];
                db[k] += (float)s;
            }
            for (int c = 0; c < cg; c++)
                for (int i = 0; i < g.KH; i++)
                    for (int j = 0; j < g.KW; j++)
                    {
                        double s = 0;
                        for (int n = 0; n < g.N; n++)
                            for (int oh = 0; oh < g.OH; oh++)
                            {
                                int ih = oh * g.StrideH - g.PadTop + i * g.DilationH;
                                if (ih < 0 || ih >= g.H) continue;
                                for (int ow = 0; ow < g.OW; ow++)
                                {
                                    int iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                                    if (iw < 0 || iw >= g.W) continue;
                                    s += (double)dy[((n * g.K + k) * g.OH + oh) * g.OW + ow] * x[((n * g.C + c0 + c) * g.H + ih) * g.W + iw];
                                }
                            }
                        dw[((k * cg + c) * g.KH + i) * g.KW + j] += (float)s;
                    }
        }
    }
}
