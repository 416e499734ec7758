using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// Fake quantization, y = (clamp(round(x / s) + z, lo, hi) - z) * s: the value that quantizing x to the integer grid
/// [lo, hi] with scale s and zero point z (ONNX QuantizeLinear, rounding half to even and saturating) and dequantizing
/// it again gives. Its gradients follow the straight-through estimator: dx = dy where the rounded value lies inside
/// [lo, hi] and 0 where it saturates; the step size gradient is that of LSQ (Esser et al., "Learned Step Size
/// Quantization"). x / s is a true division, as QuantizeLinear specifies, so results match a quantizer bit for bit.
/// </summary>
public static class FakeQuant
{
    /// <summary>Forward: y = (clamp(round(x / s) + z, lo, hi) - z) * s.</summary>
    public readonly struct Forward(float scale, float zeroPoint, float lo, float hi) : IUnaryFunc
    {
        public readonly float Scale = scale, ZeroPoint = zeroPoint, Lo = lo, Hi = hi;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => F<float, ScalarOps>.Apply(x, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => F<Vector128<float>, Simd128>.Apply(x, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => F<Vector256<float>, Simd256>.Apply(x, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => F<Vector512<float>, Simd512>.Apply(x, Scale, ZeroPoint, Lo, Hi);
    }

    /// <summary>Straight-through input gradient from (x, dy): dy where lo &lt;= round(x / s) + z &lt;= hi, else 0.</summary>
    public readonly struct InputGradient(float scale, float zeroPoint, float lo, float hi) : IBinaryFunc
    {
        public readonly float Scale = scale, ZeroPoint = zeroPoint, Lo = lo, Hi = hi;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => F<float, ScalarOps>.InputGrad(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => F<Vector128<float>, Simd128>.InputGrad(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => F<Vector256<float>, Simd256>.InputGrad(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => F<Vector512<float>, Simd512>.InputGrad(x, g, Scale, ZeroPoint, Lo, Hi);
    }

    /// <summary>
    /// One element's term of LSQ's step size gradient from (x, dy): dy (round(v) - v) with v = x / s where the rounded
    /// value lies inside the grid, dy (lo - z) below it and dy (hi - z) above it (before the gradient scale).
    /// </summary>
    public readonly struct ScaleGradientTerm(float scale, float zeroPoint, float lo, float hi) : IBinaryFunc
    {
        public readonly float Scale = scale, ZeroPoint = zeroPoint, Lo = lo, Hi = hi;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => F<float, ScalarOps>.ScaleTerm(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => F<Vector128<float>, Simd128>.ScaleTerm(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => F<Vector256<float>, Simd256>.ScaleTerm(x, g, Scale, ZeroPoint, Lo, Hi);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => F<Vector512<float>, Simd512>.ScaleTerm(x, g, Scale, ZeroPoint, Lo, Hi);
    }

    /// <summary>max |x| (0 for no values); NaN when any value is NaN.</summary>
    public static float MaxAbs(ReadOnlySpan<float> x)
    {
        float m = 0;
        foreach (var v in x) m = float.IsNaN(v) ? v : MathF.Max(m, MathF.Abs(v));
        return m;
    }

    /// <summary>
    /// The symmetric scale of values whose largest magnitude is <paramref name="maxAbs"/>: maxAbs / <paramref name="qmax"/>,
    /// rounded once to float; 1 when maxAbs is 0 (any scale represents zeros exactly) or not finite.
    /// </summary>
    public static float SymmetricScale(float maxAbs, int qmax) => maxAbs > 0 && float.IsFinite(maxAbs) ? maxAbs / qmax : 1f;

    /// <summary>The formulas over a lane type (float with <see cref="ScalarOps"/> is the reference).</summary>
    private static class F<TV, TO> where TV : struct where TO : struct, ISimdOps<TV>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static TV Rounded(TV x, float s, float z) => TO.Add(TO.Round(TO.Divide(x, TO.Create(s))), TO.Create(z));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Apply(TV x, float s, float z, float lo, float hi)
        {
            var q = TO.Min(TO.Max(Rounded(x, s, z), TO.Create(lo)), TO.Create(hi));
            return TO.Multiply(TO.Subtract(q, TO.Create(z)), TO.Create(s));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV InputGrad(TV x, TV g, float s, float z, float lo, float hi)
        {
            var q = Rounded(x, s, z);
            return TO.And(TO.And(TO.GreaterThanOrEqual(q, TO.Create(lo)), TO.LessThanOrEqual(q, TO.Create(hi))), g);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV ScaleTerm(TV x, TV g, float s, float z, float lo, float hi)
        {
            var v = TO.Divide(x, TO.Create(s));
            var q = TO.Add(TO.Round(v), TO.Create(z));
            var inside = TO.Subtract(TO.Round(v), v);
            var term = TO.Select(TO.LessThan(q, TO.Create(lo)), TO.Create(lo - z),
                TO.Select(TO.GreaterThan(q, TO.Create(hi)), TO.Create(hi - z), inside));
            return TO.Multiply(term, g);
        }
    }
}
