using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// A reduction in scalar and vector forms: Map is applied to each element, Combine folds mapped values, starting at
/// Identity. Implement as a struct so the loops are specialized.
/// </summary>
public interface IReduceOp
{
    static abstract float Identity { get; }
    static abstract float Map(float x);
    static abstract Vector128<float> Map(Vector128<float> x);
    static abstract Vector256<float> Map(Vector256<float> x);
    static abstract Vector512<float> Map(Vector512<float> x);
    static abstract float Combine(float a, float b);
    static abstract Vector128<float> Combine(Vector128<float> a, Vector128<float> b);
    static abstract Vector256<float> Combine(Vector256<float> a, Vector256<float> b);
    static abstract Vector512<float> Combine(Vector512<float> a, Vector512<float> b);
}

/// <summary>
/// Reductions of contiguous float runs (a whole run to one value, or a run folded elementwise into an accumulator),
/// each with a scalar reference. The building blocks of Reduce*, Softmax and LayerNormalization.
/// </summary>
public static class RowReduce
{
    /// <summary>Σ x.</summary>
    public struct Sum : IReduceOp
    {
        public static float Identity => 0f;
        public static float Map(float x) => x;
        public static Vector128<float> Map(Vector128<float> x) => x;
        public static Vector256<float> Map(Vector256<float> x) => x;
        public static Vector512<float> Map(Vector512<float> x) => x;
        public static float Combine(float a, float b) => a + b;
        public static Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => a + b;
        public static Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
    }

    /// <summary>Σ x².</summary>
    public struct SumSquares : IReduceOp
    {
        public static float Identity => 0f;
        public static float Map(float x) => x * x;
        public static Vector128<float> Map(Vector128<float> x) => x * x;
        public static Vector256<float> Map(Vector256<float> x) => x * x;
        public static Vector512<float> Map(Vector512<float> x) => x * x;
        public static float Combine(float a, float b) => a + b;
        public static Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => a + b;
        public static Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a + b;
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
    }

    /// <summary>Π x.</summary>
    public struct Product : IReduceOp
    {
        public static float Identity => 1f;
        public static float Map(float x) => x;
        public static Vector128<float> Map(Vector128<float> x) => x;
        public static Vector256<float> Map(Vector256<float> x) => x;
        public static Vector512<float> Map(Vector512<float> x) => x;
        public static float Combine(float a, float b) => a * b;
        public static Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => a * b;
        public static Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a * b;
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a * b;
    }

    /// <summary>max x (−∞ for an empty run).</summary>
    public struct Max : IReduceOp
    {
        public static float Identity => float.NegativeInfinity;
        public static float Map(float x) => x;
        public static Vector128<float> Map(Vector128<float> x) => x;
        public static Vector256<float> Map(Vector256<float> x) => x;
        public static Vector512<float> Map(Vector512<float> x) => x;
        public static float Combine(float a, float b) => MathF.Max(a, b);
        public static Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
        public static Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    }

    /// <summary>min x (+∞ for an empty run).</summary>
    public struct Min : IReduceOp
    {
        public static float Identity => float.PositiveInfinity;
        public static float Map(float x) => x;
        public static Vector128<float> Map(Vector128<float> x) => x;
        public static Vector256<float> Map(Vector256<float> x) => x;
        public static Vector512<float> Map(Vector512<float> x) => x;
        public static float Combine(float a, float b) => MathF.Min(a, b);
        public static Vector128<float> Combine(Vector128<float> a, Vector128<float> b) => Vector128.Min(a, b);
        public static Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
        public static Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    }

