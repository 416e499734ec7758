using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// 8-lane integer helpers (AVX2): the exact multiply-add of int16 pairs and the output stage of <see cref="QStore"/>
/// on eight consecutive elements of a row of C.
/// </summary>
internal static unsafe class QVector256
{
    /// <summary>Whether these helpers may be called.</summary>
    public static bool Supported => Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(int* p) => Avx.LoadVector256(p);

    /// <summary>acc + a0 b0 + a1 b1 per int32 lane, where each lane of a and b holds an int16 pair (exact: vpmaddwd cannot overflow below 2^15 magnitudes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Madd(Vector256<int> acc, Vector256<int> a, Vector256<int> b) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()));

    /// <summary>t = acc + bias - wz * sum for 8 columns starting at <paramref name="col"/> of row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Total(in QStore st, Vector256<int> acc, int row, int col)
    {
        var t = Avx2.Add(acc, st.ChannelsAreRows ? Vector256.Create(st.Bias[row]) : Avx.LoadVector256(st.Bias + col));
        if (st.WeightZero != null)
        {
            var wz = st.ChannelsAreRows ? Vector256.Create(st.WeightZero[row]) : Avx.LoadVector256(st.WeightZero + col);
            t = Avx2.Subtract(t, Avx2.MultiplyLow(wz, Vector256.Create(st.ActSum)));
        }
        return t;
    }

    /// <summary>v = clamp(float(t) * multiplier) for 8 columns starting at <paramref name="col"/> of row <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Value(in QStore st, Vector256<int> acc, int row, int col)
    {
        var mul = st.ChannelsAreRows ? Vector256.Create(st.Multiplier[row]) : Avx.LoadVector256(st.Multiplier + col);
        var v = Avx.Multiply(Avx.ConvertToVector256Single(Total(st, acc, row, col)), mul);
        v = Avx.Max(v, Vector256.Create(st.Lo));
        return Avx.Min(v, Vector256.Create(st.Hi));
    }

    /// <summary>Writes 8 elements of row <paramref name="row"/> from column <paramref name="col"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put(in QStore st, Vector256<int> acc, int row, int col)
    {
        if (st.Kind == QuantizedOutputKind.Int32)
        {
            Avx.Store((int*)st.At(row, col), Total(st, acc, row, col));
            return;
        }
        var v = Value(st, acc, row, col);
        byte* p = st.At(row, col);
        switch (st.Kind)
        {
            case QuantizedOutputKind.UInt8:
            case QuantizedOutputKind.Int8:
            {
                // cvtps2dq rounds half to even (the default MXCSR mode), as MathF.Round does.
                var q = Avx2.Add(Avx.ConvertToVector256Int32(v), Vector256.Create(st.Zero));
                var s = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
                var b = st.Kind == QuantizedOutputKind.UInt8 ? Sse2.PackUnsignedSaturate(s, s).AsInt64() : Sse2.PackSignedSaturate(s, s).AsInt64();
                Sse2.StoreScalar((long*)p, b);
                break;
            }
            case QuantizedOutputKind.Float32: Avx.Store((float*)p, v); break;
            default: Avx.Store((float*)p, Avx.Multiply(Avx.RoundToNearestInteger(v), Vector256.Create(st.Grid))); break;
        }
    }

