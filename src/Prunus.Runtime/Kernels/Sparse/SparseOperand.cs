using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Prunus.Kernels;

/// <summary>How a sparse kernel stores its matrix.</summary>
public enum SparseLayout
{
    /// <summary>Row by row (CSR): one value and one operand offset per nonzero.</summary>
    Csr,
    /// <summary>Aligned blocks of four rows sharing one column list, four values per column (zeros filled in).</summary>
    Block4,
}

/// <summary>
/// A sparse matrix S[R, D] prepared for one dense operand layout: each stored column d is replaced by its element
/// offset in the operand (for instance d * L for an operand X[D, L], or where a lowered image keeps tap d), so the
/// kernels add offsets and never multiply indices. Arrays are pinned for the object's life.
/// </summary>
internal sealed unsafe class SparseOperand
{
    private readonly int[] _start;
    private readonly int[] _off;
    private readonly float[] _val;

    /// <summary>The storage.</summary>
    public SparseLayout Layout { get; }
    /// <summary>Rows R of the matrix.</summary>
    public int Rows { get; }
    /// <summary>Units the kernels split work by: rows (CSR) or blocks of four rows.</summary>
    public int Units { get; }
    /// <summary>Stored entries (nonzeros, or block columns times four).</summary>
    public long Stored => Layout == SparseLayout.Block4 ? 4L * _start[Units] : _start[Units];

    public int* Start => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_start));
    public int* Off => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_off));
    public float* Val => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_val));

    private SparseOperand(SparseLayout layout, int rows, int units, int[] start, int[] off, float[] val)
    {
        Layout = layout;
        Rows = rows;
        Units = units;
        _start = start;
        _off = off;
        _val = val;
    }

    /// <summary>Prepares <paramref name="s"/> in <paramref name="layout"/>, mapping column d to offset <paramref name="offsetOf"/>(d).</summary>
    public static SparseOperand Create(SparseRows s, SparseLayout layout, Func<int, int> offsetOf)
    {
        return layout == SparseLayout.Block4 ? Blocks(s, offsetOf) : Rows4(s, offsetOf);

        static SparseOperand Rows4(SparseRows s, Func<int, int> offsetOf)
        {
            var start = Pinned<int>(s.Rows + 1);
            s.RowStart.CopyTo(start, 0);
            var off = Pinned<int>(s.NonZeros);
            var val = Pinned<float>(s.NonZeros);
            for (int z = 0; z < s.NonZeros; z++) off[z] = offsetOf(s.Columns[z]);
            s.Values.CopyTo(val, 0);
            return new SparseOperand(SparseLayout.Csr, s.Rows, s.Rows, start, off, val);
        }

        static SparseOperand Blocks(SparseRows s, Func<int, int> offsetOf)
        {
            int blocks = (s.Rows + 3) / 4;
            var start = Pinned<int>(blocks + 1);
            var cols = new List<int>();
            var vals = new List<float>();
            var slot = new int[s.Cols];
            Array.Fill(slot, -1);
            for (int b = 0; b < blocks; b++)
            {
                int r0 = 4 * b, r1 = Math.Min(s.Rows, r0 + 4);
                // The union of the block's columns, ascending, so every row still sums in column order.
                var union = new SortedSet<int>();
                for (int r = r0; r < r1; r++)
                    for (int z = s.RowStart[r]; z < s.RowStart[r + 1]; z++) union.Add(s.Columns[z]);
                foreach (int c in union)
                {
                    slot[c] = cols.Count;
                    cols.Add(c);
                    vals.AddRange([0f, 0f, 0f, 0f]);
                }
                for (int r = r0; r < r1; r++)
                    for (int z = s.RowStart[r]; z < s.RowStart[r + 1]; z++) vals[4 * slot[s.Columns[z]] + r - r0] = s.Values[z];
                foreach (int c in union) slot[c] = -1;
                start[b + 1] = cols.Count;
            }
            var off = Pinned<int>(cols.Count);
            for (int i = 0; i < cols.Count; i++) off[i] = offsetOf(cols[i]);
            var val = Pinned<float>(vals.Count);
            vals.CopyTo(val);
            return new SparseOperand(SparseLayout.Block4, s.Rows, blocks, start, off, val);
        }
    }

    // At least one element, so that the data pointer of an empty matrix is still valid.
    private static T[] Pinned<T>(int n) where T : unmanaged => GC.AllocateArray<T>(Math.Max(n, 1), pinned: true);

    /// <summary>Rows of unit <paramref name="u"/>: [first, first + count).</summary>
    public (int First, int Count) RowsOf(int u) => Layout == SparseLayout.Block4 ? (4 * u, Math.Min(4, Rows - 4 * u)) : (u, 1);

    /// <summary>Y rows of units [u0, u1) over columns [l0, l1) of the operand.</summary>
    public void Run(in SpmmArgs a, int u0, int u1, int l0, int l1)
    {
        if (Layout == SparseLayout.Block4) SparseTiles.Block4(a, Start, Off, Val, Rows, u0, u1, l0, l1);
        else SparseTiles.Csr(a, Start, Off, Val, u0, u1, l0, l1);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Y rows of units [u0, u1) as planes of <paramref name="oh"/> rows of <paramref name="ow"/> outputs, each
    /// output row reading X <paramref name="xs"/> further on than the one above (<see cref="SparseTiles.CsrRows"/>, <see cref="SparseTiles.Block4Rows"/>).
    /// </summary>
    public void RunRows(in SpmmArgs a, int u0, int u1, int oh, int ow, int xs)
    {
        if (Layout == SparseLayout.Block4) SparseTiles.Block4Rows(a, Start, Off, Val, Rows, u0, u1, oh, ow, xs);
        else SparseTiles.CsrRows(a, Start, Off, Val, u0, u1, oh, ow, xs);
        GC.KeepAlive(this);
    }

    /// <summary>The scalar reference of <see cref="Run"/>.</summary>
    public void RunReference(in SpmmArgs a, int u0, int u1, int l0, int l1)
    {
        if (Layout == SparseLayout.Block4) SparseTiles.Block4Reference(a, Start, Off, Val, Rows, u0, u1, l0, l1);
        else SparseTiles.CsrReference(a, Start, Off, Val, u0, u1, l0, l1);
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Cuts the units into at most <paramref name="parts"/> consecutive ranges of about equal work (stored entries
    /// plus a fixed cost per row for its stores); bounds[p]..bounds[p+1] is part p. Returns the number of parts.
    /// </summary>
    public int Partition(int parts, int[] bounds)
    {
        parts = Math.Clamp(parts, 1, Math.Max(1, Units));
        int* start = Start;
        long perUnit = Layout == SparseLayout.Block4 ? 16 : 4;
        long total = (long)start[Units] * (Layout == SparseLayout.Block4 ? 4 : 1) + perUnit * Units;
        bounds[0] = 0;
        int p = 1;
        long acc = 0;
        for (int u = 0; u < Units && p < parts; u++)
        {
            acc += (long)(start[u + 1] - start[u]) * (Layout == SparseLayout.Block4 ? 4 : 1) + perUnit;
            if (acc * parts >= total * p) bounds[p++] = u + 1;
        }
        while (p <= parts) bounds[p++] = Units;
        GC.KeepAlive(this);
        return parts;
    }
}
