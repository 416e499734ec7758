// The op structs of the elementwise kernels: each names its formula in VectorMath once and exposes it at every width.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using S = Prunus.Kernels.VectorMath<float, Prunus.Kernels.ScalarOps>;
using M128 = Prunus.Kernels.VectorMath<System.Runtime.Intrinsics.Vector128<float>, Prunus.Kernels.Simd128>;
using M256 = Prunus.Kernels.VectorMath<System.Runtime.Intrinsics.Vector256<float>, Prunus.Kernels.Simd256>;
using M512 = Prunus.Kernels.VectorMath<System.Runtime.Intrinsics.Vector512<float>, Prunus.Kernels.Simd512>;

namespace Prunus.Kernels;

public static partial class Elementwise
{
    // ---- Unary forward ops: y = f(x) ----

    /// <summary>sqrt(x).</summary>
    public readonly struct SqrtOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Sqrt(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Sqrt(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Sqrt(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Sqrt(x);
    }

    /// <summary>e^x (float arithmetic, within 2 ulp).</summary>
    public readonly struct ExpOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Exp(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Exp(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Exp(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Exp(x);
    }

    /// <summary>Natural log of x.</summary>
    public readonly struct LogOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Log(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Log(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Log(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Log(x);
    }

    /// <summary>-x.</summary>
    public readonly struct NegOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Negate(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Negate(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Negate(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Negate(x);
    }

    /// <summary>|x|.</summary>
    public readonly struct AbsOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Abs(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Abs(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Abs(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Abs(x);
    }

    /// <summary>1/x.</summary>
    public readonly struct ReciprocalOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Divide(ScalarOps.Create(1), x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Divide(Simd128.Create(1), x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Divide(Simd256.Create(1), x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Divide(Simd512.Create(1), x);
    }

    /// <summary>Largest integer &lt;= x.</summary>
    public readonly struct FloorOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Floor(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Floor(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Floor(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Floor(x);
    }

    /// <summary>Smallest integer &gt;= x.</summary>
    public readonly struct CeilOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Ceiling(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Ceiling(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Ceiling(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Ceiling(x);
    }

    /// <summary>x*x (Pow with exponent 2).</summary>
    public readonly struct SquareOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => ScalarOps.Multiply(x, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => Simd128.Multiply(x, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => Simd256.Multiply(x, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => Simd512.Multiply(x, x);
    }

    /// <summary>The error function.</summary>
    public readonly struct ErfOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Erf(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Erf(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Erf(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Erf(x);
    }

    /// <summary>1 / (1 + e^-x).</summary>
    public readonly struct SigmoidOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Sigmoid(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Sigmoid(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Sigmoid(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Sigmoid(x);
    }

    /// <summary>x Phi(x) (Gelu, approximate="none").</summary>
    public readonly struct GeluOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Gelu(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Gelu(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Gelu(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Gelu(x);
    }

    /// <summary>Gelu, approximate="tanh".</summary>
    public readonly struct GeluTanhOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.GeluTanh(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.GeluTanh(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.GeluTanh(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.GeluTanh(x);
    }

    /// <summary>log(1 + e^x).</summary>
    public readonly struct SoftplusOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Softplus(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Softplus(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Softplus(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Softplus(x);
    }

    /// <summary>x tanh(softplus(x)).</summary>
    public readonly struct MishOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.Mish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.Mish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.Mish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.Mish(x);
    }

    /// <summary>x max(0, min(1, x/6 + 1/2)).</summary>
    public readonly struct HardSwishOp : IUnaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x) => S.HardSwish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x) => M128.HardSwish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x) => M256.HardSwish(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x) => M512.HardSwish(x);
    }

    // ---- Unary gradient ops: G(v, g) with v the input x or the output y, as each says ----

    /// <summary>g / (2y), from the output y = sqrt(x).</summary>
    public readonly struct SqrtGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float y, float g) => ScalarOps.Divide(ScalarOps.Multiply(ScalarOps.Create(0.5f), g), y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> g) => Simd128.Divide(Simd128.Multiply(Simd128.Create(0.5f), g), y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Simd256.Divide(Simd256.Multiply(Simd256.Create(0.5f), g), y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Simd512.Divide(Simd512.Multiply(Simd512.Create(0.5f), g), y);
    }

    /// <summary>g y, from the output y = e^x.</summary>
    public readonly struct ExpGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float y, float g) => ScalarOps.Multiply(g, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> g) => Simd128.Multiply(g, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Simd256.Multiply(g, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Simd512.Multiply(g, y);
    }

    /// <summary>g / x.</summary>
    public readonly struct LogGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => ScalarOps.Divide(g, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => Simd128.Divide(g, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => Simd256.Divide(g, x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => Simd512.Divide(g, x);
    }

    /// <summary>g sign(x).</summary>
    public readonly struct AbsGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => S.AbsGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.AbsGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.AbsGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.AbsGrad(x, g);
    }

    /// <summary>-g y^2, from the output y = 1/x.</summary>
    public readonly struct ReciprocalGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float y, float g) => ScalarOps.Negate(ScalarOps.Multiply(ScalarOps.Multiply(g, y), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> g) => Simd128.Negate(Simd128.Multiply(Simd128.Multiply(g, y), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Simd256.Negate(Simd256.Multiply(Simd256.Multiply(g, y), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Simd512.Negate(Simd512.Multiply(Simd512.Multiply(g, y), y));
    }

    /// <summary>g 2/sqrt(pi) e^(-x^2).</summary>
    public readonly struct ErfGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => ScalarOps.Multiply(g, S.ErfDerivative(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => Simd128.Multiply(g, M128.ErfDerivative(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => Simd256.Multiply(g, M256.ErfDerivative(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => Simd512.Multiply(g, M512.ErfDerivative(x));
    }

    /// <summary>g y (1 - y), from the output y.</summary>
    public readonly struct SigmoidGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float y, float g) => ScalarOps.Multiply(ScalarOps.Multiply(g, y), ScalarOps.Subtract(ScalarOps.Create(1), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> g) => Simd128.Multiply(Simd128.Multiply(g, y), Simd128.Subtract(Simd128.Create(1), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Simd256.Multiply(Simd256.Multiply(g, y), Simd256.Subtract(Simd256.Create(1), y));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Simd512.Multiply(Simd512.Multiply(g, y), Simd512.Subtract(Simd512.Create(1), y));
    }

    /// <summary>g (1 - y^2), from the output y.</summary>
    public readonly struct TanhGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float y, float g) => ScalarOps.Multiply(g, ScalarOps.Subtract(ScalarOps.Create(1), ScalarOps.Multiply(y, y)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> g) => Simd128.Multiply(g, Simd128.Subtract(Simd128.Create(1), Simd128.Multiply(y, y)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> g) => Simd256.Multiply(g, Simd256.Subtract(Simd256.Create(1), Simd256.Multiply(y, y)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> g) => Simd512.Multiply(g, Simd512.Subtract(Simd512.Create(1), Simd512.Multiply(y, y)));
    }

    /// <summary>Gelu (exact) derivative times g.</summary>
    public readonly struct GeluGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => S.GeluGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.GeluGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.GeluGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.GeluGrad(x, g);
    }

    /// <summary>Gelu (tanh form) derivative times g.</summary>
    public readonly struct GeluTanhGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => S.GeluTanhGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.GeluTanhGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.GeluTanhGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.GeluTanhGrad(x, g);
    }

    /// <summary>g sigmoid(x).</summary>
    public readonly struct SoftplusGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => ScalarOps.Multiply(g, S.Sigmoid(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => Simd128.Multiply(g, M128.Sigmoid(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => Simd256.Multiply(g, M256.Sigmoid(x));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => Simd512.Multiply(g, M512.Sigmoid(x));
    }

    /// <summary>Mish derivative times g.</summary>
    public readonly struct MishGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => S.MishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.MishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.MishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.MishGrad(x, g);
    }

    /// <summary>HardSwish derivative times g.</summary>
    public readonly struct HardSwishGradOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float g) => S.HardSwishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.HardSwishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.HardSwishGrad(x, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.HardSwishGrad(x, g);
    }

    // ---- Binary forward ops: z = f(x, y) ----

    /// <summary>x - y.</summary>
    public readonly struct SubOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => ScalarOps.Subtract(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd128.Subtract(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd256.Subtract(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Simd512.Subtract(x, y);
    }

    /// <summary>x * y.</summary>
    public readonly struct MulOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => ScalarOps.Multiply(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd128.Multiply(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd256.Multiply(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Simd512.Multiply(x, y);
    }

    /// <summary>x / y.</summary>
    public readonly struct DivOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => ScalarOps.Divide(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd128.Divide(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd256.Divide(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Simd512.Divide(x, y);
    }

    /// <summary>x^y (IEEE pow rules for negative bases).</summary>
    public readonly struct PowOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => S.Pow(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => M128.Pow(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => M256.Pow(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => M512.Pow(x, y);
    }

    /// <summary>IEEE maximum of x and y (NaN propagates).</summary>
    public readonly struct MaxOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => ScalarOps.Max(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd128.Max(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd256.Max(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Simd512.Max(x, y);
    }

    /// <summary>IEEE minimum of x and y (NaN propagates).</summary>
    public readonly struct MinOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => ScalarOps.Min(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => Simd128.Min(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => Simd256.Min(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => Simd512.Min(x, y);
    }

    /// <summary>x where x &gt;= 0, y x otherwise (y is the slope).</summary>
    public readonly struct PReluOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => S.PRelu(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => M128.PRelu(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => M256.PRelu(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => M512.PRelu(x, y);
    }

    /// <summary>x, or NaN where x equals y (Max/Min backward: outputs already claimed by an earlier input).</summary>
    public readonly struct ClaimOp : IBinaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float x, float y) => S.Claim(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => M128.Claim(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => M256.Claim(x, y);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => M512.Claim(x, y);
    }

    // ---- Binary gradient rules G(a, b, g): each broadcast gradient is the reduction of one of these ----

    /// <summary>g: the gradient of Add (either input) and of Sub's first input.</summary>
    public readonly struct PassGradOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => g;
    }

    /// <summary>-g: Sub's second input.</summary>
    public readonly struct NegateGradOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => ScalarOps.Negate(g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => Simd128.Negate(g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => Simd256.Negate(g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => Simd512.Negate(g);
    }

    /// <summary>a g: Mul's gradient, a being the other input.</summary>
    public readonly struct MulGradOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => ScalarOps.Multiply(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => Simd128.Multiply(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => Simd256.Multiply(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => Simd512.Multiply(a, g);
    }

    /// <summary>g / a, a being the denominator.</summary>
    public readonly struct DivGradNumeratorOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => ScalarOps.Divide(g, a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => Simd128.Divide(g, a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => Simd256.Divide(g, a);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => Simd512.Divide(g, a);
    }

    /// <summary>-g a / b^2 for the denominator b of a / b.</summary>
    public readonly struct DivGradDenominatorOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => ScalarOps.Negate(ScalarOps.Divide(ScalarOps.Multiply(g, a), ScalarOps.Multiply(b, b)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => Simd128.Negate(Simd128.Divide(Simd128.Multiply(g, a), Simd128.Multiply(b, b)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => Simd256.Negate(Simd256.Divide(Simd256.Multiply(g, a), Simd256.Multiply(b, b)));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => Simd512.Negate(Simd512.Divide(Simd512.Multiply(g, a), Simd512.Multiply(b, b)));
    }

    /// <summary>2 a g: Pow(a, 2)'s base gradient.</summary>
    public readonly struct SquareGradOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => ScalarOps.Multiply(ScalarOps.Multiply(ScalarOps.Create(2), a), g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => Simd128.Multiply(Simd128.Multiply(Simd128.Create(2), a), g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => Simd256.Multiply(Simd256.Multiply(Simd256.Create(2), a), g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => Simd512.Multiply(Simd512.Multiply(Simd512.Create(2), a), g);
    }

    /// <summary>g b a^(b-1): Pow's base gradient.</summary>
    public readonly struct PowGradBaseOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.PowGradBase(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.PowGradBase(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.PowGradBase(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.PowGradBase(a, b, g);
    }

    /// <summary>g a^b log a: Pow's exponent gradient.</summary>
    public readonly struct PowGradExponentOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.PowGradExponent(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.PowGradExponent(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.PowGradExponent(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.PowGradExponent(a, b, g);
    }

    /// <summary>g where a &gt;= b: Max's first input (ties go first).</summary>
    public readonly struct MaxGradFirstOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.MaxGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.MaxGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.MaxGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.MaxGradFirst(a, b, g);
    }

    /// <summary>g where b &gt; a: Max's second input.</summary>
    public readonly struct MaxGradSecondOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.MaxGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.MaxGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.MaxGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.MaxGradSecond(a, b, g);
    }

    /// <summary>g where a &lt;= b: Min's first input (ties go first).</summary>
    public readonly struct MinGradFirstOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.MinGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.MinGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.MinGradFirst(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.MinGradFirst(a, b, g);
    }

    /// <summary>g where b &lt; a: Min's second input.</summary>
    public readonly struct MinGradSecondOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.MinGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.MinGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.MinGradSecond(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.MinGradSecond(a, b, g);
    }

    /// <summary>g where a equals b (an input and the Max/Min output it may have produced).</summary>
    public readonly struct EqualGradOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.EqualGrad(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.EqualGrad(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.EqualGrad(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.EqualGrad(a, b, g);
    }

    /// <summary>g where a &gt; 0, b g otherwise (a the input, b the slope).</summary>
    public readonly struct PReluGradInputOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.PReluGradInput(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.PReluGradInput(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.PReluGradInput(a, b, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.PReluGradInput(a, b, g);
    }

    /// <summary>a g where a &lt; 0 (a the input): PRelu's slope gradient.</summary>
    public readonly struct PReluGradSlopeOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => S.PReluGradSlope(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => M128.PReluGradSlope(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => M256.PReluGradSlope(a, g);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => M512.PReluGradSlope(a, g);
    }

    // ---- Ops with attributes: the struct holds them ----

    /// <summary>LeakyRelu: x where x &gt;= 0, alpha x otherwise.</summary>
    public readonly struct LeakyReluFunc(float alpha) : IUnaryFunc
    {
        public readonly float Alpha = alpha;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => S.LeakyRelu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => M128.LeakyRelu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => M256.LeakyRelu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => M512.LeakyRelu(x, Alpha);
    }

    /// <summary>Elu: x where x &gt; 0, alpha (e^x - 1) otherwise.</summary>
    public readonly struct EluFunc(float alpha) : IUnaryFunc
    {
        public readonly float Alpha = alpha;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => S.Elu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => M128.Elu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => M256.Elu(x, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => M512.Elu(x, Alpha);
    }

    /// <summary>Selu: gamma Elu(x, alpha).</summary>
    public readonly struct SeluFunc(float alpha, float gamma) : IUnaryFunc
    {
        public readonly float Alpha = alpha;
        public readonly float Gamma = gamma;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => ScalarOps.Multiply(ScalarOps.Create(Gamma), S.Elu(x, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => Simd128.Multiply(Simd128.Create(Gamma), M128.Elu(x, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => Simd256.Multiply(Simd256.Create(Gamma), M256.Elu(x, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => Simd512.Multiply(Simd512.Create(Gamma), M512.Elu(x, Alpha));
    }

    /// <summary>HardSigmoid: max(0, min(1, alpha x + beta)).</summary>
    public readonly struct HardSigmoidFunc(float alpha, float beta) : IUnaryFunc
    {
        public readonly float Alpha = alpha;
        public readonly float Beta = beta;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => S.HardSigmoid(x, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => M128.HardSigmoid(x, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => M256.HardSigmoid(x, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => M512.HardSigmoid(x, Alpha, Beta);
    }

    /// <summary>Clip: min(max(x, Min), Max).</summary>
    public readonly struct ClipFunc(float min, float max) : IUnaryFunc
    {
        public readonly float Min = min;
        public readonly float Max = max;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x) => S.Clip(x, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x) => M128.Clip(x, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x) => M256.Clip(x, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x) => M512.Clip(x, Min, Max);
    }

    /// <summary>LeakyRelu's gradient from (x, g).</summary>
    public readonly struct LeakyReluGradFunc(float alpha) : IBinaryFunc
    {
        public readonly float Alpha = alpha;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => S.LeakyReluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.LeakyReluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.LeakyReluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.LeakyReluGrad(x, g, Alpha);
    }

    /// <summary>Elu's gradient from (x, g).</summary>
    public readonly struct EluGradFunc(float alpha) : IBinaryFunc
    {
        public readonly float Alpha = alpha;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => S.EluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.EluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.EluGrad(x, g, Alpha);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.EluGrad(x, g, Alpha);
    }

    /// <summary>Selu's gradient from (x, g).</summary>
    public readonly struct SeluGradFunc(float alpha, float gamma) : IBinaryFunc
    {
        public readonly float Alpha = alpha;
        public readonly float Gamma = gamma;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => ScalarOps.Multiply(ScalarOps.Create(Gamma), S.EluGrad(x, g, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => Simd128.Multiply(Simd128.Create(Gamma), M128.EluGrad(x, g, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => Simd256.Multiply(Simd256.Create(Gamma), M256.EluGrad(x, g, Alpha));
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => Simd512.Multiply(Simd512.Create(Gamma), M512.EluGrad(x, g, Alpha));
    }

    /// <summary>HardSigmoid's gradient from (x, g).</summary>
    public readonly struct HardSigmoidGradFunc(float alpha, float beta) : IBinaryFunc
    {
        public readonly float Alpha = alpha;
        public readonly float Beta = beta;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => S.HardSigmoidGrad(x, g, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.HardSigmoidGrad(x, g, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.HardSigmoidGrad(x, g, Alpha, Beta);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.HardSigmoidGrad(x, g, Alpha, Beta);
    }

    /// <summary>Clip's gradient from (x, g).</summary>
    public readonly struct ClipGradFunc(float min, float max) : IBinaryFunc
    {
        public readonly float Min = min;
        public readonly float Max = max;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public float Invoke(float x, float g) => S.ClipGrad(x, g, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<float> Invoke(Vector128<float> x, Vector128<float> g) => M128.ClipGrad(x, g, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<float> Invoke(Vector256<float> x, Vector256<float> g) => M256.ClipGrad(x, g, Min, Max);
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<float> Invoke(Vector512<float> x, Vector512<float> g) => M512.ClipGrad(x, g, Min, Max);
    }
}
