using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// Max pooling of 8-bit planes [N·C, H, W] (a <see cref="ConvGeometry"/> with C = K), exact on the stored integers:
/// max commutes with a dequantization of positive scale, so pooling quantized values equals quantizing pooled ones.
/// int8 values are mapped to uint8 order by flipping the top bit, pooled unsigned and flipped back. Each output row
/// first takes the elementwise maximum of its KH input rows (SIMD over the row), then the maximum of each window's KW
/// columns; 2-wide windows with stride 2 (the usual 2x2 pool) take both maxima of 4 or 8 outputs per vector, the last
/// vector overlapping the previous one. Pads never win; a window entirely in padding yields the type's minimum. The
/// valid taps of every output row and column are tabulated once (no divisions in the loops). One instance per plan.
/// </summary>
public sealed unsafe class QuantizedPooling
{
    private readonly ConvGeometry _g;
    private readonly bool _signed, _pairs;
    private readonly int[] _rowLo, _rowHi, _colLo, _colHi;
    private byte[][] _rows = [];
    private readonly ParallelBody _body;
    private int _parts;
    private byte* _x, _y;

    /// <summary>A max pool over <paramref name="g"/> of int8 (<paramref name="signed"/>) or uint8 planes.</summary>
    public QuantizedPooling(ConvGeometry g, bool signed)
    {
        ArgumentNullException.ThrowIfNull(g);
        g.Validate();
        _g = g;
        _signed = signed;
        _pairs = g.KW == 2 && g.StrideW == 2 && g.DilationW == 1 && g.PadLeft == 0 && 2 * g.OW <= g.W && g.OW >= 4;
        _rowLo = new int[g.OH];
        _rowHi = new int[g.OH];
        for (int oh = 0; oh < g.OH; oh++) (_rowLo[oh], _rowHi[oh]) = Im2Col.ValidRange(oh * g.StrideH - g.PadTop, g.DilationH, g.H, g.KH);
        _colLo = new int[g.OW];
        _colHi = new int[g.OW];
        for (int ow = 0; ow < g.OW; ow++) (_colLo[ow], _colHi[ow]) = Im2Col.ValidRange(ow * g.StrideW - g.PadLeft, g.DilationW, g.W, g.KW);
        _body = new ParallelBody(Part);
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() => $"qmaxpool-{(_signed ? "s8" : "u8")}";

    /// <summary>y = max pool of x (both bytes, int8 or uint8 as constructed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        int planes = g.N * g.C;
        if (x.Length < (long)planes * g.InPlane || y.Length < (long)planes * g.OutPlane)
            throw new ArgumentException($"pooling buffers are too short for {g}");
        if (planes == 0 || g.OutPlane == 0) return;
        _parts = Math.Max(1, Math.Min(pool?.Threads ?? 1, planes));
        // One row buffer per part, made on the first run (the pool is known only then).
        if (_rows.Length < _parts) _rows = Enumerable.Range(0, _parts).Select(_ => GC.AllocateArray<byte>(g.W + 64, pinned: true)).ToArray();
        fixed (byte* px = x, py = y)
        {
            _x = px;
            _y = py;
            _body.For(pool, _parts, (long)planes * (g.InPlane + g.OutPlane * g.KW));
            _x = _y = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Part(int part)
    {
        var g = _g;
        int planes = g.N * g.C;
        int begin = (int)((long)planes * part / _parts), end = (int)((long)planes * (part + 1) / _parts);
        byte flip = _signed ? (byte)0x80 : (byte)0;
        fixed (byte* buf = _rows[part])
        fixed (int* rowLo = _rowLo, rowHi = _rowHi, colLo = _colLo, colHi = _colHi)
        {
            var t = new Tables { RowLo = rowLo, RowHi = rowHi, ColLo = colLo, ColHi = colHi };
            for (int plane = begin; plane < end; plane++)
                Plane(g, _x + (nint)plane * g.InPlane, _y + (nint)plane * g.OutPlane, buf, flip, _pairs, t);
        }
    }

    private struct Tables
    {
        public int* RowLo, RowHi, ColLo, ColHi;
    }

    /// <summary>
    /// The usual 2x2 window with stride 2 and no padding (2 OH rows and 2 OW columns inside the plane): each output row
    /// from two input rows, 8 outputs per step (16 input bytes of each row: vertical max, then the max of adjacent
    /// pairs; 4 per step below 8 outputs), the last step overlapping the previous one. OW is at least 4.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane2x2(byte* x, byte* y, int w, int oh, int ow, byte flip)
    {
        var f = Vector128.Create(flip);
        var low = Vector128.Create((ushort)0xFF);
        for (int r = 0; r < oh; r++, x += 2 * w, y += ow)
        {
            byte* x1 = x + w;
            if (ow < 8)
            {
                // 4 to 7 outputs: 8 input bytes per step.
                for (int o = 0; ; o += 4)
                {
                    if (o > ow - 4) o = ow - 4;
                    var v = Vector128.Max(Vector128.CreateScalar(*(ulong*)(x + 2 * o)).AsByte() ^ f,
                        Vector128.CreateScalar(*(ulong*)(x1 + 2 * o)).AsByte() ^ f).AsUInt16();
                    var m = Vector128.Max(v & low, v >> 8);
                    *(uint*)(y + o) = (Vector128.Narrow(m, m) ^ f).AsUInt32().ToScalar();
                    if (o == ow - 4) break;
                }
                continue;
            }
            for (int o = 0; ; o += 8)
            {
                if (o > ow - 8) o = ow - 8;
                var v = Vector128.Max(Vector128.Load(x + 2 * o) ^ f, Vector128.Load(x1 + 2 * o) ^ f).AsUInt16();
                var m = Vector128.Max(v & low, v >> 8);
                *(ulong*)(y + o) = (Vector128.Narrow(m, m) ^ f).AsUInt64().ToScalar();
                if (o == ow - 8) break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane(ConvGeometry g, byte* x, byte* y, byte* buf, byte flip, bool pairs, in Tables t)
    {
        if (pairs && g.KH == 2 && g.StrideH == 2 && g.DilationH == 1 && g.PadTop == 0 && 2 * g.OH <= g.H)
        {
            Plane2x2(x, y, g.W, g.OH, g.OW, flip);
            return;
        }
        int w = g.W, ow = g.OW, dh = g.DilationH, sw = g.StrideW, dw = g.DilationW;
        var f = Vector128.Create(flip);
        for (int oh = 0; oh < g.OH; oh++)
        {
            byte* yrow = y + (nint)oh * ow;
            int iLo = t.RowLo[oh], iHi = t.RowHi[oh];
            if (iHi <= iLo)
            {
                new Span<byte>(yrow, ow).Fill(flip);
                continue;
            }
            // The window's rows reduced elementwise, in unsigned order (int8 flipped).
            byte* first = x + (nint)(oh * g.StrideH - g.PadTop + iLo * dh) * w;
            nint step = (nint)dh * w;
            int rows = iHi - iLo;
            if (w >= 16)
            {
                for (int c = 0; ; c += 16)
                {
                    if (c > w - 16) c = w - 16;
                    var m = Vector128.Load(first + c) ^ f;
                    for (int i = 1; i < rows; i++) m = Vector128.Max(m, Vector128.Load(first + i * step + c) ^ f);
                    m.Store(buf + c);
                    if (c == w - 16) break;
                }
            }
            else if (w >= 8)
            {
                for (int c = 0; ; c += 8)
                {
                    if (c > w - 8) c = w - 8;
                    var m = Vector128.CreateScalar(*(ulong*)(first + c)).AsByte() ^ f;
                    for (int i = 1; i < rows; i++) m = Vector128.Max(m, Vector128.CreateScalar(*(ulong*)(first + i * step + c)).AsByte() ^ f);
                    *(ulong*)(buf + c) = m.AsUInt64().ToScalar();
                    if (c == w - 8) break;
                }
            }
            else
                for (int c = 0; c < w; c++)
                {
                    byte m = (byte)(first[c] ^ flip);
                    for (int i = 1; i < rows; i++) m = Math.Max(m, (byte)(first[i * step + c] ^ flip));
                    buf[c] = m;
                }

            if (pairs)
            {
                // Outputs o..o+7 (or o..o+3) from bytes 2o..2o+15: the max of each adjacent pair.
                var low = Vector128.Create((ushort)0xFF);
                if (ow >= 8)
                    for (int o = 0; ; o += 8)
                    {
                        if (o > ow - 8) o = ow - 8;
                        var v = Vector128.Load(buf + 2 * o).AsUInt16();
                        var m = Vector128.Max(v & low, v >> 8);
                        *(ulong*)(yrow + o) = (Vector128.Narrow(m, m) ^ f).AsUInt64().ToScalar();
                        if (o == ow - 8) break;
                    }
                else
                    for (int o = 0; ; o += 4)
                    {
                        if (o > ow - 4) o = ow - 4;
                        var v = Vector128.CreateScalar(*(ulong*)(buf + 2 * o)).AsUInt16();
                        var m = Vector128.Max(v & low, v >> 8);
                        *(uint*)(yrow + o) = (Vector128.Narrow(m, m) ^ f).AsUInt32().ToScalar();
                        if (o == ow - 4) break;
                    }
                continue;
            }
            for (int o = 0; o < ow; o++)
            {
                int iw0 = o * sw - g.PadLeft;
                byte m = 0;
                for (int j = t.ColLo[o]; j < t.ColHi[o]; j++) m = Math.Max(m, buf[iw0 + j * dw]);
                yrow[o] = (byte)(m ^ flip);
            }
        }
    }

    /// <summary>Element-by-element reference.</summary>
    public static void Reference(ConvGeometry g, ReadOnlySpan<byte> x, Span<byte> y, bool signed)
    {
        for (int plane = 0; plane < g.N * g.C; plane++)
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    int best = signed ? sbyte.MinValue : byte.MinValue;
                    for (int i = 0; i < g.KH; i++)
                        for (int j = 0; j < g.KW; j++)
                        {
                            int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            byte b = x[plane * g.InPlane + ih * g.W + iw];
                            best = Math.Max(best, signed ? (sbyte)b : b);
                        }
                    y[plane * g.OutPlane + oh * g.OW + ow] = (byte)best;
                }
    }
}
