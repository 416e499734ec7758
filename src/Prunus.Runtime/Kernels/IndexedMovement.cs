namespace Prunus.Kernels;

/// <summary>
/// Moves addressed by an index list (Gather and its gradient) on a tensor viewed as [outer, n, inner]: whole blocks of
/// <c>inner</c> elements move at once. Like <see cref="DataMovement"/>, any element type by its width.
/// </summary>
public static class IndexedMovement
{
    /// <summary>dst[o, j, :] = src[o, index[j], :] for o &lt; outer and j &lt; index.Length; indices must be in [0, n).</summary>
    public static void GatherBlocks<T>(ReadOnlySpan<T> src, int outer, int n, int inner, ReadOnlySpan<int> index, Span<T> dst)
    {
        int m = index.Length;
        if (inner == 0) return;
        for (int o = 0; o < outer; o++)
        {
            var slab = src.Slice(o * n * inner, n * inner);
            var to = dst.Slice(o * m * inner, m * inner);
            if (inner == 1)
                for (int j = 0; j < m; j++) to[j] = slab[index[j]];
            else
                for (int j = 0; j < m; j++) slab.Slice(index[j] * inner, inner).CopyTo(to.Slice(j * inner, inner));
        }
    }

    /// <summary>dst[o, index[j], :] += src[o, j, :]: the gradient of <see cref="GatherBlocks{T}"/>; repeated indices add up.</summary>
    public static void ScatterAddBlocks(ReadOnlySpan<float> src, int outer, int n, int inner, ReadOnlySpan<int> index, Span<float> dst)
    {
        int m = index.Length;
        if (inner == 0) return;
        for (int o = 0; o < outer; o++)
        {
            var slab = dst.Slice(o * n * inner, n * inner);
            var from = src.Slice(o * m * inner, m * inner);
            if (inner == 1)
                for (int j = 0; j < m; j++) slab[index[j]] += from[j];
            else
                for (int j = 0; j < m; j++) Elementwise.AddInPlace(slab.Slice(index[j] * inner, inner), from.Slice(j * inner, inner));
        }
    }
}
