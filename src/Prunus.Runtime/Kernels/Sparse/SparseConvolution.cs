using System.Runtime.CompilerServices;
using System.Numerics;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>How a <see cref="SparseConvolution"/> lays out each image for its kernels.</summary>
public enum SparseLowering
{
    /// <summary>
    /// Stride 1: KW shifted copies of the (padded) image, xs[j, c, h, ow] = x[c, h - padTop, ow + j*dw - padLeft];
    /// tap (c, i, j) of every output is then the contiguous run xs[j, c, i*dh + oh, ow] over (oh, ow).
    /// </summary>
    Shift,
    /// <summary>Other strides: the image's im2col columns [C*KH*KW, OH*OW].</summary>
    Im2Col,
}

/// <summary>
/// A convolution with a constant sparse weight W[K, C/G*KH*KW] (rows are output channels): each image is lowered so
/// that every tap is a contiguous run over the output plane, then Y[k, :] = Σ w * run(tap) for the nonzero taps of
/// row k (<see cref="SparseTiles"/>), with bias, residual and activation applied as each tile is stored, straight
/// into y [N, K, OH, OW]. Batches of several images per thread run one image per task; small batches split each
/// image's rows over the threads. Inference only; fixed shapes.
/// </summary>
public sealed unsafe class SparseConvolution : IParallelWork
{
    /// <summary>Stored entries times plane size below which an image runs on the calling thread.</summary>
    internal static long ParallelWork = 1 << 15;

    /// <summary>Floats of one channel panel's lowered image: small enough to stay in L1 while its rows run over it.</summary>
    internal const int PanelFloats = 4096;

    private readonly ConvGeometry _g;
    // One operand per panel of input channels [_panelStart[q], _panelStart[q+1]), lowered one after another.
    private readonly SparseOperand[] _s;
    private readonly int[] _panelStart;
    private readonly long[] _panelBase;
    private readonly long[] _unitWork;
    private readonly long _stored;
    private readonly int _hs;
    private readonly long _lowered;
    private readonly int[] _bounds = new int[130];
    private float[] _shared = [];

    // Operands of the current run.
    private float* _x, _y, _bias, _res;
    private int _image, _parts;
    private bool _perImage;

    /// <summary>The shapes.</summary>
    public ConvGeometry Geometry => _g;
    /// <summary>The weight as found, [K, C*KH*KW] with each group's columns at its channels.</summary>
    public SparseRows Matrix { get; }
    /// <summary>The storage the kernels use.</summary>
    public SparseLayout Layout { get; }
    /// <summary>Panels of input channels the rows sum over one after another.</summary>
    public int Panels => _s.Length;
    /// <summary>How images are lowered.</summary>
    public SparseLowering Lowering { get; }
    /// <summary>The structure found in the weight's zeros.</summary>
    public SparsePattern Pattern { get; }
    /// <summary>Activation applied to the output as it is stored (after bias and residual).</summary>
    public FusedActivation Activation { get; init; }

    /// <summary>Whether the sparse kernels handle <paramref name="g"/> (2-D or 1-D, not depthwise).</summary>
    public static bool Supports(ConvGeometry g) => !DepthwiseConvolution.Applies(g) && g.PadTop >= 0 && g.PadLeft >= 0
        && g.PadBottom >= 0 && g.PadRight >= 0;

    /// <summary>A convolution for <paramref name="g"/> with weight <paramref name="w"/> [K, C/G, KH, KW].</summary>
    public SparseConvolution(ConvGeometry g, ReadOnlySpan<float> w, SparseLayout layout) : this(g, RowsOf(g, w), layout) { }

    /// <summary>As above with the weight already in row form (<see cref="RowsOf"/>).</summary>
    public SparseConvolution(ConvGeometry g, SparseRows rows, SparseLayout layout) : this(g, rows, layout, PanelFloats) { }

