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
    public int Partition(int parts, int[] bounds)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, Rows));
        long total = Pairs + 4L * Rows;
        bounds[0] = 0;
        int p = 1;
        long acc = 0;
        for (int r = 0; r < Rows && p < parts; r++)
        {
            acc += _start[r + 1] - _start[r] + 4;
            if (acc * parts >= total * p) bounds[p++] = r + 1;
        }
        while (p <= parts) bounds[p++] = Rows;
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
