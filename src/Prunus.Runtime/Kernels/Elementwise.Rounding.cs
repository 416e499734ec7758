// Round and Sign: piecewise-constant ops, each one formula over the lane type.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

public static partial class Elementwise
{
    /// <summary>Nearest integer, ties to even (ONNX Round).</summary>
    public readonly struct RoundOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Round(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Round(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Round(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Round(x);
    }

    /// <summary>1 for x &gt; 0, -1 for x &lt; 0, 0 otherwise (zero of either sign, and NaN).</summary>
    public readonly struct SignOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => Sign<float, ScalarOps>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Sign<Vector128<float>, Simd128>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Sign<Vector256<float>, Simd256>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Sign<Vector512<float>, Simd512>(x);
    }

    // (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0), by masking the constant 1 with each comparison.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Sign<TV, TO>(TV x) where TV : struct where TO : struct, ISimdOps<TV>
    {
        var zero = TO.Create(0f);
        var one = TO.Create(1f);
        return TO.Subtract(TO.And(TO.GreaterThan(x, zero), one), TO.And(TO.LessThan(x, zero), one));
    }
}
