using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class BroadcastTests
{
    // (a shape, b shape): same shape, scalars, per-channel, trailing, both sides broadcast, odd sizes, empty.
    public static TheoryData<int[], int[]> Pairs() => new()
    {
        { [17], [17] },
        { [3, 5, 7], [3, 5, 7] },
        { [2, 3, 4, 5], [3, 1, 1] },
        { [2, 3, 4, 5], [1, 3, 1, 1] },
        { [4, 5], [5] },
        { [3, 17], [17] },
        { [255], [] },
        { [], [255] },
        { [2, 3], [1] },
        { [3, 1], [1, 4] },
        { [2, 1, 7], [5, 1] },
        { [1, 3, 1, 5], [2, 1, 4, 1] },
        { [7, 1, 3], [7, 2, 3] },
        { [1], [1] },
        { [], [] },
        { [2, 0, 3], [3] },
        { [6, 5, 4, 3, 2], [5, 1, 3, 1] },
        { [2, 3, 1, 1], [3, 1, 1] },
    };

    private static float[] Values(int seed, int[] shape) => TensorAssert.Random(seed, -2, 2, shape).Floats.ToArray();

    [Fact]
    public void Layout_merges_loops_into_the_fewest_runs()
    {
        var perChannel = BroadcastLayout.Create([2, 3, 4, 5], [2, 3, 4, 5], [3, 1, 1]);
        Assert.Equal(3, perChannel.Rank);
        Assert.Equal(20, perChannel.Inner);
        Assert.True(perChannel.InnerDense(0));
        Assert.False(perChannel.InnerDense(1));

        var trailing = BroadcastLayout.Create([4, 5], [4, 5], [5]);
        Assert.Equal(2, trailing.Rank);
        Assert.Equal(5, trailing.Inner);
        Assert.True(trailing.InnerDense(1));

        var same = BroadcastLayout.Create([2, 3, 4], [2, 3, 4], [2, 3, 4]);
        Assert.Equal(1, same.Rank);
        Assert.Equal(24, same.Inner);

        var scalar = BroadcastLayout.Create([2, 3, 4], [2, 3, 4], []);
        Assert.Equal(1, scalar.Rank);
        Assert.False(scalar.InnerDense(1));
        Assert.True(scalar.IsFull(0));
        Assert.False(scalar.IsFull(1));
    }

    [Fact]
    public void Layout_rejects_shapes_that_do_not_broadcast()
    {
        var e = Assert.Throws<ArgumentException>(() => BroadcastLayout.Create([2, 3], [2, 3], [2]));
        Assert.Contains("[2]", e.Message);
        Assert.Throws<ArgumentException>(() => BroadcastLayout.Create([3], [2, 3], [3]));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Map_matches_reference(int[] aShape, int[] bShape)
    {
        var outShape = ShapeMath.Broadcast(aShape, bShape);
        var layout = BroadcastLayout.Create(outShape, aShape, bShape);
        var a = Values(1, aShape);
        var b = Values(2, bShape);
        var fast = new float[layout.Length];
        var reference = new float[layout.Length];
        Broadcast.Map<Elementwise.SubOp>(layout, a, b, fast);
        Broadcast.MapReference<Elementwise.SubOp>(layout, a, b, reference);
        Assert.Equal(reference, fast);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Map_over_split_ranges_equals_one_pass(int[] aShape, int[] bShape)
    {
        var outShape = ShapeMath.Broadcast(aShape, bShape);
        var layout = BroadcastLayout.Create(outShape, aShape, bShape);
        var a = Values(3, aShape);
        var b = Values(4, bShape);
        var whole = new float[layout.Length];
        Broadcast.Map<Elementwise.MulOp>(layout, a, b, whole);
        // Cut the output at awkward places (inside runs, at run ends) and compute each piece separately.
        foreach (int pieces in new[] { 2, 3, 7 })
        {
            var split = new float[layout.Length];
            for (int p = 0; p < pieces; p++)
            {
                int s = layout.Length * p / pieces, e = layout.Length * (p + 1) / pieces;
                Broadcast.Map<Elementwise.MulOp>(layout, a, b, split, s, e - s);
            }
            Assert.Equal(whole, split);
        }
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Gradient_reduction_matches_reference_for_each_operand(int[] aShape, int[] bShape)
    {
        var outShape = ShapeMath.Broadcast(aShape, bShape);
        var a = Values(5, aShape);
        var b = Values(6, bShape);
        var dy = Values(7, outShape);
        foreach (var (target, shape) in new[] { (0, aShape), (1, bShape) })
        {
            var layout = BroadcastLayout.Create(outShape, shape, aShape, bShape);
            var fast = Values(8, shape);
            var reference = (float[])fast.Clone();
            if (target == 0)
            {
                Broadcast.Accumulate<Elementwise.MaxGradFirstOp>(layout, a, b, dy, fast);
                Broadcast.AccumulateReference<Elementwise.MaxGradFirstOp>(layout, a, b, dy, reference);
            }
            else
            {
                Broadcast.Accumulate<Elementwise.DivGradDenominatorOp>(layout, a, b, dy, fast);
                Broadcast.AccumulateReference<Elementwise.DivGradDenominatorOp>(layout, a, b, dy, reference);
            }
            TensorAssert.Close(reference, fast, 1e-4, 1e-4, $"target {target}");

            var reduce = BroadcastLayout.Create(outShape, shape);
            var rf = Values(9, shape);
            var rr = (float[])rf.Clone();
            Broadcast.ReduceAccumulate(reduce, dy, rf, subtract: target == 1);
            Broadcast.ReduceAccumulateReference(reduce, dy, rr, subtract: target == 1);
            TensorAssert.Close(rr, rf, 1e-5, 1e-5, $"reduce {target}");
        }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Same_shape_scalar_and_per_channel_paths_match_reference_at_standard_sizes(int n)
    {
        foreach (var (aShape, bShape) in new (int[], int[])[] { ([n], [n]), ([n], []), ([], [n]), ([2, 3, n], [3, 1]), ([3, n], [n]) })
        {
            var outShape = ShapeMath.Broadcast(aShape, bShape);
            var layout = BroadcastLayout.Create(outShape, aShape, bShape);
            var a = Values(n, aShape);
            var b = Values(n + 1, bShape);
            var fast = new float[layout.Length];
            var reference = new float[layout.Length];
            Broadcast.Map<Elementwise.PowOp>(layout, a, b, fast);
            Broadcast.MapReference<Elementwise.PowOp>(layout, a, b, reference);
            TensorAssert.Close(reference, fast, 1e-6, 0, ShapeMath.Format(outShape));

            var dy = Values(n + 2, outShape);
            var ga = BroadcastLayout.Create(outShape, bShape, aShape, bShape);
            var gf = new float[ShapeMath.Size(bShape)];
            var gr = new float[gf.Length];
            Broadcast.Accumulate<Elementwise.MulGradOp>(ga, a, b, dy, gf);
            Broadcast.AccumulateReference<Elementwise.MulGradOp>(ga, a, b, dy, gr);
            TensorAssert.Close(gr, gf, 1e-4, 1e-4, ShapeMath.Format(outShape));
        }
    }

    [Fact]
    public void Reduce_sums_per_channel_and_trailing_gradients()
    {
        // dy of [2,3,2] reduced onto [3,1] sums over N and W; onto [2] sums over N and C.
        var dy = Enumerable.Range(1, 12).Select(i => (float)i).ToArray();
        var perChannel = new float[3];
        Broadcast.ReduceSumTo(dy, [2, 3, 2], perChannel, [3, 1]);
        Assert.Equal(new[] { 1 + 2 + 7 + 8f, 3 + 4 + 9 + 10f, 5 + 6 + 11 + 12f }, perChannel);
        var trailing = new float[2];
        Broadcast.ReduceSumTo(dy, [2, 3, 2], trailing, [2]);
        Assert.Equal(new[] { 1 + 3 + 5 + 7 + 9 + 11f, 2 + 4 + 6 + 8 + 10 + 12f }, trailing);
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Integer_map_matches_reference(int[] aShape, int[] bShape)
    {
        var outShape = ShapeMath.Broadcast(aShape, bShape);
        var layout = BroadcastLayout.Create(outShape, aShape, bShape);
        var a = Enumerable.Range(0, ShapeMath.Size(aShape)).Select(i => (long)(i * 7 % 23 - 11)).ToArray();
        var b = Enumerable.Range(0, ShapeMath.Size(bShape)).Select(i => (long)(i % 5 + 1)).ToArray();
        var z = new long[layout.Length];
        Broadcast.MapScalar<long, ScalarArithmetic.Div<long>>(layout, a, b, z);
        for (int i = 0; i < z.Length; i++) Assert.Equal(a[layout.OperandIndex(0, i)] / b[layout.OperandIndex(1, i)], z[i]);
    }

    [Fact]
    public void Short_operands_are_rejected_before_any_unchecked_access()
    {
        var layout = BroadcastLayout.Create([4, 5], [4, 5], [5]);
        Assert.Throws<ArgumentException>(() => Broadcast.Map<Elementwise.AddOp>(layout, new float[20], new float[4], new float[20]));
        Assert.Throws<ArgumentException>(() => Broadcast.Map<Elementwise.AddOp>(layout, new float[20], new float[5], new float[19]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Broadcast.Map<Elementwise.AddOp>(layout, new float[20], new float[5], new float[20], 15, 6));
    }
}
