using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>Which reduction a pooling window applies.</summary>
public enum PoolKind
{
    /// <summary>Maximum over the window's elements inside the input (pads never win).</summary>
    Max,
    /// <summary>Mean over the window, dividing by the taps inside the input, or inside input plus pads.</summary>
    Average,
}

/// <summary>
/// Per-plane pooling kernels over [H,W] planes of a <see cref="ConvGeometry"/> (C = K, one plane in, one plane out).
/// Each output row first reduces its KH input rows elementwise with SIMD into a row buffer (max or sum of W floats),
/// then reduces the KW taps of all interior outputs at once with SIMD over shifted runs of that buffer, and picks
/// every stride-th result; only windows that overhang the row's ends take a scalar loop. The window's valid taps form a rectangle, so the average's
/// divisor is a product of per-row and per-column counts. <see cref="PoolingReference"/> is the scalar reference.
/// </summary>
public static class PoolingKernels
{
    /// <summary>What an empty window (entirely in padding) yields for max pooling, as ONNX Runtime does.</summary>
    public const float EmptyMax = float.MinValue;

    /// <summary>Taps of axis positions o*stride - pad + i*dilation counted for averaging: inside [lo, hi).</summary>
    public static int[] TapCounts(int outputs, int kernel, int stride, int dilation, int padBegin, int lo, int hi)
    {
        var counts = new int[outputs];
        for (int o = 0; o < outputs; o++)
            for (int i = 0; i < kernel; i++)
            {
                int p = o * stride - padBegin + i * dilation;
                if (p >= lo && p < hi) counts[o]++;
            }
        return counts;
    }

    /// <summary>The outputs whose whole window lies inside a row of W: [lo, hi).</summary>
    public static (int Lo, int Hi) InteriorColumns(ConvGeometry g)
    {
        int lo = Im2Col.ValidRange(-g.PadLeft, g.StrideW, g.W, g.OW).Lo;
        int hi = Im2Col.ValidRange(-g.PadLeft + (g.KW - 1) * g.DilationW, g.StrideW, g.W, g.OW).Hi;
        return (lo, Math.Max(lo, hi));
    }

    /// <summary>y = max pool of plane x; <paramref name="rows"/> holds at least 2·W floats.</summary>
    public static void MaxPlane(ConvGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<float> rows)
    {
        var buf = rows[..g.W];
        var tmp = rows.Slice(g.W, g.W);
        var (oLo, oHi) = InteriorColumns(g);
        for (int oh = 0; oh < g.OH; oh++)
        {
            var yrow = y.Slice(oh * g.OW, g.OW);
            if (!ReduceRows(g, x, oh, buf, max: true)) { yrow.Fill(EmptyMax); continue; }
            ReduceColumns(g, buf, tmp, yrow, oLo, oHi, max: true, 1);
            for (int ow = 0; ow < g.OW; ow++)
            {
                if (ow == oLo && oHi > oLo) { ow = oHi - 1; continue; }
                float m = float.NegativeInfinity;
                bool any = false;
                for (int j = 0, iw = ow * g.StrideW - g.PadLeft; j < g.KW; j++, iw += g.DilationW)
                    if ((uint)iw < (uint)g.W) { m = Math.Max(m, buf[iw]); any = true; }
                yrow[ow] = any ? m : EmptyMax;
            }
        }
    }

    /// <summary>Whether <see cref="MaxPlane2x2"/> applies: 2x2 windows, stride 2, no dilation or pads, no overhang.</summary>
    public static bool Is2x2Stride2(ConvGeometry g) =>
        g.KH == 2 && g.KW == 2 && g.StrideH == 2 && g.StrideW == 2 && g.DilationH == 1 && g.DilationW == 1
        && g.PadTop == 0 && g.PadLeft == 0 && 2 * g.OH <= g.H && 2 * g.OW <= g.W;

