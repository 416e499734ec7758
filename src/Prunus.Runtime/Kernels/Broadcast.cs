using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>A (T, T) -> T function for the integer kernels (shape arithmetic in exported models), scalar only.</summary>
public interface IScalarBinaryOp<T>
{
    static abstract T Invoke(T x, T y);
}

/// <summary>
/// Broadcasting binary kernels and their gradients over a <see cref="BroadcastLayout"/>. Every call takes an output
/// range [start, start + count) so that a kernel can split a large tensor across threads; the walk visits runs of the
/// innermost merged loop, each handed to a <see cref="VectorLoops"/> run core with each operand read
/// <see cref="Dense"/> or as a <see cref="Splat"/>. So same shapes are one dense run, a scalar operand is a splat, and
/// a per-channel operand ([N,C,H,W] with [C,1,1]) is a splat per H*W run: all SIMD, none allocating.
/// </summary>
public static class Broadcast
{
    // ---- Forward: dst[i] = Op(a[ia], b[ib]) ----

    /// <summary>dst = Op(a, b) broadcast over the whole output; the layout's operands are (a, b).</summary>
    public static void Map<TOp>(BroadcastLayout layout, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
        where TOp : struct, IBinaryOp => Map<TOp>(layout, a, b, dst, 0, layout.Length);

    /// <summary>dst[i] = Op(a, b) for output elements i in [start, start + count).</summary>
    public static void Map<TOp>(BroadcastLayout layout, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst, int start, int count)
        where TOp : struct, IBinaryOp
    {
        Check(layout, 2, start, count, dst.Length);
        CheckOperand(layout, 0, a.Length);
        CheckOperand(layout, 1, b.Length);
        if (count == 0) return;
        ref float ra = ref MemoryMarshal.GetReference(a);
        ref float rb = ref MemoryMarshal.GetReference(b);
        ref float rd = ref MemoryMarshal.GetReference(dst);
        bool da = layout.InnerDense(0), db = layout.InnerDense(1);
        if (da && db) MapRuns<TOp, Dense, Dense>(layout, ref ra, ref rb, ref rd, start, count);
        else if (da) MapRuns<TOp, Dense, Splat>(layout, ref ra, ref rb, ref rd, start, count);
        else if (db) MapRuns<TOp, Splat, Dense>(layout, ref ra, ref rb, ref rd, start, count);
        else MapRuns<TOp, Splat, Splat>(layout, ref ra, ref rb, ref rd, start, count);
    }

    private static void MapRuns<TOp, TA, TB>(BroadcastLayout layout, ref float a, ref float b, ref float d, int start, int count)
        where TOp : struct, IBinaryOp where TA : struct, IOperandRead where TB : struct, IOperandRead
    {
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Cursor(layout, idx, start, count);
        while (c.MoveNext())
            VectorLoops.BinaryRun<StaticBinary<TOp>, TA, TB>(default, ref Unsafe.Add(ref a, c.Offset0), ref Unsafe.Add(ref b, c.Offset1),
                ref Unsafe.Add(ref d, c.Position), (nuint)c.Length);
    }

    /// <summary>Scalar reference of <see cref="Map{TOp}(BroadcastLayout, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>, from the unmerged shapes.</summary>
    public static void MapReference<TOp>(BroadcastLayout layout, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst) where TOp : struct, IBinaryOp
    {
        for (int i = 0; i < layout.Length; i++) dst[i] = TOp.Invoke(a[layout.OperandIndex(0, i)], b[layout.OperandIndex(1, i)]);
    }

    // ---- Gradients: target[it] += G(s1[i1], s2[i2], dy[i]), summed over the elements that broadcast onto it ----

    /// <summary>
    /// Adds G(s1, s2, dy) into <paramref name="target"/>, reduced onto the target's shape; the layout's operands are
    /// (target, s1, s2) and dy has the output's shape. Reduced targets accumulate in float per run.
    /// </summary>
    public static void Accumulate<TOp>(BroadcastLayout layout, ReadOnlySpan<float> s1, ReadOnlySpan<float> s2, ReadOnlySpan<float> dy, Span<float> target)
        where TOp : struct, ITernaryOp => Accumulate<TOp>(layout, s1, s2, dy, target, 0, layout.Length);

    /// <summary>
    /// <see cref="Accumulate{TOp}(BroadcastLayout, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// over output elements [start, start + count). Ranges may run in parallel only when the target is full
    /// (<see cref="BroadcastLayout.IsFull"/>), since otherwise they add into shared elements.
    /// </summary>
    public static void Accumulate<TOp>(BroadcastLayout layout, ReadOnlySpan<float> s1, ReadOnlySpan<float> s2, ReadOnlySpan<float> dy, Span<float> target, int start, int count)
        where TOp : struct, ITernaryOp
    {
        Check(layout, 3, start, count, dy.Length);
        CheckOperand(layout, 0, target.Length);
        CheckOperand(layout, 1, s1.Length);
        CheckOperand(layout, 2, s2.Length);
        if (count == 0) return;
        ref float r1 = ref MemoryMarshal.GetReference(s1);
        ref float r2 = ref MemoryMarshal.GetReference(s2);
        ref float rg = ref MemoryMarshal.GetReference(dy);
        ref float rt = ref MemoryMarshal.GetReference(target);
        bool d1 = layout.InnerDense(1), d2 = layout.InnerDense(2);
        if (layout.InnerDense(0))
        {
            if (d1 && d2) AccumulateRuns<TOp, Dense, Dense>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else if (d1) AccumulateRuns<TOp, Dense, Splat>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else if (d2) AccumulateRuns<TOp, Splat, Dense>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else AccumulateRuns<TOp, Splat, Splat>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
        }
        else
        {
            if (d1 && d2) SumRuns<TOp, Dense, Dense>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else if (d1) SumRuns<TOp, Dense, Splat>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else if (d2) SumRuns<TOp, Splat, Dense>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
            else SumRuns<TOp, Splat, Splat>(layout, ref r1, ref r2, ref rg, ref rt, start, count);
        }
    }

    private static void AccumulateRuns<TOp, T1, T2>(BroadcastLayout layout, ref float s1, ref float s2, ref float dy, ref float t, int start, int count)
        where TOp : struct, ITernaryOp where T1 : struct, IOperandRead where T2 : struct, IOperandRead
    {
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Cursor(layout, idx, start, count);
        while (c.MoveNext())
            VectorLoops.TernaryAccumulateRun<TOp, T1, T2>(ref Unsafe.Add(ref s1, c.Offset1), ref Unsafe.Add(ref s2, c.Offset2),
                ref Unsafe.Add(ref dy, c.Position), ref Unsafe.Add(ref t, c.Offset0), (nuint)c.Length);
    }

    private static void SumRuns<TOp, T1, T2>(BroadcastLayout layout, ref float s1, ref float s2, ref float dy, ref float t, int start, int count)
        where TOp : struct, ITernaryOp where T1 : struct, IOperandRead where T2 : struct, IOperandRead
    {
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Cursor(layout, idx, start, count);
        while (c.MoveNext())
            Unsafe.Add(ref t, c.Offset0) += VectorLoops.TernarySumRun<TOp, T1, T2>(ref Unsafe.Add(ref s1, c.Offset1), ref Unsafe.Add(ref s2, c.Offset2),
                ref Unsafe.Add(ref dy, c.Position), (nuint)c.Length);
    }

    /// <summary>Scalar reference of <see cref="Accumulate{TOp}(BroadcastLayout, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>, summing in double.</summary>
    public static void AccumulateReference<TOp>(BroadcastLayout layout, ReadOnlySpan<float> s1, ReadOnlySpan<float> s2, ReadOnlySpan<float> dy, Span<float> target)
        where TOp : struct, ITernaryOp
    {
        var sums = new double[target.Length];
        for (int i = 0; i < layout.Length; i++)
            sums[layout.OperandIndex(0, i)] += TOp.Invoke(s1[layout.OperandIndex(1, i)], s2[layout.OperandIndex(2, i)], dy[i]);
        for (int i = 0; i < sums.Length; i++) target[i] += (float)sums[i];
    }

    /// <summary>
    /// target += dy reduce-summed onto the target's shape (or -= when <paramref name="subtract"/>): the gradient of an
    /// operand that was broadcast. The layout's one operand is the target; dy has the output's shape.
    /// </summary>
    public static void ReduceAccumulate(BroadcastLayout layout, ReadOnlySpan<float> dy, Span<float> target, bool subtract = false) =>
        ReduceAccumulate(layout, dy, target, 0, layout.Length, subtract);

    /// <summary><see cref="ReduceAccumulate(BroadcastLayout, ReadOnlySpan{float}, Span{float}, bool)"/> over output elements [start, start + count).</summary>
    public static void ReduceAccumulate(BroadcastLayout layout, ReadOnlySpan<float> dy, Span<float> target, int start, int count, bool subtract = false)
    {
        Check(layout, 1, start, count, dy.Length);
        CheckOperand(layout, 0, target.Length);
        if (count == 0) return;
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Cursor(layout, idx, start, count);
        bool dense = layout.InnerDense(0);
        while (c.MoveNext())
        {
            var g = dy.Slice(c.Position, c.Length);
            if (dense)
            {
                var t = target.Slice(c.Offset0, c.Length);
                if (subtract) TensorPrimitives.Subtract(t, g, t);
                else TensorPrimitives.Add(t, g, t);
            }
            else
            {
                float s = TensorPrimitives.Sum(g);
                target[c.Offset0] += subtract ? -s : s;
            }
        }
    }

    /// <summary>Scalar reference of <see cref="ReduceAccumulate(BroadcastLayout, ReadOnlySpan{float}, Span{float}, bool)"/>, summing in double.</summary>
    public static void ReduceAccumulateReference(BroadcastLayout layout, ReadOnlySpan<float> dy, Span<float> target, bool subtract = false)
    {
        var sums = new double[target.Length];
        for (int i = 0; i < layout.Length; i++) sums[layout.OperandIndex(0, i)] += dy[i];
        for (int i = 0; i < sums.Length; i++) target[i] += (float)(subtract ? -sums[i] : sums[i]);
    }

    /// <summary>target += dy reduced onto <paramref name="targetShape"/> (a convenience that builds the layout; allocates).</summary>
    public static void ReduceSumTo(ReadOnlySpan<float> dy, int[] dyShape, Span<float> target, int[] targetShape) =>
        ReduceAccumulate(BroadcastLayout.Create(dyShape, targetShape), dy, target);

    // ---- Integer and other element types: scalar loops (shape arithmetic, small tensors) ----

    /// <summary>dst[i] = Op(a[ia], b[ib]) for any element type, with scalar inner loops.</summary>
    public static void MapScalar<T, TOp>(BroadcastLayout layout, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst)
        where T : unmanaged where TOp : struct, IScalarBinaryOp<T>
    {
        Check(layout, 2, 0, layout.Length, dst.Length);
        CheckOperand(layout, 0, a.Length);
        CheckOperand(layout, 1, b.Length);
        if (layout.Length == 0) return;
        int sa = layout.InnerDense(0) ? 1 : 0, sb = layout.InnerDense(1) ? 1 : 0;
        Span<int> idx = stackalloc int[layout.Rank];
        var c = new Cursor(layout, idx, 0, layout.Length);
        while (c.MoveNext())
            for (int i = 0; i < c.Length; i++)
                dst[c.Position + i] = TOp.Invoke(a[c.Offset0 + i * sa], b[c.Offset1 + i * sb]);
    }

    private static void Check(BroadcastLayout layout, int operands, int start, int count, int outputLength)
    {
        if (layout.Operands != operands) throw new ArgumentException($"the layout has {layout.Operands} operands; this kernel takes {operands}");
        if (start < 0 || count < 0 || start + count > layout.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"range [{start}, {start + count}) is outside the output of {layout.Length} elements");
        if (outputLength < layout.Length) throw new ArgumentException($"output-shaped span has {outputLength} elements; the layout needs {layout.Length}");
    }

    private static void CheckOperand(BroadcastLayout layout, int k, int length)
    {
        int need = ShapeMath.Size(layout.OperandShapes[k]);
        if (length < need) throw new ArgumentException($"operand {k} has {length} elements; its shape {ShapeMath.Format(layout.OperandShapes[k])} needs {need}");
    }

    /// <summary>
    /// Walks the runs of an output range: for each, the output position, its length and every operand's offset. The outer
    /// loops advance as an odometer, so no division happens after the start.
    /// </summary>
    internal ref struct Cursor
    {
        private readonly int[] _dims;
        private readonly int[] _s0, _s1, _s2;
        private readonly Span<int> _idx;
        private readonly int _inner, _end;
        private int _b0, _b1, _b2, _r;
        private bool _started;
        /// <summary>Output index of the run's first element.</summary>
        public int Position;
        /// <summary>Elements in the run.</summary>
        public int Length;
        /// <summary>Offsets of operands 0..2 at the run's first element.</summary>
        public int Offset0, Offset1, Offset2;

        public Cursor(BroadcastLayout layout, Span<int> idx, int start, int count)
        {
            _dims = layout.Dims;
            var strides = layout.Strides;
            int rank = _dims.Length;
            _s0 = strides[0];
            _s1 = strides.Length > 1 ? strides[1] : strides[0];
            _s2 = strides.Length > 2 ? strides[2] : _s1;
            _idx = idx;
            _inner = _dims[rank - 1];
            _end = start + count;
            int outer = start / _inner;
            _r = start - outer * _inner;
            for (int d = rank - 2; d >= 0; d--)
            {
                int i = outer % _dims[d];
                outer /= _dims[d];
                idx[d] = i;
                _b0 += i * _s0[d];
                _b1 += i * _s1[d];
                _b2 += i * _s2[d];
            }
            Position = start;
        }

        public bool MoveNext()
        {
            if (_started)
            {
                Position += Length;
                if (Position >= _end) return false;
                _r = 0;
                Advance();
            }
            else
            {
                _started = true;
                if (Position >= _end) return false;
            }
            Length = Math.Min(_inner - _r, _end - Position);
            int last = _dims.Length - 1;
            Offset0 = _b0 + _r * _s0[last];
            Offset1 = _b1 + _r * _s1[last];
            Offset2 = _b2 + _r * _s2[last];
            return true;
        }

        private void Advance()
        {
            for (int d = _dims.Length - 2; d >= 0; d--)
            {
                _idx[d]++;
                _b0 += _s0[d];
                _b1 += _s1[d];
                _b2 += _s2[d];
                if (_idx[d] < _dims[d]) return;
                _b0 -= _s0[d] * _dims[d];
                _b1 -= _s1[d] * _dims[d];
                _b2 -= _s2[d] * _dims[d];
                _idx[d] = 0;
            }
        }
    }
}

/// <summary>Integer (and any numeric type) ops for <see cref="Broadcast.MapScalar{T, TOp}"/>.</summary>
public static class ScalarArithmetic
{
    /// <summary>x + y.</summary>
    public readonly struct Add<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => x + y; }
    /// <summary>x - y.</summary>
    public readonly struct Sub<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => x - y; }
    /// <summary>x * y.</summary>
    public readonly struct Mul<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => x * y; }
    /// <summary>x / y; for integers truncated toward zero, as ONNX Runtime does.</summary>
    public readonly struct Div<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => x / y; }
    /// <summary>max(x, y).</summary>
    public readonly struct Max<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => T.Max(x, y); }
    /// <summary>min(x, y).</summary>
    public readonly struct Min<T> : IScalarBinaryOp<T> where T : INumber<T> { public static T Invoke(T x, T y) => T.Min(x, y); }
}

