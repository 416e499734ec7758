using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>Elementwise float kernels built on <see cref="VectorLoops"/>; each op struct holds its scalar and vector forms.</summary>
public static partial class Elementwise
{
    /// <summary>max(x, 0).</summary>
    public struct ReluOp : IUnaryOp
    {
        public static float Invoke(float x) => x > 0 ? x : 0;
        public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
        public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
        public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
    }

    /// <summary>dy where y &gt; 0, else 0 (y is Relu's output).</summary>
    public struct ReluGradOp : IBinaryOp
    {
        public static float Invoke(float y, float dy) => y > 0 ? dy : 0;
        public static Vector128<float> Invoke(Vector128<float> y, Vector128<float> dy) => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<float>.Zero), dy, Vector128<float>.Zero);
        public static Vector256<float> Invoke(Vector256<float> y, Vector256<float> dy) => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<float>.Zero), dy, Vector256<float>.Zero);
        public static Vector512<float> Invoke(Vector512<float> y, Vector512<float> dy) => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<float>.Zero), dy, Vector512<float>.Zero);
    }

    /// <summary>x + y.</summary>
    public struct AddOp : IBinaryOp
    {
        public static float Invoke(float x, float y) => x + y;
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x + y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x + y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x + y;
    }

    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<ReluOp>(x, y);

    /// <summary>dx += (y &gt; 0 ? dy : 0).</summary>
    public static void ReluBackwardAccumulate(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
        VectorLoops.BinaryAccumulate<ReluGradOp>(y, dy, dx);

    /// <summary>dst += src.</summary>
    public static void AddInPlace(Span<float> dst, ReadOnlySpan<float> src) => VectorLoops.Binary<AddOp>(dst, src, dst);
}
