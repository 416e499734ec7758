using System.Globalization;

namespace Prunus.Kernels;

/// <summary>Names of the sparse kernels as profiles show them (Kernel.Algorithm).</summary>
internal static class SparseNames
{
    /// <summary>
    /// "direct(dense, ...)" for a weight without enough zeros to count as sparse (stride-1 convolutions run it on the
    /// same kernels), "nm-2:4(...)" for N:M weights, "block-16x1(...)" for the four-row block layout (with the largest exact row block
    /// found, or its fill when the blocks are not exact), "sparse-csr(...)" otherwise; the parentheses give the density
    /// and the variant (gemv, shift or im2col lowering).
    /// </summary>
    public static string Describe(SparseLayout layout, SparsePattern pattern, double density, string? variant)
    {
        if (density > 1 - SparseSelection.MinZeros)
            return "direct(dense" + (layout == SparseLayout.Block4 ? ", 4-row blocks" : "") + (variant is null ? "" : ", " + variant) + ")";
        string kind = pattern.IsNOfM ? $"nm-{pattern.N}:{pattern.M}"
            : layout == SparseLayout.Block4 ? $"block-{Math.Max(pattern.BlockRows, 4)}x{pattern.BlockCols}"
            : "sparse-csr";
        string detail = string.Create(CultureInfo.InvariantCulture, $"density {density:F2}");
        if (layout == SparseLayout.Block4 && pattern.BlockRows < 4)
            detail += string.Create(CultureInfo.InvariantCulture, $", fill {pattern.Fill4:F2}");
        if (pattern.IsNOfM && layout == SparseLayout.Block4) detail += ", 4-row blocks";
        if (variant is not null) detail += ", " + variant;
        return $"{kind}({detail})";
    }
}
