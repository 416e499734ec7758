using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// Per-tensor quantization of floats to uint8 or int8 for the integer kernels' inputs (a QuantizeLinear fused into the
/// op that reads it): q = saturate(round(x / scale) + zero point), ties to even, NaN to the low end, the formula of
/// <see cref="LinearQuantization.QuantizeOne"/> step for step (divide, round, add, clamp), so the bytes equal the
/// reference op's. Vectorized with AVX2 (eight floats to eight bytes per step), else one value at a time.
/// </summary>
public sealed unsafe class QuantizeBytes
{
    private readonly float _scale, _zero;
    private readonly int _lo, _hi;
    private readonly ParallelBody _body;
    private float* _x;
    private byte* _y;
    private int _n, _parts;

    /// <summary>A quantizer to <paramref name="signed"/> int8 or uint8 with the given parameters.</summary>
    public QuantizeBytes(float scale, int zeroPoint, bool signed)
    {
        _scale = scale;
        _zero = zeroPoint;
        (_lo, _hi) = signed ? (-128, 127) : (0, 255);
        _body = new ParallelBody(Part);
    }

    /// <summary>y = Q(x) as bytes (int8 values in two's complement).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(ReadOnlySpan<float> x, Span<byte> y, WorkerPool? pool)
    {
        if (y.Length < x.Length) throw new ArgumentException($"y has {y.Length} bytes but x has {x.Length} values", nameof(y));
        if (x.IsEmpty) return;
        fixed (float* px = x)
        fixed (byte* py = y)
        {
            _x = px;
            _y = py;
            _n = x.Length;
            // Parts of whole vectors, about 16 K values each.
            _parts = Math.Max(1, Math.Min(pool?.Threads ?? 1, x.Length / (1 << 14)));
            _body.For(pool, _parts, x.Length);
            _x = null;
            _y = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Part(int part)
    {
        int per = (_n / _parts + 7) & ~7;
        int start = Math.Min(_n, part * per), end = part == _parts - 1 ? _n : Math.Min(_n, start + per);
        Quantize(_x + start, end - start, _scale, _zero, _lo, _hi, _y + start);
    }

    /// <summary>Quantizes <paramref name="n"/> values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Quantize(float* x, int n, float scale, float zero, int lo, int hi, byte* y)
    {
        int i = 0;
        if (Avx2.IsSupported)
        {
            var s = Vector256.Create(scale);
            var z = Vector256.Create(zero);
            var vlo = Vector256.Create((float)lo);
            var vhi = Vector256.Create((float)hi);
            for (; i + 8 <= n; i += 8)
            {
                var q = Avx.Add(Avx.RoundToNearestInteger(Avx.Divide(Avx.LoadVector256(x + i), s)), z);
                // maxps returns its second operand for NaN: NaN goes to lo, as the reference's.
                q = Avx.Min(Avx.Max(q, vlo), vhi);
                var v = Avx.ConvertToVector256Int32(q);
                var w = Sse2.PackSignedSaturate(v.GetLower(), v.GetUpper());
                var b = lo < 0 ? Sse2.PackSignedSaturate(w, w).AsInt64() : Sse2.PackUnsignedSaturate(w, w).AsInt64();
                Sse2.StoreScalar((long*)(y + i), b);
            }
        }
        for (; i < n; i++) y[i] = (byte)One(x[i], scale, zero, lo, hi);
    }

    /// <summary>One value, as the reference computes it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int One(float x, float scale, float zero, int lo, int hi)
    {
        float q = MathF.Round(x / scale) + zero;
        return float.IsNaN(q) ? lo : (int)Math.Clamp(q, lo, hi);
    }
}
