namespace Prunus.Kernels;

/// <summary>
/// The shapes of a convolution or pooling window over any number of spatial axes: input [N,C,in...], weights
/// [K,C/Groups,kernel...], output [N,K,out...] (K = C for pooling). Each output position and kernel tap maps to an input
/// offset within a plane, or to none when the tap falls in the padding; <see cref="Taps"/> tabulates that once.
/// </summary>
public sealed class WindowGeometryNd
{
    public int N { get; }
    public int C { get; }
    public int K { get; }
    public int Groups { get; }
    public int[] Input { get; }
    public int[] Output { get; }
    public int[] Kernel { get; }
    public int[] Strides { get; }
    public int[] Dilations { get; }
    public int[] PadsBegin { get; }
    public int[] PadsEnd { get; }

    /// <summary>Elements of one input plane (product of the input's spatial sizes).</summary>
    public int InPlane { get; }
    /// <summary>Elements of one output plane.</summary>
    public int OutPlane { get; }
    /// <summary>Taps of the kernel (product of its sizes).</summary>
    public int TapCount { get; }
    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;
    /// <summary>Output channels per group.</summary>
    public int Kg => K / Groups;

    /// <summary>Input offset of tap t at output position o, at [o * TapCount + t]; -1 in the padding.</summary>
    public int[] Taps { get; }
    /// <summary>Per output position: taps inside the input.</summary>
    public int[] InsideCount { get; }
    /// <summary>Per output position: taps inside the input or its pads (count_include_pad's divisor).</summary>
    public int[] PaddedCount { get; }

    public WindowGeometryNd(int n, int c, int k, int groups, int[] input, int[] output, int[] kernel, int[] strides, int[] dilations,
        int[] padsBegin, int[] padsEnd)
    {
        int rank = input.Length;
        if (new[] { output.Length, kernel.Length, strides.Length, dilations.Length, padsBegin.Length, padsEnd.Length }.Any(l => l != rank))
            throw new ArgumentException("every spatial argument needs one value per spatial axis");
        if (groups < 1 || c % groups != 0 || k % groups != 0)
            throw new ArgumentException($"group {groups} must divide input channels {c} and output channels {k}");
        (N, C, K, Groups) = (n, c, k, groups);
        (Input, Output, Kernel, Strides, Dilations, PadsBegin, PadsEnd) = (input, output, kernel, strides, dilations, padsBegin, padsEnd);
        InPlane = input.Aggregate(1, (a, b) => checked(a * b));
        OutPlane = output.Aggregate(1, (a, b) => checked(a * b));
        TapCount = kernel.Aggregate(1, (a, b) => checked(a * b));
        Taps = new int[checked(OutPlane * TapCount)];
        InsideCount = new int[OutPlane];
        PaddedCount = new int[OutPlane];
        var o = new int[rank];
        var t = new int[rank];
        for (int op = 0; op < OutPlane; op++)
        {
            Array.Clear(t);
            for (int tap = 0; tap < TapCount; tap++)
            {
                int offset = 0;
                bool inside = true, padded = true;
                for (int a = 0; a < rank; a++)
                {
                    int i = o[a] * strides[a] - padsBegin[a] + t[a] * dilations[a];
                    inside &= i >= 0 && i < input[a];
                    padded &= i >= -padsBegin[a] && i < input[a] + padsEnd[a];
                    offset = offset * input[a] + i;
                }
                Taps[op * TapCount + tap] = inside ? offset : -1;
                if (inside) InsideCount[op]++;
                if (padded) PaddedCount[op]++;
                Advance(t, kernel);
            }
            Advance(o, output);
        }
    }

    private static void Advance(int[] index, int[] sizes)
    {
        for (int a = index.Length - 1; a >= 0; a--)
        {
            if (++index[a] < sizes[a]) return;
            index[a] = 0;
        }
    }
}

