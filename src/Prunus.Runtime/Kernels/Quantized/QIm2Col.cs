using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>Where row r = (c, i, j) of a convolution's column matrix reads its image, tabulated once per geometry.</summary>
internal readonly record struct QTap(int C, int I, int J, int Iw0, int Ih0, int WLo, int WHi, int HLo, int HHi)
{
    /// <summary>The taps of every row of <paramref name="g"/>'s column matrix (all groups), without divisions later.</summary>
    public static QTap[] Table(ConvGeometry g)
    {
        var taps = new QTap[g.ColRows];
        for (int r = 0; r < taps.Length; r++)
        {
            int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
            int iw0 = j * g.DilationW - g.PadLeft, ih0 = i * g.DilationH - g.PadTop;
            var (wLo, wHi) = Im2Col.ValidRange(iw0, g.StrideW, g.W, g.OW);
            var (hLo, hHi) = Im2Col.ValidRange(ih0, g.StrideH, g.H, g.OH);
            taps[r] = new QTap(c, i, j, iw0, ih0, wLo, wHi, hLo, hHi);
        }
        return taps;
    }
}

/// <summary>
/// Lowering of 8-bit NCHW images for the integer convolution, in the encoding of the kernel family: pairs families
/// use int16 values x - z_x (so padding is 0), the VNNI family the stored unsigned bytes (padding is the activation
/// zero point in that form); either way a padded tap adds nothing. Stride-1 convolutions first widen each image into a
/// padded plane, where every tap of a row of outputs is a contiguous run: a word row of the B operand is then two (or
/// four) runs interleaved with vector unpacks. Other strides fill rows tap by tap from tabulated ranges.
/// </summary>
internal static unsafe class QIm2Col
{
    /// <summary>Row <paramref name="t"/> of image <paramref name="x"/> ([C,H,W] bytes) as int16 values over the output plane (generic strides).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowPairs(ConvGeometry g, byte* x, in QTap t, bool signed, int zero, short* dst)
    {
        int ow = g.OW, sw = g.StrideW;
        byte* src = x + (nint)t.C * g.InPlane;
        new Span<short>(dst, t.HLo * ow).Clear();
        new Span<short>(dst + t.HHi * ow, (g.OH - t.HHi) * ow).Clear();
        for (int oh = t.HLo; oh < t.HHi; oh++)
        {
            byte* srow = src + (nint)(t.Ih0 + oh * g.StrideH) * g.W + t.Iw0;
            short* drow = dst + oh * ow;
            for (int o = 0; o < t.WLo; o++) drow[o] = 0;
            for (int o = t.WHi; o < ow; o++) drow[o] = 0;
            if (signed) for (int o = t.WLo; o < t.WHi; o++) drow[o] = (short)((sbyte)srow[o * sw] - zero);
            else for (int o = t.WLo; o < t.WHi; o++) drow[o] = (short)(srow[o * sw] - zero);
        }
    }

    /// <summary>Row <paramref name="t"/> of image <paramref name="x"/> as VNNI activation bytes (padding = <paramref name="pad"/>, the stored zero point).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowBytes(ConvGeometry g, byte* x, in QTap t, bool signed, byte pad, byte* dst)
    {
        int ow = g.OW, sw = g.StrideW;
        byte* src = x + (nint)t.C * g.InPlane;
        byte flip = signed ? (byte)0x80 : (byte)0;
        new Span<byte>(dst, t.HLo * ow).Fill(pad);
        new Span<byte>(dst + t.HHi * ow, (g.OH - t.HHi) * ow).Fill(pad);
        for (int oh = t.HLo; oh < t.HHi; oh++)
        {
            byte* srow = src + (nint)(t.Ih0 + oh * g.StrideH) * g.W + t.Iw0;
            byte* drow = dst + oh * ow;
            for (int o = 0; o < t.WLo; o++) drow[o] = pad;
            for (int o = t.WHi; o < ow; o++) drow[o] = pad;
            for (int o = t.WLo; o < t.WHi; o++) drow[o] = (byte)(srow[o * sw] ^ flip);
        }
    }

    /// <summary>Rows of a padded plane: height H + pads, width W + pads.</summary>
    public static (int Hp, int Wp) PaddedSize(ConvGeometry g) => (g.H + g.PadTop + g.PadBottom, g.W + g.PadLeft + g.PadRight);

    /// <summary>
    /// Image <paramref name="x"/> [C,H,W] widened into padded int16 planes dst [C, Hp, Wp] (x - z, zeros around),
    /// channels [c0, c1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PadPairs(ConvGeometry g, byte* x, bool signed, int zero, short* dst, int c0, int c1)
    {
        var (hp, wp) = PaddedSize(g);
        for (int c = c0; c < c1; c++)
        {
            short* plane = dst + (nint)c * hp * wp;
            new Span<short>(plane, g.PadTop * wp).Clear();
            new Span<short>(plane + (g.PadTop + g.H) * wp, g.PadBottom * wp).Clear();
            for (int h = 0; h < g.H; h++)
            {
                short* row = plane + (g.PadTop + h) * wp;
                for (int o = 0; o < g.PadLeft; o++) row[o] = 0;
                for (int o = g.PadLeft + g.W; o < wp; o++) row[o] = 0;
                WidenRun(x + ((nint)c * g.H + h) * g.W, row + g.PadLeft, g.W, signed, zero);
            }
        }
    }

