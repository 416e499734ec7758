using System.Numerics;

namespace Prunus.Kernels;

/// <summary>
/// Searches along one axis of a row-major tensor viewed as [outer, n, inner]: the position of the extreme
/// (ArgMax/ArgMin) and the k largest or smallest elements (TopK). Any numeric element type.
/// </summary>
public static class AxisSearch
{
    /// <summary>
    /// y[o, i] = the axis position of the largest (or smallest) x[o, :, i]; on ties the first position, or the last
    /// when <paramref name="last"/>. A NaN counts as the extreme, so that its position is reported.
    /// </summary>
    public static void ArgExtreme<T>(ReadOnlySpan<T> x, int outer, int n, int inner, bool max, bool last, Span<long> y)
        where T : INumber<T>
    {
        if (n == 0) return;
        for (int o = 0; o < outer; o++)
        {
            var slab = x.Slice(o * n * inner, n * inner);
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                T bv = slab[i];
                for (int j = 1; j < n && !T.IsNaN(bv); j++)
                {
                    T v = slab[j * inner + i];
                    bool better = T.IsNaN(v) || (max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv));
                    if (better) { best = j; bv = v; }
                }
                y[o * inner + i] = best;
            }
        }
    }

    /// <summary>
    /// The k largest (or smallest) elements of each x[o, :, i], in order (largest first, or smallest first), ties in
    /// order of position: values[o, r, i] and their axis positions indices[o, r, i]. NaN orders above every number.
    /// <paramref name="keys"/> and <paramref name="heap"/> are scratch of n and k elements. A heap of the k best seen so
    /// far (its root the worst of them) is kept while scanning, then emptied worst first: O(n log k), no allocation.
    /// </summary>
    public static void TopK<T>(ReadOnlySpan<T> x, int outer, int n, int inner, int k, bool largest,
        Span<T> values, Span<long> indices, T[] keys, int[] heap) where T : INumber<T>
    {
        if (k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} exceeds the axis length {n}");
        if (keys.Length < n || heap.Length < k) throw new ArgumentException($"scratch must hold {n} keys and {k} heap entries");
        if (k == 0) return;
        for (int o = 0; o < outer; o++)
        {
            var slab = x.Slice(o * n * inner, n * inner);
            for (int i = 0; i < inner; i++)
            {
                for (int j = 0; j < n; j++) keys[j] = slab[j * inner + i];
                int count = 0;
                for (int j = 0; j < n; j++)
                {
                    if (count < k)
                    {
                        // Sift the new entry up while it is worse than its parent.
                        int c = count++;
                        while (c > 0 && Better(keys, heap[(c - 1) / 2], j, largest)) { heap[c] = heap[(c - 1) / 2]; c = (c - 1) / 2; }
                        heap[c] = j;
                    }
                    else if (Better(keys, j, heap[0], largest)) SiftDown(keys, heap, count, j, largest);
                }
                // Pop the worst into the last free rank until the heap is empty.
                for (int r = k - 1; r >= 0; r--)
                {
                    int worst = heap[0];
                    int at = (o * k + r) * inner + i;
                    values[at] = keys[worst];
                    indices[at] = worst;
                    if (r > 0) SiftDown(keys, heap, r, heap[r], largest);
                }
            }
        }
    }

    // Puts entry j at the root of heap[0..count) and sifts it down below every worse child.
    private static void SiftDown<T>(T[] keys, int[] heap, int count, int j, bool largest) where T : INumber<T>
    {
        int c = 0;
        while (true)
        {
            int child = 2 * c + 1;
            if (child >= count) break;
            if (child + 1 < count && Better(keys, heap[child], heap[child + 1], largest)) child++;
            if (!Better(keys, j, heap[child], largest)) break;
            heap[c] = heap[child];
            c = child;
        }
        heap[c] = j;
    }

    // Whether position a ranks before position b: a larger (or smaller) key, or an equal key at a lower position.
    private static bool Better<T>(T[] keys, int a, int b, bool largest) where T : INumber<T>
    {
        int c = Order(keys[a], keys[b]);
        if (c != 0) return largest ? c > 0 : c < 0;
        return a < b;
    }

    /// <summary>Plain reference of <see cref="TopK{T}"/>: k passes of a linear scan for the next best unused element.</summary>
    public static void TopKReference<T>(ReadOnlySpan<T> x, int outer, int n, int inner, int k, bool largest, Span<T> values, Span<long> indices)
        where T : INumber<T>
    {
        var used = new bool[n];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                Array.Clear(used);
                for (int r = 0; r < k; r++)
                {
                    int best = -1;
                    for (int j = 0; j < n; j++)
                    {
                        if (used[j]) continue;
                        if (best < 0 || Before(x[(o * n + j) * inner + i], x[(o * n + best) * inner + i], largest)) best = j;
                    }
                    used[best] = true;
                    values[(o * k + r) * inner + i] = x[(o * n + best) * inner + i];
                    indices[(o * k + r) * inner + i] = best;
                }
            }
    }

    // Whether a strictly precedes b in the output order (NaN above every number).
    private static bool Before<T>(T a, T b, bool largest) where T : INumber<T>
    {
        int c = Order(a, b);
        return largest ? c > 0 : c < 0;
    }

    // A total order with NaN above every number (IComparable puts NaN below).
    private static int Order<T>(T a, T b) where T : INumber<T>
    {
        bool na = T.IsNaN(a), nb = T.IsNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return a < b ? -1 : a > b ? 1 : 0;
    }

    /// <summary>
    /// y[o, j, i] = Σ x[o, j', i] over j' &lt;= j (or j' &lt; j when <paramref name="exclusive"/>; j' &gt;= j or j' &gt; j
    /// when <paramref name="reverse"/>), summed in T. With <paramref name="accumulate"/> the sums are added into y.
    /// </summary>
    public static void CumulativeSum<T>(ReadOnlySpan<T> x, int outer, int n, int inner, bool exclusive, bool reverse, bool accumulate, Span<T> y)
        where T : INumber<T>
    {
        for (int o = 0; o < outer; o++)
        {
            int baseAt = o * n * inner;
            for (int i = 0; i < inner; i++)
            {
                T sum = T.Zero;
                for (int step = 0; step < n; step++)
                {
                    int j = reverse ? n - 1 - step : step;
                    int at = baseAt + j * inner + i;
                    T v = x[at];
                    if (!exclusive) sum += v;
                    y[at] = accumulate ? y[at] + sum : sum;
                    if (exclusive) sum += v;
                }
            }
        }
    }
}
