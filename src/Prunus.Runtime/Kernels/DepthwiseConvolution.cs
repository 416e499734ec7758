using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// Direct convolution for one input channel feeding M = K/C output channels (depthwise: groups == C), where lowering
/// to a GEMM would have an inner dimension of only KH*KW. The input plane is copied once into a zero-padded scratch
/// split by horizontal stride phase (column u*sw + q lands in phase q at u), so every tap of every output row reads a
/// contiguous run: each vector of an output row accumulates all taps in a register, whatever the stride. Pads must be
/// non-negative.
/// <see cref="ConvolutionReference"/> is the scalar reference.
/// </summary>
public static class DepthwiseConvolution
{
    /// <summary>Padded height, and width of one stride phase, of the scratch plane.</summary>
    public static (int Hp, int Wq) PaddedSize(ConvGeometry g)
    {
        int hp = Math.Max(g.H + g.PadTop + g.PadBottom, (g.OH - 1) * g.StrideH + (g.KH - 1) * g.DilationH + 1);
        int wp = Math.Max(g.W + g.PadLeft + g.PadRight, (g.OW - 1) * g.StrideW + (g.KW - 1) * g.DilationW + 1);
        return (Math.Max(hp, 1), Math.Max((wp + g.StrideW - 1) / g.StrideW, 1));
    }

    /// <summary>Floats of one scratch plane, plus a vector's slack that the forward pass may read past the last row.</summary>
    public static int ScratchSize(ConvGeometry g)
    {
        var (hp, wq) = PaddedSize(g);
        return g.StrideW * hp * wq + 8;
    }

    /// <summary>Whether the direct path applies: one input channel per group and no negative pads.</summary>
    public static bool Applies(ConvGeometry g) =>
        g.Cg == 1 && g.Groups > 1 && g.PadTop >= 0 && g.PadLeft >= 0 && g.PadBottom >= 0 && g.PadRight >= 0;

    /// <summary>Copies plane x [H,W] into the scratch interior; the border must already be zero (it is never written).</summary>
    public static void Pad(ConvGeometry g, ReadOnlySpan<float> x, Span<float> scratch)
    {
        var (hp, wq) = PaddedSize(g);
        int sw = g.StrideW;
        for (int ih = 0; ih < g.H; ih++)
        {
            var src = x.Slice(ih * g.W, g.W);
            int row = ih + g.PadTop;
            if (sw == 1) { src.CopyTo(scratch.Slice(row * wq + g.PadLeft, g.W)); continue; }
            // Phase by phase: the columns of phase q are every sw-th input column and land side by side.
            for (int q = 0; q < sw; q++)
            {
                int iw = ((q - g.PadLeft) % sw + sw) % sw;
                if (iw >= g.W) continue;
                var dst = scratch.Slice((q * hp + row) * wq + (iw + g.PadLeft) / sw);
                for (int u = 0; iw < g.W; iw += sw, u++) dst[u] = src[iw];
            }
        }
    }

    /// <summary>dx [H,W] += the scratch interior (the adjoint of <see cref="Pad"/>).</summary>
    public static void UnpadAdd(ConvGeometry g, ReadOnlySpan<float> scratch, Span<float> dx)
    {
        var (hp, wq) = PaddedSize(g);
        int sw = g.StrideW;
        for (int ih = 0; ih < g.H; ih++)
        {
            var dst = dx.Slice(ih * g.W, g.W);
            int row = ih + g.PadTop;
            if (sw == 1) { ChannelMath.AddInPlace(dst, scratch.Slice(row * wq + g.PadLeft, g.W)); continue; }
            for (int q = 0; q < sw; q++)
            {
                int iw = ((q - g.PadLeft) % sw + sw) % sw;
                if (iw >= g.W) continue;
                var src = scratch.Slice((q * hp + row) * wq + (iw + g.PadLeft) / sw);
                for (int u = 0; iw < g.W; iw += sw, u++) dst[iw] += src[u];
            }
        }
    }

