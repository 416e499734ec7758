using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// A constant 8-bit weight matrix S[R, D] (R outputs, D taps or inputs) kept by rows for integer products
/// Y[r, l] = Σ_d (S[r, d] - z[r]) X[d, l]: each row's nonzeros (weights that differ from the row's zero point) in
/// ascending column order, taken two at a time. A pair is one word of two int16 weights and the offsets of its two
/// columns in the dense operand X (int16 values x - z_x), laid out by the caller (a lowered image, a transposed
/// activation); an odd last nonzero is paired with a zero weight. Arrays are pinned for the object's life.
/// </summary>
internal sealed unsafe class QSparseRows
{
    private readonly int[] _start, _offA, _offB, _word;

    /// <summary>Rows R.</summary>
    public int Rows { get; }
    /// <summary>Columns D.</summary>
    public int Cols { get; }
    /// <summary>Nonzero weights.</summary>
    public long NonZeros { get; }
    /// <summary>Nonzeros over all entries.</summary>
    public double Density => (long)Rows * Cols == 0 ? 1 : (double)NonZeros / ((long)Rows * Cols);
    /// <summary>Pairs stored (the kernels' work units).</summary>
    public int Pairs => _start[Rows];

    public int* Start => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_start));
    public int* OffA => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_offA));
    public int* OffB => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_offB));
    public int* Word => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_word));

    /// <summary>
    /// The nonzeros of W, element (r, d) at w[r * ld + d] (or w[d * ld + r] when <paramref name="transposed"/>), minus
    /// the zero point of row r; column d maps to operand offset <paramref name="offsetOf"/>(d).
    /// </summary>
    public QSparseRows(int rows, int cols, QBytes w, int ld, bool transposed, Func<int, int> offsetOf)
    {
        Rows = rows;
        Cols = cols;
        var start = new List<int> { 0 };
        var offA = new List<int>();
        var offB = new List<int>();
        var word = new List<int>();
        long nonzeros = 0;
        var cols2 = new List<(int Col, int Value)>();
        for (int r = 0; r < rows; r++)
        {
            cols2.Clear();
            int z = w.ZeroOf(r);
            for (int d = 0; d < cols; d++)
            {
                int v = w.Value(transposed ? d * ld + r : r * ld + d) - z;
                if (v != 0) cols2.Add((d, v));
            }
            nonzeros += cols2.Count;
            for (int i = 0; i < cols2.Count; i += 2)
            {
                var a = cols2[i];
                var b = i + 1 < cols2.Count ? cols2[i + 1] : (Col: a.Col, Value: 0);
                offA.Add(offsetOf(a.Col));
                offB.Add(offsetOf(b.Col));
                word.Add(QPack.Pair(a.Value, b.Value));
            }
            start.Add(offA.Count);
        }
        NonZeros = nonzeros;
        _start = Pinned(start);
        _offA = Pinned(offA);
        _offB = Pinned(offB);
        _word = Pinned(word);
    }

    private static int[] Pinned(List<int> values)
    {
        var a = GC.AllocateArray<int>(Math.Max(1, values.Count), pinned: true);
        values.CopyTo(a);
        return a;
    }

    /// <summary>Count of nonzeros (values differing from their row's zero point) of an 8-bit matrix.</summary>
    public static long CountNonZeros(int rows, int cols, QBytes w, int ld, bool transposed)
    {
        long n = 0;
        for (int r = 0; r < rows; r++)
        {
            int z = w.ZeroOf(r);
            for (int d = 0; d < cols; d++) if (w.Value(transposed ? d * ld + r : r * ld + d) != z) n++;
        }
        return n;
    }

    /// <summary>
    /// Cuts the rows into at most <paramref name="parts"/> consecutive ranges of about equal work (pairs plus a fixed
    /// cost per row); bounds[p]..bounds[p+1] is part p. Returns the number of parts.
    /// </summary>
    public int Partition(int parts, int[] bounds) => PartitionRows(_start, Rows, parts, bounds);

    /// <summary>
    /// <see cref="Partition"/> for rows whose pairs are start[r]..start[r+1] (shared by the int16 and byte forms):
    /// cumulative work, pairs plus 4 per row, cut at equal shares.
    /// </summary>
    internal static int PartitionRows(int[] start, int rows, int parts, int[] bounds)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, rows));
        long total = start[rows] + 4L * rows;
        bounds[0] = 0;
        int p = 1;
        long acc = 0;
        for (int r = 0; r < rows && p < parts; r++)
        {
            acc += start[r + 1] - start[r] + 4;
            if (acc * parts >= total * p) bounds[p++] = r + 1;
        }
        while (p <= parts) bounds[p++] = rows;
        return parts;
    }

    /// <summary>
    /// The int32 sums of row <paramref name="r"/> over lanes [0, n) of X (offsets relative to <paramref name="x"/>),
    /// into <paramref name="y"/>[0, n). X may be read up to 64 values past a run's end (callers keep slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(int r, short* x, int n, int* y)
    {
        int p0 = _start[r], p1 = _start[r + 1];
        int* oa = OffA, ob = OffB, wd = Word;
        int l = 0;
        if (Avx2.IsSupported)
        {
            for (; l + 64 <= n; l += 64) Lanes256<R4>(oa, ob, wd, p0, p1, x + l, y + l);
            int rest = n - l;
            if (rest > 48) Lanes256<R4>(oa, ob, wd, p0, p1, x + l, y + l);
            else if (rest > 32) Lanes256<R3>(oa, ob, wd, p0, p1, x + l, y + l);
            else if (rest > 16) Lanes256<R2>(oa, ob, wd, p0, p1, x + l, y + l);
            else if (rest > 0) Lanes256<R1>(oa, ob, wd, p0, p1, x + l, y + l);
            GC.KeepAlive(this);
            return;
        }
        for (; l < n; l++)
        {
            int s = 0;
            for (int p = p0; p < p1; p++)
            {
                int word = wd[p];
                s += (short)word * x[oa[p] + l] + (word >> 16) * x[ob[p] + l];
            }
            y[l] = s;
        }
        GC.KeepAlive(this);
    }

    /// <summary>
    /// 16 TV lanes of one row: per pair, two runs of int16 loaded, interleaved (vpunpcklwd/hwd) and multiplied with
    /// the pair's weights (vpmaddwd). Within each 128-bit half the unpacks put lanes 0-3 in the low result and 4-7 in
    /// the high one; the halves are put back in order once at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lanes256<TV>(int* oa, int* ob, int* wd, int p0, int p1, short* x, int* y) where TV : struct, IRows
    {
        Vector256<int> lo0 = default, hi0 = default, lo1 = default, hi1 = default, lo2 = default, hi2 = default, lo3 = default, hi3 = default;
        for (int p = p0; p < p1; p++)
        {
            short* a = x + oa[p];
            short* b = x + ob[p];
            var w = Vector256.Create(wd[p]).AsInt16();
            Pair(ref lo0, ref hi0, a, b, w);
            if (TV.Value > 1) Pair(ref lo1, ref hi1, a + 16, b + 16, w);
            if (TV.Value > 2) Pair(ref lo2, ref hi2, a + 32, b + 32, w);
            if (TV.Value > 3) Pair(ref lo3, ref hi3, a + 48, b + 48, w);
        }
        Store(lo0, hi0, y);
        if (TV.Value > 1) Store(lo1, hi1, y + 16);
        if (TV.Value > 2) Store(lo2, hi2, y + 32);
        if (TV.Value > 3) Store(lo3, hi3, y + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pair(ref Vector256<int> lo, ref Vector256<int> hi, short* a, short* b, Vector256<short> w)
    {
        var va = Avx.LoadVector256(a);
        var vb = Avx.LoadVector256(b);
        lo = Avx2.Add(lo, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(va, vb), w));
        hi = Avx2.Add(hi, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(va, vb), w));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<int> lo, Vector256<int> hi, int* y)
    {
        Avx.Store(y, Avx2.Permute2x128(lo, hi, 0x20));
        Avx.Store(y + 8, Avx2.Permute2x128(lo, hi, 0x31));
    }

    /// <summary>Scalar reference of <see cref="Row"/>.</summary>
    public void RowReference(int r, short* x, int n, int* y)
    {
        for (int l = 0; l < n; l++)
        {
            int s = 0;
            for (int p = _start[r]; p < _start[r + 1]; p++)
                s += (short)_word[p] * x[_offA[p] + l] + (_word[p] >> 16) * x[_offB[p] + l];
            y[l] = s;
        }
    }
}