    /// <summary>
    /// The byte output stage's pieces, with the constants broadcast by the caller (once per layer or image: setting
    /// up a row cost as much as converting 64 outputs when each row built its own). Totals t (sum plus bias, as
    /// floats) are scaled, clamped above in float (which keeps cvtps2dq from overflowing to 0x80000000 on huge
    /// positive values; huge negative ones overflow to that same value, which saturates the right way), rounded half
    /// to even, packed to int16 with saturation, given the zero point (saturating), packed to bytes with saturation
    /// and clamped below on the bytes. Each step is monotone and Lo + zero lies within the byte range, so this equals
    /// clamping to [Lo, Hi] first, as <see cref="QStore.Finish"/> does. The 256-bit packs work within each 128-bit half
    /// and leave the bytes in 4-byte groups that <see cref="InOrder"/> puts back in order.
    /// </summary>
    /// <remarks>
    /// <see cref="ByteConstants"/> gives the layer-wide constants (upper clamp, zero point, lowest byte, signedness, and
    /// the group order for <see cref="InOrder"/>); callers keep them in locals outside their loops.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<float> Hi, Vector256<short> Zero, Vector256<byte> Lowest, bool Unsigned, Vector256<int> Order) ByteConstants(in QStore st) =>
        (Vector256.Create(st.Hi), Vector256.Create((short)st.Zero), Vector256.Create((byte)(int)(st.Lo + st.Zero)),
            st.Kind == QuantizedOutputKind.UInt8,
            // Where each 4-byte group of two in-lane packs belongs: a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 ... to a0-7 b0-7 ...
            Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));

    /// <summary>16 totals scaled, clamped above, rounded and packed to int16 with the zero point added.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<short> Pack(Vector256<float> t0, Vector256<float> t1, Vector256<float> mul, Vector256<float> hi, Vector256<short> zero)
    {
        var q0 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t0, mul), hi));
        var q1 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t1, mul), hi));
        return Avx2.AddSaturate(Avx2.PackSignedSaturate(q0, q1), zero);
    }

    /// <summary>32 outputs from two <see cref="Pack"/> results, packed to bytes, clamped below and put in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> InOrder(Vector256<short> a, Vector256<short> b, bool unsigned, Vector256<byte> lowest, Vector256<int> order)
    {
        var bytes = unsigned ? Avx2.Max(Avx2.PackUnsignedSaturate(a, b), lowest) : Avx2.Max(Avx2.PackSignedSaturate(a, b), lowest.AsSByte()).AsByte();
        return Avx2.PermuteVar8x32(bytes.AsInt32(), order).AsByte();
    }

    /// <summary>Stores 32 outputs of one channel from their int32 sums (plus the int32 bias, wrapping as int32 does).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store32(byte* p, Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3,
        Vector256<int> bias, Vector256<float> mul, Vector256<float> hi, Vector256<short> zero, bool unsigned, Vector256<byte> lowest, Vector256<int> order)
    {
        var s01 = Pack(Avx.ConvertToVector256Single(Avx2.Add(a0, bias)), Avx.ConvertToVector256Single(Avx2.Add(a1, bias)), mul, hi, zero);
        var s23 = Pack(Avx.ConvertToVector256Single(Avx2.Add(a2, bias)), Avx.ConvertToVector256Single(Avx2.Add(a3, bias)), mul, hi, zero);
        Avx.Store(p, InOrder(s01, s23, unsigned, lowest, order));
    }

    /// <summary>
    /// Writes the first cols / 16 * 16 elements (32 per step, then 16) of row <paramref name="row"/> (one channel) as
    /// bytes, from the int32 sums at <paramref name="acc"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PutRow16(in QStore st, int* acc, int row, int col, int cols)
    {
        var (hi, zero, lowest, unsigned, order) = ByteConstants(st);
        var bias = Vector256.Create(st.Bias[row]);
        var mul = Vector256.Create(st.Multiplier[row]);
        byte* p = st.At(row, col);
        int j = 0;
        for (; j + 32 <= cols; j += 32)
            Store32(p + j, Avx.LoadVector256(acc + j), Avx.LoadVector256(acc + j + 8), Avx.LoadVector256(acc + j + 16), Avx.LoadVector256(acc + j + 24),
                bias, mul, hi, zero, unsigned, lowest, order);
        for (; j + 16 <= cols; j += 16)
        {
            // Packed with itself: the first 16 bytes, once in order, are the 16 outputs.
            var s = Pack(Avx.ConvertToVector256Single(Avx2.Add(Avx.LoadVector256(acc + j), bias)),
                Avx.ConvertToVector256Single(Avx2.Add(Avx.LoadVector256(acc + j + 8), bias)), mul, hi, zero);
            Sse2.Store(p + j, InOrder(s, s, unsigned, lowest, order).GetLower());
        }
    }

    /// <summary>
    /// Writes columns [col, col + 8) of <paramref name="rows"/> rows from row0 (channels along columns: their bias
    /// and multiplier loaded once), as bytes, from int32 sums with row stride <paramref name="ld"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PutColumns8(in QStore st, int* acc, int ld, int rows, int row0, int col)
    {
        var bias = Avx.LoadVector256(st.Bias + col);
        var mul = Avx.LoadVector256(st.Multiplier + col);
        var lo = Vector256.Create(st.Lo);
        var hi = Vector256.Create(st.Hi);
        var zero = Vector256.Create(st.Zero);
        bool unsigned = st.Kind == QuantizedOutputKind.UInt8;
        for (int r = 0; r < rows; r++)
        {
            var v = Avx.Min(Avx.Max(Avx.Multiply(Avx.ConvertToVector256Single(Avx2.Add(Avx.LoadVector256(acc + r * ld), bias)), mul), lo), hi);
            var q = Avx2.Add(Avx.ConvertToVector256Int32(v), zero);
            var w = Sse2.PackSignedSaturate(q.GetLower(), q.GetUpper());
            var b = unsigned ? Sse2.PackUnsignedSaturate(w, w).AsInt64() : Sse2.PackSignedSaturate(w, w).AsInt64();
            Sse2.StoreScalar((long*)st.At(row0 + r, col), b);
        }
    }

    /// <summary>Writes 16 elements of row <paramref name="row"/> from column <paramref name="col"/> (one store of bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put16(in QStore st, Vector256<int> acc0, Vector256<int> acc1, int row, int col)
    {
        if (!st.Bytes)
        {
            Put(st, acc0, row, col);
            Put(st, acc1, row, col + 8);
            return;
        }
        var zero = Vector256.Create(st.Zero);
        var q0 = Avx2.Add(Avx.ConvertToVector256Int32(Value(st, acc0, row, col)), zero);
        var q1 = Avx2.Add(Avx.ConvertToVector256Int32(Value(st, acc1, row, col + 8)), zero);
        var s0 = Sse2.PackSignedSaturate(q0.GetLower(), q0.GetUpper());
        var s1 = Sse2.PackSignedSaturate(q1.GetLower(), q1.GetUpper());
        byte* p = st.At(row, col);
        if (st.Kind == QuantizedOutputKind.UInt8) Sse2.Store(p, Sse2.PackUnsignedSaturate(s0, s1));
        else Sse2.Store((sbyte*)p, Sse2.PackSignedSaturate(s0, s1));
    }
}