/// <summary>A binary scalar op defined for every numeric element type, so one kernel serves them all.</summary>
public interface IScalarFamily
{
    static abstract T Invoke<T>(T x, T y) where T : INumber<T>;
}

/// <summary>
/// The <see cref="ScalarArithmetic"/> ops as <see cref="IScalarFamily"/> families, and <see cref="Of{T, TFamily}"/>, which
/// turns a family into the <see cref="IScalarBinaryOp{T}"/> of one element type for <see cref="Broadcast.MapScalar{T, TOp}"/>.
/// </summary>
public static class ScalarFamilies
{
    /// <summary>Family <typeparamref name="TFamily"/> at element type <typeparamref name="T"/>.</summary>
    public readonly struct Of<T, TFamily> : IScalarBinaryOp<T> where T : INumber<T> where TFamily : IScalarFamily
    {
        public static T Invoke(T x, T y) => TFamily.Invoke(x, y);
    }

    /// <summary>x + y (integers wrap around, as NumPy's do).</summary>
    public readonly struct Add : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => x + y; }
    /// <summary>x - y.</summary>
    public readonly struct Sub : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => x - y; }
    /// <summary>x * y.</summary>
    public readonly struct Mul : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => x * y; }
    /// <summary>x / y; for integers truncated toward zero, as ONNX Runtime does.</summary>
    public readonly struct Div : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => x / y; }
    /// <summary>max(x, y); NaN wins.</summary>
    public readonly struct Max : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => T.Max(x, y); }
    /// <summary>min(x, y); NaN wins.</summary>
    public readonly struct Min : IScalarFamily { public static T Invoke<T>(T x, T y) where T : INumber<T> => T.Min(x, y); }
}
