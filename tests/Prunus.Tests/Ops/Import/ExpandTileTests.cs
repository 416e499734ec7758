using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class ExpandTileTests
{
    // Plain NumPy broadcast read: element j of the output shape from x of a (right-aligned) smaller or equal rank.
    private static double[] BroadcastRead(double[] x, int[] xShape, int[] outShape)
    {
        var y = new double[ShapeMath.Size(outShape)];
        var strides = ShapeMath.Strides(xShape);
        for (int j = 0; j < y.Length; j++)
        {
            int rem = j, src = 0;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                int coord = rem % outShape[d];
                rem /= outShape[d];
                int p = d - (outShape.Length - xShape.Length);
                if (p >= 0 && xShape[p] != 1) src += coord * strides[p];
            }
            y[j] = x[src];
        }
        return y;
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(Shape.TestTensors))]
    public void Expand_broadcasts_both_ways_for_every_type(DataType type)
    {
        // [3,1] with shape [2,1,6] gives [2,3,6] (the ONNX example); [3,1] with [4] gives [3,4].
        var x = SeqOf(type, 3, 1);
        var y = new OpCase("Expand").Input(x).Const(Longs(2, 1, 6)).Run1();
        Assert.Equal([2, 3, 6], y.Shape);
        Assert.Equal(BroadcastRead(Values(x), [3, 1], [2, 3, 6]), Values(y));
        var z = new OpCase("Expand").Input(x).Const(Longs(4)).Run1();
        Assert.Equal([3, 4], z.Shape);
        Assert.Equal(BroadcastRead(Values(x), [3, 1], [3, 4]), Values(z));
    }

    [Fact]
    public void Expand_of_an_odd_middle_axis()
    {
        var x = Seq(2, 1, 3);
        var y = new OpCase("Expand").Input(x).Const(Longs(5, 2, 7, 3)).Run1();
        Assert.Equal(BroadcastRead(Values(x), [2, 1, 3], [5, 2, 7, 3]), Values(y));
    }

    [Fact]
    public void Expand_that_only_adds_leading_ones_is_a_view()
    {
        var c = new OpCase("Expand").Input(TensorAssert.Random(1, -1, 1, 2, 3)).Const(Longs(1, 1, 3));
        Assert.Equal("view", Assert.Single(c.Compile().Describe()).Algorithm);
        var y = c.Run1();
        Assert.Equal([1, 2, 3], y.Shape);
        GradCheck.Check(c);
    }

    [Fact]
    public void Expand_rejects_shapes_that_do_not_broadcast()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Expand").Input(Seq(3, 2)).Const(Longs(4, 3)).Run1());
        Assert.Contains("broadcast", e.Message);
    }

    [Fact]
    public void Expand_gradient_sums_over_broadcast_axes() =>
        GradCheck.Check(new OpCase("Expand").Input(TensorAssert.Random(2, -1, 1, 3, 1)).Const(Longs(2, 3, 5)));

    [Fact]
    public void Tile_onnx_example()
    {
        var y = new OpCase("Tile").Input(Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2)).Const(Longs(2, 3)).Run1();
        Assert.Equal([4, 6], y.Shape);
        Assert.Equal(new float[]
        {
            1, 2, 1, 2, 1, 2,
            3, 4, 3, 4, 3, 4,
            1, 2, 1, 2, 1, 2,
            3, 4, 3, 4, 3, 4,
        }, y.Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(Shape.TestTensors))]
    public void Tile_matches_modular_indexing_for_every_type(DataType type)
    {
        var x = SeqOf(type, 2, 1, 3);
        long[] repeats = [3, 4, 1];
        var y = new OpCase("Tile").Input(x).Const(Longs(repeats)).Run1();
        Assert.Equal([6, 4, 3], y.Shape);
        var vx = Values(x);
        var expected = new List<double>();
        for (int a = 0; a < 6; a++) for (int b = 0; b < 4; b++) for (int c = 0; c < 3; c++) expected.Add(vx[(a % 2) * 3 + c]);
        Assert.Equal(expected, Values(y));
    }

    [Fact]
    public void Tile_by_zero_is_empty_and_bad_repeats_are_reported()
    {
        Assert.Equal([0, 3], new OpCase("Tile").Input(Seq(2, 3)).Const(Longs(0, 1)).Run1().Shape);
        Assert.Throws<ModelException>(() => new OpCase("Tile").Input(Seq(2, 3)).Const(Longs(2)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Tile").Input(Seq(2, 3)).Const(Longs(1, -1)).Run1());
    }

    [Fact]
    public void Tile_gradient_adds_every_copy() =>
        GradCheck.Check(new OpCase("Tile").Input(TensorAssert.Random(3, -1, 1, 2, 3)).Const(Longs(3, 2)));
}
