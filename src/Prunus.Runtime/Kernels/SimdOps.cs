using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// The operations <see cref="VectorMath{TV, TO}"/> is written in, for one vector width (or for a plain float), so that
/// a formula is written once and compiled for float, Vector128, Vector256 and Vector512. (The vector types' operators
/// are not reachable through generic constraints, hence Add, Multiply, ... here.) Masks are all-ones or all-zeros
/// lanes, as the comparisons of <see cref="Vector128"/> return them. Nothing is fused: a*b+c rounds twice on every
/// width, so the scalar form is an exact reference of the vector forms' arithmetic.
/// </summary>
public interface ISimdOps<TV>
{
    static abstract TV Create(float value);
    static abstract TV Add(TV x, TV y);
    static abstract TV Subtract(TV x, TV y);
    static abstract TV Multiply(TV x, TV y);
    static abstract TV Divide(TV x, TV y);
    static abstract TV Negate(TV x);
    static abstract TV Log(TV x);
    static abstract TV Sqrt(TV x);
    static abstract TV Abs(TV x);
    static abstract TV Floor(TV x);
    /// <summary>Round to nearest, ties to even.</summary>
    static abstract TV Round(TV x);
    /// <summary>x * 2^n for integral n in [-150, 128], in two steps so that results may be subnormal or overflow to infinity.</summary>
    static abstract TV ScaleByPow2(TV x, TV n);
    /// <summary>x limited to [lo, hi] with the instruction's own NaN rule (callers restore NaN where it matters).</summary>
    static abstract TV ClampNative(TV x, TV lo, TV hi);
    /// <summary>Mask of NaN lanes.</summary>
    static abstract TV IsNaN(TV x);
    static abstract TV Ceiling(TV x);
    /// <summary>IEEE maximum: NaN if either is NaN.</summary>
    static abstract TV Max(TV x, TV y);
    /// <summary>IEEE minimum: NaN if either is NaN.</summary>
    static abstract TV Min(TV x, TV y);
    static abstract TV CopySign(TV magnitude, TV sign);
    static abstract TV LessThan(TV x, TV y);
    static abstract TV LessThanOrEqual(TV x, TV y);
    static abstract TV GreaterThan(TV x, TV y);
    static abstract TV GreaterThanOrEqual(TV x, TV y);
    static abstract TV Equal(TV x, TV y);
    static abstract TV And(TV x, TV y);
    static abstract TV AndNot(TV x, TV y);
    static abstract TV Or(TV x, TV y);
    /// <summary>Lanes of <paramref name="ifTrue"/> where <paramref name="mask"/> is set, else of <paramref name="ifFalse"/>.</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);
    /// <summary>Mask of lanes that hold an integer value.</summary>
    static abstract TV IsInteger(TV x);
    /// <summary>Mask of lanes that hold an odd integer value.</summary>
    static abstract TV IsOddInteger(TV x);
    /// <summary>x^y computed in double precision (then rounded), valid for x &gt;= 0.</summary>
    static abstract TV PowNonNegative(TV x, TV y);
}

