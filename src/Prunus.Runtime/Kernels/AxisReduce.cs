namespace Prunus.Kernels;

/// <summary>
/// Reduction of a row-major tensor over any set of axes. The layout is given coalesced (see <see cref="Layout"/>):
/// alternating runs of kept and reduced dimensions, so that the innermost run is either reduced to one value with a
/// vector reduction or folded elementwise into a contiguous output row.
/// </summary>
public static class AxisReduce
{
    /// <summary>
    /// Merges the input shape into runs: returns the run sizes and, per run, whether it is reduced. Size-1 dimensions
    /// vanish. The output (kept dimensions, row-major) has one element per combination of kept runs.
    /// </summary>
    public static (int[] Shape, bool[] Reduced) Layout(ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced)
    {
        var s = new List<int>();
        var r = new List<bool>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return ([0], [reduced[d]]);
            if (shape[d] == 1) continue;
            if (s.Count > 0 && r[^1] == reduced[d]) s[^1] *= shape[d];
            else { s.Add(shape[d]); r.Add(reduced[d]); }
        }
        return (s.ToArray(), r.ToArray());
    }

    /// <summary>y[o] = fold of Map(x[i]) over the reduced runs, for a coalesced layout; y starts at the identity.</summary>
    public static void Forward<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> y)
        where TOp : struct, IReduceOp
    {
        y.Fill(TOp.Identity);
        int total = x.Length, rank = shape.Length;
        if (total == 0) return;
        if (rank == 0) { y[0] = TOp.Combine(TOp.Identity, TOp.Map(x[0])); return; }
        int inner = shape[rank - 1];
        bool innerReduced = reduced[rank - 1];
        Span<int> strides = stackalloc int[rank];
        OutputStrides(shape, reduced, strides);
        Span<int> index = stackalloc int[rank];
        int o = 0;
        for (int j = 0; j < total; j += inner)
        {
            var run = x.Slice(j, inner);
            if (innerReduced) y[o] = TOp.Combine(y[o], RowReduce.Reduce<TOp>(run));
            else RowReduce.Accumulate<TOp>(y.Slice(o, inner), run);
            o = Advance(index, shape, strides, o);
        }
    }

    /// <summary>Scalar reference of <see cref="Forward{TOp}"/> on an uncoalesced shape: each element's output position from scratch.</summary>
    public static void ForwardReference<TOp>(ReadOnlySpan<float> x, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> y)
        where TOp : struct, IReduceOp
    {
        y.Fill(TOp.Identity);
        for (int i = 0; i < x.Length; i++)
        {
            int o = OutputIndex(i, shape, reduced);
            y[o] = TOp.Combine(y[o], TOp.Map(x[i]));
        }
    }

    /// <summary>dx[i] += scale·dy[o(i)]: the gradient of a sum (scale 1) or mean (scale 1/count), for a coalesced layout.</summary>
    public static void BroadcastAdd(ReadOnlySpan<float> dy, float scale, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> dx)
    {
        int total = dx.Length, rank = shape.Length;
        if (total == 0) return;
        if (rank == 0) { dx[0] += scale * dy[0]; return; }
        int inner = shape[rank - 1];
        bool innerReduced = reduced[rank - 1];
        Span<int> strides = stackalloc int[rank];
        OutputStrides(shape, reduced, strides);
        Span<int> index = stackalloc int[rank];
        int o = 0;
        for (int j = 0; j < total; j += inner)
        {
            var run = dx.Slice(j, inner);
            if (innerReduced)
            {
                float g = scale * dy[o];
                for (int k = 0; k < run.Length; k++) run[k] += g;
            }
            else
            {
                var src = dy.Slice(o, inner);
                for (int k = 0; k < run.Length; k++) run[k] += scale * src[k];
            }
            o = Advance(index, shape, strides, o);
        }
    }

    /// <summary>Scalar reference of <see cref="BroadcastAdd"/> on an uncoalesced shape.</summary>
    public static void BroadcastAddReference(ReadOnlySpan<float> dy, float scale, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> dx)
    {
        for (int i = 0; i < dx.Length; i++) dx[i] += scale * dy[OutputIndex(i, shape, reduced)];
    }

    /// <summary>
    /// Gradient of max or min: dy[o] is shared evenly among the inputs equal to y[o] (ties split it). <paramref name="ties"/>
    /// is scratch of y's length. Works on the uncoalesced or coalesced layout alike.
    /// </summary>
    public static void SelectBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> dx, Span<float> ties)
    {
        ties.Clear();
        Span<int> index = stackalloc int[shape.Length];
        Span<int> strides = stackalloc int[shape.Length];
        OutputStrides(shape, reduced, strides);
        var walk = new OutputWalk(shape, strides, index);
        for (int i = 0; i < x.Length; i++, walk.Next())
            if (x[i] == y[walk.O]) ties[walk.O]++;
        walk.Reset();
        for (int i = 0; i < x.Length; i++, walk.Next())
            if (x[i] == y[walk.O]) dx[i] += dy[walk.O] / ties[walk.O];
    }

    /// <summary>Gradient of the L2 norm: dx[i] += dy[o]·x[i]/y[o] (nothing where y[o] = 0, whose gradient is undefined).</summary>
    public static void L2Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy,
        ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<float> dx)
    {
        Span<int> index = stackalloc int[shape.Length];
        Span<int> strides = stackalloc int[shape.Length];
        OutputStrides(shape, reduced, strides);
        var walk = new OutputWalk(shape, strides, index);
        for (int i = 0; i < x.Length; i++, walk.Next())
            if (y[walk.O] != 0) dx[i] += dy[walk.O] * x[i] / y[walk.O];
    }

    /// <summary>
    /// Gradient of the product: dx[i] += dy[o]·Π of the other inputs of o, exact with zeros (the product of the nonzero
    /// inputs if x[i] is the only zero, 0 if another input is zero). <paramref name="nonzero"/> and <paramref name="zeros"/>
    /// are scratch of y's length.
    /// </summary>
    public static void ProductBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced,
        Span<float> dx, Span<double> nonzero, Span<int> zeros)
    {
        nonzero.Fill(1);
        zeros.Clear();
        Span<int> index = stackalloc int[shape.Length];
        Span<int> strides = stackalloc int[shape.Length];
        OutputStrides(shape, reduced, strides);
        var walk = new OutputWalk(shape, strides, index);
        for (int i = 0; i < x.Length; i++, walk.Next())
            if (x[i] == 0) zeros[walk.O]++;
            else nonzero[walk.O] *= x[i];
        walk.Reset();
        for (int i = 0; i < x.Length; i++, walk.Next())
        {
            int o = walk.O;
            if (zeros[o] == 0) dx[i] += (float)(dy[o] * nonzero[o] / x[i]);
            else if (zeros[o] == 1 && x[i] == 0) dx[i] += (float)(dy[o] * nonzero[o]);
        }
    }

    // Steps through the input in row-major order, tracking each element's output position.
    private ref struct OutputWalk(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<int> index)
    {
        private readonly ReadOnlySpan<int> _shape = shape;
        private readonly ReadOnlySpan<int> _strides = strides;
        private readonly Span<int> _index = index;
        public int O;

        public void Next()
        {
            for (int d = _shape.Length - 1; d >= 0; d--)
            {
                O += _strides[d];
                if (++_index[d] < _shape[d]) return;
                O -= _strides[d] * _shape[d];
                _index[d] = 0;
            }
        }

        public void Reset()
        {
            _index.Clear();
            O = 0;
        }
    }

    // Strides of each input dimension in the output: 0 for reduced dimensions, row-major over the kept ones.
    private static void OutputStrides(ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced, Span<int> strides)
    {
        int acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = reduced[d] ? 0 : acc;
            if (!reduced[d]) acc *= shape[d];
        }
    }

    private static int OutputIndex(int i, ReadOnlySpan<int> shape, ReadOnlySpan<bool> reduced)
    {
        int o = 0, acc = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int id = i % shape[d];
            i /= shape[d];
            if (reduced[d]) continue;
            o += id * acc;
            acc *= shape[d];
        }
        return o;
    }

    private static int Advance(Span<int> index, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int o)
    {
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            o += strides[d];
            if (++index[d] < shape[d]) return o;
            o -= strides[d] * shape[d];
            index[d] = 0;
        }
        return o;
    }
}
