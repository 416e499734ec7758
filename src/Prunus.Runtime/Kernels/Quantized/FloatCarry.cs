using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// Integer products carried exactly in float32 by the float sparse kernels (see <see cref="FloatCarriedConvolution"/>): activations as x - z_x and weights as w - z_w are small integers held exactly
/// in floats, so every product and partial sum is an integer, and float32 holds all of them exactly while the largest
/// possible |sum| (255 times an output's Σ |w - z_w|) stays below 2^24. The results are the integer kernels' bit for bit.
/// </summary>
/// <remarks>
/// Why: on AVX2 machines without VNNI a sparse integer kernel pays two vpmaddubsw per pair of nonzeros over 32 outputs
/// (weights split in halves to stay exact, see <see cref="QKernelSplit{TSide}"/>) plus unpacking and widening, about
/// 5.6 multiply-adds per instruction against 8 for a float FMA; the float sparse kernels measured faster (LeNet-5's
/// second layer at density 0.39, batch 64: 0.99 ms float against 1.32 ms integer). The conversions in and out cost one
/// pass over the layer's input and output. With VNNI (four products per lane and instruction) the integer kernels win
/// and the float-carried forms are not chosen. Dense layers stay on the integer sparse kernels: carried in float, LeNet-5's
/// 800 x 500 layer at density 0.07 and batch 64 took about twice the float model's time for the same float kernel
/// (0.20 to 0.24 ms against 0.10 to 0.12 ms; not explained), slower than the integer kernel's 0.16.
/// </remarks>
internal static unsafe class FloatCarry
{
    /// <summary>Largest |sum| float32 carries exactly.</summary>
    private const double ExactLimit = 1 << 24;

    /// <summary>Whether the float-carried forms may be chosen at all (false: integer kernels only, for comparisons).</summary>
    internal static bool Enabled = true;

    /// <summary>Whether the float-carried forms are considered on this machine.</summary>
    public static bool Preferred => Enabled && !AvxVnni.IsSupported && SparseSelection.Enabled;

