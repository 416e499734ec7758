using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// Max pooling of 8-bit planes [N·C, H, W] (a <see cref="ConvGeometry"/> with C = K), exact on the stored integers:
/// max commutes with a dequantization of positive scale, so pooling quantized values equals quantizing pooled ones.
/// int8 values are mapped to uint8 order by flipping the top bit, pooled unsigned and flipped back. Each output row
/// first takes the elementwise maximum of its KH input rows (SIMD over the row), then the maximum of each window's KW
/// columns; 2-wide windows with stride 2 (the usual 2x2 pool) take both maxima of 8 or 16 outputs at once. Pads never
/// win; a window entirely in padding yields the type's minimum. One instance per plan; the row buffers are its own.
/// </summary>
public sealed unsafe class QuantizedPooling
{
    private readonly ConvGeometry _g;
    private readonly bool _signed;
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
        _body = new ParallelBody(Part);
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() => $"qmaxpool-{(_signed ? "s8" : "u8")}";

    /// <summary>y = max pool of x (both bytes, int8 or uint8 as constructed).</summary>
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

    private void Part(int part)
    {
        var g = _g;
        int planes = g.N * g.C;
        int begin = (int)((long)planes * part / _parts), end = (int)((long)planes * (part + 1) / _parts);
        byte flip = _signed ? (byte)0x80 : (byte)0;
        fixed (byte* buf = _rows[part])
            for (int plane = begin; plane < end; plane++)
                Plane(g, _x + (nint)plane * g.InPlane, _y + (nint)plane * g.OutPlane, buf, flip);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane(ConvGeometry g, byte* x, byte* y, byte* buf, byte flip)
    {
        int w = g.W;
        bool pairs = g.KW == 2 && g.StrideW == 2 && g.DilationW == 1 && g.PadLeft == 0 && 2 * g.OW <= w;
        for (int oh = 0; oh < g.OH; oh++)
        {
            byte* yrow = y + (nint)oh * g.OW;
            int ih0 = oh * g.StrideH - g.PadTop;
            var (iLo, iHi) = Im2Col.ValidRange(ih0, g.DilationH, g.H, g.KH);
            if (iHi <= iLo)
            {
                new Span<byte>(yrow, g.OW).Fill(flip);
                continue;
            }
            // Rows reduced in the unsigned order (int8 flipped), so that one max serves both types.
            byte* first = x + (nint)(ih0 + iLo * g.DilationH) * w;
            int c = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                var f = Vector128.Create(flip);
                for (; c + 16 <= w; c += 16)
                {
                    var m = Vector128.Load(first + c) ^ f;
                    for (int i = iLo + 1; i < iHi; i++) m = Vector128.Max(m, Vector128.Load(x + (nint)(ih0 + i * g.DilationH) * w + c) ^ f);
                    m.Store(buf + c);
                }
            }
            for (; c < w; c++)
            {
                byte m = (byte)(first[c] ^ flip);
                for (int i = iLo + 1; i < iHi; i++) m = Math.Max(m, (byte)(x[(nint)(ih0 + i * g.DilationH) * w + c] ^ flip));
                buf[c] = m;
            }

            int ow = 0;
            if (pairs && Vector128.IsHardwareAccelerated)
            {
                var f = Vector128.Create(flip);
                for (; 2 * ow + 16 <= w && ow + 8 <= g.OW; ow += 8)
                {
                    var v = Vector128.Load(buf + 2 * ow).AsUInt16();
                    var m = Vector128.Max(v & Vector128.Create((ushort)0xFF), v >> 8);
                    var bytes = Vector128.Narrow(m, m) ^ f;
                    *(ulong*)(yrow + ow) = bytes.AsUInt64().ToScalar();
                }
            }
            for (; ow < g.OW; ow++)
            {
                int iw0 = ow * g.StrideW - g.PadLeft;
                var (jLo, jHi) = Im2Col.ValidRange(iw0, g.DilationW, w, g.KW);
                byte m = 0;
                for (int j = jLo; j < jHi; j++) m = Math.Max(m, buf[iw0 + j * g.DilationW]);
                yrow[ow] = (byte)(m ^ flip);
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