    /// <summary>Folds the whole run into one value.</summary>
    public static float Reduce<TOp>(ReadOnlySpan<float> x) where TOp : struct, IReduceOp
    {
        int n = x.Length, i = 0;
        ref float p = ref MemoryMarshal.GetReference(x);
        float r = TOp.Identity;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512.Create(TOp.Identity);
            for (; i <= n - 16; i += 16) acc = TOp.Combine(acc, TOp.Map(Vector512.LoadUnsafe(ref p, (nuint)i)));
            r = TOp.Combine(r, Horizontal<TOp>(TOp.Combine(acc.GetLower(), acc.GetUpper())));
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var acc = Vector256.Create(TOp.Identity);
            for (; i <= n - 8; i += 8) acc = TOp.Combine(acc, TOp.Map(Vector256.LoadUnsafe(ref p, (nuint)i)));
            r = TOp.Combine(r, Horizontal<TOp>(acc));
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var acc = Vector128.Create(TOp.Identity);
            for (; i <= n - 4; i += 4) acc = TOp.Combine(acc, TOp.Map(Vector128.LoadUnsafe(ref p, (nuint)i)));
            r = TOp.Combine(r, Horizontal<TOp>(acc));
        }
        for (; i < n; i++) r = TOp.Combine(r, TOp.Map(Unsafe.Add(ref p, i)));
        return r;
    }

    /// <summary>Scalar reference of <see cref="Reduce{TOp}"/>: left to right, one element at a time.</summary>
    public static float ReduceReference<TOp>(ReadOnlySpan<float> x) where TOp : struct, IReduceOp
    {
        float r = TOp.Identity;
        foreach (var v in x) r = TOp.Combine(r, TOp.Map(v));
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Horizontal<TOp>(Vector256<float> v) where TOp : struct, IReduceOp =>
        Horizontal<TOp>(TOp.Combine(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Horizontal<TOp>(Vector128<float> v) where TOp : struct, IReduceOp =>
        TOp.Combine(TOp.Combine(v.GetElement(0), v.GetElement(1)), TOp.Combine(v.GetElement(2), v.GetElement(3)));

    /// <summary>acc[i] = Combine(acc[i], Map(x[i])): folds a run into an accumulator row of equal length.</summary>
    public static void Accumulate<TOp>(Span<float> acc, ReadOnlySpan<float> x) where TOp : struct, IReduceOp =>
        VectorLoops.Binary<AccumulateOp<TOp>>(acc, x, acc);

    /// <summary>Scalar reference of <see cref="Accumulate{TOp}"/>.</summary>
    public static void AccumulateReference<TOp>(Span<float> acc, ReadOnlySpan<float> x) where TOp : struct, IReduceOp
    {
        for (int i = 0; i < x.Length; i++) acc[i] = TOp.Combine(acc[i], TOp.Map(x[i]));
    }

    private struct AccumulateOp<TOp> : IBinaryOp where TOp : struct, IReduceOp
    {
        public static float Invoke(float a, float x) => TOp.Combine(a, TOp.Map(x));
        public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> x) => TOp.Combine(a, TOp.Map(x));
        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> x) => TOp.Combine(a, TOp.Map(x));
        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> x) => TOp.Combine(a, TOp.Map(x));
    }

    /// <summary>Σ x·y.</summary>
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("operands have different lengths");
        int n = x.Length, i = 0;
        ref float a = ref MemoryMarshal.GetReference(x);
        ref float b = ref MemoryMarshal.GetReference(y);
        float r = 0;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector512<float>.Zero;
            for (; i <= n - 16; i += 16) acc += Vector512.LoadUnsafe(ref a, (nuint)i) * Vector512.LoadUnsafe(ref b, (nuint)i);
            r += Vector512.Sum(acc);
        }
        if (Vector256.IsHardwareAccelerated && n - i >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; i <= n - 8; i += 8) acc += Vector256.LoadUnsafe(ref a, (nuint)i) * Vector256.LoadUnsafe(ref b, (nuint)i);
            r += Vector256.Sum(acc);
        }
        if (Vector128.IsHardwareAccelerated && n - i >= 4)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= n - 4; i += 4) acc += Vector128.LoadUnsafe(ref a, (nuint)i) * Vector128.LoadUnsafe(ref b, (nuint)i);
            r += Vector128.Sum(acc);
        }
        for (; i < n; i++) r += Unsafe.Add(ref a, i) * Unsafe.Add(ref b, i);
        return r;
    }

    /// <summary>Scalar reference of <see cref="Dot"/>.</summary>
    public static float DotReference(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float r = 0;
        for (int i = 0; i < x.Length; i++) r += x[i] * y[i];
        return r;
    }
}
