using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// Softmax and log-softmax, numerically stable (the maximum is subtracted before exp). Two layouts: a contiguous row
/// (the axis is innermost), and columns of an [n, inner] block (the axis has stride inner), vectorized across inner.
/// <c>log</c> selects log-softmax. Each fast form has a scalar reference.
/// </summary>
public static class Softmax
{
    /// <summary>y = softmax(x) (or log-softmax) over one contiguous row.</summary>
    public static void Row(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        if (x.Length == 0) return;
        if (y.Length < x.Length) throw new ArgumentException("destination is shorter than source");
        float max = RowReduce.Reduce<RowReduce.Max>(x);
        float sum = ExpSum(x, max, y, store: !log);
        // (x − max) − log Σ rather than x − (max + log Σ): x − max is exact near the maximum, where precision matters.
        if (log) LogShiftRow(x, max, MathF.Log(sum), y);
        else ScaleRow(y.Slice(0, x.Length), 1f / sum);
    }

    /// <summary>Scalar reference of <see cref="Row"/> (sum in double).</summary>
    public static void RowReference(ReadOnlySpan<float> x, Span<float> y, bool log)
    {
        if (x.Length == 0) return;
        float max = float.NegativeInfinity;
        foreach (var v in x) max = MathF.Max(max, v);
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += MathF.Exp(x[i] - max);
        for (int i = 0; i < x.Length; i++)
            y[i] = log ? (float)(x[i] - max - Math.Log(sum)) : (float)(MathF.Exp(x[i] - max) / sum);
    }

    /// <summary>Softmax over the n rows of each column of x viewed as [n, inner]; y has the same layout.</summary>
    public static void Columns(ReadOnlySpan<float> x, Span<float> y, int n, int inner, bool log)
    {
        if (n == 0 || inner == 0) return;
        if (x.Length < n * inner || y.Length < n * inner) throw new ArgumentException($"spans are shorter than [{n},{inner}]");
        int c = ColumnsPart<Vector512<float>, F512>(x, y, n, inner, log, 0);
        c = ColumnsPart<Vector256<float>, F256>(x, y, n, inner, log, c);
        c = ColumnsPart<Vector128<float>, F128>(x, y, n, inner, log, c);
        for (; c < inner; c++) ColumnScalar(x, y, n, inner, log, c);
    }

    /// <summary>Scalar reference of <see cref="Columns"/>.</summary>
    public static void ColumnsReference(ReadOnlySpan<float> x, Span<float> y, int n, int inner, bool log)
    {
        if (n == 0) return;
        for (int c = 0; c < inner; c++) ColumnScalar(x, y, n, inner, log, c);
    }