    /// <summary>The contiguous run of the padded input read by output row oh at tap (i, j).</summary>
    private static int RunStart(ConvGeometry g, int hp, int wq, int oh, int i, int j)
    {
        int row = oh * g.StrideH + i * g.DilationH, off = j * g.DilationW;
        return (off % g.StrideW * hp + row) * wq + off / g.StrideW;
    }

    /// <summary>
    /// y [M,OH,OW] (= or += when <paramref name="accumulate"/>) the M output planes of one channel from its padded
    /// input; w [M,KH,KW]; bias has M entries or is empty.
    /// </summary>
    public static void Forward(ConvGeometry g, ReadOnlySpan<float> scratch, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, bool accumulate)
    {
        var (hp, wq) = PaddedSize(g);
        int m = g.Kg, ow = g.OW, taps = g.Taps;
        if (taps > 64)
        {
            ForwardByAxpy(g, scratch, w, bias, y, accumulate);
            return;
        }
        // Each vector of an output row accumulates all taps in a register: one store per vector, not one per tap.
        // A tap's run start is linear in the output row (one row down moves StrideH padded rows), so the starts of
        // row 0 are computed once and shifted; RunStart's divisions stay out of the loops.
        Span<int> starts0 = stackalloc int[taps];
        Span<int> starts = stackalloc int[taps];
        for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++) starts0[i * g.KW + j] = RunStart(g, hp, wq, 0, i, j);
        int rowStep = g.StrideH * wq;
        Span<float> lanes = stackalloc float[8];
        ref float ps = ref MemoryMarshal.GetReference(scratch);
        for (int k = 0; k < m; k++)
        {
            var wk = w.Slice(k * taps, taps);
            float b = bias.IsEmpty ? 0 : bias[k];
            for (int oh = 0; oh < g.OH; oh++)
            {
                int shift = oh * rowStep;
                for (int t = 0; t < taps; t++) starts[t] = starts0[t] + shift;
                var yrow = y.Slice((k * g.OH + oh) * ow, ow);
                int o = 0;
                // Four independent accumulators hide the FMA latency that a single chain over the taps would expose.
                if (Vector256.IsHardwareAccelerated)
                    for (; o <= ow - 32; o += 32)
                    {
                        Vector256<float> a0, a1, a2, a3;
                        if (accumulate)
                        {
                            a0 = Vector256.Create(yrow.Slice(o, 8)); a1 = Vector256.Create(yrow.Slice(o + 8, 8));
                            a2 = Vector256.Create(yrow.Slice(o + 16, 8)); a3 = Vector256.Create(yrow.Slice(o + 24, 8));
                        }
                        else a0 = a1 = a2 = a3 = Vector256.Create(b);
                        for (int t = 0; t < taps; t++)
                        {
                            var wt = Vector256.Create(wk[t]);
                            ref float r = ref Unsafe.Add(ref ps, starts[t] + o);
                            a0 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref r), a0);
                            a1 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref r, 8), a1);
                            a2 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref r, 16), a2);
                            a3 = Vector256.FusedMultiplyAdd(wt, Vector256.LoadUnsafe(ref r, 24), a3);
                        }
                        a0.CopyTo(yrow.Slice(o, 8)); a1.CopyTo(yrow.Slice(o + 8, 8));
                        a2.CopyTo(yrow.Slice(o + 16, 8)); a3.CopyTo(yrow.Slice(o + 24, 8));
                    }
                if (Vector256.IsHardwareAccelerated)
                    for (; o <= ow - 8; o += 8)
                    {
                        var acc = accumulate ? Vector256.Create(yrow.Slice(o, 8)) : Vector256.Create(b);
                        for (int t = 0; t < taps; t++)
                            acc = Vector256.FusedMultiplyAdd(Vector256.Create(wk[t]), Vector256.LoadUnsafe(ref ps, (nuint)(starts[t] + o)), acc);
                        acc.CopyTo(yrow.Slice(o, 8));
                    }
                // A short tail (and rows narrower than a vector, as late layers' 7x7 planes are) still runs as one
                // vector: it reads up to 7 floats past the row, which the scratch's slack keeps in bounds, and stores
                // only the lanes of this row.
                if (Vector256.IsHardwareAccelerated && ow - o > 1)
                {
                    int r = ow - o;
                    lanes.Clear();
                    if (accumulate) yrow.Slice(o, r).CopyTo(lanes);
                    var acc = accumulate ? Vector256.Create((ReadOnlySpan<float>)lanes) : Vector256.Create(b);
                    for (int t = 0; t < taps; t++)
                        acc = Vector256.FusedMultiplyAdd(Vector256.Create(wk[t]), Vector256.LoadUnsafe(ref ps, (nuint)(starts[t] + o)), acc);
                    acc.CopyTo(lanes);
                    lanes.Slice(0, r).CopyTo(yrow.Slice(o, r));
                    o = ow;
                }
                for (; o < ow; o++)
                {
                    float acc = accumulate ? yrow[o] : b;
                    for (int t = 0; t < taps; t++) acc = MathF.FusedMultiplyAdd(wk[t], scratch[starts[t] + o], acc);
                    yrow[o] = acc;
                }
            }
        }
    }

    // Large kernels: one SIMD axpy of the output row per tap.
    private static void ForwardByAxpy(ConvGeometry g, ReadOnlySpan<float> scratch, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, bool accumulate)
    {
        var (hp, wq) = PaddedSize(g);
        int m = g.Kg, ow = g.OW, taps = g.Taps;
        for (int k = 0; k < m; k++)
            for (int oh = 0; oh < g.OH; oh++)
            {
                var yrow = y.Slice((k * g.OH + oh) * ow, ow);
                if (!accumulate) yrow.Fill(bias.IsEmpty ? 0 : bias[k]);
                for (int i = 0; i < g.KH; i++)
                    for (int j = 0; j < g.KW; j++)
                        ChannelMath.Axpy(w[k * taps + i * g.KW + j], scratch.Slice(RunStart(g, hp, wq, oh, i, j), ow), yrow);
            }
    }

    /// <summary>dw [M,KH,KW] += Σ dy·x for one channel of one image, from its padded input and dy [M,OH,OW].</summary>
    public static void BackwardWeights(ConvGeometry g, ReadOnlySpan<float> scratch, ReadOnlySpan<float> dy, Span<float> dw)
    {
        var (hp, wq) = PaddedSize(g);
        int m = g.Kg, ow = g.OW, taps = g.Taps;
        for (int k = 0; k < m; k++)
            for (int i = 0; i < g.KH; i++)
                for (int j = 0; j < g.KW; j++)
                {
                    float s = 0;
                    for (int oh = 0; oh < g.OH; oh++)
                        s += ChannelMath.Dot(dy.Slice((k * g.OH + oh) * ow, ow), scratch.Slice(RunStart(g, hp, wq, oh, i, j), ow));
                    dw[k * taps + i * g.KW + j] += s;
                }
    }

    /// <summary>dscratch += the padded-input gradient of one channel of one image from dy [M,OH,OW] and w [M,KH,KW].</summary>
    public static void BackwardData(ConvGeometry g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dscratch)
    {
        var (hp, wq) = PaddedSize(g);
        int m = g.Kg, ow = g.OW, taps = g.Taps;
        for (int k = 0; k < m; k++)
            for (int oh = 0; oh < g.OH; oh++)
            {
                var dyrow = dy.Slice((k * g.OH + oh) * ow, ow);
                for (int i = 0; i < g.KH; i++)
                    for (int j = 0; j < g.KW; j++)
                        ChannelMath.Axpy(w[k * taps + i * g.KW + j], dyrow, dscratch.Slice(RunStart(g, hp, wq, oh, i, j), ow));
            }
    }
}
