using System.Runtime.CompilerServices;

namespace Prunus.Kernels;

/// <summary>
/// Elementwise formulas written once over a lane type: TV is float (with <see cref="ScalarOps"/>, the scalar
/// reference) or Vector128/256/512&lt;float&gt; (with <see cref="Simd128"/>, ...). Each op struct in
/// <see cref="Elementwise"/> calls these in its four forms, so its vector and scalar forms compute the same formula.
/// </summary>
public static class VectorMath<TV, TO> where TV : struct where TO : struct, ISimdOps<TV>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV C(float v) => TO.Create(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Add(TV a, TV b) => TO.Add(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Sub(TV a, TV b) => TO.Subtract(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Mul(TV a, TV b) => TO.Multiply(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Mul(TV a, TV b, TV c) => TO.Multiply(TO.Multiply(a, b), c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Div(TV a, TV b) => TO.Divide(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV Neg(TV a) => TO.Negate(a);
    /// <summary>a*b + c, rounded twice (not fused) on every width.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] private static TV MulAdd(TV a, TV b, TV c) => TO.Add(TO.Multiply(a, b), c);

    // ---- Building blocks ----

    /// <summary>
    /// e^x in float arithmetic (within 2 ulp; the vector Exp of the runtime works in double and is several times
    /// slower): x = n ln2 + r with |r| &lt;= ln2/2, e^r = 1 + r + r^2 P(r) with P a degree-4 fit (4e-9 relative before
    /// rounding), then scaled by 2^n. Saturates to 0 below -104 and to infinity above 88.8; NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Exp(TV x)
    {
        var input = x;
        x = TO.ClampNative(x, C(-104f), C(89f));
        var n = TO.Round(Mul(x, C(1.44269504088896341f)));
        // Cody-Waite: ln2 = 0.693359375 (exact in 9 bits, so n * hi is exact) - 2.12194440e-4.
        var r = Sub(x, Mul(n, C(0.693359375f)));
        r = Sub(r, Mul(n, C(-2.12194440054690583e-4f)));
        var p = C(0.00137514085508883f);
        p = MulAdd(p, r, C(0.008368918672204018f));
        p = MulAdd(p, r, C(0.04166953265666962f));
        p = MulAdd(p, r, C(0.166665181517601f));
        p = MulAdd(p, r, C(0.49999988079071045f));
        var er = Add(MulAdd(Mul(r, r), p, r), C(1));
        return TO.Select(TO.IsNaN(input), input, TO.ScaleByPow2(er, n));
    }

    /// <summary>1 / (1 + e^-x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Sigmoid(TV x) => Div(C(1), Add(C(1), Exp(Neg(x))));

    /// <summary>e^x - 1, accurate near 0 (a Taylor polynomial for |x| &lt; 0.5, where e^x - 1 would cancel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Expm1(TV x)
    {
        // Terms to x^9/9!: the first omitted term is below 3e-9 relative on |x| < 0.5.
        var p = C(1f / 362880);
        p = MulAdd(p, x, C(1f / 40320));
        p = MulAdd(p, x, C(1f / 5040));
        p = MulAdd(p, x, C(1f / 720));
        p = MulAdd(p, x, C(1f / 120));
        p = MulAdd(p, x, C(1f / 24));
        p = MulAdd(p, x, C(1f / 6));
        p = MulAdd(p, x, C(0.5f));
        p = MulAdd(p, x, C(1));
        return TO.Select(TO.LessThan(TO.Abs(x), C(0.5f)), Mul(p, x), Sub(Exp(x), C(1)));
    }

    /// <summary>log(1 + u) for u &gt;= 0, with the rounding of 1 + u corrected so that tiny u keep their precision.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Log1p(TV u)
    {
        var w = Add(C(1), u);
        // log(1+u) = log(w) + log((1+u)/w) ~ log(w) - ((w - 1) - u) / w; w - 1 is exact for w in [1, 2].
        return Sub(TO.Log(w), Div(Sub(Sub(w, C(1)), u), w));
    }

    /// <summary>|z| below which erf uses its odd polynomial; above, erfc = e^(-z^2) * P(t).</summary>
    private const float ErfSplit = 0.75f;

    /// <summary>erf(z)/z on |z| &lt; 0.75 as a polynomial in z^2 (least-squares fit in relative error, 1e-9 before float rounding).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfSmallPoly(TV z2)
    {
        var p = C(-0.0006747209479863758f);
        p = MulAdd(p, z2, C(0.005114020070931921f));
        p = MulAdd(p, z2, C(-0.026834463408176745f));
        p = MulAdd(p, z2, C(0.11283373313182418f));
        p = MulAdd(p, z2, C(-0.37612618526083186f));
        p = MulAdd(p, z2, C(1.1283791654714614f));
        return p;
    }

    /// <summary>
    /// erfc(a) e^(a^2) for 0 &lt;= a &lt;= 10 (clamped above), as P(t) with t = 1 / (1 + a/2) and P a degree-9 fit
    /// (4e-8 relative before float rounding, 3e-7 after). Times e^(-a^2) it gives erfc with relative accuracy into the
    /// far tail, which keeps Gelu's left side and erf near +-1 accurate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaled(TV a)
    {
        var t = Div(C(1), MulAdd(C(0.5f), TO.Min(a, C(10)), C(1)));
        var p = C(-0.05595061555504799f);
        p = MulAdd(p, t, C(0.26845744252204895f));
        p = MulAdd(p, t, C(-0.45137280225753784f));
        p = MulAdd(p, t, C(0.2332562953233719f));
        p = MulAdd(p, t, C(0.008011048659682274f));
        p = MulAdd(p, t, C(0.18558919429779053f));
        p = MulAdd(p, t, C(0.24847501516342163f));
        p = MulAdd(p, t, C(0.2813430428504944f));
        p = MulAdd(p, t, C(0.2821962535381317f));
        return MulAdd(p, t, C(-4.925174835079815e-06f));
    }

    /// <summary>The error function (within a few ulp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Erf(TV x)
    {
        var a = TO.Abs(x);
        var small = Mul(x, ErfSmallPoly(Mul(x, x)));
        var large = TO.CopySign(Sub(C(1), Mul(Exp(Neg(Mul(a, a))), ErfcScaled(a))), x);
        return TO.Select(TO.LessThan(a, C(ErfSplit)), small, large);
    }

    /// <summary>d erf / dx = 2/sqrt(pi) e^(-x^2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ErfDerivative(TV x) => Mul(C(1.1283791670955126f), Exp(Neg(Mul(x, x))));

    /// <summary>Standard normal CDF Phi(x) = erfc(-x/sqrt 2) / 2, accurate relative to its value on both tails.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV NormalCdf(TV x) => NormalCdf(x, Exp(Mul(C(-0.5f), x, x)));

    /// <summary>
    /// Phi(x) given e = e^(-x^2/2), which the density shares. One branch serves all x: q = erfc(|x|/sqrt 2)/2 is
    /// accurate relative to itself, and 1 - q near the middle loses nothing that matters relative to Phi &gt;= 1/2.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV NormalCdf(TV x, TV e)
    {
        var a = TO.Abs(Mul(x, C(0.70710678118654752f)));
        var q = Mul(C(0.5f), Mul(e, ErfcScaled(a)));
        return TO.Select(TO.LessThan(x, C(0)), q, Sub(C(1), q));
    }

    /// <summary>Standard normal density e^(-x^2/2) / sqrt(2 pi).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV NormalPdf(TV x) => Mul(C(0.3989422804014327f), Exp(Mul(C(-0.5f), x, x)));

    // ---- Activations and their derivatives (derivatives come multiplied by the output gradient g) ----

    /// <summary>Gelu(x) = x Phi(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Gelu(TV x) => Mul(x, NormalCdf(x));

    /// <summary>g (Phi(x) + x phi(x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GeluGrad(TV x, TV g)
    {
        var e = Exp(Mul(C(-0.5f), x, x));
        return Mul(g, MulAdd(x, Mul(C(0.3989422804014327f), e), NormalCdf(x, e)));
    }

    private const float GeluTanhK = 0.7978845608028654f; // sqrt(2/pi)
    private const float GeluTanhC = 0.044715f;

    /// <summary>2u for Gelu's tanh form, u = sqrt(2/pi)(x + 0.044715 x^3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV GeluTanhArg(TV x) => Mul(C(2 * GeluTanhK), MulAdd(Mul(C(GeluTanhC), x, x), x, x));

    /// <summary>Gelu's tanh form 0.5 x (1 + tanh(u)), computed as x sigmoid(2u): the same value without a tanh.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GeluTanh(TV x) => Div(x, Add(C(1), Exp(Neg(GeluTanhArg(x)))));

    /// <summary>g d/dx [x s(2u)] = g (s + x s (1 - s) 2u').</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV GeluTanhGrad(TV x, TV g)
    {
        var s = Sigmoid(GeluTanhArg(x));
        var du2 = Mul(C(2 * GeluTanhK), MulAdd(Mul(C(3 * GeluTanhC), x), x, C(1)));
        return Mul(g, MulAdd(Mul(x, s, Sub(C(1), s)), du2, s));
    }

    /// <summary>log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x, no lost digits for very negative x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Softplus(TV x) => Add(TO.Max(x, C(0)), Log1p(Exp(Neg(TO.Abs(x)))));

    /// <summary>Mish(x) = x tanh(softplus(x)). With e = e^x, tanh(log(1 + e)) = n / (n + 2) where n = e (e + 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Mish(TV x)
    {
        // Beyond 20 the factor is 1 in float; clamping keeps n finite.
        var e = Exp(TO.Min(x, C(20)));
        var n = Mul(e, Add(e, C(2)));
        return Div(Mul(x, n), Add(n, C(2)));
    }

    /// <summary>g (t + x (1 - t^2) sigmoid(x)), t = tanh(softplus(x)); 1 - t = 2/(n + 2) avoids cancellation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV MishGrad(TV x, TV g)
    {
        var e = Exp(TO.Min(x, C(20)));
        var n = Mul(e, Add(e, C(2)));
        var inv = Div(C(1), Add(n, C(2)));
        var t = Mul(n, inv);
        var oneMinusT2 = Mul(C(2), inv, Add(C(1), t));
        var sig = Div(e, Add(C(1), e));
        var d = MulAdd(Mul(x, oneMinusT2), sig, t);
        return Mul(g, TO.Select(TO.GreaterThan(x, C(20)), C(1), d));
    }

    /// <summary>x for x &gt; 0, alpha (e^x - 1) otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Elu(TV x, float alpha) => TO.Select(TO.GreaterThan(x, C(0)), x, Mul(C(alpha), Expm1(x)));

    /// <summary>g for x &gt; 0, g alpha e^x otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV EluGrad(TV x, TV g, float alpha) => TO.Select(TO.GreaterThan(x, C(0)), g, Mul(g, C(alpha), Exp(x)));

    /// <summary>max(0, min(1, alpha x + beta)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV HardSigmoid(TV x, float alpha, float beta) => TO.Max(C(0), TO.Min(C(1), MulAdd(C(alpha), x, C(beta))));

    /// <summary>g alpha where 0 &lt; alpha x + beta &lt; 1, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV HardSigmoidGrad(TV x, TV g, float alpha, float beta)
    {
        var v = MulAdd(C(alpha), x, C(beta));
        var inside = TO.And(TO.GreaterThan(v, C(0)), TO.LessThan(v, C(1)));
        return TO.And(inside, Mul(g, C(alpha)));
    }

    /// <summary>x max(0, min(1, x/6 + 1/2)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV HardSwish(TV x) => Mul(x, TO.Max(C(0), TO.Min(C(1), MulAdd(x, C(1f / 6), C(0.5f)))));

    /// <summary>g times 0 for x &lt; -3, 1 for x &gt; 3, (2x + 3)/6 between.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV HardSwishGrad(TV x, TV g)
    {
        var mid = MulAdd(x, C(1f / 3), C(0.5f));
        var d = TO.Select(TO.LessThan(x, C(-3)), C(0), TO.Select(TO.GreaterThan(x, C(3)), C(1), mid));
        return Mul(g, d);
    }

    /// <summary>base^exponent with IEEE pow's rules for negative bases (odd integer exponents keep the sign; other non-integers give NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Pow(TV x, TV y)
    {
        var r = TO.PowNonNegative(TO.Abs(x), y);
        var signBit = TO.LessThan(TO.CopySign(C(1), x), C(0));
        r = TO.Select(TO.And(signBit, TO.IsOddInteger(y)), Neg(r), r);
        r = TO.Select(TO.AndNot(TO.LessThan(x, C(0)), TO.IsInteger(y)), C(float.NaN), r);
        return TO.Select(TO.Or(TO.Equal(y, C(0)), TO.Equal(x, C(1))), C(1), r);
    }

    /// <summary>d/dbase: g y x^(y-1), zero where y = 0 (so that 0^-1 does not turn 0 into NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV PowGradBase(TV x, TV y, TV g) =>
        TO.Select(TO.Equal(y, C(0)), C(0), Mul(g, y, Pow(x, Sub(y, C(1)))));

    /// <summary>d/dexponent: g x^y log x, zero where x = 0 and y &gt;= 0 (the limit), NaN for negative bases.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV PowGradExponent(TV x, TV y, TV g) =>
        TO.Select(TO.And(TO.Equal(x, C(0)), TO.GreaterThanOrEqual(y, C(0))), C(0), Mul(g, Pow(x, y), TO.Log(x)));

    // ---- Small rules of the binary ops and their gradients G(s1, s2, g) ----

    /// <summary>Max's first-operand gradient: g where a &gt;= b (ties go to the first input).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV MaxGradFirst(TV a, TV b, TV g) => TO.And(TO.GreaterThanOrEqual(a, b), g);

    /// <summary>Max's second-operand gradient: g where b &gt; a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV MaxGradSecond(TV a, TV b, TV g) => TO.And(TO.GreaterThan(b, a), g);

    /// <summary>Min's first-operand gradient: g where a &lt;= b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV MinGradFirst(TV a, TV b, TV g) => TO.And(TO.LessThanOrEqual(a, b), g);

    /// <summary>Min's second-operand gradient: g where b &lt; a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV MinGradSecond(TV a, TV b, TV g) => TO.And(TO.LessThan(b, a), g);

    /// <summary>g where x equals y (an input and the Max/Min output it may have produced), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV EqualGrad(TV x, TV y, TV g) => TO.And(TO.Equal(x, y), g);

    /// <summary>y, or NaN where y equals x: marks outputs already claimed by an earlier Max/Min input (NaN equals nothing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Claim(TV y, TV x) => TO.Select(TO.Equal(y, x), C(float.NaN), y);

    /// <summary>PRelu: x where x &gt;= 0, slope x otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV PRelu(TV x, TV slope) => TO.Select(TO.LessThan(x, C(0)), Mul(slope, x), x);

    /// <summary>PRelu's input gradient: g where x &gt; 0, slope g otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV PReluGradInput(TV x, TV slope, TV g) => TO.Select(TO.GreaterThan(x, C(0)), g, Mul(slope, g));

    /// <summary>PRelu's slope gradient: x g where x &lt; 0, else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV PReluGradSlope(TV x, TV g) => TO.And(TO.LessThan(x, C(0)), Mul(x, g));

    /// <summary>LeakyRelu: x where x &gt;= 0, alpha x otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LeakyRelu(TV x, float alpha) => TO.Select(TO.LessThan(x, C(0)), Mul(C(alpha), x), x);

    /// <summary>LeakyRelu's gradient: g where x &gt; 0, alpha g otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV LeakyReluGrad(TV x, TV g, float alpha) => TO.Select(TO.GreaterThan(x, C(0)), g, Mul(C(alpha), g));

    /// <summary>Clip: min(max(x, lo), hi); where lo &gt; hi every value becomes hi, as ONNX specifies.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Clip(TV x, float lo, float hi) => TO.Min(TO.Max(x, C(lo)), C(hi));

    /// <summary>Clip's gradient: g where lo &lt;= x &lt;= hi (the bounds pass gradient, as in PyTorch's clamp).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV ClipGrad(TV x, TV g, float lo, float hi) =>
        TO.And(TO.And(TO.GreaterThanOrEqual(x, C(lo)), TO.LessThanOrEqual(x, C(hi))), g);

    /// <summary>g sign(x), with sign(0) = 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV AbsGrad(TV x, TV g) =>
        TO.Select(TO.GreaterThan(x, C(0)), g, TO.Select(TO.LessThan(x, C(0)), Neg(g), C(0)));
}
