using System.Numerics;
using System.Runtime.CompilerServices;

namespace Prunus.Kernels;

/// <summary>
/// The output stage of QLinearMatMul and QLinearConv: y = saturate(round(acc · multiplier) + zp) with ties to even,
/// where multiplier = (scale_a · scale_b) / scale_y in float32 and acc the exact int32 accumulator (plus the int32
/// bias). The product is taken in float32, as ONNX Runtime's requantization does.
/// </summary>
public static class Requantization
{
    /// <summary>(scale_a · scale_b) / scale_y, in that order, in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Multiplier(float scaleA, float scaleB, float scaleY) => scaleA * scaleB / scaleY;

    /// <summary>One value: saturate(round(acc · multiplier) + zp) to [lo, hi], NaN to lo.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int One(int acc, float multiplier, int zeroPoint, int lo, int hi)
    {
        float v = MathF.Round(acc * multiplier) + zeroPoint;
        return float.IsNaN(v) ? lo : (int)Math.Clamp(v, lo, hi);
    }

    /// <summary>y[i] = One(acc[i], multiplier, ...) over a run sharing one multiplier.</summary>
    public static void Run<T>(ReadOnlySpan<int> acc, float multiplier, int zeroPoint, int lo, int hi, Span<T> y) where T : unmanaged, IBinaryInteger<T>
    {
        for (int i = 0; i < acc.Length; i++) y[i] = T.CreateTruncating(One(acc[i], multiplier, zeroPoint, lo, hi));
    }
}
