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
    /// <paramref name="keys"/> and <paramref name="order"/> are scratch of n elements each.
    /// </summary>
    public static void TopK<T>(ReadOnlySpan<T> x, int outer, int n, int inner, int k, bool largest,
        Span<T> values, Span<long> indices, T[] keys, int[] order) where T : INumber<T>
    {
        if (k > n) throw new ArgumentOutOfRangeException(nameof(k), $"k = {k} exceeds the axis length {n}");
        if (keys.Length < n || order.Length < n) throw new ArgumentException($"scratch must hold {n} elements");
        var orderSpan = order.AsSpan(0, n);
        for (int o = 0; o < outer; o++)
        {
            var slab = x.Slice(o * n * inner, n * inner);
            for (int i = 0; i < inner; i++)
            {
                for (int j = 0; j < n; j++) { keys[j] = slab[j * inner + i]; order[j] = j; }
                if (largest) orderSpan.Sort(new Descending<T>(keys));
                else orderSpan.Sort(new Ascending<T>(keys));
                for (int r = 0; r < k; r++)
                {
                    int at = (o * k + r) * inner + i;
                    values[at] = keys[order[r]];
                    indices[at] = order[r];
                }
            }
        }
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

    private readonly struct Descending<T>(T[] keys) : IComparer<int> where T : INumber<T>
    {
        public int Compare(int a, int b)
        {
            int c = Order(keys[b], keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        }
    }

    private readonly struct Ascending<T>(T[] keys) : IComparer<int> where T : INumber<T>
    {
        public int Compare(int a, int b)
        {
            int c = Order(keys[a], keys[b]);
            return c != 0 ? c : a.CompareTo(b);
        }
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
