using System.Numerics;

namespace Prunus.Kernels;

/// <summary>A comparison of two numbers of any type, for <see cref="BroadcastLogic.Compare{T, TCmp}"/>.</summary>
public interface IComparison
{
    /// <summary>The comparison of <paramref name="x"/> with <paramref name="y"/>.</summary>
    static abstract bool Invoke<T>(T x, T y) where T : INumber<T>;
}

/// <summary>The comparisons of the ONNX comparison ops, with IEEE rules for floats (anything compared with NaN is false).</summary>
public static class Comparisons
{
    /// <summary>x == y.</summary>
    public readonly struct Equal : IComparison { public static bool Invoke<T>(T x, T y) where T : INumber<T> => x == y; }
    /// <summary>x &lt; y.</summary>
    public readonly struct Less : IComparison { public static bool Invoke<T>(T x, T y) where T : INumber<T> => x < y; }
    /// <summary>x &gt; y.</summary>
    public readonly struct Greater : IComparison { public static bool Invoke<T>(T x, T y) where T : INumber<T> => x > y; }
    /// <summary>x &lt;= y.</summary>
    public readonly struct LessOrEqual : IComparison { public static bool Invoke<T>(T x, T y) where T : INumber<T> => x <= y; }
    /// <summary>x &gt;= y.</summary>
    public readonly struct GreaterOrEqual : IComparison { public static bool Invoke<T>(T x, T y) where T : INumber<T> => x >= y; }
}

/// <summary>Boolean ops for <see cref="Broadcast.MapScalar{T, TOp}"/>.</summary>
public static class BooleanLogic
{
    /// <summary>x and y.</summary>
    public readonly struct And : IScalarBinaryOp<bool> { public static bool Invoke(bool x, bool y) => x & y; }
    /// <summary>x or y.</summary>
    public readonly struct Or : IScalarBinaryOp<bool> { public static bool Invoke(bool x, bool y) => x | y; }
    /// <summary>x xor y.</summary>
    public readonly struct Xor : IScalarBinaryOp<bool> { public static bool Invoke(bool x, bool y) => x ^ y; }
}

/// <summary>
/// Broadcasting kernels whose output type differs from an input's: comparisons (numbers in, bool out) and select
/// (bool condition picks from two operands of any type). Scalar loops over the merged runs of a <see cref="BroadcastLayout"/>:
/// these serve masks and shape computations, where the data is small or the work is memory bound.
/// </summary>
public static class BroadcastLogic
{
    /// <summary>dst[i] = TCmp(a[ia], b[ib]); the layout's operands are (a, b).</summary>
    public static void Compare<T, TCmp>(BroadcastLayout layout, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> dst)
        where T : unmanaged, INumber<T> where TCmp : struct, IComparison
    {
        Check(layout, 2, dst.Length);
        CheckOperand(layout, 0, a.Length);
        CheckOperand(layout, 1, b.Length);
        if (layout.Length == 0) return;
        int sa = layout.InnerDense(0) ? 1 : 0, sb = layout.InnerDense(1) ? 1 : 0;
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Broadcast.Cursor(layout, idx, 0, layout.Length);
        while (c.MoveNext())
        {
            var run = dst.Slice(c.Position, c.Length);
            for (int i = 0; i < run.Length; i++) run[i] = TCmp.Invoke(a[c.Offset0 + i * sa], b[c.Offset1 + i * sb]);
        }
    }

    /// <summary>Scalar reference of <see cref="Compare{T, TCmp}"/>: each element's operands from the unmerged shapes.</summary>
    public static void CompareReference<T, TCmp>(BroadcastLayout layout, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> dst)
        where T : unmanaged, INumber<T> where TCmp : struct, IComparison
    {
        for (int i = 0; i < layout.Length; i++) dst[i] = TCmp.Invoke(a[layout.OperandIndex(0, i)], b[layout.OperandIndex(1, i)]);
    }

    /// <summary>dst[i] = cond[ic] ? x[ix] : y[iy]; the layout's operands are (cond, x, y). T is any element (or its bits).</summary>
    public static void Select<T>(BroadcastLayout layout, ReadOnlySpan<bool> cond, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst)
        where T : unmanaged
    {
        Check(layout, 3, dst.Length);
        CheckOperand(layout, 0, cond.Length);
        CheckOperand(layout, 1, x.Length);
        CheckOperand(layout, 2, y.Length);
        if (layout.Length == 0) return;
        int sc = layout.InnerDense(0) ? 1 : 0, sx = layout.InnerDense(1) ? 1 : 0, sy = layout.InnerDense(2) ? 1 : 0;
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Broadcast.Cursor(layout, idx, 0, layout.Length);
        while (c.MoveNext())
        {
            var run = dst.Slice(c.Position, c.Length);
            for (int i = 0; i < run.Length; i++)
                run[i] = cond[c.Offset0 + i * sc] ? x[c.Offset1 + i * sx] : y[c.Offset2 + i * sy];
        }
    }

    /// <summary>Scalar reference of <see cref="Select{T}"/>.</summary>
    public static void SelectReference<T>(BroadcastLayout layout, ReadOnlySpan<bool> cond, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> dst)
        where T : unmanaged
    {
        for (int i = 0; i < layout.Length; i++)
            dst[i] = cond[layout.OperandIndex(0, i)] ? x[layout.OperandIndex(1, i)] : y[layout.OperandIndex(2, i)];
    }

    private static void Check(BroadcastLayout layout, int operands, int outputLength)
    {
        if (layout.Operands != operands) throw new ArgumentException($"the layout has {layout.Operands} operands; this kernel takes {operands}");
        if (outputLength < layout.Length) throw new ArgumentException($"output has {outputLength} elements; the layout needs {layout.Length}");
    }

    private static void CheckOperand(BroadcastLayout layout, int k, int length)
    {
        int need = Prunus.Tensors.ShapeMath.Size(layout.OperandShapes[k]);
        if (length < need) throw new ArgumentException($"operand {k} has {length} elements; its shape needs {need}");
    }
}
