using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Pad(ConvGeometry g, ReadOnlySpan<float> x, Span<float> scratch)
    {
        var (hp, wq) = PaddedSize(g);
        int sw = g.StrideW, width = g.W;
        if (x.Length < (long)g.H * width || scratch.Length < sw * hp * wq)
            throw new ArgumentException($"depthwise padding buffers are too short for {g}");
        fixed (float* px = x, ps = scratch)
            for (int ih = 0; ih < g.H; ih++)
            {
                float* src = px + (nint)ih * width;
                int row = ih + g.PadTop;
                if (sw == 1)
                {
                    CopyRow(src, ps + (nint)row * wq + g.PadLeft, width);
                    continue;
                }
                if (sw == 2)
                {
                    // Even columns land in one phase, odd in the other, each starting where its first column belongs.
                    int pl = g.PadLeft;
                    Deinterleave(src, width, ps + ((pl % 2) * hp + row) * (nint)wq + pl / 2, ps + (((pl + 1) % 2) * hp + row) * (nint)wq + (pl + 1) / 2);
                    continue;
                }
                // Phase by phase: the columns of phase q are every sw-th input column and land side by side.
                for (int q = 0; q < sw; q++)
                {
                    int iw = ((q - g.PadLeft) % sw + sw) % sw;
                    if (iw >= width) continue;
                    float* dst = ps + (q * hp + row) * (nint)wq + (iw + g.PadLeft) / sw;
                    for (int u = 0; iw < width; iw += sw, u++) dst[u] = src[iw];
                }
            }
    }

    /// <summary>
    /// dst[0, n) = src[0, n) by vectors, the last one overlapping the one before, so rows of 14 or 28 floats (MobileNet's
    /// planes) copy in two to four moves rather than through a general memory copy's call.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CopyRow(float* src, float* dst, int n)
    {
        if (n < Vector256<float>.Count || !Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < n; i++) dst[i] = src[i];
            return;
        }
        for (int i = 0; i < n - Vector256<float>.Count; i += Vector256<float>.Count) Vector256.Load(src + i).Store(dst + i);
        Vector256.Load(src + n - Vector256<float>.Count).Store(dst + n - Vector256<float>.Count);
    }

    /// <summary>
    /// evens[t] = src[2t], odds[t] = src[2t + 1] over a row of <paramref name="width"/>: sixteen columns at a time with
    /// AVX2, then eight with SSE, the last eight overlapping the ones before (a 14-wide row is two moves); the odd
    /// last column of an odd width alone.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Deinterleave(float* src, int width, float* evens, float* odds)
    {
        int t = 0;
        if (Avx2.IsSupported)
            for (; 2 * t + 16 <= width; t += 8)
            {
                var a = Avx.LoadVector256(src + 2 * t);
                var b = Avx.LoadVector256(src + 2 * t + 8);
                // Within each 128-bit lane: a0 a2 b0 b2 | a4 a6 b4 b6; then the middle 64-bit quarters swap.
                var e = Avx.Shuffle(a, b, 0b10_00_10_00);
                var o = Avx.Shuffle(a, b, 0b11_01_11_01);
                Avx.Store(evens + t, Avx2.Permute4x64(e.AsDouble(), 0b11_01_10_00).AsSingle());
                Avx.Store(odds + t, Avx2.Permute4x64(o.AsDouble(), 0b11_01_10_00).AsSingle());
            }
        if (Sse.IsSupported && width >= 8)
        {
            for (; 2 * t < width; t += 4)
            {
                if (2 * t + 8 > width) t = (width - 8) / 2;
                var a = Sse.LoadVector128(src + 2 * t);
                var b = Sse.LoadVector128(src + 2 * t + 4);
                Sse.Store(evens + t, Sse.Shuffle(a, b, 0b10_00_10_00));
                Sse.Store(odds + t, Sse.Shuffle(a, b, 0b11_01_11_01));
                if (2 * t + 8 >= width - 1) { t += 4; break; }
            }
        }
        for (; 2 * t < width; t++)
        {
            evens[t] = src[2 * t];
            if (2 * t + 1 < width) odds[t] = src[2 * t + 1];
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
    /// Where each tap's run starts in the scratch for output row 0: a tap's run start is linear in the output row (one
    /// row down moves StrideH padded rows). Computed once per geometry: its divisions cost more than a small plane's
    /// multiply-adds.
    /// </summary>
    public static int[] TapStarts(ConvGeometry g)
    {
        var (hp, wq) = PaddedSize(g);
        var starts = new int[g.Taps];
        for (int i = 0; i < g.KH; i++)
            for (int j = 0; j < g.KW; j++) starts[i * g.KW + j] = RunStart(g, hp, wq, 0, i, j);
        return starts;
    }

    /// <summary>
    /// y [M,OH,OW] (= or += when <paramref name="accumulate"/>) the M output planes of one channel from its padded
    /// input; w [M,KH,KW]; bias has M entries or is empty.
    /// </summary>
    public static void Forward(ConvGeometry g, ReadOnlySpan<float> scratch, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        Span<float> y, bool accumulate) => Forward(g, TapStarts(g), scratch, w, bias, y, accumulate);

    /// <summary>As above with the geometry's <see cref="TapStarts"/> computed once by the caller.</summary>
    public static unsafe void Forward(ConvGeometry g, ReadOnlySpan<int> tapStarts, ReadOnlySpan<float> scratch, ReadOnlySpan<float> w,
        ReadOnlySpan<float> bias, Span<float> y, bool accumulate)
    {
        int m = g.Kg, ow = g.OW, oh = g.OH, taps = g.Taps;
        if (taps > 64)
        {
            ForwardByAxpy(g, scratch, w, bias, y, accumulate);
            return;
        }
        var (hp, wq) = PaddedSize(g);
        if (w.Length < m * taps || y.Length < m * oh * ow || scratch.Length < ScratchSize(g) || !bias.IsEmpty && bias.Length < m
            || tapStarts.Length < taps)
            throw new ArgumentException($"depthwise buffers are too short for {g}");
        fixed (int* starts = tapStarts)
        fixed (float* ps = scratch, pw = w, py = y, pb = bias)
        {
            var rows = new RowArgs { Starts = starts, Scratch = ps, Taps = taps, Width = ow, RowStep = g.StrideH * wq, Accumulate = accumulate };
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
                // A row's last partial vector may be stored whole, spilling into the rows after it, when those are
                // written later in this call: not when accumulating (the spill would add to them), and not past the
                // last row of the last plane (the spill would reach another caller's output).
                rows.SpillLast = !accumulate && k < m - 1;
                int row = 0;
                for (; row + 4 <= oh; row += 4) rows.Vectors<R4>(yk + (nint)row * ow, row, row + 4 < oh);
                switch (oh - row)
                {
                    case 3: rows.Vectors<R3>(yk + (nint)row * ow, row, false); break;
                    case 2: rows.Vectors<R2>(yk + (nint)row * ow, row, false); break;
                    case 1: rows.Vectors<R1>(yk + (nint)row * ow, row, false); break;
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
        /// <summary>Whether the plane's last row may spill (the next plane is written later in the same call).</summary>
        public bool SpillLast;

        /// <summary>
        /// Output rows [row, row + R) (y points at the first) one vector of columns at a time, the last (partial)
        /// vector first. A partial vector (and rows narrower than a vector) still runs whole: it reads up to 7 floats
        /// past the row, which the scratch's slack keeps in bounds. Unless accumulating it is also stored whole, its
        /// spill landing on the start of the next row (rows narrower than 4 store lane by lane), which the vectors stored
        /// after it (or the next block or plane) then overwrite; only the block's last row checks
        /// <paramref name="moreRows"/> and <see cref="SpillLast"/>.
        /// Storing lane by lane instead cost as much as the multiply-adds on 7- and 14-wide planes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public readonly void Vectors<TR>(float* y, int row, bool moreRows) where TR : struct, IRows
        {
            int ow = Width, step = RowStep;
            float* basePtr = Scratch + (nint)row * step;
            float* lanes = stackalloc float[8];
            var b = Vector256.Create(Bias);
            // A spill reaches at most the next row when the partial vector leaves no more than a row's width unset.
            bool spill = !Accumulate && 8 - (ow - (ow - 1) / 8 * 8) <= ow, spillLast = spill && (moreRows || SpillLast);
            for (int o = (ow - 1) / 8 * 8; o >= 0; o -= 8)
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
                Store(a0, y + o, count, lanes, TR.Value > 1 ? spill : spillLast);
                if (TR.Value > 1) Store(a1, y + ow + o, count, lanes, TR.Value > 2 ? spill : spillLast);
                if (TR.Value > 2) Store(a2, y + 2 * ow + o, count, lanes, TR.Value > 3 ? spill : spillLast);
                if (TR.Value > 3) Store(a3, y + 3 * ow + o, count, lanes, spillLast);
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
        private static void Store(Vector256<float> v, float* dst, int count, float* lanes, bool spill)
        {
            if (count == 8 || spill) { v.Store(dst); return; }
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
