using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// SIMD reductions and scaled updates over one plane or row, with per-call scalars (bias, per-channel scale and shift,
/// statistics): the inner loops of convolution, pooling and batch normalization. Widest vectors first, then narrower,
/// then a scalar tail; <see cref="ChannelMathReference"/> holds the scalar reference of each.
/// </summary>
public static class ChannelMath
{
    /// <summary>Σ x.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(x);
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) a += Vector512.LoadUnsafe(ref p, (nuint)i);
            s += Vector512.Sum(a);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var a = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) a += Vector256.LoadUnsafe(ref p, (nuint)i);
            s += Vector256.Sum(a);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var a = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4) a += Vector128.LoadUnsafe(ref p, (nuint)i);
            s += Vector128.Sum(a);
        }
        for (; i < n; i++) s += Unsafe.Add(ref p, i);
        return s;
    }

    /// <summary>max x (float.NegativeInfinity when empty; NaN handling unspecified).</summary>
    public static float Max(ReadOnlySpan<float> x)
    {
        int n = x.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(x);
        float m = float.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512.Create(float.NegativeInfinity);
            for (; i <= n - 16; i += 16) a = Vector512.Max(a, Vector512.LoadUnsafe(ref p, (nuint)i));
            m = Math.Max(m, HorizontalMax(a.GetLower(), a.GetUpper()));
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var a = Vector256.Create(float.NegativeInfinity);
            for (; i <= n - 8; i += 8) a = Vector256.Max(a, Vector256.LoadUnsafe(ref p, (nuint)i));
            m = Math.Max(m, HorizontalMax(a.GetLower(), a.GetUpper()));
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var a = Vector128.Create(float.NegativeInfinity);
            for (; i <= n - 4; i += 4) a = Vector128.Max(a, Vector128.LoadUnsafe(ref p, (nuint)i));
            m = Math.Max(m, HorizontalMax(a, a));
        }
        for (; i < n; i++) m = Math.Max(m, Unsafe.Add(ref p, i));
        return m;
    }

    private static float HorizontalMax(Vector256<float> lo, Vector256<float> hi) =>
        HorizontalMax(Vector256.Max(lo, hi).GetLower(), Vector256.Max(lo, hi).GetUpper());

    private static float HorizontalMax(Vector128<float> lo, Vector128<float> hi)
    {
        var v = Vector128.Max(lo, hi);
        return Math.Max(Math.Max(v[0], v[1]), Math.Max(v[2], v[3]));
    }

    /// <summary>Σ (x - mean)², the numerator of a two-pass variance.</summary>
    public static float SumSquaredDeviation(ReadOnlySpan<float> x, float mean)
    {
        int n = x.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(x);
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512<float>.Zero;
            var m = Vector512.Create(mean);
            for (; i <= n - 16; i += 16) { var d = Vector512.LoadUnsafe(ref p, (nuint)i) - m; a = Vector512.FusedMultiplyAdd(d, d, a); }
            s += Vector512.Sum(a);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var a = Vector256<float>.Zero;
            var m = Vector256.Create(mean);
            for (; i <= n - 8; i += 8) { var d = Vector256.LoadUnsafe(ref p, (nuint)i) - m; a = Vector256.FusedMultiplyAdd(d, d, a); }
            s += Vector256.Sum(a);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var a = Vector128<float>.Zero;
            var m = Vector128.Create(mean);
            for (; i <= n - 4; i += 4) { var d = Vector128.LoadUnsafe(ref p, (nuint)i) - m; a = Vector128.FusedMultiplyAdd(d, d, a); }
            s += Vector128.Sum(a);
        }
        for (; i < n; i++) { float d = Unsafe.Add(ref p, i) - mean; s += d * d; }
        return s;
    }

    /// <summary>Σ y·(x - mean): batch normalization's gradient statistic.</summary>
    public static float DotCentered(ReadOnlySpan<float> y, ReadOnlySpan<float> x, float mean)
    {
        if (x.Length < y.Length) throw new ArgumentException("operands have different lengths");
        int n = y.Length, i = 0;
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float px = ref MemoryMarshal.GetReference(x);
        float s = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var a = Vector512<float>.Zero;
            var m = Vector512.Create(mean);
            for (; i <= n - 16; i += 16) a = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref py, (nuint)i), Vector512.LoadUnsafe(ref px, (nuint)i) - m, a);
            s += Vector512.Sum(a);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var a = Vector256<float>.Zero;
            var m = Vector256.Create(mean);
            for (; i <= n - 8; i += 8) a = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref py, (nuint)i), Vector256.LoadUnsafe(ref px, (nuint)i) - m, a);
            s += Vector256.Sum(a);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var a = Vector128<float>.Zero;
            var m = Vector128.Create(mean);
            for (; i <= n - 4; i += 4) a = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref py, (nuint)i), Vector128.LoadUnsafe(ref px, (nuint)i) - m, a);
            s += Vector128.Sum(a);
        }
        for (; i < n; i++) s += Unsafe.Add(ref py, i) * (Unsafe.Add(ref px, i) - mean);
        return s;
    }

    /// <summary>Σ x·y.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y) => DotCentered(x, y, 0);

    /// <summary>y = a·x + b (y may be x).</summary>
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("destination is shorter than source");
        int n = x.Length, i = 0;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), va, vb).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), va, vb).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a); var vb = Vector128.Create(b);
            for (; i <= n - 4; i += 4) Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref px, (nuint)i), va, vb).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, i), a, b);
    }

    /// <summary>y += b.</summary>
    public static void AddScalar(Span<float> y, float b) => Affine(y, 1, b, y);

    /// <summary>y += a·x.</summary>
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("destination is shorter than source");
        int n = x.Length, i = 0;
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a);
            for (; i <= n - 16; i += 16) Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), va, Vector512.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a);
            for (; i <= n - 8; i += 8) Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), va, Vector256.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a);
            for (; i <= n - 4; i += 4) Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref px, (nuint)i), va, Vector128.LoadUnsafe(ref py, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref py, i) = MathF.FusedMultiplyAdd(Unsafe.Add(ref px, i), a, Unsafe.Add(ref py, i));
    }

    /// <summary>d += a·y + b·x + c: batch normalization's input gradient in one pass.</summary>
    public static void AccumulateAffine2(ReadOnlySpan<float> y, float a, ReadOnlySpan<float> x, float b, float c, Span<float> d)
    {
        if (x.Length < y.Length || d.Length < y.Length) throw new ArgumentException("operands have different lengths");
        int n = y.Length, i = 0;
        ref float py = ref MemoryMarshal.GetReference(y);
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pd = ref MemoryMarshal.GetReference(d);
        if (Vector512.IsHardwareAccelerated)
        {
            var va = Vector512.Create(a); var vb = Vector512.Create(b); var vc = Vector512.Create(c);
            for (; i <= n - 16; i += 16)
            {
                var t = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref px, (nuint)i), vb, Vector512.LoadUnsafe(ref pd, (nuint)i) + vc);
                Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref py, (nuint)i), va, t).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var va = Vector256.Create(a); var vb = Vector256.Create(b); var vc = Vector256.Create(c);
            for (; i <= n - 8; i += 8)
            {
                var t = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref px, (nuint)i), vb, Vector256.LoadUnsafe(ref pd, (nuint)i) + vc);
                Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref py, (nuint)i), va, t).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var va = Vector128.Create(a); var vb = Vector128.Create(b); var vc = Vector128.Create(c);
            for (; i <= n - 4; i += 4)
            {
                var t = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref px, (nuint)i), vb, Vector128.LoadUnsafe(ref pd, (nuint)i) + vc);
                Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref py, (nuint)i), va, t).StoreUnsafe(ref pd, (nuint)i);
            }
        }
        for (; i < n; i++) Unsafe.Add(ref pd, i) += a * Unsafe.Add(ref py, i) + b * Unsafe.Add(ref px, i) + c;
    }

    /// <summary>dst = max(dst, src) elementwise.</summary>
    public static void MaxInPlace(Span<float> dst, ReadOnlySpan<float> src)
    {
        if (src.Length < dst.Length) throw new ArgumentException("source is shorter than destination");
        int n = dst.Length, i = 0;
        ref float ps = ref MemoryMarshal.GetReference(src);
        ref float pd = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) Vector512.Max(Vector512.LoadUnsafe(ref pd, (nuint)i), Vector512.LoadUnsafe(ref ps, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) Vector256.Max(Vector256.LoadUnsafe(ref pd, (nuint)i), Vector256.LoadUnsafe(ref ps, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) Vector128.Max(Vector128.LoadUnsafe(ref pd, (nuint)i), Vector128.LoadUnsafe(ref ps, (nuint)i)).StoreUnsafe(ref pd, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref pd, i) = Math.Max(Unsafe.Add(ref pd, i), Unsafe.Add(ref ps, i));
    }

    /// <summary>dst += src elementwise.</summary>
    public static void AddInPlace(Span<float> dst, ReadOnlySpan<float> src) => Axpy(1, src, dst);
}

