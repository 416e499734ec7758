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

/// <summary>A (float, float, float) -> float function in scalar and vector forms: the shape of a broadcast gradient rule G(s1, s2, dy).</summary>
public interface ITernaryOp
{
    static abstract float Invoke(float x, float y, float z);
    static abstract Vector128<float> Invoke(Vector128<float> x, Vector128<float> y, Vector128<float> z);
    static abstract Vector256<float> Invoke(Vector256<float> x, Vector256<float> y, Vector256<float> z);
    static abstract Vector512<float> Invoke(Vector512<float> x, Vector512<float> y, Vector512<float> z);
}

/// <summary>A float -> float function with parameters (an op's attributes, e.g. LeakyRelu's alpha) held in the struct.</summary>
public interface IUnaryFunc
{
    float Invoke(float x);
    Vector128<float> Invoke(Vector128<float> x);
    Vector256<float> Invoke(Vector256<float> x);
    Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>A (float, float) -> float function with parameters held in the struct.</summary>
public interface IBinaryFunc
{
    float Invoke(float x, float y);
    Vector128<float> Invoke(Vector128<float> x, Vector128<float> y);
    Vector256<float> Invoke(Vector256<float> x, Vector256<float> y);
    Vector512<float> Invoke(Vector512<float> x, Vector512<float> y);
}

/// <summary>How a loop reads an operand at element i: <see cref="Dense"/> reads p[i], <see cref="Splat"/> repeats p[0].</summary>
public interface IOperandRead
{
    static abstract float At(ref float p, nuint i);
    static abstract Vector128<float> At128(ref float p, nuint i);
    static abstract Vector256<float> At256(ref float p, nuint i);
    static abstract Vector512<float> At512(ref float p, nuint i);
}

/// <summary>A contiguous operand: element i is p[i].</summary>
public readonly struct Dense : IOperandRead
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float At(ref float p, nuint i) => Unsafe.Add(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> At128(ref float p, nuint i) => Vector128.LoadUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> At256(ref float p, nuint i) => Vector256.LoadUnsafe(ref p, i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> At512(ref float p, nuint i) => Vector512.LoadUnsafe(ref p, i);
}

/// <summary>A broadcast operand: every element is p[0].</summary>
public readonly struct Splat : IOperandRead
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float At(ref float p, nuint i) => p;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> At128(ref float p, nuint i) => Vector128.Create(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> At256(ref float p, nuint i) => Vector256.Create(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> At512(ref float p, nuint i) => Vector512.Create(p);
}

/// <summary>Adapts a parameterless <see cref="IUnaryOp"/> to the <see cref="IUnaryFunc"/> the loops run.</summary>
public readonly struct StaticUnary<TOp> : IUnaryFunc where TOp : struct, IUnaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => TOp.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => TOp.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => TOp.Invoke(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => TOp.Invoke(x);
}

/// <summary>Adapts a parameterless <see cref="IBinaryOp"/> to the <see cref="IBinaryFunc"/> the loops run.</summary>
public readonly struct StaticBinary<TOp> : IBinaryFunc where TOp : struct, IBinaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float y) => TOp.Invoke(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => TOp.Invoke(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => TOp.Invoke(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => TOp.Invoke(x, y);
}

/// <summary>
/// The one loop driver for elementwise kernels: widest available vectors first, then narrower, then a scalar tail.
/// Each driver has a scalar reference that applies only the scalar form, for tests. The span entry points check
/// lengths; the ref-based run cores (used by <see cref="Broadcast"/>) trust their caller.
/// </summary>
public static class VectorLoops
{
    // ---- Unary: dst[i] = f(src[i]) ----

    /// <summary>dst[i] = Op(src[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TOp>(ReadOnlySpan<float> src, Span<float> dst) where TOp : struct, IUnaryOp =>
        Unary(default(StaticUnary<TOp>), src, dst);

    /// <summary>Scalar reference of <see cref="Unary{TOp}(ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void UnaryReference<TOp>(ReadOnlySpan<float> src, Span<float> dst) where TOp : struct, IUnaryOp
    {
        for (int i = 0; i < src.Length; i++) dst[i] = TOp.Invoke(src[i]);
    }

    /// <summary>dst[i] = f(src[i]) for a function with parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unary<TF>(TF f, ReadOnlySpan<float> src, Span<float> dst) where TF : struct, IUnaryFunc
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination is shorter than source");
        UnaryRun(f, ref MemoryMarshal.GetReference(src), ref MemoryMarshal.GetReference(dst), (nuint)src.Length);
    }

    /// <summary>Scalar reference of <see cref="Unary{TF}(TF, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void UnaryReference<TF>(TF f, ReadOnlySpan<float> src, Span<float> dst) where TF : struct, IUnaryFunc
    {
        for (int i = 0; i < src.Length; i++) dst[i] = f.Invoke(src[i]);
    }

    // ---- Binary: dst[i] = f(x[i], y[i]) ----

    /// <summary>dst[i] = Op(x[i], y[i]) for equal-length spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp =>
        Binary(default(StaticBinary<TOp>), x, y, dst);

    /// <summary>Scalar reference of <see cref="Binary{TOp}(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void BinaryReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] = TOp.Invoke(x[i], y[i]);
    }

    /// <summary>dst[i] = f(x[i], y[i]) for a function with parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Binary<TF>(TF f, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TF : struct, IBinaryFunc
    {
        if (y.Length < x.Length || dst.Length < x.Length) throw new ArgumentException("operands have different lengths");
        BinaryRun<TF, Dense, Dense>(f, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(dst), (nuint)x.Length);
    }

    /// <summary>dst[i] = Op(x[i], s) with a scalar right operand.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryScalar<TOp>(ReadOnlySpan<float> x, float s, Span<float> dst) where TOp : struct, IBinaryOp
    {
        if (dst.Length < x.Length) throw new ArgumentException("destination is shorter than source");
        BinaryRun<StaticBinary<TOp>, Dense, Splat>(default, ref MemoryMarshal.GetReference(x), ref s, ref MemoryMarshal.GetReference(dst), (nuint)x.Length);
    }

    /// <summary>Scalar reference of <see cref="BinaryScalar{TOp}"/>.</summary>
    public static void BinaryScalarReference<TOp>(ReadOnlySpan<float> x, float s, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] = TOp.Invoke(x[i], s);
    }

    // ---- Accumulating forms: dst[i] += f(...), the shape of every gradient rule ----

    /// <summary>dst[i] += Op(x[i], y[i]): the shape of every gradient rule, which accumulates into input gradients.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryAccumulate<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp =>
        BinaryAccumulate(default(StaticBinary<TOp>), x, y, dst);

    /// <summary>Scalar reference of <see cref="BinaryAccumulate{TOp}(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void BinaryAccumulateReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] += TOp.Invoke(x[i], y[i]);
    }

