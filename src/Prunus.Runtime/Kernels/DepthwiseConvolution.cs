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
    public static unsafe void Forward(ConvGeometry g, ReadOnlySpan<float> scratch, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, bool accumulate)
    {
        var (hp, wq) = PaddedSize(g);
        int m = g.Kg, ow = g.OW, oh = g.OH, taps = g.Taps;
        if (taps > 64)
        {
            ForwardByAxpy(g, scratch, w, bias, y, accumulate);
            return;
        }
        if (w.Length < m * taps || y.Length < m * oh * ow || scratch.Length < ScratchSize(g) || !bias.IsEmpty && bias.Length < m)
            throw new ArgumentException($"depthwise buffers are too short for {g}");
        // A tap's run start is linear in the output row (one row down moves StrideH padded rows), so the starts of
        // row 0 are computed once and shifted; RunStart's divisions stay out of the loops.
        int* starts = stackalloc int[taps];
        for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++) starts[i * g.KW + j] = RunStart(g, hp, wq, 0, i, j);
        var rows = new RowArgs { Starts = starts, Taps = taps, Width = ow, RowStep = g.StrideH * wq, Accumulate = accumulate };
        fixed (float* ps = scratch, pw = w, py = y, pb = bias)
        {
            rows.Scratch = ps;
            for (int k = 0; k < m; k++)
            {
                rows.Weights = pw + k * taps;
                rows.Bias = bias.IsEmpty ? 0 : pb[k];
                float* yk = py + (nint)k * oh * ow;
                if (!Vector256.IsHardwareAccelerated)
                {
                    for (int r = 0; r < oh; r++) rows.Scalar(yk + (nint)r * ow, r);
                    continue;
                }
                // Four output rows at a time: four independent accumulator chains, and each tap's weight broadcast once
                // for all four. Planes late in a network are narrow (7 or 14 wide), where one row alone would leave
                // the multiply-add latency exposed.
                int row = 0;
                for (; row + 4 <= oh; row += 4) rows.Vectors<R4>(yk + (nint)row * ow, row);
                switch (oh - row)
                {
                    case 3: rows.Vectors<R3>(yk + (nint)row * ow, row); break;
                    case 2: rows.Vectors<R2>(yk + (nint)row * ow, row); break;
                    case 1: rows.Vectors<R1>(yk + (nint)row * ow, row); break;
                }
            }
        }
    }

    /// <summary>What the row kernels of one output plane share.</summary>
    private unsafe struct RowArgs
    {
        public float* Scratch, Weights;
        public int* Starts;
        public int Taps, Width, RowStep;
        public float Bias;
        public bool Accumulate;

        /// <summary>
        /// Output rows [row, row + R) (y points at the first) one vector of columns at a time. A last partial vector
        /// (and rows narrower than a vector) still runs whole: it reads up to 7 floats past the row, which the
        /// scratch's slack keeps in bounds, and stores only the lanes of the row.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Vectors<TR>(float* y, int row) where TR : struct, IRows
        {
            int ow = Width, step = RowStep;
            float* basePtr = Scratch + (nint)row * step;
            float* lanes = stackalloc float[4 * 8];
            var b = Vector256.Create(Bias);
            for (int o = 0; o < ow; o += 8)
            {
                int count = Math.Min(8, ow - o);
                Vector256<float> a0 = b, a1 = b, a2 = b, a3 = b;
                if (Accumulate)
                {
                    a0 = Load(y + o, count, lanes);
                    if (TR.Value > 1) a1 = Load(y + ow + o, count, lanes);
                    if (TR.Value > 2) a2 = Load(y + 2 * ow + o, count, lanes);
                    if (TR.Value > 3) a3 = Load(y + 3 * ow + o, count, lanes);
                }
                for (int t = 0; t < Taps; t++)
                {
                    var wt = Vector256.Create(Weights[t]);
                    float* p = basePtr + Starts[t] + o;
                    a0 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(p), a0);
                    if (TR.Value > 1) a1 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(p + step), a1);
                    if (TR.Value > 2) a2 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(p + 2 * step), a2);
                    if (TR.Value > 3) a3 = Vector256.FusedMultiplyAdd(wt, Vector256.Load(p + 3 * step), a3);
                }
                Store(a0, y + o, count, lanes);
                if (TR.Value > 1) Store(a1, y + ow + o, count, lanes);
                if (TR.Value > 2) Store(a2, y + 2 * ow + o, count, lanes);
                if (TR.Value > 3) Store(a3, y + 3 * ow + o, count, lanes);
            }
        }

        /// <summary>Output row <paramref name="row"/> element by element (CPUs without 256-bit vectors).</summary>
        public readonly void Scalar(float* y, int row)
        {
            float* basePtr = Scratch + (nint)row * RowStep;
            for (int o = 0; o < Width; o++)
            {
                float acc = Accumulate ? y[o] : Bias;
                for (int t = 0; t < Taps; t++) acc = MathF.FusedMultiplyAdd(Weights[t], basePtr[Starts[t] + o], acc);
                y[o] = acc;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<float> Load(float* src, int count, float* lanes)
        {
            if (count == 8) return Vector256.Load(src);
            for (int l = 0; l < 8; l++) lanes[l] = l < count ? src[l] : 0;
            return Vector256.Load(lanes);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(Vector256<float> v, float* dst, int count, float* lanes)
        {
            if (count == 8) { v.Store(dst); return; }
            v.Store(lanes);
            for (int l = 0; l < count; l++) dst[l] = lanes[l];
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