    /// <summary>Image <paramref name="x"/> as padded planes of VNNI bytes [C, Hp, Wp] (padding = <paramref name="pad"/>), channels [c0, c1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PadBytes(ConvGeometry g, byte* x, bool signed, byte pad, byte* dst, int c0, int c1)
    {
        var (hp, wp) = PaddedSize(g);
        byte flip = signed ? (byte)0x80 : (byte)0;
        for (int c = c0; c < c1; c++)
        {
            byte* plane = dst + (nint)c * hp * wp;
            new Span<byte>(plane, g.PadTop * wp).Fill(pad);
            new Span<byte>(plane + (g.PadTop + g.H) * wp, g.PadBottom * wp).Fill(pad);
            for (int h = 0; h < g.H; h++)
            {
                byte* row = plane + (g.PadTop + h) * wp;
                for (int o = 0; o < g.PadLeft; o++) row[o] = pad;
                for (int o = g.PadLeft + g.W; o < wp; o++) row[o] = pad;
                QMoves.Copy(x + ((nint)c * g.H + h) * g.W, row + g.PadLeft, g.W, flip);
            }
        }
    }

    /// <summary>
    /// Word row of taps <paramref name="t0"/> and <paramref name="t1"/> (null: zeros) over the output plane, stride 1,
    /// from padded int16 planes: for each output row, the two runs interleaved.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunPairs(ConvGeometry g, short* planes, in QTap t0, in QTap t1, bool second, short* zeros, int* dst)
    {
        var (hp, wp) = PaddedSize(g);
        int ow = g.OW;
        short* s0 = planes + ((nint)t0.C * hp + t0.I * g.DilationH) * wp + t0.J * g.DilationW;
        short* s1 = second ? planes + ((nint)t1.C * hp + t1.I * g.DilationH) * wp + t1.J * g.DilationW : zeros;
        nint step1 = second ? wp : 0;
        for (int oh = 0; oh < g.OH; oh++, s0 += wp, s1 += step1, dst += ow) QPack.InterleavePairs(s0, s1, ow, dst);
    }

    /// <summary>Word row of four taps (those past <paramref name="count"/> are zeros) from padded VNNI byte planes, stride 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunQuads(ConvGeometry g, byte* planes, ReadOnlySpan<QTap> taps, int count, byte* zeros, int* dst)
    {
        var (hp, wp) = PaddedSize(g);
        int ow = g.OW;
        byte* s0 = zeros, s1 = zeros, s2 = zeros, s3 = zeros;
        nint d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        byte* Start(in QTap t) => planes + ((nint)t.C * hp + t.I * g.DilationH) * wp + t.J * g.DilationW;
        if (count > 0) { s0 = Start(taps[0]); d0 = wp; }
        if (count > 1) { s1 = Start(taps[1]); d1 = wp; }
        if (count > 2) { s2 = Start(taps[2]); d2 = wp; }
        if (count > 3) { s3 = Start(taps[3]); d3 = wp; }
        for (int oh = 0; oh < g.OH; oh++, s0 += d0, s1 += d1, s2 += d2, s3 += d3, dst += ow)
            QPack.InterleaveQuads(s0, s1, s2, s3, ow, dst);
    }

    /// <summary>n values x - z widened to int16: whole vectors, then one last vector ending at n (rewriting what it overlaps).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void WidenRun(byte* s, short* d, int n, bool signed, int zero)
    {
        if (Avx2.IsSupported && n >= 16)
        {
            var z = Vector256.Create((short)zero);
            int t = 0;
            for (; t + 16 <= n; t += 16) Avx.Store(d + t, Avx2.Subtract(Widen16(s + t, signed), z));
            if (t < n) Avx.Store(d + n - 16, Avx2.Subtract(Widen16(s + n - 16, signed), z));
            return;
        }
        if (Sse41.IsSupported && n >= 8)
        {
            var z = Vector128.Create((short)zero);
            int t = 0;
            for (; t + 8 <= n; t += 8) Sse2.Store(d + t, Sse2.Subtract(Widen8(s + t, signed), z));
            if (t < n) Sse2.Store(d + n - 8, Sse2.Subtract(Widen8(s + n - 8, signed), z));
            return;
        }
        if (signed) for (int t = 0; t < n; t++) d[t] = (short)((sbyte)s[t] - zero);
        else for (int t = 0; t < n; t++) d[t] = (short)(s[t] - zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Widen16(byte* p, bool signed) =>
        signed ? Avx2.ConvertToVector256Int16((sbyte*)p) : Avx2.ConvertToVector256Int16(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<short> Widen8(byte* p, bool signed) =>
        signed ? Sse41.ConvertToVector128Int16((sbyte*)p) : Sse41.ConvertToVector128Int16(p);

    /// <summary>Element-by-element reference of one lowered row (values before encoding: x - z_x, 0 in the padding).</summary>
    public static int ReferenceValue(ConvGeometry g, ReadOnlySpan<byte> image, int r, int pixel, bool signed, int zero)
    {
        int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
        int oh = pixel / g.OW, ow = pixel % g.OW;
        int ih = oh * g.StrideH - g.PadTop + i * g.DilationH, iw = ow * g.StrideW - g.PadLeft + j * g.DilationW;
        if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) return 0;
        byte b = image[(c * g.H + ih) * g.W + iw];
        return (signed ? (sbyte)b : b) - zero;
    }
}