/// <summary>
/// The byte form of <see cref="QSparseRows"/> for weights that fit the byte encodings (int8 with zero point 0, uint8
/// with 128): the operand X holds the activations' stored bytes (uint8, or int8 shifted by +128), and each pair of
/// nonzeros multiplies two runs of X with vpmaddubsw. Weights are split as in <see cref="QKernelSplit{TSide}"/>
/// (w = 16 wh + wl, both halves within [-8, 8]), so a pair sum is at most 4080 in magnitude and eight pairs
/// accumulate in int16; the high and low sums are then interleaved and widened by one vpmaddwd against (16, 1).
/// 64 multiply-adds take four vpmaddubsw, against four vpmaddwd over int16 values. The caller subtracts
/// z_u Σ w per row (the activation zero point, in stored form) through the bias; padding holds z_u.
/// </summary>
internal sealed unsafe class QSparseBytes
{
    private readonly int[] _start, _offA, _offB, _high, _low;
    /// <summary>Per row, Σ w over all its weights (signed form), for the activation zero point's correction.</summary>
    public int[] RowSums { get; }

    public int Rows { get; }
    public int Cols { get; }
    public long NonZeros { get; }
    public double Density => (long)Rows * Cols == 0 ? 1 : (double)NonZeros / ((long)Rows * Cols);
    public int Pairs => _start[Rows];