    /// <summary>As above with the panel size given (tests of several panels at small shapes).</summary>
    internal SparseConvolution(ConvGeometry g, SparseRows rows, SparseLayout layout, int panelFloats)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(rows);
        g.Validate();
        if (!Supports(g)) throw new ArgumentException($"sparse convolution does not handle {g}");
        if (rows.Rows != g.K || rows.Cols != g.ColRows) throw new ArgumentException($"the sparse weight is {rows.Rows}x{rows.Cols} but {g} needs {g.K}x{g.ColRows}");
        _g = g;
        Matrix = rows;
        Layout = layout;
        Pattern = SparsePattern.Analyze(rows);
        Lowering = g.StrideH == 1 && g.StrideW == 1 ? SparseLowering.Shift : SparseLowering.Im2Col;
        _hs = g.OH + (g.KH - 1) * g.DilationH;
        int p = g.OutPlane, taps = g.Taps, kw = g.KW, hs = _hs, ow = g.OW, dh = g.DilationH, kh = g.KH;
        long perChannel = Lowering == SparseLowering.Shift ? (long)kw * hs * ow : (long)taps * p;
        _lowered = perChannel * g.C;
        if (_lowered + Vector<float>.Count > int.MaxValue) throw new ArgumentException($"the lowered image of {g} is too large");