/// <summary>Plain scalar references of <see cref="ChannelMath"/>, for tests.</summary>
public static class ChannelMathReference
{
    public static float Sum(ReadOnlySpan<float> x) { double s = 0; foreach (var v in x) s += v; return (float)s; }
    public static float Max(ReadOnlySpan<float> x) { float m = float.NegativeInfinity; foreach (var v in x) m = Math.Max(m, v); return m; }
    public static float SumSquaredDeviation(ReadOnlySpan<float> x, float mean) { double s = 0; foreach (var v in x) s += (double)(v - mean) * (v - mean); return (float)s; }
    public static float DotCentered(ReadOnlySpan<float> y, ReadOnlySpan<float> x, float mean)
    { double s = 0; for (int i = 0; i < y.Length; i++) s += (double)y[i] * (x[i] - mean); return (float)s; }
    public static void Affine(ReadOnlySpan<float> x, float a, float b, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] = a * x[i] + b; }
    public static void Axpy(float a, ReadOnlySpan<float> x, Span<float> y) { for (int i = 0; i < x.Length; i++) y[i] += a * x[i]; }
    public static void AccumulateAffine2(ReadOnlySpan<float> y, float a, ReadOnlySpan<float> x, float b, float c, Span<float> d)
    { for (int i = 0; i < y.Length; i++) d[i] += a * y[i] + b * x[i] + c; }
    public static void MaxInPlace(Span<float> dst, ReadOnlySpan<float> src) { for (int i = 0; i < dst.Length; i++) dst[i] = Math.Max(dst[i], src[i]); }
}