    /// <summary>dst[i] += f(x[i], y[i]) for a function with parameters.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BinaryAccumulate<TF>(TF f, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TF : struct, IBinaryFunc
    {
        if (y.Length < x.Length || dst.Length < x.Length) throw new ArgumentException("operands have different lengths");
        BinaryAccumulateRun(f, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(dst), (nuint)x.Length);
    }

    /// <summary>Scalar reference of <see cref="BinaryAccumulate{TF}(TF, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static void BinaryAccumulateReference<TF>(TF f, ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> dst) where TF : struct, IBinaryFunc
    {
        for (int i = 0; i < x.Length; i++) dst[i] += f.Invoke(x[i], y[i]);
    }

    /// <summary>dst[i] += Op(x[i], y[i], z[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TernaryAccumulate<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> dst) where TOp : struct, ITernaryOp
    {
        if (y.Length < x.Length || z.Length < x.Length || dst.Length < x.Length) throw new ArgumentException("operands have different lengths");
        TernaryAccumulateRun<TOp, Dense, Dense>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y),
            ref MemoryMarshal.GetReference(z), ref MemoryMarshal.GetReference(dst), (nuint)x.Length);
    }

    /// <summary>Scalar reference of <see cref="TernaryAccumulate{TOp}"/>.</summary>
    public static void TernaryAccumulateReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z, Span<float> dst) where TOp : struct, ITernaryOp
    {
        for (int i = 0; i < x.Length; i++) dst[i] += TOp.Invoke(x[i], y[i], z[i]);
    }

    /// <summary>Sum over i of Op(x[i], y[i], z[i]) (a gradient reduced onto one broadcast element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float TernarySum<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z) where TOp : struct, ITernaryOp
    {
        if (y.Length < x.Length || z.Length < x.Length) throw new ArgumentException("operands have different lengths");
        return TernarySumRun<TOp, Dense, Dense>(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(z), (nuint)x.Length);
    }

    /// <summary>Scalar reference of <see cref="TernarySum{TOp}"/>, accumulated in double.</summary>
    public static float TernarySumReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> z) where TOp : struct, ITernaryOp
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += TOp.Invoke(x[i], y[i], z[i]);
        return (float)s;
    }

    // ---- Run cores: n elements from refs; operands read through TX/TY (Dense or Splat) ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void UnaryRun<TF>(TF f, ref float s, ref float d, nuint n) where TF : struct, IUnaryFunc
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) f.Invoke(Vector512.LoadUnsafe(ref s, i)).StoreUnsafe(ref d, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) f.Invoke(Vector256.LoadUnsafe(ref s, i)).StoreUnsafe(ref d, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) f.Invoke(Vector128.LoadUnsafe(ref s, i)).StoreUnsafe(ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = f.Invoke(Unsafe.Add(ref s, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BinaryRun<TF, TX, TY>(TF f, ref float x, ref float y, ref float d, nuint n)
        where TF : struct, IBinaryFunc where TX : struct, IOperandRead where TY : struct, IOperandRead
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) f.Invoke(TX.At512(ref x, i), TY.At512(ref y, i)).StoreUnsafe(ref d, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) f.Invoke(TX.At256(ref x, i), TY.At256(ref y, i)).StoreUnsafe(ref d, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) f.Invoke(TX.At128(ref x, i), TY.At128(ref y, i)).StoreUnsafe(ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) = f.Invoke(TX.At(ref x, i), TY.At(ref y, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void BinaryAccumulateRun<TF>(TF f, ref float x, ref float y, ref float d, nuint n) where TF : struct, IBinaryFunc
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16) (Vector512.LoadUnsafe(ref d, i) + f.Invoke(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref y, i))).StoreUnsafe(ref d, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) (Vector256.LoadUnsafe(ref d, i) + f.Invoke(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref y, i))).StoreUnsafe(ref d, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4) (Vector128.LoadUnsafe(ref d, i) + f.Invoke(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref y, i))).StoreUnsafe(ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += f.Invoke(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
    }

    /// <summary>d[i] += Op(X(i), Y(i), z[i]); z (the output gradient) is always dense.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void TernaryAccumulateRun<TOp, TX, TY>(ref float x, ref float y, ref float z, ref float d, nuint n)
        where TOp : struct, ITernaryOp where TX : struct, IOperandRead where TY : struct, IOperandRead
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i + 16 <= n; i += 16)
                (Vector512.LoadUnsafe(ref d, i) + TOp.Invoke(TX.At512(ref x, i), TY.At512(ref y, i), Vector512.LoadUnsafe(ref z, i))).StoreUnsafe(ref d, i);
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8)
                (Vector256.LoadUnsafe(ref d, i) + TOp.Invoke(TX.At256(ref x, i), TY.At256(ref y, i), Vector256.LoadUnsafe(ref z, i))).StoreUnsafe(ref d, i);
        if (Vector128.IsHardwareAccelerated)
            for (; i + 4 <= n; i += 4)
                (Vector128.LoadUnsafe(ref d, i) + TOp.Invoke(TX.At128(ref x, i), TY.At128(ref y, i), Vector128.LoadUnsafe(ref z, i))).StoreUnsafe(ref d, i);
        for (; i < n; i++) Unsafe.Add(ref d, i) += TOp.Invoke(TX.At(ref x, i), TY.At(ref y, i), Unsafe.Add(ref z, i));
    }

    /// <summary>Sum of Op(X(i), Y(i), z[i]) over the run, in vector lanes first, then across lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float TernarySumRun<TOp, TX, TY>(ref float x, ref float y, ref float z, nuint n)
        where TOp : struct, ITernaryOp where TX : struct, IOperandRead where TY : struct, IOperandRead
    {
        nuint i = 0;
        float total = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i + 16 <= n; i += 16) acc += TOp.Invoke(TX.At512(ref x, i), TY.At512(ref y, i), Vector512.LoadUnsafe(ref z, i));
            total += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && i + 8 <= n)
        {
            // Two accumulators: the add latency, not the loads, would otherwise bound an in-cache run.
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = Vector256<float>.Zero;
            for (; i + 16 <= n; i += 16)
            {
                acc0 += TOp.Invoke(TX.At256(ref x, i), TY.At256(ref y, i), Vector256.LoadUnsafe(ref z, i));
                acc1 += TOp.Invoke(TX.At256(ref x, i + 8), TY.At256(ref y, i + 8), Vector256.LoadUnsafe(ref z, i + 8));
            }
            for (; i + 8 <= n; i += 8) acc0 += TOp.Invoke(TX.At256(ref x, i), TY.At256(ref y, i), Vector256.LoadUnsafe(ref z, i));
            total += Vector256.Sum(acc0 + acc1);
        }
        if (Vector128.IsHardwareAccelerated && i + 4 <= n)
        {
            var acc = Vector128<float>.Zero;
            for (; i + 4 <= n; i += 4) acc += TOp.Invoke(TX.At128(ref x, i), TY.At128(ref y, i), Vector128.LoadUnsafe(ref z, i));
            total += Vector128.Sum(acc);
        }
        for (; i < n; i++) total += TOp.Invoke(TX.At(ref x, i), TY.At(ref y, i), Unsafe.Add(ref z, i));
        return total;
    }
}