    /// <summary>
    /// The common 2x2/stride-2 max pool: vertical max of two rows, then AVX2 even/odd deinterleave of 16 columns into
    /// 8 pairwise maxima. Needs <see cref="Is2x2Stride2"/>; falls back to scalar where AVX2 is off and for row tails.
    /// </summary>
    public static void MaxPlane2x2(ConvGeometry g, ReadOnlySpan<float> x, Span<float> y)
    {
        int w = g.W, ow = g.OW;
        if (x.Length < g.InPlane || y.Length < g.OutPlane) throw new ArgumentException("plane buffers are too short");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        for (int oh = 0; oh < g.OH; oh++)
        {
            ref float r0 = ref Unsafe.Add(ref px, 2 * oh * w);
            ref float r1 = ref Unsafe.Add(ref r0, w);
            ref float yr = ref Unsafe.Add(ref py, oh * ow);
            int o = 0;
            if (Avx2.IsSupported)
                for (; o + 8 <= ow; o += 8)
                {
                    var a = Avx.Max(Vector256.LoadUnsafe(ref r0, (nuint)(2 * o)), Vector256.LoadUnsafe(ref r1, (nuint)(2 * o)));
                    var b = Avx.Max(Vector256.LoadUnsafe(ref r0, (nuint)(2 * o + 8)), Vector256.LoadUnsafe(ref r1, (nuint)(2 * o + 8)));
                    PairMax(a, b).StoreUnsafe(ref yr, (nuint)o);
                }
            for (; o < ow; o++)
            {
                float m0 = Math.Max(Unsafe.Add(ref r0, 2 * o), Unsafe.Add(ref r0, 2 * o + 1));
                float m1 = Math.Max(Unsafe.Add(ref r1, 2 * o), Unsafe.Add(ref r1, 2 * o + 1));
                Unsafe.Add(ref yr, o) = Math.Max(m0, m1);
            }
        }
    }

    /// <summary>
    /// Whether <see cref="MaxPlanes2x2Tiled"/> applies: <see cref="Is2x2Stride2"/> with every input row and column in
    /// exactly one window (H = 2·OH, W = 2·OW), and rows of at most 4096 floats (its buffer lives on the stack).
    /// </summary>
    public static bool Is2x2Tiled(ConvGeometry g) => Is2x2Stride2(g) && g.H == 2 * g.OH && g.W == 2 * g.OW && g.W <= 4096;

    /// <summary>
    /// <paramref name="planes"/> consecutive planes of a <see cref="Is2x2Tiled"/> max pool at once. The input is then a
    /// run of row pairs and the output of a row pair is its OW pairwise maxima, so the planes are pooled as one stream:
    /// the vertical maxima of a block of row pairs go to a buffer, whose column pairs never straddle two rows (W is
    /// even) and are reduced 16 floats to 8 in one pass. Narrow planes (LeNet's 24- and 8-wide ones) thus vectorize
    /// fully, where a row-by-row kernel leaves most of each row to its scalar tail.
    /// </summary>
    public static unsafe void MaxPlanes2x2Tiled(ConvGeometry g, int planes, ReadOnlySpan<float> x, Span<float> y)
    {
        if (!Is2x2Tiled(g)) throw new ArgumentException($"{g} is not a 2x2/stride-2 pool that tiles its input");
        int w = g.W, pairs = planes * g.OH;
        if (x.Length < (long)planes * g.InPlane || y.Length < (long)planes * g.OutPlane) throw new ArgumentException("plane buffers are too short");
        // Row pairs per block: the buffer holds at most 1024 floats, and at least one row pair.
        int block = Math.Max(1, 1024 / w);
        float* buf = stackalloc float[block * w + 16];
        fixed (float* px = x, py = y)
        {
            float* src = px, dst = py;
            for (int r0 = 0; r0 < pairs; r0 += block)
            {
                int rows = Math.Min(block, pairs - r0), n = rows * w;
                for (int r = 0; r < rows; r++, src += 2 * w) MaxRows(src, src + w, buf + r * w, w);
                int o = 0;
                if (Avx2.IsSupported)
                    for (; 2 * o + 16 <= n; o += 8) PairMax(Vector256.Load(buf + 2 * o), Vector256.Load(buf + 2 * o + 8)).Store(dst + o);
                for (; 2 * o < n; o++) dst[o] = Math.Max(buf[2 * o], buf[2 * o + 1]);
                dst += n / 2;
            }
        }
    }

