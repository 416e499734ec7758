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
    /// <summary>Whether byte rows are written 32 outputs per step before 16 (false: 16 only, for comparisons).</summary>
    internal static bool Wide32 = true;

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

    /// <summary>The output stage of one channel (a row of C) with its constants broadcast, for byte outputs.</summary>
    public readonly struct Row
    {
        /// <summary>Where each 4-byte group of two in-lane 256-bit packs belongs: a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 ... to a0-7 b0-7 ...</summary>
        private static readonly Vector256<int> GroupOrder = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

        private readonly Vector256<int> _bias, _zero;
        private readonly Vector256<short> _zero16;
        private readonly Vector256<byte> _loByte;
        private readonly Vector256<float> _mul, _lo, _hi;
        private readonly bool _unsigned;

        public Row(in QStore st, int row)
        {
            _bias = Vector256.Create(st.Bias[row]);
            _mul = Vector256.Create(st.Multiplier[row]);
            _lo = Vector256.Create(st.Lo);
            _hi = Vector256.Create(st.Hi);
            _zero = Vector256.Create(st.Zero);
            _zero16 = Vector256.Create((short)st.Zero);
            _loByte = Vector256.Create((byte)(int)(st.Lo + st.Zero));
            _unsigned = st.Kind == QuantizedOutputKind.UInt8;
        }

        /// <summary>16 outputs from their int32 sums, stored as 16 bytes at <paramref name="p"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store16(byte* p, Vector256<int> a0, Vector256<int> a1) =>
            StoreTotals16(p, Avx.ConvertToVector256Single(Avx2.Add(a0, _bias)), Avx.ConvertToVector256Single(Avx2.Add(a1, _bias)));

        /// <summary>The channel's bias as a float (exact below 2^24), for totals formed in float.</summary>
        public Vector256<float> FloatBias => Avx.ConvertToVector256Single(_bias);

        /// <summary>32 outputs from their int32 sums, stored as 32 bytes at <paramref name="p"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store32(byte* p, Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3) =>
            StoreTotals32(p, Avx.ConvertToVector256Single(Avx2.Add(a0, _bias)), Avx.ConvertToVector256Single(Avx2.Add(a1, _bias)),
                Avx.ConvertToVector256Single(Avx2.Add(a2, _bias)), Avx.ConvertToVector256Single(Avx2.Add(a3, _bias)));

        /// <summary>
        /// 32 outputs from their totals as floats, stored as 32 bytes at <paramref name="p"/>: the same values as two
        /// <see cref="StoreTotals16"/>, in fewer instructions. Values are rounded, packed to int16 with saturation, the
        /// zero point added on 16 lanes at once (saturating), packed to bytes with saturation, and clamped below on the
        /// bytes: each step is monotone and Lo + zero lies within the byte range, so the result equals clamping first.
        /// The 256-bit packs work within each 128-bit half and leave the bytes in 4-byte groups that one permutation
        /// puts back in order.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StoreTotals32(byte* p, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3)
        {
            // Only the upper clamp in float: it keeps cvtps2dq from overflowing to 0x80000000 on huge positive
            // values (huge negative ones overflow to the same value, which saturates the right way).
            var q0 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t0, _mul), _hi));
            var q1 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t1, _mul), _hi));
            var q2 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t2, _mul), _hi));
            var q3 = Avx.ConvertToVector256Int32(Avx.Min(Avx.Multiply(t3, _mul), _hi));
            var s01 = Avx2.AddSaturate(Avx2.PackSignedSaturate(q0, q1), _zero16);
            var s23 = Avx2.AddSaturate(Avx2.PackSignedSaturate(q2, q3), _zero16);
            // The lower clamp on the bytes: every saturation above moves values toward it.
            var bytes = _unsigned ? Avx2.Max(Avx2.PackUnsignedSaturate(s01, s23), _loByte)
                : Avx2.Max(Avx2.PackSignedSaturate(s01, s23), _loByte.AsSByte()).AsByte();
            Avx.Store(p, Avx2.PermuteVar8x32(bytes.AsInt32(), GroupOrder).AsByte());
        }

        /// <summary>16 outputs from their totals (sum plus bias) as floats, stored as 16 bytes at <paramref name="p"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StoreTotals16(byte* p, Vector256<float> t0, Vector256<float> t1)
        {
            var v0 = Avx.Min(Avx.Max(Avx.Multiply(t0, _mul), _lo), _hi);
            var v1 = Avx.Min(Avx.Max(Avx.Multiply(t1, _mul), _lo), _hi);
            var q0 = Avx2.Add(Avx.ConvertToVector256Int32(v0), _zero);
            var q1 = Avx2.Add(Avx.ConvertToVector256Int32(v1), _zero);
            var s0 = Sse2.PackSignedSaturate(q0.GetLower(), q0.GetUpper());
            var s1 = Sse2.PackSignedSaturate(q1.GetLower(), q1.GetUpper());
            if (_unsigned) Sse2.Store(p, Sse2.PackUnsignedSaturate(s0, s1));
            else Sse2.Store((sbyte*)p, Sse2.PackSignedSaturate(s0, s1));
        }
    }

    /// <summary>
    /// Writes the first cols / 16 * 16 elements (32 per step, then 16) of row <paramref name="row"/> (one channel: bias, multiplier, clamp
    /// and zero point broadcast once) as bytes, from the int32 sums at <paramref name="acc"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PutRow16(in QStore st, int* acc, int row, int col, int cols)
    {
        var r = new Row(st, row);
        byte* p = st.At(row, col);
        int j = 0;
        for (; Wide32 && j + 32 <= cols; j += 32)
            r.Store32(p + j, Avx.LoadVector256(acc + j), Avx.LoadVector256(acc + j + 8), Avx.LoadVector256(acc + j + 16), Avx.LoadVector256(acc + j + 24));
        for (; j + 16 <= cols; j += 16) r.Store16(p + j, Avx.LoadVector256(acc + j), Avx.LoadVector256(acc + j + 8));
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
