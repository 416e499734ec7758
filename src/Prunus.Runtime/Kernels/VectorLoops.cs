using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>A float -> float function in scalar and vector forms. Implement as a struct so the loop is specialized.</summary>
public interface IUnaryOp
{
    static abstract float Invoke(float x);
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>A (float, float) -> float function in scalar and vector forms.</summary>
public interface IBinaryOp
{
    static abstract float Invoke(float x, float y);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>
/// The one loop driver for elementwise kernels: widest available vectors first, then narrower, then a scalar tail.
/// Each driver has a scalar reference that applies only the scalar form, for tests.
/// </summary>
public static class VectorLoops
{
    /// <summary>dst[i] = Op(src[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOp>(ReadOnlySpan<float> src, Span<float> dst) where TOp : struct, IUnaryOp
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination is shorter than source");
        int n = src.Length, i = 0;
        ref float s = ref MemoryMarshal.GetReference(src);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref s, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Unsafe.Add(ref s, i));
    }

    /// <summary>Scalar reference of <see cref="Unary{TOp}"/>.</summary>
    public static void UnaryReference<TOp>(ReadOnlySpan<float> src, Span<float> dst) where TOp : struct, IUnaryOp
    {
        for (int i = 0; i < src.Length; i++) dst[i] = TOp.Invoke(src[i]);
    }

    /// <summary>dst[i] = Op(x[i], y[i]) for equal-length spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        if (y.Length < x.Length || dst.Length < x.Length) throw new ArgumentException("operands have different lengths");
        int n = x.Length, i = 0;
        ref float a = ref MemoryMarshal.GetReference(x);
        ref float b = ref MemoryMarshal.GetReference(y);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i)).StoreUnsafe(ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
    }

    /// <summary>Scalar reference of <see cref="Binary{TOp}"/>.</summary>
    public static void BinaryReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] = TOp.Invoke(x[i], y[i]);
    }

    /// <summary>dst[i] = Op(x[i], s) with a scalar right operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryScalar<TOp>(ReadOnlySpan<float> x, float s, Span<float> dst) where TOp : struct, IBinaryOp
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination is shorter than source");
        int n = x.Length, i = 0;
        ref float a = ref MemoryMarshal.GetReference(x);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512.Create(s);
            for (; i <= n - 16; i += 16) TOp.Invoke(Vector512.LoadUnsafe(ref a, (nuint)i), v).StoreUnsafe(ref d, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var v = Vector256.Create(s);
            for (; i <= n - 8; i += 8) TOp.Invoke(Vector256.LoadUnsafe(ref a, (nuint)i), v).StoreUnsafe(ref d, (nuint)i);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var v = Vector128.Create(s);
            for (; i <= n - 4; i += 4) TOp.Invoke(Vector128.LoadUnsafe(ref a, (nuint)i), v).StoreUnsafe(ref d, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref d, i) = TOp.Invoke(Unsafe.Add(ref a, i), s);
    }

    /// <summary>Scalar reference of <see cref="BinaryScalar{TOp}"/>.</summary>
    public static void BinaryScalarReference<TOp>(ReadOnlySpan<float> x, float s, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] = TOp.Invoke(x[i], s);
    }
    /// <summary>dst[i] += Op(x[i], y[i]): the shape of every gradient rule, which accumulates into input gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryAccumulate<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        if (y.Length < x.Length || dst.Length < x.Length) throw new ArgumentException("operands have different lengths");
        int n = x.Length, i = 0;
        ref float a = ref MemoryMarshal.GetReference(x);
        ref float b = ref MemoryMarshal.GetReference(y);
        ref float d = ref MemoryMarshal.GetReference(dst);
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16) (Vector512.LoadUnsafe(ref d, (nuint)i) + TOp.Invoke(Vector512.LoadUnsafe(ref a, (nuint)i), Vector512.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
        if (Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8) (Vector256.LoadUnsafe(ref d, (nuint)i) + TOp.Invoke(Vector256.LoadUnsafe(ref a, (nuint)i), Vector256.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
        if (Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4) (Vector128.LoadUnsafe(ref d, (nuint)i) + TOp.Invoke(Vector128.LoadUnsafe(ref a, (nuint)i), Vector128.LoadUnsafe(ref b, (nuint)i))).StoreUnsafe(ref d, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += TOp.Invoke(Unsafe.Add(ref a, i), Unsafe.Add(ref b, i));
    }

    /// <summary>Scalar reference of <see cref="BinaryAccumulate{TOp}"/>.</summary>
    public static void BinaryAccumulateReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] += TOp.Invoke(x[i], y[i]);
    }
}