/// <summary>
/// 4-lane integer helpers: SSE2 where the machine has it, else portable <see cref="Vector128"/> operations with the
/// same results (every path is exact, so they agree with the scalar reference bit for bit).
/// </summary>
internal static unsafe class QVector128
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Load(int* p) => Vector128.Load(p);

    /// <summary>acc + a0 b0 + a1 b1 per int32 lane, where each lane of a and b holds an int16 pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Madd(Vector128<int> acc, Vector128<int> a, Vector128<int> b)
    {
        if (Sse2.IsSupported) return Sse2.Add(acc, Sse2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16()));
        // Low and high int16 of each lane, sign-extended; the products are exact in int32.
        var a0 = Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(a, 16), 16);
        var b0 = Vector128.ShiftRightArithmetic(Vector128.ShiftLeft(b, 16), 16);
        var a1 = Vector128.ShiftRightArithmetic(a, 16);
        var b1 = Vector128.ShiftRightArithmetic(b, 16);
        return acc + a0 * b0 + a1 * b1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Max(Vector128<float> v, Vector128<float> lo) =>
        Sse.IsSupported ? Sse.Max(v, lo) : Vector128.ConditionalSelect(Vector128.GreaterThan(v, lo), v, lo);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Min(Vector128<float> v, Vector128<float> hi) =>
        Sse.IsSupported ? Sse.Min(v, hi) : Vector128.ConditionalSelect(Vector128.LessThan(v, hi), v, hi);

    /// <summary>Round half to even, to int32 (values are within range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> RoundToInt(Vector128<float> v) =>
        Sse2.IsSupported ? Sse2.ConvertToVector128Int32(v) : Vector128.ConvertToInt32(Vector128.Round(v));

    /// <summary>Writes 4 elements of row <paramref name="row"/> from column <paramref name="col"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Put(in QStore st, Vector128<int> acc, int row, int col)
    {
        var t = acc + (st.ChannelsAreRows ? Vector128.Create(st.Bias[row]) : Vector128.Load(st.Bias + col));
        if (st.WeightZero != null)
        {
            var wz = st.ChannelsAreRows ? Vector128.Create(st.WeightZero[row]) : Vector128.Load(st.WeightZero + col);
            t -= wz * Vector128.Create(st.ActSum);
        }
        if (st.Kind == QuantizedOutputKind.Int32)
        {
            t.Store((int*)st.At(row, col));
            return;
        }
        var mul = st.ChannelsAreRows ? Vector128.Create(st.Multiplier[row]) : Vector128.Load(st.Multiplier + col);
        var v = Vector128.ConvertToSingle(t) * mul;
        v = Min(Max(v, Vector128.Create(st.Lo)), Vector128.Create(st.Hi));
        byte* p = st.At(row, col);
        switch (st.Kind)
        {
            case QuantizedOutputKind.UInt8:
            case QuantizedOutputKind.Int8:
            {
                var q = RoundToInt(v) + Vector128.Create(st.Zero);
                if (Sse2.IsSupported)
                {
                    var s = Sse2.PackSignedSaturate(q, q);
                    var b = st.Kind == QuantizedOutputKind.UInt8 ? Sse2.PackUnsignedSaturate(s, s).AsInt32() : Sse2.PackSignedSaturate(s, s).AsInt32();
                    *(int*)p = b.ToScalar();
                }
                else
                    for (int i = 0; i < 4; i++) p[i] = (byte)q.GetElement(i);
                break;
            }
            case QuantizedOutputKind.Float32: v.Store((float*)p); break;
            default:
                var r = Sse41.IsSupported ? Sse41.RoundToNearestInteger(v) : Vector128.Round(v);
                (r * Vector128.Create(st.Grid)).Store((float*)p);
                break;
        }
    }
}