/// <summary>
/// Direct-loop convolution and pooling over a <see cref="WindowGeometryNd"/>: the path for three or more spatial axes,
/// where the im2col and pooling-row kernels (1-D and 2-D) do not apply. Plain scalar loops, accumulating in double; they
/// are their own reference and are tested against the 2-D references on 2-D geometries.
/// </summary>
public static class WindowNd
{
    /// <summary>y = conv(x, w) + b (b may be empty), or y += conv(x, w) + b when <paramref name="accumulate"/>.</summary>
    public static void ConvForward(WindowGeometryNd g, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, Span<float> y,
        bool accumulate = false)
    {
        int cg = g.Cg, kg = g.Kg, taps = g.TapCount;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int c0 = k / kg * cg;
                var yp = y.Slice((n * g.K + k) * g.OutPlane, g.OutPlane);
                for (int o = 0; o < g.OutPlane; o++)
                {
                    double s = b.IsEmpty ? 0 : b[k];
                    for (int c = 0; c < cg; c++)
                    {
                        var xp = x.Slice((n * g.C + c0 + c) * g.InPlane, g.InPlane);
                        var wk = w.Slice((k * cg + c) * taps, taps);
                        for (int t = 0; t < taps; t++)
                            if (g.Taps[o * taps + t] is var at and >= 0) s += (double)wk[t] * xp[at];
                    }
                    yp[o] = accumulate ? yp[o] + (float)s : (float)s;
                }
            }
    }

    /// <summary>dx += the transposed convolution of dy with w (each output gradient scattered back through its taps).</summary>
    public static void ConvBackwardData(WindowGeometryNd g, ReadOnlySpan<float> w, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int cg = g.Cg, kg = g.Kg, taps = g.TapCount;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int c0 = k / kg * cg;
                var dyp = dy.Slice((n * g.K + k) * g.OutPlane, g.OutPlane);
                for (int c = 0; c < cg; c++)
                {
                    var dxp = dx.Slice((n * g.C + c0 + c) * g.InPlane, g.InPlane);
                    var wk = w.Slice((k * cg + c) * taps, taps);
                    for (int o = 0; o < g.OutPlane; o++)
                    {
                        float d = dyp[o];
                        for (int t = 0; t < taps; t++)
                            if (g.Taps[o * taps + t] is var at and >= 0) dxp[at] += wk[t] * d;
                    }
                }
            }
    }

    /// <summary>dw += Σ dy·x over the taps; db += Σ dy per output channel (either may be empty).</summary>
    public static void ConvBackwardWeights(WindowGeometryNd g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dw, Span<float> db)
    {
        int cg = g.Cg, kg = g.Kg, taps = g.TapCount;
        for (int k = 0; k < g.K; k++)
        {
            int c0 = k / kg * cg;
            if (!db.IsEmpty)
            {
                double s = 0;
                for (int n = 0; n < g.N; n++)
                    foreach (float v in dy.Slice((n * g.K + k) * g.OutPlane, g.OutPlane)) s += v;
                db[k] += (float)s;
            }
            if (dw.IsEmpty) continue;
            for (int c = 0; c < cg; c++)
                for (int t = 0; t < taps; t++)
                {
                    double s = 0;
                    for (int n = 0; n < g.N; n++)
                    {
                        var dyp = dy.Slice((n * g.K + k) * g.OutPlane, g.OutPlane);
                        var xp = x.Slice((n * g.C + c0 + c) * g.InPlane, g.InPlane);
                        for (int o = 0; o < g.OutPlane; o++)
                            if (g.Taps[o * taps + t] is var at and >= 0) s += (double)dyp[o] * xp[at];
                    }
                    dw[(k * cg + c) * taps + t] += (float)s;
                }
        }
    }

    /// <summary>
    /// y = max over each window (pads never win; an empty window gives <see cref="PoolingKernels.EmptyMax"/>); when
    /// <paramref name="indices"/> is not empty it receives each maximum's flat row-major index into x, -1 for none.
    /// </summary>
    public static void MaxForward(WindowGeometryNd g, ReadOnlySpan<float> x, Span<float> y, Span<long> indices)
    {
        int taps = g.TapCount;
        for (int p = 0; p < g.N * g.C; p++)
        {
            var xp = x.Slice(p * g.InPlane, g.InPlane);
            for (int o = 0; o < g.OutPlane; o++)
            {
                float m = PoolingKernels.EmptyMax;
                int best = -1;
                for (int t = 0; t < taps; t++)
                    if (g.Taps[o * taps + t] is var at and >= 0 && (best < 0 || xp[at] > m)) (m, best) = (xp[at], at);
                y[p * g.OutPlane + o] = m;
                if (!indices.IsEmpty) indices[p * g.OutPlane + o] = best < 0 ? -1 : (long)p * g.InPlane + best;
            }
        }
    }

    /// <summary>dx += dy at each window's first maximal element, found again from x.</summary>
    public static void MaxBackward(WindowGeometryNd g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int taps = g.TapCount;
        for (int p = 0; p < g.N * g.C; p++)
        {
            var xp = x.Slice(p * g.InPlane, g.InPlane);
            var dxp = dx.Slice(p * g.InPlane, g.InPlane);
            for (int o = 0; o < g.OutPlane; o++)
            {
                int best = -1;
                for (int t = 0; t < taps; t++)
                    if (g.Taps[o * taps + t] is var at and >= 0 && (best < 0 || xp[at] > xp[best])) best = at;
                if (best >= 0) dxp[best] += dy[p * g.OutPlane + o];
            }
        }
    }

    /// <summary>y = mean over each window: the sum of the taps inside x over the inside taps, or over the taps inside x or its pads.</summary>
    public static void AverageForward(WindowGeometryNd g, bool countIncludePad, ReadOnlySpan<float> x, Span<float> y)
    {
        int taps = g.TapCount;
        var count = countIncludePad ? g.PaddedCount : g.InsideCount;
        for (int p = 0; p < g.N * g.C; p++)
        {
            var xp = x.Slice(p * g.InPlane, g.InPlane);
            for (int o = 0; o < g.OutPlane; o++)
            {
                double s = 0;
                for (int t = 0; t < taps; t++)
                    if (g.Taps[o * taps + t] is var at and >= 0) s += xp[at];
                y[p * g.OutPlane + o] = count[o] == 0 ? 0 : (float)(s / count[o]);
            }
        }
    }

    /// <summary>dx += dy / divisor at every inside tap of each window.</summary>
    public static void AverageBackward(WindowGeometryNd g, bool countIncludePad, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int taps = g.TapCount;
        var count = countIncludePad ? g.PaddedCount : g.InsideCount;
        for (int p = 0; p < g.N * g.C; p++)
        {
            var dxp = dx.Slice(p * g.InPlane, g.InPlane);
            for (int o = 0; o < g.OutPlane; o++)
            {
                if (count[o] == 0) continue;
                float d = dy[p * g.OutPlane + o] / count[o];
                for (int t = 0; t < taps; t++)
                    if (g.Taps[o * taps + t] is var at and >= 0) dxp[at] += d;
            }
        }
    }
}