    /// <summary>The maxima of the 8 adjacent pairs of the 16 floats a then b, in order (needs AVX2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> PairMax(Vector256<float> a, Vector256<float> b)
    {
        // Even and odd lanes deinterleaved per 128-bit half: [o0 o1 o4 o5 | o2 o3 o6 o7], put in order by swapping the
        // middle 64-bit halves.
        var m = Avx.Max(Avx.Shuffle(a, b, 0b10_00_10_00), Avx.Shuffle(a, b, 0b11_01_11_01));
        return Avx2.Permute4x64(m.AsDouble(), 0b11_01_10_00).AsSingle();
    }

    /// <summary>dst[i] = max(a[i], b[i]) for i &lt; n: whole vectors, the last one overlapping when n is not a multiple.</summary>
    private static unsafe void MaxRows(float* a, float* b, float* dst, int n)
    {
        int v = Vector256<float>.Count;
        if (n < v || !Vector256.IsHardwareAccelerated)
        {
            for (int i = 0; i < n; i++) dst[i] = Math.Max(a[i], b[i]);
            return;
        }
        for (int i = 0; i + v <= n; i += v) Vector256.Max(Vector256.Load(a + i), Vector256.Load(b + i)).Store(dst + i);
        if (n % v != 0) Vector256.Max(Vector256.Load(a + n - v), Vector256.Load(b + n - v)).Store(dst + n - v);
    }

    /// <summary>y = average pool of plane x, dividing by countH[oh]·countW[ow]; <paramref name="rows"/> holds 2·W floats.</summary>
    public static void AveragePlane(ConvGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<float> rows, int[] countH, int[] countW)
    {
        var buf = rows[..g.W];
        var tmp = rows.Slice(g.W, g.W);
        var (oLo, oHi) = InteriorColumns(g);
        for (int oh = 0; oh < g.OH; oh++)
        {
            var yrow = y.Slice(oh * g.OW, g.OW);
            if (!ReduceRows(g, x, oh, buf, max: false)) { yrow.Clear(); continue; }
            // Interior windows count all KW columns.
            if (countH[oh] > 0) ReduceColumns(g, buf, tmp, yrow, oLo, oHi, max: false, 1f / (countH[oh] * g.KW));
            else yrow[oLo..oHi].Clear();
            for (int ow = 0; ow < g.OW; ow++)
            {
                if (ow == oLo && oHi > oLo) { ow = oHi - 1; continue; }
                float s = 0;
                for (int j = 0, iw = ow * g.StrideW - g.PadLeft; j < g.KW; j++, iw += g.DilationW)
                    if ((uint)iw < (uint)g.W) s += buf[iw];
                int count = countH[oh] * countW[ow];
                yrow[ow] = count == 0 ? 0 : s / count;
            }
        }
    }

    // yrow[o] for interior outputs o in [oLo, oHi): the KW taps reduced over a contiguous run with SIMD (one shifted
    // operand per tap), then every stride-th element picked (and scaled for averages).
    private static void ReduceColumns(ConvGeometry g, ReadOnlySpan<float> buf, Span<float> tmp, Span<float> yrow, int oLo, int oHi,
        bool max, float scale)
    {
        if (oHi <= oLo) return;
        int s = g.StrideW, p0 = oLo * s - g.PadLeft, len = (oHi - 1 - oLo) * s + 1;
        var run = s == 1 ? yrow.Slice(oLo, len) : tmp[..len];
        buf.Slice(p0, len).CopyTo(run);
        for (int j = 1; j < g.KW; j++)
        {
            var src = buf.Slice(p0 + j * g.DilationW, len);
            if (max) ChannelMath.MaxInPlace(run, src);
            else ChannelMath.AddInPlace(run, src);
        }
        if (s == 1)
        {
            if (!max) ChannelMath.Affine(run, scale, 0, run);
            return;
        }
        for (int o = oLo; o < oHi; o++) yrow[o] = run[(o - oLo) * s] * scale;
    }