/// <summary><see cref="ISimdOps{TV}"/> for a single float: the scalar reference form of every formula.</summary>
public readonly struct ScalarOps : ISimdOps<float>
{
    private static readonly float AllBits = BitConverter.Int32BitsToSingle(-1);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float Mask(bool b) => b ? AllBits : 0f;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static bool IsSet(float m) => BitConverter.SingleToInt32Bits(m) != 0;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static float Bits(int b) => BitConverter.Int32BitsToSingle(b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static int Bits(float f) => BitConverter.SingleToInt32Bits(f);

    public static float Create(float value) => value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Add(float x, float y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Subtract(float x, float y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Multiply(float x, float y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Divide(float x, float y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Negate(float x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Log(float x) => MathF.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sqrt(float x) => MathF.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Abs(float x) => MathF.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Floor(float x) => MathF.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Round(float x) => MathF.Round(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float ClampNative(float x, float lo, float hi) => x < lo ? lo : x > hi ? hi : x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float IsNaN(float x) => Mask(float.IsNaN(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ScaleByPow2(float x, float n)
    {
        int k = (int)n, k1 = k >> 1, k2 = k - k1;
        return x * Bits((k1 + 127) << 23) * Bits((k2 + 127) << 23);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Ceiling(float x) => MathF.Ceiling(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Max(float x, float y) => MathF.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Min(float x, float y) => MathF.Min(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float CopySign(float magnitude, float sign) => MathF.CopySign(magnitude, sign);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThan(float x, float y) => Mask(x < y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float LessThanOrEqual(float x, float y) => Mask(x <= y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThan(float x, float y) => Mask(x > y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float GreaterThanOrEqual(float x, float y) => Mask(x >= y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Equal(float x, float y) => Mask(x == y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float And(float x, float y) => Bits(Bits(x) & Bits(y));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float AndNot(float x, float y) => Bits(Bits(x) & ~Bits(y));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Or(float x, float y) => Bits(Bits(x) | Bits(y));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Select(float mask, float ifTrue, float ifFalse) => IsSet(mask) ? ifTrue : ifFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float IsInteger(float x) => Mask(float.IsInteger(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float IsOddInteger(float x) => Mask(float.IsOddInteger(x));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float PowNonNegative(float x, float y) => (float)Math.Pow(x, y);
}

/// <summary><see cref="ISimdOps{TV}"/> for 4 floats.</summary>
public readonly struct Simd128 : ISimdOps<Vector128<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Create(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Subtract(Vector128<float> x, Vector128<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> x, Vector128<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Negate(Vector128<float> x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Log(Vector128<float> x) => Vector128.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Sqrt(Vector128<float> x) => Vector128.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Abs(Vector128<float> x) => Vector128.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Floor(Vector128<float> x) => Vector128.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Round(Vector128<float> x) => Vector128.Round(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> ClampNative(Vector128<float> x, Vector128<float> lo, Vector128<float> hi) => Vector128.ClampNative(x, lo, hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsNaN(Vector128<float> x) => Vector128.IsNaN(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ScaleByPow2(Vector128<float> x, Vector128<float> n)
    {
        // n is integral and in range, so the plain (non-saturating) conversion is exact.
        var k = Vector128.ConvertToInt32Native(n);
        var k1 = Vector128.ShiftRightArithmetic(k, 1);
        var bias = Vector128.Create(127);
        var s1 = Vector128.ShiftLeft(k1 + bias, 23).AsSingle();
        var s2 = Vector128.ShiftLeft(k - k1 + bias, 23).AsSingle();
        return x * s1 * s2;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Ceiling(Vector128<float> x) => Vector128.Ceiling(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Max(Vector128<float> x, Vector128<float> y) => Vector128.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Min(Vector128<float> x, Vector128<float> y) => Vector128.Min(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> CopySign(Vector128<float> m, Vector128<float> s) => Vector128.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThan(Vector128<float> x, Vector128<float> y) => Vector128.LessThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> LessThanOrEqual(Vector128<float> x, Vector128<float> y) => Vector128.LessThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThan(Vector128<float> x, Vector128<float> y) => Vector128.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> GreaterThanOrEqual(Vector128<float> x, Vector128<float> y) => Vector128.GreaterThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> x, Vector128<float> y) => Vector128.Equals(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> And(Vector128<float> x, Vector128<float> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> AndNot(Vector128<float> x, Vector128<float> y) => Vector128.AndNot(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Or(Vector128<float> x, Vector128<float> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> m, Vector128<float> t, Vector128<float> f) => Vector128.ConditionalSelect(m, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsInteger(Vector128<float> x) => Vector128.IsInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IsOddInteger(Vector128<float> x) => Vector128.IsOddInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> PowNonNegative(Vector128<float> x, Vector128<float> y)
    {
        var (xl, xh) = Vector128.Widen(x);
        var (yl, yh) = Vector128.Widen(y);
        return Vector128.Narrow(Vector128.Exp(yl * Vector128.Log(xl)), Vector128.Exp(yh * Vector128.Log(xh)));
    }
}

/// <summary><see cref="ISimdOps{TV}"/> for 8 floats.</summary>
public readonly struct Simd256 : ISimdOps<Vector256<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Create(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Subtract(Vector256<float> x, Vector256<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> x, Vector256<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Negate(Vector256<float> x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Log(Vector256<float> x) => Vector256.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Sqrt(Vector256<float> x) => Vector256.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Abs(Vector256<float> x) => Vector256.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Floor(Vector256<float> x) => Vector256.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Round(Vector256<float> x) => Vector256.Round(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> ClampNative(Vector256<float> x, Vector256<float> lo, Vector256<float> hi) => Vector256.ClampNative(x, lo, hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsNaN(Vector256<float> x) => Vector256.IsNaN(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ScaleByPow2(Vector256<float> x, Vector256<float> n)
    {
        // n is integral and in range, so the plain (non-saturating) conversion is exact.
        var k = Vector256.ConvertToInt32Native(n);
        var k1 = Vector256.ShiftRightArithmetic(k, 1);
        var bias = Vector256.Create(127);
        var s1 = Vector256.ShiftLeft(k1 + bias, 23).AsSingle();
        var s2 = Vector256.ShiftLeft(k - k1 + bias, 23).AsSingle();
        return x * s1 * s2;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Ceiling(Vector256<float> x) => Vector256.Ceiling(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Max(Vector256<float> x, Vector256<float> y) => Vector256.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Min(Vector256<float> x, Vector256<float> y) => Vector256.Min(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> CopySign(Vector256<float> m, Vector256<float> s) => Vector256.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThan(Vector256<float> x, Vector256<float> y) => Vector256.LessThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> LessThanOrEqual(Vector256<float> x, Vector256<float> y) => Vector256.LessThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThan(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> GreaterThanOrEqual(Vector256<float> x, Vector256<float> y) => Vector256.GreaterThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> x, Vector256<float> y) => Vector256.Equals(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> And(Vector256<float> x, Vector256<float> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> AndNot(Vector256<float> x, Vector256<float> y) => Vector256.AndNot(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Or(Vector256<float> x, Vector256<float> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> m, Vector256<float> t, Vector256<float> f) => Vector256.ConditionalSelect(m, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsInteger(Vector256<float> x) => Vector256.IsInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IsOddInteger(Vector256<float> x) => Vector256.IsOddInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> PowNonNegative(Vector256<float> x, Vector256<float> y)
    {
        var (xl, xh) = Vector256.Widen(x);
        var (yl, yh) = Vector256.Widen(y);
        return Vector256.Narrow(Vector256.Exp(yl * Vector256.Log(xl)), Vector256.Exp(yh * Vector256.Log(xh)));
    }
}

/// <summary><see cref="ISimdOps{TV}"/> for 16 floats.</summary>
public readonly struct Simd512 : ISimdOps<Vector512<float>>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Create(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Subtract(Vector512<float> x, Vector512<float> y) => x - y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> x, Vector512<float> y) => x / y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Negate(Vector512<float> x) => -x;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Log(Vector512<float> x) => Vector512.Log(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Sqrt(Vector512<float> x) => Vector512.Sqrt(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Abs(Vector512<float> x) => Vector512.Abs(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Floor(Vector512<float> x) => Vector512.Floor(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Round(Vector512<float> x) => Vector512.Round(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> ClampNative(Vector512<float> x, Vector512<float> lo, Vector512<float> hi) => Vector512.ClampNative(x, lo, hi);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsNaN(Vector512<float> x) => Vector512.IsNaN(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ScaleByPow2(Vector512<float> x, Vector512<float> n)
    {
        // n is integral and in range, so the plain (non-saturating) conversion is exact.
        var k = Vector512.ConvertToInt32Native(n);
        var k1 = Vector512.ShiftRightArithmetic(k, 1);
        var bias = Vector512.Create(127);
        var s1 = Vector512.ShiftLeft(k1 + bias, 23).AsSingle();
        var s2 = Vector512.ShiftLeft(k - k1 + bias, 23).AsSingle();
        return x * s1 * s2;
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Ceiling(Vector512<float> x) => Vector512.Ceiling(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Max(Vector512<float> x, Vector512<float> y) => Vector512.Max(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Min(Vector512<float> x, Vector512<float> y) => Vector512.Min(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> CopySign(Vector512<float> m, Vector512<float> s) => Vector512.CopySign(m, s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThan(Vector512<float> x, Vector512<float> y) => Vector512.LessThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> LessThanOrEqual(Vector512<float> x, Vector512<float> y) => Vector512.LessThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThan(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThan(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> GreaterThanOrEqual(Vector512<float> x, Vector512<float> y) => Vector512.GreaterThanOrEqual(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> x, Vector512<float> y) => Vector512.Equals(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> And(Vector512<float> x, Vector512<float> y) => x & y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> AndNot(Vector512<float> x, Vector512<float> y) => Vector512.AndNot(x, y);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Or(Vector512<float> x, Vector512<float> y) => x | y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> m, Vector512<float> t, Vector512<float> f) => Vector512.ConditionalSelect(m, t, f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsInteger(Vector512<float> x) => Vector512.IsInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IsOddInteger(Vector512<float> x) => Vector512.IsOddInteger(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> PowNonNegative(Vector512<float> x, Vector512<float> y)
    {
        var (xl, xh) = Vector512.Widen(x);
        var (yl, yh) = Vector512.Widen(y);
        return Vector512.Narrow(Vector512.Exp(yl * Vector512.Log(xl)), Vector512.Exp(yh * Vector512.Log(xh)));
    }
}
