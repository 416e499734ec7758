using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// ONNX linear quantization: q = saturate(round(x / scale) + zero_point) with ties to even, and dequantization
/// y = (q - zero_point) · scale, in float32 as the ONNX reference computes them (int32 inputs quantize in float64, as
/// NumPy promotes them). NaN quantizes to the low end of the range, as ONNX Runtime's kernels give. Rows that share one
/// scale run through the vector loop driver; rows with a scale per element (blocked along an inner axis) and the
/// references run one element at a time with the same scalar formula.
/// </summary>
public static class LinearQuantization
{
    // Elements converted per step between the float formula and the integer type (on the stack, so nothing is allocated).
    private const int Chunk = 256;

    /// <summary>
    /// y = saturate(round(x / scale) + zp) to [<paramref name="lo"/>, <paramref name="hi"/>]; <paramref name="zeroPoint"/>
    /// empty means zero. <typeparamref name="T"/> is the storage of the quantized type (sbyte for int8 and int4, ...).
    /// </summary>
    public static void Quantize<T>(QuantizationLayout layout, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        Span<T> y, int lo, int hi) where T : unmanaged, IBinaryInteger<T>
    {
        Check(layout, x.Length, y.Length, scale.Length, zeroPoint.Length);
        int inner = layout.Inner;
        for (int o = 0; o < layout.Outer; o++)
            for (int a = 0; a < layout.AxisLength; a++)
            {
                int start = (o * layout.AxisLength + a) * inner;
                int p = o * layout.OuterStride + a / layout.BlockSize * layout.AxisStride;
                if (layout.InnerStride == 0 && inner > 1)
                    QuantizeRun(x.Slice(start, inner), scale[p], ZeroPoint(zeroPoint, p), lo, hi, y.Slice(start, inner));
                else
                    for (int i = 0; i < inner; i++)
                    {
                        int q = p + i * layout.InnerStride;
                        y[start + i] = T.CreateTruncating(QuantizeOne(x[start + i], scale[q], ZeroPoint(zeroPoint, q), lo, hi));
                    }
            }
    }

    /// <summary>Scalar reference of <see cref="Quantize{T}(QuantizationLayout, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{T}, Span{T}, int, int)"/>.</summary>
    public static void QuantizeReference<T>(QuantizationLayout layout, ReadOnlySpan<float> x, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        Span<T> y, int lo, int hi) where T : unmanaged, IBinaryInteger<T>
    {
        Check(layout, x.Length, y.Length, scale.Length, zeroPoint.Length);
        for (int e = 0; e < x.Length; e++)
        {
            int p = layout.ParameterIndex(e);
            y[e] = T.CreateTruncating(QuantizeOne(x[e], scale[p], ZeroPoint(zeroPoint, p), lo, hi));
        }
    }

    /// <summary>Quantizes int32 values: round(x / scale) computed in float64 (as NumPy promotes int32 with float32), then saturated.</summary>
    public static void Quantize<T>(QuantizationLayout layout, ReadOnlySpan<int> x, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        Span<T> y, int lo, int hi) where T : unmanaged, IBinaryInteger<T>
    {
        Check(layout, x.Length, y.Length, scale.Length, zeroPoint.Length);
        for (int e = 0; e < x.Length; e++)
        {
            int p = layout.ParameterIndex(e);
            double q = Math.Round(x[e] / (double)scale[p]) + ZeroPoint(zeroPoint, p);
            y[e] = T.CreateTruncating(double.IsNaN(q) ? lo : (int)Math.Clamp(q, lo, hi));
        }
    }

    /// <summary>y = (x - zp) · scale, each operand in float32; <paramref name="zeroPoint"/> empty means zero.</summary>
    public static void Dequantize<T>(QuantizationLayout layout, ReadOnlySpan<T> x, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        Span<float> y) where T : unmanaged, IBinaryInteger<T>
    {
        Check(layout, x.Length, y.Length, scale.Length, zeroPoint.Length);
        int inner = layout.Inner;
        for (int o = 0; o < layout.Outer; o++)
            for (int a = 0; a < layout.AxisLength; a++)
            {
                int start = (o * layout.AxisLength + a) * inner;
                int p = o * layout.OuterStride + a / layout.BlockSize * layout.AxisStride;
                if (layout.InnerStride == 0 && inner > 1)
                {
                    var dst = y.Slice(start, inner);
                    Widen(x.Slice(start, inner), dst);
                    VectorLoops.Unary(new DequantizeFunc(scale[p], ZeroPoint(zeroPoint, p)), dst, dst);
                }
                else
                    for (int i = 0; i < inner; i++)
                    {
                        int q = p + i * layout.InnerStride;
                        y[start + i] = DequantizeOne(x[start + i], scale[q], ZeroPoint(zeroPoint, q));
                    }
            }
    }

    /// <summary>Scalar reference of <see cref="Dequantize{T}"/>.</summary>
    public static void DequantizeReference<T>(QuantizationLayout layout, ReadOnlySpan<T> x, ReadOnlySpan<float> scale, ReadOnlySpan<T> zeroPoint,
        Span<float> y) where T : unmanaged, IBinaryInteger<T>
    {
        Check(layout, x.Length, y.Length, scale.Length, zeroPoint.Length);
        for (int e = 0; e < x.Length; e++)
        {
            int p = layout.ParameterIndex(e);
            y[e] = DequantizeOne(x[e], scale[p], ZeroPoint(zeroPoint, p));
        }
    }