        // Channel panels whose lowered image fits PanelFloats: rows sum over one panel at a time, so the part of the
        // image they read stays in L1 (partial sums go to y between panels).
        int perPanel = (int)Math.Clamp(panelFloats / Math.Max(perChannel, 1), 1, g.C);
        int panels = (g.C + perPanel - 1) / perPanel;
        _panelStart = new int[panels + 1];
        _panelBase = new long[panels + 1];
        for (int q = 0; q <= panels; q++)
        {
            _panelStart[q] = Math.Min(g.C, q * perPanel);
            _panelBase[q] = _panelStart[q] * perChannel;
        }
        _s = new SparseOperand[panels];
        _unitWork = new long[layout == SparseLayout.Block4 ? (g.K + 3) / 4 : g.K];
        for (int q = 0; q < panels; q++)
        {
            int c0 = _panelStart[q], cp = _panelStart[q + 1] - c0;
            var part = Columns(rows, c0 * taps, (c0 + cp) * taps);
            // Offsets within the panel's lowered image (channels relative to the panel's first).
            _s[q] = SparseOperand.Create(part, layout, Lowering == SparseLowering.Shift
                ? d => ((d % kw * cp + (d / taps - c0)) * hs + d / kw % kh * dh) * ow
                : d => (d - c0 * taps) * p);
            _stored += _s[q].Stored;
            for (int u = 0; u < _unitWork.Length; u++) _unitWork[u] += _s[q].Work(u);
        }
    }

    /// <summary>The columns [d0, d1) of <paramref name="s"/> (indices unchanged), all rows kept.</summary>
    private static SparseRows Columns(SparseRows s, int d0, int d1)
    {
        var start = new int[s.Rows + 1];
        var cols = new List<int>();
        var vals = new List<float>();
        for (int r = 0; r < s.Rows; r++)
        {
            for (int z = s.RowStart[r]; z < s.RowStart[r + 1]; z++)
                if (s.Columns[z] >= d0 && s.Columns[z] < d1)
                {
                    cols.Add(s.Columns[z]);
                    vals.Add(s.Values[z]);
                }
            start[r + 1] = cols.Count;
        }
        return new SparseRows(s.Rows, s.Cols, start, cols.ToArray(), vals.ToArray());
    }

    /// <summary>The weight [K, C/G, KH, KW] as rows [K, C*KH*KW]: row k's group columns moved to its group's channels.</summary>
    public static SparseRows RowsOf(ConvGeometry g, ReadOnlySpan<float> w)
    {
        ArgumentNullException.ThrowIfNull(g);
        int gcr = g.GroupColRows;
        var local = SparseRows.FromDense(w, g.K, gcr, gcr);
        if (g.Groups == 1) return local;
        var cols = (int[])local.Columns.Clone();
        for (int k = 0; k < g.K; k++)
            for (int z = local.RowStart[k]; z < local.RowStart[k + 1]; z++) cols[z] += k / g.Kg * gcr;
        return new SparseRows(g.K, g.ColRows, local.RowStart, cols, local.Values);
    }

    /// <summary>A short name for profiles, e.g. "sparse-csr(density 0.29, shift)".</summary>
    public string Describe() => SparseNames.Describe(Layout, Pattern, Matrix.Density, Lowering == SparseLowering.Shift ? "shift" : "im2col")
        + (Activation.IsNone ? "" : "+" + Activation);

    /// <summary>y = act(conv(x, W) + b + z); b ([K]) and the residual z (y's shape) may be empty.</summary>
    public void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> residual, Span<float> y, WorkerPool? pool)
    {
        var g = _g;
        long inSize = (long)g.N * g.C * g.InPlane, outSize = (long)g.N * g.K * g.OutPlane;
        if (x.Length < inSize) throw new ArgumentException($"x has {x.Length} values but {g} needs {inSize}", nameof(x));
        if (y.Length < outSize) throw new ArgumentException($"y has {y.Length} values but {g} needs {outSize}", nameof(y));
        if (!bias.IsEmpty && bias.Length < g.K) throw new ArgumentException($"bias has {bias.Length} values but needs {g.K}", nameof(bias));
        if (!residual.IsEmpty && residual.Length < outSize) throw new ArgumentException($"the residual has {residual.Length} values but needs {outSize}", nameof(residual));
        if (g.N == 0 || g.OutPlane == 0) return;
        int threads = pool?.Threads ?? 1;
        long work = _stored * g.OutPlane;
        fixed (float* px = x, py = y, pb = bias, pr = residual)
        {
            _x = px; _y = py; _bias = bias.IsEmpty ? null : pb; _res = residual.IsEmpty ? null : pr;
            // Whole images per task when there are enough of them to share out evenly, or too little work to split.
            _perImage = threads == 1 || g.N >= 4 * threads || work < ParallelWork;
            if (_perImage)
            {
                if (threads > 1 && g.N > 1 && work * g.N >= ParallelWork) pool!.For(g.N, this);
                else for (int n = 0; n < g.N; n++) Run(n);
            }
            else
            {
                if (_shared.Length == 0) _shared = GC.AllocateArray<float>((int)_lowered + Vector<float>.Count, pinned: true);
                _parts = Partition(Math.Min(2 * threads, 128));
                fixed (float* lowered = _shared)
                    for (int n = 0; n < g.N; n++)
                    {
                        _image = n;
                        Lower(n, lowered);
                        pool!.For(_parts, this);
                    }
            }
            _x = _y = _bias = _res = null;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int index)
    {
        if (_perImage)
        {
            float* lowered = GemmScratch.Get(0, (int)_lowered + Vector<float>.Count);
            Lower(index, lowered);
            Compute(index, lowered, 0, _unitWork.Length);
        }
        else
            fixed (float* lowered = _shared) Compute(_image, lowered, _bounds[index], _bounds[index + 1]);
    }

    /// <summary>Cuts the units into at most <paramref name="parts"/> ranges of about equal work; returns the count.</summary>
    private int Partition(int parts)
    {
        int units = _unitWork.Length;
        parts = Math.Clamp(parts, 1, Math.Max(1, units));
        long total = 0;
        foreach (long u in _unitWork) total += u + 4;
        _bounds[0] = 0;
        int p = 1;
        long acc = 0;
        for (int u = 0; u < units && p < parts; u++)
        {
            acc += _unitWork[u] + 4;
            if (acc * parts >= total * p) _bounds[p++] = u + 1;
        }
        while (p <= parts) _bounds[p++] = units;
        return parts;
    }

    /// <summary>Rows of units [u0, u1) of image n from its lowered form, panel by panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int n, float* lowered, int u0, int u1)
    {
        if (u1 <= u0) return;
        var g = _g;
        int p = g.OutPlane, panels = _s.Length;
        nint plane = (nint)g.K * p;
        for (int q = 0; q < panels; q++)
        {
            // The first panel writes y, the others add to it; the last adds bias and residual and applies Relu.
            var args = new SpmmArgs
            {
                X = lowered + _panelBase[q],
                Y = _y + n * plane,
                Ldy = p,
                RowBias = q == panels - 1 ? _bias : null,
                Residual = q == panels - 1 && _res != null ? _res + n * plane : null,
                LdRes = p,
                Relu = q == panels - 1 && Activation.IsRelu,
                Accumulate = q > 0,
            };
            _s[q].Run(args, u0, u1, 0, p);
        }
        if (!Activation.IsNone && !Activation.IsRelu)
        {
            var (r0, _) = _s[0].RowsOf(u0);
            var (last, count) = _s[0].RowsOf(u1 - 1);
            Activation.Apply(new Span<float>(_y + n * plane + (nint)r0 * p, (last + count - r0) * p));
        }
    }

    /// <summary>Lowers image n into <paramref name="dst"/> per <see cref="Lowering"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Lower(int n, float* dst)
    {
        var g = _g;
        float* x = _x + (nint)n * g.C * g.InPlane;
        if (Lowering == SparseLowering.Im2Col)
        {
            Im2Col.Lower(g, new ReadOnlySpan<float>(x, g.C * g.InPlane), 0, 1, new Span<float>(dst, (int)_lowered), 0, g.ColRows);
            return;
        }
        int ow = g.OW, hs = _hs, width = g.W, plane = g.InPlane;
        // Rows h of xs read input row h - padTop: those outside [0, H) are padding, whole rows of zeros.
        int h0 = Math.Clamp(g.PadTop, 0, hs), h1 = Math.Clamp(g.PadTop + g.H, h0, hs);
        for (int q = 0; q < _s.Length; q++)
        {
            int c0 = _panelStart[q], cp = _panelStart[q + 1] - c0;
            float* panel = dst + _panelBase[q];
            for (int j = 0; j < g.KW; j++)
            {
                // Output column ow reads input column ow + j*dw - padLeft; outside [0, W) it is padding.
                int shift = j * g.DilationW - g.PadLeft;
                var (lo, hi) = Im2Col.ValidRange(shift, 1, width, ow);
                for (int c = 0; c < cp; c++)
                {
                    float* xs = panel + ((nint)(j * cp + c) * hs) * ow;
                    Zero(xs, h0 * ow);
                    Zero(xs + (nint)h1 * ow, (hs - h1) * ow);
                    if (hi <= lo)
                    {
                        Zero(xs + (nint)h0 * ow, (h1 - h0) * ow);
                        continue;
                    }
                    float* src = x + (nint)(c0 + c) * plane + (nint)(h0 - g.PadTop) * width + lo + shift;
                    float* row = xs + (nint)h0 * ow;
                    if (lo == 0 && hi == ow) CopyRows(src, width, row, ow, h1 - h0);
                    else
                        for (int h = h0; h < h1; h++, src += width, row += ow)
                        {
                            Zero(row, lo);
                            Copy(src, row + lo, hi - lo);
                            Zero(row + hi, ow - hi);
                        }
                }
            }
        }
    }

    /// <summary>rows x n floats from rows <paramref name="lds"/> apart to rows n apart (n at least one vector: whole vectors, the last overlapping).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRows(float* src, int lds, float* dst, int n, int rows)
    {
        int w = Vector<float>.Count;
        if (n < w)
        {
            for (int r = 0; r < rows; r++, src += lds, dst += n) Copy(src, dst, n);
            return;
        }
        int tail = n - w;
        for (int r = 0; r < rows; r++, src += lds, dst += n)
        {
            for (int v = 0; v < tail; v += w) Vector.Load(src + v).Store(dst + v);
            Vector.Load(src + tail).Store(dst + tail);
        }
    }

    // Rows are short (often 8 to 32 floats), where a memmove or memset call costs more than the work: whole vectors,
    // then one last vector ending exactly at n (overlapping what was already written).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int n)
    {
        int w = Vector<float>.Count;
        if (n < w)
        {
            for (int i = 0; i < n; i++) dst[i] = src[i];
            return;
        }
        int v = 0;
        for (; v + w <= n; v += w) Vector.Load(src + v).Store(dst + v);
        if (v < n) Vector.Load(src + n - w).Store(dst + n - w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Zero(float* dst, int n)
    {
        int w = Vector<float>.Count;
        if (n < w)
        {
            for (int i = 0; i < n; i++) dst[i] = 0;
            return;
        }
        int v = 0;
        for (; v + w <= n; v += w) Vector<float>.Zero.Store(dst + v);
        if (v < n) Vector<float>.Zero.Store(dst + n - w);
    }
}
