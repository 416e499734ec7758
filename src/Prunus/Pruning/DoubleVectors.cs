using System.Numerics;
using System.Runtime.InteropServices;

namespace Prunus.Pruning;

/// <summary>Vectorized double-precision loops of the statistics and reconstruction code, each with its scalar tail.</summary>
internal static class DoubleVectors
{
    /// <summary>y += a * x (x at least as long as y).</summary>
    public static void Axpy(Span<double> y, double a, ReadOnlySpan<double> x)
    {
        int n = y.Length, k = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var va = new Vector<double>(a);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y);
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x[..n]);
            for (int v = 0; v < vy.Length; v++) vy[v] += va * vx[v];
            k = vy.Length * Vector<double>.Count;
        }
        for (; k < n; k++) y[k] += a * x[k];
    }

    /// <summary>Sum over k of x[k] * y[k] (y at least as long as x).</summary>
    public static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, k = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var acc = Vector<double>.Zero;
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y[..n]);
            for (int v = 0; v < vx.Length; v++) acc += vx[v] * vy[v];
            s = Vector.Sum(acc);
            k = vx.Length * Vector<double>.Count;
        }
        for (; k < n; k++) s += x[k] * y[k];
        return s;
    }
}