    // buf = elementwise max or sum of the input rows under output row oh; false when no row is inside the input.
    private static bool ReduceRows(ConvGeometry g, ReadOnlySpan<float> x, int oh, Span<float> buf, bool max)
    {
        bool any = false;
        for (int i = 0, ih = oh * g.StrideH - g.PadTop; i < g.KH; i++, ih += g.DilationH)
        {
            if ((uint)ih >= (uint)g.H) continue;
            var src = x.Slice(ih * g.W, g.W);
            if (!any) src.CopyTo(buf);
            else if (max) ChannelMath.MaxInPlace(buf, src);
            else ChannelMath.AddInPlace(buf, src);
            any = true;
        }
        return any;
    }

    /// <summary><see cref="MaxBackwardPlane"/> for <see cref="Is2x2Stride2"/> geometries: four fixed taps per window.</summary>
    public static void MaxBackwardPlane2x2(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        int w = g.W, ow = g.OW;
        if (x.Length < g.InPlane || dx.Length < g.InPlane || y.Length < g.OutPlane || dy.Length < g.OutPlane)
            throw new ArgumentException("plane buffers are too short");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pdx = ref MemoryMarshal.GetReference(dx);
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float pdy = ref MemoryMarshal.GetReference(dy);
        for (int oh = 0; oh < g.OH; oh++)
            for (int o = 0, b = 2 * oh * w, k = oh * ow; o < ow; o++, b += 2, k++)
            {
                // Which tap holds the maximum is data-dependent and unpredictable: select without branches, the
                // first matching tap (in row-major order) winning as in the forward.
                float m = Unsafe.Add(ref py, k);
                int at = b + w + 1;
                at = Unsafe.Add(ref px, b + w) == m ? b + w : at;
                at = Unsafe.Add(ref px, b + 1) == m ? b + 1 : at;
                at = Unsafe.Add(ref px, b) == m ? b : at;
                Unsafe.Add(ref pdx, at) += Unsafe.Add(ref pdy, k);
            }
    }

    /// <summary>dx += dy routed to the first element of each window equal to its maximum y (the forward's argmax).</summary>
    public static void MaxBackwardPlane(ConvGeometry g, ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var (oLo, oHi) = InteriorColumns(g);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int ih0 = oh * g.StrideH - g.PadTop;
            bool rowsInside = ih0 >= 0 && ih0 + (g.KH - 1) * g.DilationH < g.H;
            for (int ow = 0; ow < g.OW; ow++)
            {
                int o = oh * g.OW + ow;
                int at = rowsInside && ow >= oLo && ow < oHi ? ArgMaxInterior(g, x, ih0, ow * g.StrideW - g.PadLeft, y[o]) : ArgMax(g, x, oh, ow, y[o]);
                if (at >= 0) dx[at] += dy[o];
            }
        }
    }

    // A window wholly inside the plane: no bounds checks per tap.
    private static int ArgMaxInterior(ConvGeometry g, ReadOnlySpan<float> x, int ih0, int iw0, float m)
    {
        for (int i = 0, r = ih0 * g.W + iw0; i < g.KH; i++, r += g.DilationH * g.W)
        {
            var row = x.Slice(r, (g.KW - 1) * g.DilationW + 1);
            for (int j = 0; j < row.Length; j += g.DilationW)
                if (row[j] == m) return r + j;
        }
        return -1;
    }

    private static int ArgMax(ConvGeometry g, ReadOnlySpan<float> x, int oh, int ow, float m)
    {
        for (int i = 0, ih = oh * g.StrideH - g.PadTop; i < g.KH; i++, ih += g.DilationH)
        {
            if ((uint)ih >= (uint)g.H) continue;
            for (int j = 0, iw = ow * g.StrideW - g.PadLeft; j < g.KW; j++, iw += g.DilationW)
                if ((uint)iw < (uint)g.W && x[ih * g.W + iw] == m) return ih * g.W + iw;
        }
        return -1;
    }

    /// <summary>dx += dy / count spread over each window's counted taps inside the input.</summary>
    public static void AverageBackwardPlane(ConvGeometry g, ReadOnlySpan<float> dy, Span<float> dx, int[] countH, int[] countW)
    {
        for (int oh = 0; oh < g.OH; oh++)
            for (int ow = 0; ow < g.OW; ow++)
            {
                int count = countH[oh] * countW[ow];
                if (count == 0) continue;
                float d = dy[oh * g.OW + ow] / count;
                for (int i = 0, ih = oh * g.StrideH - g.PadTop; i < g.KH; i++, ih += g.DilationH)
                {
                    if ((uint)ih >= (uint)g.H) continue;
                    for (int j = 0, iw = ow * g.StrideW - g.PadLeft; j < g.KW; j++, iw += g.DilationW)
                        if ((uint)iw < (uint)g.W) dx[ih * g.W + iw] += d;
                }
            }
    }
}

