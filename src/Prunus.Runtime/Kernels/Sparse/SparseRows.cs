namespace Prunus.Kernels;

/// <summary>
/// A constant matrix S[R, D] kept by rows (CSR) for products Y[R, L] = S X[D, L]: for each row the columns of its
/// nonzeros in ascending order and their values. A layer's weight seen this way has its outputs as rows and what each
/// output sums over as columns (a Gemm's B transposed, a convolution's W [K, C/G*KH*KW]).
/// </summary>
public sealed class SparseRows
{
    /// <summary>Rows R.</summary>
    public int Rows { get; }
    /// <summary>Columns D.</summary>
    public int Cols { get; }
    /// <summary>Row r's nonzeros are entries [RowStart[r], RowStart[r+1]) of <see cref="Columns"/> and <see cref="Values"/>.</summary>
    public int[] RowStart { get; }
    /// <summary>Column of each nonzero.</summary>
    public int[] Columns { get; }
    /// <summary>Value of each nonzero.</summary>
    public float[] Values { get; }

    /// <summary>Wraps CSR arrays (not copied); throws unless they describe a rows x cols matrix.</summary>
    public SparseRows(int rows, int cols, int[] rowStart, int[] columns, float[] values)
    {
        ArgumentNullException.ThrowIfNull(rowStart);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(values);
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(cols), "sizes must not be negative");
        if (rowStart.Length != rows + 1 || rowStart[0] != 0 || rowStart[rows] != columns.Length || values.Length != columns.Length)
            throw new ArgumentException($"CSR arrays do not match: {rowStart.Length} row starts for {rows} rows, {columns.Length} columns, {values.Length} values");
        for (int r = 0; r < rows; r++)
        {
            if (rowStart[r + 1] < rowStart[r]) throw new ArgumentException($"row starts must not decrease (row {r})");
            for (int z = rowStart[r]; z < rowStart[r + 1]; z++)
                if ((uint)columns[z] >= (uint)cols || (z > rowStart[r] && columns[z] <= columns[z - 1]))
                    throw new ArgumentException($"row {r}: columns must be ascending and within [0, {cols})");
        }
        Rows = rows;
        Cols = cols;
        RowStart = rowStart;
        Columns = columns;
        Values = values;
    }

    /// <summary>Stored nonzeros.</summary>
    public int NonZeros => Columns.Length;

    /// <summary>Nonzeros over all entries (1 for an empty matrix).</summary>
    public double Density => (long)Rows * Cols == 0 ? 1 : (double)NonZeros / ((long)Rows * Cols);

    /// <summary>Nonzeros of row <paramref name="r"/>.</summary>
    public int RowLength(int r) => RowStart[r + 1] - RowStart[r];

    /// <summary>
    /// The nonzeros of a dense matrix: element (r, c) is a[r * ld + c], or a[c * ld + r] when
    /// <paramref name="transposed"/> (memory holds S's transpose, as a Gemm's B [K, N] without transB does).
    /// Values are multiplied by <paramref name="scale"/>. Zeros (and negative zeros) are dropped; NaN is kept.
    /// </summary>
    public static SparseRows FromDense(ReadOnlySpan<float> a, int rows, int cols, int ld, bool transposed = false, float scale = 1)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(rows < 0 ? nameof(rows) : nameof(cols), "sizes must not be negative");
        int inner = transposed ? rows : cols, outer = transposed ? cols : rows;
        if (ld < inner) throw new ArgumentException($"leading dimension {ld} is less than the stored rows' width {inner}", nameof(ld));
        if (outer > 0 && inner > 0 && a.Length < (long)(outer - 1) * ld + inner)
            throw new ArgumentException($"a {rows}x{cols} matrix with leading dimension {ld} needs {(long)(outer - 1) * ld + inner} values, got {a.Length}", nameof(a));
        var start = new int[rows + 1];
        long nnz = 0;
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
                if (a[transposed ? c * ld + r : r * ld + c] != 0f) nnz++;
            if (nnz > int.MaxValue) throw new ArgumentException("more than 2^31 nonzeros");
            start[r + 1] = (int)nnz;
        }
        var columns = new int[nnz];
        var values = new float[nnz];
        int z = 0;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                float v = a[transposed ? c * ld + r : r * ld + c];
                if (v == 0f) continue;
                columns[z] = c;
                values[z++] = v * scale;
            }
        return new SparseRows(rows, cols, start, columns, values);
    }

    /// <summary>Nonzero count of a dense span (zeros and negative zeros do not count, NaN does).</summary>
    public static long CountNonZeros(ReadOnlySpan<float> a)
    {
        long n = 0;
        foreach (var v in a) if (v != 0f) n++;
        return n;
    }

    /// <summary>The dense matrix [Rows, Cols] (tests and references).</summary>
    public float[] ToDense()
    {
        var d = new float[(long)Rows * Cols];
        for (int r = 0; r < Rows; r++)
            for (int z = RowStart[r]; z < RowStart[r + 1]; z++) d[(long)r * Cols + Columns[z]] = Values[z];
        return d;
    }
}