    /// <summary>dx += dL/dx given y = softmax(x) over a row: y·(dy − Σ dy·y), or for log-softmax dy − exp(y)·Σ dy.</summary>
    public static void RowBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log)
    {
        if (y.Length == 0) return;
        float d = log ? RowReduce.Reduce<RowReduce.Sum>(dy.Slice(0, y.Length)) : RowReduce.Dot(dy, y);
        int i = RowBackwardPart<Vector512<float>, F512>(y, dy, dx, d, log, 0);
        i = RowBackwardPart<Vector256<float>, F256>(y, dy, dx, d, log, i);
        i = RowBackwardPart<Vector128<float>, F128>(y, dy, dx, d, log, i);
        for (; i < y.Length; i++) dx[i] += log ? dy[i] - MathF.Exp(y[i]) * d : y[i] * (dy[i] - d);
    }

    /// <summary>Scalar reference of <see cref="RowBackward"/>.</summary>
    public static void RowBackwardReference(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, bool log)
    {
        double d = 0;
        for (int i = 0; i < y.Length; i++) d += log ? dy[i] : (double)dy[i] * y[i];
        for (int i = 0; i < y.Length; i++) dx[i] += log ? (float)(dy[i] - Math.Exp(y[i]) * d) : (float)(y[i] * (dy[i] - d));
    }

    /// <summary>The gradient of <see cref="Columns"/>: as <see cref="RowBackward"/> down each column of [n, inner].</summary>
    public static void ColumnsBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int n, int inner, bool log)
    {
        if (n == 0 || inner == 0) return;
        int c = ColumnsBackwardPart<Vector512<float>, F512>(y, dy, dx, n, inner, log, 0);
        c = ColumnsBackwardPart<Vector256<float>, F256>(y, dy, dx, n, inner, log, c);
        c = ColumnsBackwardPart<Vector128<float>, F128>(y, dy, dx, n, inner, log, c);
        for (; c < inner; c++) ColumnBackwardScalar(y, dy, dx, n, inner, log, c);
    }

    /// <summary>Scalar reference of <see cref="ColumnsBackward"/>.</summary>
    public static void ColumnsBackwardReference(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int n, int inner, bool log)
    {
        for (int c = 0; c < inner; c++) ColumnBackwardScalar(y, dy, dx, n, inner, log, c);
    }

    // y = exp(x - shift) (when store), returns Σ exp(x - shift).
    private static float ExpSum(ReadOnlySpan<float> x, float shift, Span<float> y, bool store)
    {
        float sum = 0;
        int i = ExpSumPart<Vector512<float>, F512>(x, shift, y, store, 0, ref sum);
        i = ExpSumPart<Vector256<float>, F256>(x, shift, y, store, i, ref sum);
        i = ExpSumPart<Vector128<float>, F128>(x, shift, y, store, i, ref sum);
        for (; i < x.Length; i++)
        {
            float e = MathF.Exp(x[i] - shift);
            if (store) y[i] = e;
            sum += e;
        }
        return sum;
    }

    private static int ExpSumPart<TV, TW>(ReadOnlySpan<float> x, float shift, Span<float> y, bool store, int i, ref float sum)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        int n = x.Length;
        if (!TW.IsAccelerated || n - i < TW.Count) return i;
        var s = TW.Create(shift);
        var acc = TW.Create(0);
        for (; i <= n - TW.Count; i += TW.Count)
        {
            var e = TW.Exp(TW.Subtract(TW.Load(x, i), s));
            if (store) TW.Store(e, y, i);
            acc = TW.Add(acc, e);
        }
        sum += TW.Sum(acc);
        return i;
    }

    private static void LogShiftRow(ReadOnlySpan<float> x, float max, float logSum, Span<float> y)
    {
        int i = LogShiftPart<Vector512<float>, F512>(x, max, logSum, y, 0);
        i = LogShiftPart<Vector256<float>, F256>(x, max, logSum, y, i);
        i = LogShiftPart<Vector128<float>, F128>(x, max, logSum, y, i);
        for (; i < x.Length; i++) y[i] = x[i] - max - logSum;
    }

    private static int LogShiftPart<TV, TW>(ReadOnlySpan<float> x, float max, float logSum, Span<float> y, int i)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        if (!TW.IsAccelerated) return i;
        var m = TW.Create(max);
        var l = TW.Create(logSum);
        for (; i <= x.Length - TW.Count; i += TW.Count) TW.Store(TW.Subtract(TW.Subtract(TW.Load(x, i), m), l), y, i);
        return i;
    }

    private static void ScaleRow(Span<float> y, float scale) =>
        VectorLoops.BinaryScalar<MultiplyOp>(y, scale, y);

    private static int ColumnsPart<TV, TW>(ReadOnlySpan<float> x, Span<float> y, int n, int inner, bool log, int c)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        if (!TW.IsAccelerated) return c;
        for (; c <= inner - TW.Count; c += TW.Count)
        {
            var m = TW.Load(x, c);
            for (int k = 1; k < n; k++) m = TW.Max(m, TW.Load(x, k * inner + c));
            var s = TW.Create(0);
            for (int k = 0, p = c; k < n; k++, p += inner)
            {
                var e = TW.Exp(TW.Subtract(TW.Load(x, p), m));
                if (!log) TW.Store(e, y, p);
                s = TW.Add(s, e);
            }
            if (log)
            {
                var l = TW.Log(s);
                for (int k = 0, p = c; k < n; k++, p += inner) TW.Store(TW.Subtract(TW.Subtract(TW.Load(x, p), m), l), y, p);
            }
            else
            {
                var r = TW.Divide(TW.Create(1), s);
                for (int k = 0, p = c; k < n; k++, p += inner) TW.Store(TW.Multiply(TW.Load(y, p), r), y, p);
            }
        }
        return c;
    }

    private static void ColumnScalar(ReadOnlySpan<float> x, Span<float> y, int n, int inner, bool log, int c)
    {
        float m = float.NegativeInfinity;
        for (int k = 0, p = c; k < n; k++, p += inner) m = MathF.Max(m, x[p]);
        float s = 0;
        for (int k = 0, p = c; k < n; k++, p += inner)
        {
            float e = MathF.Exp(x[p] - m);
            if (!log) y[p] = e;
            s += e;
        }
        if (log)
        {
            float l = MathF.Log(s);
            for (int k = 0, p = c; k < n; k++, p += inner) y[p] = x[p] - m - l;
        }
        else
        {
            float r = 1f / s;
            for (int k = 0, p = c; k < n; k++, p += inner) y[p] *= r;
        }
    }

    private static int RowBackwardPart<TV, TW>(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float d, bool log, int i)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        int n = y.Length;
        if (!TW.IsAccelerated) return i;
        var dv = TW.Create(d);
        for (; i <= n - TW.Count; i += TW.Count)
        {
            var yv = TW.Load(y, i);
            var g = TW.Load(dy, i);
            var add = log ? TW.Subtract(g, TW.Multiply(TW.Exp(yv), dv)) : TW.Multiply(yv, TW.Subtract(g, dv));
            TW.Store(TW.Add(TW.Load(dx, i), add), dx, i);
        }
        return i;
    }

    private static int ColumnsBackwardPart<TV, TW>(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int n, int inner, bool log, int c)
        where TV : struct where TW : struct, IFloatVector<TV>
    {
        if (!TW.IsAccelerated) return c;
        for (; c <= inner - TW.Count; c += TW.Count)
        {
            var d = TW.Create(0);
            for (int k = 0, p = c; k < n; k++, p += inner)
                d = TW.Add(d, log ? TW.Load(dy, p) : TW.Multiply(TW.Load(dy, p), TW.Load(y, p)));
            for (int k = 0, p = c; k < n; k++, p += inner)
            {
                var yv = TW.Load(y, p);
                var g = TW.Load(dy, p);
                var add = log ? TW.Subtract(g, TW.Multiply(TW.Exp(yv), d)) : TW.Multiply(yv, TW.Subtract(g, d));
                TW.Store(TW.Add(TW.Load(dx, p), add), dx, p);
            }
        }
        return c;
    }

    private static void ColumnBackwardScalar(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, int n, int inner, bool log, int c)
    {
        float d = 0;
        for (int k = 0, p = c; k < n; k++, p += inner) d += log ? dy[p] : dy[p] * y[p];
        for (int k = 0, p = c; k < n; k++, p += inner) dx[p] += log ? dy[p] - MathF.Exp(y[p]) * d : y[p] * (dy[p] - d);
    }

    private struct MultiplyOp : IBinaryOp
    {
        public static float Invoke(float x, float y) => x * y;
        public static Vector128<float> Invoke(Vector128<float> x, Vector128<float> y) => x * y;
        public static Vector256<float> Invoke(Vector256<float> x, Vector256<float> y) => x * y;
        public static Vector512<float> Invoke(Vector512<float> x, Vector512<float> y) => x * y;
    }
}