    /// <summary>W element (r, d) at w[r * ld + d] (or w[d * ld + r] when transposed), as VNNI signed bytes; column d at operand offset offsetOf(d).</summary>
    public QSparseBytes(int rows, int cols, QBytes w, int ld, bool transposed, Func<int, int> offsetOf)
    {
        Rows = rows;
        Cols = cols;
        RowSums = new int[rows];
        var start = new List<int> { 0 };
        var offA = new List<int>();
        var offB = new List<int>();
        var high = new List<int>();
        var low = new List<int>();
        var nz = new List<(int Col, sbyte Value)>();
        long nonzeros = 0;
        for (int r = 0; r < rows; r++)
        {
            nz.Clear();
            for (int d = 0; d < cols; d++)
            {
                sbyte v = QPack.VnniWeight(w.Data[transposed ? d * ld + r : r * ld + d], w.Signed);
                RowSums[r] += v;
                if (v != 0) nz.Add((d, v));
            }
            nonzeros += nz.Count;
            for (int i = 0; i < nz.Count; i += 2)
            {
                var a = nz[i];
                var b = i + 1 < nz.Count ? nz[i + 1] : (Col: a.Col, Value: (sbyte)0);
                var (ha, la) = QKernelSplit<UnsignedA>.Split(a.Value);
                var (hb, lb) = QKernelSplit<UnsignedA>.Split(b.Value);
                offA.Add(offsetOf(a.Col));
                offB.Add(offsetOf(b.Col));
                // Bytes (a, b) of each 16-bit lane, as vpunpcklbw/hbw interleave the two runs.
                high.Add((byte)ha | (byte)hb << 8);
                low.Add((byte)la | (byte)lb << 8);
            }
            start.Add(offA.Count);
        }
        NonZeros = nonzeros;
        _start = Pinned(start);
        _offA = Pinned(offA);
        _offB = Pinned(offB);
        _high = Pinned(high);
        _low = Pinned(low);
    }

    private static int[] Pinned(List<int> values)
    {
        var a = GC.AllocateArray<int>(Math.Max(1, values.Count), pinned: true);
        values.CopyTo(a);
        return a;
    }

    /// <summary>Splits the rows into parts of about equal work, as <see cref="QSparseRows.Partition"/>.</summary>
    public int Partition(int parts, int[] bounds) => QSparseRows.PartitionRows(_start, Rows, parts, bounds);

    /// <summary>
    /// The int32 sums Σ w x_u of row <paramref name="r"/> over lanes [0, n) of X (bytes; offsets relative to
    /// <paramref name="x"/>) into y[0, n); X may be read and y written up to 32 lanes past n.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Row(int r, byte* x, int n, int* y)
    {
        int p0 = _start[r], p1 = _start[r + 1];
        fixed (int* oa = _offA, ob = _offB, hw = _high, lw = _low)
        {
            if (!Avx2.IsSupported)
            {
                for (int l = 0; l < n; l++)
                {
                    int s = 0;
                    for (int p = p0; p < p1; p++)
                        s += 16 * ((sbyte)hw[p] * x[oa[p] + l] + (sbyte)(hw[p] >> 8) * x[ob[p] + l])
                            + (sbyte)lw[p] * x[oa[p] + l] + (sbyte)(lw[p] >> 8) * x[ob[p] + l];
                    y[l] = s;
                }
                return;
            }
            for (int l = 0; l < n; l += 32) Lanes32(oa, ob, hw, lw, p0, p1, x + l, y + l);
        }
    }

    /// <summary>32 lanes of one row, stored as int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lanes32(int* oa, int* ob, int* hw, int* lw, int p0, int p1, byte* x, int* y)
    {
        Sums32(oa, ob, hw, lw, p0, p1, x, out var s0, out var s1, out var s2, out var s3);
        Avx.Store(y, s0);
        Avx.Store(y + 8, s1);
        Avx.Store(y + 16, s2);
        Avx.Store(y + 24, s3);
    }