    /// <summary>
    /// The weights w - z_w as floats in their own layout (<paramref name="outputs"/> x <paramref name="reduction"/>
    /// when <paramref name="outputsAreRows"/>, else reduction x outputs), or null when some output's sum could leave
    /// float32's exact integers.
    /// </summary>
    public static float[]? ExactWeights(ReadOnlySpan<byte> w, bool signed, ReadOnlySpan<int> zero, int outputs, int reduction, bool outputsAreRows)
    {
        var values = new float[(long)outputs * reduction];
        var magnitude = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            int z = zero.Length == 1 ? zero[0] : zero[o];
            for (int r = 0; r < reduction; r++)
            {
                long i = outputsAreRows ? (long)o * reduction + r : (long)r * outputs + o;
                int v = (signed ? (sbyte)w[(int)i] : w[(int)i]) - z;
                values[i] = v;
                magnitude[o] += Math.Abs(v);
            }
        }
        foreach (var m in magnitude) if (255 * m >= ExactLimit) return null;
        return values;
    }

    /// <summary>dst[i] = src[i] - zero as floats, src uint8 or int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToFloats(byte* src, bool signed, int zero, float* dst, long count)
    {
        long i = 0;
        if (Avx2.IsSupported)
        {
            var z = Vector256.Create((float)zero);
            if (signed)
                for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.Subtract(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)src + i)), z));
            else
                for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.Subtract(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(src + i)), z));
        }
        for (; i < count; i++) dst[i] = (signed ? (sbyte)src[i] : src[i]) - zero;
    }

    /// <summary>
    /// Whether every channel's sum plus its bias stays within 2^24, so that float(sum) + float(bias) is exactly the
    /// int32 sum acc + bias that the output stage converts: then <see cref="FinishImageDirect"/> may skip the int32 step.
    /// <paramref name="weights"/> are the exact (zero point removed) weights, [outputs, reduction]; inputs span at most 255.
    /// </summary>
    public static bool BiasFitsExactly(ReadOnlySpan<float> weights, int outputs, int reduction, ReadOnlySpan<int> bias)
    {
        for (int o = 0; o < outputs; o++)
        {
            double magnitude = 0;
            foreach (var v in weights.Slice(o * reduction, reduction)) magnitude += Math.Abs(v);
            if (255 * magnitude + Math.Abs((double)bias[o]) >= ExactLimit) return false;
        }
        return true;
    }

    /// <summary>
    /// dst [oh/2, ow/2] = the 2x2/stride-2 max pool of one plane [oh, ow] of sums (oh and ow even): the two rows' maximum,
    /// then the maximum of each column pair, 8 outputs per step (AVX2), then 4 (SSE). <paramref name="dst"/> must not
    /// overlap the plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MaxPool2x2(float* plane, int oh, int ow, float* dst)
    {
        int pw = ow / 2;
        for (int r = 0; r < oh / 2; r++)
        {
            float* a = plane + (nint)2 * r * ow, b = a + ow, d = dst + (nint)r * pw;
            int j = 0;
            if (Avx2.IsSupported)
                for (; j + 8 <= pw; j += 8)
                {
                    var lo = Avx.Max(Avx.LoadVector256(a + 2 * j), Avx.LoadVector256(b + 2 * j));
                    var hi = Avx.Max(Avx.LoadVector256(a + 2 * j + 8), Avx.LoadVector256(b + 2 * j + 8));
                    // Even and odd columns within each 128-bit half: [m0 m2 m8 m10 | m4 m6 m12 m14] against the odd
                    // ones; their maximum is pooled columns [0 1 4 5 | 2 3 6 7], put in order by one permutation.
                    var even = Avx.Shuffle(lo, hi, 0b10_00_10_00);
                    var odd = Avx.Shuffle(lo, hi, 0b11_01_11_01);
                    Avx.Store(d + j, Avx2.Permute4x64(Avx.Max(even, odd).AsDouble(), 0b11_01_10_00).AsSingle());
                }
            if (Sse.IsSupported)
                for (; j + 4 <= pw; j += 4)
                {
                    var lo = Sse.Max(Sse.LoadVector128(a + 2 * j), Sse.LoadVector128(b + 2 * j));
                    var hi = Sse.Max(Sse.LoadVector128(a + 2 * j + 4), Sse.LoadVector128(b + 2 * j + 4));
                    Sse.Store(d + j, Sse.Max(Sse.Shuffle(lo, hi, 0b10_00_10_00), Sse.Shuffle(lo, hi, 0b11_01_11_01)));
                }
            // Sums are integers (never NaN), so a plain comparison is the maximum; MathF.Max also orders signed zeros.
            for (; j < pw; j++)
            {
                float m = a[2 * j], v = a[2 * j + 1];
                if (v > m) m = v;
                v = b[2 * j];
                if (v > m) m = v;
                v = b[2 * j + 1];
                d[j] = v > m ? v : m;
            }
        }
    }

    /// <summary>
    /// <paramref name="channels"/> rows of <paramref name="cols"/> float sums (one image, a row per channel, rows one
    /// after another) through a byte output stage (channels along rows, no weight zero points, AVX2) in float, 32 then
    /// 16 at a time: sum plus bias formed in float, then the stage the int32 sums take (<see cref="QVector256.Pack"/>),
    /// without converting the sums to int32 and back; exact when <see cref="BiasFitsExactly"/>. The layer's constants
    /// are broadcast once per image: LeNet-5's second layer has rows of 64 sums (16 after a fused pool), where setting
    /// up each row cost as much as converting it (`qkernel-timing --stage`). The last cols % 16 of each row go through
    /// <see cref="QStore.FinishRow"/> from <paramref name="acc"/> (scratch of at least 16 ints).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FinishImageDirect(float* sums, int channels, int cols, int* acc, in QStore st)
    {
        var (hi, zero, lowest, unsigned, order) = QVector256.ByteConstants(st);
        for (int k = 0; k < channels; k++)
        {
            var bias = Vector256.Create((float)st.Bias[k]);
            var mul = Vector256.Create(st.Multiplier[k]);
            float* s = sums + (nint)k * cols;
            byte* p = st.At(k, 0);
            int i = 0;
            for (; i + 32 <= cols; i += 32)
            {
                var s01 = QVector256.Pack(Avx.Add(Avx.LoadVector256(s + i), bias), Avx.Add(Avx.LoadVector256(s + i + 8), bias), mul, hi, zero);
                var s23 = QVector256.Pack(Avx.Add(Avx.LoadVector256(s + i + 16), bias), Avx.Add(Avx.LoadVector256(s + i + 24), bias), mul, hi, zero);
                Avx.Store(p + i, QVector256.InOrder(s01, s23, unsigned, lowest, order));
            }
            for (; i + 16 <= cols; i += 16)
            {
                var s01 = QVector256.Pack(Avx.Add(Avx.LoadVector256(s + i), bias), Avx.Add(Avx.LoadVector256(s + i + 8), bias), mul, hi, zero);
                // Packed with itself: the first 16 bytes, once in order, are the 16 outputs.
                Sse2.Store(p + i, QVector256.InOrder(s01, s01, unsigned, lowest, order).GetLower());
            }
            if (i == cols) continue;
            for (int j = i; j < cols; j++) acc[j - i] = (int)s[j];
            st.FinishRow(acc, k, i, cols - i);
        }
    }

    /// <summary>
    /// Row <paramref name="row"/> of float sums (exact integers, <paramref name="cols"/> of them) through the output
    /// stage; <paramref name="acc"/> is scratch of at least cols ints.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void FinishRow(float* sums, int cols, int* acc, in QStore st, int row)
    {
        int i = 0;
        if (Avx.IsSupported)
            for (; i + 8 <= cols; i += 8) Avx.Store(acc + i, Avx.ConvertToVector256Int32WithTruncation(Avx.LoadVector256(sums + i)));
        for (; i < cols; i++) acc[i] = (int)sums[i];
        st.FinishRow(acc, row, 0, cols);
    }
}