/// <summary>Direct scalar pooling over whole NCHW tensors, for tests and for ONNX's Indices output.</summary>
public static class PoolingReference
{
    /// <summary>
    /// Max pool; when <paramref name="indices"/> is not empty it receives each maximum's flat index into x (row-major
    /// per plane, or column-major within the plane when <paramref name="columnMajor"/>), -1 for an empty window.
    /// </summary>
    public static void Max(ConvGeometry g, ReadOnlySpan<float> x, Span<float> y, Span<long> indices, bool columnMajor = false)
    {
        for (int plane = 0; plane < g.N * g.C; plane++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    float m = PoolingKernels.EmptyMax;
                    long at = -1;
                    for (int i = 0; i < g.KH; i++)
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            float v = x[(plane * g.H + ih) * g.W + iw];
                            if (at < 0 || v > m)
                            {
                                m = v;
                                at = (long)plane * g.InPlane + (columnMajor ? iw * g.H + ih : ih * g.W + iw);
                            }
                        }
                    int o = (plane * g.OH + oh) * g.OW + ow;
                    y[o] = m;
                    if (!indices.IsEmpty) indices[o] = at;
                }
    }

    /// <summary>Average pool; the divisor counts taps inside the input, or inside input plus pads when <paramref name="countIncludePad"/>.</summary>
    public static void Average(ConvGeometry g, ReadOnlySpan<float> x, Span<float> y, bool countIncludePad)
    {
        for (int plane = 0; plane < g.N * g.C; plane++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    double s = 0;
                    int count = 0;
                    for (int i = 0; i < g.KH; i++)
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                            bool inPadded = ih >= -g.PadTop && ih < g.H + g.PadBottom && iw >= -g.PadLeft && iw < g.W + g.PadRight;
                            bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
                            if (inside) s += x[(plane * g.H + ih) * g.W + iw];
                            if (countIncludePad ? inPadded : inside) count++;
                        }
                    y[(plane * g.OH + oh) * g.OW + ow] = count == 0 ? 0 : (float)(s / count);
                }
    }
}

/// <summary>A max or average pool at fixed shapes: SIMD plane kernels run in parallel over the N*C planes.</summary>
public sealed class Pooling
{
    /// <summary>The shapes (C = K).</summary>
    public ConvGeometry Geometry { get; }
    /// <summary>Max or average.</summary>
    public PoolKind Kind { get; }
    private readonly ConvGeometry _g;
    private readonly int[] _countH, _countW;
    private readonly bool _twoByTwo, _tiled;
    private float[][] _rows = [];
    private int _parts;
    private ReadOnlyMemory<float> _x, _y, _dy;
    private Memory<float> _out, _dx;
    private readonly ParallelBody _forwardBody, _backwardBody;

    /// <summary>A pool over <paramref name="g"/>; <paramref name="countIncludePad"/> matters for averages only.</summary>
    public Pooling(ConvGeometry g, PoolKind kind, bool countIncludePad)
    {
        g.Validate();
        _g = Geometry = g;
        Kind = kind;
        _twoByTwo = kind == PoolKind.Max && PoolingKernels.Is2x2Stride2(g);
        _tiled = kind == PoolKind.Max && PoolingKernels.Is2x2Tiled(g);
        _countH = countIncludePad
            ? PoolingKernels.TapCounts(g.OH, g.KH, g.StrideH, g.DilationH, g.PadTop, -g.PadTop, g.H + g.PadBottom)
            : PoolingKernels.TapCounts(g.OH, g.KH, g.StrideH, g.DilationH, g.PadTop, 0, g.H);
        _countW = countIncludePad
            ? PoolingKernels.TapCounts(g.OW, g.KW, g.StrideW, g.DilationW, g.PadLeft, -g.PadLeft, g.W + g.PadRight)
            : PoolingKernels.TapCounts(g.OW, g.KW, g.StrideW, g.DilationW, g.PadLeft, 0, g.W);
        _forwardBody = new ParallelBody(ForwardPart);
        _backwardBody = new ParallelBody(BackwardPart);
    }