    /// <summary>The sums of 32 lanes in order (s0 lanes 0-7 ... s3 lanes 24-31); int16 sums flushed into int32 every eight pairs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sums32(int* oa, int* ob, int* hw, int* lw, int p0, int p1, byte* x,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3)
    {
        // int32 sums in the order the unpacks leave them: a = lanes 0-3 | 16-19, b = 4-7 | 20-23, c = 8-11 | 24-27, d = 12-15 | 28-31.
        Vector256<int> a = default, b = default, c = default, d = default;
        var mix = Vector256.Create(0x0001_0010).AsInt16();   // (16, 1) per int16 pair: 16 h + l
        for (int q0 = p0; q0 < p1; q0 += QKernelSplit<UnsignedA>.Steps)
        {
            int q1 = Math.Min(p1, q0 + QKernelSplit<UnsignedA>.Steps);
            Vector256<short> hLo = default, hHi = default, lLo = default, lHi = default;
            for (int p = q0; p < q1; p++)
            {
                var va = Avx.LoadVector256(x + oa[p]);
                var vb = Avx.LoadVector256(x + ob[p]);
                var lo = Avx2.UnpackLow(va, vb);
                var hi = Avx2.UnpackHigh(va, vb);
                var wh = Vector256.Create((short)hw[p]).AsSByte();
                var wl = Vector256.Create((short)lw[p]).AsSByte();
                hLo = Avx2.Add(hLo, Avx2.MultiplyAddAdjacent(lo, wh));
                hHi = Avx2.Add(hHi, Avx2.MultiplyAddAdjacent(hi, wh));
                lLo = Avx2.Add(lLo, Avx2.MultiplyAddAdjacent(lo, wl));
                lHi = Avx2.Add(lHi, Avx2.MultiplyAddAdjacent(hi, wl));
            }
            // Interleave each lane's high and low sums, then 16 h + l in int32.
            a = Avx2.Add(a, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(hLo, lLo), mix));
            b = Avx2.Add(b, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(hLo, lLo), mix));
            c = Avx2.Add(c, Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(hHi, lHi), mix));
            d = Avx2.Add(d, Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(hHi, lHi), mix));
        }
        s0 = Avx2.Permute2x128(a, b, 0x20);
        s1 = Avx2.Permute2x128(c, d, 0x20);
        s2 = Avx2.Permute2x128(a, b, 0x31);
        s3 = Avx2.Permute2x128(c, d, 0x31);
    }

    /// <summary>
    /// Row <paramref name="r"/> over lanes [0, n) written straight through a byte output stage whose channels are
    /// rows (<paramref name="st"/>, row <paramref name="r"/>, columns from 0): 32 outputs per step with no int32
    /// round trip; the last partial step goes through <paramref name="tail"/> (32 ints).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void RowToBytes(int r, byte* x, int n, in QStore st, int* tail)
    {
        int p0 = _start[r], p1 = _start[r + 1];
        var (hi, zero, lowest, unsigned, order) = QVector256.ByteConstants(st);
        var bias = Vector256.Create(st.Bias[r]);
        var mul = Vector256.Create(st.Multiplier[r]);
        byte* y = st.At(r, 0);
        fixed (int* oa = _offA, ob = _offB, hw = _high, lw = _low)
        {
            int l = 0;
            for (; l + 32 <= n; l += 32)
            {
                Sums32(oa, ob, hw, lw, p0, p1, x + l, out var s0, out var s1, out var s2, out var s3);
                QVector256.Store32(y + l, s0, s1, s2, s3, bias, mul, hi, zero, unsigned, lowest, order);
            }
            if (l < n)
            {
                Lanes32(oa, ob, hw, lw, p0, p1, x + l, tail);
                st.FinishRow(tail, r, l, n - l);
            }
        }
    }

    /// <summary>Scalar reference of <see cref="Row"/>: Σ w x_u with the whole weights.</summary>
    public void RowReference(int r, byte* x, int n, int* y)
    {
        for (int l = 0; l < n; l++)
        {
            int s = 0;
            for (int p = _start[r]; p < _start[r + 1]; p++)
            {
                int wa = 16 * (sbyte)_high[p] + (sbyte)_low[p], wb = 16 * (sbyte)(_high[p] >> 8) + (sbyte)(_low[p] >> 8);
                s += wa * x[_offA[p] + l] + wb * x[_offB[p] + l];
            }
            y[l] = s;
        }
    }
}
