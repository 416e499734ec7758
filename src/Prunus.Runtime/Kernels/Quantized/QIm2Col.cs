using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// Lowering of 8-bit NCHW images for the integer convolution: row r of the column matrix (tap (c, i, j), as in
/// <see cref="Im2Col"/>) for one image, over the output plane, in the encoding of the kernel family. Pairs families
/// write int16 values x - z_x, so padding is 0; the VNNI family writes the stored unsigned bytes, so padding is the
/// activation zero point (in that form): either way a padded tap adds nothing. Columns from the plane size up to
/// <c>width</c> are filled with zeros (they are dropped by the output stage).
/// </summary>
internal static unsafe class QIm2Col
{
    /// <summary>Row <paramref name="r"/> of image <paramref name="x"/> ([C,H,W] bytes) as int16 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowPairs(ConvGeometry g, byte* x, int r, bool signed, int zero, short* dst, int width)
    {
        int ow = g.OW, sw = g.StrideW;
        int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
        int iw0 = j * g.DilationW - g.PadLeft, ih0 = i * g.DilationH - g.PadTop;
        var (wLo, wHi) = Im2Col.ValidRange(iw0, sw, g.W, ow);
        var (hLo, hHi) = Im2Col.ValidRange(ih0, g.StrideH, g.H, g.OH);
        byte* src = x + (nint)c * g.InPlane;
        new Span<short>(dst, hLo * ow).Clear();
        new Span<short>(dst + hHi * ow, width - hHi * ow).Clear();
        for (int oh = hLo; oh < hHi; oh++)
        {
            byte* srow = src + (nint)(ih0 + oh * g.StrideH) * g.W + iw0;
            short* drow = dst + oh * ow;
            for (int o = 0; o < wLo; o++) drow[o] = 0;
            for (int o = wHi; o < ow; o++) drow[o] = 0;
            if (sw == 1) WidenRun(srow + wLo, drow + wLo, wHi - wLo, signed, zero);
            else if (signed) for (int o = wLo; o < wHi; o++) drow[o] = (short)((sbyte)srow[o * sw] - zero);
            else for (int o = wLo; o < wHi; o++) drow[o] = (short)(srow[o * sw] - zero);
        }
    }

    /// <summary>Row <paramref name="r"/> of image <paramref name="x"/> as VNNI activation bytes (padding = <paramref name="pad"/>, the stored zero point).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowBytes(ConvGeometry g, byte* x, int r, bool signed, byte pad, byte* dst, int width)
    {
        int ow = g.OW, sw = g.StrideW;
        int j = r % g.KW, i = r / g.KW % g.KH, c = r / g.Taps;
        int iw0 = j * g.DilationW - g.PadLeft, ih0 = i * g.DilationH - g.PadTop;
        var (wLo, wHi) = Im2Col.ValidRange(iw0, sw, g.W, ow);
        var (hLo, hHi) = Im2Col.ValidRange(ih0, g.StrideH, g.H, g.OH);
        byte* src = x + (nint)c * g.InPlane;
        byte flip = signed ? (byte)0x80 : (byte)0;
        new Span<byte>(dst, hLo * ow).Fill(pad);
        new Span<byte>(dst + hHi * ow, g.OutPlane - hHi * ow).Fill(pad);
        new Span<byte>(dst + g.OutPlane, width - g.OutPlane).Clear();
        for (int oh = hLo; oh < hHi; oh++)
        {
            byte* srow = src + (nint)(ih0 + oh * g.StrideH) * g.W + iw0;
            byte* drow = dst + oh * ow;
            for (int o = 0; o < wLo; o++) drow[o] = pad;
            for (int o = wHi; o < ow; o++) drow[o] = pad;
            for (int o = wLo; o < wHi; o++) drow[o] = (byte)(srow[o * sw] ^ flip);
        }
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