    /// <summary>A short name for profiles: which forward kernel runs.</summary>
    public string Describe() => _tiled ? "maxpool-2x2-tiled" : Kind == PoolKind.Max ? "maxpool-rows-simd" : "avgpool-rows-simd";

    /// <summary>y = pool(x).</summary>
    public void Forward(ReadOnlyMemory<float> x, Memory<float> y, WorkerPool? pool)
    {
        int planes = _g.N * _g.C;
        if (planes == 0 || _g.OutPlane == 0) return;
        _parts = Math.Max(1, Math.Min(pool?.Threads ?? 1, planes));
        if (_rows.Length < _parts) _rows = Enumerable.Range(0, _parts).Select(_ => new float[Math.Max(2 * _g.W, 1)]).ToArray();
        _x = x; _out = y;
        _forwardBody.For(pool, _parts, (long)planes * (_g.InPlane + _g.OutPlane * _g.KW));
    }

    /// <summary>dx += d(pool)/dx · dy; max pooling reads x and its forward output y, averaging needs neither.</summary>
    public void Backward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> y, ReadOnlyMemory<float> dy, Memory<float> dx, WorkerPool? pool)
    {
        int planes = _g.N * _g.C;
        if (planes == 0 || _g.OutPlane == 0) return;
        _parts = Math.Max(1, Math.Min(pool?.Threads ?? 1, planes));
        _x = x; _y = y; _dy = dy; _dx = dx;
        _backwardBody.For(pool, _parts, (long)planes * _g.OutPlane * _g.Taps);
    }

    private (int Begin, int End) Range(int part)
    {
        int planes = _g.N * _g.C;
        return ((int)((long)planes * part / _parts), (int)((long)planes * (part + 1) / _parts));
    }

    private void ForwardPart(int part)
    {
        var g = _g;
        var (begin, end) = Range(part);
        var x = _x.Span; var y = _out.Span; var row = _rows[part];
        if (_tiled)
        {
            PoolingKernels.MaxPlanes2x2Tiled(g, end - begin, x.Slice(begin * g.InPlane), y.Slice(begin * g.OutPlane));
            return;
        }
        for (int p = begin; p < end; p++)
        {
            var xs = x.Slice(p * g.InPlane, g.InPlane);
            var ys = y.Slice(p * g.OutPlane, g.OutPlane);
            if (Kind == PoolKind.Max)
            {
                if (_twoByTwo) PoolingKernels.MaxPlane2x2(g, xs, ys);
                else PoolingKernels.MaxPlane(g, xs, ys, row);
            }
            else PoolingKernels.AveragePlane(g, xs, ys, row, _countH, _countW);
        }
    }

    private void BackwardPart(int part)
    {
        var g = _g;
        var (begin, end) = Range(part);
        var dy = _dy.Span; var dx = _dx.Span;
        for (int p = begin; p < end; p++)
        {
            var dys = dy.Slice(p * g.OutPlane, g.OutPlane);
            var dxs = dx.Slice(p * g.InPlane, g.InPlane);
            if (Kind == PoolKind.Max)
            {
                var xs = _x.Span.Slice(p * g.InPlane, g.InPlane);
                var ys = _y.Span.Slice(p * g.OutPlane, g.OutPlane);
                if (_twoByTwo) PoolingKernels.MaxBackwardPlane2x2(g, xs, ys, dys, dxs);
                else PoolingKernels.MaxBackwardPlane(g, xs, ys, dys, dxs);
            }
            else PoolingKernels.AverageBackwardPlane(g, dys, dxs, _countH, _countW);
        }
    }
}
