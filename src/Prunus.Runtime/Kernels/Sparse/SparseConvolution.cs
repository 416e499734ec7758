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
    /// <summary>
    /// Output rows at least a vector wide: a tile is output rows at one column offset (up to twelve, or three of four
    /// output channels in the block layout), and tap (c, i, j) reads input rows where they are (stride 1, no padding,
    /// whole vectors per row: nothing is lowered), else from a padded copy of the image, split into its stride phases
    /// when the stride is above 1 (so that every tap is again a contiguous run of each output row).
    /// </summary>
    Rows,
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

    private readonly ConvGeometry _g;
    private readonly SparseOperand _s;
    private readonly int _hs, _hp, _wp, _hph, _wph;
    private readonly long _lowered;
    /// <summary>Rows lowering reading x itself (no padding, whole vectors per output row).</summary>
    private readonly bool _inPlace;

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
    /// <summary>How images are lowered.</summary>
    public SparseLowering Lowering { get; }
    /// <summary>The structure found in the weight's zeros.</summary>
    public SparsePattern Pattern { get; }
    /// <summary>Activation applied to the output as it is stored (after bias and residual).</summary>
    public FusedActivation Activation { get; init; }

    /// <summary>
    /// Called with n once image n's outputs are all written: by the thread that computed the image when images run
    /// one per task, by the caller otherwise. Lets a consumer use each image while it is still in cache.
    /// </summary>
    public Action<int>? ImageDone { get; set; }

    /// <summary>Whether the sparse kernels handle <paramref name="g"/> (2-D or 1-D, not depthwise).</summary>
    public static bool Supports(ConvGeometry g) => !DepthwiseConvolution.Applies(g) && g.PadTop >= 0 && g.PadLeft >= 0
        && g.PadBottom >= 0 && g.PadRight >= 0;

    /// <summary>A convolution for <paramref name="g"/> with weight <paramref name="w"/> [K, C/G, KH, KW].</summary>
    public SparseConvolution(ConvGeometry g, ReadOnlySpan<float> w, SparseLayout layout) : this(g, RowsOf(g, w), layout) { }

    /// <summary>As above with the weight already in row form (<see cref="RowsOf"/>).</summary>
    public SparseConvolution(ConvGeometry g, SparseRows rows, SparseLayout layout) : this(g, rows, layout, rowsAllowed: true) { }

    /// <summary>As above; <paramref name="rowsAllowed"/> false keeps the shift (stride 1) or im2col lowering (tests, comparisons).</summary>
    internal SparseConvolution(ConvGeometry g, SparseRows rows, SparseLayout layout, bool rowsAllowed)
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
        Lowering = ChooseLowering(g, rowsAllowed);
        int sh = g.StrideH, sw = g.StrideW;
        _hs = g.OH + (g.KH - 1) * g.DilationH;
        _hp = g.H + g.PadTop + g.PadBottom;
        _wp = g.W + g.PadLeft + g.PadRight;
        if (Lowering == SparseLowering.Rows && layout == SparseLayout.Csr && LineAlignedRows(g)) _wp = (_wp + LineFloats - 1) / LineFloats * LineFloats;
        // Phase images (one per stride offset): rows of phase (a, b) are padded rows a, a + sh, ..., columns likewise.
        _hph = (_hp + sh - 1) / sh;
        _wph = (_wp + sw - 1) / sw;
        _inPlace = Lowering == SparseLowering.Rows && sh == 1 && sw == 1 && _hp == g.H && _wp == g.W && g.OW % Vector<float>.Count == 0;
        int p = g.OutPlane, taps = g.Taps, kw = g.KW, kh = g.KH, hs = _hs, c = g.C, ow = g.OW, dh = g.DilationH, dw = g.DilationW;
        int hph = _hph, wph = _wph;
        _lowered = Lowering switch
        {
            SparseLowering.Shift => (long)kw * c * hs * ow,
            SparseLowering.Rows => _inPlace ? 0 : (long)c * sh * sw * hph * wph,
            _ => (long)g.ColRows * p,
        };
        if (_lowered + Vector<float>.Count > int.MaxValue) throw new ArgumentException($"the lowered image of {g} is too large");
        _s = SparseOperand.Create(rows, layout, Lowering switch
        {
            SparseLowering.Shift => d => ((d % kw * c + d / taps) * hs + d / kw % kh * dh) * ow,
            SparseLowering.Rows => d =>
            {
                int i = d / kw % kh * dh, j = d % kw * dw;
                return (((d / taps * sh + i % sh) * sw + j % sw) * hph + i / sh) * wph + j / sw;
            },
            _ => d => d * p,
        });
    }

    /// <summary>How <paramref name="g"/> is lowered: by rows where output rows hold a vector and rows pay, else shifted copies (stride 1) or im2col.</summary>
    internal static SparseLowering ChooseLowering(ConvGeometry g, bool rowsAllowed = true)
    {
        bool stride1 = g.StrideH == 1 && g.StrideW == 1;
        if (rowsAllowed && g.OW >= Vector<float>.Count && (!stride1 || RowsPay(g))) return SparseLowering.Rows;
        return stride1 ? SparseLowering.Shift : SparseLowering.Im2Col;
    }

    /// <summary>
    /// Whether reading input rows in place beats the shifted copies for <paramref name="g"/>. The copies make every
    /// load of a tile vector-aligned, while rows read in place start at each tap's column (about half the loads then
    /// straddle a cache line); but the copies hold KW images, and when they outgrow L1 every output channel streams
    /// them from L2. Measured on LeNet-5 (AMD EPYC, AVX2, batch 64, one thread): the second layer (copies 38 KB)
    /// 1.58-1.79 ms shifted against 1.33-1.42 ms by rows; the first (copies 13 KB) 0.70-0.80 against 0.88-0.97. Images
    /// split over threads (small batches) are lowered by one thread while the others wait, so there rows won in both
    /// layers (batch 1, two threads: 0.032-0.037 against 0.019-0.020 ms, and 0.017 against 0.013-0.015 ms).
    /// </summary>
    internal static bool RowsPay(ConvGeometry g)
    {
        long shiftBytes = 4L * g.KW * g.C * (g.OH + (g.KH - 1) * g.DilationH) * g.OW;
        return SplitsImages(g) || shiftBytes > ShiftCopiesInL1;
    }

    /// <summary>Bytes of shifted copies that still stay in a 32 KB L1 data cache beside the output tiles.</summary>
    internal const long ShiftCopiesInL1 = 24 << 10;

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
    public string Describe() => SparseNames.Describe(Layout, Pattern, Matrix.Density, Lowering switch
    {
        SparseLowering.Shift => "shift",
        SparseLowering.Rows => _inPlace ? "rows in place" : "rows",
        _ => "im2col",
    })
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
        long work = _s.Stored * g.OutPlane;
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
                if (_shared.Length == 0 && !_inPlace) _shared = GC.AllocateArray<float>((int)_lowered + Vector<float>.Count + LineFloats, pinned: true);
                // Several parts per thread: a thread that is descheduled mid-run (a shared machine) then holds up less.
                _parts = _s.Partition(Math.Min(4 * threads, 128), _bounds);
                fixed (float* shared = _shared)
                {
                    float* lowered = LineAligned(shared);
                    for (int n = 0; n < g.N; n++)
                    {
                        _image = n;
                        if (!_inPlace) Lower(n, lowered);
                        pool!.For(_parts, this);
                        ImageDone?.Invoke(n);
                    }
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
            float* lowered = _inPlace ? Input(index) : GemmScratch.Get(0, (int)_lowered + Vector<float>.Count);
            if (!_inPlace) Lower(index, lowered);
            Compute(index, lowered, 0, _s.Units);
            ImageDone?.Invoke(index);
        }
        else if (_inPlace) Compute(_image, Input(_image), _bounds[index], _bounds[index + 1]);
        else
            fixed (float* shared = _shared) Compute(_image, LineAligned(shared), _bounds[index], _bounds[index + 1]);
    }

    /// <summary>Floats in a 64-byte cache line.</summary>
    private const int LineFloats = 16;

    /// <summary>Whether <see cref="LineAlignedRows"/> may pad rows (off for timing against reading them in place).</summary>
    internal static bool LineAlignment { get; set; } = true;

    /// <summary>
    /// The first line boundary at or after <paramref name="p"/>: the shared buffer of split images, like each thread's
    /// scratch (<see cref="GemmScratch"/>), starts on a line, so that padded rows are line-aligned in either mode.
    /// </summary>
    private static float* LineAligned(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);

    /// <summary>
    /// Whether CSR rows of <paramref name="g"/> are copied at a stride of whole cache lines rather than read in place:
    /// stride 1 with each output row one vector (OW at most a vector), so that every tap's load (its column offset
    /// within the row plus a vector) stays inside one line. Read in place, rows start anywhere in a line and about
    /// half of the loads straddle two lines, which costs the load port twice; CSR tiles load once per multiply-add
    /// and are bound by those loads. LeNet-5's second layer (12-wide rows, 8-wide outputs, density 0.39, one thread,
    /// batch 64): 1.27-1.28 ms with the copy against 1.44 ms in place, best of 301; two threads 0.69-0.75 against
    /// 0.81-0.85 ms. In whole models the copy takes most of that back: 90%- and 95%-sparse LeNet-5 and the 90%-sparse
    /// int8 one at batch 64 ran 1.000x to 1.021x faster (`switch-ab ... line-rows`, faster in 26 to 29 of 40 rounds).
    /// The four-row blocks load once per four multiply-adds and did not gain (dense, 2.40-2.72 ms against 2.40-2.42),
    /// nor did the integer direct kernel with its rows padded alike. Small batches, whose images are split over
    /// threads, keep reading in place: there one thread would copy while the others wait.
    /// </summary>
    internal static bool LineAlignedRows(ConvGeometry g) => g.StrideH == 1 && g.StrideW == 1 && g.OW <= Vector<float>.Count
        && (g.KW - 1) * g.DilationW + Vector<float>.Count <= LineFloats && !SplitsImages(g) && LineAlignment;

    /// <summary>Whether images of <paramref name="g"/> are expected to be split over threads (too few to share out whole).</summary>
    private static bool SplitsImages(ConvGeometry g) => g.N < 4 * Environment.ProcessorCount;

    /// <summary>Image n of the input.</summary>
    private float* Input(int n) => _x + (nint)n * _g.C * _g.InPlane;

    /// <summary>Rows of units [u0, u1) of image n from its lowered form.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int n, float* lowered, int u0, int u1)
    {
        if (u1 <= u0) return;
        var g = _g;
        int p = g.OutPlane;
        nint plane = (nint)g.K * p;
        var args = new SpmmArgs
        {
            X = lowered,
            Y = _y + n * plane,
            Ldy = p,
            RowBias = _bias,
            Residual = _res == null ? null : _res + n * plane,
            LdRes = p,
            Relu = Activation.IsRelu,
        };
        if (Lowering == SparseLowering.Rows) _s.RunRows(args, u0, u1, g.OH, g.OW, _wph);
        else _s.Run(args, u0, u1, 0, p);
        if (!Activation.IsNone && !Activation.IsRelu)
        {
            var (r0, _) = _s.RowsOf(u0);
            var (last, count) = _s.RowsOf(u1 - 1);
            Activation.Apply(new Span<float>(args.Y + (nint)r0 * p, (last + count - r0) * p));
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
        if (Lowering == SparseLowering.Rows)
        {
            Pad(x, dst);
            return;
        }
        int ow = g.OW, hs = _hs, width = g.W, plane = g.InPlane;
        // Rows h of xs read input row h - padTop: those outside [0, H) are padding, whole rows of zeros.
        int h0 = Math.Clamp(g.PadTop, 0, hs), h1 = Math.Clamp(g.PadTop + g.H, h0, hs);
        for (int j = 0; j < g.KW; j++)
        {
            // Output column ow reads input column ow + j*dw - padLeft; outside [0, W) it is padding.
            int shift = j * g.DilationW - g.PadLeft;
            var (lo, hi) = Im2Col.ValidRange(shift, 1, width, ow);
            for (int c = 0; c < g.C; c++)
            {
                float* xs = dst + ((nint)(j * g.C + c) * hs) * ow;
                Zero(xs, h0 * ow);
                Zero(xs + (nint)h1 * ow, (hs - h1) * ow);
                if (hi <= lo)
                {
                    Zero(xs + (nint)h0 * ow, (h1 - h0) * ow);
                    continue;
                }
                float* src = x + (nint)c * plane + (nint)(h0 - g.PadTop) * width + lo + shift;
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

    /// <summary>
    /// The image zero-padded to [C, Hp, Wp] and, for strides above 1, split into its phase images [C, SH, SW, Hp/SH,
    /// Wp/SW] (phase (a, b) holds padded rows a, a + SH, ... and columns b, b + SW, ...: a strided convolution becomes a
    /// stride-1 one over them); then a vector of zeros, the slack that the loads of a partial last vector of a row
    /// read past the image (into lanes that are not stored).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pad(float* x, float* dst)
    {
        var g = _g;
        int hp = _hp, wp = _wp, width = g.W, sh = g.StrideH, sw = g.StrideW;
        if (sh == 1 && sw == 1)
            for (int c = 0; c < g.C; c++)
            {
                float* src = x + (nint)c * g.InPlane;
                float* plane = dst + (nint)c * hp * wp;
                Zero(plane, g.PadTop * wp);
                float* row = plane + (nint)g.PadTop * wp;
                for (int h = 0; h < g.H; h++, src += width, row += wp)
                {
                    Zero(row, g.PadLeft);
                    Copy(src, row + g.PadLeft, width);
                    Zero(row + g.PadLeft + width, wp - g.PadLeft - width);
                }
                Zero(row, g.PadBottom * wp);
            }
        else
        {
            int hph = _hph, wph = _wph;
            float* o = dst;
            for (int c = 0; c < g.C; c++)
                for (int a = 0; a < sh; a++)
                    for (int b = 0; b < sw; b++)
                        for (int u = 0; u < hph; u++, o += wph)
                        {
                            int ir = u * sh + a - g.PadTop;
                            if (ir < 0 || ir >= g.H)
                            {
                                Zero(o, wph);
                                continue;
                            }
                            float* src = x + (nint)c * g.InPlane + (nint)ir * width;
                            for (int v = 0; v < wph; v++)
                            {
                                int ic = v * sw + b - g.PadLeft;
                                o[v] = (uint)ic < (uint)width ? src[ic] : 0;
                            }
                        }
        }
        Zero(dst + _lowered, Vector<float>.Count);
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
