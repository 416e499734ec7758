namespace Prunus.Kernels;

/// <summary>
/// The structure found in a sparse matrix's nonzeros (not declared by whoever pruned it): N:M along rows, aligned
/// blocks of rows sharing their columns (R x 1) and aligned runs of columns (1 x C).
/// </summary>
/// <param name="N">Most nonzeros in any aligned group of <paramref name="M"/> columns of a row; 0 when no N:M holds.</param>
/// <param name="M">The N:M group size (4 or 8), 0 when none.</param>
/// <param name="BlockRows">Largest R in {16, 8, 4, 2} such that every aligned group of R rows has one column set; 1 if none.</param>
/// <param name="BlockCols">Largest C in {16, 8, 4, 2} such that nonzeros come in whole aligned runs of C columns; 1 if none.</param>
/// <param name="Fill4">Entries a 4-row-block layout stores (the union of each aligned group of 4 rows' columns, times 4) over the nonzeros.</param>
public readonly record struct SparsePattern(int N, int M, int BlockRows, int BlockCols, double Fill4)
{
    /// <summary>Whether the matrix is N:M sparse.</summary>
    public bool IsNOfM => M > 0;

    /// <summary>A short name: "2:4", "block-4x1", "block-1x4", "block-4x4" or "unstructured".</summary>
    public override string ToString() =>
        IsNOfM ? $"{N}:{M}" : BlockRows > 1 || BlockCols > 1 ? $"block-{BlockRows}x{BlockCols}" : "unstructured";

    /// <summary>Finds the structure of <paramref name="s"/>.</summary>
    public static SparsePattern Analyze(SparseRows s)
    {
        var (n, m) = FindNOfM(s);
        int br = 1;
        foreach (int r in new[] { 16, 8, 4, 2 })
            if (r <= s.Rows && RowBlocksExact(s, r)) { br = r; break; }
        int bc = 1;
        foreach (int c in new[] { 16, 8, 4, 2 })
            if (c <= s.Cols && ColumnRunsExact(s, c)) { bc = c; break; }
        return new SparsePattern(n, m, br, bc, RowBlockFill(s, 4));
    }

    /// <summary>
    /// N:M with M in {4, 8} and N at most M/2, where the groups are also mostly full (at least 3/4 of N on average),
    /// so that a very sparse unstructured matrix, which satisfies any N:M by chance, is not called N:M.
    /// </summary>
    private static (int N, int M) FindNOfM(SparseRows s)
    {
        if (s.NonZeros == 0) return (0, 0);
        foreach (int m in new[] { 4, 8 })
        {
            if (s.Cols < m) continue;
            int most = 0;
            for (int r = 0; r < s.Rows && most <= m / 2; r++)
            {
                int group = -1, count = 0;
                for (int z = s.RowStart[r]; z < s.RowStart[r + 1]; z++)
                {
                    int g = s.Columns[z] / m;
                    count = g == group ? count + 1 : 1;
                    group = g;
                    most = Math.Max(most, count);
                }
            }
            if (most == 0 || most > m / 2) continue;
            double groups = (double)s.Rows * ((s.Cols + m - 1) / m);
            if (s.NonZeros >= 0.75 * most * groups) return (most, m);
        }
        return (0, 0);
    }

    /// <summary>Every aligned group of <paramref name="r"/> rows (the last may be shorter) has one column set.</summary>
    private static bool RowBlocksExact(SparseRows s, int r)
    {
        for (int r0 = 0; r0 < s.Rows; r0 += r)
        {
            int len = s.RowLength(r0);
            for (int q = r0 + 1; q < Math.Min(s.Rows, r0 + r); q++)
            {
                if (s.RowLength(q) != len) return false;
                if (!s.Columns.AsSpan(s.RowStart[q], len).SequenceEqual(s.Columns.AsSpan(s.RowStart[r0], len))) return false;
            }
        }
        return s.NonZeros > 0;
    }

    /// <summary>Nonzeros come in whole aligned runs of <paramref name="c"/> columns (cut short only at the last column).</summary>
    private static bool ColumnRunsExact(SparseRows s, int c)
    {
        for (int r = 0; r < s.Rows; r++)
        {
            int z = s.RowStart[r], end = s.RowStart[r + 1];
            while (z < end)
            {
                int first = s.Columns[z];
                if (first % c != 0) return false;
                int run = Math.Min(c, s.Cols - first);
                if (z + run > end || s.Columns[z + run - 1] != first + run - 1) return false;
                z += run;
            }
        }
        return s.NonZeros > 0;
    }

    /// <summary>Entries stored when aligned groups of <paramref name="r"/> rows keep the union of their columns, over the nonzeros.</summary>
    public static double RowBlockFill(SparseRows s, int r)
    {
        if (s.NonZeros == 0) return 1;
        long stored = 0;
        var marks = new int[s.Cols];
        int stamp = 0;
        for (int r0 = 0; r0 < s.Rows; r0 += r)
        {
            stamp++;
            int union = 0;
            for (int q = r0; q < Math.Min(s.Rows, r0 + r); q++)
                for (int z = s.RowStart[q]; z < s.RowStart[q + 1]; z++)
                    if (marks[s.Columns[z]] != stamp) { marks[s.Columns[z]] = stamp; union++; }
            stored += (long)union * r;
        }
        return (double)stored / s.NonZeros;
    }
}