    /// <summary>
    /// DynamicQuantizeLinear's parameters for uint8: the range [min(x, 0), max(x, 0)] mapped onto [0, 255], scale =
    /// range / 255 and zero point = saturate(round(0 - min / scale)). An all-zero (or empty) x has no range; its scale is
    /// 1 and zero point 0, as ONNX Runtime gives (the spec's formula would divide by zero).
    /// </summary>
    public static (float Scale, byte ZeroPoint) DynamicUInt8Parameters(ReadOnlySpan<float> x)
    {
        float min = 0, max = 0;
        if (!x.IsEmpty)
        {
            min = Math.Min(TensorPrimitives.Min(x), 0f);
            max = Math.Max(TensorPrimitives.Max(x), 0f);
        }
        float scale = max == min ? 1f : (max - min) / 255f;
        float zeroPoint = MathF.Round(0f - min / scale);
        return (scale, (byte)(float.IsNaN(zeroPoint) ? 0 : Math.Clamp(zeroPoint, 0, 255)));
    }

    /// <summary>One element: saturate(round(x / scale) + zp), NaN to <paramref name="lo"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int QuantizeOne(float x, float scale, float zeroPoint, int lo, int hi)
    {
        float q = MathF.Round(x / scale) + zeroPoint;
        return float.IsNaN(q) ? lo : (int)Math.Clamp(q, lo, hi);
    }

    /// <summary>One element: (x - zp) · scale in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DequantizeOne<T>(T x, float scale, float zeroPoint) where T : unmanaged, IBinaryInteger<T> =>
        (float.CreateTruncating(x) - zeroPoint) * scale;

    // A run sharing one scale: the float formula through the vector driver into a stack chunk, then narrowed.
    private static void QuantizeRun<T>(ReadOnlySpan<float> x, float scale, float zeroPoint, int lo, int hi, Span<T> y)
        where T : unmanaged, IBinaryInteger<T>
    {
        Span<float> chunk = stackalloc float[Chunk];
        Span<int> integers = stackalloc int[Chunk];
        var f = new QuantizeFunc(scale, zeroPoint, lo, hi);
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var c = chunk[..n];
            VectorLoops.Unary(f, x.Slice(start, n), c);
            // Every value is an integer within [lo, hi] by now, so the conversions are exact.
            var k = integers[..n];
            TensorPrimitives.ConvertTruncating<float, int>(c, k);
            TensorPrimitives.ConvertTruncating<int, T>(k, y.Slice(start, n));
        }
    }

    private static void Widen<T>(ReadOnlySpan<T> x, Span<float> y) where T : unmanaged, IBinaryInteger<T>
    {
        for (int i = 0; i < x.Length; i++) y[i] = float.CreateTruncating(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ZeroPoint<T>(ReadOnlySpan<T> zeroPoint, int p) where T : unmanaged, IBinaryInteger<T> =>
        zeroPoint.IsEmpty ? 0f : float.CreateTruncating(zeroPoint[p]);

    private static void Check(QuantizationLayout layout, int xLength, int yLength, int scaleLength, int zeroPointLength)
    {
        if (xLength != layout.Length || yLength != layout.Length)
            throw new ArgumentException($"x has {xLength} and y {yLength} elements but the layout covers {layout.Length}");
        int parameters = layout.Length == 0 ? 0 : layout.ParameterCount;
        if (scaleLength < parameters || zeroPointLength != 0 && zeroPointLength < parameters)
            throw new ArgumentException($"the layout reads {parameters} scales and zero points, got {scaleLength} and {zeroPointLength}");
    }

    /// <summary>saturate(round(x / scale) + zp) as a float, NaN to lo: the vector form of <see cref="QuantizeOne"/>.</summary>
    private readonly struct QuantizeFunc(float scale, float zeroPoint, float lo, float hi) : IUnaryFunc
    {
        private readonly float _scale = scale, _zeroPoint = zeroPoint, _lo = lo, _hi = hi;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => Apply<float, ScalarOps>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => Apply<Vector128<float>, Simd128>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => Apply<Vector256<float>, Simd256>(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => Apply<Vector512<float>, Simd512>(x);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private TV Apply<TV, TO>(TV x) where TV : struct where TO : struct, ISimdOps<TV>
        {
            var q = TO.Add(TO.Round(TO.Divide(x, TO.Create(_scale))), TO.Create(_zeroPoint));
            var lo = TO.Create(_lo);
            return TO.Select(TO.IsNaN(q), lo, TO.ClampNative(q, lo, TO.Create(_hi)));
        }
    }

    /// <summary>(x - zp) · scale.</summary>
    private readonly struct DequantizeFunc(float scale, float zeroPoint) : IUnaryFunc
    {
        private readonly float _scale = scale, _zeroPoint = zeroPoint;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Invoke(float x) => (x - _zeroPoint) * _scale;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector128<float> Invoke(Vector128<float> x) => (x - Vector128.Create(_zeroPoint)) * Vector128.Create(_scale);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Invoke(Vector256<float> x) => (x - Vector256.Create(_zeroPoint)) * Vector256.Create(_scale);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<float> Invoke(Vector512<float> x) => (x - Vector512.Create(_zeroPoint)) * Vector512.Create(_scale);
    }
}
